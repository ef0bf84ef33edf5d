/* SPDX-License-Identifier: BSD-2-Clause */
/* Client connections: framing, one command in flight, responses. */
#ifndef TPMPROXY_CONN_H
#define TPMPROXY_CONN_H

#include <stddef.h>

struct daemon;
struct job;

int conn_table_new(struct daemon *d);
void conn_table_free(struct daemon *d);
void conn_accept(struct daemon *d, const char *socket_name, int fd);
void conn_job_done(struct job *job, void *arg);
void conn_shutdown_all(struct daemon *d);
void conn_close_all(struct daemon *d);
void conn_close_socket(struct daemon *d, const char *socket_name);
void conn_reconfigure(struct daemon *d);
size_t conn_count(const struct daemon *d);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* Connections on a socket's simulator control channel, SOCK.ctrl. */
#ifndef TPMPROXY_CTRLCONN_H
#define TPMPROXY_CTRLCONN_H

#include <stddef.h>

struct daemon;

int ctrlconn_table_new(struct daemon *d);
void ctrlconn_table_free(struct daemon *d);
void ctrlconn_accept(struct daemon *d, const char *socket_name, int fd);
void ctrlconn_close_socket(struct daemon *d, const char *socket_name);
void ctrlconn_close_all(struct daemon *d);
size_t ctrlconn_count(const struct daemon *d);

#endif

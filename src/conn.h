/* SPDX-License-Identifier: BSD-2-Clause */
/* Client connections: framing, one command in flight, responses. */
#ifndef TPMPROXY_CONN_H
#define TPMPROXY_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct daemon;
struct job;

/* One connection as tpmproxyctl clients shows it. */
struct conn_info {
	uint64_t id;
	uint64_t owner;          /* what the TPM holds for it belongs to:
	                          * id, or its process's owner id */
	const char *framing;     /* "raw", "simulator", "-" (nothing yet) */
	const char *socket;      /* valid until the loop runs again */
	const char *pod;         /* "" outside pods */
	long uid, gid, pid;
	uint64_t commands;
	int in_flight;
	struct timespec since;   /* CLOCK_MONOTONIC */
};

int conn_table_new(struct daemon *d);
void conn_table_free(struct daemon *d);
void conn_accept(struct daemon *d, const char *socket_name, int fd);
void conn_job_done(struct job *job, void *arg);
void conn_shutdown_all(struct daemon *d);
void conn_close_all(struct daemon *d);
void conn_close_socket(struct daemon *d, const char *socket_name);
void conn_reconfigure(struct daemon *d);
size_t conn_count(const struct daemon *d);
int conn_fd_ceiling(const struct daemon *d);
size_t conn_list(const struct daemon *d, struct conn_info *out, size_t max);

#endif

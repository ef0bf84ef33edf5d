/* SPDX-License-Identifier: BSD-2-Clause */
/* The daemon context: built in main and passed down explicitly. */
#ifndef TPMPROXY_DAEMON_H
#define TPMPROXY_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/time.h>

#include "log.h"

#define DAEMON_MAX_SOCKETS 64
#define DAEMON_DEFAULT_TCTI "device:/dev/tpm0"
#define DAEMON_DEFAULT_SOCKET "/run/tpmproxy/tpm.sock"

struct backend;
struct cmdattrs;
struct conn_table;
struct event;
struct event_base;
struct identity_table;
struct listener;
struct resmgr;
struct worker;

struct options {
	const char *tcti;
	const char *sockets[DAEMON_MAX_SOCKETS];
	size_t nsockets;
	const char *config;
	const char *pid_file;
	bool foreground;
	enum log_level log_level;
	struct timeval partial_timeout;   /* a started frame must complete */
	struct timeval shutdown_grace;    /* in-flight commands at SIGTERM */
	unsigned reserve_object_slots;    /* left free for other TPM users */
	unsigned reserve_session_slots;
};

TAILQ_HEAD(listener_list, listener);

struct daemon {
	struct options opts;
	struct event_base *base;
	struct backend *backend;
	struct cmdattrs *attrs;
	struct resmgr *rm;
	struct worker *worker;
	struct listener_list listeners;
	struct conn_table *conns;
	struct identity_table *identities;
	uint32_t max_command_size;
	uint32_t max_response_size;
	uint64_t next_conn_id;
	bool stopping;
	struct event *ev_signals[3];
	struct event *ev_grace;
};

#endif

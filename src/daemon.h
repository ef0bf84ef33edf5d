/* SPDX-License-Identifier: BSD-2-Clause */
/* The daemon context: built in main and passed down explicitly. */
#ifndef TPMPROXY_DAEMON_H
#define TPMPROXY_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "options.h"

struct audit;
struct backend;
struct cmdattrs;
struct control;
struct metrics;
struct stats;
struct conn_table;
struct ctrlconn_table;
struct event;
struct event_base;
struct identity_table;
struct listener;
struct policy;
struct procown_table;
struct resmgr;
struct worker;

TAILQ_HEAD(listener_list, listener);

struct daemon {
	struct options opts;
	struct policy *policy;         /* configuration in force; swapped */
	struct event_base *base;
	struct backend *backend;
	struct cmdattrs *attrs;
	struct resmgr *rm;
	struct worker *worker;
	struct listener_list listeners;
	struct conn_table *conns;
	struct ctrlconn_table *ctrlconns; /* on the sockets' .ctrl channels */
	struct procown_table *procs;   /* processes owning TPM resources */
	struct identity_table *identities;
	uint32_t max_command_size;
	uint32_t max_response_size;
	uint64_t next_conn_id;
	bool stopping;
	struct stats *stats;           /* per-socket counters (loop thread) */
	struct audit *audit;           /* NULL without audit-log */
	struct event *ev_audit_flush;
	struct control *control;       /* NULL without control-socket */
	struct metrics *metrics;       /* NULL without metrics-listen */
	int (*reload)(struct daemon *d);
	struct timespec started;       /* CLOCK_MONOTONIC */
	char tpm_vendor[32];
	char tpm_firmware[32];
	struct event *ev_signals[3];
	struct event *ev_grace;
	/* Who the daemon becomes once set up (main_run_as()). */
	const char *run_user, *run_group; /* NULL: keep */
	uid_t run_uid;
	gid_t run_gid;
};

/* Whether the daemon becomes another user once set up: what it creates
 * before then and must change later is given to that user. */
static inline bool
daemon_switches_user(const struct daemon *d)
{
	return d->run_uid != geteuid() || d->run_gid != getegid();
}

/* Milliseconds as a timeval, for libevent timers. */
static inline struct timeval
daemon_ms(unsigned ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	return tv;
}

#endif

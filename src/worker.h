/* SPDX-License-Identifier: BSD-2-Clause */
/* The TPM thread and the one queue between it and the loop thread. */
#ifndef TPMPROXY_WORKER_H
#define TPMPROXY_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <time.h>

#include "resmgr.h"

struct event_base;
struct resmgr;
struct worker;

enum job_type {
	JOB_COMMAND,      /* run cmd for owner, fill rsp */
	JOB_OWNER_GONE,   /* flush everything owner left in the TPM */
	JOB_SNAPSHOT,     /* copy the resource manager's state into snapshot */
};

/* A job carries identity and bytes only, never a pointer into connection
 * state: the loop may free the connection while the TPM thread works. */
struct job {
	TAILQ_ENTRY(job) entry;
	enum job_type type;
	struct resmgr_client client;   /* connection, identity, quota group */
	uint64_t group;      /* whose turn it is in the fair queue (fairq.c) */
	unsigned passes_left;          /* fairq.c: how often a later job of
	                                * its group may still run first */
	uint8_t *cmd;
	size_t cmd_len;
	uint8_t *rsp;
	size_t rsp_len;
	size_t rsp_cap;
	uint32_t handles[7];           /* the command's handles, as the
	                                * client sent them (for the audit) */
	unsigned nhandles;
	bool has_usage;                /* usage: the group after the job */
	struct resmgr_quota usage;
	struct resmgr_snapshot *snapshot;   /* JOB_SNAPSHOT: filled, the
	                                     * loop's to free */
	uint64_t requester;                 /* JOB_SNAPSHOT: the control
	                                     * client that asked */
	struct timespec queued;
	struct timespec started;
	struct timespec finished;
};

typedef void (*worker_done_cb)(struct job *job, void *arg);

struct job *job_new(enum job_type type, uint64_t owner, const uint8_t *cmd,
    size_t cmd_len, size_t rsp_cap);
void job_free(struct job *job);

int worker_start(struct event_base *base, struct resmgr *rm,
    worker_done_cb done, void *arg, struct worker **out);
int worker_submit(struct worker *w, struct job *job);
int worker_submit_owner_gone(struct worker *w, uint64_t owner,
    uint64_t group);
void worker_set_resident_first(struct worker *w, bool on);
void worker_stop(struct worker *w);

#endif

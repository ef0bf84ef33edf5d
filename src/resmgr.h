/* SPDX-License-Identifier: BSD-2-Clause */
/* Resource manager: virtual handles, owned sessions and lazy LRU residency
 * for the clients sharing one TPM. Runs on the TPM thread only. */
#ifndef TPMPROXY_RESMGR_H
#define TPMPROXY_RESMGR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct backend;
struct cmdattrs;
struct resmgr;

struct resmgr_limits {
	unsigned object_slots;       /* objects we keep loaded at most */
	unsigned session_slots;      /* sessions we keep loaded at most */
	uint32_t context_gap_max;    /* TPM2_PT_CONTEXT_GAP_MAX */
	unsigned max_client_saved;   /* client-saved sessions kept in all;
	                              * beyond it the oldest is flushed */
};

/* What a group (a pod, else a socket) may hold at once: 0 is nothing,
 * RESMGR_NO_LIMIT is no limit. */
#define RESMGR_NO_LIMIT UINT_MAX
struct resmgr_quota {
	unsigned objects;       /* transient objects and sequences */
	unsigned sessions;      /* sessions held by its connections */
	unsigned saved;         /* sessions its clients saved */
	unsigned nv_indices;    /* NV indices it defined */
};

/* Who sends a command: carried by every job. */
struct resmgr_client {
	uint64_t owner;         /* the connection */
	uint64_t identity;      /* shares the sessions its connections save */
	uint64_t group;         /* quota key */
	struct resmgr_quota quota;
};

struct resmgr_stats {
	uint64_t commands;      /* client commands executed */
	uint64_t answered;      /* answered without the TPM */
	uint64_t denied;        /* handles the client did not own */
	uint64_t loads;         /* contexts loaded back into the TPM */
	uint64_t evictions;     /* contexts swapped out to make room */
	uint64_t regaps;        /* sessions re-saved for the context gap */
	uint64_t retries;       /* commands resent after a memory error */
	uint64_t flushed;       /* handles flushed for owners that left */
	uint64_t over_quota;    /* commands refused by a group quota */
	uint64_t dropped;       /* handles forgotten with a lost TPM */
};

/* What one connection holds (for tpmproxyctl clients). */
struct resmgr_owner_usage {
	uint64_t owner;
	unsigned objects;        /* objects and sequences */
	unsigned sessions;
};

/* The resource manager's state at one moment, taken on the TPM thread. */
struct resmgr_snapshot {
	struct resmgr_stats stats;
	uint64_t tpm_commands;   /* sent to the TPM, retries included */
	uint64_t backend_reopens;
	uint64_t backend_failures;
	int backend_up;
	unsigned loaded_objects, loaded_sessions;
	unsigned object_slots, session_slots;
	unsigned client_saved;
	struct resmgr_owner_usage *owners;
	size_t nowners;
};

int resmgr_new(struct backend *be, const struct cmdattrs *attrs,
    const struct resmgr_limits *limits, struct resmgr **out);
size_t resmgr_execute(struct resmgr *rm, const struct resmgr_client *client,
    uint8_t *cmd, size_t cmd_len, uint8_t *rsp, size_t rsp_cap);
bool resmgr_resident(const struct resmgr *rm, uint64_t owner,
    const uint8_t *cmd, size_t len);
void resmgr_owner_gone(struct resmgr *rm, uint64_t owner);
size_t resmgr_owner_handles(const struct resmgr *rm, uint64_t owner);
size_t resmgr_loaded(const struct resmgr *rm);
int resmgr_group_usage(const struct resmgr *rm, uint64_t group,
    struct resmgr_quota *usage);
const struct resmgr_stats *resmgr_stats(const struct resmgr *rm);
int resmgr_snapshot(const struct resmgr *rm, struct resmgr_snapshot *out);
void resmgr_snapshot_free(struct resmgr_snapshot *s);
void resmgr_free(struct resmgr *rm);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* Resource manager internals shared by resmgr*.c (TPM thread only). */
#ifndef TPMPROXY_RESMGR_INTERNAL_H
#define TPMPROXY_RESMGR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <tss2/tss2_tpm2_types.h>

#include "resmgr.h"

struct backend;
struct cmdattrs;

/* Largest marshalled TPMS_CONTEXT we keep (TPM_PT_MAX_OBJECT_CONTEXT is
 * 2692 bytes on swtpm; a TPM buffer bounds it anyway). */
#define RM_CONTEXT_MAX 4096
/* Session saves left between the oldest saved session and the TPM's
 * context-gap limit before the resource manager re-saves it. */
#define RM_GAP_MARGIN 64
/* Handles in one GetCapability answer (MAX_CAP_HANDLES, TPM2 Part 2). */
#define RM_CAP_HANDLES_MAX 254

enum rm_kind {
	RM_OBJECT,     /* transient object: its context never changes */
	RM_SEQUENCE,   /* hash/HMAC sequence: re-saved on every eviction */
	RM_SESSION,    /* HMAC or policy session: handle stays the TPM's */
};

enum rm_state {
	RM_NEW,           /* being created, on no list yet */
	RM_LOADED,        /* in a TPM slot at phandle */
	RM_SAVED,         /* swapped out by us; context holds it */
	RM_CLIENT_SAVED,  /* session the client saved: kept for its identity */
};

/* A quota group: what its clients hold, counted against its quota. */
struct rm_group {
	uint64_t key;
	struct resmgr_quota used;
	uint32_t *nv;              /* NV indices it defined */
	size_t refs;               /* owners and entries pointing here */
	TAILQ_ENTRY(rm_group) entry;
};

/* One object, sequence or session a client holds. */
struct rm_entry {
	enum rm_kind kind;
	enum rm_state state;
	uint32_t vhandle;          /* what the client sees */
	uint32_t phandle;          /* the TPM's handle while loaded */
	struct rm_owner *owner;    /* NULL once client-saved */
	uint64_t saver;            /* client-saved: the connection that saved
	                            * it while open, 0 once it has gone */
	uint64_t identity;
	struct rm_group *group;
	uint8_t *context;          /* marshalled TPMS_CONTEXT, or NULL */
	size_t context_len;
	uint64_t sequence;         /* of the saved session context (gap) */
	uint8_t *client_context;   /* the blob a client-saved session's owner
	                            * got: only that one loads it again */
	size_t client_context_len;
	bool pinned;               /* used by the command in progress */
	TAILQ_ENTRY(rm_entry) owner_entry;   /* owner's list or client_saved */
	TAILQ_ENTRY(rm_entry) lru_entry;     /* loaded lists, LRU first */
	TAILQ_ENTRY(rm_entry) saved_entry;   /* saved sessions, oldest first:
	                                      * every session not loaded */
};

TAILQ_HEAD(rm_entry_list, rm_entry);

/* A connection: what it holds, and how its virtual handles are chosen. */
struct rm_owner {
	uint64_t id;
	uint64_t identity;
	struct rm_group *group;
	struct resmgr_quota quota;   /* as of its latest command */
	uint32_t next_vhandle;
	size_t count;
	struct rm_entry_list entries;
	TAILQ_ENTRY(rm_owner) entry;
};

struct resmgr {
	struct backend *be;
	const struct cmdattrs *attrs;
	struct resmgr_limits limits;
	TAILQ_HEAD(, rm_owner) owners;
	TAILQ_HEAD(, rm_group) groups;
	struct rm_entry_list client_saved;     /* sessions, per identity */
	struct rm_entry_list loaded_objects;   /* objects and sequences */
	struct rm_entry_list loaded_sessions;
	struct rm_entry_list saved_sessions;   /* by context sequence */
	size_t nloaded_objects;
	size_t nloaded_sessions;
	uint64_t next_session_sequence;        /* the TPM's contextCounter */
	uint64_t instance;                     /* backend_instance the tables
	                                        * describe */
	bool sweep;                            /* flush what a TPM that came
	                                        * back still holds */
	bool regapping;                        /* no nested regaps */
	struct resmgr_stats stats;
};

/* resmgr-entries.c: owners, entries, virtual handles, LRU order. */
struct rm_owner *rm_owner_get(struct resmgr *rm,
    const struct resmgr_client *client);
struct rm_owner *rm_owner_find(struct resmgr *rm, uint64_t id);
void rm_owner_free(struct resmgr *rm, struct rm_owner *o);
struct rm_entry *rm_entry_new(struct resmgr *rm, struct rm_owner *o,
    enum rm_kind kind, uint32_t phandle);
struct rm_entry *rm_entry_find(struct rm_owner *o, uint32_t vhandle);
struct rm_entry *rm_client_saved_find(struct resmgr *rm, uint64_t identity,
    uint32_t handle);
void rm_entry_free(struct resmgr *rm, struct rm_entry *e);
void rm_entry_touch(struct resmgr *rm, struct rm_entry *e);
void rm_entry_set_loaded(struct resmgr *rm, struct rm_entry *e,
    uint32_t phandle);
void rm_entry_set_unloaded(struct resmgr *rm, struct rm_entry *e,
    enum rm_state state);
void rm_entry_set_context(struct rm_entry *e, uint8_t *context, size_t len);
void rm_entry_set_client_saved(struct resmgr *rm, struct rm_entry *e);
void rm_entry_adopt(struct resmgr *rm, struct rm_entry *e, struct rm_owner *o);
bool rm_handle_taken(struct resmgr *rm, uint32_t handle,
    const struct rm_entry *except);
size_t rm_forget_all(struct resmgr *rm);
struct rm_group *rm_group_find(const struct resmgr *rm, uint64_t key);
void rm_group_put(struct resmgr *rm, struct rm_group *g);
bool rm_is_transient(uint32_t handle);
bool rm_is_session(uint32_t handle);

/* resmgr-context.c: moving contexts in and out of the TPM. */
uint32_t rm_load(struct resmgr *rm, struct rm_entry *e);
uint32_t rm_make_room(struct resmgr *rm, enum rm_kind kind);
bool rm_evict_lru(struct resmgr *rm, enum rm_kind kind);
void rm_flush(struct resmgr *rm, struct rm_entry *e);
uint32_t rm_regap_oldest(struct resmgr *rm);
void rm_gap_check(struct resmgr *rm);
void rm_session_saved(struct resmgr *rm, struct rm_entry *e,
    uint8_t *context, size_t len);
uint32_t rm_context_handle(const uint8_t *context, size_t len);
uint32_t rm_tpm_forgot(struct resmgr *rm, uint32_t handle);
void rm_sweep(struct resmgr *rm);

/* resmgr-quota.c: group quotas and the NV indices groups define. */
uint32_t rm_quota_check(struct resmgr *rm, struct rm_owner *o, uint32_t code,
    const uint8_t *cmd, size_t len, unsigned handles);
uint32_t rm_quota_check_object(struct resmgr *rm, struct rm_owner *o);
bool rm_quota_full(unsigned limit, unsigned used);
void rm_quota_commit(struct resmgr *rm, struct rm_owner *o, uint32_t code,
    const uint8_t *cmd, size_t len, unsigned handles);

/* resmgr-commands.c: commands the resource manager answers itself. */
size_t rm_flush_context(struct resmgr *rm, struct rm_owner *o,
    const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap);
size_t rm_context_load(struct resmgr *rm, struct rm_owner *o,
    const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap);
size_t rm_get_capability(struct resmgr *rm, struct rm_owner *o,
    const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap);
size_t rm_transact(struct resmgr *rm, const uint8_t *cmd, size_t len,
    uint8_t *rsp, size_t cap);
size_t rm_error(uint8_t *rsp, size_t cap, uint32_t tpm_rc);

#endif

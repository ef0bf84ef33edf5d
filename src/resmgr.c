/* SPDX-License-Identifier: BSD-2-Clause */
/* Resource manager: virtual handles, owned sessions and lazy LRU residency
 * for the clients sharing one TPM. Runs on the TPM thread only.
 *
 * A client command is a transaction, as in the kernel's tpm2-space.c:
 * prepare (check every handle is the client's, load what is swapped out,
 * rewrite virtual handles to the TPM's), send (making room and resending
 * when the TPM is full), commit (record what the TPM created, flushed or
 * saved, rewrite the response handle to a virtual one). Whatever fails,
 * nothing is left in the TPM that no entry records. */
#include "resmgr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "cmdattrs.h"
#include "frame.h"
#include "log.h"
#include "proxyrc.h"
#include "resmgr-internal.h"
#include "tpmcmd.h"

/* TPM2 Part 1, 18.6: at most three sessions in a command. */
#define RM_MAX_SESSIONS 3
/* TPMA_CC.cHandles is three bits. */
#define RM_MAX_HANDLES 7

/* One client command while it is being prepared, sent and committed. */
struct rm_txn {
	struct rm_owner *owner;
	TPMA_CC attrs;
	uint32_t code;
	uint8_t *cmd;
	size_t len;
	unsigned nhandles;
	struct rm_entry *handles[RM_MAX_HANDLES];
	unsigned nsessions;
	struct rm_entry *sessions[RM_MAX_SESSIONS];
	uint8_t session_attrs[RM_MAX_SESSIONS];
	size_t session_offsets[RM_MAX_SESSIONS];
};

/* Create a resource manager on an open backend. */
int
resmgr_new(struct backend *be, const struct cmdattrs *attrs,
    const struct resmgr_limits *limits, struct resmgr **out)
{
	struct resmgr *rm;

	rm = calloc(1, sizeof(*rm));
	if (rm == NULL)
		return -ENOMEM;
	rm->be = be;
	rm->instance = backend_instance(be);
	rm->attrs = attrs;
	rm->limits = *limits;
	if (rm->limits.object_slots == 0)
		rm->limits.object_slots = 1;
	if (rm->limits.session_slots == 0)
		rm->limits.session_slots = 1;
	TAILQ_INIT(&rm->owners);
	TAILQ_INIT(&rm->groups);
	TAILQ_INIT(&rm->client_saved);
	TAILQ_INIT(&rm->loaded_objects);
	TAILQ_INIT(&rm->loaded_sessions);
	TAILQ_INIT(&rm->saved_sessions);
	*out = rm;
	return 0;
}

/* Commands a client may not send to the shared TPM get an answer from the
 * proxy; returns the response size, or 0 to go on. */
static size_t
rm_answer_locally(struct resmgr *rm, uint32_t code, TPMA_CC *attrs,
    uint8_t *rsp, size_t cap)
{
	switch (code) {
	case TPM2_CC_Startup:
		/* The TPM is started already; a real one says so. */
		return frame_error_response(rsp, cap, TPM2_RC_INITIALIZE);
	case TPM2_CC_Shutdown:
		/* Other clients still use the TPM. */
		return frame_error_response(rsp, cap, TPM2_RC_SUCCESS);
	default:
		break;
	}
	/* Without its attributes we cannot find the handles in a command. */
	if (cmdattrs_lookup(rm->attrs, code, attrs) != 0)
		return rm_error(rsp, cap, TPM2_RC_COMMAND_CODE);
	return 0;
}

/* Map the handle area: each transient or session handle must be one the
 * client holds (TPM_RC_HANDLE for handle n otherwise). */
static uint32_t
rm_prepare_handles(struct resmgr *rm, struct rm_txn *t)
{
	t->nhandles = cmdattrs_handles(t->attrs);
	if (t->len < FRAME_HEADER_SIZE + 4 * (size_t)t->nhandles)
		return PROXY_RC(TPM2_RC_COMMAND_SIZE);
	for (unsigned i = 0; i < t->nhandles; i++) {
		uint32_t h = frame_get_u32(t->cmd + FRAME_HEADER_SIZE + 4 * i);

		if (!rm_is_transient(h) && !rm_is_session(h))
			continue;
		t->handles[i] = rm_entry_find(t->owner, h);
		if (t->handles[i] == NULL) {
			rm->stats.denied++;
			return PROXY_RC(TPM2_RC_HANDLE + TPM2_RC_H +
			    TPM2_RC_1 * (i + 1));
		}
	}
	return TPM2_RC_SUCCESS;
}

/* Start reading a command's authorization area (TPM2 Part 1, 18.6), after
 * its nhandles handles: r is left at the first session, *end where the
 * area ends. */
static uint32_t
rm_auth_begin(struct frame_reader *r, const uint8_t *cmd, size_t len,
    unsigned nhandles, size_t *end)
{
	uint32_t auth_size;

	frame_reader_init(r, cmd, len);
	if (frame_skip(r, FRAME_HEADER_SIZE + 4 * (size_t)nhandles) != 0 ||
	    frame_read_u32(r, &auth_size) != 0 || auth_size > len - r->off)
		return PROXY_RC(TPM2_RC_AUTHSIZE);
	*end = r->off + auth_size;
	return TPM2_RC_SUCCESS;
}

/* Read the next session of the area, n having been read: its handle and
 * attributes; at most RM_MAX_SESSIONS, each inside the area. */
static uint32_t
rm_auth_next(struct frame_reader *r, size_t end, unsigned n, uint32_t *handle,
    uint8_t *attrs)
{
	if (n == RM_MAX_SESSIONS || frame_read_u32(r, handle) != 0 ||
	    frame_skip_sized(r) != 0 || frame_read_u8(r, attrs) != 0 ||
	    frame_skip_sized(r) != 0 || r->off > end)
		return PROXY_RC(TPM2_RC_AUTHSIZE);
	return TPM2_RC_SUCCESS;
}

/* Map the authorization area: every session must be the client's own
 * (TPM_RC_HANDLE for session n otherwise). */
static uint32_t
rm_prepare_sessions(struct resmgr *rm, struct rm_txn *t)
{
	struct frame_reader r;
	uint32_t h, rc;
	size_t end;

	if (frame_get_u16(t->cmd) != FRAME_TAG_SESSIONS)
		return TPM2_RC_SUCCESS;
	rc = rm_auth_begin(&r, t->cmd, t->len, t->nhandles, &end);
	if (rc != TPM2_RC_SUCCESS)
		return rc;
	while (r.off < end) {
		unsigned n = t->nsessions;
		size_t at = r.off;
		uint8_t attrs;

		rc = rm_auth_next(&r, end, n, &h, &attrs);
		if (rc != TPM2_RC_SUCCESS)
			return rc;
		t->nsessions++;
		t->session_offsets[n] = at;
		t->session_attrs[n] = attrs;
		if (!rm_is_session(h))
			continue;
		t->sessions[n] = rm_entry_find(t->owner, h);
		if (t->sessions[n] == NULL) {
			rm->stats.denied++;
			return PROXY_RC(TPM2_RC_HANDLE + TPM2_RC_S +
			    TPM2_RC_1 * (n + 1));
		}
	}
	return TPM2_RC_SUCCESS;
}

/* Pin an entry for this command, load it if it is swapped out, and write
 * the TPM's handle where the client's was. */
static uint32_t
rm_prepare_entry(struct resmgr *rm, struct rm_entry *e, uint8_t *where)
{
	uint32_t rc;

	e->pinned = true;
	rc = rm_load(rm, e);
	if (rc != TPM2_RC_SUCCESS)
		return rc;
	rm_entry_touch(rm, e);
	frame_put_u32(where, e->phandle);
	return TPM2_RC_SUCCESS;
}

/* Load and map everything the command names; pinned entries stay put
 * while others are swapped out to make room. */
static uint32_t
rm_prepare(struct resmgr *rm, struct rm_txn *t)
{
	uint32_t rc;

	rc = rm_prepare_handles(rm, t);
	if (rc == TPM2_RC_SUCCESS)
		rc = rm_prepare_sessions(rm, t);
	if (rc == TPM2_RC_SUCCESS)
		rc = rm_quota_check(rm, t->owner, t->code, t->cmd, t->len,
		    t->nhandles);
	if (rc == TPM2_RC_SUCCESS && cmdattrs_has_rhandle(t->attrs) &&
	    t->code != TPM2_CC_StartAuthSession)
		rc = rm_quota_check_object(rm, t->owner);
	for (unsigned i = 0; i < t->nhandles && rc == TPM2_RC_SUCCESS; i++) {
		if (t->handles[i] != NULL)
			t->handles[i]->pinned = true;
	}
	for (unsigned i = 0; i < t->nsessions && rc == TPM2_RC_SUCCESS; i++) {
		if (t->sessions[i] != NULL)
			t->sessions[i]->pinned = true;
	}
	for (unsigned i = 0; i < t->nhandles && rc == TPM2_RC_SUCCESS; i++) {
		if (t->handles[i] != NULL)
			rc = rm_prepare_entry(rm, t->handles[i],
			    t->cmd + FRAME_HEADER_SIZE + 4 * i);
	}
	for (unsigned i = 0; i < t->nsessions && rc == TPM2_RC_SUCCESS; i++) {
		if (t->sessions[i] != NULL)
			rc = rm_prepare_entry(rm, t->sessions[i],
			    t->cmd + t->session_offsets[i]);
	}
	if (rc == TPM2_RC_SUCCESS && cmdattrs_has_rhandle(t->attrs))
		rm_make_room(rm, t->code == TPM2_CC_StartAuthSession ?
		    RM_SESSION : RM_OBJECT);
	if (t->code == TPM2_CC_ContextSave || t->code == TPM2_CC_StartAuthSession)
		rm_gap_check(rm);
	return rc;
}

/* Unpin what the command used. */
static void
rm_release(struct rm_txn *t)
{
	for (unsigned i = 0; i < t->nhandles; i++) {
		if (t->handles[i] != NULL)
			t->handles[i]->pinned = false;
	}
	for (unsigned i = 0; i < t->nsessions; i++) {
		if (t->sessions[i] != NULL)
			t->sessions[i]->pinned = false;
	}
}

/* The kind of a transient object a command creates. */
static enum rm_kind
rm_created_kind(uint32_t code, uint32_t handle)
{
	if (rm_is_session(handle))
		return RM_SESSION;
	switch (code) {
	case TPM2_CC_HashSequenceStart:
	case TPM2_CC_HMAC_Start:   /* also TPM2_MAC_Start: the same code */
		return RM_SEQUENCE;
	default:
		return RM_OBJECT;
	}
}

/* Record a handle the TPM created and give the client its own name for it;
 * if we cannot keep track of it, it must not stay in the TPM. */
static size_t
rm_commit_created(struct resmgr *rm, struct rm_txn *t, uint8_t *rsp,
    size_t rsp_len, size_t cap)
{
	uint32_t handle;
	struct rm_entry *e;

	if (rsp_len < FRAME_HEADER_SIZE + 4)
		return rsp_len;
	handle = frame_get_u32(rsp + FRAME_HEADER_SIZE);
	if (!rm_is_transient(handle) && !rm_is_session(handle))
		return rsp_len;
	if (rm_handle_taken(rm, handle, NULL))
		return frame_error_response(rsp, cap,
		    rm_tpm_forgot(rm, handle));
	e = rm_entry_new(rm, t->owner, rm_created_kind(t->code, handle), handle);
	if (e == NULL) {
		tpmcmd_flush_context(rm->be, handle);
		return rm_error(rsp, cap, TPM2_RC_MEMORY);
	}
	frame_put_u32(rsp + FRAME_HEADER_SIZE, e->vhandle);
	return rsp_len;
}

/* A client saved one of its sessions: the TPM no longer holds it loaded,
 * and the session now belongs to the client's identity, which may load it
 * again from another connection (as tpm2-tools do across processes). */
static void
rm_commit_client_saved(struct resmgr *rm, struct rm_entry *e,
    const uint8_t *rsp, size_t rsp_len)
{
	size_t len = rsp_len - FRAME_HEADER_SIZE, held = 0;
	struct rm_entry *s;
	uint8_t *copy, *given;

	copy = malloc(len ? len : 1);
	given = malloc(len ? len : 1);
	if (copy == NULL || given == NULL) {
		free(copy);
		free(given);
		/* Without a copy we cannot regap it; the client's blob still
		 * works until the gap catches up with it. */
		log_warnx("out of memory keeping session 0x%08x", e->vhandle);
		return;
	}
	memcpy(copy, rsp + FRAME_HEADER_SIZE, len);
	memcpy(given, rsp + FRAME_HEADER_SIZE, len);
	free(e->client_context);
	e->client_context = given;
	e->client_context_len = len;
	rm_entry_set_client_saved(rm, e);
	rm_session_saved(rm, e, copy, len);
	/* Sessions saved and abandoned must not fill the TPM (64 active
	 * sessions on most): beyond the bound the oldest one goes. */
	TAILQ_FOREACH(s, &rm->client_saved, owner_entry)
		held++;
	if (held > rm->limits.max_client_saved) {
		s = TAILQ_FIRST(&rm->client_saved);
		log_warnx("%zu client-saved sessions; flushing 0x%08x", held,
		    s->vhandle);
		rm_flush(rm, s);
	}
}

/* The TPM no longer holds e: drop every reference the command has to it
 * (the same handle may appear twice) and forget it. */
static void
rm_txn_forget(struct resmgr *rm, struct rm_txn *t, struct rm_entry *e)
{
	for (unsigned i = 0; i < t->nhandles; i++) {
		if (t->handles[i] == e)
			t->handles[i] = NULL;
	}
	for (unsigned i = 0; i < t->nsessions; i++) {
		if (t->sessions[i] == e)
			t->sessions[i] = NULL;
	}
	rm_entry_free(rm, e);
}

/* After a successful command: handles the TPM flushed or created, and
 * sessions the client saved or ended. */
static size_t
rm_commit(struct resmgr *rm, struct rm_txn *t, uint8_t *rsp, size_t rsp_len,
    size_t cap)
{
	rm_quota_commit(rm, t->owner, t->code, t->cmd, t->len, t->nhandles);
	for (unsigned i = 0; i < t->nsessions; i++) {
		/* TPM2 Part 2, 8.4: continueSession clear ends the session
		 * with the command. */
		if (t->sessions[i] != NULL &&
		    !(t->session_attrs[i] & TPMA_SESSION_CONTINUESESSION))
			rm_txn_forget(rm, t, t->sessions[i]);
	}
	if (cmdattrs_flushes(t->attrs)) {
		/* TPMA_CC.flushed: the transient handles are gone. */
		for (unsigned i = 0; i < t->nhandles; i++) {
			if (t->handles[i] != NULL &&
			    t->handles[i]->kind != RM_SESSION)
				rm_txn_forget(rm, t, t->handles[i]);
		}
	}
	if (t->code == TPM2_CC_ContextSave && t->handles[0] != NULL &&
	    t->handles[0]->kind == RM_SESSION) {
		struct rm_entry *saved = t->handles[0];

		/* Unpinned and out of the command: it is the identity's now. */
		saved->pinned = false;
		t->handles[0] = NULL;
		rm_commit_client_saved(rm, saved, rsp, rsp_len);
	}
	if (cmdattrs_has_rhandle(t->attrs))
		return rm_commit_created(rm, t, rsp, rsp_len, cap);
	return rsp_len;
}

/* The command's own handling: special commands first, then the generic
 * prepare, send and commit. */
static size_t
rm_dispatch(struct resmgr *rm, struct rm_txn *t, uint8_t *rsp, size_t cap)
{
	size_t rsp_len;
	uint32_t rc;

	switch (t->code) {
	case TPM2_CC_FlushContext:
		return rm_flush_context(rm, t->owner, t->cmd, t->len, rsp, cap);
	case TPM2_CC_ContextLoad:
		return rm_context_load(rm, t->owner, t->cmd, t->len, rsp, cap);
	case TPM2_CC_GetCapability:
		rsp_len = rm_get_capability(rm, t->owner, t->cmd, t->len, rsp,
		    cap);
		if (rsp_len != 0)
			return rsp_len;
		break;
	default:
		break;
	}
	rc = rm_prepare(rm, t);
	if (rc != TPM2_RC_SUCCESS) {
		rm_release(t);
		/* The proxy's own refusals carry the RM layer already; a TPM
		 * error while loading a context is passed on as it is. */
		return frame_error_response(rsp, cap, rc);
	}
	rsp_len = rm_transact(rm, t->cmd, t->len, rsp, cap);
	if (frame_get_u32(rsp + 6) == TPM2_RC_SUCCESS)
		rsp_len = rm_commit(rm, t, rsp, rsp_len, cap);
	rm_release(t);
	return rsp_len;
}

/* Before anything reaches the TPM: reach it again if it was lost, and
 * when it was, forget what the tables record (backend.c), since none of it
 * is in the TPM now and nothing of it may reach the TPM that came back,
 * where its handles may name other clients' objects. 0 when the TPM
 * answers. */
static int
rm_check_tpm(struct resmgr *rm)
{
	int ready = backend_ready(rm->be);
	uint64_t instance = backend_instance(rm->be);
	size_t owners = 0, n;
	struct rm_owner *o;

	if (instance != rm->instance) {
		rm->instance = instance;
		rm->sweep = true;
		n = rm_forget_all(rm);
		rm->stats.dropped += n;
		TAILQ_FOREACH(o, &rm->owners, entry)
			owners++;
		log_warnx("forgot the %zu objects and sessions held in the "
		    "lost TPM (%zu connections open): their handles answer "
		    "TPM_RC_HANDLE now, none is loaded again", n, owners);
	}
	if (ready == 0 && rm->sweep) {
		rm->sweep = false;
		rm_sweep(rm);
	}
	return ready;
}

/* Run one client command; always returns a response (the TPM's or the
 * proxy's own error) of at most rsp_cap bytes. cmd is rewritten. */
size_t
resmgr_execute(struct resmgr *rm, const struct resmgr_client *client,
    uint8_t *cmd, size_t cmd_len, uint8_t *rsp, size_t rsp_cap)
{
	struct frame_header hdr;
	struct rm_txn t;
	size_t local;

	rm->stats.commands++;
	if (frame_check(cmd, cmd_len, (uint32_t)cmd_len, &hdr) != FRAME_READY ||
	    hdr.size != cmd_len)
		return frame_error_response(rsp, rsp_cap, PROXY_RC_MALFORMED);
	memset(&t, 0, sizeof(t));
	t.code = hdr.code;
	t.cmd = cmd;
	t.len = cmd_len;
	local = rm_answer_locally(rm, hdr.code, &t.attrs, rsp, rsp_cap);
	if (local != 0) {
		rm->stats.answered++;
		return local;
	}
	t.owner = rm_owner_get(rm, client);
	if (t.owner == NULL)
		return frame_error_response(rsp, rsp_cap, PROXY_RC_MEMORY);
	if (rm_check_tpm(rm) != 0)
		return frame_error_response(rsp, rsp_cap, PROXY_RC_IO_ERROR);
	return rm_dispatch(rm, &t, rsp, rsp_cap);
}

/* Whether a handle a command names needs nothing swapped in: it is not a
 * transient object or session, or it is one the owner holds and the TPM
 * has loaded now (a handle the owner does not hold counts as not loaded:
 * the command is then simply taken in its turn, and refused there). */
static bool
rm_resident_handle(const struct resmgr *rm, uint64_t owner, uint32_t handle)
{
	const struct rm_entry *e;

	if (rm_is_session(handle)) {
		TAILQ_FOREACH(e, &rm->loaded_sessions, lru_entry) {
			if (e->owner != NULL && e->owner->id == owner &&
			    e->vhandle == handle)
				return true;
		}
		return false;
	}
	if (!rm_is_transient(handle))
		return true;
	TAILQ_FOREACH(e, &rm->loaded_objects, lru_entry) {
		if (e->owner != NULL && e->owner->id == owner &&
		    e->vhandle == handle)
			return true;
	}
	return false;
}

/* Whether every transient object and session a queued command names, in
 * its handle area and its authorization area, is loaded for its owner
 * now, so that running it swaps nothing in. Changes nothing; looks only
 * at the few loaded entries, whatever the number of clients. A command
 * that cannot be read is not resident: it runs in its turn. */
bool
resmgr_resident(const struct resmgr *rm, uint64_t owner, const uint8_t *cmd,
    size_t len)
{
	struct frame_reader r;
	TPMA_CC attrs;
	unsigned nhandles, n = 0;
	uint32_t handle;
	uint8_t session_attrs;
	size_t end;

	if (len < FRAME_HEADER_SIZE ||
	    cmdattrs_lookup(rm->attrs, frame_get_u32(cmd + 6), &attrs) != 0)
		return false;
	nhandles = cmdattrs_handles(attrs);
	if (len < FRAME_HEADER_SIZE + 4 * (size_t)nhandles)
		return false;
	for (unsigned i = 0; i < nhandles; i++) {
		if (!rm_resident_handle(rm, owner,
		    frame_get_u32(cmd + FRAME_HEADER_SIZE + 4 * i)))
			return false;
	}
	if (frame_get_u16(cmd) != FRAME_TAG_SESSIONS)
		return true;
	if (rm_auth_begin(&r, cmd, len, nhandles, &end) != TPM2_RC_SUCCESS)
		return false;
	while (r.off < end) {
		if (rm_auth_next(&r, end, n++, &handle, &session_attrs) !=
		    TPM2_RC_SUCCESS || !rm_resident_handle(rm, owner, handle))
			return false;
	}
	return true;
}

/* Flush everything a connection held; sessions its identity saved stay,
 * but those it saved itself are abandoned now: its group's next session
 * save over the quota may flush them (rm_quota_reclaim_saved). */
void
resmgr_owner_gone(struct resmgr *rm, uint64_t owner)
{
	struct rm_owner *o;
	struct rm_entry *e;

	rm_check_tpm(rm);
	TAILQ_FOREACH(e, &rm->client_saved, owner_entry) {
		if (e->saver == owner)
			e->saver = 0;
	}
	o = rm_owner_find(rm, owner);
	if (o == NULL)
		return;
	while ((e = TAILQ_FIRST(&o->entries)) != NULL) {
		log_debug("owner %llu gone: flushing 0x%08x",
		    (unsigned long long)owner, e->vhandle);
		rm_flush(rm, e);
		rm->stats.flushed++;
	}
	rm_owner_free(rm, o);
}

/* How many handles a connection holds (for tests and status). */
size_t
resmgr_owner_handles(const struct resmgr *rm, uint64_t owner)
{
	const struct rm_owner *o;

	TAILQ_FOREACH(o, &rm->owners, entry) {
		if (o->id == owner)
			return o->count;
	}
	return 0;
}

/* Objects and sessions the resource manager keeps loaded in the TPM. */
size_t
resmgr_loaded(const struct resmgr *rm)
{
	return rm->nloaded_objects + rm->nloaded_sessions;
}

/* What a quota group holds now; -1 if it holds nothing. */
int
resmgr_group_usage(const struct resmgr *rm, uint64_t group,
    struct resmgr_quota *usage)
{
	const struct rm_group *g = rm_group_find(rm, group);

	if (g == NULL)
		return -1;
	*usage = g->used;
	return 0;
}

/* Counters for status and metrics. */
const struct resmgr_stats *
resmgr_stats(const struct resmgr *rm)
{
	return &rm->stats;
}

/* Copy the counters and what each connection holds, for status output. */
int
resmgr_snapshot(const struct resmgr *rm, struct resmgr_snapshot *out)
{
	const struct backend_stats *bs = backend_stats(rm->be);
	const struct rm_owner *o;
	const struct rm_entry *e;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	out->stats = rm->stats;
	out->tpm_commands = bs->commands;
	out->backend_reopens = bs->reopens;
	out->backend_failures = bs->failures;
	out->backend_up = bs->up;
	out->loaded_objects = (unsigned)rm->nloaded_objects;
	out->loaded_sessions = (unsigned)rm->nloaded_sessions;
	out->object_slots = rm->limits.object_slots;
	out->session_slots = rm->limits.session_slots;
	TAILQ_FOREACH(e, &rm->client_saved, owner_entry)
		out->client_saved++;
	TAILQ_FOREACH(o, &rm->owners, entry)
		n++;
	out->owners = calloc(n ? n : 1, sizeof(*out->owners));
	if (out->owners == NULL)
		return -ENOMEM;
	TAILQ_FOREACH(o, &rm->owners, entry) {
		struct resmgr_owner_usage *u = &out->owners[out->nowners++];

		u->owner = o->id;
		TAILQ_FOREACH(e, &o->entries, owner_entry) {
			if (e->kind == RM_SESSION)
				u->sessions++;
			else
				u->objects++;
		}
	}
	return 0;
}

/* Free what resmgr_snapshot allocated. */
void
resmgr_snapshot_free(struct resmgr_snapshot *s)
{
	free(s->owners);
	s->owners = NULL;
	s->nowners = 0;
}

/* Flush what every owner and identity holds and free the manager. */
void
resmgr_free(struct resmgr *rm)
{
	struct rm_group *g;
	struct rm_entry *e;

	if (rm == NULL)
		return;
	rm_check_tpm(rm);
	while (!TAILQ_EMPTY(&rm->owners))
		resmgr_owner_gone(rm, TAILQ_FIRST(&rm->owners)->id);
	while ((e = TAILQ_FIRST(&rm->client_saved)) != NULL) {
		log_debug("flushing client-saved session 0x%08x", e->vhandle);
		rm_flush(rm, e);
		rm->stats.flushed++;
	}
	while ((g = TAILQ_FIRST(&rm->groups)) != NULL) {
		/* Only groups kept for their NV indices are left. */
		TAILQ_REMOVE(&rm->groups, g, entry);
		free(g->nv);
		free(g);
	}
	free(rm);
}

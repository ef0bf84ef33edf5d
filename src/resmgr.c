/* SPDX-License-Identifier: BSD-2-Clause */
/* Resource manager: runs client commands on the TPM thread and tracks what
 * each owner left loaded, so that it can be flushed when the owner goes.
 *
 * This is the foundation slice: handles are physical and ownership is only
 * recorded for clean-up. Virtual handles, ownership checks and swapping
 * replace it in the resource-manager issue. */
#include "resmgr.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <tss2/tss2_tpm2_types.h>

#include "backend.h"
#include "cmdattrs.h"
#include "frame.h"
#include "log.h"
#include "proxyrc.h"
#include "tpmcmd.h"

/* Most handles one owner may leave loaded before the RM refuses more. */
#define RESMGR_MAX_OWNER_HANDLES 64
/* Sessions clients saved and may load again later (TPM2 Part 2 allows 64
 * active sessions on most TPMs); the oldest is flushed beyond this. */
#define RESMGR_MAX_SAVED_SESSIONS 32

struct resmgr_owner {
	uint64_t id;
	size_t count;
	uint32_t handles[RESMGR_MAX_OWNER_HANDLES];
	TAILQ_ENTRY(resmgr_owner) entry;
};

struct resmgr {
	struct backend *be;
	const struct cmdattrs *attrs;
	TAILQ_HEAD(, resmgr_owner) owners;
	/* Sessions a client saved with ContextSave: no connection owns them
	 * (a tool may load them in its next process), but the daemon flushes
	 * them when it stops, so the TPM returns to its baseline. */
	uint32_t saved[RESMGR_MAX_SAVED_SESSIONS];
	size_t nsaved;
	struct resmgr_stats stats;
};

/* Create a resource manager on an open backend. */
int
resmgr_new(struct backend *be, const struct cmdattrs *attrs,
    struct resmgr **out)
{
	struct resmgr *rm;

	rm = calloc(1, sizeof(*rm));
	if (rm == NULL)
		return -ENOMEM;
	rm->be = be;
	rm->attrs = attrs;
	TAILQ_INIT(&rm->owners);
	*out = rm;
	return 0;
}

/* Find an owner's record, creating it if asked to. */
static struct resmgr_owner *
resmgr_owner_find(struct resmgr *rm, uint64_t id, bool create)
{
	struct resmgr_owner *o;

	TAILQ_FOREACH(o, &rm->owners, entry) {
		if (o->id == id)
			return o;
	}
	if (!create)
		return NULL;
	o = calloc(1, sizeof(*o));
	if (o == NULL)
		return NULL;
	o->id = id;
	TAILQ_INSERT_HEAD(&rm->owners, o, entry);
	return o;
}

/* Whether the TPM must be asked to flush h when its owner leaves. */
static bool
resmgr_is_flushable(uint32_t h)
{
	uint8_t type = (uint8_t)(h >> TPM2_HR_SHIFT);

	return type == TPM2_HT_TRANSIENT || type == TPM2_HT_HMAC_SESSION ||
	    type == TPM2_HT_POLICY_SESSION;
}

/* Record that the owner holds h in the TPM. */
static void
resmgr_owner_add(struct resmgr *rm, uint64_t id, uint32_t h)
{
	struct resmgr_owner *o;

	if (!resmgr_is_flushable(h))
		return;
	o = resmgr_owner_find(rm, id, true);
	if (o == NULL)
		return;
	for (size_t i = 0; i < o->count; i++) {
		if (o->handles[i] == h)
			return;
	}
	if (o->count == RESMGR_MAX_OWNER_HANDLES) {
		/* Better to flush now than to lose track and leak it. */
		log_warnx("owner %llu holds too many handles; flushing 0x%08x",
		    (unsigned long long)id, h);
		tpmcmd_flush_context(rm->be, h);
		return;
	}
	o->handles[o->count++] = h;
}

/* Forget h: the TPM flushed it, or the client saved a session. */
static void
resmgr_owner_remove(struct resmgr *rm, uint64_t id, uint32_t h)
{
	struct resmgr_owner *o = resmgr_owner_find(rm, id, false);

	if (o == NULL)
		return;
	for (size_t i = 0; i < o->count; i++) {
		if (o->handles[i] == h) {
			o->handles[i] = o->handles[--o->count];
			return;
		}
	}
}

/* Forget a client-saved session: loaded again, or flushed. */
static void
resmgr_saved_remove(struct resmgr *rm, uint32_t h)
{
	for (size_t i = 0; i < rm->nsaved; i++) {
		if (rm->saved[i] == h) {
			memmove(&rm->saved[i], &rm->saved[i + 1],
			    (rm->nsaved - i - 1) * sizeof(rm->saved[0]));
			rm->nsaved--;
			return;
		}
	}
}

/* Remember a session a client saved, flushing the oldest beyond the bound
 * rather than letting abandoned sessions fill the TPM. */
static void
resmgr_saved_add(struct resmgr *rm, uint32_t h)
{
	resmgr_saved_remove(rm, h);
	if (rm->nsaved == RESMGR_MAX_SAVED_SESSIONS) {
		log_warnx("too many client-saved sessions; flushing 0x%08x",
		    rm->saved[0]);
		tpmcmd_flush_context(rm->be, rm->saved[0]);
		resmgr_saved_remove(rm, rm->saved[0]);
	}
	rm->saved[rm->nsaved++] = h;
}

/* Sessions with continueSession clear end with a successful command
 * (TPM2 Part 2, 8.4: TPMA_SESSION.continueSession). */
static void
resmgr_track_auth_area(struct resmgr *rm, uint64_t id, unsigned handles,
    const uint8_t *cmd, size_t cmd_len)
{
	struct frame_reader r;
	uint32_t auth_size, session;
	uint8_t attrs;
	size_t end;

	frame_reader_init(&r, cmd, cmd_len);
	if (frame_skip(&r, FRAME_HEADER_SIZE + 4 * (size_t)handles) != 0 ||
	    frame_read_u32(&r, &auth_size) != 0 ||
	    auth_size > cmd_len - r.off)
		return;
	end = r.off + auth_size;
	while (r.off < end) {
		if (frame_read_u32(&r, &session) != 0 ||
		    frame_skip_sized(&r) != 0 ||
		    frame_read_u8(&r, &attrs) != 0 ||
		    frame_skip_sized(&r) != 0)
			return;
		if ((attrs & TPMA_SESSION_CONTINUESESSION) == 0)
			resmgr_owner_remove(rm, id, session);
	}
}

/* After a successful command, note handles created and flushed. */
static void
resmgr_track(struct resmgr *rm, uint64_t id, TPMA_CC attrs,
    const struct frame_header *hdr, const uint8_t *cmd, size_t cmd_len,
    const uint8_t *rsp, size_t rsp_len)
{
	unsigned handles = cmdattrs_handles(attrs);
	uint32_t first = 0;

	if (cmd_len >= FRAME_HEADER_SIZE + 4)
		first = frame_get_u32(cmd + FRAME_HEADER_SIZE);
	if (hdr->tag == FRAME_TAG_SESSIONS)
		resmgr_track_auth_area(rm, id, handles, cmd, cmd_len);
	if (cmdattrs_flushes(attrs) && handles > 0)
		resmgr_owner_remove(rm, id, first);
	switch (hdr->code) {
	case TPM2_CC_FlushContext:
		resmgr_owner_remove(rm, id, first);
		resmgr_saved_remove(rm, first);
		break;
	case TPM2_CC_ContextSave:
		/* A saved session leaves the TPM's memory; the client now
		 * holds it (TPM2 Part 1, 30.3), so flushing it on disconnect
		 * would destroy the blob it kept. */
		if ((first >> TPM2_HR_SHIFT) != TPM2_HT_TRANSIENT) {
			resmgr_owner_remove(rm, id, first);
			resmgr_saved_add(rm, first);
		}
		break;
	default:
		break;
	}
	if (cmdattrs_has_rhandle(attrs) &&
	    rsp_len >= FRAME_HEADER_SIZE + 4) {
		uint32_t created = frame_get_u32(rsp + FRAME_HEADER_SIZE);

		resmgr_saved_remove(rm, created);
		resmgr_owner_add(rm, id, created);
	}
}

/* Commands a client may not send to the shared TPM get an answer from the
 * proxy; returns the response size, or 0 to forward the command. */
static size_t
resmgr_answer_locally(struct resmgr *rm, const struct frame_header *hdr,
    uint8_t *rsp, size_t rsp_cap)
{
	TPMA_CC attrs;

	switch (hdr->code) {
	case TPM2_CC_Startup:
		/* The TPM is started already; a real one says so. */
		return frame_error_response(rsp, rsp_cap, TPM2_RC_INITIALIZE);
	case TPM2_CC_Shutdown:
		/* Other clients still use the TPM. */
		return frame_error_response(rsp, rsp_cap, TPM2_RC_SUCCESS);
	default:
		break;
	}
	if (cmdattrs_lookup(rm->attrs, hdr->code, &attrs) != 0)
		return frame_error_response(rsp, rsp_cap, TPM2_RC_COMMAND_CODE);
	return 0;
}

/* Run one client command; always returns a response (the TPM's or the
 * proxy's own error) of at most rsp_cap bytes. */
size_t
resmgr_execute(struct resmgr *rm, uint64_t owner, const uint8_t *cmd,
    size_t cmd_len, uint8_t *rsp, size_t rsp_cap)
{
	struct frame_header hdr;
	TPMA_CC attrs = 0;
	size_t rsp_len, local;

	rm->stats.commands++;
	if (frame_check(cmd, cmd_len, (uint32_t)cmd_len, &hdr) != FRAME_READY ||
	    hdr.size != cmd_len)
		return frame_error_response(rsp, rsp_cap, PROXY_RC_MALFORMED);
	local = resmgr_answer_locally(rm, &hdr, rsp, rsp_cap);
	if (local != 0) {
		rm->stats.answered++;
		return local;
	}
	cmdattrs_lookup(rm->attrs, hdr.code, &attrs);
	rsp_len = rsp_cap;
	if (backend_transact(rm->be, cmd, cmd_len, rsp, &rsp_len) != 0)
		return frame_error_response(rsp, rsp_cap, PROXY_RC_IO_ERROR);
	if (frame_get_u32(rsp + 6) == TPM2_RC_SUCCESS)
		resmgr_track(rm, owner, attrs, &hdr, cmd, cmd_len, rsp, rsp_len);
	return rsp_len;
}

/* Flush everything an owner left in the TPM and forget it. */
void
resmgr_owner_gone(struct resmgr *rm, uint64_t owner)
{
	struct resmgr_owner *o = resmgr_owner_find(rm, owner, false);

	if (o == NULL)
		return;
	for (size_t i = 0; i < o->count; i++) {
		uint32_t rc = tpmcmd_flush_context(rm->be, o->handles[i]);

		log_debug("owner %llu gone: flushed 0x%08x (rc 0x%x)",
		    (unsigned long long)owner, o->handles[i], rc);
		rm->stats.flushed++;
	}
	TAILQ_REMOVE(&rm->owners, o, entry);
	free(o);
}

/* How many handles an owner holds (for tests and status). */
size_t
resmgr_owner_handles(const struct resmgr *rm, uint64_t owner)
{
	const struct resmgr_owner *o;

	TAILQ_FOREACH(o, &rm->owners, entry) {
		if (o->id == owner)
			return o->count;
	}
	return 0;
}

/* Counters for status and metrics. */
const struct resmgr_stats *
resmgr_stats(const struct resmgr *rm)
{
	return &rm->stats;
}

/* Flush what every remaining owner holds and free the manager. */
void
resmgr_free(struct resmgr *rm)
{
	if (rm == NULL)
		return;
	while (!TAILQ_EMPTY(&rm->owners))
		resmgr_owner_gone(rm, TAILQ_FIRST(&rm->owners)->id);
	for (size_t i = 0; i < rm->nsaved; i++) {
		log_debug("flushing client-saved session 0x%08x", rm->saved[i]);
		tpmcmd_flush_context(rm->be, rm->saved[i]);
		rm->stats.flushed++;
	}
	free(rm);
}

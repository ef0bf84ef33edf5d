/* SPDX-License-Identifier: BSD-2-Clause */
/* Commands the resource manager answers or reshapes itself: FlushContext,
 * ContextLoad and GetCapability(TPM_CAP_HANDLES), plus sending a command
 * with retries when the TPM is full. */
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "frame.h"
#include "log.h"
#include "proxyrc.h"
#include "resmgr-internal.h"
#include "tpmcmd.h"

/* Resends of one client command after making room or regapping. */
#define RM_TRANSACT_RETRIES 6

/* A header-only error response raised by the proxy. */
size_t
rm_error(uint8_t *rsp, size_t cap, uint32_t tpm_rc)
{
	return frame_error_response(rsp, cap, PROXY_RC(tpm_rc));
}

/* Send a command; when the TPM says it is full, swap something out and
 * send it again (a command that failed this way did not execute, so its
 * sessions are unchanged); on a context gap, regap and resend. */
size_t
rm_transact(struct resmgr *rm, const uint8_t *cmd, size_t len, uint8_t *rsp,
    size_t cap)
{
	size_t rsp_len;

	for (int attempt = 0;; attempt++) {
		uint32_t rc;
		bool again;

		rsp_len = cap;
		if (backend_transact(rm->be, cmd, len, rsp, &rsp_len) != 0)
			return frame_error_response(rsp, cap, PROXY_RC_IO_ERROR);
		rc = frame_get_u32(rsp + 6);
		if (attempt == RM_TRANSACT_RETRIES)
			break;
		switch (rc) {
		case TPM2_RC_OBJECT_MEMORY:
		case TPM2_RC_OBJECT_HANDLES:
			again = rm_evict_lru(rm, RM_OBJECT);
			break;
		case TPM2_RC_SESSION_MEMORY:
		case TPM2_RC_SESSION_HANDLES:
			again = rm_evict_lru(rm, RM_SESSION);
			break;
		case TPM2_RC_CONTEXT_GAP:
			again = rm_regap_oldest(rm) == TPM2_RC_SUCCESS;
			break;
		default:
			again = false;
			break;
		}
		if (!again)
			break;
		rm->stats.retries++;
	}
	return rsp_len;
}

/* TPM2_FlushContext (TPM2 Part 3, 28.4): the handle is a parameter, so a
 * handle the client does not own is TPM_RC_VALUE for parameter 1. An entry
 * swapped out is simply forgotten, without a TPM command. */
size_t
rm_flush_context(struct resmgr *rm, struct rm_owner *o, const uint8_t *cmd,
    size_t len, uint8_t *rsp, size_t cap)
{
	struct rm_entry *e = NULL;
	uint32_t handle, rc = TPM2_RC_SUCCESS;

	if (len != FRAME_HEADER_SIZE + 4)
		return rm_error(rsp, cap, TPM2_RC_COMMAND_SIZE);
	handle = frame_get_u32(cmd + FRAME_HEADER_SIZE);
	if (rm_is_transient(handle)) {
		e = rm_entry_find(o, handle);
	} else if (rm_is_session(handle)) {
		e = rm_entry_find(o, handle);
		if (e == NULL)
			e = rm_client_saved_find(rm, o->identity, handle);
	} else {
		return rm_transact(rm, cmd, len, rsp, cap);
	}
	if (e == NULL) {
		rm->stats.denied++;
		return rm_error(rsp, cap, TPM2_RC_VALUE + TPM2_RC_P + TPM2_RC_1);
	}
	if (e->state == RM_LOADED)
		rc = tpmcmd_flush_context(rm->be, e->phandle);
	else if (e->kind == RM_SESSION)
		rc = tpmcmd_flush_context(rm->be, e->vhandle);
	rm_entry_free(rm, e);
	return frame_error_response(rsp, cap, rc);
}

/* Answer a ContextLoad with one handle. */
static size_t
rm_handle_response(uint8_t *rsp, size_t cap, uint32_t handle)
{
	if (cap < FRAME_HEADER_SIZE + 4)
		return 0;
	frame_error_response(rsp, cap, TPM2_RC_SUCCESS);
	frame_put_u32(rsp + 2, FRAME_HEADER_SIZE + 4);
	frame_put_u32(rsp + FRAME_HEADER_SIZE, handle);
	return FRAME_HEADER_SIZE + 4;
}

/* A client loads a session it saved: it must be its identity's, and what
 * goes to the TPM is our newest context of it, which may have been
 * regapped since the client saved it. */
static size_t
rm_context_load_session(struct resmgr *rm, struct rm_owner *o,
    const uint8_t *context, size_t len, uint8_t *rsp, size_t cap)
{
	struct rm_entry *e = rm_client_saved_find(rm, o->identity,
	    rm_context_handle(context, len));
	uint32_t rc;

	/* Only the very blob handed out loads: not an older save of the
	 * same session, nor one altered on the way. */
	if (e != NULL && (e->client_context_len != len ||
	    memcmp(e->client_context, context, len) != 0))
		e = NULL;
	if (e == NULL) {
		rm->stats.denied++;
		return rm_error(rsp, cap, TPM2_RC_HANDLE + TPM2_RC_P + TPM2_RC_1);
	}
	if (rm_quota_full(o->quota.sessions, o->group->used.sessions)) {
		rm->stats.over_quota++;
		return rm_error(rsp, cap, TPM2_RC_SESSION_MEMORY);
	}
	rc = rm_load(rm, e);
	if (rc != TPM2_RC_SUCCESS)
		return frame_error_response(rsp, cap, rc);
	rm_entry_adopt(rm, e, o);
	return rm_handle_response(rsp, cap, e->vhandle);
}

/* TPM2_ContextLoad (TPM2 Part 3, 28.3) of a client's blob. An object's
 * blob becomes our saved context for it, so it is never saved again. */
size_t
rm_context_load(struct resmgr *rm, struct rm_owner *o, const uint8_t *cmd,
    size_t len, uint8_t *rsp, size_t cap)
{
	const uint8_t *context = cmd + FRAME_HEADER_SIZE;
	size_t context_len = len - FRAME_HEADER_SIZE, rsp_len;
	uint32_t saved_handle, rc;
	struct rm_entry *e;
	uint8_t *copy;

	/* sequence (8), savedHandle (4), hierarchy (4), contextBlob (2+n) */
	if (len < FRAME_HEADER_SIZE + 18 ||
	    context_len != 18 + (size_t)frame_get_u16(context + 16))
		return rm_error(rsp, cap, TPM2_RC_COMMAND_SIZE);
	saved_handle = rm_context_handle(context, context_len);
	if (rm_is_session(saved_handle))
		return rm_context_load_session(rm, o, context, context_len,
		    rsp, cap);
	rc = rm_quota_check_object(rm, o);
	if (rc != TPM2_RC_SUCCESS)
		return frame_error_response(rsp, cap, rc);
	rm_make_room(rm, RM_OBJECT);
	rsp_len = rm_transact(rm, cmd, len, rsp, cap);
	if (frame_get_u32(rsp + 6) != TPM2_RC_SUCCESS ||
	    rsp_len < FRAME_HEADER_SIZE + 4)
		return rsp_len;
	if (rm_handle_taken(rm, frame_get_u32(rsp + FRAME_HEADER_SIZE), NULL))
		return frame_error_response(rsp, cap, rm_tpm_forgot(rm,
		    frame_get_u32(rsp + FRAME_HEADER_SIZE)));
	/* TPM2 Part 3, 28.2: savedHandle 0x80000001 marks a sequence. */
	e = rm_entry_new(rm, o, saved_handle == 0x80000001 ? RM_SEQUENCE :
	    RM_OBJECT, frame_get_u32(rsp + FRAME_HEADER_SIZE));
	if (e == NULL) {
		tpmcmd_flush_context(rm->be, frame_get_u32(rsp + FRAME_HEADER_SIZE));
		return rm_error(rsp, cap, TPM2_RC_MEMORY);
	}
	if (e->kind == RM_OBJECT && (copy = malloc(context_len)) != NULL) {
		memcpy(copy, context, context_len);
		rm_entry_set_context(e, copy, context_len);
	}
	frame_put_u32(rsp + FRAME_HEADER_SIZE, e->vhandle);
	return rsp_len;
}

/* qsort order of handles within one range: by index. */
static int
rm_handle_compare(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa & 0xffffff;
	uint32_t b = *(const uint32_t *)pb & 0xffffff;

	return a < b ? -1 : a > b;
}

/* Collect the caller's handles of one range, sorted; -1 if the range is
 * not one we virtualise. */
static int
rm_collect_handles(struct resmgr *rm, struct rm_owner *o, uint32_t type,
    uint32_t **out, size_t *count)
{
	struct rm_entry *e;
	uint32_t *list;
	size_t n = 0, cap = o->count;

	if (type == TPM2_HT_SAVED_SESSION) {
		TAILQ_FOREACH(e, &rm->client_saved, owner_entry)
			cap++;
	} else if (type != TPM2_HT_TRANSIENT && type != TPM2_HT_LOADED_SESSION) {
		return -1;
	}
	list = calloc(cap ? cap : 1, sizeof(*list));
	if (list == NULL)
		return -2;
	if (type == TPM2_HT_SAVED_SESSION) {
		TAILQ_FOREACH(e, &rm->client_saved, owner_entry) {
			if (e->identity == o->identity)
				list[n++] = e->vhandle;
		}
	} else {
		TAILQ_FOREACH(e, &o->entries, owner_entry) {
			if ((type == TPM2_HT_TRANSIENT) == (e->kind != RM_SESSION))
				list[n++] = e->vhandle;
		}
	}
	qsort(list, n, sizeof(*list), rm_handle_compare);
	*out = list;
	*count = n;
	return 0;
}

/* TPM2_GetCapability(TPM_CAP_HANDLES) for transient objects and sessions
 * lists the caller's own handles only (TPM2 Part 3, 30.2: handles from
 * property on, at most propertyCount, moreData when some remain). Returns
 * 0 for other capabilities, which go to the TPM unchanged. */
size_t
rm_get_capability(struct resmgr *rm, struct rm_owner *o, const uint8_t *cmd,
    size_t len, uint8_t *rsp, size_t cap)
{
	uint32_t capability, property, wanted, *list;
	size_t count, first = 0, n, off;
	int r;

	if (len != FRAME_HEADER_SIZE + 12)
		return 0;
	capability = frame_get_u32(cmd + FRAME_HEADER_SIZE);
	property = frame_get_u32(cmd + FRAME_HEADER_SIZE + 4);
	wanted = frame_get_u32(cmd + FRAME_HEADER_SIZE + 8);
	if (capability != TPM2_CAP_HANDLES)
		return 0;
	r = rm_collect_handles(rm, o, property >> TPM2_HR_SHIFT, &list, &count);
	if (r == -1)
		return 0;
	if (r != 0)
		return rm_error(rsp, cap, TPM2_RC_MEMORY);
	while (first < count && (list[first] & 0xffffff) < (property & 0xffffff))
		first++;
	n = count - first;
	if (n > wanted)
		n = wanted;
	if (n > RM_CAP_HANDLES_MAX)
		n = RM_CAP_HANDLES_MAX;
	if (FRAME_HEADER_SIZE + 9 + 4 * n > cap) {
		free(list);
		return rm_error(rsp, cap, TPM2_RC_MEMORY);
	}
	off = FRAME_HEADER_SIZE;
	rsp[off++] = first + n < count;   /* moreData */
	frame_put_u32(rsp + off, TPM2_CAP_HANDLES);
	off += 4;
	frame_put_u32(rsp + off, (uint32_t)n);
	off += 4;
	for (size_t i = 0; i < n; i++, off += 4)
		frame_put_u32(rsp + off, list[first + i]);
	free(list);
	frame_put_u16(rsp, FRAME_TAG_NO_SESSIONS);
	frame_put_u32(rsp + 2, (uint32_t)off);
	frame_put_u32(rsp + 6, TPM2_RC_SUCCESS);
	rm->stats.answered++;
	return off;
}

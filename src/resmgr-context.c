/* SPDX-License-Identifier: BSD-2-Clause */
/* Resource manager residency: loading contexts back into the TPM, swapping
 * out the least recently used, and keeping saved sessions within the TPM's
 * context gap. Every TPM command the resource manager adds is here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "frame.h"
#include "log.h"
#include "proxyrc.h"
#include "resmgr-internal.h"
#include "tpmcmd.h"

/* Attempts at a context load that keeps meeting a full TPM. */
#define RM_LOAD_ATTEMPTS 4

/* The sequence field of a marshalled TPMS_CONTEXT (TPM2 Part 2, 14.5). */
static uint64_t
rm_context_sequence(const uint8_t *context, size_t len)
{
	if (len < 8)
		return 0;
	return (uint64_t)frame_get_u32(context) << 32 |
	    frame_get_u32(context + 4);
}

/* The savedHandle field of a marshalled TPMS_CONTEXT. */
uint32_t
rm_context_handle(const uint8_t *context, size_t len)
{
	return len < 12 ? 0 : frame_get_u32(context + 8);
}

/* Record a session context that was just saved (by us or the client). */
void
rm_session_saved(struct resmgr *rm, struct rm_entry *e, uint8_t *context,
    size_t len)
{
	rm_entry_set_context(e, context, len);
	e->sequence = rm_context_sequence(context, len);
	TAILQ_INSERT_TAIL(&rm->saved_sessions, e, saved_entry);
	if (e->sequence + 1 > rm->next_session_sequence)
		rm->next_session_sequence = e->sequence + 1;
}

/* ContextSave into a fresh buffer; the caller owns *context on success. */
static uint32_t
rm_save(struct resmgr *rm, uint32_t handle, uint8_t **context, size_t *len)
{
	uint8_t *buf, *shrunk;
	uint32_t rc;

	buf = malloc(RM_CONTEXT_MAX);
	if (buf == NULL)
		return PROXY_RC_MEMORY;
	*len = RM_CONTEXT_MAX;
	rc = tpmcmd_context_save(rm->be, handle, buf, len);
	if (rc != TPM2_RC_SUCCESS) {
		free(buf);
		return rc;
	}
	shrunk = realloc(buf, *len);
	*context = shrunk != NULL ? shrunk : buf;
	return TPM2_RC_SUCCESS;
}

/* Save a loaded session: it leaves its slot but stays active in the TPM. */
static uint32_t
rm_save_session(struct resmgr *rm, struct rm_entry *e)
{
	uint8_t *context;
	size_t len;
	uint32_t rc;

	/* Regapping may need a session slot: not this one. */
	e->pinned = true;
	rm_gap_check(rm);
	e->pinned = false;
	rc = rm_save(rm, e->phandle, &context, &len);
	if (rc == TPM2_RC_CONTEXT_GAP && rm_regap_oldest(rm) == TPM2_RC_SUCCESS)
		rc = rm_save(rm, e->phandle, &context, &len);
	if (rc != TPM2_RC_SUCCESS)
		return rc;
	rm_entry_set_unloaded(rm, e, RM_SAVED);
	rm_session_saved(rm, e, context, len);
	return TPM2_RC_SUCCESS;
}

/* Swap an entry out of the TPM. An object's context is saved the first
 * time only (objects never change, TPM2 Part 1, 30.2), so later evictions
 * cost one FlushContext; a sequence changes with every update and is saved
 * each time; a session is saved, which frees its slot. */
static uint32_t
rm_evict(struct resmgr *rm, struct rm_entry *e)
{
	uint8_t *context;
	size_t len;
	uint32_t rc;

	if (e->state != RM_LOADED || e->pinned)
		return PROXY_RC(TPM2_RC_FAILURE);
	if (e->kind == RM_SESSION) {
		rc = rm_save_session(rm, e);
	} else {
		if (e->kind == RM_SEQUENCE || e->context == NULL) {
			rc = rm_save(rm, e->phandle, &context, &len);
			if (rc != TPM2_RC_SUCCESS)
				return rc;
			rm_entry_set_context(e, context, len);
		}
		rc = tpmcmd_flush_context(rm->be, e->phandle);
		if (rc == TPM2_RC_SUCCESS)
			rm_entry_set_unloaded(rm, e, RM_SAVED);
	}
	if (rc == TPM2_RC_SUCCESS) {
		rm->stats.evictions++;
	} else {
		log_warnx("cannot swap out 0x%08x (TPM 0x%08x): 0x%x", e->vhandle,
		    e->phandle, rc);
	}
	return rc;
}

/* Swap out the least recently used unpinned entry of a kind's class. */
bool
rm_evict_lru(struct resmgr *rm, enum rm_kind kind)
{
	struct rm_entry_list *list = kind == RM_SESSION ? &rm->loaded_sessions :
	    &rm->loaded_objects;
	struct rm_entry *e;

	TAILQ_FOREACH(e, list, lru_entry) {
		if (!e->pinned)
			return rm_evict(rm, e) == TPM2_RC_SUCCESS;
	}
	return false;
}

/* Free a slot of the kind's class if we are at our share of the TPM. */
uint32_t
rm_make_room(struct resmgr *rm, enum rm_kind kind)
{
	size_t *loaded = kind == RM_SESSION ? &rm->nloaded_sessions :
	    &rm->nloaded_objects;
	unsigned limit = kind == RM_SESSION ? rm->limits.session_slots :
	    rm->limits.object_slots;

	/* Pinned entries may push us past our share into the reserve; the
	 * TPM itself is the hard limit. */
	while (*loaded >= limit) {
		if (!rm_evict_lru(rm, kind))
			break;
	}
	return TPM2_RC_SUCCESS;
}

/* Whether rc says the TPM has no room for another context of a class. */
static int
rm_memory_class(uint32_t rc, enum rm_kind *kind)
{
	switch (rc) {
	case TPM2_RC_OBJECT_MEMORY:
	case TPM2_RC_OBJECT_HANDLES:
		*kind = RM_OBJECT;
		return 1;
	case TPM2_RC_SESSION_MEMORY:
	case TPM2_RC_SESSION_HANDLES:
		*kind = RM_SESSION;
		return 1;
	default:
		return 0;
	}
}

/* ContextLoad that makes room when the TPM is full and regaps on a gap. */
static uint32_t
rm_context_load_retrying(struct resmgr *rm, const uint8_t *context,
    size_t len, uint32_t *handle)
{
	enum rm_kind full;
	uint32_t rc = PROXY_RC(TPM2_RC_FAILURE);

	for (int attempt = 0; attempt < RM_LOAD_ATTEMPTS; attempt++) {
		rc = tpmcmd_context_load(rm->be, context, len, handle);
		if (rm_memory_class(rc, &full)) {
			if (!rm_evict_lru(rm, full))
				break;
		} else if (rc == TPM2_RC_CONTEXT_GAP) {
			if (rm_regap_oldest(rm) != TPM2_RC_SUCCESS)
				break;
		} else {
			break;
		}
	}
	return rc;
}

/* Bring an entry back into the TPM; sessions keep their handle, objects
 * get a new physical one. */
uint32_t
rm_load(struct resmgr *rm, struct rm_entry *e)
{
	uint32_t handle, rc;

	if (e->state == RM_LOADED)
		return TPM2_RC_SUCCESS;
	if (e->context == NULL)
		return PROXY_RC(TPM2_RC_FAILURE);
	rm_make_room(rm, e->kind);
	rc = rm_context_load_retrying(rm, e->context, e->context_len, &handle);
	if (rc != TPM2_RC_SUCCESS) {
		log_warnx("cannot load 0x%08x back: 0x%x", e->vhandle, rc);
		return rc;
	}
	if (rm_handle_taken(rm, handle, e))
		return rm_tpm_forgot(rm, handle);
	rm_entry_set_loaded(rm, e, handle);
	if (e->kind == RM_SEQUENCE)
		rm_entry_set_context(e, NULL, 0);   /* stale after an update */
	rm->stats.loads++;
	return TPM2_RC_SUCCESS;
}

/* The TPM gave out a handle that we record as held: it lost its state
 * under us, restarted between two commands without the TCTI noticing
 * (tcti-swtpm connects anew for each command). Have it treated as lost,
 * so that no client reaches another's object through a stale handle: the
 * tables are dropped before the next command, and the newcomer, which
 * nothing tracks, is swept out of the TPM then (rm_sweep). */
uint32_t
rm_tpm_forgot(struct resmgr *rm, uint32_t handle)
{
	char why[96];

	snprintf(why, sizeof(why), "gave out handle 0x%08x, which it held "
	    "already: it was restarted", handle);
	backend_lost(rm->be, why);
	return PROXY_RC_IO_ERROR;
}

/* After the TPM was lost and came back, with the tables empty: flush what
 * it holds, since we are its only user. Normally nothing (a restart or
 * reset flushed it); otherwise left from before (a TPM that was not reset
 * after all, a command whose answer was lost, objects created before we
 * saw that the TPM had restarted). */
void
rm_sweep(struct resmgr *rm)
{
	/* TPM2 Part 2, 7.2: transient objects, loaded and saved sessions. */
	static const uint32_t ranges[] = { TPM2_HT_TRANSIENT,
		TPM2_HT_LOADED_SESSION, TPM2_HT_SAVED_SESSION };
	TPMS_CAPABILITY_DATA data;
	bool more;

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		uint32_t first = ranges[i] << TPM2_HR_SHIFT;

		if (tpmcmd_get_capability(rm->be, TPM2_CAP_HANDLES, first,
		        RM_CAP_HANDLES_MAX, &more, &data) != TPM2_RC_SUCCESS ||
		    data.capability != TPM2_CAP_HANDLES)
			break;
		for (uint32_t j = 0; j < data.data.handles.count; j++) {
			uint32_t h = data.data.handles.handle[j];

			if ((h >> TPM2_HR_SHIFT) != ranges[i])
				continue;
			log_warnx("flushing 0x%08x, left in the TPM from "
			    "before it was lost", h);
			tpmcmd_flush_context(rm->be, h);
		}
	}
}

/* Remove an entry from the TPM and forget it. */
void
rm_flush(struct resmgr *rm, struct rm_entry *e)
{
	uint32_t rc = TPM2_RC_SUCCESS;

	if (e->state == RM_LOADED)
		rc = tpmcmd_flush_context(rm->be, e->phandle);
	else if (e->kind == RM_SESSION && e->state != RM_NEW)
		rc = tpmcmd_flush_context(rm->be, e->vhandle);
	if (rc != TPM2_RC_SUCCESS)
		log_warnx("flushing 0x%08x failed: 0x%x", e->vhandle, rc);
	rm_entry_free(rm, e);
}

/* Load and save again the oldest saved session, so that it becomes the
 * newest (TPM2 Part 1, 30.5: contextCounter gap). Client-saved sessions
 * are regapped too; their owners' ContextLoad gets the new context. */
uint32_t
rm_regap_oldest(struct resmgr *rm)
{
	struct rm_entry *e = TAILQ_FIRST(&rm->saved_sessions);
	enum rm_kind full;
	uint8_t *context;
	uint32_t handle, rc;
	size_t len;

	if (e == NULL || rm->regapping)
		return PROXY_RC(TPM2_RC_CONTEXT_GAP);
	rm->regapping = true;
	/* Use the reserved slot if need be: swapping a session out to make
	 * room would be a save, which the gap may be refusing already. */
	rc = tpmcmd_context_load(rm->be, e->context, e->context_len, &handle);
	if (rm_memory_class(rc, &full) && rm_evict_lru(rm, full))
		rc = tpmcmd_context_load(rm->be, e->context, e->context_len,
		    &handle);
	if (rc == TPM2_RC_SUCCESS)
		rc = rm_save(rm, handle, &context, &len);
	rm->regapping = false;
	if (rc != TPM2_RC_SUCCESS) {
		log_warnx("cannot regap session 0x%08x: 0x%x", e->vhandle, rc);
		return rc;
	}
	TAILQ_REMOVE(&rm->saved_sessions, e, saved_entry);
	rm_session_saved(rm, e, context, len);
	rm->stats.regaps++;
	log_debug("regapped session 0x%08x to sequence %llu", e->vhandle,
	    (unsigned long long)e->sequence);
	return TPM2_RC_SUCCESS;
}

/* Before a session save: regap the oldest saved sessions while they are
 * within a margin (an eighth of the gap, at most RM_GAP_MARGIN saves) of
 * the TPM's context-gap limit. */
void
rm_gap_check(struct resmgr *rm)
{
	uint64_t margin = rm->limits.context_gap_max / 8;
	struct rm_entry *e;
	size_t bound = 0;

	if (rm->regapping || rm->limits.context_gap_max == 0)
		return;
	if (margin > RM_GAP_MARGIN)
		margin = RM_GAP_MARGIN;
	TAILQ_FOREACH(e, &rm->saved_sessions, saved_entry)
		bound++;
	while (bound-- > 0 && (e = TAILQ_FIRST(&rm->saved_sessions)) != NULL &&
	    rm->next_session_sequence - e->sequence + margin >=
	        rm->limits.context_gap_max) {
		if (rm_regap_oldest(rm) != TPM2_RC_SUCCESS)
			break;
	}
}

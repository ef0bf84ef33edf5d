/* SPDX-License-Identifier: BSD-2-Clause */
/* Group quotas: objects, sessions, saved sessions and NV indices a pod (or
 * a socket) may hold, checked before a command reaches the TPM. The counts
 * live beside the entries they count, on the TPM thread. */
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "log.h"
#include "proxyrc.h"
#include "resmgr-internal.h"

/* Whether a quota is reached. */
bool
rm_quota_full(unsigned limit, unsigned used)
{
	return limit != RESMGR_NO_LIMIT && used >= limit;
}

/* The nvIndex a TPM2_NV_DefineSpace defines (TPM2 Part 3, 31.3: after the
 * handle area and authorization area come auth, then publicInfo, whose
 * first field is nvIndex); 0 if the command is too short to say. */
static uint32_t
rm_quota_defined_index(const uint8_t *cmd, size_t len, unsigned handles)
{
	struct frame_reader r;
	uint32_t auth_size, index;
	uint16_t public_size;

	frame_reader_init(&r, cmd, len);
	if (frame_skip(&r, FRAME_HEADER_SIZE + 4 * (size_t)handles) != 0)
		return 0;
	if (frame_get_u16(cmd) == FRAME_TAG_SESSIONS &&
	    (frame_read_u32(&r, &auth_size) != 0 ||
	        frame_skip(&r, auth_size) != 0))
		return 0;
	if (frame_skip_sized(&r) != 0 || frame_read_u16(&r, &public_size) != 0 ||
	    frame_read_u32(&r, &index) != 0)
		return 0;
	return index;
}

/* Flush the group's oldest session saved by a connection that has gone;
 * false if it has none. A client killed between ContextSave and
 * ContextLoad leaves its session counted against the group for the
 * daemon's life: enough of them and no client of the group could save a
 * session again. Sessions whose savers are still connected are never
 * taken. */
static bool
rm_quota_reclaim_saved(struct resmgr *rm, const struct rm_group *g)
{
	struct rm_entry *e;

	TAILQ_FOREACH(e, &rm->client_saved, owner_entry) {
		if (e->group != g || e->saver != 0)
			continue;
		log_info("group %llu at its saved-session quota: flushing "
		    "abandoned session 0x%08x", (unsigned long long)g->key,
		    e->vhandle);
		rm_flush(rm, e);
		rm->stats.flushed++;
		return true;
	}
	return false;
}

/* Refuse a command that would take its group over a quota; 0 if within. */
uint32_t
rm_quota_check(struct resmgr *rm, struct rm_owner *o, uint32_t code,
    const uint8_t *cmd, size_t len, unsigned handles)
{
	const struct resmgr_quota *q = &o->quota;
	const struct resmgr_quota *used = &o->group->used;
	uint32_t rc = TPM2_RC_SUCCESS;

	switch (code) {
	case TPM2_CC_StartAuthSession:
		if (rm_quota_full(q->sessions, used->sessions))
			rc = PROXY_RC(TPM2_RC_SESSION_MEMORY);
		break;
	case TPM2_CC_ContextSave:
		if (handles > 0 && len >= FRAME_HEADER_SIZE + 4 &&
		    rm_is_session(frame_get_u32(cmd + FRAME_HEADER_SIZE)) &&
		    rm_quota_full(q->saved, used->saved) &&
		    !rm_quota_reclaim_saved(rm, o->group))
			rc = PROXY_RC(TPM2_RC_SESSION_MEMORY);
		break;
	case TPM2_CC_NV_DefineSpace:
		if (rm_quota_full(q->nv_indices, used->nv_indices))
			rc = PROXY_RC(TPM2_RC_NV_SPACE);
		break;
	default:
		break;
	}
	if (rc != TPM2_RC_SUCCESS) {
		rm->stats.over_quota++;
		log_info("owner %llu over quota for command 0x%x",
		    (unsigned long long)o->id, code);
	}
	return rc;
}

/* Refuse a command that creates an object beyond the objects quota. */
uint32_t
rm_quota_check_object(struct resmgr *rm, struct rm_owner *o)
{
	if (!rm_quota_full(o->quota.objects, o->group->used.objects))
		return TPM2_RC_SUCCESS;
	rm->stats.over_quota++;
	log_info("owner %llu over its objects quota (%u)",
	    (unsigned long long)o->id, o->quota.objects);
	return PROXY_RC(TPM2_RC_OBJECT_MEMORY);
}

/* Forget an NV index, whichever group defined it. */
static void
rm_quota_undefined(struct resmgr *rm, uint32_t index)
{
	struct rm_group *g;

	TAILQ_FOREACH(g, &rm->groups, entry) {
		for (unsigned i = 0; i < g->used.nv_indices; i++) {
			if (g->nv[i] != index)
				continue;
			g->nv[i] = g->nv[--g->used.nv_indices];
			/* A group kept only for its NV indices may go now. */
			g->refs++;
			rm_group_put(rm, g);
			return;
		}
	}
}

/* After a successful command: NV indices defined and undefined. */
void
rm_quota_commit(struct resmgr *rm, struct rm_owner *o, uint32_t code,
    const uint8_t *cmd, size_t len, unsigned handles)
{
	struct rm_group *g = o->group;
	uint32_t index, *grown;

	switch (code) {
	case TPM2_CC_NV_DefineSpace:
		index = rm_quota_defined_index(cmd, len, handles);
		if (index == 0)
			return;
		grown = realloc(g->nv, (g->used.nv_indices + 1) * sizeof(*grown));
		if (grown == NULL)
			return;
		g->nv = grown;
		g->nv[g->used.nv_indices++] = index;
		break;
	case TPM2_CC_NV_UndefineSpace:
		/* TPM2 Part 3, 31.4: authHandle, then nvIndex. */
		if (handles >= 2 && len >= FRAME_HEADER_SIZE + 8)
			rm_quota_undefined(rm, frame_get_u32(cmd +
			    FRAME_HEADER_SIZE + 4));
		break;
	case TPM2_CC_NV_UndefineSpaceSpecial:
		/* TPM2 Part 3, 31.5: nvIndex, then platform. */
		if (handles >= 1 && len >= FRAME_HEADER_SIZE + 4)
			rm_quota_undefined(rm, frame_get_u32(cmd +
			    FRAME_HEADER_SIZE));
		break;
	default:
		break;
	}
}

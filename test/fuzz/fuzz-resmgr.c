/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness for the resource manager's handling of client bytes:
 * handle and authorization area parsing, virtual handle rewriting, the
 * commands it answers itself, and the scheduler's question whether a
 * queued command's handles are loaded (resmgr_resident). Input: records of one owner byte, then one
 * framed command. The backend is a fake that answers like a TPM with few
 * slots, so swapping, regapping and clean-up run too. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <tss2/tss2_tpm2_types.h>

#include "backend.h"
#include "cmdattrs.h"
#include "frame.h"
#include "log.h"
#include "resmgr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fake TPM: handles from counters, contexts that name their handle. */
struct backend {
	uint32_t next;
	unsigned loaded;
	uint64_t instance;   /* bumped when the resource manager finds the
	                      * fake reusing a handle it holds */
};

static size_t
fake_answer(uint8_t *rsp, uint32_t rc, int with_handle, uint32_t handle)
{
	frame_error_response(rsp, 16, rc);
	if (!with_handle)
		return 10;
	frame_put_u32(rsp + 2, 14);
	frame_put_u32(rsp + 10, handle);
	return 14;
}

int
backend_transact(struct backend *be, const uint8_t *cmd, size_t cmd_len,
    uint8_t *rsp, size_t *rsp_len)
{
	uint32_t code = frame_get_u32(cmd + 6);
	uint32_t h = cmd_len >= 14 ? frame_get_u32(cmd + 10) : 0;

	switch (code) {
	case TPM2_CC_CreatePrimary:
	case TPM2_CC_Load:
	case TPM2_CC_HashSequenceStart:
		/* A full TPM now and then drives the eviction paths. */
		if (++be->loaded % 4 == 0) {
			*rsp_len = fake_answer(rsp, TPM2_RC_OBJECT_MEMORY, 0, 0);
			break;
		}
		*rsp_len = fake_answer(rsp, 0, 1, 0x80000000 + (be->next++ & 7));
		break;
	case TPM2_CC_StartAuthSession:
		*rsp_len = fake_answer(rsp, 0, 1, 0x02000000 + (be->next++ & 63));
		break;
	case TPM2_CC_ContextSave:
		frame_error_response(rsp, 64, 0);
		memset(rsp + 10, 0, 22);
		frame_put_u32(rsp + 14, be->next++);
		frame_put_u32(rsp + 18, h);
		frame_put_u16(rsp + 26, 4);
		frame_put_u32(rsp + 2, 32);
		*rsp_len = 32;
		break;
	case TPM2_CC_ContextLoad:
		*rsp_len = fake_answer(rsp, 0, 1, cmd_len >= 22 ?
		    frame_get_u32(cmd + 18) : 0x80000000);
		break;
	default:
		*rsp_len = fake_answer(rsp, be->next++ % 5 == 0 ?
		    TPM2_RC_CONTEXT_GAP : 0, 0, 0);
		break;
	}
	return 0;
}

/* Lost and back at once: the tables are dropped (and swept). */
void
backend_lost(struct backend *be, const char *why)
{
	(void)why;
	be->instance++;
}

int
backend_ready(struct backend *be)
{
	(void)be;
	return 0;
}

uint64_t
backend_instance(const struct backend *be)
{
	return be->instance;
}

/* The fake's counters (resmgr_snapshot reads them). */
const struct backend_stats *
backend_stats(const struct backend *be)
{
	static const struct backend_stats none = { .up = 1 };

	return &none;
}

#define CCA(cc, handles, rhandle, flushed)                                 \
	((TPMA_CC)(cc) | ((TPMA_CC)(handles) << TPMA_CC_CHANDLES_SHIFT) |  \
	    ((rhandle) ? TPMA_CC_RHANDLE : 0) | ((flushed) ? TPMA_CC_FLUSHED : 0))

static const TPMA_CC fuzz_attrs[] = {
	CCA(TPM2_CC_CreatePrimary, 1, 1, 0),
	CCA(TPM2_CC_Load, 1, 1, 0),
	CCA(TPM2_CC_HashSequenceStart, 0, 1, 0),
	CCA(TPM2_CC_StartAuthSession, 2, 1, 0),
	CCA(TPM2_CC_FlushContext, 0, 0, 0),
	CCA(TPM2_CC_ContextSave, 1, 0, 0),
	CCA(TPM2_CC_ContextLoad, 0, 1, 0),
	CCA(TPM2_CC_Sign, 1, 0, 0),
	CCA(TPM2_CC_Certify, 2, 0, 0),
	CCA(TPM2_CC_SequenceComplete, 1, 0, 1),
	CCA(TPM2_CC_EventSequenceComplete, 2, 0, 1),
	CCA(TPM2_CC_PolicyPCR, 1, 0, 0),
	CCA(TPM2_CC_GetCapability, 0, 0, 0),
	CCA(TPM2_CC_GetRandom, 0, 0, 0),
	CCA(TPM2_CC_NV_DefineSpace, 1, 0, 0),
	CCA(TPM2_CC_NV_UndefineSpace, 2, 0, 0),
	CCA(TPM2_CC_NV_UndefineSpaceSpecial, 2, 0, 0),
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t rsp[4096];
	struct backend be = { 0 };
	struct resmgr_limits limits = {
		.object_slots = 2, .session_slots = 2,
		.context_gap_max = 16, .max_client_saved = 2,
	};
	struct cmdattrs *attrs;
	struct resmgr *rm;

	log_init(LOG_LEVEL_ERROR, true);
	if (cmdattrs_from_list(fuzz_attrs, sizeof(fuzz_attrs) /
	    sizeof(fuzz_attrs[0]), &attrs) != 0)
		return 0;
	if (resmgr_new(&be, attrs, &limits, &rm) != 0) {
		cmdattrs_free(attrs);
		return 0;
	}
	while (size > 1 + FRAME_HEADER_SIZE) {
		uint8_t owner = data[0], cmd[4096];
		uint32_t len = frame_get_u32(data + 3);

		data++;
		size--;
		if (len > size || len > sizeof(cmd))
			len = (uint32_t)size < sizeof(cmd) ? (uint32_t)size :
			    sizeof(cmd);
		/* The connection layer hands over exactly one frame. */
		memcpy(cmd, data, len);
		if (owner & 0x80)
			resmgr_owner_gone(rm, owner & 3);
		else {
			struct resmgr_client client = {
				.owner = owner & 3, .identity = owner >> 4 & 1,
				.group = owner >> 4 & 1,
				.quota = { .objects = owner >> 5 & 3,
				    .sessions = owner >> 5 & 3, .saved = 1,
				    .nv_indices = 1 },
			};

			/* The TPM thread asks before it runs a queued one. */
			(void)resmgr_resident(rm, client.owner, cmd, len);
			resmgr_execute(rm, &client, cmd, len, rsp, sizeof(rsp));
		}
		data += len;
		size -= len;
	}
	resmgr_free(rm);
	cmdattrs_free(attrs);
	return 0;
}

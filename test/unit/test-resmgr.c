/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of the resource manager (src/resmgr*.c) against a fake TPM
 * that has few slots, reuses handles, saves and loads contexts and keeps a
 * context gap, like a real one: virtual handles, ownership, lazy LRU
 * residency, client context commands, regapping, clean-up and a TPM that
 * is lost and comes back. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <tss2/tss2_tpm2_types.h>

#include "backend.h"
#include "cmdattrs.h"
#include "frame.h"
#include "proxyrc.h"
#include "resmgr.h"
#include "resmgr-internal.h"

#define FAKE_OBJECT_SLOTS 3
#define FAKE_SESSIONS 16
#define FAKE_LOADED_SESSIONS 3
#define FAKE_GAP 40

/* An object in a TPM slot: id says which object it is. */
struct fake_slot {
	bool used;
	bool sequence;
	uint32_t id;
};

struct fake_session {
	bool active;
	bool loaded;
	uint64_t saved_at;   /* contextCounter when last saved */
};

/* The fake TPM behind backend_transact. */
struct backend {
	bool fail;                  /* the next command loses the TPM */
	bool down;                  /* backend_ready cannot reach it */
	bool lost;                  /* lost until backend_ready */
	uint64_t instance;          /* backend_instance */
	struct fake_slot slots[FAKE_OBJECT_SLOTS];
	struct fake_session sessions[FAKE_SESSIONS];
	uint32_t next_id;
	uint64_t counter;           /* contextCounter (sessions only) */
	unsigned sent[0x200];       /* commands received, by code & 0x1ff */
	unsigned total;
	uint32_t last_signed;       /* object id used by the last Sign */
	uint32_t last_handles[2];   /* handle area of the last command */
	unsigned gap_errors;        /* CONTEXT_GAP answers given */
};

static struct backend tpm;

static size_t
fake_rc(uint8_t *rsp, uint32_t rc)
{
	return frame_error_response(rsp, 16, rc);
}

static size_t
fake_handle(uint8_t *rsp, uint32_t handle)
{
	frame_error_response(rsp, 16, 0);
	frame_put_u32(rsp + 2, 14);
	frame_put_u32(rsp + 10, handle);
	return 14;
}

static int
fake_object_slot(uint32_t h)
{
	uint32_t i = h - 0x80000000;

	return i < FAKE_OBJECT_SLOTS && tpm.slots[i].used ? (int)i : -1;
}

static int
fake_session_index(uint32_t h)
{
	uint32_t i = h & 0xffffff;

	if ((h >> 24) != 2 && (h >> 24) != 3)
		return -1;
	return i < FAKE_SESSIONS && tpm.sessions[i].active ? (int)i : -1;
}

static unsigned
fake_loaded_sessions(void)
{
	unsigned n = 0;

	for (int i = 0; i < FAKE_SESSIONS; i++)
		n += tpm.sessions[i].active && tpm.sessions[i].loaded;
	return n;
}

/* Put a new object in a free slot; OBJECT_MEMORY when there is none. */
static size_t
fake_new_object(uint8_t *rsp, uint32_t id, bool sequence)
{
	for (int i = 0; i < FAKE_OBJECT_SLOTS; i++) {
		if (!tpm.slots[i].used) {
			tpm.slots[i].used = true;
			tpm.slots[i].sequence = sequence;
			tpm.slots[i].id = id;
			return fake_handle(rsp, 0x80000000 + (uint32_t)i);
		}
	}
	return fake_rc(rsp, TPM2_RC_OBJECT_MEMORY);
}

/* A context blob: sequence, savedHandle, hierarchy, 4-byte blob (id). */
static size_t
fake_context(uint8_t *rsp, uint64_t seq, uint32_t saved, uint32_t id)
{
	frame_error_response(rsp, 64, 0);
	frame_put_u32(rsp + 10, (uint32_t)(seq >> 32));
	frame_put_u32(rsp + 14, (uint32_t)seq);
	frame_put_u32(rsp + 18, saved);
	frame_put_u32(rsp + 22, TPM2_RH_OWNER);
	frame_put_u16(rsp + 26, 4);
	frame_put_u32(rsp + 28, id);
	frame_put_u32(rsp + 2, 32);
	return 32;
}

static size_t
fake_context_save(uint8_t *rsp, uint32_t h)
{
	int i = fake_object_slot(h), s = fake_session_index(h);

	if (i >= 0)
		return fake_context(rsp, 0, tpm.slots[i].sequence ?
		    0x80000001 : 0x80000000, tpm.slots[i].id);
	if (s < 0 || !tpm.sessions[s].loaded)
		return fake_rc(rsp, TPM2_RC_HANDLE + TPM2_RC_1);
	/* Saving must not push the oldest saved session out of the gap. */
	for (int j = 0; j < FAKE_SESSIONS; j++) {
		if (tpm.sessions[j].active && !tpm.sessions[j].loaded &&
		    tpm.counter - tpm.sessions[j].saved_at >= FAKE_GAP) {
			tpm.gap_errors++;
			return fake_rc(rsp, TPM2_RC_CONTEXT_GAP);
		}
	}
	tpm.sessions[s].loaded = false;
	tpm.sessions[s].saved_at = tpm.counter;
	return fake_context(rsp, tpm.counter++, h, h);
}

static size_t
fake_context_load(uint8_t *rsp, const uint8_t *cmd, size_t len)
{
	uint64_t seq = (uint64_t)frame_get_u32(cmd + 10) << 32 |
	    frame_get_u32(cmd + 14);
	uint32_t saved = frame_get_u32(cmd + 18), id;
	int s;

	assert_int_equal(len, 32);
	id = frame_get_u32(cmd + 28);
	if (saved >> 24 == 0x80)
		return fake_new_object(rsp, id, saved == 0x80000001);
	s = fake_session_index(saved);
	/* Only the newest context of a session loads (replay protection). */
	if (s < 0 || tpm.sessions[s].loaded || tpm.sessions[s].saved_at != seq)
		return fake_rc(rsp, TPM2_RC_HANDLE + TPM2_RC_P + TPM2_RC_1);
	if (fake_loaded_sessions() == FAKE_LOADED_SESSIONS)
		return fake_rc(rsp, TPM2_RC_SESSION_MEMORY);
	tpm.sessions[s].loaded = true;
	return fake_handle(rsp, saved);
}

static size_t
fake_flush(uint8_t *rsp, uint32_t h)
{
	int i = fake_object_slot(h), s = fake_session_index(h);

	if (i >= 0)
		tpm.slots[i].used = false;
	else if (s >= 0)
		tpm.sessions[s].active = false;
	else
		return fake_rc(rsp, TPM2_RC_HANDLE + TPM2_RC_P + TPM2_RC_1);
	return fake_rc(rsp, 0);
}

static size_t
fake_start_session(uint8_t *rsp)
{
	if (fake_loaded_sessions() == FAKE_LOADED_SESSIONS)
		return fake_rc(rsp, TPM2_RC_SESSION_MEMORY);
	for (int i = 0; i < FAKE_SESSIONS; i++) {
		if (!tpm.sessions[i].active) {
			tpm.sessions[i].active = true;
			tpm.sessions[i].loaded = true;
			return fake_handle(rsp, 0x03000000 + (uint32_t)i);
		}
	}
	return fake_rc(rsp, TPM2_RC_SESSION_HANDLES);
}

/* Sessions in the authorization area must be loaded, as on a real TPM. */
static bool
fake_sessions_loaded(const uint8_t *cmd, size_t len, unsigned handles)
{
	size_t off = 10 + 4 * (size_t)handles + 4;

	if (frame_get_u16(cmd) != FRAME_TAG_SESSIONS)
		return true;
	while (off + 4 <= len) {
		uint32_t h = frame_get_u32(cmd + off);
		int s = fake_session_index(h);

		if (h != TPM2_RS_PW && (s < 0 || !tpm.sessions[s].loaded))
			return false;
		off += 4 + 2 + 1 + 2;   /* empty nonce and hmac */
	}
	return true;
}

/* GetCapability(TPM_CAP_HANDLES): transient objects, loaded sessions
 * (0x02...) or saved ones (0x03...), as a TPM lists them. */
static size_t
fake_handles(uint8_t *rsp, const uint8_t *cmd, size_t len)
{
	uint32_t first, n = 0;
	size_t off = 19;

	assert_int_equal(len, 22);
	assert_int_equal(frame_get_u32(cmd + 10), TPM2_CAP_HANDLES);
	first = frame_get_u32(cmd + 14);
	for (uint32_t i = 0; first >> 24 == 0x80 && i < FAKE_OBJECT_SLOTS;
	    i++) {
		if (tpm.slots[i].used) {
			frame_put_u32(rsp + off, 0x80000000 + i);
			off += 4;
			n++;
		}
	}
	for (uint32_t i = 0; i < FAKE_SESSIONS && first >> 24 != 0x80; i++) {
		if (tpm.sessions[i].active &&
		    tpm.sessions[i].loaded == (first >> 24 == 2)) {
			frame_put_u32(rsp + off, (first & 0xff000000) | i);
			off += 4;
			n++;
		}
	}
	frame_error_response(rsp, 16, 0);
	rsp[10] = 0;                         /* moreData */
	frame_put_u32(rsp + 11, TPM2_CAP_HANDLES);
	frame_put_u32(rsp + 15, n);
	frame_put_u32(rsp + 2, (uint32_t)off);
	return off;
}

int
backend_transact(struct backend *be, const uint8_t *cmd, size_t cmd_len,
    uint8_t *rsp, size_t *rsp_len)
{
	uint32_t code = frame_get_u32(cmd + 6);
	uint32_t h0 = cmd_len >= 14 ? frame_get_u32(cmd + 10) : 0;
	int i;

	if (be->fail)
		backend_lost(be, "failed");
	if (be->lost)
		return -EIO;
	be->sent[code & 0x1ff]++;
	be->total++;
	be->last_handles[0] = h0;
	be->last_handles[1] = cmd_len >= 18 ? frame_get_u32(cmd + 14) : 0;
	switch (code) {
	case TPM2_CC_CreatePrimary:
		*rsp_len = fake_new_object(rsp, ++be->next_id, false);
		break;
	case TPM2_CC_HashSequenceStart:
		*rsp_len = fake_new_object(rsp, ++be->next_id, true);
		break;
	case TPM2_CC_StartAuthSession:
		*rsp_len = fake_start_session(rsp);
		break;
	case TPM2_CC_ContextSave:
		*rsp_len = fake_context_save(rsp, h0);
		break;
	case TPM2_CC_ContextLoad:
		*rsp_len = fake_context_load(rsp, cmd, cmd_len);
		break;
	case TPM2_CC_FlushContext:
		*rsp_len = fake_flush(rsp, h0);
		break;
	case TPM2_CC_Sign:
	case TPM2_CC_SequenceUpdate:
	case TPM2_CC_SequenceComplete:
	case TPM2_CC_Certify:
		i = fake_object_slot(h0);
		if (i < 0)
			*rsp_len = fake_rc(rsp, TPM2_RC_REFERENCE_H0);
		else if (!fake_sessions_loaded(cmd, cmd_len,
		             code == TPM2_CC_Certify ? 2 : 1))
			*rsp_len = fake_rc(rsp, TPM2_RC_REFERENCE_S0);
		else {
			be->last_signed = be->slots[i].id;
			if (code == TPM2_CC_SequenceComplete)
				be->slots[i].used = false;
			*rsp_len = fake_rc(rsp, 0);
		}
		break;
	case TPM2_CC_PolicyPCR:
		i = fake_session_index(h0);
		*rsp_len = fake_rc(rsp, i >= 0 && be->sessions[i].loaded ? 0 :
		    TPM2_RC_REFERENCE_H0);
		break;
	case TPM2_CC_GetCapability:
		*rsp_len = fake_handles(rsp, cmd, cmd_len);
		break;
	case TPM2_CC_GetRandom:
	case TPM2_CC_NV_DefineSpace:
	case TPM2_CC_NV_UndefineSpace:
		*rsp_len = fake_rc(rsp, 0);
		break;
	default:
		fail_msg("fake TPM: unexpected command 0x%x", code);
	}
	return 0;
}

/* The TPM is lost, as backend.c decides on an I/O failure. */
void
backend_lost(struct backend *be, const char *why)
{
	(void)why;
	if (!be->lost)
		be->instance++;
	be->lost = true;
}

/* Reach a lost TPM again unless it is down. */
int
backend_ready(struct backend *be)
{
	if (be->lost && be->down)
		return -EIO;
	be->lost = false;
	return 0;
}

uint64_t
backend_instance(const struct backend *be)
{
	return be->instance;
}

/* swtpm killed and started again: everything in it is gone. */
static void
fake_restart(void)
{
	memset(tpm.slots, 0, sizeof(tpm.slots));
	memset(tpm.sessions, 0, sizeof(tpm.sessions));
	tpm.counter = 0;
}

/* The fake's counters (resmgr_snapshot reads them). */
const struct backend_stats *
backend_stats(const struct backend *be)
{
	static const struct backend_stats none = { .up = 1 };

	return &none;
}

/* TPMA_CC for a command: index, handle count, response handle, flushed. */
#define CCA(cc, handles, rhandle, flushed)                                 \
	((TPMA_CC)(cc) | ((TPMA_CC)(handles) << TPMA_CC_CHANDLES_SHIFT) |  \
	    ((rhandle) ? TPMA_CC_RHANDLE : 0) | ((flushed) ? TPMA_CC_FLUSHED : 0))

static const TPMA_CC attr_list[] = {
	CCA(TPM2_CC_CreatePrimary, 1, 1, 0),
	CCA(TPM2_CC_HashSequenceStart, 0, 1, 0),
	CCA(TPM2_CC_StartAuthSession, 2, 1, 0),
	CCA(TPM2_CC_FlushContext, 0, 0, 0),
	CCA(TPM2_CC_ContextSave, 1, 0, 0),
	CCA(TPM2_CC_ContextLoad, 0, 1, 0),
	CCA(TPM2_CC_Sign, 1, 0, 0),
	CCA(TPM2_CC_Certify, 2, 0, 0),
	CCA(TPM2_CC_SequenceUpdate, 1, 0, 0),
	CCA(TPM2_CC_SequenceComplete, 1, 0, 1),
	CCA(TPM2_CC_PolicyPCR, 1, 0, 0),
	CCA(TPM2_CC_GetRandom, 0, 0, 0),
	CCA(TPM2_CC_GetCapability, 0, 0, 0),
	CCA(TPM2_CC_NV_DefineSpace, 1, 0, 0),
	CCA(TPM2_CC_NV_UndefineSpace, 2, 0, 0),
};

struct fixture {
	struct cmdattrs *attrs;
	struct resmgr *rm;
	uint8_t cmd[256];
	uint8_t rsp[4096];
	size_t rsp_len;
	struct resmgr_quota quota;   /* for every command run_as sends */
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct resmgr_limits limits = {
		.object_slots = FAKE_OBJECT_SLOTS - 1,
		.session_slots = FAKE_LOADED_SESSIONS - 1,
		.context_gap_max = FAKE_GAP,
		.max_client_saved = 2,
	};

	assert_non_null(f);
	f->quota.objects = f->quota.sessions = RESMGR_NO_LIMIT;
	f->quota.saved = f->quota.nv_indices = RESMGR_NO_LIMIT;
	memset(&tpm, 0, sizeof(tpm));
	assert_int_equal(cmdattrs_from_list(attr_list,
	    sizeof(attr_list) / sizeof(attr_list[0]), &f->attrs), 0);
	assert_int_equal(resmgr_new(&tpm, f->attrs, &limits, &f->rm), 0);
	*state = f;
	return 0;
}

/* After every test: the manager frees cleanly and leaves the TPM empty. */
static int
teardown(void **state)
{
	struct fixture *f = *state;

	resmgr_free(f->rm);
	cmdattrs_free(f->attrs);
	for (int i = 0; i < FAKE_OBJECT_SLOTS; i++)
		assert_false(tpm.slots[i].used);
	for (int i = 0; i < FAKE_SESSIONS; i++)
		assert_false(tpm.sessions[i].active);
	free(f);
	return 0;
}

/* Run a command built in f->cmd as (owner, identity); return its rc. */
static uint32_t
run_as(struct fixture *f, uint64_t owner, uint64_t identity, size_t len)
{
	struct resmgr_client client = {
		.owner = owner, .identity = identity, .group = identity,
		.quota = f->quota,
	};

	frame_put_u32(f->cmd + 2, (uint32_t)len);
	f->rsp_len = resmgr_execute(f->rm, &client, f->cmd, len, f->rsp,
	    sizeof(f->rsp));
	assert_true(f->rsp_len >= FRAME_HEADER_SIZE);
	assert_int_equal(frame_get_u32(f->rsp + 2), f->rsp_len);
	return frame_get_u32(f->rsp + 6);
}

/* Start a command: tag, code and up to two handles; returns its length. */
static size_t
cmd(struct fixture *f, uint32_t code, unsigned nhandles, uint32_t h1,
    uint32_t h2)
{
	frame_put_u16(f->cmd, FRAME_TAG_NO_SESSIONS);
	frame_put_u32(f->cmd + 6, code);
	frame_put_u32(f->cmd + 10, h1);
	frame_put_u32(f->cmd + 14, h2);
	return 10 + 4 * (size_t)nhandles;
}

/* Append an authorization area with one session. */
static size_t
with_session(struct fixture *f, size_t len, uint32_t session, uint8_t attrs)
{
	frame_put_u16(f->cmd, FRAME_TAG_SESSIONS);
	frame_put_u32(f->cmd + len, 9);
	frame_put_u32(f->cmd + len + 4, session);
	frame_put_u16(f->cmd + len + 8, 0);
	f->cmd[len + 10] = attrs;
	frame_put_u16(f->cmd + len + 11, 0);
	return len + 13;
}

/* Create a primary key as owner; returns the client's handle. */
static uint32_t
create_key(struct fixture *f, uint64_t owner)
{
	assert_int_equal(run_as(f, owner, owner, cmd(f, TPM2_CC_CreatePrimary,
	    1, TPM2_RH_OWNER, 0)), TPM2_RC_SUCCESS);
	return frame_get_u32(f->rsp + 10);
}

static uint32_t
start_session(struct fixture *f, uint64_t owner, uint64_t identity)
{
	assert_int_equal(run_as(f, owner, identity,
	    cmd(f, TPM2_CC_StartAuthSession, 2, TPM2_RH_NULL, TPM2_RH_NULL)),
	    TPM2_RC_SUCCESS);
	return frame_get_u32(f->rsp + 10);
}

static uint32_t
sign(struct fixture *f, uint64_t owner, uint32_t key)
{
	return run_as(f, owner, owner, cmd(f, TPM2_CC_Sign, 1, key, 0));
}

static void
resmgr_execute_lazy_residency_one_command_per_sign(void **state)
{
	struct fixture *f = *state;
	uint32_t key = create_key(f, 1);
	unsigned before = tpm.total;

	for (int i = 0; i < 100; i++)
		assert_int_equal(sign(f, 1, key), TPM2_RC_SUCCESS);
	assert_int_equal(tpm.total - before, 100);
}

static void
resmgr_execute_virtual_handles_per_owner(void **state)
{
	struct fixture *f = *state;
	uint32_t a = create_key(f, 1), b = create_key(f, 2);
	uint32_t a_id, b_id;

	/* Both see their own first handle; each reaches its own object. */
	assert_int_equal(a, b);
	assert_int_equal(sign(f, 1, a), TPM2_RC_SUCCESS);
	a_id = tpm.last_signed;
	assert_int_equal(sign(f, 2, b), TPM2_RC_SUCCESS);
	b_id = tpm.last_signed;
	assert_int_not_equal(a_id, b_id);
	/* A handle owner 2 does not hold is refused without the TPM. */
	create_key(f, 1);
	unsigned before = tpm.total;
	assert_int_equal(sign(f, 2, a + 1),
	    PROXY_RC(TPM2_RC_HANDLE + TPM2_RC_H + TPM2_RC_1));
	assert_int_equal(tpm.total, before);
}

static void
resmgr_execute_swaps_lru_beyond_slots(void **state)
{
	struct fixture *f = *state;
	uint32_t keys[6], ids[6];

	/* Six owners, two usable slots: every key still signs as itself. */
	for (uint64_t o = 0; o < 6; o++) {
		keys[o] = create_key(f, o + 1);
		assert_int_equal(sign(f, o + 1, keys[o]), TPM2_RC_SUCCESS);
		ids[o] = tpm.last_signed;
	}
	for (int round = 0; round < 3; round++) {
		for (uint64_t o = 0; o < 6; o++) {
			assert_int_equal(sign(f, o + 1, keys[o]), TPM2_RC_SUCCESS);
			assert_int_equal(tpm.last_signed, ids[o]);
		}
	}
	/* Objects are saved once: 6 saves however often they were swapped. */
	assert_int_equal(tpm.sent[TPM2_CC_ContextSave & 0x1ff], 6);
	assert_true(resmgr_stats(f->rm)->evictions >= 16);
	assert_true(resmgr_loaded(f->rm) <= FAKE_OBJECT_SLOTS - 1);
}

static void
resmgr_execute_reactive_eviction_on_object_memory(void **state)
{
	struct fixture *f = *state;
	uint32_t k1 = create_key(f, 1), k2 = create_key(f, 2);

	/* Someone outside the daemon takes the last slot. */
	tpm.slots[2].used = true;
	tpm.slots[2].id = 999;
	assert_int_not_equal(create_key(f, 3), 0);
	assert_true(resmgr_stats(f->rm)->evictions >= 1);
	assert_int_equal(sign(f, 1, k1), TPM2_RC_SUCCESS);
	assert_int_equal(sign(f, 2, k2), TPM2_RC_SUCCESS);
	tpm.slots[2].used = false;
}

static void
resmgr_execute_sequence_resaved_on_each_eviction(void **state)
{
	struct fixture *f = *state;
	uint32_t seq;

	assert_int_equal(run_as(f, 1, 1, cmd(f, TPM2_CC_HashSequenceStart, 0,
	    0, 0)), TPM2_RC_SUCCESS);
	seq = frame_get_u32(f->rsp + 10);
	for (int i = 0; i < 3; i++) {
		create_key(f, 2);
		create_key(f, 3);
		assert_int_equal(run_as(f, 1, 1, cmd(f, TPM2_CC_SequenceUpdate,
		    1, seq, 0)), TPM2_RC_SUCCESS);
	}
	/* Three evictions, three saves of the sequence (plus the keys'). */
	assert_true(tpm.sent[TPM2_CC_ContextSave & 0x1ff] >= 3 + 2);
	assert_int_equal(run_as(f, 1, 1, cmd(f, TPM2_CC_SequenceComplete, 1,
	    seq, 0)), TPM2_RC_SUCCESS);
	/* TPMA_CC.flushed: it is gone for the client too. */
	assert_int_equal(resmgr_owner_handles(f->rm, 1), 0);
}

static void
resmgr_execute_sessions_owned_and_swapped(void **state)
{
	struct fixture *f = *state;
	uint32_t s[4], key = create_key(f, 1);
	size_t len;

	for (int i = 0; i < 4; i++)
		s[i] = start_session(f, 1, 1);
	/* Two session slots: using all four swaps them in and out. */
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 4; i++) {
			len = with_session(f, cmd(f, TPM2_CC_Sign, 1, key, 0),
			    s[i], TPMA_SESSION_CONTINUESESSION);
			assert_int_equal(run_as(f, 1, 1, len), TPM2_RC_SUCCESS);
		}
	}
	/* Another owner may not use them, in any position. */
	uint32_t other = create_key(f, 2);
	len = with_session(f, cmd(f, TPM2_CC_Sign, 1, other, 0), s[0], 1);
	assert_int_equal(run_as(f, 2, 2, len),
	    PROXY_RC(TPM2_RC_HANDLE + TPM2_RC_S + TPM2_RC_1));
	assert_int_equal(run_as(f, 2, 2, cmd(f, TPM2_CC_PolicyPCR, 1, s[1], 0)),
	    PROXY_RC(TPM2_RC_HANDLE + TPM2_RC_H + TPM2_RC_1));
	assert_int_equal(run_as(f, 2, 2, cmd(f, TPM2_CC_FlushContext, 1, s[2],
	    0)), PROXY_RC(TPM2_RC_VALUE + TPM2_RC_P + TPM2_RC_1));
	assert_int_equal(run_as(f, 2, 2, cmd(f, TPM2_CC_ContextSave, 1, s[3],
	    0)), PROXY_RC(TPM2_RC_HANDLE + TPM2_RC_H + TPM2_RC_1));
	/* continueSession clear ends the session with the command. */
	len = with_session(f, cmd(f, TPM2_CC_Sign, 1, key, 0), s[0], 0);
	assert_int_equal(run_as(f, 1, 1, len), TPM2_RC_SUCCESS);
	tpm.sessions[s[0] & 0xffffff].active = false;   /* the TPM did so */
	len = with_session(f, cmd(f, TPM2_CC_Sign, 1, key, 0), s[0], 1);
	assert_int_equal(run_as(f, 1, 1, len),
	    PROXY_RC(TPM2_RC_HANDLE + TPM2_RC_S + TPM2_RC_1));
}

static void
resmgr_execute_same_handle_twice(void **state)
{
	struct fixture *f = *state;
	uint32_t key = create_key(f, 1);

	create_key(f, 2);
	create_key(f, 3);   /* key is swapped out now */
	assert_int_equal(run_as(f, 1, 1, cmd(f, TPM2_CC_Certify, 2, key, key)),
	    TPM2_RC_SUCCESS);
	assert_int_equal(tpm.last_handles[0], tpm.last_handles[1]);
	assert_int_equal(tpm.last_handles[0] >> 24, 0x80);
}

static void
resmgr_execute_virtual_handles_wrap_after_2_24(void **state)
{
	struct fixture *f = *state;
	uint32_t first = create_key(f, 1), last, wrapped;
	struct rm_owner *o = rm_owner_find(f->rm, 1);

	/* As if 2^24 - 2 handles had been handed out since. */
	o->next_vhandle = 0xffffffu;
	last = create_key(f, 1);
	assert_int_equal(last, 0x80ffffffu);
	/* The counter wraps, skipping the first key, which is still held. */
	wrapped = create_key(f, 1);
	assert_int_equal(first, 0x80000000u);
	assert_int_equal(wrapped, 0x80000001u);
	assert_int_equal(sign(f, 1, first), TPM2_RC_SUCCESS);
	assert_int_equal(sign(f, 1, wrapped), TPM2_RC_SUCCESS);
}

static void
resmgr_flush_context_of_swapped_object_needs_no_tpm(void **state)
{
	struct fixture *f = *state;
	uint32_t key = create_key(f, 1);
	unsigned before;

	create_key(f, 2);
	create_key(f, 3);
	before = tpm.total;
	assert_int_equal(run_as(f, 1, 1, cmd(f, TPM2_CC_FlushContext, 1, key,
	    0)), TPM2_RC_SUCCESS);
	assert_int_equal(tpm.total, before);
	/* The stale handle is refused; a new key gets a new handle. */
	assert_int_equal(sign(f, 1, key),
	    PROXY_RC(TPM2_RC_HANDLE + TPM2_RC_H + TPM2_RC_1));
	assert_int_not_equal(create_key(f, 1), key);
}

static void
resmgr_context_save_and_load_across_connections(void **state)
{
	struct fixture *f = *state;
	uint32_t s = start_session(f, 1, 7), key;
	uint8_t blob[64];
	size_t blob_len, len;

	/* Connection 1 saves its session and goes away. */
	assert_int_equal(run_as(f, 1, 7, cmd(f, TPM2_CC_ContextSave, 1, s, 0)),
	    TPM2_RC_SUCCESS);
	blob_len = f->rsp_len - 10;
	memcpy(blob, f->rsp + 10, blob_len);
	resmgr_owner_gone(f->rm, 1);
	assert_true(tpm.sessions[s & 0xffffff].active);
	/* Another identity may not load it. */
	len = cmd(f, TPM2_CC_ContextLoad, 0, 0, 0);
	memcpy(f->cmd + len, blob, blob_len);
	assert_int_equal(run_as(f, 2, 8, len + blob_len),
	    PROXY_RC(TPM2_RC_HANDLE + TPM2_RC_P + TPM2_RC_1));
	/* Nor may the same identity load an altered blob of it. */
	memcpy(f->cmd + len, blob, blob_len);
	f->cmd[len + blob_len - 1] ^= 1;
	assert_int_equal(run_as(f, 3, 7, len + blob_len),
	    PROXY_RC(TPM2_RC_HANDLE + TPM2_RC_P + TPM2_RC_1));
	/* Connection 3 of the same identity loads and uses it. */
	memcpy(f->cmd + len, blob, blob_len);
	assert_int_equal(run_as(f, 3, 7, len + blob_len), TPM2_RC_SUCCESS);
	assert_int_equal(frame_get_u32(f->rsp + 10), s);
	key = create_key(f, 3);
	len = with_session(f, cmd(f, TPM2_CC_Sign, 1, key, 0), s, 1);
	assert_int_equal(run_as(f, 3, 7, len), TPM2_RC_SUCCESS);
	/* An object blob loads on any connection under a new handle. */
	assert_int_equal(run_as(f, 3, 7, cmd(f, TPM2_CC_ContextSave, 1, key,
	    0)), TPM2_RC_SUCCESS);
	blob_len = f->rsp_len - 10;
	memcpy(blob, f->rsp + 10, blob_len);
	len = cmd(f, TPM2_CC_ContextLoad, 0, 0, 0);
	memcpy(f->cmd + len, blob, blob_len);
	assert_int_equal(run_as(f, 4, 9, len + blob_len), TPM2_RC_SUCCESS);
	assert_int_equal(sign(f, 4, frame_get_u32(f->rsp + 10)),
	    TPM2_RC_SUCCESS);
}

static void
resmgr_client_saved_sessions_bounded_per_identity(void **state)
{
	struct fixture *f = *state;
	uint32_t s[3];

	for (int i = 0; i < 3; i++) {
		s[i] = start_session(f, 1, 7);
		assert_int_equal(run_as(f, 1, 7, cmd(f, TPM2_CC_ContextSave, 1,
		    s[i], 0)), TPM2_RC_SUCCESS);
	}
	/* max_client_saved is 2: the oldest was flushed. */
	assert_false(tpm.sessions[s[0] & 0xffffff].active);
	assert_true(tpm.sessions[s[2] & 0xffffff].active);
}

/* An idle session and a client-saved one survive others' saves far beyond
 * the gap; returns how many regaps it took. */
static uint64_t
churn_sessions_beyond_gap(struct fixture *f)
{
	uint32_t idle = start_session(f, 1, 1), busy, key;
	uint8_t blob[64], saved[64];
	size_t blob_len, saved_len, len;

	/* The idle client saves a session of its own, too. */
	uint32_t kept = start_session(f, 1, 1);
	assert_int_equal(run_as(f, 1, 1, cmd(f, TPM2_CC_ContextSave, 1, kept,
	    0)), TPM2_RC_SUCCESS);
	saved_len = f->rsp_len - 10;
	memcpy(saved, f->rsp + 10, saved_len);
	/* Others push the idle session out and save sessions many times
	 * the gap over. */
	start_session(f, 2, 2);
	busy = start_session(f, 2, 2);
	for (int i = 0; i < FAKE_GAP * 5; i++) {
		assert_int_equal(run_as(f, 2, 2, cmd(f, TPM2_CC_ContextSave, 1,
		    busy, 0)), TPM2_RC_SUCCESS);
		blob_len = f->rsp_len - 10;
		memcpy(blob, f->rsp + 10, blob_len);
		len = cmd(f, TPM2_CC_ContextLoad, 0, 0, 0);
		memcpy(f->cmd + len, blob, blob_len);
		assert_int_equal(run_as(f, 2, 2, len + blob_len),
		    TPM2_RC_SUCCESS);
	}
	key = create_key(f, 1);
	len = with_session(f, cmd(f, TPM2_CC_Sign, 1, key, 0), idle, 1);
	assert_int_equal(run_as(f, 1, 1, len), TPM2_RC_SUCCESS);
	/* The blob the client saved before the churn still loads. */
	len = cmd(f, TPM2_CC_ContextLoad, 0, 0, 0);
	memcpy(f->cmd + len, saved, saved_len);
	assert_int_equal(run_as(f, 1, 1, len + saved_len), TPM2_RC_SUCCESS);
	return resmgr_stats(f->rm)->regaps;
}

static void
resmgr_context_gap_regaps_before_the_tpm_refuses(void **state)
{
	struct fixture *f = *state;

	assert_true(churn_sessions_beyond_gap(f) >= 5);
	/* Regapped in time: the TPM never had to say CONTEXT_GAP. */
	assert_int_equal(tpm.gap_errors, 0);
}

static void
resmgr_context_gap_regaps_when_the_tpm_refuses(void **state)
{
	struct fixture *f = *state;
	struct resmgr_limits unknown_gap = {
		.object_slots = 2, .session_slots = 2, .max_client_saved = 2,
	};

	/* A TPM that does not report its gap: the answer drives regaps. */
	resmgr_free(f->rm);
	assert_int_equal(resmgr_new(&tpm, f->attrs, &unknown_gap, &f->rm), 0);
	assert_true(churn_sessions_beyond_gap(f) >= 5);
	assert_true(tpm.gap_errors >= 5);
}

static void
resmgr_execute_evicts_least_recently_used(void **state)
{
	struct fixture *f = *state;
	uint32_t a = create_key(f, 1), b = create_key(f, 1), c;
	unsigned loads;

	/* Two usable slots hold a and b; a is used again, so c evicts b. */
	assert_int_equal(sign(f, 1, a), TPM2_RC_SUCCESS);
	c = create_key(f, 1);
	loads = tpm.sent[TPM2_CC_ContextLoad & 0x1ff];
	assert_int_equal(sign(f, 1, a), TPM2_RC_SUCCESS);
	assert_int_equal(sign(f, 1, c), TPM2_RC_SUCCESS);
	assert_int_equal(tpm.sent[TPM2_CC_ContextLoad & 0x1ff], loads);
	assert_int_equal(sign(f, 1, b), TPM2_RC_SUCCESS);
	assert_int_equal(tpm.sent[TPM2_CC_ContextLoad & 0x1ff], loads + 1);
}

/* GetCapability(TPM_CAP_HANDLES, first, count) as owner. */
static uint32_t
get_handles(struct fixture *f, uint64_t owner, uint32_t first,
    uint32_t count, uint32_t *out, uint32_t *n, uint8_t *more)
{
	size_t len = cmd(f, TPM2_CC_GetCapability, 0, 0, 0);
	uint32_t rc;

	frame_put_u32(f->cmd + len, TPM2_CAP_HANDLES);
	frame_put_u32(f->cmd + len + 4, first);
	frame_put_u32(f->cmd + len + 8, count);
	rc = run_as(f, owner, owner, len + 12);
	if (rc != TPM2_RC_SUCCESS)
		return rc;
	*more = f->rsp[10];
	assert_int_equal(frame_get_u32(f->rsp + 11), TPM2_CAP_HANDLES);
	*n = frame_get_u32(f->rsp + 15);
	assert_int_equal(f->rsp_len, 19 + 4 * (size_t)*n);
	for (uint32_t i = 0; i < *n; i++)
		out[i] = frame_get_u32(f->rsp + 19 + 4 * i);
	return rc;
}

static void
resmgr_get_capability_lists_own_handles_paged(void **state)
{
	struct fixture *f = *state;
	uint32_t keys[5], got[8], n;
	uint8_t more;

	for (int i = 0; i < 5; i++)
		keys[i] = create_key(f, 1);
	create_key(f, 2);
	assert_int_equal(get_handles(f, 1, 0x80000000, 2, got, &n, &more), 0);
	assert_int_equal(n, 2);
	assert_int_equal(more, 1);
	assert_int_equal(got[0], keys[0]);
	assert_int_equal(got[1], keys[1]);
	assert_int_equal(get_handles(f, 1, got[1] + 1, 2, got, &n, &more), 0);
	assert_int_equal(n, 2);
	assert_int_equal(more, 1);
	assert_int_equal(got[0], keys[2]);
	assert_int_equal(get_handles(f, 1, got[1] + 1, 2, got, &n, &more), 0);
	assert_int_equal(n, 1);
	assert_int_equal(more, 0);
	assert_int_equal(got[0], keys[4]);
	/* Owner 2 sees its one key; sessions: none. */
	assert_int_equal(get_handles(f, 2, 0x80000000, 8, got, &n, &more), 0);
	assert_int_equal(n, 1);
	assert_int_equal(get_handles(f, 2, 0x02000000, 8, got, &n, &more), 0);
	assert_int_equal(n, 0);
}

static void
resmgr_owner_gone_flushes_everything(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 4; i++)
		create_key(f, 1);
	start_session(f, 1, 1);
	start_session(f, 1, 1);
	start_session(f, 1, 1);
	resmgr_owner_gone(f->rm, 1);
	for (int i = 0; i < FAKE_OBJECT_SLOTS; i++)
		assert_false(tpm.slots[i].used);
	for (int i = 0; i < FAKE_SESSIONS; i++)
		assert_false(tpm.sessions[i].active);
	assert_int_equal(resmgr_loaded(f->rm), 0);
}

static void
resmgr_execute_answers_locally(void **state)
{
	struct fixture *f = *state;
	size_t len;

	len = cmd(f, TPM2_CC_Startup, 0, 0, 0);
	frame_put_u16(f->cmd + 10, TPM2_SU_CLEAR);
	assert_int_equal(run_as(f, 1, 1, len + 2), TPM2_RC_INITIALIZE);
	assert_int_equal(run_as(f, 1, 1, cmd(f, TPM2_CC_Shutdown, 0, 0, 0) + 2),
	    TPM2_RC_SUCCESS);
	assert_int_equal(run_as(f, 1, 1, cmd(f, 0x20000123, 0, 0, 0)),
	    PROXY_RC(TPM2_RC_COMMAND_CODE));
	assert_int_equal(tpm.total, 0);
}

static void
resmgr_execute_malformed_commands(void **state)
{
	struct fixture *f = *state;
	uint32_t key = create_key(f, 1);
	unsigned before = tpm.total;
	size_t len;

	/* authorizationSize past the end; a session entry cut short. */
	len = with_session(f, cmd(f, TPM2_CC_Sign, 1, key, 0), TPM2_RS_PW, 1);
	frame_put_u32(f->cmd + 14, 0xfffffff0);
	assert_int_equal(run_as(f, 1, 1, len), PROXY_RC(TPM2_RC_AUTHSIZE));
	len = with_session(f, cmd(f, TPM2_CC_Sign, 1, key, 0), TPM2_RS_PW, 1);
	frame_put_u32(f->cmd + 14, 5);
	assert_int_equal(run_as(f, 1, 1, len - 4), PROXY_RC(TPM2_RC_AUTHSIZE));
	/* A handle area cut short. */
	assert_int_equal(run_as(f, 1, 1, cmd(f, TPM2_CC_Certify, 1, key, 0)),
	    PROXY_RC(TPM2_RC_COMMAND_SIZE));
	/* A ContextLoad whose blob size disagrees with the command. */
	len = cmd(f, TPM2_CC_ContextLoad, 0, 0, 0);
	memset(f->cmd + len, 0, 18);
	frame_put_u16(f->cmd + len + 16, 100);
	assert_int_equal(run_as(f, 1, 1, len + 18),
	    PROXY_RC(TPM2_RC_COMMAND_SIZE));
	/* A declared size that disagrees with the bytes handed over. */
	len = cmd(f, TPM2_CC_GetRandom, 0, 0, 0);
	frame_put_u32(f->cmd + 2, 4);
	struct resmgr_client one = { .owner = 1, .identity = 1, .group = 1,
		.quota = f->quota };
	assert_int_equal(resmgr_execute(f->rm, &one, f->cmd, len, f->rsp,
	    sizeof(f->rsp)), 10);
	assert_int_equal(frame_get_u32(f->rsp + 6), PROXY_RC_MALFORMED);
	assert_int_equal(tpm.total, before);
}

static void
resmgr_execute_backend_failure_is_a_proxy_error(void **state)
{
	struct fixture *f = *state;

	tpm.fail = true;
	assert_int_equal(run_as(f, 1, 1, cmd(f, TPM2_CC_GetRandom, 0, 0, 0) + 2),
	    PROXY_RC_IO_ERROR);
	assert_int_equal(PROXY_RC_IO_ERROR & TSS2_RC_LAYER_MASK,
	    TSS2_RESMGR_RC_LAYER);
	tpm.fail = false;
}

static void
resmgr_execute_after_tpm_lost_forgets_all_reloads_nothing(void **state)
{
	struct fixture *f = *state;
	uint32_t keys[3], s, kept, fresh;
	uint8_t blob[64];
	size_t blob_len, len;
	unsigned loads, flushes;

	/* Three keys in two slots (one is swapped out), a session, and a
	 * session the client saved. */
	for (int i = 0; i < 3; i++)
		keys[i] = create_key(f, 1);
	s = start_session(f, 1, 1);
	kept = start_session(f, 1, 1);
	assert_int_equal(run_as(f, 1, 1, cmd(f, TPM2_CC_ContextSave, 1, kept,
	    0)), TPM2_RC_SUCCESS);
	blob_len = f->rsp_len - 10;
	memcpy(blob, f->rsp + 10, blob_len);
	/* swtpm killed and started again; the backend saw its TCTI fail. */
	fake_restart();
	backend_lost(&tpm, "killed");
	loads = tpm.sent[TPM2_CC_ContextLoad & 0x1ff];
	flushes = tpm.sent[TPM2_CC_FlushContext & 0x1ff];
	for (int i = 0; i < 3; i++)
		assert_int_equal(sign(f, 1, keys[i]),
		    PROXY_RC(TPM2_RC_HANDLE + TPM2_RC_H + TPM2_RC_1));
	len = with_session(f, cmd(f, TPM2_CC_GetRandom, 0, 0, 0), s, 1);
	assert_int_equal(run_as(f, 1, 1, len + 2),
	    PROXY_RC(TPM2_RC_HANDLE + TPM2_RC_S + TPM2_RC_1));
	len = cmd(f, TPM2_CC_ContextLoad, 0, 0, 0);
	memcpy(f->cmd + len, blob, blob_len);
	assert_int_equal(run_as(f, 1, 1, len + blob_len),
	    PROXY_RC(TPM2_RC_HANDLE + TPM2_RC_P + TPM2_RC_1));
	/* Nothing was loaded into the new TPM, nor flushed from it. */
	assert_int_equal(tpm.sent[TPM2_CC_ContextLoad & 0x1ff], loads);
	assert_int_equal(tpm.sent[TPM2_CC_FlushContext & 0x1ff], flushes);
	assert_int_equal(resmgr_stats(f->rm)->dropped, 5);
	assert_int_equal(resmgr_loaded(f->rm), 0);
	assert_int_equal(resmgr_owner_handles(f->rm, 1), 0);
	/* The connection goes on; its old handles are not reissued. */
	fresh = create_key(f, 1);
	for (int i = 0; i < 3; i++)
		assert_int_not_equal(fresh, keys[i]);
	assert_int_equal(sign(f, 1, fresh), TPM2_RC_SUCCESS);
}

static void
resmgr_execute_while_tpm_down_answers_without_it(void **state)
{
	struct fixture *f = *state;
	uint32_t key = create_key(f, 1);
	unsigned before;

	tpm.down = true;
	tpm.fail = true;
	assert_int_equal(sign(f, 1, key), PROXY_RC_IO_ERROR);
	tpm.fail = false;
	fake_restart();
	before = tpm.total;
	for (int i = 0; i < 10; i++) {
		assert_int_equal(run_as(f, 2, 2, cmd(f, TPM2_CC_GetRandom, 0, 0,
		    0) + 2), PROXY_RC_IO_ERROR);
		assert_int_equal(sign(f, 1, key), PROXY_RC_IO_ERROR);
	}
	/* A connection closing meanwhile costs no TPM command either. */
	resmgr_owner_gone(f->rm, 1);
	assert_int_equal(tpm.total, before);
	/* Back: the first command finds nothing left in it and works. */
	tpm.down = false;
	assert_int_not_equal(create_key(f, 2), 0);
	assert_int_equal(tpm.sent[TPM2_CC_GetCapability & 0x1ff], 3);
	assert_int_equal(tpm.sent[TPM2_CC_ContextLoad & 0x1ff], 0);
}

static void
resmgr_execute_object_handle_reuse_means_tpm_restarted(void **state)
{
	struct fixture *f = *state;
	uint32_t a1 = create_key(f, 1), a2 = create_key(f, 1), b;
	unsigned signs;

	/* Restarted between two commands, unseen by the TCTI: the TPM gives
	 * owner 2 the handle it gave owner 1's first key. */
	fake_restart();
	assert_int_equal(run_as(f, 2, 2, cmd(f, TPM2_CC_CreatePrimary, 1,
	    TPM2_RH_OWNER, 0)), PROXY_RC_IO_ERROR);
	assert_true(tpm.lost);
	/* Owner 1's handles never reach owner 2's object; the one the TPM
	 * made for owner 2 is swept out before anything else. */
	signs = tpm.sent[TPM2_CC_Sign & 0x1ff];
	assert_int_equal(sign(f, 1, a1),
	    PROXY_RC(TPM2_RC_HANDLE + TPM2_RC_H + TPM2_RC_1));
	assert_int_equal(sign(f, 1, a2),
	    PROXY_RC(TPM2_RC_HANDLE + TPM2_RC_H + TPM2_RC_1));
	assert_int_equal(tpm.sent[TPM2_CC_Sign & 0x1ff], signs);
	assert_false(tpm.slots[0].used);
	b = create_key(f, 2);
	assert_int_equal(sign(f, 2, b), TPM2_RC_SUCCESS);
}

static void
resmgr_execute_session_handle_reuse_means_tpm_restarted(void **state)
{
	struct fixture *f = *state;
	uint32_t s = start_session(f, 1, 1);
	size_t len;

	fake_restart();
	assert_int_equal(run_as(f, 2, 2, cmd(f, TPM2_CC_StartAuthSession, 2,
	    TPM2_RH_NULL, TPM2_RH_NULL)), PROXY_RC_IO_ERROR);
	len = with_session(f, cmd(f, TPM2_CC_GetRandom, 0, 0, 0), s, 1);
	assert_int_equal(run_as(f, 1, 1, len + 2),
	    PROXY_RC(TPM2_RC_HANDLE + TPM2_RC_S + TPM2_RC_1));
	assert_false(tpm.sessions[s & 0xffffff].active);
	assert_int_equal(start_session(f, 2, 2), s);
}

static void
resmgr_quota_objects_shared_by_a_group(void **state)
{
	struct fixture *f = *state;
	uint32_t k1, k2;
	unsigned before;

	f->quota.objects = 2;
	k1 = create_key(f, 1);
	/* Owner 2 is in the same group (identity 1 is the group here). */
	assert_int_equal(run_as(f, 2, 1, cmd(f, TPM2_CC_CreatePrimary, 1,
	    TPM2_RH_OWNER, 0)), TPM2_RC_SUCCESS);
	k2 = frame_get_u32(f->rsp + 10);
	before = tpm.total;
	assert_int_equal(run_as(f, 1, 1, cmd(f, TPM2_CC_CreatePrimary, 1,
	    TPM2_RH_OWNER, 0)), PROXY_RC(TPM2_RC_OBJECT_MEMORY));
	assert_int_equal(tpm.total, before);
	/* Another group is not affected. */
	create_key(f, 3);
	/* Freeing one makes room again, exactly at the limit. */
	assert_int_equal(run_as(f, 2, 1, cmd(f, TPM2_CC_FlushContext, 1, k2,
	    0)), TPM2_RC_SUCCESS);
	assert_int_not_equal(create_key(f, 1), 0);
	assert_int_equal(sign(f, 1, k1), TPM2_RC_SUCCESS);
	assert_int_equal(resmgr_stats(f->rm)->over_quota, 1);
}

static void
resmgr_quota_sessions_and_saved_sessions(void **state)
{
	struct fixture *f = *state;
	uint32_t s1;

	f->quota.sessions = 2;
	f->quota.saved = 1;
	s1 = start_session(f, 1, 1);
	start_session(f, 1, 1);
	assert_int_equal(run_as(f, 1, 1, cmd(f, TPM2_CC_StartAuthSession, 2,
	    TPM2_RH_NULL, TPM2_RH_NULL)), PROXY_RC(TPM2_RC_SESSION_MEMORY));
	/* Saving one moves it from the sessions to the saved quota. */
	assert_int_equal(run_as(f, 1, 1, cmd(f, TPM2_CC_ContextSave, 1, s1, 0)),
	    TPM2_RC_SUCCESS);
	uint32_t s3 = start_session(f, 1, 1);
	assert_int_equal(run_as(f, 1, 1, cmd(f, TPM2_CC_ContextSave, 1, s3, 0)),
	    PROXY_RC(TPM2_RC_SESSION_MEMORY));
}

/* Sessions saved by connections that have gone (killed between ContextSave
 * and ContextLoad) make room for the group's next save, oldest first;
 * those of connections still open never do. */
static void
resmgr_quota_saved_reclaims_abandoned_sessions(void **state)
{
	struct fixture *f = *state;
	uint32_t a[2], b[3];

	f->quota.saved = 2;
	for (int i = 0; i < 2; i++) {
		a[i] = start_session(f, 1, 7);
		assert_int_equal(run_as(f, 1, 7, cmd(f, TPM2_CC_ContextSave, 1,
		    a[i], 0)), TPM2_RC_SUCCESS);
	}
	for (int i = 0; i < 3; i++)
		b[i] = start_session(f, 2, 7);
	/* Owner 1 is still connected: its saves hold the quota. */
	assert_int_equal(run_as(f, 2, 7, cmd(f, TPM2_CC_ContextSave, 1, b[0],
	    0)), PROXY_RC(TPM2_RC_SESSION_MEMORY));
	resmgr_owner_gone(f->rm, 1);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(run_as(f, 2, 7, cmd(f, TPM2_CC_ContextSave, 1,
		    b[i], 0)), TPM2_RC_SUCCESS);
		/* The oldest abandoned one went, and only it. */
		assert_false(tpm.sessions[a[i] & 0xffffff].active);
		if (i == 0)
			assert_true(tpm.sessions[a[1] & 0xffffff].active);
	}
	/* The group's saved sessions are owner 2's own now. */
	assert_int_equal(run_as(f, 2, 7, cmd(f, TPM2_CC_ContextSave, 1, b[2],
	    0)), PROXY_RC(TPM2_RC_SESSION_MEMORY));
	assert_true(tpm.sessions[b[0] & 0xffffff].active);
	assert_true(tpm.sessions[b[1] & 0xffffff].active);
}

static void
resmgr_quota_nv_indices_tracked(void **state)
{
	struct fixture *f = *state;
	struct resmgr_quota used;
	size_t len;

	f->quota.nv_indices = 1;
	/* NV_DefineSpace(owner, auth = empty, publicInfo.nvIndex). */
	len = with_session(f, cmd(f, TPM2_CC_NV_DefineSpace, 1, TPM2_RH_OWNER,
	    0), TPM2_RS_PW, 1);
	frame_put_u16(f->cmd + len, 0);
	frame_put_u16(f->cmd + len + 2, 14);
	frame_put_u32(f->cmd + len + 4, 0x01500016);
	memset(f->cmd + len + 8, 0, 10);
	assert_int_equal(run_as(f, 1, 1, len + 18), TPM2_RC_SUCCESS);
	assert_int_equal(resmgr_group_usage(f->rm, 1, &used), 0);
	assert_int_equal(used.nv_indices, 1);
	/* The quota holds across connections of the group. */
	resmgr_owner_gone(f->rm, 1);
	assert_int_equal(run_as(f, 2, 1, len + 18),
	    PROXY_RC(TPM2_RC_NV_SPACE));
	/* Undefining it (any group may) frees the quota. */
	len = with_session(f, cmd(f, TPM2_CC_NV_UndefineSpace, 2,
	    TPM2_RH_OWNER, 0x01500016), TPM2_RS_PW, 1);
	assert_int_equal(run_as(f, 3, 9, len), TPM2_RC_SUCCESS);
	assert_int_equal(resmgr_group_usage(f->rm, 1, &used), 0);
	assert_int_equal(used.nv_indices, 0);
}

/* Whether the command built in f->cmd (len bytes) is resident for owner. */
static bool
resident(struct fixture *f, uint64_t owner, size_t len)
{
	frame_put_u32(f->cmd + 2, (uint32_t)len);
	return resmgr_resident(f->rm, owner, f->cmd, len);
}

static void
resmgr_resident_only_loaded_keys_of_the_owner(void **state)
{
	struct fixture *f = *state;
	uint32_t k1 = create_key(f, 1), k2 = create_key(f, 2);
	uint32_t k3 = create_key(f, 3);
	unsigned before = tpm.total;

	/* Two slots: owner 1's key went out for owner 3's. Each owner's
	 * first handle is the same number: the owner tells them apart. */
	assert_int_equal(k1, k3);
	assert_false(resident(f, 1, cmd(f, TPM2_CC_Sign, 1, k1, 0)));
	assert_true(resident(f, 2, cmd(f, TPM2_CC_Sign, 1, k2, 0)));
	assert_true(resident(f, 3, cmd(f, TPM2_CC_Sign, 1, k3, 0)));
	/* A handle the owner does not hold is not loaded for it. */
	assert_false(resident(f, 4, cmd(f, TPM2_CC_Sign, 1, k3, 0)));
	assert_false(resident(f, 3, cmd(f, TPM2_CC_Sign, 1, k3 + 1, 0)));
	/* Both handles must be in. */
	assert_false(resident(f, 1, cmd(f, TPM2_CC_Certify, 2, k1, k1)));
	/* Nothing to load: no handle, or one that is not transient. */
	assert_true(resident(f, 9, cmd(f, TPM2_CC_GetRandom, 0, 0, 0)));
	assert_true(resident(f, 9, cmd(f, TPM2_CC_CreatePrimary, 1,
	    TPM2_RH_OWNER, 0)));
	/* Asking changed nothing: no TPM command, and owner 2's key is
	 * still the least recently used, swapped out for owner 1's. */
	assert_int_equal(tpm.total, before);
	assert_int_equal(sign(f, 1, k1), TPM2_RC_SUCCESS);
	assert_false(resident(f, 2, cmd(f, TPM2_CC_Sign, 1, k2, 0)));
	assert_true(resident(f, 3, cmd(f, TPM2_CC_Sign, 1, k3, 0)));
}

static void
resmgr_resident_sessions_in_the_authorization_area(void **state)
{
	struct fixture *f = *state;
	uint32_t key = create_key(f, 1), s[3];
	size_t len;

	for (int i = 0; i < 3; i++)
		s[i] = start_session(f, 1, 1);
	/* Two session slots: the first session is saved away. */
	len = with_session(f, cmd(f, TPM2_CC_Sign, 1, key, 0), s[2], 1);
	assert_true(resident(f, 1, len));
	len = with_session(f, cmd(f, TPM2_CC_Sign, 1, key, 0), s[0], 1);
	assert_false(resident(f, 1, len));
	/* A session in the handle area counts too. */
	assert_false(resident(f, 1, cmd(f, TPM2_CC_PolicyPCR, 1, s[0], 0)));
	assert_true(resident(f, 1, cmd(f, TPM2_CC_PolicyPCR, 1, s[1], 0)));
	/* Another owner's session is never resident for this one. */
	assert_false(resident(f, 2, cmd(f, TPM2_CC_PolicyPCR, 1, s[1], 0)));
	/* The password session is always there. */
	len = with_session(f, cmd(f, TPM2_CC_Sign, 1, key, 0), TPM2_RS_PW, 1);
	assert_true(resident(f, 1, len));
}

static void
resmgr_resident_bad_input_is_not_resident(void **state)
{
	struct fixture *f = *state;
	uint32_t key = create_key(f, 1);
	unsigned before = tpm.total;
	size_t len;

	/* Shorter than a header; an unknown command code. */
	assert_false(resmgr_resident(f->rm, 1, f->cmd, 0));
	assert_false(resmgr_resident(f->rm, 1, f->cmd, 9));
	assert_false(resident(f, 1, cmd(f, 0x20000001, 0, 0, 0)));
	/* A handle area cut short. */
	assert_false(resident(f, 1, cmd(f, TPM2_CC_Certify, 1, key, 0)));
	/* authorizationSize missing, past the end, or cutting a session. */
	assert_false(resident(f, 1, with_session(f, cmd(f, TPM2_CC_Sign, 1,
	    key, 0), TPM2_RS_PW, 1) - 13));
	len = with_session(f, cmd(f, TPM2_CC_Sign, 1, key, 0), TPM2_RS_PW, 1);
	frame_put_u32(f->cmd + 14, 0xfffffff0);
	assert_false(resident(f, 1, len));
	len = with_session(f, cmd(f, TPM2_CC_Sign, 1, key, 0), TPM2_RS_PW, 1);
	frame_put_u32(f->cmd + 14, 5);
	assert_false(resident(f, 1, len - 4));
	/* A nonce size running past the session. */
	len = with_session(f, cmd(f, TPM2_CC_Sign, 1, key, 0), TPM2_RS_PW, 1);
	frame_put_u16(f->cmd + 22, 200);
	assert_false(resident(f, 1, len));
	/* Four sessions: one more than a command may carry. */
	len = cmd(f, TPM2_CC_Sign, 1, key, 0);
	frame_put_u16(f->cmd, FRAME_TAG_SESSIONS);
	frame_put_u32(f->cmd + len, 4 * 9);
	for (int i = 0; i < 4; i++) {
		uint8_t *at = f->cmd + len + 4 + 9 * i;

		frame_put_u32(at, TPM2_RS_PW);
		frame_put_u16(at + 4, 0);
		at[6] = 1;
		frame_put_u16(at + 7, 0);
	}
	assert_false(resident(f, 1, len + 4 + 4 * 9));
	/* Three of them read, and the key is loaded: resident. Nothing
	 * reached the TPM. */
	frame_put_u32(f->cmd + len, 3 * 9);
	assert_true(resident(f, 1, len + 4 + 3 * 9));
	assert_int_equal(tpm.total, before);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(resmgr_execute_lazy_residency_one_command_per_sign),
		T(resmgr_execute_virtual_handles_per_owner),
		T(resmgr_execute_virtual_handles_wrap_after_2_24),
		T(resmgr_execute_swaps_lru_beyond_slots),
		T(resmgr_execute_reactive_eviction_on_object_memory),
		T(resmgr_execute_sequence_resaved_on_each_eviction),
		T(resmgr_execute_sessions_owned_and_swapped),
		T(resmgr_execute_same_handle_twice),
		T(resmgr_flush_context_of_swapped_object_needs_no_tpm),
		T(resmgr_context_save_and_load_across_connections),
		T(resmgr_client_saved_sessions_bounded_per_identity),
		T(resmgr_context_gap_regaps_before_the_tpm_refuses),
		T(resmgr_context_gap_regaps_when_the_tpm_refuses),
		T(resmgr_execute_evicts_least_recently_used),
		T(resmgr_get_capability_lists_own_handles_paged),
		T(resmgr_owner_gone_flushes_everything),
		T(resmgr_execute_answers_locally),
		T(resmgr_execute_malformed_commands),
		T(resmgr_execute_backend_failure_is_a_proxy_error),
		T(resmgr_execute_after_tpm_lost_forgets_all_reloads_nothing),
		T(resmgr_execute_while_tpm_down_answers_without_it),
		T(resmgr_execute_object_handle_reuse_means_tpm_restarted),
		T(resmgr_execute_session_handle_reuse_means_tpm_restarted),
		T(resmgr_quota_objects_shared_by_a_group),
		T(resmgr_quota_sessions_and_saved_sessions),
		T(resmgr_quota_saved_reclaims_abandoned_sessions),
		T(resmgr_quota_nv_indices_tracked),
		T(resmgr_resident_only_loaded_keys_of_the_owner),
		T(resmgr_resident_sessions_in_the_authorization_area),
		T(resmgr_resident_bad_input_is_not_resident),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

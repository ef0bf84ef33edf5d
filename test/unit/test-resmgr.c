/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of src/resmgr.c against a fake backend that answers like a
 * TPM: which handles are tracked, which are flushed when an owner goes,
 * and which commands never reach the TPM. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
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

#define MAX_SENT 64

/* The fake TPM: records what it was sent, hands out handles. */
struct backend {
	int fail;
	uint32_t next_object;
	uint32_t next_session;
	size_t nsent;
	uint32_t sent_code[MAX_SENT];
	uint32_t sent_arg[MAX_SENT];
};

static struct backend fake;

int
backend_transact(struct backend *be, const uint8_t *cmd, size_t cmd_len,
    uint8_t *rsp, size_t *rsp_len)
{
	uint32_t code = frame_get_u32(cmd + 6), handle = 0;

	assert_true(be->nsent < MAX_SENT);
	be->sent_code[be->nsent] = code;
	be->sent_arg[be->nsent] = cmd_len >= 14 ? frame_get_u32(cmd + 10) : 0;
	be->nsent++;
	if (be->fail)
		return -EIO;
	switch (code) {
	case TPM2_CC_CreatePrimary:
	case TPM2_CC_Load:
		handle = be->next_object++;
		break;
	case TPM2_CC_StartAuthSession:
		handle = be->next_session++;
		break;
	case TPM2_CC_ContextLoad:
		handle = be->sent_arg[be->nsent - 1];
		break;
	}
	frame_put_u16(rsp, FRAME_TAG_NO_SESSIONS);
	frame_put_u32(rsp + 6, TPM2_RC_SUCCESS);
	if (handle != 0) {
		frame_put_u32(rsp + 10, handle);
		*rsp_len = 14;
	} else {
		*rsp_len = 10;
	}
	frame_put_u32(rsp + 2, (uint32_t)*rsp_len);
	return 0;
}

/* TPMA_CC for a command: index, handle count, response handle, flushed. */
#define CCA(cc, handles, rhandle, flushed)                                 \
	((TPMA_CC)(cc) | ((TPMA_CC)(handles) << TPMA_CC_CHANDLES_SHIFT) |  \
	    ((rhandle) ? TPMA_CC_RHANDLE : 0) | ((flushed) ? TPMA_CC_FLUSHED : 0))

static const TPMA_CC attr_list[] = {
	CCA(TPM2_CC_CreatePrimary, 1, 1, 0),
	CCA(TPM2_CC_Load, 1, 1, 0),
	CCA(TPM2_CC_StartAuthSession, 2, 1, 0),
	CCA(TPM2_CC_FlushContext, 0, 0, 0),
	CCA(TPM2_CC_ContextSave, 1, 0, 0),
	CCA(TPM2_CC_ContextLoad, 0, 1, 0),
	CCA(TPM2_CC_Sign, 1, 0, 0),
	CCA(TPM2_CC_SequenceComplete, 1, 0, 1),
	CCA(TPM2_CC_GetRandom, 0, 0, 0),
};

struct fixture {
	struct cmdattrs *attrs;
	struct resmgr *rm;
	uint8_t rsp[4096];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	memset(&fake, 0, sizeof(fake));
	fake.next_object = 0x80000000;
	fake.next_session = 0x03000000;
	assert_int_equal(cmdattrs_from_list(attr_list,
	    sizeof(attr_list) / sizeof(attr_list[0]), &f->attrs), 0);
	assert_int_equal(resmgr_new(&fake, f->attrs, &f->rm), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	resmgr_free(f->rm);
	cmdattrs_free(f->attrs);
	free(f);
	return 0;
}

/* Build a no-session command with one 32-bit argument (or none). */
static size_t
cmd_u32(uint8_t *buf, uint32_t code, int with_arg, uint32_t arg)
{
	size_t len = with_arg ? 14 : 10;

	frame_put_u16(buf, FRAME_TAG_NO_SESSIONS);
	frame_put_u32(buf + 2, (uint32_t)len);
	frame_put_u32(buf + 6, code);
	if (with_arg)
		frame_put_u32(buf + 10, arg);
	return len;
}

/* Build a one-handle command with one session of the given attributes. */
static size_t
cmd_with_session(uint8_t *buf, uint32_t code, uint32_t handle,
    uint32_t session, uint8_t attrs)
{
	size_t off = 10;

	frame_put_u16(buf, FRAME_TAG_SESSIONS);
	frame_put_u32(buf + 6, code);
	frame_put_u32(buf + off, handle);
	off += 4;
	frame_put_u32(buf + off, 9);   /* authorizationSize */
	off += 4;
	frame_put_u32(buf + off, session);
	off += 4;
	frame_put_u16(buf + off, 0);   /* nonce */
	off += 2;
	buf[off++] = attrs;
	frame_put_u16(buf + off, 0);   /* hmac */
	off += 2;
	frame_put_u32(buf + 2, (uint32_t)off);
	return off;
}

/* Run a command as owner and return its response code. */
static uint32_t
run(struct fixture *f, uint64_t owner, const uint8_t *cmd, size_t len)
{
	size_t n = resmgr_execute(f->rm, owner, cmd, len, f->rsp,
	    sizeof(f->rsp));

	assert_true(n >= FRAME_HEADER_SIZE);
	assert_int_equal(frame_get_u32(f->rsp + 2), n);
	return frame_get_u32(f->rsp + 6);
}

/* How many FlushContext(handle) the fake TPM saw. */
static int
flushes_of(uint32_t handle)
{
	int n = 0;

	for (size_t i = 0; i < fake.nsent; i++)
		n += fake.sent_code[i] == TPM2_CC_FlushContext &&
		    fake.sent_arg[i] == handle;
	return n;
}

static void
resmgr_owner_gone_flushes_created_objects(void **state)
{
	struct fixture *f = *state;
	uint8_t cmd[64];
	size_t len = cmd_u32(cmd, TPM2_CC_CreatePrimary, 1, TPM2_RH_OWNER);

	assert_int_equal(run(f, 1, cmd, len), TPM2_RC_SUCCESS);
	assert_int_equal(run(f, 2, cmd, len), TPM2_RC_SUCCESS);
	assert_int_equal(resmgr_owner_handles(f->rm, 1), 1);
	resmgr_owner_gone(f->rm, 1);
	assert_int_equal(flushes_of(0x80000000), 1);
	assert_int_equal(flushes_of(0x80000001), 0);   /* owner 2's */
	assert_int_equal(resmgr_owner_handles(f->rm, 1), 0);
}

static void
resmgr_execute_client_flush_forgets_handle(void **state)
{
	struct fixture *f = *state;
	uint8_t cmd[64];

	run(f, 1, cmd, cmd_u32(cmd, TPM2_CC_CreatePrimary, 1, TPM2_RH_OWNER));
	run(f, 1, cmd, cmd_u32(cmd, TPM2_CC_FlushContext, 1, 0x80000000));
	assert_int_equal(resmgr_owner_handles(f->rm, 1), 0);
	resmgr_owner_gone(f->rm, 1);
	assert_int_equal(flushes_of(0x80000000), 1);   /* the client's own */
}

static void
resmgr_execute_continue_session_clear_ends_session(void **state)
{
	struct fixture *f = *state;
	uint8_t cmd[64];

	run(f, 1, cmd, cmd_u32(cmd, TPM2_CC_StartAuthSession, 0, 0));
	run(f, 1, cmd, cmd_u32(cmd, TPM2_CC_StartAuthSession, 0, 0));
	assert_int_equal(resmgr_owner_handles(f->rm, 1), 2);
	run(f, 1, cmd, cmd_with_session(cmd, TPM2_CC_Sign, 0x81000001,
	    0x03000000, 0));
	run(f, 1, cmd, cmd_with_session(cmd, TPM2_CC_Sign, 0x81000001,
	    0x03000001, TPMA_SESSION_CONTINUESESSION));
	assert_int_equal(resmgr_owner_handles(f->rm, 1), 1);
	resmgr_owner_gone(f->rm, 1);
	assert_int_equal(flushes_of(0x03000000), 0);
	assert_int_equal(flushes_of(0x03000001), 1);
}

static void
resmgr_execute_context_save_keeps_objects_drops_sessions(void **state)
{
	struct fixture *f = *state;
	uint8_t cmd[64];

	run(f, 1, cmd, cmd_u32(cmd, TPM2_CC_CreatePrimary, 1, TPM2_RH_OWNER));
	run(f, 1, cmd, cmd_u32(cmd, TPM2_CC_StartAuthSession, 0, 0));
	run(f, 1, cmd, cmd_u32(cmd, TPM2_CC_ContextSave, 1, 0x80000000));
	run(f, 1, cmd, cmd_u32(cmd, TPM2_CC_ContextSave, 1, 0x03000000));
	resmgr_owner_gone(f->rm, 1);
	assert_int_equal(flushes_of(0x80000000), 1);
	assert_int_equal(flushes_of(0x03000000), 0);
	/* The saved session is flushed when the daemon stops. */
	resmgr_free(f->rm);
	f->rm = NULL;
	assert_int_equal(flushes_of(0x03000000), 1);
}

static void
resmgr_execute_saved_session_reloaded_by_another_owner(void **state)
{
	struct fixture *f = *state;
	uint8_t cmd[64];

	run(f, 1, cmd, cmd_u32(cmd, TPM2_CC_StartAuthSession, 0, 0));
	run(f, 1, cmd, cmd_u32(cmd, TPM2_CC_ContextSave, 1, 0x03000000));
	resmgr_owner_gone(f->rm, 1);
	/* The next tool loads it (the fake echoes the handle) and leaves. */
	run(f, 2, cmd, cmd_u32(cmd, TPM2_CC_ContextLoad, 1, 0x03000000));
	assert_int_equal(resmgr_owner_handles(f->rm, 2), 1);
	resmgr_owner_gone(f->rm, 2);
	assert_int_equal(flushes_of(0x03000000), 1);
	resmgr_free(f->rm);
	f->rm = NULL;
	assert_int_equal(flushes_of(0x03000000), 1);
}

static void
resmgr_execute_flushed_attribute_forgets_sequence(void **state)
{
	struct fixture *f = *state;
	uint8_t cmd[64];

	run(f, 1, cmd, cmd_u32(cmd, TPM2_CC_Load, 1, 0x80000000));
	run(f, 1, cmd, cmd_with_session(cmd, TPM2_CC_SequenceComplete,
	    0x80000000, TPM2_RS_PW, TPMA_SESSION_CONTINUESESSION));
	assert_int_equal(resmgr_owner_handles(f->rm, 1), 0);
}

static void
resmgr_execute_answers_startup_and_shutdown_locally(void **state)
{
	struct fixture *f = *state;
	uint8_t cmd[64];
	size_t len;

	len = cmd_u32(cmd, TPM2_CC_Startup, 0, 0);
	frame_put_u32(cmd + 2, 12);
	frame_put_u16(cmd + 10, TPM2_SU_CLEAR);
	assert_int_equal(run(f, 1, cmd, len + 2), TPM2_RC_INITIALIZE);
	len = cmd_u32(cmd, TPM2_CC_Shutdown, 0, 0);
	assert_int_equal(run(f, 1, cmd, len), TPM2_RC_SUCCESS);
	assert_int_equal(fake.nsent, 0);
}

static void
resmgr_execute_unknown_command_code(void **state)
{
	struct fixture *f = *state;
	uint8_t cmd[64];

	assert_int_equal(run(f, 1, cmd, cmd_u32(cmd, 0x20000123, 0, 0)),
	    TPM2_RC_COMMAND_CODE);
	assert_int_equal(fake.nsent, 0);
}

static void
resmgr_execute_backend_failure_is_a_proxy_error(void **state)
{
	struct fixture *f = *state;
	uint8_t cmd[64];

	fake.fail = 1;
	assert_int_equal(run(f, 1, cmd, cmd_u32(cmd, TPM2_CC_GetRandom, 0, 0)),
	    PROXY_RC_IO_ERROR);
	assert_int_equal(PROXY_RC_IO_ERROR & TSS2_RC_LAYER_MASK,
	    TSS2_RESMGR_RC_LAYER);
}

static void
resmgr_execute_malformed_auth_area(void **state)
{
	struct fixture *f = *state;
	uint8_t cmd[64];
	size_t len;

	run(f, 1, cmd, cmd_u32(cmd, TPM2_CC_StartAuthSession, 0, 0));
	/* authorizationSize larger than the command: nothing is forgotten. */
	len = cmd_with_session(cmd, TPM2_CC_Sign, 0x81000001, 0x03000000, 0);
	frame_put_u32(cmd + 14, 0xfffffff0);
	run(f, 1, cmd, len);
	/* A session entry cut short. */
	len = cmd_with_session(cmd, TPM2_CC_Sign, 0x81000001, 0x03000000, 0);
	frame_put_u32(cmd + 14, 5);
	run(f, 1, cmd, len - 4);
	assert_int_equal(resmgr_owner_handles(f->rm, 1), 1);
	/* A declared size that disagrees with the bytes handed over. */
	len = cmd_u32(cmd, TPM2_CC_GetRandom, 0, 0);
	assert_int_equal(run(f, 1, cmd, len + 4), PROXY_RC_MALFORMED);
	frame_put_u32(cmd + 2, 4);
	assert_int_equal(run(f, 1, cmd, len), PROXY_RC_MALFORMED);
}

static void
resmgr_free_flushes_every_owner(void **state)
{
	struct fixture *f = *state;
	uint8_t cmd[64];

	for (uint64_t owner = 1; owner <= 3; owner++)
		run(f, owner, cmd, cmd_u32(cmd, TPM2_CC_CreatePrimary, 1,
		    TPM2_RH_OWNER));
	resmgr_free(f->rm);
	f->rm = NULL;
	for (uint32_t h = 0x80000000; h < 0x80000003; h++)
		assert_int_equal(flushes_of(h), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    resmgr_owner_gone_flushes_created_objects, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    resmgr_execute_client_flush_forgets_handle, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    resmgr_execute_continue_session_clear_ends_session, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    resmgr_execute_context_save_keeps_objects_drops_sessions,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    resmgr_execute_saved_session_reloaded_by_another_owner,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    resmgr_execute_flushed_attribute_forgets_sequence, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    resmgr_execute_answers_startup_and_shutdown_locally, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    resmgr_execute_unknown_command_code, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    resmgr_execute_backend_failure_is_a_proxy_error, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    resmgr_execute_malformed_auth_area, setup, teardown),
		cmocka_unit_test_setup_teardown(resmgr_free_flushes_every_owner,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of src/simframe.c: the simulator framing tcti-mssim sends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "frame.h"
#include "simframe.h"

/* TPM_SEND_COMMAND, locality 0, length 12, GetRandom(8): the bytes
 * tcti-mssim of tpm2-tss 3.2 writes. */
static const uint8_t send_get_random[] = {
	0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x0c,
	0x80, 0x01, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x01, 0x7b, 0x00, 0x08,
};

static void
simframe_tells_framings_apart(void **state)
{
	assert_true(simframe_is_simulator(0x00));
	assert_false(simframe_is_simulator(0x80));
	assert_false(simframe_is_simulator(0x01));
	assert_false(simframe_is_simulator(0xff));
}

static void
simframe_command_ready(void **state)
{
	struct simframe sf;

	assert_int_equal(simframe_check(send_get_random,
	    sizeof(send_get_random), 4096, &sf), SIMFRAME_COMMAND);
	assert_int_equal(sf.code, SIMFRAME_CODE_SEND);
	assert_int_equal(sf.locality, 0);
	assert_int_equal(sf.length, 12);
}

/* Every prefix of a frame is incomplete, never an error. */
static void
simframe_every_prefix_incomplete(void **state)
{
	struct simframe sf;

	for (size_t n = 0; n < sizeof(send_get_random); n++)
		assert_int_equal(simframe_check(send_get_random, n, 4096, &sf),
		    SIMFRAME_INCOMPLETE);
}

static void
simframe_session_end(void **state)
{
	static const uint8_t end[] = { 0x00, 0x00, 0x00, 0x14 };
	struct simframe sf;

	assert_int_equal(simframe_check(end, sizeof(end), 4096, &sf),
	    SIMFRAME_SESSION_END);
}

/* Platform codes belong on the control channel; anything else is not the
 * protocol at all. */
static void
simframe_unknown_codes(void **state)
{
	static const uint32_t codes[] = { 0, 1, 2, 5, 7, 9, 11, 15, 21, 25,
	    0x80010000, 0xffffffff };
	uint8_t buf[sizeof(send_get_random)];
	struct simframe sf;

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		memcpy(buf, send_get_random, sizeof(buf));
		frame_put_u32(buf, codes[i]);
		assert_int_equal(simframe_check(buf, 4, 4096, &sf),
		    SIMFRAME_UNKNOWN_CODE);
		assert_int_equal(sf.code, codes[i]);
	}
}

static void
simframe_bad_lengths(void **state)
{
	static const uint32_t lengths[] = { 0, 1, 9, 4097, 0x7fffffff,
	    0xffffffff };
	uint8_t buf[sizeof(send_get_random)];
	struct simframe sf;

	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		memcpy(buf, send_get_random, sizeof(buf));
		frame_put_u32(buf + 5, lengths[i]);
		/* Told as soon as the prefix is in. */
		assert_int_equal(simframe_check(buf, SIMFRAME_PREFIX_SIZE, 4096,
		    &sf), SIMFRAME_BAD_LENGTH);
	}
}

/* A length that lies about the command it carries. */
static void
simframe_length_mismatch(void **state)
{
	uint8_t buf[sizeof(send_get_random) + 8];
	struct simframe sf;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, send_get_random, sizeof(send_get_random));
	frame_put_u32(buf + 5, 20);
	assert_int_equal(simframe_check(buf, sizeof(buf), 4096, &sf),
	    SIMFRAME_LENGTH_MISMATCH);
	frame_put_u32(buf + 5, 10);
	assert_int_equal(simframe_check(buf, sizeof(buf), 4096, &sf),
	    SIMFRAME_LENGTH_MISMATCH);
}

static void
simframe_locality_reported(void **state)
{
	uint8_t buf[sizeof(send_get_random)];
	struct simframe sf;

	memcpy(buf, send_get_random, sizeof(buf));
	buf[4] = 3;
	assert_int_equal(simframe_check(buf, sizeof(buf), 4096, &sf),
	    SIMFRAME_COMMAND);
	assert_int_equal(sf.locality, 3);
}

static void
simframe_response_prefix_layout(void **state)
{
	uint8_t p[4];

	simframe_response_prefix(p, 0x1234);
	assert_int_equal(frame_get_u32(p), 0x1234);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(simframe_tells_framings_apart),
		cmocka_unit_test(simframe_command_ready),
		cmocka_unit_test(simframe_every_prefix_incomplete),
		cmocka_unit_test(simframe_session_end),
		cmocka_unit_test(simframe_unknown_codes),
		cmocka_unit_test(simframe_bad_lengths),
		cmocka_unit_test(simframe_length_mismatch),
		cmocka_unit_test(simframe_locality_reported),
		cmocka_unit_test(simframe_response_prefix_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

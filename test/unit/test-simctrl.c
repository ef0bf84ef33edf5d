/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of src/simctrl.c: every MS-simulator and swtpm control command,
 * the dialect decision, split and pipelined input, and bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "simctrl.h"

#define U32(v) (uint8_t)((v) >> 24), (uint8_t)((v) >> 16), \
	(uint8_t)((v) >> 8), (uint8_t)(v)

static const uint8_t zero4[] = { 0, 0, 0, 0 };
static const uint8_t one4[] = { 0, 0, 0, 1 };
static const uint8_t bad_ordinal[] = { 0, 0, 0, 0x0a };
static const uint8_t bad_parameter[] = { 0, 0, 0, 0x03 };
static const uint8_t bad_locality[] = { 0, 0, 0, 0x3d };

/* Run one step on a heap copy of exactly len bytes, so that ASan sees any
 * read past the input. */
static enum simctrl_result
step(struct simctrl *st, const uint8_t *in, size_t len,
    struct simctrl_step *out)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum simctrl_result r;

	assert_non_null(copy);
	if (len > 0)
		memcpy(copy, in, len);
	r = simctrl_step(st, copy, len, out);
	free(copy);
	assert_true(out->consumed <= len);
	assert_true(out->answer_len <= SIMCTRL_ANSWER_MAX);
	assert_non_null(out->name);
	if (out->refused)
		assert_non_null(out->why);
	return r;
}

static void
assert_answer(const struct simctrl_step *out, const uint8_t *want, size_t n)
{
	assert_int_equal(out->answer_len, n);
	assert_memory_equal(out->answer, want, n);
}

/* A connection already in the swtpm dialect (by SET_LOCALITY 0). */
static void
swtpm_connection(struct simctrl *st)
{
	static const uint8_t set_locality0[] = { U32(5), 0 };
	struct simctrl_step out;

	memset(st, 0, sizeof(*st));
	assert_int_equal(step(st, set_locality0, sizeof(set_locality0), &out),
	    SIMCTRL_ANSWER);
	assert_int_equal(st->dialect, SIMCTRL_SWTPM);
}

/* A connection already in the MS-simulator dialect (by POWER_ON). */
static void
mssim_connection(struct simctrl *st)
{
	static const uint8_t power_on[] = { U32(1) };
	struct simctrl_step out;

	memset(st, 0, sizeof(*st));
	assert_int_equal(step(st, power_on, sizeof(power_on), &out),
	    SIMCTRL_ANSWER);
	assert_int_equal(st->dialect, SIMCTRL_MSSIM);
}

static void
simctrl_step_mssim_noops(void **state)
{
	static const struct {
		uint32_t code;
		const char *name;
	} noops[] = {
		{ 1, "power-on" }, { 2, "power-off" }, { 3, "phys-pres-on" },
		{ 4, "phys-pres-off" }, { 9, "cancel-on" }, { 10, "cancel-off" },
		{ 11, "nv-on" }, { 12, "nv-off" }, { 13, "key-cache-on" },
		{ 14, "key-cache-off" }, { 17, "reset" }, { 18, "restart" },
	};
	struct simctrl st;
	struct simctrl_step out;

	for (size_t i = 0; i < sizeof(noops) / sizeof(noops[0]); i++) {
		uint8_t in[] = { U32(noops[i].code) };

		/* As the first command, and after another one. */
		for (int warm = 0; warm <= 1; warm++) {
			if (warm)
				mssim_connection(&st);
			else
				memset(&st, 0, sizeof(st));
			assert_int_equal(step(&st, in, sizeof(in), &out),
			    SIMCTRL_ANSWER);
			assert_int_equal(out.consumed, 4);
			assert_answer(&out, zero4, 4);
			assert_int_equal(out.code, noops[i].code);
			assert_string_equal(out.name, noops[i].name);
			assert_false(out.refused);
			assert_int_equal(st.dialect, SIMCTRL_MSSIM);
		}
	}
}

static void
simctrl_step_mssim_session_end_and_stop(void **state)
{
	static const uint8_t session_end[] = { U32(20) };
	static const uint8_t stop[] = { U32(21) };
	struct simctrl st;
	struct simctrl_step out;

	memset(&st, 0, sizeof(st));
	assert_int_equal(step(&st, session_end, 4, &out), SIMCTRL_CLOSE);
	assert_int_equal(out.answer_len, 0);
	assert_false(out.refused);
	assert_string_equal(out.name, "session-end");

	mssim_connection(&st);
	assert_int_equal(step(&st, stop, 4, &out), SIMCTRL_CLOSE);
	assert_int_equal(out.answer_len, 0);
	assert_false(out.refused);
	assert_string_equal(out.name, "stop");
}

static void
simctrl_step_mssim_refused(void **state)
{
	static const struct {
		uint32_t code;
		const char *name;
	} refused[] = {
		{ 5, "hash-start" }, { 6, "hash-data" }, { 7, "hash-end" },
		{ 8, "send-command" }, { 15, "remote-handshake" },
		{ 16, "set-alternative-result" },
		{ 25, "get-command-response-sizes" },
		{ 30, "test-failure-mode" },
		{ 0, "unknown" }, { 19, "unknown" }, { 22, "unknown" },
		{ 31, "unknown" }, { 0x80010000, "unknown" },
		{ 0xffffffff, "unknown" },
	};
	struct simctrl st;
	struct simctrl_step out;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		/* A payload follows (as for HASH_DATA or SEND_COMMAND): it
		 * must not matter, the connection is closed. */
		uint8_t in[] = { U32(refused[i].code), 0, U32(0x7fffffff) };

		mssim_connection(&st);
		assert_int_equal(step(&st, in, sizeof(in), &out),
		    SIMCTRL_CLOSE);
		assert_answer(&out, one4, 4);
		assert_true(out.refused);
		assert_non_null(out.why);
		assert_int_equal(out.code, refused[i].code);
		assert_string_equal(out.name, refused[i].name);
		/* The code alone is enough to decide. */
		mssim_connection(&st);
		assert_int_equal(step(&st, in, 4, &out), SIMCTRL_CLOSE);
	}
}

static void
simctrl_step_mssim_unknown_first_command(void **state)
{
	static const uint8_t in[] = { U32(0x12345678) };
	struct simctrl st = { 0 };
	struct simctrl_step out;

	assert_int_equal(step(&st, in, sizeof(in), &out), SIMCTRL_CLOSE);
	assert_int_equal(st.dialect, SIMCTRL_MSSIM);
	assert_answer(&out, one4, 4);
	assert_true(out.refused);
	assert_string_equal(out.why, "unknown command 0x12345678");
}

static void
simctrl_step_dialect_swtpm_by_set_locality(void **state)
{
	static const uint8_t set_locality0[] = { U32(5), 0 };
	static const uint8_t get_capability[] = { U32(1) };
	struct simctrl st = { 0 };
	struct simctrl_step out;

	assert_int_equal(step(&st, set_locality0, 5, &out), SIMCTRL_ANSWER);
	assert_int_equal(st.dialect, SIMCTRL_SWTPM);
	assert_string_equal(out.name, "set-locality");
	assert_int_equal(out.consumed, 5);
	assert_answer(&out, zero4, 4);
	/* Now 1 is swtpm's GET_CAPABILITY, answered by 8 bytes. */
	assert_int_equal(step(&st, get_capability, 4, &out), SIMCTRL_ANSWER);
	assert_string_equal(out.name, "get-capability");
	assert_int_equal(out.answer_len, 8);
	assert_int_equal(st.dialect, SIMCTRL_SWTPM);
}

static void
simctrl_step_dialect_mssim_by_anything_else(void **state)
{
	static const uint8_t power_on[] = { U32(1) };
	static const uint8_t five[] = { U32(5), 0 };
	struct simctrl st = { 0 };
	struct simctrl_step out;

	assert_int_equal(step(&st, power_on, 4, &out), SIMCTRL_ANSWER);
	assert_int_equal(st.dialect, SIMCTRL_MSSIM);
	assert_answer(&out, zero4, 4);
	/* Now 5 is the simulator's HASH_START: refused, closed. */
	assert_int_equal(step(&st, five, 5, &out), SIMCTRL_CLOSE);
	assert_string_equal(out.name, "hash-start");
	assert_true(out.refused);
	assert_int_equal(st.dialect, SIMCTRL_MSSIM);
}

static void
simctrl_step_dialect_not_fixed_by_partial_input(void **state)
{
	static const uint8_t set_locality0[] = { U32(5), 0 };
	struct simctrl st = { 0 };
	struct simctrl_step out;

	for (size_t n = 0; n < sizeof(set_locality0); n++) {
		assert_int_equal(step(&st, set_locality0, n, &out),
		    SIMCTRL_NEED_MORE);
		assert_int_equal(st.dialect, SIMCTRL_UNKNOWN);
	}
}

static void
simctrl_step_dialect_names(void **state)
{
	assert_string_equal(simctrl_dialect_name(SIMCTRL_MSSIM), "mssim");
	assert_string_equal(simctrl_dialect_name(SIMCTRL_SWTPM), "swtpm");
	assert_string_equal(simctrl_dialect_name(SIMCTRL_UNKNOWN), "unknown");
}

static void
simctrl_step_swtpm_set_locality(void **state)
{
	struct simctrl st;
	struct simctrl_step out;

	for (unsigned loc = 0; loc <= 255; loc++) {
		uint8_t in[] = { U32(5), (uint8_t)loc };
		char want[32];

		/* As the first command (tcti-swtpm) and later on. */
		for (int warm = 0; warm <= 1; warm++) {
			if (warm)
				swtpm_connection(&st);
			else
				memset(&st, 0, sizeof(st));
			assert_int_equal(step(&st, in, sizeof(in), &out),
			    SIMCTRL_ANSWER);
			assert_int_equal(out.consumed, 5);
			assert_string_equal(out.name, "set-locality");
			if (loc == 0) {
				assert_answer(&out, zero4, 4);
				assert_false(out.refused);
				continue;
			}
			assert_answer(&out, bad_locality, 4);
			assert_true(out.refused);
			snprintf(want, sizeof(want), "locality %u refused", loc);
			assert_string_equal(out.why, want);
		}
	}
}

static void
simctrl_step_swtpm_get_capability(void **state)
{
	static const uint8_t in[] = { U32(1) };
	/* INIT, SHUTDOWN, GET_TPMESTABLISHED, SET_LOCALITY, CANCEL_TPM_CMD,
	 * STOP; not HASHING: it is refused. */
	static const uint8_t want[] = { U32(0), U32(0x42f) };
	struct simctrl st;
	struct simctrl_step out;

	swtpm_connection(&st);
	assert_int_equal(step(&st, in, sizeof(in), &out), SIMCTRL_ANSWER);
	assert_int_equal(out.consumed, 4);
	assert_answer(&out, want, sizeof(want));
	assert_false(out.refused);
}

static void
simctrl_step_swtpm_noops(void **state)
{
	static const struct {
		uint8_t in[8];
		size_t len;
		const char *name;
	} noops[] = {
		{ { U32(2), U32(1) }, 8, "init" },
		{ { U32(2), U32(0) }, 8, "init" },
		{ { U32(3) }, 4, "shutdown" },
		{ { U32(9) }, 4, "cancel-tpm-cmd" },
	};
	struct simctrl st;
	struct simctrl_step out;

	for (size_t i = 0; i < sizeof(noops) / sizeof(noops[0]); i++) {
		swtpm_connection(&st);
		assert_int_equal(step(&st, noops[i].in, noops[i].len, &out),
		    SIMCTRL_ANSWER);
		assert_int_equal(out.consumed, noops[i].len);
		assert_answer(&out, zero4, 4);
		assert_string_equal(out.name, noops[i].name);
		assert_false(out.refused);
	}
}

static void
simctrl_step_swtpm_get_tpmestablished(void **state)
{
	static const uint8_t in[] = { U32(4) };
	/* ptm_res 0, bit 0, 3 bytes of struct padding. */
	static const uint8_t want[8] = { 0 };
	struct simctrl st;
	struct simctrl_step out;

	swtpm_connection(&st);
	assert_int_equal(step(&st, in, sizeof(in), &out), SIMCTRL_ANSWER);
	assert_answer(&out, want, sizeof(want));
	assert_string_equal(out.name, "get-tpmestablished");
}

static void
simctrl_step_swtpm_hash_start_end_refused(void **state)
{
	static const uint8_t start[] = { U32(6) };
	static const uint8_t end[] = { U32(8) };
	struct simctrl st;
	struct simctrl_step out;

	swtpm_connection(&st);
	assert_int_equal(step(&st, start, 4, &out), SIMCTRL_ANSWER);
	assert_answer(&out, bad_ordinal, 4);
	assert_true(out.refused);
	assert_string_equal(out.name, "hash-start");
	assert_int_equal(step(&st, end, 4, &out), SIMCTRL_ANSWER);
	assert_answer(&out, bad_ordinal, 4);
	assert_true(out.refused);
	assert_string_equal(out.name, "hash-end");
}

static void
simctrl_step_swtpm_hash_data(void **state)
{
	static const uint32_t lens[] = { 0, 1, 10, 4095, 4096 };
	struct simctrl st;
	struct simctrl_step out;
	uint8_t *in;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t total = 8 + lens[i];

		/* One byte more than the command, to see it is not eaten. */
		in = calloc(1, total + 1);
		assert_non_null(in);
		in[3] = 7;
		in[4] = (uint8_t)(lens[i] >> 24);
		in[5] = (uint8_t)(lens[i] >> 16);
		in[6] = (uint8_t)(lens[i] >> 8);
		in[7] = (uint8_t)lens[i];
		swtpm_connection(&st);
		assert_int_equal(step(&st, in, total - 1, &out),
		    SIMCTRL_NEED_MORE);
		assert_int_equal(step(&st, in, total + 1, &out),
		    SIMCTRL_ANSWER);
		assert_int_equal(out.consumed, total);
		assert_answer(&out, bad_ordinal, 4);
		assert_true(out.refused);
		assert_string_equal(out.name, "hash-data");
		free(in);
	}
}

static void
simctrl_step_swtpm_hash_data_huge_length(void **state)
{
	static const uint32_t lens[] = { 4097, 0x10000, 0x7fffffff,
	    0xffffffff };
	struct simctrl st;
	struct simctrl_step out;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint8_t in[] = { U32(7), U32(lens[i]) };

		swtpm_connection(&st);
		/* Decided on the length alone, nothing more is awaited. */
		assert_int_equal(step(&st, in, sizeof(in), &out),
		    SIMCTRL_CLOSE);
		assert_answer(&out, bad_parameter, 4);
		assert_true(out.refused);
		assert_non_null(strstr(out.why, "over 4096"));
	}
}

static void
simctrl_step_swtpm_stop(void **state)
{
	static const uint8_t in[] = { U32(0x0e) };
	struct simctrl st;
	struct simctrl_step out;

	swtpm_connection(&st);
	assert_int_equal(step(&st, in, sizeof(in), &out), SIMCTRL_CLOSE);
	assert_answer(&out, zero4, 4);
	assert_false(out.refused);
	assert_string_equal(out.name, "stop");
}

static void
simctrl_step_swtpm_refused_and_closed(void **state)
{
	static const struct {
		uint32_t code;
		const char *name;
	} refused[] = {
		{ 0x0a, "store-volatile" }, { 0x0b, "reset-tpmestablished" },
		{ 0x0c, "get-stateblob" }, { 0x0d, "set-stateblob" },
		{ 0x0f, "get-config" }, { 0x10, "set-datafd" },
		{ 0x11, "set-buffersize" }, { 0x12, "get-info" },
		{ 0x13, "lock-storage" }, { 0x14, "unknown" },
		{ 0, "unknown" }, { 0x100, "unknown" },
		{ 0xffffffff, "unknown" },
	};
	struct simctrl st;
	struct simctrl_step out;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		uint8_t in[] = { U32(refused[i].code) };

		swtpm_connection(&st);
		assert_int_equal(step(&st, in, sizeof(in), &out),
		    SIMCTRL_CLOSE);
		assert_int_equal(out.consumed, 4);
		assert_answer(&out, bad_ordinal, 4);
		assert_true(out.refused);
		assert_string_equal(out.name, refused[i].name);
	}
}

/* Every command of both dialects, in a connection of its dialect. */
struct split_case {
	enum simctrl_dialect dialect;
	uint8_t in[16];
	size_t len;
};

static const struct split_case split_cases[] = {
	{ SIMCTRL_MSSIM, { U32(1) }, 4 }, { SIMCTRL_MSSIM, { U32(2) }, 4 },
	{ SIMCTRL_MSSIM, { U32(3) }, 4 }, { SIMCTRL_MSSIM, { U32(4) }, 4 },
	{ SIMCTRL_MSSIM, { U32(5) }, 4 }, { SIMCTRL_MSSIM, { U32(6) }, 4 },
	{ SIMCTRL_MSSIM, { U32(7) }, 4 }, { SIMCTRL_MSSIM, { U32(8) }, 4 },
	{ SIMCTRL_MSSIM, { U32(9) }, 4 }, { SIMCTRL_MSSIM, { U32(10) }, 4 },
	{ SIMCTRL_MSSIM, { U32(11) }, 4 }, { SIMCTRL_MSSIM, { U32(12) }, 4 },
	{ SIMCTRL_MSSIM, { U32(13) }, 4 }, { SIMCTRL_MSSIM, { U32(14) }, 4 },
	{ SIMCTRL_MSSIM, { U32(15) }, 4 }, { SIMCTRL_MSSIM, { U32(16) }, 4 },
	{ SIMCTRL_MSSIM, { U32(17) }, 4 }, { SIMCTRL_MSSIM, { U32(18) }, 4 },
	{ SIMCTRL_MSSIM, { U32(20) }, 4 }, { SIMCTRL_MSSIM, { U32(21) }, 4 },
	{ SIMCTRL_MSSIM, { U32(25) }, 4 }, { SIMCTRL_MSSIM, { U32(30) }, 4 },
	{ SIMCTRL_MSSIM, { U32(99) }, 4 },
	{ SIMCTRL_SWTPM, { U32(1) }, 4 },
	{ SIMCTRL_SWTPM, { U32(2), U32(1) }, 8 },
	{ SIMCTRL_SWTPM, { U32(3) }, 4 }, { SIMCTRL_SWTPM, { U32(4) }, 4 },
	{ SIMCTRL_SWTPM, { U32(5), 0 }, 5 }, { SIMCTRL_SWTPM, { U32(5), 3 }, 5 },
	{ SIMCTRL_SWTPM, { U32(6) }, 4 },
	{ SIMCTRL_SWTPM, { U32(7), U32(3), 'a', 'b', 'c' }, 11 },
	{ SIMCTRL_SWTPM, { U32(7), U32(5000) }, 8 },
	{ SIMCTRL_SWTPM, { U32(8) }, 4 }, { SIMCTRL_SWTPM, { U32(9) }, 4 },
	{ SIMCTRL_SWTPM, { U32(10) }, 4 }, { SIMCTRL_SWTPM, { U32(11) }, 4 },
	{ SIMCTRL_SWTPM, { U32(12) }, 4 }, { SIMCTRL_SWTPM, { U32(13) }, 4 },
	{ SIMCTRL_SWTPM, { U32(14) }, 4 }, { SIMCTRL_SWTPM, { U32(15) }, 4 },
	{ SIMCTRL_SWTPM, { U32(16) }, 4 }, { SIMCTRL_SWTPM, { U32(17) }, 4 },
	{ SIMCTRL_SWTPM, { U32(18) }, 4 }, { SIMCTRL_SWTPM, { U32(19) }, 4 },
	{ SIMCTRL_SWTPM, { U32(99) }, 4 },
};

static void
simctrl_step_split_input(void **state)
{
	struct simctrl st;
	struct simctrl_step out;

	for (size_t i = 0; i < sizeof(split_cases) / sizeof(split_cases[0]);
	    i++) {
		const struct split_case *c = &split_cases[i];

		if (c->dialect == SIMCTRL_SWTPM)
			swtpm_connection(&st);
		else
			mssim_connection(&st);
		for (size_t n = 0; n < c->len; n++) {
			assert_int_equal(step(&st, c->in, n, &out),
			    SIMCTRL_NEED_MORE);
			assert_int_equal(out.consumed, 0);
			assert_int_equal(out.answer_len, 0);
			assert_false(out.refused);
		}
		assert_int_not_equal(step(&st, c->in, c->len, &out),
		    SIMCTRL_NEED_MORE);
		assert_int_equal(st.dialect, c->dialect);
		assert_int_equal(out.consumed, c->len);
	}
}

/* Feed bytes the way the connection layer does: step until the input is
 * used up, more is needed, or the connection is closed. */
static enum simctrl_result
feed_all(struct simctrl *st, const uint8_t *in, size_t len,
    enum simctrl_result *results, size_t max, size_t *count)
{
	struct simctrl_step out;
	enum simctrl_result r;
	size_t off = 0;

	*count = 0;
	for (;;) {
		r = step(st, in + off, len - off, &out);
		if (*count < max)
			results[*count] = r;
		(*count)++;
		if (r != SIMCTRL_ANSWER)
			return r;
		assert_true(out.consumed > 0);
		off += out.consumed;
	}
}

static void
simctrl_step_garbage(void **state)
{
	uint8_t buf[512];
	uint32_t x = 0x12345678;
	enum simctrl_result results[1];
	size_t count;

	for (int round = 0; round < 2000; round++) {
		struct simctrl st = { 0 };
		size_t len = (size_t)(round % (int)sizeof(buf));

		for (size_t i = 0; i < len; i++) {
			/* xorshift32: reproducible noise. */
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[i] = (uint8_t)x;
		}
		/* Half the rounds speak swtpm. */
		if (round % 2 && len >= 5) {
			buf[0] = buf[1] = buf[2] = 0;
			buf[3] = 5;
		}
		feed_all(&st, buf, len, results, 1, &count);
		assert_true(count <= len / 4 + 1);
	}
}

static void
simctrl_step_pipelined_mssim(void **state)
{
	static const uint8_t in[] = { U32(1), U32(11), U32(9), U32(10),
	    U32(20), U32(1) };
	enum simctrl_result results[8];
	struct simctrl st = { 0 };
	size_t count;

	assert_int_equal(feed_all(&st, in, sizeof(in), results, 8, &count),
	    SIMCTRL_CLOSE);
	assert_int_equal(count, 5);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(results[i], SIMCTRL_ANSWER);
}

static void
simctrl_step_pipelined_swtpm(void **state)
{
	static const uint8_t in[] = { U32(5), 0, U32(1), U32(2), U32(0),
	    U32(7), U32(3), 'x', 'y', 'z', U32(5), 2, U32(4), U32(0x0e),
	    U32(1) };
	static const size_t want_consumed[] = { 5, 4, 8, 11, 5, 4, 4 };
	struct simctrl st = { 0 };
	struct simctrl_step out;
	size_t off = 0;

	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(step(&st, in + off, sizeof(in) - off, &out),
		    SIMCTRL_ANSWER);
		assert_int_equal(out.consumed, want_consumed[i]);
		off += out.consumed;
	}
	assert_int_equal(step(&st, in + off, sizeof(in) - off, &out),
	    SIMCTRL_CLOSE);
	assert_string_equal(out.name, "stop");
	assert_int_equal(out.consumed, 4);
	assert_int_equal(off + out.consumed, sizeof(in) - 4);
}

/* The bytes tcti-mssim sends on P.ctrl (tpm2-tss 3.2.1, seen on Debian 12):
 * POWER_ON and NV_ON at init, each awaiting 4 zero bytes before the next;
 * CANCEL_ON / CANCEL_OFF around a cancelled command; SESSION_END at
 * finalize. */
static void
simctrl_step_tcti_mssim_sequence(void **state)
{
	static const uint8_t power_on[] = { 0x00, 0x00, 0x00, 0x01 };
	static const uint8_t nv_on[] = { 0x00, 0x00, 0x00, 0x0b };
	static const uint8_t cancel_on[] = { 0x00, 0x00, 0x00, 0x09 };
	static const uint8_t cancel_off[] = { 0x00, 0x00, 0x00, 0x0a };
	static const uint8_t session_end[] = { 0x00, 0x00, 0x00, 0x14 };
	struct simctrl st = { 0 };
	struct simctrl_step out;

	assert_int_equal(step(&st, power_on, 4, &out), SIMCTRL_ANSWER);
	assert_answer(&out, zero4, 4);
	assert_int_equal(step(&st, nv_on, 4, &out), SIMCTRL_ANSWER);
	assert_answer(&out, zero4, 4);
	assert_int_equal(step(&st, cancel_on, 4, &out), SIMCTRL_ANSWER);
	assert_answer(&out, zero4, 4);
	assert_int_equal(step(&st, cancel_off, 4, &out), SIMCTRL_ANSWER);
	assert_answer(&out, zero4, 4);
	assert_int_equal(step(&st, session_end, 4, &out), SIMCTRL_CLOSE);
	assert_int_equal(out.answer_len, 0);
	assert_false(out.refused);
}

/* The bytes tcti-swtpm sends: one connection per control command, and the
 * only one it sends unasked is SET_LOCALITY 0, answered ptm_res 0. */
static void
simctrl_step_tcti_swtpm_sequence(void **state)
{
	static const uint8_t set_locality0[] = { 0x00, 0x00, 0x00, 0x05, 0x00 };
	struct simctrl_step out;

	for (int conn = 0; conn < 3; conn++) {
		struct simctrl st = { 0 };

		assert_int_equal(step(&st, set_locality0, 5, &out),
		    SIMCTRL_ANSWER);
		assert_int_equal(out.consumed, 5);
		assert_answer(&out, zero4, 4);
		assert_false(out.refused);
		assert_int_equal(st.dialect, SIMCTRL_SWTPM);
		/* Then the peer closes: nothing is left over. */
		assert_int_equal(step(&st, set_locality0 + 5, 0, &out),
		    SIMCTRL_NEED_MORE);
	}
}

/* Tss2_Tcti_Swtpm_Reset() sends CMD_INIT alone on a fresh connection. It
 * is taken for the simulator (POWER_OFF, then the flags as POWER_ON):
 * every answer is zero bytes, and tcti-swtpm reads a ptm_res 0. */
static void
simctrl_step_tcti_swtpm_reset_alone(void **state)
{
	static const uint8_t init[] = { U32(2), U32(1) };
	enum simctrl_result results[4];
	struct simctrl st = { 0 };
	size_t count;

	assert_int_equal(feed_all(&st, init, sizeof(init), results, 4, &count),
	    SIMCTRL_NEED_MORE);
	assert_int_equal(count, 3);
	assert_int_equal(st.dialect, SIMCTRL_MSSIM);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(simctrl_step_mssim_noops),
		cmocka_unit_test(simctrl_step_mssim_session_end_and_stop),
		cmocka_unit_test(simctrl_step_mssim_refused),
		cmocka_unit_test(simctrl_step_mssim_unknown_first_command),
		cmocka_unit_test(simctrl_step_dialect_swtpm_by_set_locality),
		cmocka_unit_test(simctrl_step_dialect_mssim_by_anything_else),
		cmocka_unit_test(simctrl_step_dialect_not_fixed_by_partial_input),
		cmocka_unit_test(simctrl_step_dialect_names),
		cmocka_unit_test(simctrl_step_swtpm_set_locality),
		cmocka_unit_test(simctrl_step_swtpm_get_capability),
		cmocka_unit_test(simctrl_step_swtpm_noops),
		cmocka_unit_test(simctrl_step_swtpm_get_tpmestablished),
		cmocka_unit_test(simctrl_step_swtpm_hash_start_end_refused),
		cmocka_unit_test(simctrl_step_swtpm_hash_data),
		cmocka_unit_test(simctrl_step_swtpm_hash_data_huge_length),
		cmocka_unit_test(simctrl_step_swtpm_stop),
		cmocka_unit_test(simctrl_step_swtpm_refused_and_closed),
		cmocka_unit_test(simctrl_step_split_input),
		cmocka_unit_test(simctrl_step_garbage),
		cmocka_unit_test(simctrl_step_pipelined_mssim),
		cmocka_unit_test(simctrl_step_pipelined_swtpm),
		cmocka_unit_test(simctrl_step_tcti_mssim_sequence),
		cmocka_unit_test(simctrl_step_tcti_swtpm_sequence),
		cmocka_unit_test(simctrl_step_tcti_swtpm_reset_alone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

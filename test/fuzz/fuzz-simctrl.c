/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness for src/simctrl.c: arbitrary bytes on a SOCK.ctrl
 * connection, stepped as the connection layer does, whole and in pieces. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simctrl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Check one step's promises; abort() makes libFuzzer keep the input. */
static void
fuzz_check_step(enum simctrl_result r, size_t len,
    const struct simctrl_step *out)
{
	if (out->consumed > len || out->answer_len > SIMCTRL_ANSWER_MAX ||
	    out->name == NULL || (out->refused && out->why == NULL))
		abort();
	if (r == SIMCTRL_NEED_MORE &&
	    (out->consumed != 0 || out->answer_len != 0 ||
	    len >= SIMCTRL_INPUT_MAX))
		abort();
	if (r == SIMCTRL_ANSWER && out->consumed == 0)
		abort();
}

/* Step through data arriving in chunks of at most `chunk` bytes, buffering
 * what is not consumed; returns the number of answers written. */
static size_t
fuzz_connection(const uint8_t *data, size_t size, size_t chunk,
    uint8_t *buf)
{
	struct simctrl st = { 0 };
	struct simctrl_step out;
	enum simctrl_result r;
	size_t have = 0, fed = 0, answers = 0;

	while (fed < size) {
		size_t n = size - fed < chunk ? size - fed : chunk;

		memcpy(buf + have, data + fed, n);
		have += n;
		fed += n;
		for (;;) {
			r = simctrl_step(&st, buf, have, &out);
			fuzz_check_step(r, have, &out);
			if (r == SIMCTRL_NEED_MORE)
				break;
			if (r == SIMCTRL_CLOSE)
				return answers;
			answers++;
			memmove(buf, buf + out.consumed, have - out.consumed);
			have -= out.consumed;
		}
		/* The buffer never has to grow past one command. */
		if (have >= SIMCTRL_INPUT_MAX)
			abort();
	}
	return answers;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy, *buf;
	size_t whole, bytewise, padded = size + SIMCTRL_INPUT_MAX;

	/* An exact-size copy, so that ASan sees any read past the input. */
	copy = malloc(size ? size : 1);
	buf = malloc(SIMCTRL_INPUT_MAX + padded + 1);
	if (copy == NULL || buf == NULL)
		abort();
	memcpy(copy, data, size);
	whole = fuzz_connection(copy, size, size ? size : 1, buf);
	bytewise = fuzz_connection(copy, size, 1, buf);
	/* How the bytes arrive must not change what is answered. */
	if (whole != bytewise)
		abort();
	free(copy);

	/* A peer that goes on sending: with SIMCTRL_INPUT_MAX bytes
	 * buffered, whatever they are, a command must be decided. */
	copy = malloc(padded);
	if (copy == NULL)
		abort();
	memcpy(copy, data, size);
	memset(copy + size, 0xff, SIMCTRL_INPUT_MAX);
	fuzz_connection(copy, padded, padded, buf);
	free(copy);
	free(buf);
	return 0;
}

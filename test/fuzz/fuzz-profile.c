/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness for src/profile.c: profile_allows over arbitrary
 * command bytes for every built-in, and custom profiles built from the
 * input, checked against what allow and deny promise. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_builtins[] = {
	"readonly", "attest", "crypto", "full",
};

/* Abort unless the verdict on cmd agrees with the profile's code set. */
static void
fuzz_check_allows(const struct profile *p, const uint8_t *cmd, size_t len)
{
	uint32_t why = 0xdeadbeef;
	bool ok = profile_allows(p, cmd, len, &why);

	if (ok != (why == PROFILE_ALLOWED) || why > PROFILE_DENY_MALFORMED)
		abort();
	if (len < FRAME_HEADER_SIZE) {
		if (why != PROFILE_DENY_MALFORMED)
			abort();
		return;
	}
	if (ok && !profile_has_code(p, frame_get_u32(cmd + 6)))
		abort();
	if (why == PROFILE_DENY_COMMAND &&
	    profile_has_code(p, frame_get_u32(cmd + 6)))
		abort();
	if (why == PROFILE_DENY_MALFORMED && len >= FRAME_HEADER_SIZE + 4)
		abort();
}

/* Build a custom profile from the input: byte 0 picks the parent, byte 1
 * how many of the following 32-bit codes are allowed, byte 2 how many
 * denied; codes may have reserved bits set (then -EINVAL is expected). */
static void
fuzz_custom(const uint8_t *data, size_t size)
{
	const struct profile *parent;
	struct profile *p;
	uint32_t codes[64];
	size_t ncodes, nallow, ndeny;
	bool reserved = false;
	int r;

	if (size < 3)
		return;
	parent = data[0] < 4 ? profile_builtin(fuzz_builtins[data[0]]) : NULL;
	ncodes = (size - 3) / 4;
	if (ncodes > 64)
		ncodes = 64;
	for (size_t i = 0; i < ncodes; i++) {
		codes[i] = frame_get_u32(data + 3 + 4 * i);
		/* Mostly plausible codes, so the table and array both fill. */
		if (data[1] & 0x80)
			codes[i] &= 0x2000ffff;
	}
	nallow = (data[1] & 0x7f) % (ncodes + 1);
	ndeny = data[2] % (ncodes - nallow + 1);
	for (size_t i = 0; i < nallow + ndeny; i++)
		reserved |= (codes[i] & ~0x2000ffffu) != 0;
	r = profile_build("fuzz", parent, codes, nallow, codes + nallow, ndeny,
	    &p);
	if (r != 0 || reserved) {
		if (r != -EINVAL || !reserved || p != NULL)
			abort();
		return;
	}
	for (size_t i = 0; i < nallow + ndeny; i++) {
		bool denied = false;

		for (size_t j = nallow; j < nallow + ndeny; j++)
			denied |= codes[j] == codes[i];
		if (profile_has_code(p, codes[i]) == denied)
			abort();
	}
	fuzz_check_allows(p, data, size);
	profile_free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < 4; i++)
		fuzz_check_allows(profile_builtin(fuzz_builtins[i]), data,
		    size);
	fuzz_custom(data, size);
	return 0;
}

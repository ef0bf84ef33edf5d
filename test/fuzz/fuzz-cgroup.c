/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness for src/cgroup.c: /proc/PID/cgroup text is hostile
 * input; an answer must be a canonical UID that the text really holds. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort unless uid is 8-4-4-4-12 lowercase hex. */
static void
fuzz_check_canonical(const char *uid)
{
	if (strlen(uid) != CGROUP_UID_LEN)
		abort();
	for (size_t i = 0; i < CGROUP_UID_LEN; i++) {
		char c = uid[i];
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? c != '-' :
		    !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			abort();
	}
}

/* Abort unless the input holds uid, with '-' or '_' between groups. */
static void
fuzz_check_in_text(const char *text, size_t size, const char *uid)
{
	char alt[CGROUP_UID_LEN + 1];

	memcpy(alt, uid, sizeof(alt));
	for (size_t i = 0; i < CGROUP_UID_LEN; i++)
		if (alt[i] == '-')
			alt[i] = '_';
	if (memmem(text, size, uid, CGROUP_UID_LEN) == NULL &&
	    memmem(text, size, alt, CGROUP_UID_LEN) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char uid[CGROUP_UID_LEN + 1], again[CGROUP_UID_LEN + 1];
	char *more;
	int r;

	if (cgroup_pod_uid(text, size, uid, CGROUP_UID_LEN) != -ENOSPC)
		abort();
	r = cgroup_pod_uid(text, size, uid, sizeof(uid));
	if (r != 0 && r != -ENOENT)
		abort();
	if (r != 0) {
		if (uid[0] != '\0')
			abort();
		return 0;
	}
	fuzz_check_canonical(uid);
	fuzz_check_in_text(text, size, uid);
	/* A line outside Kubernetes (v1's "2:rdma:/") changes nothing. */
	more = malloc(size + 9);
	if (more == NULL)
		return 0;
	memcpy(more, data, size);
	memcpy(more + size, "2:rdma:/\n", 9);
	if (cgroup_pod_uid(more, size + 9, again, sizeof(again)) != 0 ||
	    strcmp(uid, again) != 0)
		abort();
	free(more);
	return 0;
}

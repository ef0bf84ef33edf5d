/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness for src/config.c: the input is one or more files (split
 * at form feeds, as tpmproxy.conf and its conf.d/ drop-ins) parsed into one
 * configuration, then checked across files like config_load() does. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* By path: the build directory holds autoconf's config.h as well. */
#include "src/config.h"

/* Beyond this many files, more adds nothing but time. */
#define FUZZ_MAX_FILES 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An error must be "FILE:..." naming one of the inputs, so every message
 * points somewhere. */
static void
fuzz_check_error(const char *err, unsigned nfiles)
{
	char name[16];

	for (unsigned i = 0; i < nfiles; i++) {
		int n = snprintf(name, sizeof(name), "%c.conf:", 'a' + i);

		if (strncmp(err, name, (size_t)n) == 0)
			return;
	}
	abort();
}

/* Touch what a daemon would read from a good configuration. */
static void
fuzz_walk(const struct config *c)
{
	for (size_t i = 0; i < c->nsockets; i++) {
		const struct config_socket *s = &c->sockets[i];

		if (config_find_socket(c, s->name) != s || s->path[0] != '/' ||
		    strlen(s->path) > CONFIG_SOCKET_PATH_MAX)
			abort();
		if (!config_profile_is_builtin(s->profile) &&
		    config_find_profile(c, s->profile) == NULL)
			abort();
		for (size_t j = 0; j < s->nallow_uids; j++)
			(void)s->allow_uids[j];
	}
	for (size_t i = 0; i < c->nprofiles; i++) {
		const struct config_profile *p = &c->profiles[i];

		if (config_find_profile(c, p->name) != p)
			abort();
		for (size_t j = 0; j < p->nallow; j++)
			(void)p->allow[j];
		for (size_t j = 0; j < p->ndeny; j++)
			(void)p->deny[j];
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *ff;
	struct config *c = config_new_defaults();
	char err[512], name[16];
	unsigned nfiles = 0;
	size_t len;
	int r = 0;

	if (c == NULL)
		abort();
	err[0] = '\0';
	while (r == 0 && nfiles < FUZZ_MAX_FILES) {
		ff = nfiles + 1 < FUZZ_MAX_FILES ? memchr(text, '\f', size) : NULL;
		len = ff != NULL ? (size_t)(ff - text) : size;
		snprintf(name, sizeof(name), "%c.conf", 'a' + nfiles++);
		r = config_parse_buffer(name, text, len, c, err, sizeof(err));
		if (ff == NULL)
			break;
		text += len + 1;
		size -= len + 1;
	}
	if (r == 0)
		r = config_check(c, err, sizeof(err));
	if (r != 0)
		fuzz_check_error(err, nfiles);
	else
		fuzz_walk(c);
	config_free(c);
	return 0;
}

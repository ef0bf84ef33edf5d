/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness for src/auditverify.c, whose input (a log file) is
 * hostile, and for the escaping in src/audit.c: the input is also written
 * as a record's strings, and the line the writer makes must verify. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "auditverify.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The writer's log: one for the whole run, emptied now and then. */
static struct audit *fuzz_audit;
static char fuzz_path[64];
static uint8_t fuzz_last[AUDITVERIFY_HASH_LEN];
static char fuzz_dir[] = "/tmp/fuzz-auditverify.XXXXXX";

/* Remove the writer's log when the run ends. */
static void
fuzz_cleanup(void)
{
	audit_close(fuzz_audit);
	unlink(fuzz_path);
	rmdir(fuzz_dir);
}

/* Open the writer's log in a fresh temporary directory. */
static void
fuzz_open(void)
{
	if (mkdtemp(fuzz_dir) == NULL)
		abort();
	snprintf(fuzz_path, sizeof(fuzz_path), "%s/audit.log", fuzz_dir);
	log_init(LOG_LEVEL_ERROR, true);
	if (audit_open(fuzz_path, &fuzz_audit) != 0)
		abort();
	memset(fuzz_last, 0, sizeof(fuzz_last));
	atexit(fuzz_cleanup);
}

/* The 32-bit value at data[i], or 0 past the end. */
static uint32_t
fuzz_u32(const uint8_t *data, size_t size, size_t i)
{
	uint32_t v = 0;

	for (size_t k = i; k < i + 4 && k < size; k++)
		v = v << 8 | data[k];
	return v;
}

/* Write the input as a record's strings (split at NULs) and codes; abort
 * unless exactly one line was added and it verifies against the last. */
static void
fuzz_writer(const uint8_t *data, size_t size)
{
	uint32_t handles[2] = { fuzz_u32(data, size, 0),
		fuzz_u32(data, size, 4) };
	char *s = malloc(size + 3);
	struct audit_record r = { .uid = -1, .gid = -1, .pid = -1 };
	uint8_t md[AUDITVERIFY_HASH_LEN];
	const char *why = NULL;
	struct stat st;
	char *line;
	off_t before;
	size_t n;
	FILE *f;

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	memset(s + size, 0, 3);
	r.socket = s;
	r.pod = s + strlen(s) + 1;
	r.detail = r.pod + strlen(r.pod) + 1;
	r.event = size > 0 && data[0] & 1 ? "command" : r.detail;
	r.has_command = r.has_rc = true;
	r.code = fuzz_u32(data, size, 0);
	r.rc = fuzz_u32(data, size, 2);
	r.handles = handles;
	r.nhandles = size % 3;
	if (stat(fuzz_path, &st) != 0)
		abort();
	before = st.st_size;
	audit_record(fuzz_audit, &r);
	free(s);
	if (audit_flush(fuzz_audit) != 0 || stat(fuzz_path, &st) != 0)
		abort();
	n = (size_t)(st.st_size - before);
	if ((line = malloc(n)) == NULL || (f = fopen(fuzz_path, "r")) == NULL)
		abort();
	if (fseeko(f, before, SEEK_SET) != 0 || fread(line, 1, n, f) != n)
		abort();
	fclose(f);
	if (n == 0 || line[n - 1] != '\n' || memchr(line, '\n', n - 1))
		abort();
	if (auditverify_line(line, n - 1, fuzz_last, md, &why) != 0) {
		fprintf(stderr, "writer made a bad line (%s): %.*s\n", why,
		    (int)n, line);
		abort();
	}
	memcpy(fuzz_last, md, sizeof(md));
	free(line);
	/* The same file emptied in place: the writer's chain goes on. */
	if (st.st_size > (1 << 20) && truncate(fuzz_path, 0) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t zeros[AUDITVERIFY_HASH_LEN];
	uint8_t md[AUDITVERIFY_HASH_LEN];
	struct auditverify v;
	const char *why;
	FILE *f;

	if (fuzz_audit == NULL)
		fuzz_open();
	/* One line, with any prev and with zeros before it. */
	auditverify_line((const char *)data, size, NULL, md, &why);
	auditverify_line((const char *)data, size, zeros, md, &why);
	/* The input as a file of lines. */
	if (size > 0 && (f = fmemopen((void *)data, size, "r")) != NULL) {
		auditverify_init(&v, data[0] & 1);
		if (auditverify_file(&v, f) == 0 &&
		    (v.files != 1 || v.lines == 0 ||
		    data[size - 1] != '\n'))
			abort();
		fclose(f);
	}
	fuzz_writer(data, size);
	return 0;
}

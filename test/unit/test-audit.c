/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of src/audit.c on real files in a temporary directory: the
 * chain over records, resume and rotation, escaping, and a disk that
 * fails (write() and ftruncate() replaced with -Wl,--wrap). Each log is
 * checked by src/auditverify.c and, when python3 is there, independently
 * by Python's json and hashlib. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include "audit.h"
#include "auditverify.h"

#define PYTHON "/usr/bin/python3"

/* The fake disk: when armed, write() takes budget bytes in all, then fails
 * with ENOSPC; ftruncate() fails when told to. */
static bool write_armed;
static size_t write_budget;
static bool ftruncate_fails;

ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
int __real_ftruncate(int fd, off_t len);
int __wrap_ftruncate(int fd, off_t len);

/* write(), short and then failing once the budget is spent. */
ssize_t
__wrap_write(int fd, const void *buf, size_t n)
{
	if (!write_armed)
		return __real_write(fd, buf, n);
	if (write_budget == 0) {
		errno = ENOSPC;
		return -1;
	}
	if (n > write_budget)
		n = write_budget;
	write_budget -= n;
	return __real_write(fd, buf, n);
}

/* ftruncate(), failing as on a file that cannot be cut. */
int
__wrap_ftruncate(int fd, off_t len)
{
	if (ftruncate_fails) {
		errno = EINVAL;
		return -1;
	}
	return __real_ftruncate(fd, len);
}

/* The temporary directory and the log's path in it. */
struct fixture {
	char dir[64];
	char path[96];
	char rotated[96];
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test-audit.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/audit.log", fx->dir);
	snprintf(fx->rotated, sizeof(fx->rotated), "%s/audit.log.1", fx->dir);
	write_armed = false;
	ftruncate_fails = false;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	unlink(fx->path);
	unlink(fx->rotated);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* A command record like the daemon's, numbered n. */
static void
record_command(struct audit *a, unsigned n)
{
	static const uint32_t handles[] = { 0x80000000, 0x80000001 };
	struct audit_record r = {
		.event = "command", .socket = "default", .pod = NULL,
		.uid = 1000, .gid = 1000, .pid = 4000 + n, .conn = n + 1,
		.has_command = true, .code = 0x15d, .has_rc = true, .rc = 0,
		.handles = handles, .nhandles = n % 3,
		.duration_us = 800 + n, .bytes_in = 60, .bytes_out = 280,
		.has_counts = true, .objects = n % 5,
	};

	audit_record(a, &r);
}

/* Verify files in order with src/auditverify.c; lines, or -1 after
 * printing where it broke. */
static long
verify(bool from_start, const char *p1, const char *p2)
{
	const char *paths[] = { p1, p2 };
	struct auditverify v;

	auditverify_init(&v, from_start);
	for (int i = 0; i < 2 && paths[i]; i++) {
		FILE *f = fopen(paths[i], "r");
		int r;

		assert_non_null(f);
		r = auditverify_file(&v, f);
		fclose(f);
		if (r < 0) {
			print_message("%s:%llu: %s\n", paths[i],
			    (unsigned long long)v.line, v.why);
			return -1;
		}
	}
	return (long)v.lines;
}

/* Check the files' lines with Python: each is strict UTF-8 and JSON, an
 * object whose first key is prev, chained by SHA-256 from zeros. True
 * when python3 is missing. */
static bool
python_ok(const char *p1, const char *p2)
{
	static const char script[] =
	    "import hashlib, json, sys\n"
	    "prev = '0' * 64\n"
	    "for name in sys.argv[1:]:\n"
	    "    for raw in open(name, 'rb').read().split(b'\\n')[:-1]:\n"
	    "        obj = json.loads(raw.decode('utf-8', 'strict'))\n"
	    "        assert type(obj) is dict and list(obj)[0] == 'prev', raw\n"
	    "        assert obj['prev'] == prev, raw\n"
	    "        prev = hashlib.sha256(raw).hexdigest()\n";
	char cmd[512];
	FILE *f;

	if (access(PYTHON, X_OK) != 0)
		return true;
	snprintf(cmd, sizeof(cmd), PYTHON " -c \"$(cat)\" %s %s", p1,
	    p2 ? p2 : "");
	f = popen(cmd, "w");
	assert_non_null(f);
	fputs(script, f);
	return pclose(f) == 0;
}

/* The whole file as a NUL-terminated string (caller frees). */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

/* Number of lines (newlines) in a file. */
static long
count_lines(const char *path)
{
	size_t len;
	char *s = slurp(path, &len);
	long n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	free(s);
	return n;
}

/* A file's size. */
static off_t
file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static void
audit_record_chain(void **state)
{
	struct fixture *fx = *state;
	struct audit *a;

	assert_int_equal(audit_open(fx->path, &a), 0);
	for (unsigned i = 0; i < 50; i++)
		record_command(a, i);
	assert_int_equal(audit_records(a), 50);
	/* Nothing is written before a flush: the TPM path never waits. */
	assert_int_equal(file_size(fx->path), 0);
	assert_int_equal(audit_flush(a), 0);
	for (unsigned i = 50; i < 60; i++)
		record_command(a, i);
	audit_close(a);
	assert_int_equal(verify(true, fx->path, NULL), 60);
	assert_true(python_ok(fx->path, NULL));
}

static void
audit_record_fields(void **state)
{
	static const uint32_t handles[] = { 0x80000000, 0x81000001 };
	struct fixture *fx = *state;
	struct audit_record full = {
		.event = "command", .socket = "pods", .pod = "0f1e2d3c-aaaa",
		.uid = 0, .gid = 0, .pid = 42, .conn = 7,
		.has_command = true, .code = 0x15d,
		.handles = handles, .nhandles = 2,
		.has_rhandle = true, .rhandle = 0x80000002,
		.has_rc = true, .rc = 0,
		.duration_us = 812, .queued_us = 15, .bytes_in = 60,
		.bytes_out = 280, .has_counts = true, .objects = 1,
		.sessions = 2, .saved = 3, .nv_indices = 4,
		.detail = "note",
	};
	struct audit_record sparse = {
		.event = "denied", .socket = "pods", .uid = -1, .gid = -1,
		.pid = -1, .has_command = true, .code = 0x2000ffff,
		.has_rc = true, .rc = 0x000b0143, .detail = "profile readonly",
	};
	struct audit *a;
	const char *expect;
	char *s, *l2, *t;

	assert_int_equal(audit_open(fx->path, &a), 0);
	audit_record(a, &full);
	audit_record(a, &sparse);
	audit_close(a);
	s = slurp(fx->path, NULL);
	l2 = strchr(s, '\n') + 1;
	/* The prefix, exactly. */
	assert_memory_equal(s, "{\"prev\":\"0000000000000000000000000000"
			       "000000000000000000000000000000000000\","
			       "\"time\":\"", 83);
	/* The time: RFC 3339, UTC, microseconds. */
	t = s + 83;
	assert_true(t[4] == '-' && t[7] == '-' && t[10] == 'T' &&
	    t[13] == ':' && t[16] == ':' && t[19] == '.' && t[26] == 'Z' &&
	    t[27] == '"');
	expect = ",\"event\":\"command\",\"socket\":\"pods\","
		 "\"pod\":\"0f1e2d3c-aaaa\",\"uid\":0,\"gid\":0,\"pid\":42,"
		 "\"conn\":7,\"command\":\"TPM2_CC_Sign\",\"cc\":\"0x0000015d\","
		 "\"handles\":[\"0x80000000\",\"0x81000001\"],"
		 "\"rhandle\":\"0x80000002\",\"rc\":\"0x00000000\","
		 "\"rc_text\":\"tpm:success\",\"duration_us\":812,"
		 "\"queued_us\":15,\"bytes_in\":60,\"bytes_out\":280,"
		 "\"objects\":1,\"sessions\":2,\"saved\":3,\"nv_indices\":4,"
		 "\"detail\":\"note\"}\n";
	t = strchr(t, ',');
	assert_int_equal(l2 - t, strlen(expect));
	assert_memory_equal(t, expect, strlen(expect));
	/* Unknown ids, zero numbers and an unknown code's name are left
	 * out; the code stays, in hex. */
	t = strstr(l2, "\"event\"");
	assert_non_null(t);
	assert_memory_equal(t,
	    "\"event\":\"denied\",\"socket\":\"pods\",\"cc\":\"0x2000ffff\","
	    "\"rc\":\"0x000b0143\",\"rc_text\":\"",
	    strlen("\"event\":\"denied\",\"socket\":\"pods\","
		   "\"cc\":\"0x2000ffff\",\"rc\":\"0x000b0143\","
		   "\"rc_text\":\""));
	assert_non_null(strstr(t, "\",\"detail\":\"profile readonly\"}\n"));
	free(s);
	assert_int_equal(verify(true, fx->path, NULL), 2);
	assert_true(python_ok(fx->path, NULL));
}

static void
audit_record_escaping(void **state)
{
	static const char *const nasty[] = {
		"quote \" backslash \\ slash /",
		"\x01\x02\x08\x09\x0a\x0c\x0d\x1b\x1f\x7f end",
		"bad \xff \xfe \xc0\xaf \xe0\x80\xaf \xed\xa0\x80 \xf4\x90\x80\x80",
		"cut \xe2\x82",
		"\xe2\x82",
		"good caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		"\\u0000 \\\" }{][,:",
		"",
	};
	struct fixture *fx = *state;
	struct audit *a;
	char *s;

	assert_int_equal(audit_open(fx->path, &a), 0);
	for (size_t i = 0; i < sizeof(nasty) / sizeof(nasty[0]); i++) {
		struct audit_record r = {
			.event = nasty[i], .socket = nasty[i], .pod = nasty[i],
			.uid = -1, .gid = -1, .pid = -1, .detail = nasty[i],
		};

		audit_record(a, &r);
	}
	audit_close(a);
	assert_int_equal(verify(true, fx->path, NULL),
	    (long)(sizeof(nasty) / sizeof(nasty[0])));
	assert_true(python_ok(fx->path, NULL));
	s = slurp(fx->path, NULL);
	assert_non_null(strstr(s, "quote \\\" backslash \\\\ slash /"));
	assert_non_null(strstr(s, "\\u0001\\u0002\\u0008\\t\\n\\u000c\\r"
				  "\\u001b\\u001f\x7f end"));
	assert_non_null(strstr(s, "bad \\ufffd \\ufffd \\ufffd\\ufffd "
				  "\\ufffd\\ufffd\\ufffd \\ufffd\\ufffd"
				  "\\ufffd \\ufffd\\ufffd\\ufffd\\ufffd"));
	assert_non_null(strstr(s, "cut \\ufffd\\ufffd\""));
	assert_non_null(strstr(s, "good caf\xc3\xa9 \xe2\x82\xac "
				  "\xf0\x9f\x98\x80"));
	assert_non_null(strstr(s, "\\\\u0000 \\\\\\\" }{][,:"));
	free(s);
}

static void
audit_open_resume(void **state)
{
	struct fixture *fx = *state;
	struct audit *a;

	assert_int_equal(audit_open(fx->path, &a), 0);
	for (unsigned i = 0; i < 3; i++)
		record_command(a, i);
	audit_close(a);
	/* A restarted daemon continues the file's chain. */
	assert_int_equal(audit_open(fx->path, &a), 0);
	for (unsigned i = 3; i < 5; i++)
		record_command(a, i);
	audit_close(a);
	/* Opened and closed with nothing to say: the file is unchanged. */
	assert_int_equal(audit_open(fx->path, &a), 0);
	audit_close(a);
	assert_int_equal(verify(true, fx->path, NULL), 5);
	assert_true(python_ok(fx->path, NULL));
}

static void
audit_open_resume_long_line(void **state)
{
	struct fixture *fx = *state;
	struct audit_record r = { .event = "reload", .uid = -1, .gid = -1,
		.pid = -1 };
	struct audit *a;
	char *detail = malloc(20000);

	/* A last line longer than the block the tail is read in. */
	assert_non_null(detail);
	memset(detail, 'x', 19999);
	detail[19999] = 0;
	r.detail = detail;
	assert_int_equal(audit_open(fx->path, &a), 0);
	audit_record(a, &r);
	audit_record(a, &r);
	audit_close(a);
	assert_int_equal(audit_open(fx->path, &a), 0);
	record_command(a, 1);
	audit_close(a);
	free(detail);
	assert_int_equal(verify(true, fx->path, NULL), 3);
}

static void
audit_open_incomplete_line(void **state)
{
	static const char fragment[] =
	    "{\"prev\":\"0000000000000000000000000000000000000000000000000000"
	    "000000000000\",\"time\":\"2026-11-25T08:0";
	struct fixture *fx = *state;
	struct auditverify v;
	uint8_t md[32], next[32];
	unsigned int mdlen;
	const char *why;
	char *s, *l2, *l3;
	FILE *f;

	f = fopen(fx->path, "w");
	assert_non_null(f);
	fputs(fragment, f);
	fclose(f);
	{
		struct audit *a;

		assert_int_equal(audit_open(fx->path, &a), 0);
		record_command(a, 0);
		audit_close(a);
	}
	/* The fragment is kept (and is where verification stops) ... */
	s = slurp(fx->path, NULL);
	assert_memory_equal(s, fragment, strlen(fragment));
	assert_int_equal(s[strlen(fragment)], '\n');
	auditverify_init(&v, true);
	f = fopen(fx->path, "r");
	assert_int_equal(auditverify_file(&v, f), -EINVAL);
	fclose(f);
	assert_int_equal(v.line, 1);
	/* ... and what follows chains to it: an audit-error, then ours. */
	l2 = s + strlen(fragment) + 1;
	l3 = strchr(l2, '\n') + 1;
	assert_non_null(strstr(l2, "\"event\":\"audit-error\""));
	EVP_Digest(fragment, strlen(fragment), md, &mdlen, EVP_sha256(), NULL);
	assert_int_equal(auditverify_line(l2, (size_t)(l3 - 1 - l2), md, next,
	    &why), 0);
	assert_int_equal(auditverify_line(l3, strlen(l3) - 1, next, md, &why),
	    0);
	free(s);
}

static void
audit_reopen_rotation(void **state)
{
	struct fixture *fx = *state;
	struct audit *a;

	assert_int_equal(audit_open(fx->path, &a), 0);
	for (unsigned i = 0; i < 3; i++)
		record_command(a, i);
	assert_int_equal(audit_flush(a), 0);
	/* Pending records at the rotation go to the old file. */
	record_command(a, 3);
	assert_int_equal(rename(fx->path, fx->rotated), 0);
	assert_int_equal(audit_reopen(a), 0);
	for (unsigned i = 4; i < 6; i++)
		record_command(a, i);
	audit_close(a);
	assert_int_equal(count_lines(fx->rotated), 4);
	assert_int_equal(count_lines(fx->path), 2);
	assert_int_equal(verify(true, fx->rotated, fx->path), 6);
	assert_true(python_ok(fx->rotated, fx->path));
	/* The new file alone is not the log's start. */
	assert_int_equal(verify(true, fx->path, NULL), -1);
	assert_int_equal(verify(false, fx->path, NULL), 2);
}

static void
audit_reopen_same_file(void **state)
{
	struct fixture *fx = *state;
	struct audit *a;

	assert_int_equal(audit_open(fx->path, &a), 0);
	record_command(a, 0);
	assert_int_equal(audit_reopen(a), 0);
	record_command(a, 1);
	assert_int_equal(audit_reopen(a), 0);
	assert_int_equal(verify(true, fx->path, NULL), 2);
	/* copytruncate: the same file, emptied; the chain goes on. */
	assert_int_equal(truncate(fx->path, 0), 0);
	record_command(a, 2);
	assert_int_equal(audit_reopen(a), 0);
	record_command(a, 3);
	audit_close(a);
	assert_int_equal(verify(false, fx->path, NULL), 2);
}

static void
audit_flush_unwritable(void **state)
{
	struct fixture *fx = *state;
	struct audit *a;
	char missing[128];

	/* An unwritable path fails at open. */
	snprintf(missing, sizeof(missing), "%s/no/such/dir/audit.log",
	    fx->dir);
	assert_int_equal(audit_open(missing, &a), -ENOENT);

	/* A full device: counted, reported, and the daemon goes on. */
	assert_int_equal(audit_open("/dev/full", &a), 0);
	record_command(a, 0);
	assert_true(audit_healthy(a));
	assert_int_equal(audit_flush(a), -ENOSPC);
	assert_int_equal(audit_flush(a), -ENOSPC);
	assert_int_equal(audit_failures(a), 2);
	assert_false(audit_healthy(a));
	assert_int_equal(audit_records(a), 1);
	audit_close(a);

	/* A disk that fills, then has room again. */
	assert_int_equal(audit_open(fx->path, &a), 0);
	for (unsigned i = 0; i < 10; i++)
		record_command(a, i);
	write_armed = true;
	write_budget = 0;
	assert_int_equal(audit_flush(a), -ENOSPC);
	assert_int_equal(audit_failures(a), 1);
	assert_false(audit_healthy(a));
	assert_int_equal(file_size(fx->path), 0);
	write_armed = false;
	assert_int_equal(audit_flush(a), 0);
	assert_true(audit_healthy(a));
	assert_int_equal(audit_lost(a), 0);
	audit_close(a);
	assert_int_equal(verify(true, fx->path, NULL), 10);
}

static void
audit_flush_short_write(void **state)
{
	struct fixture *fx = *state;
	struct audit *a;
	size_t len;
	char *s;

	assert_int_equal(audit_open(fx->path, &a), 0);
	record_command(a, 0);
	assert_int_equal(audit_flush(a), 0);
	len = (size_t)file_size(fx->path);
	for (unsigned i = 1; i < 5; i++)
		record_command(a, i);
	/* Room for one line and a half: the half is cut off again. */
	write_armed = true;
	write_budget = len + len / 2;
	assert_int_equal(audit_flush(a), -ENOSPC);
	s = slurp(fx->path, &len);
	assert_int_equal(s[len - 1], '\n');
	free(s);
	assert_int_equal(count_lines(fx->path), 2);
	assert_int_equal(verify(true, fx->path, NULL), 2);
	write_armed = false;
	assert_int_equal(audit_flush(a), 0);
	audit_close(a);
	assert_int_equal(verify(true, fx->path, NULL), 5);
	assert_true(python_ok(fx->path, NULL));
}

static void
audit_flush_short_write_no_truncate(void **state)
{
	struct fixture *fx = *state;
	struct audit *a;
	size_t len;
	char *s;

	assert_int_equal(audit_open(fx->path, &a), 0);
	record_command(a, 0);
	assert_int_equal(audit_flush(a), 0);
	len = (size_t)file_size(fx->path);
	for (unsigned i = 1; i < 5; i++)
		record_command(a, i);
	/* The half line cannot be cut: its rest is written first next. */
	write_armed = true;
	write_budget = len + len / 2;
	ftruncate_fails = true;
	assert_int_equal(audit_flush(a), -ENOSPC);
	s = slurp(fx->path, &len);
	assert_true(s[len - 1] != '\n');
	free(s);
	/* Still no room: nothing changes, nothing is lost. */
	write_budget = 0;
	record_command(a, 5);
	assert_int_equal(audit_flush(a), -ENOSPC);
	write_armed = false;
	assert_int_equal(audit_flush(a), 0);
	audit_close(a);
	assert_int_equal(verify(true, fx->path, NULL), 6);
	assert_true(python_ok(fx->path, NULL));
}

static void
audit_record_bounded(void **state)
{
	struct fixture *fx = *state;
	struct audit_record r = { .event = "command", .uid = -1, .gid = -1,
		.pid = -1 };
	char detail[1000];
	struct audit *a;
	uint64_t n = 0, lost;
	long lines;
	char *s;

	memset(detail, 'd', sizeof(detail) - 1);
	detail[sizeof(detail) - 1] = 0;
	r.detail = detail;
	assert_int_equal(audit_open(fx->path, &a), 0);
	write_armed = true;
	write_budget = 0;
	/* Three times the bound while nothing can be written. */
	while (n * sizeof(detail) < 3 * AUDIT_MAX_PENDING) {
		audit_record(a, &r);
		n++;
		if (n % 100 == 0)
			assert_int_equal(audit_flush(a), -ENOSPC);
	}
	lost = audit_lost(a);
	assert_true(lost > 0);
	assert_int_equal(audit_records(a), n);
	write_armed = false;
	assert_int_equal(audit_flush(a), 0);
	audit_close(a);
	/* What waited fits the bound (bodies: lines without their 75-byte
	 * prev field); the loss is said in the chain. */
	lines = count_lines(fx->path);
	assert_true(file_size(fx->path) - 75 * lines <= AUDIT_MAX_PENDING);
	assert_int_equal((uint64_t)lines, n - lost + 1);
	s = slurp(fx->path, NULL);
	assert_non_null(strstr(s, "\"event\":\"audit-error\""));
	assert_non_null(strstr(s, "records lost"));
	free(s);
	assert_int_equal(verify(true, fx->path, NULL), lines);
	assert_true(python_ok(fx->path, NULL));
}

static void
audit_record_auto_flush(void **state)
{
	struct fixture *fx = *state;
	struct audit *a;
	unsigned i;

	/* Past AUDIT_FLUSH_BYTES the records go out without a timer. */
	assert_int_equal(audit_open(fx->path, &a), 0);
	for (i = 0; file_size(fx->path) == 0; i++) {
		assert_true(i < AUDIT_FLUSH_BYTES / 100);
		record_command(a, i);
	}
	audit_close(a);
	assert_int_equal(verify(true, fx->path, NULL), (long)i);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(audit_record_chain, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(audit_record_fields, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(audit_record_escaping, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(audit_open_resume, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(audit_open_resume_long_line,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(audit_open_incomplete_line,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(audit_reopen_rotation, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(audit_reopen_same_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(audit_flush_unwritable, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(audit_flush_short_write, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    audit_flush_short_write_no_truncate, setup, teardown),
		cmocka_unit_test_setup_teardown(audit_record_bounded, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(audit_record_auto_flush, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

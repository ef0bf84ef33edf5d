/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of src/auditverify.c: good chains, and edited, deleted,
 * reordered and truncated lines each caught at the right line, within a
 * file and across two. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include "auditverify.h"

#define NLINES 6
#define LINE_MAX_LEN 256

/* A chain of NLINES lines, as the daemon would write it. */
struct chain {
	char line[NLINES][LINE_MAX_LEN]; /* without newline */
};

/* Lowercase hex of a SHA-256. */
static void
hex(const uint8_t md[32], char out[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* SHA-256 of a string. */
static void
sha(const char *s, uint8_t md[32])
{
	unsigned int n = 0;

	assert_int_equal(EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL),
	    1);
}

/* A chain of NLINES lines whose first prev is zeros. */
static void
chain_make(struct chain *c)
{
	uint8_t md[32] = { 0 };
	char h[65];

	for (int i = 0; i < NLINES; i++) {
		hex(md, h);
		snprintf(c->line[i], LINE_MAX_LEN,
		    "{\"prev\":\"%s\",\"time\":\"2026-11-25T08:00:0%d.000000Z\","
		    "\"event\":\"command\",\"uid\":%d,\"handles\":[\"0x80000000\"],"
		    "\"detail\":\"caf\xc3\xa9 \\\"%d\\\" \\u00e9\"}",
		    h, i, 1000 + i, i);
		sha(c->line[i], md);
	}
}

/* The lines from..to-1 of c, each with its newline, in a memory stream. */
static FILE *
chain_file(const struct chain *c, int from, int to, char *buf, size_t size)
{
	size_t n = 0;

	for (int i = from; i < to; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s\n", c->line[i]);
	assert_true(n > 0);
	return fmemopen(buf, n, "r");
}

/* Verify text as one file; the result, with v filled in. */
static int
verify_text(struct auditverify *v, const char *text, size_t len,
    bool from_start)
{
	FILE *f;
	int r;

	auditverify_init(v, from_start);
	/* fmemopen() refuses an empty buffer before glibc 2.22. */
	f = len ? fmemopen((void *)text, len, "r") : fopen("/dev/null", "r");
	assert_non_null(f);
	r = auditverify_file(v, f);
	fclose(f);
	return r;
}

/* The chain as one text, with line skip left out and lines a and b
 * swapped (-1: none). */
static size_t
chain_text(const struct chain *c, char *buf, size_t size, int skip, int a,
    int b)
{
	size_t n = 0;

	for (int i = 0; i < NLINES; i++) {
		int k = i == a ? b : i == b ? a : i;

		if (k != skip)
			n += (size_t)snprintf(buf + n, size - n, "%s\n",
			    c->line[k]);
	}
	return n;
}

static void
auditverify_line_good(void **state)
{
	struct chain c;
	uint8_t md[32], zero[32] = { 0 };
	const char *why = NULL;

	chain_make(&c);
	assert_int_equal(auditverify_line(c.line[0], strlen(c.line[0]), NULL,
	    md, &why), 0);
	assert_int_equal(auditverify_line(c.line[0], strlen(c.line[0]), zero,
	    md, &why), 0);
	for (int i = 1; i < NLINES; i++) {
		uint8_t next[32];

		assert_int_equal(auditverify_line(c.line[i], strlen(c.line[i]),
		    md, next, &why), 0);
		memcpy(md, next, 32);
	}
}

static void
auditverify_line_mismatch(void **state)
{
	struct chain c;
	uint8_t md[32], other[32];
	const char *why = NULL;

	chain_make(&c);
	sha(c.line[1], other);
	assert_int_equal(auditverify_line(c.line[1], strlen(c.line[1]), other,
	    md, &why), -EBADMSG);
	assert_non_null(strstr(why, "prev"));
}

static void
auditverify_line_bad_prev(void **state)
{
	static const char *const bad[] = {
		"",
		"{}",
		"{\"time\":\"x\",\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\"}",
		"{ \"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\"}",
		"{\"prev\":\"000000000000000000000000000000000000000000000000000000000000000\"}",
		"{\"prev\":\"00000000000000000000000000000000000000000000000000000000000000000\"}",
		"{\"prev\":\"ABCDEF0000000000000000000000000000000000000000000000000000000000\"}",
		"{\"prev\":\"g000000000000000000000000000000000000000000000000000000000000000\"}",
		"{\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000",
		"{\"prev\":0}",
	};
	uint8_t md[32];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;

		assert_int_equal(auditverify_line(bad[i], strlen(bad[i]), NULL,
		    md, &why), -EINVAL);
		assert_non_null(why);
	}
}

static void
auditverify_line_json(void **state)
{
	static const char zeros[] = "{\"prev\":\"0000000000000000000000000000"
				    "000000000000000000000000000000000000\"";
	static const char *const good[] = {
		"}",
		",\"a\":[1,-2,3.5,-0.25e+10,1E5,0],\"b\":{\"c\":[true,false,null,{}]},\"d\":[]}",
		",\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00\"}",
		",\"u\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"} \t\r",
	};
	static const char *const bad[] = {
		"",                       /* unterminated object */
		",}",                     /* no member */
		",\"a\":1,}",             /* trailing comma */
		",\"a\":01}",             /* leading zero */
		",\"a\":1.}",             /* no fraction digits */
		",\"a\":-}",
		",\"a\":1e}",
		",\"a\":+1}",
		",\"a\":tru}",
		",\"a\":nul}",
		",\"a\" 1}",              /* no colon */
		",\"a\":\"x}",            /* unterminated string */
		",\"a\":\"\x01\"}",       /* raw control character */
		",\"a\":\"\\x\"}",        /* bad escape */
		",\"a\":\"\\u12g4\"}",    /* bad \u */
		",\"a\":\"\\u12\"}",
		",\"a\":\"\xff\"}",       /* not UTF-8 */
		",\"a\":\"\xc0\xaf\"}",   /* overlong */
		",\"a\":\"\xe0\x80\xaf\"}",
		",\"a\":\"\xed\xa0\x80\"}", /* surrogate */
		",\"a\":\"\xf4\x90\x80\x80\"}", /* above U+10FFFF */
		",\"a\":\"\xe2\x82\"}",   /* truncated sequence */
		"}x",                     /* text after the object */
		"}{}",
		",\"a\":[1 2]}",
		",\"a\":[1,]}",
		",'a':1}",
		",\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
	};
	char line[512];
	uint8_t md[32];
	const char *why;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(line, sizeof(line), "%s%s", zeros, good[i]);
		why = NULL;
		if (auditverify_line(line, strlen(line), NULL, md, &why) != 0)
			fail_msg("good %zu refused: %s", i, why);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "%s%s", zeros, bad[i]);
		why = NULL;
		if (auditverify_line(line, strlen(line), NULL, md, &why) !=
		    -EINVAL)
			fail_msg("bad %zu accepted", i);
		assert_non_null(why);
	}
	/* A NUL byte inside is not JSON, whatever follows. */
	snprintf(line, sizeof(line), "%s,\"a\":\"x\"}", zeros);
	line[strlen(zeros) + 6] = 0;
	assert_int_equal(auditverify_line(line, strlen(zeros) + 10, NULL, md,
	    &why), -EINVAL);
}

static void
auditverify_file_good(void **state)
{
	struct chain c;
	struct auditverify v;
	char buf[NLINES * LINE_MAX_LEN];
	size_t n;

	chain_make(&c);
	n = chain_text(&c, buf, sizeof(buf), -1, -1, -1);
	assert_int_equal(verify_text(&v, buf, n, true), 0);
	assert_int_equal(v.lines, NLINES);
	assert_int_equal(v.files, 1);
	assert_int_equal(verify_text(&v, buf, n, false), 0);
	assert_int_equal(v.lines, NLINES);
}

static void
auditverify_file_edited(void **state)
{
	struct chain c;
	struct auditverify v;
	char buf[NLINES * LINE_MAX_LEN], *p;
	size_t n;

	/* Still valid JSON: the next line's prev gives it away. */
	chain_make(&c);
	p = strstr(c.line[2], "\"uid\":1002");
	assert_non_null(p);
	p[7] = '9';
	n = chain_text(&c, buf, sizeof(buf), -1, -1, -1);
	assert_int_equal(verify_text(&v, buf, n, true), -EINVAL);
	assert_int_equal(v.line, 4);
	assert_non_null(strstr(v.why, "line before"));

	/* No longer JSON: caught on the line itself. */
	chain_make(&c);
	c.line[2][strlen(c.line[2]) - 1] = ',';
	n = chain_text(&c, buf, sizeof(buf), -1, -1, -1);
	assert_int_equal(verify_text(&v, buf, n, true), -EINVAL);
	assert_int_equal(v.line, 3);
	assert_non_null(strstr(v.why, "JSON"));

	/* The prev field itself edited. */
	chain_make(&c);
	c.line[3][9] = c.line[3][9] == 'a' ? 'b' : 'a';
	n = chain_text(&c, buf, sizeof(buf), -1, -1, -1);
	assert_int_equal(verify_text(&v, buf, n, true), -EINVAL);
	assert_int_equal(v.line, 4);
}

static void
auditverify_file_deleted(void **state)
{
	struct chain c;
	struct auditverify v;
	char buf[NLINES * LINE_MAX_LEN];
	size_t n;

	chain_make(&c);
	n = chain_text(&c, buf, sizeof(buf), 2, -1, -1);
	assert_int_equal(verify_text(&v, buf, n, true), -EINVAL);
	assert_int_equal(v.line, 3);
	/* The first line deleted: only --from-start can tell. */
	n = chain_text(&c, buf, sizeof(buf), 0, -1, -1);
	assert_int_equal(verify_text(&v, buf, n, true), -EINVAL);
	assert_int_equal(v.line, 1);
	assert_non_null(strstr(v.why, "zeros"));
	assert_int_equal(verify_text(&v, buf, n, false), 0);
	assert_int_equal(v.lines, NLINES - 1);
}

static void
auditverify_file_reordered(void **state)
{
	struct chain c;
	struct auditverify v;
	char buf[NLINES * LINE_MAX_LEN];
	size_t n;

	chain_make(&c);
	n = chain_text(&c, buf, sizeof(buf), -1, 3, 4);
	assert_int_equal(verify_text(&v, buf, n, true), -EINVAL);
	assert_int_equal(v.line, 4);
	n = chain_text(&c, buf, sizeof(buf), -1, 1, 5);
	assert_int_equal(verify_text(&v, buf, n, false), -EINVAL);
	assert_int_equal(v.line, 2);
}

static void
auditverify_file_truncated(void **state)
{
	struct chain c;
	struct auditverify v;
	char buf[NLINES * LINE_MAX_LEN];
	size_t n;

	chain_make(&c);
	n = chain_text(&c, buf, sizeof(buf), -1, -1, -1);
	/* Only the final newline missing. */
	assert_int_equal(verify_text(&v, buf, n - 1, true), -EINVAL);
	assert_int_equal(v.line, NLINES);
	assert_non_null(strstr(v.why, "newline"));
	/* Cut in the middle of the last line. */
	assert_int_equal(verify_text(&v, buf, n - 20, true), -EINVAL);
	assert_int_equal(v.line, NLINES);
	/* Cut right after a newline: whole lines, nothing to see. */
	n -= strlen(c.line[NLINES - 1]) + 1;
	assert_int_equal(verify_text(&v, buf, n, true), 0);
	assert_int_equal(v.lines, NLINES - 1);
}

static void
auditverify_file_two_files(void **state)
{
	struct chain c;
	struct auditverify v;
	char b1[NLINES * LINE_MAX_LEN], b2[NLINES * LINE_MAX_LEN];
	FILE *f1, *f2;

	chain_make(&c);
	f1 = chain_file(&c, 0, 3, b1, sizeof(b1));
	f2 = chain_file(&c, 3, NLINES, b2, sizeof(b2));
	auditverify_init(&v, true);
	assert_int_equal(auditverify_file(&v, f1), 0);
	assert_int_equal(auditverify_file(&v, f2), 0);
	assert_int_equal(v.lines, NLINES);
	assert_int_equal(v.files, 2);
	fclose(f1);
	fclose(f2);

	/* A line lost at the rotation. */
	f1 = chain_file(&c, 0, 3, b1, sizeof(b1));
	f2 = chain_file(&c, 4, NLINES, b2, sizeof(b2));
	auditverify_init(&v, true);
	assert_int_equal(auditverify_file(&v, f1), 0);
	assert_int_equal(auditverify_file(&v, f2), -EINVAL);
	assert_int_equal(v.line, 1);
	assert_non_null(strstr(v.why, "previous file"));
	fclose(f1);
	fclose(f2);

	/* Files given in the wrong order. */
	f1 = chain_file(&c, 3, NLINES, b1, sizeof(b1));
	f2 = chain_file(&c, 0, 3, b2, sizeof(b2));
	auditverify_init(&v, false);
	assert_int_equal(auditverify_file(&v, f1), 0);
	assert_int_equal(auditverify_file(&v, f2), -EINVAL);
	assert_int_equal(v.line, 1);
	fclose(f1);
	fclose(f2);
}

static void
auditverify_file_empty_and_odd(void **state)
{
	struct auditverify v;
	char *big;

	assert_int_equal(verify_text(&v, "", 0, true), 0);
	assert_int_equal(v.lines, 0);
	assert_int_equal(v.files, 1);
	assert_int_equal(verify_text(&v, "\n", 1, true), -EINVAL);
	assert_int_equal(v.line, 1);
	assert_int_equal(verify_text(&v, "x", 1, true), -EINVAL);
	assert_int_equal(v.line, 1);

	/* A line longer than any the daemon writes is refused, not read. */
	big = malloc(2u << 20);
	assert_non_null(big);
	memset(big, 'a', 2u << 20);
	assert_int_equal(verify_text(&v, big, 2u << 20, false), -EFBIG);
	assert_int_equal(v.line, 1);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(auditverify_line_good),
		cmocka_unit_test(auditverify_line_mismatch),
		cmocka_unit_test(auditverify_line_bad_prev),
		cmocka_unit_test(auditverify_line_json),
		cmocka_unit_test(auditverify_file_good),
		cmocka_unit_test(auditverify_file_edited),
		cmocka_unit_test(auditverify_file_deleted),
		cmocka_unit_test(auditverify_file_reordered),
		cmocka_unit_test(auditverify_file_truncated),
		cmocka_unit_test(auditverify_file_two_files),
		cmocka_unit_test(auditverify_file_empty_and_odd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

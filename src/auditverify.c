/* SPDX-License-Identifier: BSD-2-Clause */
/* Checking an audit log's SHA-256 chain: every line must be a JSON object
 * (RFC 8259) that begins with {"prev":"<64 lowercase hex>", and prev must be
 * the SHA-256 of the line before it, across files given in order. The text
 * is hostile: every byte is checked, nesting and line length are bounded. */
#include "auditverify.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

/* Longer lines are refused rather than read into memory (the daemon's are
 * a few hundred bytes). */
#define AUDITVERIFY_MAX_LINE (1024u * 1024)
/* Deeper nesting is refused, so that recursion stays bounded. */
#define AUDITVERIFY_MAX_DEPTH 32

static const char auditverify_prefix[] = "{\"prev\":\"";
#define AUDITVERIFY_PREFIX_LEN (sizeof(auditverify_prefix) - 1)

/* A cursor over one line's JSON text. */
struct auditverify_json {
	const unsigned char *p, *end;
	unsigned depth;
	const char *why;
};

static bool auditverify_value(struct auditverify_json *j);

/* Fail with a reason; always false. */
static bool
auditverify_bad(struct auditverify_json *j, const char *why)
{
	if (j->why == NULL)
		j->why = why;
	return false;
}

/* Skip JSON whitespace. */
static void
auditverify_ws(struct auditverify_json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

/* Take the byte c if it comes next. */
static bool
auditverify_eat(struct auditverify_json *j, unsigned char c)
{
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return true;
	}
	return false;
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629, section 4), or
 * 0; written apart from the writer's on purpose, to check it. */
static size_t
auditverify_utf8(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	/* The second byte's range excludes overlong forms, UTF-16
	 * surrogates and code points above U+10FFFF. */
	switch (s[0]) {
	case 0xe0: lo = 0xa0; break;
	case 0xed: hi = 0x9f; break;
	case 0xf0: lo = 0x90; break;
	case 0xf4: hi = 0x8f; break;
	default: break;
	}
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* A string: '"', characters or escapes, '"' (RFC 8259, section 7). */
static bool
auditverify_string(struct auditverify_json *j)
{
	if (!auditverify_eat(j, '"'))
		return auditverify_bad(j, "invalid JSON: a string was expected");
	while (j->p < j->end) {
		unsigned char c = *j->p;
		size_t len;

		if (c == '"') {
			j->p++;
			return true;
		}
		if (c < 0x20)
			return auditverify_bad(j,
			    "invalid JSON: a control character in a string");
		if (c == '\\') {
			if (++j->p == j->end)
				break;
			c = *j->p++;
			if (c == 'u') {
				for (int i = 0; i < 4; i++, j->p++)
					if (j->p == j->end ||
					    strchr("0123456789abcdefABCDEF",
					    *j->p) == NULL || *j->p == 0)
						return auditverify_bad(j,
						    "invalid JSON: a bad \\u "
						    "escape");
			} else if (strchr("\"\\/bfnrt", c) == NULL || c == 0) {
				return auditverify_bad(j,
				    "invalid JSON: an unknown escape");
			}
		} else if (c < 0x80) {
			j->p++;
		} else if ((len = auditverify_utf8(j->p,
		    (size_t)(j->end - j->p))) != 0) {
			j->p += len;
		} else {
			return auditverify_bad(j, "not UTF-8");
		}
	}
	return auditverify_bad(j, "invalid JSON: an unterminated string");
}

/* Take one or more digits. */
static bool
auditverify_digits(struct auditverify_json *j)
{
	const unsigned char *start = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > start;
}

/* A number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? (section 6). */
static bool
auditverify_number(struct auditverify_json *j)
{
	auditverify_eat(j, '-');
	if (!auditverify_eat(j, '0') && !auditverify_digits(j))
		return auditverify_bad(j, "invalid JSON: a bad number");
	if (auditverify_eat(j, '.') && !auditverify_digits(j))
		return auditverify_bad(j, "invalid JSON: a bad number");
	if (auditverify_eat(j, 'e') || auditverify_eat(j, 'E')) {
		if (!auditverify_eat(j, '+'))
			auditverify_eat(j, '-');
		if (!auditverify_digits(j))
			return auditverify_bad(j, "invalid JSON: a bad number");
	}
	return true;
}

/* One of true, false, null. */
static bool
auditverify_literal(struct auditverify_json *j, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return auditverify_bad(j, "invalid JSON: an unexpected word");
	j->p += n;
	return true;
}

/* An object or an array, after its opening bracket was seen. */
static bool
auditverify_container(struct auditverify_json *j, bool object)
{
	unsigned char close = object ? '}' : ']';

	if (++j->depth > AUDITVERIFY_MAX_DEPTH)
		return auditverify_bad(j, "invalid JSON: nested too deeply");
	j->p++;
	auditverify_ws(j);
	if (auditverify_eat(j, close)) {
		j->depth--;
		return true;
	}
	for (;;) {
		if (object) {
			if (!auditverify_string(j))
				return false;
			auditverify_ws(j);
			if (!auditverify_eat(j, ':'))
				return auditverify_bad(j,
				    "invalid JSON: ':' was expected");
		}
		if (!auditverify_value(j))
			return false;
		if (auditverify_eat(j, close))
			break;
		if (!auditverify_eat(j, ','))
			return auditverify_bad(j, object ?
			    "invalid JSON: ',' or '}' was expected" :
			    "invalid JSON: ',' or ']' was expected");
		auditverify_ws(j);
	}
	j->depth--;
	return true;
}

/* Any value, with the whitespace around it. */
static bool
auditverify_value(struct auditverify_json *j)
{
	bool ok;

	auditverify_ws(j);
	if (j->p == j->end)
		return auditverify_bad(j, "invalid JSON: the line ends early");
	switch (*j->p) {
	case '{': ok = auditverify_container(j, true); break;
	case '[': ok = auditverify_container(j, false); break;
	case '"': ok = auditverify_string(j); break;
	case 't': ok = auditverify_literal(j, "true"); break;
	case 'f': ok = auditverify_literal(j, "false"); break;
	case 'n': ok = auditverify_literal(j, "null"); break;
	default: ok = auditverify_number(j); break;
	}
	if (ok)
		auditverify_ws(j);
	return ok;
}

/* The value of one lowercase hex digit, or -1. */
static int
auditverify_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Check one line (without its newline): an audit line whose prev is
 * prev_hash (any prev when NULL); this_hash gets the line's own SHA-256.
 * Returns 0, -EINVAL if malformed or -EBADMSG if prev does not match, with
 * *why saying what is wrong. */
int
auditverify_line(const char *line, size_t len,
    const uint8_t prev_hash[AUDITVERIFY_HASH_LEN],
    uint8_t this_hash[AUDITVERIFY_HASH_LEN], const char **why)
{
	const unsigned char *p = (const unsigned char *)line;
	uint8_t prev[AUDITVERIFY_HASH_LEN];
	struct auditverify_json j = { p, p + len, 0, NULL };
	unsigned int mdlen = 0;

	if (len < AUDITVERIFY_PREFIX_LEN ||
	    memcmp(line, auditverify_prefix, AUDITVERIFY_PREFIX_LEN) != 0) {
		*why = "not an audit line: it does not begin with {\"prev\":\"";
		return -EINVAL;
	}
	p += AUDITVERIFY_PREFIX_LEN;
	if (len < AUDITVERIFY_PREFIX_LEN + 2 * AUDITVERIFY_HASH_LEN + 1 ||
	    p[2 * AUDITVERIFY_HASH_LEN] != '"') {
		*why = "prev is not 64 lowercase hex digits";
		return -EINVAL;
	}
	for (size_t i = 0; i < AUDITVERIFY_HASH_LEN; i++) {
		int hi = auditverify_hex(p[2 * i]);
		int lo = auditverify_hex(p[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			*why = "prev is not 64 lowercase hex digits";
			return -EINVAL;
		}
		prev[i] = (uint8_t)(hi << 4 | lo);
	}
	/* The whole line is one object, and nothing follows it. */
	if (!auditverify_value(&j) || j.p != j.end) {
		*why = j.why ? j.why : "invalid JSON: text after the object";
		return -EINVAL;
	}
	if (EVP_Digest(line, len, this_hash, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != AUDITVERIFY_HASH_LEN) {
		*why = "SHA-256 is not available from OpenSSL";
		return -ENOSYS;
	}
	if (prev_hash != NULL &&
	    memcmp(prev, prev_hash, AUDITVERIFY_HASH_LEN) != 0) {
		*why = "prev is not the SHA-256 of the line before";
		return -EBADMSG;
	}
	return 0;
}

/* Start a chain; from_start requires its first line's prev to be zeros,
 * as on the first line the daemon ever wrote. */
void
auditverify_init(struct auditverify *v, bool from_start)
{
	memset(v, 0, sizeof(*v));
	v->have_hash = from_start;
}

/* Read one line of at most AUDITVERIFY_MAX_LINE bytes into *buf (NUL bytes
 * included, so no fgets); its length, 0 at the end, or -errno. */
static long
auditverify_getline(FILE *f, char **buf, size_t *cap)
{
	size_t n = 0;
	int c;

	while ((c = getc(f)) != EOF) {
		if (n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 4096;
			char *p;

			if (n >= AUDITVERIFY_MAX_LINE)
				return -EFBIG;
			if ((p = realloc(*buf, ncap)) == NULL)
				return -ENOMEM;
			*buf = p;
			*cap = ncap;
		}
		(*buf)[n++] = (char)c;
		if (c == '\n')
			break;
	}
	if (ferror(f))
		return -EIO;
	return (long)n;
}

/* Check every line of f, continuing the chain in v. Returns 0, or -EINVAL
 * (broken), -EIO or -ENOMEM with v->line and v->why saying where and why. */
int
auditverify_file(struct auditverify *v, FILE *f)
{
	uint8_t hash[AUDITVERIFY_HASH_LEN];
	const char *why = NULL;
	size_t cap = 0;
	char *buf = NULL;
	uint64_t ln = 0;
	long n;
	int r = 0;

	while ((n = auditverify_getline(f, &buf, &cap)) > 0) {
		ln++;
		if (buf[n - 1] != '\n') {
			why = "incomplete line: no newline at the end of the "
			      "file";
			r = -EINVAL;
			break;
		}
		r = auditverify_line(buf, (size_t)n - 1,
		    v->have_hash ? v->hash : NULL, hash, &why);
		if (r == -EBADMSG && v->lines == 0)
			why = "prev is not zeros: not the log's first line";
		else if (r == -EBADMSG && ln == 1)
			why = "prev is not the SHA-256 of the previous file's "
			      "last line";
		if (r < 0)
			break;
		memcpy(v->hash, hash, sizeof(hash));
		v->have_hash = true;
		v->lines++;
	}
	free(buf);
	if (n < 0) {
		ln++;
		r = (int)n;
		why = n == -EFBIG ? "line longer than 1 MiB" :
				    n == -ENOMEM ? "out of memory" :
						   "read error";
	}
	if (r < 0) {
		v->line = ln;
		v->why = why;
		return r == -EBADMSG ? -EINVAL : r;
	}
	v->files++;
	return 0;
}

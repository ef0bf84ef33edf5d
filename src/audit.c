/* SPDX-License-Identifier: BSD-2-Clause */
/* The audit log: JSON lines chained by SHA-256, formatted into memory on the
 * loop thread and written by audit_flush(), so that a slow or full disk never
 * delays a TPM command.
 *
 * Each line is {"prev":"<sha256 of the previous line>","time":...} and the
 * chain runs on across files: a new or rotated file's first line carries the
 * hash of the last line written before it, an existing file's next line the
 * hash of its last line.
 *
 * A record is kept as its "body" (everything after the prev field) until it
 * is written; prev is filled in at write time, from the last line that
 * really reached the file. So records dropped while the disk is full leave
 * no hole in the chain: an "audit-error" line saying how many were lost is
 * written in their place, and the chain stays verifiable.
 *
 * Short writes: the file must end on a whole line. Lines written whole are
 * kept; a partly written last line is cut off again with ftruncate() and
 * written whole by a later flush. Only when that fails too (not a regular
 * file) is the rest of the line kept and written first by the next flush,
 * so the file is always a prefix of the chain. */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <tss2/tss2_rc.h>

#include "ccnames.h"
#include "log.h"

#define AUDIT_HASH_LEN 32
/* While writing fails, the failure is logged again at most this often. */
#define AUDIT_REPORT_SECONDS 10

/* A growing byte buffer whose first allocation failure sticks. */
struct audit_buf {
	char *data;
	size_t len, cap;
	bool nomem;
};

struct audit {
	char *path;
	int fd; /* -1 after a failed reopen: the next flush opens again */
	bool known; /* dev and ino name the file the chain is in */
	dev_t dev;
	ino_t ino;
	/* Records not yet in the file: bodies, each ending in '\n'. */
	struct audit_buf pending;
	/* Lines being written by one flush; kept to reuse its memory. */
	struct audit_buf out;
	/* The rest of a line whose beginning is already in the file. */
	struct audit_buf tail;
	/* SHA-256 of the last line in the file (whole, or begun: see tail). */
	uint8_t hash[AUDIT_HASH_LEN];
	uint64_t records, failures, lost, unreported;
	int syslog_priority;        /* -1: records go to the file only */
	bool failing;
	int last_errno;
	struct timespec last_report;
};

/* SHA-256 of n bytes; the daemon cannot audit without it. */
static void
audit_sha256(const void *p, size_t n, uint8_t md[AUDIT_HASH_LEN])
{
	unsigned int mdlen = 0;

	if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != AUDIT_HASH_LEN)
		fatalx("audit: SHA-256 is not available from OpenSSL");
}

/* Make room for n more bytes; false (and nomem set) if there is none. */
static bool
audit_buf_reserve(struct audit_buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->nomem)
		return false;
	if (b->cap - b->len >= n)
		return true;
	cap = b->cap ? b->cap : 1024;
	while (cap - b->len < n) {
		if (cap > SIZE_MAX / 2) {
			b->nomem = true;
			return false;
		}
		cap *= 2;
	}
	p = realloc(b->data, cap);
	if (p == NULL) {
		b->nomem = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

/* Append n bytes. */
static void
audit_buf_add(struct audit_buf *b, const void *p, size_t n)
{
	if (n == 0 || !audit_buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

/* Append a string. */
static void
audit_buf_str(struct audit_buf *b, const char *s)
{
	audit_buf_add(b, s, strlen(s));
}

/* Append printf-formatted text (short: numbers and fixed names). */
static void __attribute__((format(printf, 2, 3)))
audit_buf_printf(struct audit_buf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->nomem = true; /* cannot happen with our formats */
		return;
	}
	audit_buf_add(b, tmp, (size_t)n);
}

/* Drop the first n bytes. */
static void
audit_buf_consume(struct audit_buf *b, size_t n)
{
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

/* Free a buffer's memory. */
static void
audit_buf_free(struct audit_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629, section 4: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or 0. */
static size_t
audit_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* Append s as a JSON string (RFC 8259, section 7). The text comes from
 * configuration, /proc and callers' messages, so anything may be in it:
 * control characters are escaped, and bytes that are not UTF-8 become
 * U+FFFD, so the line is always valid JSON. */
static void
audit_buf_json(struct audit_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	audit_buf_add(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		size_t len;

		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };
			audit_buf_add(b, esc, 2);
		} else if (c == '\n') {
			audit_buf_str(b, "\\n");
		} else if (c == '\t') {
			audit_buf_str(b, "\\t");
		} else if (c == '\r') {
			audit_buf_str(b, "\\r");
		} else if (c < 0x20) {
			audit_buf_printf(b, "\\u%04x", c);
		} else if (c < 0x80) {
			audit_buf_add(b, &c, 1);
		} else if ((len = audit_utf8_len(p + i, n - i)) != 0) {
			audit_buf_add(b, p + i, len);
			i += len - 1;
		} else {
			audit_buf_str(b, "\\ufffd");
		}
	}
	audit_buf_add(b, "\"", 1);
}

/* Append ,"name":"value" when value is set. */
static void
audit_buf_field(struct audit_buf *b, const char *name, const char *value)
{
	if (value == NULL)
		return;
	audit_buf_printf(b, ",\"%s\":", name);
	audit_buf_json(b, value);
}

/* Append ,"name":n when n is not zero. */
static void
audit_buf_count(struct audit_buf *b, const char *name, uint64_t n)
{
	if (n != 0)
		audit_buf_printf(b, ",\"%s\":%" PRIu64, name, n);
}

/* Append ,"name":id when the id is known. */
static void
audit_buf_id(struct audit_buf *b, const char *name, long id)
{
	if (id >= 0)
		audit_buf_printf(b, ",\"%s\":%ld", name, id);
}

/* Append the time now, RFC 3339 in UTC with microseconds. */
static void
audit_buf_time(struct audit_buf *b)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	audit_buf_printf(b, "\"time\":\"%s.%06ldZ\"", stamp,
	    ts.tv_nsec / 1000);
}

/* Append a record's body: its fields after prev, in a fixed order, then
 * '}' and the '\n' that separates bodies in the pending buffer. */
static void
audit_format_body(struct audit_buf *b, const struct audit_record *r)
{
	audit_buf_time(b);
	audit_buf_field(b, "event", r->event);
	audit_buf_field(b, "socket", r->socket);
	audit_buf_field(b, "pod", r->pod);
	audit_buf_id(b, "uid", r->uid);
	audit_buf_id(b, "gid", r->gid);
	audit_buf_id(b, "pid", r->pid);
	audit_buf_count(b, "conn", r->conn);
	if (r->has_command) {
		audit_buf_field(b, "command", ccnames_name(r->code));
		audit_buf_printf(b, ",\"cc\":\"0x%08" PRIx32 "\"", r->code);
	}
	if (r->nhandles > 0 && r->handles != NULL) {
		audit_buf_str(b, ",\"handles\":[");
		for (size_t i = 0; i < r->nhandles; i++)
			audit_buf_printf(b, "%s\"0x%08" PRIx32 "\"",
			    i ? "," : "", r->handles[i]);
		audit_buf_str(b, "]");
	}
	if (r->has_rhandle)
		audit_buf_printf(b, ",\"rhandle\":\"0x%08" PRIx32 "\"",
		    r->rhandle);
	if (r->has_rc) {
		audit_buf_printf(b, ",\"rc\":\"0x%08" PRIx32 "\"", r->rc);
		audit_buf_field(b, "rc_text", Tss2_RC_Decode(r->rc));
	}
	audit_buf_count(b, "duration_us", r->duration_us);
	audit_buf_count(b, "queued_us", r->queued_us);
	audit_buf_count(b, "bytes_in", r->bytes_in);
	audit_buf_count(b, "bytes_out", r->bytes_out);
	if (r->has_counts)
		audit_buf_printf(b,
		    ",\"objects\":%u,\"sessions\":%u,\"saved\":%u,"
		    "\"nv_indices\":%u",
		    r->objects, r->sessions, r->saved, r->nv_indices);
	audit_buf_field(b, "detail", r->detail);
	audit_buf_str(b, "}\n");
}

/* Append a whole line to out: the prev field from *hash, then the body
 * (ending in '\n'); *hash becomes the new line's. */
static void
audit_chain_line(struct audit_buf *out, uint8_t hash[AUDIT_HASH_LEN],
    const char *body, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char prev[9 + 2 * AUDIT_HASH_LEN + 2];
	size_t start = out->len;

	memcpy(prev, "{\"prev\":\"", 9);
	for (size_t i = 0; i < AUDIT_HASH_LEN; i++) {
		prev[9 + 2 * i] = hex[hash[i] >> 4];
		prev[9 + 2 * i + 1] = hex[hash[i] & 15];
	}
	memcpy(prev + 9 + 2 * AUDIT_HASH_LEN, "\",", 2);
	audit_buf_add(out, prev, sizeof(prev));
	audit_buf_add(out, body, len);
	if (!out->nomem)
		audit_sha256(out->data + start, out->len - start - 1, hash);
}

/* Count a failure and report it loudly: at once when it is new, then at
 * most every AUDIT_REPORT_SECONDS while it lasts. Returns -err. */
static int
audit_fail(struct audit *a, const char *what, int err)
{
	struct timespec now;

	a->failures++;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!a->failing || err != a->last_errno ||
	    now.tv_sec - a->last_report.tv_sec >= AUDIT_REPORT_SECONDS) {
		log_error("audit: cannot %s %s: %s (%zu bytes of records "
			  "waiting, %" PRIu64 " records lost so far)",
		    what, a->path, strerror(err), a->pending.len, a->lost);
		a->last_report = now;
	}
	a->failing = true;
	a->last_errno = err;
	return -err;
}

/* pread exactly n bytes at off; -errno, or -EIO if the file is shorter. */
static int
audit_pread(int fd, void *buf, size_t n, off_t off)
{
	ssize_t r;

	while (n > 0) {
		r = pread(fd, buf, n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		buf = (char *)buf + r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

/* The SHA-256 of the last line of a non-empty file of size bytes (without
 * its newline), and whether that line is whole. Reads backwards from the
 * end in blocks, so a file of any size costs only its last line. */
static int
audit_last_line(int fd, off_t size, uint8_t hash[AUDIT_HASH_LEN],
    bool *whole)
{
	char block[4096];
	EVP_MD_CTX *ctx;
	off_t end, start, pos;
	unsigned int mdlen = 0;
	int r;

	if ((r = audit_pread(fd, block, 1, size - 1)) < 0)
		return r;
	*whole = block[0] == '\n';
	end = *whole ? size - 1 : size;
	start = 0;
	for (pos = end; pos > 0 && start == 0;) {
		size_t n = pos < (off_t)sizeof(block) ? (size_t)pos :
							  sizeof(block);

		pos -= (off_t)n;
		if ((r = audit_pread(fd, block, n, pos)) < 0)
			return r;
		for (size_t i = n; i > 0; i--) {
			if (block[i - 1] == '\n') {
				start = pos + (off_t)i;
				break;
			}
		}
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -ENOMEM;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		fatalx("audit: SHA-256 is not available from OpenSSL");
	for (pos = start; pos < end && r == 0;) {
		size_t n = end - pos < (off_t)sizeof(block) ?
			  (size_t)(end - pos) : sizeof(block);

		if ((r = audit_pread(fd, block, n, pos)) == 0) {
			EVP_DigestUpdate(ctx, block, n);
			pos += (off_t)n;
		}
	}
	if (r == 0 && EVP_DigestFinal_ex(ctx, hash, &mdlen) != 1)
		fatalx("audit: SHA-256 is not available from OpenSSL");
	EVP_MD_CTX_free(ctx);
	return r;
}

/* Open the path for appending. When it is another file than the one open
 * before (new, or rotated away), the chain continues from its last line if
 * it has one, else from the last line written before. */
static int
audit_open_file(struct audit *a)
{
	struct stat st;
	bool whole = true;
	int fd, r;

	/* Read and write: the last line is read back with pread(). */
	fd = open(a->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
	    0640);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (a->known && st.st_dev == a->dev && st.st_ino == a->ino) {
		/* The same file (not rotated, or truncated in place by
		 * copytruncate): the chain and a begun line go on in it. */
		if (a->fd >= 0)
			close(a->fd);
		a->fd = fd;
		return 0;
	}
	if (S_ISREG(st.st_mode) && st.st_size > 0) {
		r = audit_last_line(fd, st.st_size, a->hash, &whole);
		if (r < 0) {
			close(fd);
			return r;
		}
	}
	if (a->tail.len > 0)
		log_error("audit: the previous file ended in an incomplete "
			  "line; it will not verify past it");
	a->tail.len = 0;
	if (!whole) {
		/* Keep the fragment as evidence, end it so that our lines
		 * start on lines of their own, and chain to it: the verifier
		 * reports the fragment's line, not all that follows. */
		log_error("audit: %s ends in an incomplete line; it is kept "
			  "and will not verify", a->path);
		audit_buf_add(&a->tail, "\n", 1);
	}
	if (a->fd >= 0)
		close(a->fd);
	a->fd = fd;
	a->known = true;
	a->dev = st.st_dev;
	a->ino = st.st_ino;
	if (!whole) {
		struct audit_record rec = {
			.event = "audit-error", .uid = -1, .gid = -1, .pid = -1,
			.detail = "the log ended in an incomplete line",
		};
		audit_record(a, &rec);
	}
	return 0;
}

/* A record about a client connection: who it is (ids -1 when SO_PEERCRED
 * gave no peer), the rest zero. */
void
audit_record_init(struct audit_record *r, const char *event,
    const char *socket, const char *pod, const struct ucred *peer,
    uint64_t conn)
{
	memset(r, 0, sizeof(*r));
	r->event = event;
	r->socket = socket;
	r->pod = pod;
	r->uid = peer->pid > 0 ? (long)peer->uid : -1;
	r->gid = peer->pid > 0 ? (long)peer->gid : -1;
	r->pid = peer->pid > 0 ? (long)peer->pid : -1;
	r->conn = conn;
}

/* Open (create) the audit log at path for appending. */
int
audit_open(const char *path, struct audit **out)
{
	struct audit *a;
	int r;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return -ENOMEM;
	a->fd = -1;
	a->syslog_priority = -1;
	if ((a->path = strdup(path)) == NULL) {
		free(a);
		return -ENOMEM;
	}
	if ((r = audit_open_file(a)) < 0) {
		audit_buf_free(&a->pending);
		free(a->path);
		free(a);
		return r;
	}
	*out = a;
	return 0;
}

/* Drop the oldest records while more than AUDIT_MAX_PENDING bytes wait,
 * down to three quarters of it so that this copying stays rare. */
static void
audit_trim(struct audit *a)
{
	size_t keep = AUDIT_MAX_PENDING / 4 * 3, off = 0;
	uint64_t dropped = 0;

	if (a->pending.len <= AUDIT_MAX_PENDING)
		return;
	while (a->pending.len - off > keep) {
		char *nl = memchr(a->pending.data + off, '\n',
		    a->pending.len - off);

		off = (size_t)(nl - a->pending.data) + 1;
		dropped++;
	}
	audit_buf_consume(&a->pending, off);
	a->lost += dropped;
	a->unreported += dropped;
	log_error("audit: %s: dropped the %" PRIu64 " oldest records waiting "
		  "to be written", a->path, dropped);
}

/* Format one record into memory; it is written by a later audit_flush(),
 * at once when AUDIT_FLUSH_BYTES wait (unless writing is failing, when the
 * caller's timer retries). */
void
audit_record(struct audit *a, const struct audit_record *r)
{
	size_t start = a->pending.len;

	audit_format_body(&a->pending, r);
	if (a->pending.nomem) {
		a->pending.len = start;
		a->pending.nomem = false;
		a->lost++;
		a->unreported++;
		return;
	}
	a->records++;
	if (a->syslog_priority >= 0)
		syslog(a->syslog_priority, "audit %.*s",
		    (int)(a->pending.len - start - 1), a->pending.data + start);
	audit_trim(a);
	if (a->pending.len >= AUDIT_FLUSH_BYTES && !a->failing)
		audit_flush(a);
}

/* Write n bytes, retrying after signals and short writes; 0, or -errno
 * with *done set to what was written before the error. */
static int
audit_write(int fd, const char *p, size_t n, size_t *done)
{
	ssize_t w;

	*done = 0;
	while (*done < n) {
		w = write(fd, p + *done, n - *done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		*done += (size_t)w;
	}
	return 0;
}

/* Finish a line begun in the file by an earlier short write. */
static int
audit_write_tail(struct audit *a)
{
	size_t done;
	int r;

	r = audit_write(a->fd, a->tail.data, a->tail.len, &done);
	audit_buf_consume(&a->tail, done);
	return r;
}

/* After out was written only up to done: keep the whole lines, cut the
 * partial one off again (ftruncate to where it began), or when that is
 * impossible keep its rest in tail for the next flush. Drops the records
 * now in the file from pending. */
static void
audit_settle(struct audit *a, size_t done, off_t base, bool marker)
{
	const char *p = a->out.data;
	size_t whole = 0, lines = 0, next;

	for (size_t i = 0; i < done; i++) {
		if (p[i] == '\n') {
			whole = i + 1;
			lines++;
		}
	}
	if (done > whole) {
		if (ftruncate(a->fd, base + (off_t)whole) == 0) {
			done = whole;
		} else {
			/* The line is begun: it is the chain's now. */
			next = whole + (size_t)((const char *)memchr(p + whole,
			    '\n', a->out.len - whole) - (p + whole)) + 1;
			audit_buf_add(&a->tail, p + done, next - done);
			whole = next;
			lines++;
		}
	}
	if (whole > 0) {
		/* The last line in the file is the one ending at whole. */
		size_t begin = whole - 1;

		while (begin > 0 && p[begin - 1] != '\n')
			begin--;
		audit_sha256(p + begin, whole - 1 - begin, a->hash);
	}
	if (marker && lines > 0) {
		a->unreported = 0;
		lines--;
	}
	for (next = 0; lines > 0; lines--)
		next = (size_t)((char *)memchr(a->pending.data + next, '\n',
		    a->pending.len - next) - a->pending.data) + 1;
	audit_buf_consume(&a->pending, next);
}

/* Write what waits: the rest of a begun line, a note of records lost, then
 * every pending record, each chained to the line before it in the file.
 * Returns 0, or -errno after reporting and counting the failure. */
int
audit_flush(struct audit *a)
{
	uint8_t hash[AUDIT_HASH_LEN];
	struct stat st;
	bool marker = a->unreported > 0;
	size_t done, off;
	int r;

	if (a->fd < 0 && (r = audit_open_file(a)) < 0)
		return audit_fail(a, "open", -r);
	if (a->tail.len > 0 && (r = audit_write_tail(a)) < 0)
		return audit_fail(a, "write", -r);
	if (a->pending.len == 0 && !marker)
		goto ok;
	if (fstat(a->fd, &st) < 0)
		return audit_fail(a, "stat", errno);

	a->out.len = 0;
	memcpy(hash, a->hash, sizeof(hash));
	if (marker) {
		struct audit_buf body = { 0 };
		char detail[96];
		struct audit_record rec = {
			.event = "audit-error", .uid = -1, .gid = -1, .pid = -1,
			.detail = detail,
		};

		snprintf(detail, sizeof(detail),
		    "%" PRIu64 " records lost: the log could not be written",
		    a->unreported);
		audit_format_body(&body, &rec);
		audit_chain_line(&a->out, hash, body.data, body.len);
		marker = !body.nomem;
		audit_buf_free(&body);
	}
	for (off = 0; off < a->pending.len;) {
		const char *body = a->pending.data + off;
		size_t len = (size_t)((const char *)memchr(body, '\n',
		    a->pending.len - off) - body) + 1;

		audit_chain_line(&a->out, hash, body, len);
		off += len;
	}
	if (a->out.nomem) {
		a->out.nomem = false;
		return audit_fail(a, "format records for", ENOMEM);
	}
	r = audit_write(a->fd, a->out.data, a->out.len, &done);
	if (r < 0) {
		audit_settle(a, done, S_ISREG(st.st_mode) ? st.st_size : 0,
		    marker);
		return audit_fail(a, "write", -r);
	}
	memcpy(a->hash, hash, sizeof(hash));
	a->pending.len = 0;
	if (marker)
		a->unreported = 0;
ok:
	if (a->failing)
		log_warnx("audit: writing %s again (%" PRIu64 " records lost "
			  "in all)", a->path, a->lost);
	a->failing = false;
	return 0;
}

/* Flush, then open the path again (after logrotate moved the file away):
 * the new file's first line chains to the last line of the old one. */
int
audit_reopen(struct audit *a)
{
	int r;

	audit_flush(a);
	if ((r = audit_open_file(a)) < 0) {
		/* Stop writing into the rotated file; flush retries. */
		if (a->fd >= 0)
			close(a->fd);
		a->fd = -1;
		return audit_fail(a, "reopen", -r);
	}
	return 0;
}

/* Whether the last attempt to write succeeded. */
bool
audit_healthy(const struct audit *a)
{
	return !a->failing;
}

/* Failed attempts to open or write the file. */
uint64_t
audit_failures(const struct audit *a)
{
	return a->failures;
}

/* Records accepted (written or waiting). */
uint64_t
audit_records(const struct audit *a)
{
	return a->records;
}

/* Also send each record to syslog at priority (LOG_INFO...), -1 to stop. */
void
audit_set_syslog(struct audit *a, int priority)
{
	a->syslog_priority = priority;
}

/* Records dropped because the file could not be written or memory ran out. */
uint64_t
audit_lost(const struct audit *a)
{
	return a->lost;
}

/* Flush what waits, close the file and free everything. */
void
audit_close(struct audit *a)
{
	if (a == NULL)
		return;
	audit_flush(a);
	if (a->fd >= 0)
		close(a->fd);
	audit_buf_free(&a->pending);
	audit_buf_free(&a->out);
	audit_buf_free(&a->tail);
	free(a->path);
	free(a);
}

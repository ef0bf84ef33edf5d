/* SPDX-License-Identifier: BSD-2-Clause */
/* Parser and validator of tpmproxy.conf and its conf.d/ drop-ins: a small
 * INI reader with FILE:LINE errors and no I/O besides reading those files. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ccnames.h"
#include "log.h"

/* Marks a socket's max-saved-contexts as not set until config_check()
 * copies the [daemon] value in (0 is a real limit there). */
#define CONFIG_UNSET UINT_MAX
/* conf.d files read at most, so a runaway directory cannot stall start-up. */
#define CONFIG_MAX_DROPINS 1024
/* User and group names are short; longer ones are typos or garbage. */
#define CONFIG_ACCOUNT_MAX 256

static const char *const config_builtin_profiles[] = {
	"full", "attest", "crypto", "readonly",
};

enum config_section {
	CONFIG_SECTION_NONE,
	CONFIG_SECTION_DAEMON,
	CONFIG_SECTION_SOCKET,
	CONFIG_SECTION_PROFILE,
};

/* How a value is read and where it is stored (offsets into the section's
 * struct: struct config, config_socket or config_profile). */
enum config_type {
	CONFIG_T_UINT,     /* unsigned in [min, max] */
	CONFIG_T_U32,      /* uint32_t in [min, max] */
	CONFIG_T_MS,       /* duration stored as unsigned ms in [min, max] */
	CONFIG_T_STRING,   /* char * */
	CONFIG_T_PATH,     /* absolute path, at most max bytes */
	CONFIG_T_MODE,     /* octal permission bits */
	CONFIG_T_OWNER,    /* socket uid[:gid] */
	CONFIG_T_RATE,     /* double commands per second */
	CONFIG_T_UIDS,     /* uid_t * at offset, size_t count at offset2 */
	CONFIG_T_CCLIST,   /* uint32_t * at offset, size_t count at offset2 */
	CONFIG_T_NAME,     /* profile name; unsigned line at offset2 */
	CONFIG_T_LOGLEVEL, /* enum log_level */
	CONFIG_T_AUDIT,    /* enum config_audit_failure */
	CONFIG_T_SCHEDULE, /* enum config_schedule */
	CONFIG_T_USER,     /* char * name, uid_t at offset2 */
	CONFIG_T_GROUP,    /* char * name, gid_t at offset2 */
};

struct config_key {
	const char *name;
	enum config_type type;
	size_t offset, offset2;
	unsigned min, max;
};

#define DKEY(n, t, f, f2, lo, hi) \
	{ n, t, offsetof(struct config, f), offsetof(struct config, f2), lo, hi }
#define SKEY(n, t, f, f2, lo, hi)                                      \
	{ n, t, offsetof(struct config_socket, f),                     \
	    offsetof(struct config_socket, f2), lo, hi }
#define PKEY(n, t, f, f2)                                              \
	{ n, t, offsetof(struct config_profile, f),                    \
	    offsetof(struct config_profile, f2), 0, 0 }

/* In enum config_daemon_key order: the index is the key's slot in set[]. */
static const struct config_key config_daemon_keys[] = {
	DKEY("tcti", CONFIG_T_STRING, tcti, tcti, 0, 0),
	DKEY("audit-log", CONFIG_T_PATH, audit_log, audit_log, 0, PATH_MAX - 1),
	DKEY("reserve-object-slots", CONFIG_T_UINT, reserve_object_slots,
	    reserve_object_slots, 0, 64),
	DKEY("reserve-session-slots", CONFIG_T_UINT, reserve_session_slots,
	    reserve_session_slots, 0, 64),
	DKEY("log-level", CONFIG_T_LOGLEVEL, log_level, log_level, 0, 0),
	DKEY("user", CONFIG_T_USER, user, uid, 0, 0),
	DKEY("group", CONFIG_T_GROUP, group, gid, 0, 0),
	DKEY("control-socket", CONFIG_T_PATH, control_socket, control_socket, 0,
	    CONFIG_SOCKET_PATH_MAX),
	DKEY("partial-timeout", CONFIG_T_MS, partial_timeout_ms,
	    partial_timeout_ms, 1, CONFIG_DURATION_MAX_MS),
	DKEY("shutdown-grace", CONFIG_T_MS, shutdown_grace_ms, shutdown_grace_ms,
	    0, CONFIG_DURATION_MAX_MS),
	DKEY("max-saved-contexts", CONFIG_T_UINT, max_saved_contexts,
	    max_saved_contexts, 0, 1024),
	DKEY("audit-failure", CONFIG_T_AUDIT, audit_failure, audit_failure, 0, 0),
	DKEY("metrics-listen", CONFIG_T_STRING, metrics_listen, metrics_listen,
	    0, 0),
	DKEY("audit-syslog", CONFIG_T_LOGLEVEL, audit_syslog, audit_syslog, 0,
	    0),
	DKEY("schedule", CONFIG_T_SCHEDULE, schedule, schedule, 0, 0),
};

static const struct config_key config_socket_keys[] = {
	SKEY("path", CONFIG_T_PATH, path, path, 0, CONFIG_SOCKET_PATH_MAX),
	SKEY("owner", CONFIG_T_OWNER, uid, gid, 0, 0),
	SKEY("mode", CONFIG_T_MODE, mode, mode, 0, 0777),
	SKEY("profile", CONFIG_T_NAME, profile, profile_line, 0, 0),
	SKEY("max-connections", CONFIG_T_UINT, max_connections, max_connections,
	    1, 65536),
	SKEY("max-objects", CONFIG_T_UINT, max_objects, max_objects, 0, 1024),
	SKEY("max-sessions", CONFIG_T_UINT, max_sessions, max_sessions, 0, 1024),
	SKEY("max-nv-indices", CONFIG_T_UINT, max_nv_indices, max_nv_indices, 0,
	    1024),
	SKEY("max-saved-contexts", CONFIG_T_UINT, max_saved_contexts,
	    max_saved_contexts, 0, 1024),
	SKEY("rate", CONFIG_T_RATE, rate, rate, 0, 1000000),
	SKEY("burst", CONFIG_T_UINT, burst, burst, 1, 1000000),
	SKEY("allow-uids", CONFIG_T_UIDS, allow_uids, nallow_uids, 0, 0),
	SKEY("idle-timeout", CONFIG_T_MS, idle_timeout_ms, idle_timeout_ms, 0,
	    CONFIG_DURATION_MAX_MS),
	SKEY("partial-timeout", CONFIG_T_MS, partial_timeout_ms,
	    partial_timeout_ms, 1, CONFIG_DURATION_MAX_MS),
	/* A TPM command is at least its 10-byte header; no TPM buffer we
	 * accept is larger than 64 KiB (main.c). */
	SKEY("max-command-size", CONFIG_T_U32, max_command_size,
	    max_command_size, 10, 65536),
};

static const struct config_key config_profile_keys[] = {
	PKEY("inherit", CONFIG_T_NAME, inherit, inherit_line),
	PKEY("allow", CONFIG_T_CCLIST, allow, nallow),
	PKEY("deny", CONFIG_T_CCLIST, deny, ndeny),
};

#define CONFIG_NKEYS(a) (sizeof(a) / sizeof((a)[0]))

_Static_assert(CONFIG_NKEYS(config_daemon_keys) == CONFIG_DAEMON_NKEYS,
    "config_daemon_keys must follow enum config_daemon_key");
_Static_assert(CONFIG_NKEYS(config_profile_keys) <=
        CONFIG_NKEYS(config_socket_keys),
    "config_parser.seen must fit every section's keys");

/* State while one buffer is read; only config holds what outlives it. */
struct config_parser {
	struct config *config;
	const char *file;
	unsigned line;
	enum config_section section;
	size_t index; /* the socket or profile being filled */
	unsigned seen[CONFIG_NKEYS(config_socket_keys)]; /* line of each key */
	char *err;
	size_t errlen;
};

/* Format "FILE:LINE: message" (or "FILE: message" when line is 0) and
 * return -EINVAL; control bytes are masked since err reaches terminals. */
static int __attribute__((format(printf, 5, 6)))
config_errorf(char *err, size_t errlen, const char *file, unsigned line,
    const char *fmt, ...)
{
	va_list ap;
	int n;

	if (errlen == 0)
		return -EINVAL;
	if (line != 0)
		n = snprintf(err, errlen, "%s:%u: ", file, line);
	else
		n = snprintf(err, errlen, "%s: ", file);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	for (char *c = err; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	}
	return -EINVAL;
}

#define config_error(p, ...) \
	config_errorf((p)->err, (p)->errlen, (p)->file, (p)->line, __VA_ARGS__)

/* Report an allocation failure at the current line. */
static int
config_nomem(struct config_parser *p)
{
	config_error(p, "out of memory");
	return -ENOMEM;
}

/* Whether c separates words: blanks, and commas in lists. */
static bool
config_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Whether name is a built-in profile, which no [profile] may redefine. */
bool
config_profile_is_builtin(const char *name)
{
	for (size_t i = 0; i < CONFIG_NKEYS(config_builtin_profiles); i++) {
		if (strcmp(name, config_builtin_profiles[i]) == 0)
			return true;
	}
	return false;
}

/* Check a socket or profile name: it appears unquoted in logs and JSON. */
static int
config_check_name(struct config_parser *p, const char *what, const char *name)
{
	size_t n = strlen(name);

	if (n == 0)
		return config_error(p, "%s: empty name", what);
	if (n > CONFIG_NAME_MAX)
		return config_error(p, "%s: name longer than %d bytes", what,
		    CONFIG_NAME_MAX);
	if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	        "0123456789._-") != n)
		return config_error(p, "%s: name \"%s\" may only use letters, "
		    "digits, '.', '_' and '-'", what, name);
	return 0;
}

/* Read decimal digits only (no sign, blanks or base prefix, which strtoul
 * would take) into *out, capped at limit + 1 so huge values cannot wrap. */
static int
config_read_digits(const char *s, unsigned long long limit, const char **end,
    unsigned long long *out)
{
	unsigned long long v = 0;
	const char *c = s;

	for (; *c >= '0' && *c <= '9'; c++) {
		v = v * 10 + (unsigned long long)(*c - '0');
		if (v > limit)
			v = limit + 1;
	}
	if (c == s)
		return -EINVAL;
	*end = c;
	*out = v;
	return 0;
}

/* Parse a whole value as a decimal number in [min, max]. */
static int
config_parse_number(struct config_parser *p, const char *key, const char *v,
    unsigned min, unsigned max, unsigned *out)
{
	unsigned long long n;
	const char *end;

	if (config_read_digits(v, max, &end, &n) != 0 || *end != '\0')
		return config_error(p, "%s: \"%s\" is not a number", key, v);
	if (n < min || n > max)
		return config_error(p, "%s: %s is out of range (%u to %u)", key,
		    v, min, max);
	*out = (unsigned)n;
	return 0;
}

/* Parse a duration (N, Ns, Nms or Nm; plain N is seconds) into ms. */
static int
config_parse_duration(struct config_parser *p, const char *key, const char *v,
    unsigned min, unsigned max, unsigned *out)
{
	unsigned long long n, scale;
	const char *end;

	if (config_read_digits(v, max, &end, &n) != 0)
		return config_error(p, "%s: \"%s\" is not a duration (such as "
		    "30s, 500ms or 5m)", key, v);
	if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
		scale = 1000;
	else if (strcmp(end, "ms") == 0)
		scale = 1;
	else if (strcmp(end, "m") == 0)
		scale = 60000;
	else
		return config_error(p, "%s: \"%s\" is not a duration (such as "
		    "30s, 500ms or 5m)", key, v);
	/* n is capped at max + 1, so this cannot overflow 64 bits. */
	n *= scale;
	if (n < min || n > max)
		return config_error(p, "%s: %s is out of range (%ums to %ums)",
		    key, v, min, max);
	*out = (unsigned)n;
	return 0;
}

/* Parse a rate: "unlimited", "0", or N[.F] optionally followed by /s or
 * /m; the result is in commands per second, at most max. */
static int
config_parse_rate(struct config_parser *p, const char *key, const char *v,
    unsigned max, double *out)
{
	unsigned long long whole, frac = 0;
	const char *end, *f;
	double r, div = 1;

	if (strcmp(v, "unlimited") == 0) {
		*out = 0;
		return 0;
	}
	/* Capped above max per minute, so "/m" cannot bring a huge value
	 * back under the limit. */
	if (config_read_digits(v, 60ULL * max, &end, &whole) != 0)
		goto bad;
	if (*end == '.') {
		f = end + 1;
		if (config_read_digits(f, 999999, &end, &frac) != 0 ||
		    end - f > 6)
			goto bad;
		for (ptrdiff_t i = 0; i < end - f; i++)
			div *= 10;
	}
	r = (double)whole + (double)frac / div;
	if (strcmp(end, "/m") == 0)
		r /= 60;
	else if (*end != '\0' && strcmp(end, "/s") != 0)
		goto bad;
	if (r > max)
		return config_error(p, "%s: %s is above %u per second", key, v,
		    max);
	*out = r;
	return 0;
bad:
	return config_error(p, "%s: \"%s\" is not a rate (such as 200/s, "
	    "30/m or unlimited)", key, v);
}

/* Resolve a user given by number or name; what names the key. */
static int
config_parse_uid(struct config_parser *p, const char *what, const char *s,
    uid_t *out)
{
	unsigned long long n;
	const char *end;
	struct passwd *pw;

	if (config_read_digits(s, UINT32_MAX, &end, &n) == 0 && *end == '\0') {
		/* (uid_t)-1 means "no change" to chown(2); refuse it. */
		if (n >= UINT32_MAX)
			return config_error(p, "%s: uid %s is out of range",
			    what, s);
		*out = (uid_t)n;
		return 0;
	}
	if (strlen(s) > CONFIG_ACCOUNT_MAX || (pw = getpwnam(s)) == NULL)
		return config_error(p, "%s: unknown user \"%s\"", what, s);
	*out = pw->pw_uid;
	return 0;
}

/* Resolve a group given by number or name; what names the key. */
static int
config_parse_gid(struct config_parser *p, const char *what, const char *s,
    gid_t *out)
{
	unsigned long long n;
	const char *end;
	struct group *gr;

	if (config_read_digits(s, UINT32_MAX, &end, &n) == 0 && *end == '\0') {
		if (n >= UINT32_MAX)
			return config_error(p, "%s: gid %s is out of range",
			    what, s);
		*out = (gid_t)n;
		return 0;
	}
	if (strlen(s) > CONFIG_ACCOUNT_MAX || (gr = getgrnam(s)) == NULL)
		return config_error(p, "%s: unknown group \"%s\"", what, s);
	*out = gr->gr_gid;
	return 0;
}

/* Parse owner = USER[:GROUP] into the socket; without a group the
 * socket's group is left as created. */
static int
config_parse_owner(struct config_parser *p, char *v, struct config_socket *s)
{
	char *colon = strchr(v, ':');
	int r;

	if (colon != NULL)
		*colon = '\0';
	if (*v == '\0')
		return config_error(p, "owner: missing user before ':'");
	if ((r = config_parse_uid(p, "owner", v, &s->uid)) != 0)
		return r;
	s->gid = (gid_t)-1;
	if (colon != NULL) {
		if (colon[1] == '\0')
			return config_error(p, "owner: missing group after ':'");
		if ((r = config_parse_gid(p, "owner", colon + 1, &s->gid)) != 0)
			return r;
	}
	s->has_owner = true;
	return 0;
}

/* Split a list value in place on blanks and commas; calls fn per word. */
static int
config_each_word(struct config_parser *p, const char *key, char *v,
    int (*fn)(struct config_parser *, const char *, const char *, void *),
    void *arg)
{
	char *w = v, *e;
	int r, n = 0;

	for (;;) {
		while (config_is_blank(*w) || *w == ',')
			w++;
		if (*w == '\0')
			break;
		for (e = w; *e != '\0' && !config_is_blank(*e) && *e != ','; e++)
			;
		if (*e != '\0')
			*e++ = '\0';
		if ((r = fn(p, key, w, arg)) != 0)
			return r;
		n++;
		w = e;
	}
	if (n == 0)
		return config_error(p, "%s: empty list", key);
	return 0;
}

/* A list being built by config_each_word(). */
struct config_list {
	void *items;
	size_t n, cap, size;
};

/* Make room for one more element of size l->size. */
static int
config_list_grow(struct config_list *l)
{
	void *items;
	size_t cap;

	if (l->n < l->cap)
		return 0;
	cap = l->cap == 0 ? 8 : 2 * l->cap;
	if ((items = reallocarray(l->items, cap, l->size)) == NULL)
		return -ENOMEM;
	l->items = items;
	l->cap = cap;
	return 0;
}

/* Append one user of allow-uids. */
static int
config_add_uid(struct config_parser *p, const char *key, const char *w,
    void *arg)
{
	struct config_list *l = arg;
	uid_t uid;
	int r;

	if ((r = config_parse_uid(p, key, w, &uid)) != 0)
		return r;
	if (l->n == CONFIG_MAX_ALLOW_UIDS)
		return config_error(p, "%s: more than %d users", key,
		    CONFIG_MAX_ALLOW_UIDS);
	if (config_list_grow(l) != 0)
		return config_nomem(p);
	((uid_t *)l->items)[l->n++] = uid;
	return 0;
}

/* Append one command of allow or deny: a TPM2_CC_ name, the name without
 * the prefix, or 0x and a code (vendor commands have no name). */
static int
config_add_cc(struct config_parser *p, const char *key, const char *w,
    void *arg)
{
	struct config_list *l = arg;
	unsigned long long code = 0;
	uint32_t cc;
	const char *h;

	if (w[0] == '0' && (w[1] == 'x' || w[1] == 'X') && w[2] != '\0' &&
	    strlen(w) <= 10) {
		for (h = w + 2; *h != '\0'; h++) {
			int lower = *h | 0x20;

			if (*h >= '0' && *h <= '9')
				code = code * 16 + (unsigned)(*h - '0');
			else if (lower >= 'a' && lower <= 'f')
				code = code * 16 + (unsigned)(lower - 'a' + 10);
			else
				break;
		}
		if (*h != '\0')
			return config_error(p, "%s: \"%s\" is not a command code",
			    key, w);
		cc = (uint32_t)code;
	} else if (ccnames_lookup(w, &cc) != 0) {
		return config_error(p, "%s: unknown command \"%s\"", key, w);
	}
	if (config_list_grow(l) != 0)
		return config_nomem(p);
	((uint32_t *)l->items)[l->n++] = cc;
	return 0;
}

/* Replace the string at *slot with a copy of v. */
static int
config_set_string(struct config_parser *p, char **slot, const char *v)
{
	char *copy = strdup(v);

	if (copy == NULL)
		return config_nomem(p);
	free(*slot);
	*slot = copy;
	return 0;
}

/* Check that v is an absolute path of at most max bytes. */
static int
config_check_path(struct config_parser *p, const char *key, const char *v,
    unsigned max)
{
	if (v[0] != '/')
		return config_error(p, "%s: \"%s\" is not an absolute path", key,
		    v);
	if (strlen(v) > max)
		return config_error(p, "%s: path longer than %u bytes", key, max);
	return 0;
}

/* Parse octal permission bits, at most max. */
static int
config_parse_mode(struct config_parser *p, const char *key, const char *v,
    unsigned max, mode_t *out)
{
	unsigned long u;

	if (strspn(v, "01234567") != strlen(v) || strlen(v) > 4)
		return config_error(p, "%s: \"%s\" is not an octal mode (such "
		    "as 0660)", key, v);
	u = strtoul(v, NULL, 8);
	if (u > max)
		return config_error(p, "%s: %s has bits beyond 0%o", key, v, max);
	*out = (mode_t)u;
	return 0;
}

/* Parse audit-failure: continue or refuse. */
static int
config_parse_audit(struct config_parser *p, const char *key, const char *v,
    enum config_audit_failure *out)
{
	if (strcmp(v, "continue") == 0)
		*out = CONFIG_AUDIT_CONTINUE;
	else if (strcmp(v, "refuse") == 0)
		*out = CONFIG_AUDIT_REFUSE;
	else
		return config_error(p, "%s: \"%s\" is neither continue nor "
		    "refuse", key, v);
	return 0;
}

/* Parse schedule: resident-first or fifo. */
static int
config_parse_schedule(struct config_parser *p, const char *key, const char *v,
    enum config_schedule *out)
{
	if (strcmp(v, "resident-first") == 0)
		*out = CONFIG_SCHEDULE_RESIDENT_FIRST;
	else if (strcmp(v, "fifo") == 0)
		*out = CONFIG_SCHEDULE_FIFO;
	else
		return config_error(p, "%s: \"%s\" is neither resident-first "
		    "nor fifo", key, v);
	return 0;
}

/* Parse a list of users (uid_t) or commands (uint32_t) and replace the
 * array at *items, of *n elements. */
static int
config_set_list(struct config_parser *p, const struct config_key *key,
    char *v, void **items, size_t *n)
{
	bool uids = key->type == CONFIG_T_UIDS;
	struct config_list l = {
		NULL, 0, 0, uids ? sizeof(uid_t) : sizeof(uint32_t),
	};
	int r;

	r = config_each_word(p, key->name, v,
	    uids ? config_add_uid : config_add_cc, &l);
	if (r != 0) {
		free(l.items);
		return r;
	}
	free(*items);
	*items = l.items;
	*n = l.n;
	return 0;
}

/* Store one value of type key->type into the section struct at base. */
static int
config_set(struct config_parser *p, const struct config_key *key, void *base,
    char *v)
{
	/* Through void *: the offsets come from offsetof() on the very field
	 * of the type each case stores. */
	void *f = (char *)base + key->offset, *f2 = (char *)base + key->offset2;
	const char *name = key->name;
	unsigned u;
	int r;

	switch (key->type) {
	case CONFIG_T_UINT:
		return config_parse_number(p, name, v, key->min, key->max, f);
	case CONFIG_T_U32:
		if ((r = config_parse_number(p, name, v, key->min, key->max,
		         &u)) != 0)
			return r;
		*(uint32_t *)f = u;
		return 0;
	case CONFIG_T_MS:
		return config_parse_duration(p, name, v, key->min, key->max, f);
	case CONFIG_T_STRING:
		return config_set_string(p, f, v);
	case CONFIG_T_PATH:
		if ((r = config_check_path(p, name, v, key->max)) != 0)
			return r;
		return config_set_string(p, f, v);
	case CONFIG_T_MODE:
		return config_parse_mode(p, name, v, key->max, f);
	case CONFIG_T_OWNER:
		return config_parse_owner(p, v, base);
	case CONFIG_T_RATE:
		return config_parse_rate(p, name, v, key->max, f);
	case CONFIG_T_UIDS:
	case CONFIG_T_CCLIST:
		return config_set_list(p, key, v, f, f2);
	case CONFIG_T_NAME:
		if ((r = config_check_name(p, name, v)) != 0)
			return r;
		*(unsigned *)f2 = p->line;
		return config_set_string(p, f, v);
	case CONFIG_T_LOGLEVEL:
		if (log_level_parse(v, f) != 0)
			return config_error(p, "%s: unknown level \"%s\" (error, "
			    "warning, info, debug)", name, v);
		return 0;
	case CONFIG_T_AUDIT:
		return config_parse_audit(p, name, v, f);
	case CONFIG_T_SCHEDULE:
		return config_parse_schedule(p, name, v, f);
	case CONFIG_T_USER:
		if ((r = config_parse_uid(p, name, v, f2)) != 0)
			return r;
		return config_set_string(p, f, v);
	case CONFIG_T_GROUP:
		if ((r = config_parse_gid(p, name, v, f2)) != 0)
			return r;
		return config_set_string(p, f, v);
	}
	return config_error(p, "%s: internal error: bad key type", name);
}

/* Finish the section being read: a socket must have said where it is. */
static int
config_end_section(struct config_parser *p)
{
	const struct config_socket *s;

	if (p->section == CONFIG_SECTION_SOCKET) {
		s = &p->config->sockets[p->index];
		if (s->path == NULL)
			return config_errorf(p->err, p->errlen, s->file, s->line,
			    "socket \"%s\" has no path", s->name);
	}
	p->section = CONFIG_SECTION_NONE;
	return 0;
}

/* Start [socket "name"]: a new socket with every default filled in. */
static int
config_begin_socket(struct config_parser *p, const char *name)
{
	struct config *c = p->config;
	const struct config_socket *old;
	struct config_socket *s;

	if ((old = config_find_socket(c, name)) != NULL)
		return config_error(p, "socket \"%s\" is already defined at "
		    "%s:%u", name, old->file, old->line);
	if (c->nsockets == CONFIG_MAX_SOCKETS)
		return config_error(p, "more than %d sockets",
		    CONFIG_MAX_SOCKETS);
	/* Grow one at a time: start-up only, and at most a thousand. */
	s = reallocarray(c->sockets, c->nsockets + 1, sizeof(*s));
	if (s == NULL)
		return config_nomem(p);
	c->sockets = s;
	s = &c->sockets[c->nsockets];
	memset(s, 0, sizeof(*s));
	s->gid = (gid_t)-1;
	s->mode = CONFIG_DEFAULT_MODE;
	s->max_connections = CONFIG_DEFAULT_MAX_CONNECTIONS;
	s->max_objects = CONFIG_DEFAULT_MAX_OBJECTS;
	s->max_sessions = CONFIG_DEFAULT_MAX_SESSIONS;
	s->max_nv_indices = CONFIG_DEFAULT_MAX_NV_INDICES;
	s->max_saved_contexts = CONFIG_UNSET;
	s->line = p->line;
	s->name = strdup(name);
	s->file = strdup(p->file);
	s->profile = strdup(CONFIG_DEFAULT_PROFILE);
	/* Counted first so config_free() sees whatever was allocated. */
	p->index = c->nsockets++;
	if (s->name == NULL || s->file == NULL || s->profile == NULL)
		return config_nomem(p);
	p->section = CONFIG_SECTION_SOCKET;
	return 0;
}

/* Start [profile "name"]; built-in names are reserved. */
static int
config_begin_profile(struct config_parser *p, const char *name)
{
	struct config *c = p->config;
	const struct config_profile *old;
	struct config_profile *pr;

	if (config_profile_is_builtin(name))
		return config_error(p, "profile \"%s\" is built in and cannot "
		    "be redefined", name);
	if ((old = config_find_profile(c, name)) != NULL)
		return config_error(p, "profile \"%s\" is already defined at "
		    "%s:%u", name, old->file, old->line);
	if (c->nprofiles == CONFIG_MAX_PROFILES)
		return config_error(p, "more than %d profiles",
		    CONFIG_MAX_PROFILES);
	pr = reallocarray(c->profiles, c->nprofiles + 1, sizeof(*pr));
	if (pr == NULL)
		return config_nomem(p);
	c->profiles = pr;
	pr = &c->profiles[c->nprofiles];
	memset(pr, 0, sizeof(*pr));
	pr->line = p->line;
	pr->name = strdup(name);
	pr->file = strdup(p->file);
	p->index = c->nprofiles++;
	if (pr->name == NULL || pr->file == NULL)
		return config_nomem(p);
	p->section = CONFIG_SECTION_PROFILE;
	return 0;
}

/* Parse a section header, [daemon] or [socket|profile "name"], given the
 * line without its comment and surrounding blanks. */
static int
config_parse_header(struct config_parser *p, char *s)
{
	size_t n = strlen(s), tlen;
	char *type = s + 1, *name = NULL, *q;
	int r;

	if (s[n - 1] != ']')
		return config_error(p, "section header without closing ']'");
	s[--n] = '\0';
	while (config_is_blank(*type))
		type++;
	for (n = strlen(type); n > 0 && config_is_blank(type[n - 1]); n--)
		type[n - 1] = '\0';
	tlen = strcspn(type, " \t\"");
	for (q = type + tlen; config_is_blank(*q); q++)
		;
	if (*q != '\0') {
		n = strlen(q);
		if (*q != '"' || n < 2 || q[n - 1] != '"')
			return config_error(p, "section name must be in double "
			    "quotes: [%.*s \"NAME\"]", (int)tlen, type);
		q[n - 1] = '\0';
		name = q + 1;
	}
	/* Only now: with no blank before the name this overwrites its quote. */
	type[tlen] = '\0';
	if ((r = config_end_section(p)) != 0)
		return r;
	memset(p->seen, 0, sizeof(p->seen));
	if (strcmp(type, "daemon") == 0) {
		if (name != NULL)
			return config_error(p, "[daemon] takes no name");
		p->section = CONFIG_SECTION_DAEMON;
		return 0;
	}
	if (strcmp(type, "socket") != 0 && strcmp(type, "profile") != 0)
		return config_error(p, "unknown section [%.64s] (daemon, socket, "
		    "profile)", type);
	if (name == NULL)
		return config_error(p, "[%s] needs a name: [%s \"NAME\"]", type,
		    type);
	if ((r = config_check_name(p, type, name)) != 0)
		return r;
	return strcmp(type, "socket") == 0 ? config_begin_socket(p, name) :
	    config_begin_profile(p, name);
}

/* Find key in a section's table. */
static const struct config_key *
config_find_key(const struct config_key *keys, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	}
	return NULL;
}

/* Parse "key = value" in the current section. */
static int
config_parse_pair(struct config_parser *p, char *s)
{
	static const char *const names[] = { "", "daemon", "socket", "profile" };
	const struct config_key *keys, *key;
	struct config_origin *o;
	char *eq = strchr(s, '='), *v;
	size_t n, nkeys, i;
	void *base;

	if (eq == NULL)
		return config_error(p, "missing '=' in \"%.64s\"", s);
	for (n = (size_t)(eq - s); n > 0 && config_is_blank(s[n - 1]); n--)
		;
	s[n] = '\0';
	if (n == 0)
		return config_error(p, "missing key before '='");
	for (v = eq + 1; config_is_blank(*v); v++)
		;
	if (*v == '\0')
		return config_error(p, "%s: missing value", s);
	switch (p->section) {
	case CONFIG_SECTION_DAEMON:
		keys = config_daemon_keys;
		nkeys = CONFIG_NKEYS(config_daemon_keys);
		base = p->config;
		break;
	case CONFIG_SECTION_SOCKET:
		keys = config_socket_keys;
		nkeys = CONFIG_NKEYS(config_socket_keys);
		base = &p->config->sockets[p->index];
		break;
	case CONFIG_SECTION_PROFILE:
		keys = config_profile_keys;
		nkeys = CONFIG_NKEYS(config_profile_keys);
		base = &p->config->profiles[p->index];
		break;
	default:
		return config_error(p, "\"%.64s\" is outside any section", s);
	}
	if ((key = config_find_key(keys, nkeys, s)) == NULL)
		return config_error(p, "unknown key \"%.64s\" in [%s]", s,
		    names[p->section]);
	i = (size_t)(key - keys);
	/* [daemon] may be split across files, so its keys are tracked in the
	 * config; socket and profile keys only within their one section. */
	if (p->section == CONFIG_SECTION_DAEMON) {
		o = &p->config->set[i];
		if (o->file != NULL)
			return config_error(p, "%s: already set at %s:%u",
			    key->name, o->file, o->line);
		if ((o->file = strdup(p->file)) == NULL)
			return config_nomem(p);
		o->line = p->line;
	} else {
		if (p->seen[i] != 0)
			return config_error(p, "%s: already set at line %u",
			    key->name, p->seen[i]);
		p->seen[i] = p->line;
	}
	return config_set(p, key, base, v);
}

/* Parse one line (NUL-terminated, newline removed). */
static int
config_parse_line(struct config_parser *p, char *s)
{
	size_t n;

	while (config_is_blank(*s))
		s++;
	if (*s == '\0' || *s == '#' || *s == ';')
		return 0;
	/* A comment may follow anything, after a blank; so a value cannot
	 * hold " #" or " ;", which none of ours needs. */
	for (char *c = s + 1; *c != '\0'; c++) {
		if ((*c == '#' || *c == ';') && config_is_blank(c[-1])) {
			*c = '\0';
			break;
		}
	}
	n = strlen(s);
	while (n > 0 && config_is_blank(s[n - 1]))
		s[--n] = '\0';
	if (*s == '[')
		return config_parse_header(p, s);
	return config_parse_pair(p, s);
}

/* Parse text as the file named name, adding to into; see config.h. */
int
config_parse_buffer(const char *name, const char *text, size_t len,
    struct config *into, char *err, size_t errlen)
{
	struct config_parser p = {
		.config = into, .file = name, .err = err, .errlen = errlen,
	};
	char line[CONFIG_LINE_MAX + 1];
	const char *nl;
	size_t off = 0, n, next;
	int r;

	if (len > CONFIG_FILE_MAX)
		return config_errorf(err, errlen, name, 0, "larger than %d bytes",
		    CONFIG_FILE_MAX);
	while (off < len) {
		p.line++;
		nl = memchr(text + off, '\n', len - off);
		n = nl != NULL ? (size_t)(nl - (text + off)) : len - off;
		next = off + n + (nl != NULL);
		if (n > 0 && text[off + n - 1] == '\r')
			n--;
		if (n > CONFIG_LINE_MAX)
			return config_error(&p, "line longer than %d bytes",
			    CONFIG_LINE_MAX);
		if (memchr(text + off, '\0', n) != NULL)
			return config_error(&p, "NUL byte in line");
		memcpy(line, text + off, n);
		line[n] = '\0';
		if ((r = config_parse_line(&p, line)) != 0)
			return r;
		off = next;
	}
	return config_end_section(&p);
}

/* Report a profile that inherits itself, directly or through others. */
static int
config_check_cycle(const struct config *c, size_t i, char *err, size_t errlen)
{
	const struct config_profile *pr = &c->profiles[i], *cur = pr;
	char chain[256];
	size_t used;
	int n;

	/* A chain longer than the number of profiles has looped; if it comes
	 * back to i, i is on the loop and is the one to blame. */
	for (size_t step = 0; step <= c->nprofiles; step++) {
		if (cur->inherit == NULL ||
		    (cur = config_find_profile(c, cur->inherit)) == NULL)
			return 0;
		if (cur == pr)
			break;
	}
	if (cur != pr)
		return 0;
	used = (size_t)snprintf(chain, sizeof(chain), "%s", pr->name);
	cur = pr;
	do {
		/* Cannot be NULL: the walk above went round this loop. */
		if ((cur = config_find_profile(c, cur->inherit)) == NULL)
			break;
		n = snprintf(chain + used, sizeof(chain) - used, " -> %s",
		    cur->name);
		if (n < 0 || (size_t)n >= sizeof(chain) - used)
			break;
		used += (size_t)n;
	} while (cur != pr);
	return config_errorf(err, errlen, pr->file, pr->inherit_line,
	    "profile \"%s\": inherit cycle %s", pr->name, chain);
}

/* Whether the socket path b takes a name socket a also binds: the same
 * path, or a's simulator control companion PATH.ctrl. */
static bool
config_paths_clash(const char *a, const char *b)
{
	size_t n = strlen(a);

	return strcmp(a, b) == 0 ||
	    (strncmp(a, b, n) == 0 && strcmp(b + n, ".ctrl") == 0);
}

/* Check one socket against those before it and the control socket. */
static int
config_check_socket(struct config *c, size_t i, char *err, size_t errlen)
{
	struct config_socket *s = &c->sockets[i];
	const struct config_socket *o;

	if (s->max_saved_contexts == CONFIG_UNSET)
		s->max_saved_contexts = c->max_saved_contexts;
	if (!config_profile_is_builtin(s->profile) &&
	    config_find_profile(c, s->profile) == NULL)
		return config_errorf(err, errlen, s->file,
		    s->profile_line != 0 ? s->profile_line : s->line,
		    "socket \"%s\": unknown profile \"%s\"", s->name,
		    s->profile);
	for (size_t j = 0; j < i; j++) {
		o = &c->sockets[j];
		if (config_paths_clash(o->path, s->path) ||
		    config_paths_clash(s->path, o->path))
			return config_errorf(err, errlen, s->file, s->line,
			    "socket \"%s\": path %s clashes with socket \"%s\" "
			    "at %s:%u", s->name, s->path, o->name, o->file,
			    o->line);
	}
	if (c->control_socket != NULL &&
	    (config_paths_clash(c->control_socket, s->path) ||
	        config_paths_clash(s->path, c->control_socket)))
		return config_errorf(err, errlen, s->file, s->line,
		    "socket \"%s\": path %s clashes with control-socket at "
		    "%s:%u", s->name, s->path,
		    c->set[CONFIG_KEY_CONTROL_SOCKET].file,
		    c->set[CONFIG_KEY_CONTROL_SOCKET].line);
	return 0;
}

/* Check what spans sections and files once all are read: profile names,
 * inherit cycles, socket paths; fills in [daemon] defaults of sockets. */
int
config_check(struct config *c, char *err, size_t errlen)
{
	const struct config_profile *pr;
	int r;

	for (size_t i = 0; i < c->nprofiles; i++) {
		pr = &c->profiles[i];
		if (pr->inherit != NULL && !config_profile_is_builtin(pr->inherit)
		    && config_find_profile(c, pr->inherit) == NULL)
			return config_errorf(err, errlen, pr->file,
			    pr->inherit_line, "profile \"%s\": inherit names "
			    "unknown profile \"%s\"", pr->name, pr->inherit);
	}
	for (size_t i = 0; i < c->nprofiles; i++) {
		if ((r = config_check_cycle(c, i, err, errlen)) != 0)
			return r;
	}
	for (size_t i = 0; i < c->nsockets; i++) {
		if ((r = config_check_socket(c, i, err, errlen)) != 0)
			return r;
	}
	return 0;
}

/* Read a whole regular file of at most CONFIG_FILE_MAX bytes. */
static int
config_read_file(const char *path, char **out, size_t *len, char *err,
    size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t got;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		r = -errno;
		config_errorf(err, errlen, path, 0, "%s", strerror(-r));
		return r;
	}
	if (fstat(fd, &st) != 0) {
		r = -errno;
		config_errorf(err, errlen, path, 0, "%s", strerror(-r));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = config_errorf(err, errlen, path, 0, "not a regular file");
		goto out;
	}
	if (st.st_size > CONFIG_FILE_MAX) {
		r = config_errorf(err, errlen, path, 0, "larger than %d bytes",
		    CONFIG_FILE_MAX);
		goto out;
	}
	/* One spare byte tells a file that grew since fstat() from one that
	 * is exactly as large as it said. */
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		r = -ENOMEM;
		config_errorf(err, errlen, path, 0, "out of memory");
		goto out;
	}
	while (n < (size_t)st.st_size + 1) {
		got = read(fd, buf + n, (size_t)st.st_size + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			config_errorf(err, errlen, path, 0, "%s", strerror(-r));
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > (size_t)st.st_size) {
		r = config_errorf(err, errlen, path, 0, "changed while read");
		goto out;
	}
	*out = buf;
	*len = n;
	buf = NULL;
	r = 0;
out:
	free(buf);
	close(fd);
	return r;
}

/* Read and parse one file into c. */
static int
config_load_file(const char *path, struct config *c, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	if ((r = config_read_file(path, &text, &len, err, errlen)) != 0)
		return r;
	r = config_parse_buffer(path, text, len, c, err, errlen);
	free(text);
	return r;
}

/* Order drop-ins by byte value, not by locale. */
static int
config_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* List conf.d's *.conf names (hidden files excluded), sorted. */
static int
config_list_dropins(const char *dir, char ***out, size_t *count, char *err,
    size_t errlen)
{
	struct config_list l = { NULL, 0, 0, sizeof(char *) };
	struct dirent *de;
	char **names;
	size_t n;
	DIR *d;
	int r = 0;

	*out = NULL;
	*count = 0;
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		r = -errno;
		config_errorf(err, errlen, dir, 0, "%s", strerror(-r));
		return r;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (de->d_name[0] == '.' || n <= 5 ||
		    strcmp(de->d_name + n - 5, ".conf") != 0)
			continue;
		if (l.n == CONFIG_MAX_DROPINS) {
			r = config_errorf(err, errlen, dir, 0, "more than %d "
			    "files", CONFIG_MAX_DROPINS);
			goto out;
		}
		if (config_list_grow(&l) != 0 ||
		    (((char **)l.items)[l.n] = strdup(de->d_name)) == NULL) {
			r = -ENOMEM;
			config_errorf(err, errlen, dir, 0, "out of memory");
			goto out;
		}
		l.n++;
	}
	if (errno != 0) {
		r = -errno;
		config_errorf(err, errlen, dir, 0, "%s", strerror(-r));
		goto out;
	}
	if (l.n > 0)
		qsort(l.items, l.n, sizeof(char *), config_cmp_names);
out:
	closedir(d);
	names = l.items;
	if (r != 0) {
		for (size_t i = 0; i < l.n; i++)
			free(names[i]);
		free(names);
		return r;
	}
	*out = names;
	*count = l.n;
	return 0;
}

/* Read path, then conf.d/ beside it, then check; see config.h. */
int
config_load(const char *path, struct config **out, char *err, size_t errlen)
{
	struct config *c;
	char dir[PATH_MAX], file[PATH_MAX];
	const char *slash;
	char **names = NULL;
	size_t nnames = 0;
	int r, n;

	*out = NULL;
	if ((c = config_new_defaults()) == NULL) {
		config_errorf(err, errlen, path, 0, "out of memory");
		return -ENOMEM;
	}
	if ((r = config_load_file(path, c, err, errlen)) != 0)
		goto out;
	slash = strrchr(path, '/');
	if (slash == NULL)
		n = snprintf(dir, sizeof(dir), "conf.d");
	else
		n = snprintf(dir, sizeof(dir), "%.*s/conf.d",
		    (int)(slash - path), path);
	if (n < 0 || (size_t)n >= sizeof(dir)) {
		r = config_errorf(err, errlen, path, 0, "path too long");
		goto out;
	}
	if ((r = config_list_dropins(dir, &names, &nnames, err, errlen)) != 0)
		goto out;
	for (size_t i = 0; i < nnames; i++) {
		n = snprintf(file, sizeof(file), "%s/%s", dir, names[i]);
		if (n < 0 || (size_t)n >= sizeof(file)) {
			r = config_errorf(err, errlen, dir, 0, "path too long");
			goto out;
		}
		if ((r = config_load_file(file, c, err, errlen)) != 0)
			goto out;
	}
	if ((r = config_check(c, err, errlen)) != 0)
		goto out;
	*out = c;
	c = NULL;
out:
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	config_free(c);
	return r;
}

/* A configuration with every default and no sockets or profiles. */
struct config *
config_new_defaults(void)
{
	struct config *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	if ((c->tcti = strdup(CONFIG_DEFAULT_TCTI)) == NULL) {
		free(c);
		return NULL;
	}
	c->reserve_object_slots = CONFIG_DEFAULT_RESERVE_SLOTS;
	c->reserve_session_slots = CONFIG_DEFAULT_RESERVE_SLOTS;
	c->log_level = LOG_LEVEL_INFO;
	c->uid = (uid_t)-1;
	c->gid = (gid_t)-1;
	c->partial_timeout_ms = CONFIG_DEFAULT_PARTIAL_TIMEOUT_MS;
	c->shutdown_grace_ms = CONFIG_DEFAULT_SHUTDOWN_GRACE_MS;
	c->max_saved_contexts = CONFIG_DEFAULT_MAX_SAVED_CONTEXTS;
	c->audit_failure = CONFIG_AUDIT_CONTINUE;
	c->schedule = CONFIG_SCHEDULE_RESIDENT_FIRST;
	return c;
}

/* Drop every socket (command-line --socket replaces the file's). */
void
config_clear_sockets(struct config *c)
{
	for (size_t i = 0; i < c->nsockets; i++) {
		struct config_socket *s = &c->sockets[i];

		free(s->name);
		free(s->path);
		free(s->profile);
		free(s->allow_uids);
		free(s->file);
	}
	free(c->sockets);
	c->sockets = NULL;
	c->nsockets = 0;
}

/* Free a configuration and everything it owns; NULL is fine. */
void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	config_clear_sockets(c);
	for (size_t i = 0; i < c->nprofiles; i++) {
		struct config_profile *pr = &c->profiles[i];

		free(pr->name);
		free(pr->inherit);
		free(pr->allow);
		free(pr->deny);
		free(pr->file);
	}
	for (size_t i = 0; i < CONFIG_DAEMON_NKEYS; i++)
		free(c->set[i].file);
	free(c->profiles);
	free(c->tcti);
	free(c->audit_log);
	free(c->user);
	free(c->group);
	free(c->control_socket);
	free(c->metrics_listen);
	free(c);
}

/* The socket called name, or NULL. */
const struct config_socket *
config_find_socket(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->nsockets; i++) {
		if (strcmp(c->sockets[i].name, name) == 0)
			return &c->sockets[i];
	}
	return NULL;
}

/* The [profile] called name, or NULL (also for built-in names). */
const struct config_profile *
config_find_profile(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->nprofiles; i++) {
		if (strcmp(c->profiles[i].name, name) == 0)
			return &c->profiles[i];
	}
	return NULL;
}

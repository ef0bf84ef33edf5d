/* SPDX-License-Identifier: BSD-2-Clause */
/* Kubernetes pod identity from /proc/PID/cgroup: the pod UID that kubelet
 * wrote into a peer process's cgroup path. The text is treated as hostile:
 * every length is checked, and anything but an exact, known shape gives no
 * identity rather than a guess. */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A piece of the text: not NUL-terminated, never read past n. */
struct cgroup_span {
	const char *p;
	size_t n;
};

/* What one line's path says. */
enum cgroup_verdict {
	CGROUP_NONE, /* outside Kubernetes: says nothing */
	CGROUP_POD,  /* a pod's cgroup; the UID was filled in */
	CGROUP_BAD,  /* malformed, or Kubernetes-like in a shape we do not
	                know: the whole file then gives no identity */
};

/* The levels of kubelet's tree: kubepods, a QoS class, a pod. */
enum cgroup_kind { CGROUP_OTHER, CGROUP_ROOT, CGROUP_QOS, CGROUP_POD_DIR };
enum cgroup_qos { CGROUP_GUARANTEED, CGROUP_BURSTABLE, CGROUP_BESTEFFORT };

/* One path component, as kubelet would have named it. */
struct cgroup_level {
	enum cgroup_kind kind;
	enum cgroup_qos qos;
	bool systemd;        /* systemd driver: kubepods-...-pod<u_u_u>.slice */
	bool kubelet_prefix; /* systemd names under cgroup root /kubelet */
	struct cgroup_span uid; /* CGROUP_POD_DIR: the raw UID characters */
};

/* Whether s is exactly the string lit. */
static bool
cgroup_span_eq(struct cgroup_span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* If s starts with lit, step past it and say so. */
static bool
cgroup_span_eat(struct cgroup_span *s, const char *lit)
{
	size_t n = strlen(lit);

	if (s->n < n || memcmp(s->p, lit, n) != 0)
		return false;
	s->p += n;
	s->n -= n;
	return true;
}

/* Whether lit occurs anywhere in s. */
static bool
cgroup_span_contains(struct cgroup_span s, const char *lit)
{
	size_t n = strlen(lit);

	for (size_t i = 0; n <= s.n && i <= s.n - n; i++)
		if (memcmp(s.p + i, lit, n) == 0)
			return true;
	return false;
}

/* The next '/'-separated component of *rest, which it then no longer
 * holds; false when none is left. */
static bool
cgroup_next(struct cgroup_span *rest, struct cgroup_span *seg)
{
	const char *slash;

	if (rest->n == 0)
		return false;
	slash = memchr(rest->p, '/', rest->n);
	seg->p = rest->p;
	seg->n = slash != NULL ? (size_t)(slash - rest->p) : rest->n;
	rest->p += seg->n;
	rest->n -= seg->n;
	if (slash != NULL) {
		rest->p++;
		rest->n--;
	}
	return true;
}

/* Copy a pod UID in canonical form if raw is exactly 36 lowercase hex
 * digits with sep at 8, 13, 18 and 23 (kubelet writes UIDs this way, with
 * '_' for '-' in systemd unit names); false for anything else. */
static bool
cgroup_uid_parse(struct cgroup_span raw, char sep, char *out)
{
	if (raw.n != CGROUP_UID_LEN)
		return false;
	for (size_t i = 0; i < CGROUP_UID_LEN; i++) {
		char c = raw.p[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != sep)
				return false;
			out[i] = '-';
		} else if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
			out[i] = c;
		} else {
			return false;
		}
	}
	out[CGROUP_UID_LEN] = '\0';
	return true;
}

/* A systemd-driver name, s already past "kubepods": ".slice", a QoS slice
 * "-burstable.slice", or a pod slice "-[qos-]pod<uid>.slice", which the
 * runtime may follow with ":<prefix>:<id>" when it nests cgroupfs-style
 * under its own service (containerd.service/...slice:cri-containerd:id). */
static void
cgroup_classify_systemd(struct cgroup_span s, struct cgroup_level *lv)
{
	if (cgroup_span_eq(s, ".slice")) {
		lv->kind = CGROUP_ROOT;
		return;
	}
	if (!cgroup_span_eat(&s, "-"))
		return;
	if (cgroup_span_eq(s, "burstable.slice")) {
		lv->kind = CGROUP_QOS;
		lv->qos = CGROUP_BURSTABLE;
		return;
	}
	if (cgroup_span_eq(s, "besteffort.slice")) {
		lv->kind = CGROUP_QOS;
		lv->qos = CGROUP_BESTEFFORT;
		return;
	}
	if (cgroup_span_eat(&s, "burstable-"))
		lv->qos = CGROUP_BURSTABLE;
	else if (cgroup_span_eat(&s, "besteffort-"))
		lv->qos = CGROUP_BESTEFFORT;
	if (!cgroup_span_eat(&s, "pod"))
		return;
	lv->kind = CGROUP_POD_DIR;
	/* Anything but exactly <36>.slice[:...] leaves an empty UID, which
	 * fails validation: a pod-like name we cannot read is never skipped. */
	if (s.n >= CGROUP_UID_LEN + 6 &&
	    memcmp(s.p + CGROUP_UID_LEN, ".slice", 6) == 0 &&
	    (s.n == CGROUP_UID_LEN + 6 || s.p[CGROUP_UID_LEN + 6] == ':')) {
		lv->uid.p = s.p;
		lv->uid.n = CGROUP_UID_LEN;
	}
}

/* Which level of kubelet's tree a path component names, if any. */
static struct cgroup_level
cgroup_classify(struct cgroup_span s)
{
	struct cgroup_level lv = { .kind = CGROUP_OTHER };

	/* cgroupfs driver: kubepods/[burstable|besteffort/]pod<uid>. */
	if (cgroup_span_eq(s, "kubepods")) {
		lv.kind = CGROUP_ROOT;
	} else if (cgroup_span_eq(s, "burstable")) {
		lv.kind = CGROUP_QOS;
		lv.qos = CGROUP_BURSTABLE;
	} else if (cgroup_span_eq(s, "besteffort")) {
		lv.kind = CGROUP_QOS;
		lv.qos = CGROUP_BESTEFFORT;
	} else if (cgroup_span_eat(&s, "pod")) {
		lv.kind = CGROUP_POD_DIR;
		lv.uid = s;
	} else {
		/* systemd driver: each slice repeats its parent's name. */
		lv.systemd = true;
		lv.kubelet_prefix = cgroup_span_eat(&s, "kubelet-");
		if (cgroup_span_eat(&s, "kubepods"))
			cgroup_classify_systemd(s, &lv);
	}
	return lv;
}

/* Walk from lv down to the pod, each component being the one kubelet
 * creates below the previous (same driver, same QoS class); components
 * below the pod belong to the runtime and the pod itself, and are never
 * read, so a container named "pod..." cannot pass for a pod. */
static enum cgroup_verdict
cgroup_walk(struct cgroup_span *rest, struct cgroup_level lv, char *uid)
{
	struct cgroup_span seg;
	struct cgroup_level next;

	while (lv.kind != CGROUP_POD_DIR) {
		if (!cgroup_next(rest, &seg))
			return CGROUP_BAD;
		next = cgroup_classify(seg);
		if (next.systemd != lv.systemd ||
		    next.kubelet_prefix != lv.kubelet_prefix)
			return CGROUP_BAD;
		if (lv.kind == CGROUP_ROOT && next.kind != CGROUP_QOS &&
		    !(next.kind == CGROUP_POD_DIR &&
		    next.qos == CGROUP_GUARANTEED))
			return CGROUP_BAD;
		if (lv.kind == CGROUP_QOS && (next.kind != CGROUP_POD_DIR ||
		    (next.systemd && next.qos != lv.qos)))
			return CGROUP_BAD;
		lv = next;
	}
	return cgroup_uid_parse(lv.uid, lv.systemd ? '_' : '-', uid) ?
	    CGROUP_POD : CGROUP_BAD;
}

/* What a cgroup path (starting with '/') says about the pod. kubelet's
 * tree must start the path, or follow one of the prefixes kind nodes and
 * nested runtimes add, or follow "../" components (the reader is in a
 * cgroup namespace below kubepods); elsewhere, anyone with a delegated
 * cgroup (a systemd user session) could name a directory after a pod. */
static enum cgroup_verdict
cgroup_path_verdict(struct cgroup_span path, char *uid)
{
	struct cgroup_span rest = { path.p + 1, path.n - 1 }, seg, peek, svc;
	struct cgroup_level lv;
	bool relative = false, in_service = false;

	if (!cgroup_next(&rest, &seg))
		return CGROUP_NONE;
	if (cgroup_span_eq(seg, "..")) {
		relative = true;
		while (cgroup_span_eq(seg, ".."))
			if (!cgroup_next(&rest, &seg))
				return CGROUP_NONE;
	} else if (cgroup_span_eq(seg, "kubelet.slice") ||
	    cgroup_span_eq(seg, "kubelet")) {
		if (!cgroup_next(&rest, &seg))
			return CGROUP_NONE;
	} else if (cgroup_span_eq(seg, "system.slice")) {
		peek = rest;
		if (cgroup_next(&peek, &svc) &&
		    cgroup_span_eq(svc, "containerd.service")) {
			in_service = true;
			rest = peek;
			if (!cgroup_next(&rest, &seg))
				return CGROUP_NONE;
		}
	}
	lv = cgroup_classify(seg);
	if (lv.kind == CGROUP_ROOT ||
	    (lv.kind != CGROUP_OTHER && relative) ||
	    (lv.kind != CGROUP_OTHER && in_service && lv.systemd))
		return cgroup_walk(&rest, lv, uid);
	return cgroup_span_contains(path, "kubepods") ? CGROUP_BAD : CGROUP_NONE;
}

/* One line, "hierarchy-ID:controller-list:cgroup-path" (cgroup v1; v2 is
 * "0::path"), without its newline. */
static enum cgroup_verdict
cgroup_line_verdict(const char *line, size_t n, char *uid)
{
	const char *c1, *c2;
	struct cgroup_span path;
	size_t idlen;

	c1 = memchr(line, ':', n);
	if (c1 == NULL)
		return CGROUP_BAD;
	idlen = (size_t)(c1 - line);
	if (idlen == 0 || idlen > 10)
		return CGROUP_BAD;
	for (size_t i = 0; i < idlen; i++)
		if (line[i] < '0' || line[i] > '9')
			return CGROUP_BAD;
	/* The controller list holds no ':'; the path may. */
	c2 = memchr(c1 + 1, ':', n - idlen - 1);
	if (c2 == NULL)
		return CGROUP_BAD;
	path.p = c2 + 1;
	path.n = n - (size_t)(path.p - line);
	if (path.n == 0 || path.p[0] != '/')
		return CGROUP_BAD;
	return cgroup_path_verdict(path, uid);
}

/* The pod UID (canonical, NUL-terminated) from the text of a
 * /proc/PID/cgroup file: 0, -ENOENT when it names no pod, names two, is
 * malformed or was cut short, or -ENOSPC when uidlen < CGROUP_UID_LEN + 1. */
int
cgroup_pod_uid(const char *text, size_t len, char *uid, size_t uidlen)
{
	char found[CGROUP_UID_LEN + 1], line_uid[CGROUP_UID_LEN + 1];
	bool have = false;
	size_t off = 0;

	if (uidlen < CGROUP_UID_LEN + 1)
		return -ENOSPC;
	uid[0] = '\0';
	if (len == 0 || memchr(text, '\0', len) != NULL)
		return -ENOENT;
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n;

		/* The kernel ends every line; without that end the file was
		 * cut, and a cut v1 file may hide a line naming another pod. */
		if (nl == NULL)
			return -ENOENT;
		n = (size_t)(nl - (text + off));
		switch (cgroup_line_verdict(text + off, n, line_uid)) {
		case CGROUP_BAD:
			return -ENOENT;
		case CGROUP_NONE:
			break;
		case CGROUP_POD:
			/* v1 has one line per hierarchy: all must agree. */
			if (have && strcmp(found, line_uid) != 0)
				return -ENOENT;
			memcpy(found, line_uid, sizeof(found));
			have = true;
			break;
		}
		off += n + 1;
	}
	if (!have)
		return -ENOENT;
	memcpy(uid, found, sizeof(found));
	return 0;
}

/* The same for a file, read whole up to CGROUP_FILE_MAX bytes; -EFBIG if
 * it is longer, -errno if it cannot be read. */
int
cgroup_pod_uid_of_file(const char *path, char *uid, size_t uidlen)
{
	char *buf;
	size_t len = 0;
	int fd, ret;

	if (uidlen < CGROUP_UID_LEN + 1)
		return -ENOSPC;
	uid[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	/* One byte more than we accept tells a full file from a longer one. */
	buf = malloc(CGROUP_FILE_MAX + 1);
	if (buf == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, CGROUP_FILE_MAX + 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > CGROUP_FILE_MAX) {
			ret = -EFBIG;
			goto out;
		}
	}
	ret = cgroup_pod_uid(buf, len, uid, uidlen);
out:
	free(buf);
	close(fd);
	return ret;
}

/* The pod of a process, from /proc/PID/cgroup. The caller must make sure
 * pid still names its peer (the pid may have been reused since
 * SO_PEERCRED) before trusting the answer. */
int
cgroup_pod_uid_of_pid(pid_t pid, char *uid, size_t uidlen)
{
	char path[32];

	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%ld/cgroup", (long)pid);
	return cgroup_pod_uid_of_file(path, uid, uidlen);
}

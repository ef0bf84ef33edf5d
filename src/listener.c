/* SPDX-License-Identifier: BSD-2-Clause */
/* Listening unix sockets: safe creation, publication and accept.
 *
 * A socket is bound under a temporary name, given its mode, and renamed
 * into place only once the daemon can serve: clients and scripts that wait
 * for the path never reach a daemon that is still starting, and there is no
 * window in which the path exists with the wrong mode.
 *
 * Clients never get the daemon's last file descriptors (conn_fd_ceiling):
 * the TPM backend (tcti-swtpm connects once per command), /proc/PID/cgroup,
 * the audit log, reloads and the control socket need some. A listener that
 * hands out the last descriptor below the ceiling pauses, and so does one
 * whose accept() fails with EMFILE; once a second it looks whether
 * descriptors were freed, and accepts again then. Meanwhile new clients
 * wait in the listen backlog. */
#include "listener.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "acceptguard.h"
#include "config.h"
#include "conn.h"
#include "daemon.h"
#include "log.h"
#include "policy.h"
#include "stats.h"

#define LISTENER_BACKLOG 128

struct listener {
	TAILQ_ENTRY(listener) entry;
	struct daemon *d;
	char *name;                 /* the [socket] section */
	mode_t mode;
	uid_t uid;                  /* owner=, else the daemon's run user */
	gid_t gid;
	bool has_owner;             /* owner= configured */
	bool keep;                  /* still configured (listener_sync) */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char tmp_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct evconnlistener *evl;
	struct event *ev_retry;     /* paused: look for free descriptors */
	int published;
};

/* Fill a sockaddr_un; -ENAMETOOLONG if the path does not fit. */
static int
listener_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	memcpy(sun->sun_path, path, strlen(path));
	return 0;
}

/* Refuse a path that a live daemon serves or that is not a socket; a
 * socket nobody listens on is stale and will be replaced. */
static int
listener_check_existing(const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, r;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_error("%s exists and is not a socket; refusing to replace it",
		    path);
		return -EEXIST;
	}
	if (listener_addr(path, &sun) != 0)
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (r == 0) {
		log_error("%s is served by a running daemon; stop it first", path);
		return -EADDRINUSE;
	}
	log_info("replacing stale socket %s", path);
	return 0;
}

/* Whether a new client may have a descriptor: the kernel hands out the
 * lowest free one, so whether the one a probe gets is below the ceiling
 * (a unix socket: a call the sandbox allows). */
static bool
listener_fd_room(const struct listener *l)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return false;
	close(fd);
	return fd < conn_fd_ceiling(l->d);
}

/* Stop accepting for now: look again in a second (as tmux does after
 * EMFILE) instead of spinning on a listener that stays readable. */
static void
listener_pause(struct listener *l)
{
	struct timeval pause = { 1, 0 };

	evconnlistener_disable(l->evl);
	evtimer_add(l->ev_retry, &pause);
}

/* Accept callback: hand the new fd to the connection layer; pause when it
 * was the last one clients may have. */
static void
listener_accept_cb(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *arg)
{
	struct listener *l = arg;
	int ceiling = conn_fd_ceiling(l->d);

	conn_accept(l->d, l->name, fd);
	if (fd >= ceiling - 1) {
		log_warnx("socket \"%s\": clients hold every file descriptor "
		    "below %d, the rest is kept for the daemon; not accepting "
		    "until some are free", l->name, ceiling);
		listener_pause(l);
	}
}

/* A second has passed: accept again if descriptors were freed. */
static void
listener_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;
	struct timeval pause = { 1, 0 };

	if (!listener_fd_room(l)) {
		evtimer_add(l->ev_retry, &pause);
		return;
	}
	evconnlistener_enable(l->evl);
	log_info("socket \"%s\": accepting again", l->name);
}

/* accept() failed: out of descriptors (or memory) pauses. */
static void
listener_error_cb(struct evconnlistener *evl, void *arg)
{
	struct listener *l = arg;
	int err = EVUTIL_SOCKET_ERROR();

	log_warn("accept on %s", l->path);
	if (accept_error_is_exhaustion(err))
		listener_pause(l);
}

/* Make the parent directory if it is missing (e.g. /run/tpmproxy),
 * owned by the user the daemon becomes: that user removes the socket at
 * exit and adds sockets on reload. */
static int
listener_make_parent(const struct daemon *d, const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	if (strlen(path) >= sizeof(dir))
		return -ENAMETOOLONG;
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) != 0)
		return errno == EEXIST ? 0 : -errno;
	if (daemon_switches_user(d) &&
	    chown(dir, d->run_uid, d->run_gid) != 0)
		return -errno;
	return 0;
}

/* A listening unix socket at path (an existing file there is replaced),
 * its owner and mode final before it listens: the umask keeps it from
 * ever being wider than mode, even for a moment. Returns the fd (non-
 * blocking, close-on-exec) or -errno. Also for the control and metrics
 * sockets. */
int
listener_unix_socket(const char *path, mode_t mode, bool has_owner, uid_t uid,
    gid_t gid, int backlog)
{
	struct sockaddr_un sun;
	mode_t old_umask;
	int fd, r;

	if (listener_addr(path, &sun) != 0)
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	old_umask = umask(0777 & ~mode);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old_umask);
	if (r != 0 || (has_owner && chown(path, uid, gid) != 0) ||
	    chmod(path, mode) != 0 || listen(fd, backlog) != 0) {
		r = -errno;
		close(fd);
		unlink(path);
		return r;
	}
	return fd;
}

/* Bind and listen under a temporary name next to path. */
static int
listener_bind(struct listener *l)
{
	int fd;

	fd = listener_unix_socket(l->tmp_path, l->mode, true, l->uid, l->gid,
	    LISTENER_BACKLOG);
	if (fd < 0)
		return fd;
	l->evl = evconnlistener_new(l->d->base, listener_accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (l->evl == NULL) {
		close(fd);
		unlink(l->tmp_path);
		return -ENOMEM;
	}
	evconnlistener_set_error_cb(l->evl, listener_error_cb);
	return 0;
}

/* Create a listener for a [socket], not yet visible under its name. */
static int
listener_create(struct daemon *d, const struct config_socket *s)
{
	const char *path = s->path;
	struct listener *l;
	int r;

	if (path[0] != '/') {
		log_error("socket \"%s\": path %s is not absolute", s->name, path);
		return -EINVAL;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL || (l->name = strdup(s->name)) == NULL) {
		free(l);
		return -ENOMEM;
	}
	l->d = d;
	l->mode = s->mode;
	/* No owner configured: the user the daemon becomes, as its other
	 * files are (tpmproxy.conf(5)). */
	l->uid = s->has_owner ? s->uid : d->run_uid;
	l->gid = s->has_owner ? s->gid : d->run_gid;
	l->has_owner = s->has_owner;
	l->keep = true;
	if (strlen(path) >= sizeof(l->path) ||
	    (size_t)snprintf(l->tmp_path, sizeof(l->tmp_path), "%s.%ld.tmp",
	        path, (long)getpid()) >= sizeof(l->tmp_path)) {
		log_error("socket path %s is too long (at most %zu bytes)",
		    path, sizeof(l->path) - 16);
		free(l->name);
		free(l);
		return -ENAMETOOLONG;
	}
	strcpy(l->path, path);
	l->ev_retry = evtimer_new(d->base, listener_retry_cb, l);
	r = l->ev_retry == NULL ? -ENOMEM : listener_check_existing(path);
	if (r == 0)
		r = listener_make_parent(d, path);
	if (r == 0)
		r = listener_bind(l);
	if (r != 0) {
		if (r != -EADDRINUSE && r != -EEXIST)
			log_error("cannot listen on %s: %s", path, strerror(-r));
		if (l->ev_retry != NULL)
			event_free(l->ev_retry);
		free(l->name);
		free(l);
		return r;
	}
	TAILQ_INSERT_TAIL(&d->listeners, l, entry);
	return 0;
}

/* Move the socket to its real name: from now on clients can connect. */
static int
listener_publish(struct listener *l)
{
	if (rename(l->tmp_path, l->path) != 0) {
		log_warn("rename %s to %s", l->tmp_path, l->path);
		return -errno;
	}
	l->published = 1;
	log_info("socket \"%s\" listening on %s (mode %04o)", l->name, l->path,
	    (unsigned)l->mode);
	return 0;
}


/* Stop accepting and remove the socket file. */
static void
listener_free(struct listener *l)
{
	if (l == NULL)
		return;
	if (l->evl != NULL)
		evconnlistener_free(l->evl);
	unlink(l->published ? l->path : l->tmp_path);
	event_free(l->ev_retry);
	free(l->name);
	free(l);
}

/* Whether a listener still serves a [socket] as configured. */
static bool
listener_matches(const struct listener *l, const struct config_socket *s)
{
	return strcmp(l->path, s->path) == 0 && l->mode == s->mode &&
	    l->has_owner == s->has_owner &&
	    (!s->has_owner || (l->uid == s->uid && l->gid == s->gid));
}

/* Make the listeners match the configuration in force: keep unchanged
 * sockets and their clients, close removed or changed ones (and their
 * connections), create and publish new ones. Returns -1 if a socket could
 * not be created (start-up stops then; a reload goes on without it). */
int
listener_sync(struct daemon *d)
{
	const struct config *c = policy_config(d->policy);
	struct listener *l, *next;
	int status = 0;

	TAILQ_FOREACH(l, &d->listeners, entry)
		l->keep = false;
	for (size_t i = 0; i < c->nsockets; i++) {
		const struct config_socket *s = &c->sockets[i];

		TAILQ_FOREACH(l, &d->listeners, entry) {
			if (strcmp(l->name, s->name) == 0)
				break;
		}
		if (l != NULL && listener_matches(l, s)) {
			l->keep = true;
			continue;
		}
		if (l != NULL) {
			TAILQ_REMOVE(&d->listeners, l, entry);
			conn_close_socket(d, l->name);
			listener_free(l);
		}
		if (listener_create(d, s) != 0)
			status = -1;
		/* Counters show from the start, not from the first client. */
		(void)stats_socket(d->stats, s->name);
	}
	for (l = TAILQ_FIRST(&d->listeners); l != NULL; l = next) {
		next = TAILQ_NEXT(l, entry);
		if (!l->keep) {
			log_info("socket \"%s\" removed", l->name);
			TAILQ_REMOVE(&d->listeners, l, entry);
			conn_close_socket(d, l->name);
			listener_free(l);
		} else if (!l->published && listener_publish(l) != 0) {
			status = -1;
		}
	}
	return status;
}

/* Stop accepting on every socket and remove the socket files. */
void
listener_close_all(struct daemon *d)
{
	struct listener *l;

	while ((l = TAILQ_FIRST(&d->listeners)) != NULL) {
		TAILQ_REMOVE(&d->listeners, l, entry);
		listener_free(l);
	}
}

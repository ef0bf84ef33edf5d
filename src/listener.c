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
 * wait in the listen backlog.
 *
 * Every socket PATH comes with PATH.ctrl, same owner and mode: the
 * simulator control channel that tpm2-tss's mssim: and swtpm: TCTIs open
 * next to their data socket (ctrlconn.c). */
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
#include "ctrlconn.h"
#include "daemon.h"
#include "log.h"
#include "policy.h"
#include "stats.h"

#define LISTENER_BACKLOG 128
#define LISTENER_CTRL_SUFFIX ".ctrl"
#define LISTENER_SUN_PATH sizeof(((struct sockaddr_un *)0)->sun_path)

struct listener;

/* One listening path of a socket. */
struct listener_endpoint {
	struct listener *l;
	bool ctrl;                  /* PATH.ctrl, the control channel */
	char path[LISTENER_SUN_PATH];
	char tmp_path[LISTENER_SUN_PATH];
	struct evconnlistener *evl;
	bool published;
};

struct listener {
	TAILQ_ENTRY(listener) entry;
	struct daemon *d;
	char *name;                 /* the [socket] section */
	mode_t mode;
	uid_t uid;                  /* owner=, else the daemon's run user */
	gid_t gid;
	bool has_owner;             /* owner= configured */
	bool keep;                  /* still configured (listener_sync) */
	struct listener_endpoint ep[2];   /* PATH, then PATH.ctrl */
	struct event *ev_retry;     /* paused: look for free descriptors */
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

	for (size_t i = 0; i < 2; i++)
		evconnlistener_disable(l->ep[i].evl);
	evtimer_add(l->ev_retry, &pause);
}

/* Accept callback: hand the new fd to the connection layer; pause when it
 * was the last one clients may have. */
static void
listener_accept_cb(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *arg)
{
	struct listener_endpoint *ep = arg;
	struct listener *l = ep->l;
	int ceiling = conn_fd_ceiling(l->d);

	if (ep->ctrl)
		ctrlconn_accept(l->d, l->name, fd);
	else
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
	for (size_t i = 0; i < 2; i++)
		evconnlistener_enable(l->ep[i].evl);
	log_info("socket \"%s\": accepting again", l->name);
}

/* accept() failed: out of descriptors (or memory) pauses. */
static void
listener_error_cb(struct evconnlistener *evl, void *arg)
{
	struct listener_endpoint *ep = arg;
	int err = EVUTIL_SOCKET_ERROR();

	log_warn("accept on %s", ep->path);
	if (accept_error_is_exhaustion(err))
		listener_pause(ep->l);
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

/* Bind and listen under a temporary name next to the endpoint's path. */
static int
listener_bind(struct listener *l, struct listener_endpoint *ep)
{
	int fd;

	fd = listener_unix_socket(ep->tmp_path, l->mode, true, l->uid, l->gid,
	    LISTENER_BACKLOG);
	if (fd < 0)
		return fd;
	ep->evl = evconnlistener_new(l->d->base, listener_accept_cb, ep,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (ep->evl == NULL) {
		close(fd);
		unlink(ep->tmp_path);
		return -ENOMEM;
	}
	evconnlistener_set_error_cb(ep->evl, listener_error_cb);
	return 0;
}

/* Set an endpoint's path (path and suffix) and its temporary name. */
static int
listener_endpoint_init(struct listener *l, struct listener_endpoint *ep,
    const char *path, const char *suffix)
{
	ep->l = l;
	ep->ctrl = suffix[0] != '\0';
	if ((size_t)snprintf(ep->path, sizeof(ep->path), "%s%s", path,
	    suffix) >= sizeof(ep->path) ||
	    (size_t)snprintf(ep->tmp_path, sizeof(ep->tmp_path), "%s.%ld.tmp",
	    ep->path, (long)getpid()) >= sizeof(ep->tmp_path)) {
		log_error("socket path %s is too long (at most %zu bytes, "
		    "as %s%s must fit too)", path, LISTENER_SUN_PATH - 24,
		    path, LISTENER_CTRL_SUFFIX);
		return -ENAMETOOLONG;
	}
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
	if (listener_endpoint_init(l, &l->ep[0], path, "") != 0 ||
	    listener_endpoint_init(l, &l->ep[1], path,
	    LISTENER_CTRL_SUFFIX) != 0) {
		free(l->name);
		free(l);
		return -ENAMETOOLONG;
	}
	l->ev_retry = evtimer_new(d->base, listener_retry_cb, l);
	r = l->ev_retry == NULL ? -ENOMEM : listener_check_existing(path);
	if (r == 0)
		r = listener_check_existing(l->ep[1].path);
	if (r == 0)
		r = listener_make_parent(d, path);
	if (r == 0)
		r = listener_bind(l, &l->ep[0]);
	if (r == 0 && (r = listener_bind(l, &l->ep[1])) != 0) {
		evconnlistener_free(l->ep[0].evl);
		unlink(l->ep[0].tmp_path);
	}
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
	/* The control channel first: whoever sees PATH finds PATH.ctrl. */
	for (int i = 1; i >= 0; i--) {
		struct listener_endpoint *ep = &l->ep[i];

		if (rename(ep->tmp_path, ep->path) != 0) {
			log_warn("rename %s to %s", ep->tmp_path, ep->path);
			return -errno;
		}
		ep->published = true;
	}
	log_info("socket \"%s\" listening on %s and %s (mode %04o)", l->name,
	    l->ep[0].path, l->ep[1].path, (unsigned)l->mode);
	return 0;
}


/* Stop accepting and remove the socket file. */
static void
listener_free(struct listener *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < 2; i++) {
		struct listener_endpoint *ep = &l->ep[i];

		if (ep->evl != NULL)
			evconnlistener_free(ep->evl);
		unlink(ep->published ? ep->path : ep->tmp_path);
	}
	event_free(l->ev_retry);
	free(l->name);
	free(l);
}

/* Whether a listener still serves a [socket] as configured. */
static bool
listener_matches(const struct listener *l, const struct config_socket *s)
{
	return strcmp(l->ep[0].path, s->path) == 0 && l->mode == s->mode &&
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
			ctrlconn_close_socket(d, l->name);
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
			ctrlconn_close_socket(d, l->name);
			listener_free(l);
		} else if (!l->ep[0].published && listener_publish(l) != 0) {
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

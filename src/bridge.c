/* SPDX-License-Identifier: BSD-2-Clause */
/* tpmproxy-bridge's listeners: each accepted TCP connection on the data
 * port gets a new connection to the daemon's socket, and each on the
 * control port one to SOCKET.ctrl, relayed byte for byte (bridge-relay.c).
 * Nothing is parsed and nothing is decided here: the daemon frames,
 * identifies (this process is its peer) and enforces. A daemon that is
 * not there (restarting) costs the client its connection, not the bridge
 * its life. */
#include "bridge.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/listener.h>

#include "acceptguard.h"
#include "bridge-relay.h"
#include "log.h"

#define BRIDGE_BACKLOG 64

enum { BRIDGE_DATA, BRIDGE_CONTROL, BRIDGE_NLISTENERS };

/* A warning that may repeat as fast as clients connect: logged once a
 * second at most, with the number left out since. */
struct bridge_notice {
	time_t last;                 /* CLOCK_MONOTONIC seconds; 0: never */
	unsigned long suppressed;
};

struct bridge_listener {
	struct bridge *b;
	const char *role;            /* "data" or "control" */
	char where[BRIDGE_ADDR_TEXT_MAX];
	struct sockaddr_un target;   /* the daemon's socket or its .ctrl */
	struct evconnlistener *evl;
	struct accept_guard *guard;
	struct bridge_notice unreachable;
};

struct bridge_conn {
	LIST_ENTRY(bridge_conn) entry;
	struct bridge *b;
	struct bridge_relay *relay;
	unsigned long long id;
	const char *role;
	char peer[BRIDGE_ADDR_TEXT_MAX];
};

struct bridge {
	struct event_base *base;
	struct bridge_listener listeners[BRIDGE_NLISTENERS];
	LIST_HEAD(, bridge_conn) conns;
	unsigned nconns;
	unsigned max_connections;
	unsigned long long next_id;
	struct bridge_notice over_limit;
};

/* Whether a repeated warning is due now; if so, more says how many were
 * left out since the last one ("" when none). */
static bool
bridge_notice_due(struct bridge_notice *n, char *more, size_t len)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (n->last != 0 && now.tv_sec == n->last) {
		n->suppressed++;
		return false;
	}
	more[0] = '\0';
	if (n->suppressed > 0)
		snprintf(more, len, " (and %lu more since the last line)",
		    n->suppressed);
	n->suppressed = 0;
	n->last = now.tv_sec > 0 ? now.tv_sec : 1;
	return true;
}

/* A relay has ended: log it and forget the connection. */
static void
bridge_conn_done_cb(struct bridge_relay *r, int err, void *arg)
{
	struct bridge_conn *c = arg;
	uint64_t up, down;

	bridge_relay_counts(r, &up, &down);
	log_debug("id=%llu %s %s closed%s%s (%llu bytes to the daemon, "
	    "%llu back)", c->id, c->role, c->peer, err ? ": " : "",
	    err ? strerror(err) : "", (unsigned long long)up,
	    (unsigned long long)down);
	LIST_REMOVE(c, entry);
	c->b->nconns--;
	bridge_relay_free(r);
	free(c);
}

/* A new non-blocking connection to l's unix socket; -errno on failure
 * (ENOENT or ECONNREFUSED: no daemon; EAGAIN: its backlog is full). */
static int
bridge_connect_daemon(const struct bridge_listener *l)
{
	int fd, err;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&l->target,
	    sizeof(l->target)) != 0) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

/* Relay a new TCP connection; closed at once over the limit or when the
 * daemon's socket cannot be reached. */
static void
bridge_accept_cb(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct bridge_listener *l = arg;
	struct bridge *b = l->b;
	struct bridge_conn *c;
	char more[64];
	char peer[BRIDGE_ADDR_TEXT_MAX];
	int one = 1, server, r;

	(void)evl;
	(void)salen;
	bridge_addr_format(sa, peer, sizeof(peer));
	if (b->nconns >= b->max_connections) {
		close(fd);
		if (bridge_notice_due(&b->over_limit, more, sizeof(more)))
			log_warnx("%s %s: closed, %u connections open "
			    "(--max-connections)%s", l->role, peer, b->nconns,
			    more);
		return;
	}
	server = bridge_connect_daemon(l);
	if (server < 0) {
		close(fd);
		if (bridge_notice_due(&l->unreachable, more, sizeof(more)))
			log_warnx("%s %s: closed, cannot connect to %s: %s%s",
			    l->role, peer, l->target.sun_path,
			    strerror(-server), more);
		return;
	}
	/* Commands and responses are small and answered one by one:
	 * Nagle's delay would only add latency. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		close(server);
		log_warnx("%s %s: closed, out of memory", l->role, peer);
		return;
	}
	c->b = b;
	c->id = ++b->next_id;
	c->role = l->role;
	memcpy(c->peer, peer, sizeof(peer));
	r = bridge_relay_new(b->base, fd, server, BRIDGE_RELAY_BOUND,
	    bridge_conn_done_cb, c, &c->relay);
	if (r != 0) {
		log_warnx("%s %s: closed, %s", l->role, peer, strerror(-r));
		free(c);
		return;
	}
	LIST_INSERT_HEAD(&b->conns, c, entry);
	b->nconns++;
	log_debug("id=%llu %s %s -> %s", c->id, l->role, peer,
	    l->target.sun_path);
}

/* A listening socket on ss; -1 with a message in err. */
static int
bridge_listen_fd(const struct sockaddr_storage *ss, socklen_t len,
    const char *what, char *err, size_t errlen)
{
	int fd, one = 1;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0) {
		snprintf(err, errlen, "%s: socket: %s", what, strerror(errno));
		return -1;
	}
	/* Only a socket in TIME_WAIT may share the port, never a second
	 * listener (Linux refuses that without SO_REUSEPORT). */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, len) != 0 ||
	    listen(fd, BRIDGE_BACKLOG) != 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", what,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Listen for role on port, relaying to path. */
static int
bridge_listener_init(struct bridge *b, struct bridge_listener *l,
    const char *role, const struct bridge_addr *a, uint16_t port,
    const char *path, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	l->b = b;
	l->role = role;
	bridge_addr_with_port(a, port, &ss, &len);
	bridge_addr_format((struct sockaddr *)&ss, l->where, sizeof(l->where));
	l->target.sun_family = AF_UNIX;
	snprintf(l->target.sun_path, sizeof(l->target.sun_path), "%s", path);
	fd = bridge_listen_fd(&ss, len, l->where, err, errlen);
	if (fd < 0)
		return -1;
	l->evl = evconnlistener_new(b->base, bridge_accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (l->evl == NULL) {
		close(fd);
		snprintf(err, errlen, "%s: cannot watch the listener", l->where);
		return -1;
	}
	if (accept_guard_new(b->base, l->evl, l->where, &l->guard) != 0) {
		snprintf(err, errlen, "%s: out of memory", l->where);
		return -1;
	}
	return 0;
}

/* Listen on the data and control ports; -1 with a message in err (a port
 * in use, most likely). */
int
bridge_new(struct event_base *base, const struct bridge_options *o,
    struct bridge **out, char *err, size_t errlen)
{
	struct bridge *b = calloc(1, sizeof(*b));

	if (b == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	b->base = base;
	b->max_connections = o->max_connections;
	LIST_INIT(&b->conns);
	if (bridge_listener_init(b, &b->listeners[BRIDGE_DATA], "data",
	    &o->listen, o->listen.port, o->socket_path, err, errlen) != 0 ||
	    bridge_listener_init(b, &b->listeners[BRIDGE_CONTROL], "control",
	    &o->listen, (uint16_t)(o->listen.port + 1), o->ctrl_path, err,
	    errlen) != 0) {
		bridge_free(b);
		return -1;
	}
	/* The pid is what the daemon's log and audit records name. */
	log_info("pid %ld listening on %s (data, to %s) and %s (control, to "
	    "%s)", (long)getpid(), b->listeners[BRIDGE_DATA].where,
	    o->socket_path, b->listeners[BRIDGE_CONTROL].where, o->ctrl_path);
	*out = b;
	return 0;
}

/* Close every connection and both listeners. */
void
bridge_free(struct bridge *b)
{
	struct bridge_conn *c;
	int i;

	if (b == NULL)
		return;
	while ((c = LIST_FIRST(&b->conns)) != NULL) {
		LIST_REMOVE(c, entry);
		bridge_relay_free(c->relay);
		free(c);
	}
	for (i = 0; i < BRIDGE_NLISTENERS; i++) {
		accept_guard_free(b->listeners[i].guard);
		if (b->listeners[i].evl != NULL)
			evconnlistener_free(b->listeners[i].evl);
	}
	free(b);
}

/* Relayed connections open now. */
unsigned
bridge_connections(const struct bridge *b)
{
	return b->nconns;
}

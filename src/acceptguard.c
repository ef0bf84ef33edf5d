/* SPDX-License-Identifier: BSD-2-Clause */
/* An accept() that fails with EMFILE leaves the connection in the
 * backlog, so the listener stays readable and the loop would spin,
 * logging each failure (libevent's default). The guard of the control
 * and metrics listeners pauses that listener for a second instead and
 * logs once a minute at most; the client listeners (listener.c) do the
 * same with their descriptor ceiling.
 *
 * libevent hands the error callback the listener's own argument, which
 * for evhttp's listener is the evhttp: the guards are found by listener
 * in a list of their own, used by the loop thread only. */
#include "acceptguard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

#include <sys/queue.h>

#define ACCEPT_GUARD_LOG_EVERY_S 60

static LIST_HEAD(, accept_guard) accept_guards =
    LIST_HEAD_INITIALIZER(accept_guards);

struct accept_guard {
	LIST_ENTRY(accept_guard) entry;
	struct evconnlistener *evl;
	struct event *ev_resume;
	char what[64];
	time_t logged;        /* CLOCK_MONOTONIC seconds; 0: never */
	unsigned long pauses; /* since the last log line */
};

/* Whether a failed accept() ran out of descriptors or memory: the
 * pending connection stays in the backlog, so retrying at once spins. */
bool
accept_error_is_exhaustion(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS ||
	    err == ENOMEM;
}

/* A second has passed: accept again. */
static void
accept_guard_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct accept_guard *g = arg;

	(void)fd;
	(void)what;
	evconnlistener_enable(g->evl);
}

static void
accept_guard_error_cb(struct evconnlistener *evl, void *arg)
{
	struct accept_guard *g;
	int err = EVUTIL_SOCKET_ERROR();
	struct timeval second = { 1, 0 };
	struct timespec now;

	(void)arg;
	LIST_FOREACH(g, &accept_guards, entry) {
		if (g->evl == evl)
			break;
	}
	if (g == NULL)
		return;
	if (!accept_error_is_exhaustion(err)) {
		log_warnx("%s: accept: %s", g->what, strerror(err));
		return;
	}
	evconnlistener_disable(evl);
	evtimer_add(g->ev_resume, &second);
	g->pauses++;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (g->logged == 0 || now.tv_sec - g->logged >= ACCEPT_GUARD_LOG_EVERY_S) {
		log_warnx("%s: accept: %s; pausing for a second (%lu pauses)",
		    g->what, strerror(err), g->pauses);
		g->logged = now.tv_sec > 0 ? now.tv_sec : 1;
		g->pauses = 0;
	}
}

/* Guard evl (which stays the caller's); what names it in log lines. */
int
accept_guard_new(struct event_base *base, struct evconnlistener *evl,
    const char *what, struct accept_guard **out)
{
	struct accept_guard *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return -ENOMEM;
	g->evl = evl;
	snprintf(g->what, sizeof(g->what), "%s", what);
	g->ev_resume = evtimer_new(base, accept_guard_resume_cb, g);
	if (g->ev_resume == NULL) {
		free(g);
		return -ENOMEM;
	}
	evconnlistener_set_error_cb(evl, accept_guard_error_cb);
	LIST_INSERT_HEAD(&accept_guards, g, entry);
	*out = g;
	return 0;
}

void
accept_guard_free(struct accept_guard *g)
{
	if (g == NULL)
		return;
	LIST_REMOVE(g, entry);
	event_free(g->ev_resume);
	free(g);
}

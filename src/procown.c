/* SPDX-License-Identifier: BSD-2-Clause */
/* TPM resources owned by a client process rather than by a connection.
 *
 * tcti-swtpm opens a new connection for every command, so a key loaded by
 * one command must outlive its connection. Such a client first talks to
 * the socket's control channel (SOCK.ctrl): that marks its process (pid
 * and start time, so a recycled pid is someone else). A raw-framed data
 * connection of a marked process is then owned by the process; what the
 * process holds is flushed once it has exited and its last connection
 * has closed. Exits are learnt from a pidfd (Linux 5.3) while few are
 * open, else from a sweep that looks at a bounded number of processes a
 * second: a pod that starts many processes cannot take the daemon's
 * descriptors (nor can a pidfd take one of those kept for the daemon). Everything here runs on the loop thread. */
#include "procown.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "conn.h"
#include "daemon.h"
#include "identity.h"
#include "log.h"
#include "procstat.h"
#include "worker.h"

#define PROCOWN_BUCKETS 256
#define PROCOWN_MAX 16384          /* processes remembered at once */
#define PROCOWN_MAX_PIDFDS 256     /* beyond, exits are swept for */
#define PROCOWN_SWEEP_BATCH 256    /* processes looked at per sweep */

struct procown {
	LIST_ENTRY(procown) bucket_entry;
	TAILQ_ENTRY(procown) sweep_entry;
	struct daemon *d;
	char *socket_name;
	char *pod;                 /* set by the first data connection */
	pid_t pid;
	unsigned long long start;  /* clock ticks after boot */
	uint64_t owner;            /* 0 until a data connection attached */
	unsigned conns;            /* its open data connections */
	bool gone;                 /* the process has exited */
	bool swept;                /* on the sweep list */
	int pidfd;                 /* -1 without one */
	struct event *ev_exit;
};

struct procown_table {
	LIST_HEAD(, procown) buckets[PROCOWN_BUCKETS];
	TAILQ_HEAD(, procown) sweep;
	size_t count;
	unsigned pidfds;
	struct event *ev_sweep;
	bool full_logged;
};

static void procown_sweep_cb(evutil_socket_t fd, short what, void *arg);

/* Create the table (d->procs). */
int
procown_table_new(struct daemon *d)
{
	struct procown_table *t;

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < PROCOWN_BUCKETS; i++)
		LIST_INIT(&t->buckets[i]);
	TAILQ_INIT(&t->sweep);
	t->ev_sweep = evtimer_new(d->base, procown_sweep_cb, d);
	if (t->ev_sweep == NULL) {
		free(t);
		return -ENOMEM;
	}
	d->procs = t;
	return 0;
}

/* Forget one process (nothing is flushed: see procown_release()). */
static void
procown_forget(struct procown_table *t, struct procown *p)
{
	LIST_REMOVE(p, bucket_entry);
	if (p->swept)
		TAILQ_REMOVE(&t->sweep, p, sweep_entry);
	if (p->ev_exit != NULL)
		event_free(p->ev_exit);
	if (p->pidfd >= 0) {
		close(p->pidfd);
		t->pidfds--;
	}
	t->count--;
	free(p->socket_name);
	free(p->pod);
	free(p);
}

/* At exit, after every connection closed. */
void
procown_table_free(struct daemon *d)
{
	struct procown_table *t = d->procs;
	struct procown *p;

	if (t == NULL)
		return;
	for (size_t i = 0; i < PROCOWN_BUCKETS; i++) {
		while ((p = LIST_FIRST(&t->buckets[i])) != NULL)
			procown_forget(t, p);
	}
	event_free(t->ev_sweep);
	free(t);
	d->procs = NULL;
}

/* The live entry for pid on a socket, if any. */
static struct procown *
procown_find(struct procown_table *t, const char *socket_name, pid_t pid)
{
	struct procown *p;

	LIST_FOREACH(p, &t->buckets[(unsigned)pid % PROCOWN_BUCKETS],
	    bucket_entry) {
		if (p->pid == pid && !p->gone &&
		    strcmp(p->socket_name, socket_name) == 0)
			return p;
	}
	return NULL;
}

/* Queue the flush of what the process left in the TPM, in its group's
 * turn (behind any command of it still queued). */
static void
procown_flush(struct daemon *d, const struct procown *p)
{
	struct client_group *g;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	g = identity_group_get(d->identities, p->socket_name, p->pod, &now);
	if (g != NULL &&
	    worker_submit_owner_gone(d->worker, p->owner, g->id) == 0)
		g->jobs++;
	else
		log_error("out of memory: cannot flush for pid %ld",
		    (long)p->pid);
	identity_group_put(d->identities, g, &now);
}

/* The process has gone and so have its connections: flush, forget. */
static void
procown_release(struct daemon *d, struct procown *p)
{
	if (p->owner != 0) {
		log_info("process %ld on socket %s exited; flushing what it "
		    "held", (long)p->pid, p->socket_name);
		procown_flush(d, p);
	}
	procown_forget(d->procs, p);
}

/* The process has exited (or its pid was taken by another). */
static void
procown_gone(struct daemon *d, struct procown *p)
{
	struct procown_table *t = d->procs;

	p->gone = true;
	if (p->swept) {
		TAILQ_REMOVE(&t->sweep, p, sweep_entry);
		p->swept = false;
	}
	if (p->conns == 0)
		procown_release(d, p);
}

/* Whether the process an entry names still runs. */
static bool
procown_alive(const struct procown *p)
{
	unsigned long long start;

	return procstat_start_time(p->pid, &start) == 0 && start == p->start;
}

/* A pidfd became readable: its process exited. */
static void
procown_exit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct procown *p = arg;

	procown_gone(p->d, p);
}

/* Look at the next batch of processes without a pidfd; the looked-at go
 * to the back of the list. */
static void
procown_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct procown_table *t = d->procs;
	struct timeval second = { 1, 0 };
	struct procown *p;

	for (unsigned n = 0; n < PROCOWN_SWEEP_BATCH &&
	    (p = TAILQ_FIRST(&t->sweep)) != NULL; n++) {
		if (!procown_alive(p)) {
			procown_gone(d, p);
			continue;
		}
		TAILQ_REMOVE(&t->sweep, p, sweep_entry);
		TAILQ_INSERT_TAIL(&t->sweep, p, sweep_entry);
	}
	if (!TAILQ_EMPTY(&t->sweep))
		evtimer_add(t->ev_sweep, &second);
}

/* Put a process on the sweep list. */
static void
procown_sweep_add(struct procown_table *t, struct procown *p)
{
	struct timeval second = { 1, 0 };

	TAILQ_INSERT_TAIL(&t->sweep, p, sweep_entry);
	p->swept = true;
	if (!evtimer_pending(t->ev_sweep, NULL))
		evtimer_add(t->ev_sweep, &second);
}

/* Watch a process that owns resources: a pidfd if the kernel has them
 * and few are open, else the sweep. False if it has already gone. */
static bool
procown_watch(struct daemon *d, struct procown *p)
{
	struct procown_table *t = d->procs;

#ifdef SYS_pidfd_open
	if (t->pidfds < PROCOWN_MAX_PIDFDS)
		p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	if (p->pidfd >= conn_fd_ceiling(d)) {
		/* Clients hold every descriptor below: keep the daemon's. */
		close(p->pidfd);
		p->pidfd = -1;
	}
	if (p->pidfd >= 0) {
		/* Opened after the start time was read: a pid recycled in
		 * between is seen here. */
		if (procown_alive(p))
			p->ev_exit = event_new(d->base, p->pidfd, EV_READ,
			    procown_exit_cb, p);
		if (p->ev_exit != NULL && event_add(p->ev_exit, NULL) == 0) {
			t->pidfds++;
			return true;
		}
		if (p->ev_exit != NULL)
			event_free(p->ev_exit);
		p->ev_exit = NULL;
		close(p->pidfd);
		p->pidfd = -1;
	}
#endif
	if (!procown_alive(p))
		return false;
	procown_sweep_add(t, p);
	return true;
}

/* A peer of socket_name's control channel: remember its process, so that
 * its data connections are owned by it. */
void
procown_mark(struct daemon *d, const char *socket_name, pid_t pid)
{
	struct procown_table *t = d->procs;
	unsigned long long start;
	struct procown *p;

	if (pid <= 0 || procstat_start_time(pid, &start) != 0)
		return;
	p = procown_find(t, socket_name, pid);
	if (p != NULL && p->start == start)
		return;
	if (p != NULL)
		procown_gone(d, p);     /* its pid now names another */
	if (t->count >= PROCOWN_MAX) {
		if (!t->full_logged)
			log_warnx("%u processes use simulator control "
			    "channels; further ones own TPM resources per "
			    "connection", PROCOWN_MAX);
		t->full_logged = true;
		return;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL || (p->socket_name = strdup(socket_name)) == NULL) {
		free(p);
		return;
	}
	p->d = d;
	p->pid = pid;
	p->start = start;
	p->pidfd = -1;
	LIST_INSERT_HEAD(&t->buckets[(unsigned)pid % PROCOWN_BUCKETS], p,
	    bucket_entry);
	t->count++;
	/* Until it owns something, the sweep alone forgets it. */
	procown_sweep_add(t, p);
}

/* A raw data connection of pid sends its first command: its process
 * owner if the process used the control channel, with a reference the
 * connection gives back with procown_detach(); NULL otherwise. */
struct procown *
procown_attach(struct daemon *d, const char *socket_name, pid_t pid,
    const char *pod)
{
	struct procown *p = procown_find(d->procs, socket_name, pid);

	if (p == NULL)
		return NULL;
	if (!procown_alive(p)) {
		procown_gone(d, p);
		return NULL;
	}
	if (p->owner == 0) {
		if (pod != NULL && (p->pod = strdup(pod)) == NULL)
			return NULL;
		if (p->swept) {
			TAILQ_REMOVE(&d->procs->sweep, p, sweep_entry);
			p->swept = false;
		}
		if (!procown_watch(d, p)) {
			procown_gone(d, p);
			return NULL;
		}
		p->owner = ++d->next_conn_id;
		log_debug("process %ld on socket %s owns its connections' "
		    "TPM resources (owner %llu)", (long)pid, socket_name,
		    (unsigned long long)p->owner);
	}
	p->conns++;
	return p;
}

/* The owner id the resource manager knows the process by. */
uint64_t
procown_owner(const struct procown *p)
{
	return p->owner;
}

/* A data connection of the process closed. */
void
procown_detach(struct daemon *d, struct procown *p)
{
	if (p->conns > 0)
		p->conns--;
	if (p->gone && p->conns == 0)
		procown_release(d, p);
}

/* Processes remembered (for tpmproxyctl status). */
size_t
procown_count(const struct daemon *d)
{
	return d->procs != NULL ? d->procs->count : 0;
}

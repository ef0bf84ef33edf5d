/* SPDX-License-Identifier: BSD-2-Clause */
/* Client connections: framing, one command in flight, responses.
 *
 * A connection reads until its input holds one whole command, hands a copy
 * to the TPM thread and stops reading (like /dev/tpmrm0, one command in
 * flight); the response re-enables reading, so pipelined commands are
 * answered in order and a client that never reads cannot make us buffer
 * more than one response. Broken framing closes this connection only. */
#include "conn.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "daemon.h"
#include "frame.h"
#include "identity.h"
#include "log.h"
#include "worker.h"

#define CONN_BUCKETS 256

struct conn {
	uint64_t id;
	struct daemon *d;
	char *socket_path;
	struct bufferevent *bev;
	struct event *ev_partial;   /* a started frame must complete in time */
	struct ucred peer;
	uint64_t identity;
	bool in_flight;
	bool closing;               /* shutting down: close once written */
	uint64_t commands;
	LIST_ENTRY(conn) bucket_entry;
	TAILQ_ENTRY(conn) all_entry;
};

struct conn_table {
	LIST_HEAD(, conn) buckets[CONN_BUCKETS];
	TAILQ_HEAD(, conn) all;
	size_t count;
};

static void conn_process(struct conn *c);

/* Create the table the loop uses to match responses to connections. */
int
conn_table_new(struct daemon *d)
{
	struct conn_table *t;

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < CONN_BUCKETS; i++)
		LIST_INIT(&t->buckets[i]);
	TAILQ_INIT(&t->all);
	d->conns = t;
	return 0;
}

/* Free the (empty) table. */
void
conn_table_free(struct daemon *d)
{
	free(d->conns);
	d->conns = NULL;
}

/* Find a live connection by id; NULL if it has gone. */
static struct conn *
conn_find(struct daemon *d, uint64_t id)
{
	struct conn *c;

	LIST_FOREACH(c, &d->conns->buckets[id % CONN_BUCKETS], bucket_entry) {
		if (c->id == id)
			return c;
	}
	return NULL;
}

/* Close a connection; what it left in the TPM is flushed by a job queued
 * behind any command it still has in flight. */
static void
conn_free(struct conn *c)
{
	struct daemon *d = c->d;
	struct job *gone;

	log_info("disconnect id=%llu socket=%s pid=%ld commands=%llu",
	    (unsigned long long)c->id, c->socket_path, (long)c->peer.pid,
	    (unsigned long long)c->commands);
	if (c->commands > 0 || c->in_flight) {
		/* Same group as its commands: queued behind the last one. */
		gone = job_new(JOB_OWNER_GONE, c->id, NULL, 0, 0);
		if (gone != NULL) {
			gone->client.identity = c->identity;
			gone->client.group = c->identity;
			gone->group = c->identity;
			if (worker_submit(d->worker, gone) != 0) {
				job_free(gone);
				gone = NULL;
			}
		}
		if (gone == NULL)
			log_error("out of memory: cannot flush for id=%llu",
			    (unsigned long long)c->id);
	}
	LIST_REMOVE(c, bucket_entry);
	TAILQ_REMOVE(&d->conns->all, c, all_entry);
	d->conns->count--;
	event_free(c->ev_partial);
	bufferevent_free(c->bev);
	free(c->socket_path);
	free(c);
	if (d->stopping && d->conns->count == 0)
		event_base_loopexit(d->base, NULL);
}

/* Close after a framing violation, saying why. */
static void
conn_drop(struct conn *c, const char *why)
{
	log_warnx("closing id=%llu socket=%s pid=%ld: %s",
	    (unsigned long long)c->id, c->socket_path, (long)c->peer.pid, why);
	conn_free(c);
}

/* A frame was started but not completed in time. */
static void
conn_partial_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_drop(arg, "incomplete command (partial-read timeout)");
}

/* Hand one whole command to the TPM thread. */
static int
conn_submit(struct conn *c, struct evbuffer *in, size_t size)
{
	struct job *job;
	uint8_t *bytes;

	bytes = evbuffer_pullup(in, (ev_ssize_t)size);
	if (bytes == NULL)
		return -ENOMEM;
	job = job_new(JOB_COMMAND, c->id, bytes, size, c->d->max_response_size);
	if (job == NULL)
		return -ENOMEM;
	job->client.identity = c->identity;
	job->client.group = c->identity;
	job->group = c->identity;
	if (worker_submit(c->d->worker, job) != 0) {
		job_free(job);
		return -ENOMEM;
	}
	evbuffer_drain(in, size);
	c->in_flight = true;
	bufferevent_disable(c->bev, EV_READ);
	return 0;
}

/* Take as many whole commands from the input as the one-in-flight rule
 * allows; close the connection on broken framing. */
static void
conn_process(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	uint8_t head[FRAME_HEADER_SIZE];
	struct frame_header hdr;
	size_t avail;

	if (c->in_flight || c->closing)
		return;
	avail = evbuffer_get_length(in);
	if (avail == 0) {
		evtimer_del(c->ev_partial);
		return;
	}
	if (avail >= FRAME_HEADER_SIZE)
		evbuffer_copyout(in, head, sizeof(head));
	switch (frame_check(head, avail, c->d->max_command_size, &hdr)) {
	case FRAME_TOO_SMALL:
		conn_drop(c, "command size below 10 bytes");
		return;
	case FRAME_TOO_LARGE:
		conn_drop(c, "command larger than the TPM's maximum");
		return;
	case FRAME_INCOMPLETE:
		if (!evtimer_pending(c->ev_partial, NULL))
			evtimer_add(c->ev_partial, &c->d->opts.partial_timeout);
		return;
	case FRAME_READY:
		break;
	}
	evtimer_del(c->ev_partial);
	if (conn_submit(c, in, hdr.size) != 0)
		conn_drop(c, "out of memory");
}

/* Input arrived. */
static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	conn_process(arg);
}

/* Output drained: a closing connection can go now. */
static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->closing && !c->in_flight)
		conn_free(c);
}

/* EOF or a socket error. */
static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	if (what & BEV_EVENT_ERROR)
		log_debug("id=%llu: socket error: %s", (unsigned long long)c->id,
		    strerror(EVUTIL_SOCKET_ERROR()));
	conn_free(c);
}

/* A new client: record who it is and start reading. */
void
conn_accept(struct daemon *d, const char *socket_path, int fd)
{
	struct conn *c;
	socklen_t len;

	if (d->stopping) {
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->socket_path = strdup(socket_path)) == NULL)
		goto fail;
	c->id = ++d->next_conn_id;
	c->d = d;
	len = sizeof(c->peer);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->peer, &len) != 0) {
		log_warn("SO_PEERCRED");
		c->peer.pid = -1;
		c->peer.uid = (uid_t)-1;
		c->peer.gid = (gid_t)-1;
	}
	c->identity = identity_intern(d->identities, socket_path, c->peer.uid,
	    c->peer.gid);
	if (c->identity == 0)
		goto fail;
	c->bev = bufferevent_socket_new(d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->ev_partial = evtimer_new(d->base, conn_partial_cb, c);
	if (c->bev == NULL || c->ev_partial == NULL)
		goto fail;
	/* Never buffer more than one maximal command per client. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, d->max_command_size);
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_enable(c->bev, EV_READ);
	LIST_INSERT_HEAD(&d->conns->buckets[c->id % CONN_BUCKETS], c,
	    bucket_entry);
	TAILQ_INSERT_TAIL(&d->conns->all, c, all_entry);
	d->conns->count++;
	log_info("connect id=%llu socket=%s uid=%ld gid=%ld pid=%ld",
	    (unsigned long long)c->id, socket_path, (long)c->peer.uid,
	    (long)c->peer.gid, (long)c->peer.pid);
	return;
fail:
	log_error("out of memory accepting a client on %s", socket_path);
	if (c != NULL) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		else
			close(fd);
		if (c->ev_partial != NULL)
			event_free(c->ev_partial);
		free(c->socket_path);
		free(c);
	} else {
		close(fd);
	}
}

/* The TPM thread finished a job: deliver the response, if anyone waits. */
void
conn_job_done(struct job *job, void *arg)
{
	struct daemon *d = arg;
	struct conn *c;

	if (job->type != JOB_COMMAND ||
	    (c = conn_find(d, job->client.owner)) == NULL) {
		job_free(job);
		return;
	}
	c->in_flight = false;
	c->commands++;
	if (bufferevent_write(c->bev, job->rsp, job->rsp_len) != 0) {
		job_free(job);
		conn_drop(c, "cannot queue the response");
		return;
	}
	job_free(job);
	if (c->closing)
		return;   /* conn_write_cb closes once the response is out */
	bufferevent_enable(c->bev, EV_READ);
	conn_process(c);
}

/* SIGTERM: close idle connections now, the others once their command's
 * response has been written. */
void
conn_shutdown_all(struct daemon *d)
{
	struct conn *c, *next;

	for (c = TAILQ_FIRST(&d->conns->all); c != NULL; c = next) {
		next = TAILQ_NEXT(c, all_entry);
		if (c->in_flight ||
		    evbuffer_get_length(bufferevent_get_output(c->bev)) > 0) {
			c->closing = true;
			bufferevent_disable(c->bev, EV_READ);
		} else {
			conn_free(c);
		}
	}
}

/* Close every connection at once (shutdown grace period over). */
void
conn_close_all(struct daemon *d)
{
	struct conn *c;

	while ((c = TAILQ_FIRST(&d->conns->all)) != NULL)
		conn_free(c);
}

/* Connections currently open. */
size_t
conn_count(const struct daemon *d)
{
	return d->conns->count;
}

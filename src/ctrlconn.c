/* SPDX-License-Identifier: BSD-2-Clause */
/* Connections on a socket's control channel, SOCK.ctrl.
 *
 * tpm2-tss's mssim: and swtpm: TCTIs open PATH.ctrl next to PATH and send
 * simulator platform or swtpm control commands there (power on, NV on,
 * set locality 0). They are answered from memory (simctrl.c); none ever
 * reaches the TPM, which is the host's, not the pod's. The channel admits
 * whom its socket admits (allow-uids), and its peer's process is noted so
 * that tcti-swtpm's one-connection-per-command data connections are owned
 * by the process (procown.c). A command must arrive whole within the
 * socket's partial-timeout, and its answer must be read within it too
 * (the next command is read only once the answer is out, so a peer that
 * never reads cannot make us buffer); an idle channel is closed after its
 * idle-timeout like a data connection. */
#include "ctrlconn.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "audit.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "policy.h"
#include "procown.h"
#include "simctrl.h"

struct ctrlconn {
	TAILQ_ENTRY(ctrlconn) entry;
	struct daemon *d;
	uint64_t id;
	char *socket_name;
	struct bufferevent *bev;
	struct event *ev_timeout;   /* partial command, or idle */
	struct ucred peer;
	struct simctrl proto;
	bool closing;               /* close once the answer is written */
};

struct ctrlconn_table {
	TAILQ_HEAD(, ctrlconn) all;
	size_t count;
};

/* Create the table of control connections (d->ctrlconns). */
int
ctrlconn_table_new(struct daemon *d)
{
	struct ctrlconn_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -ENOMEM;
	TAILQ_INIT(&t->all);
	d->ctrlconns = t;
	return 0;
}

/* Free the (empty) table. */
void
ctrlconn_table_free(struct daemon *d)
{
	free(d->ctrlconns);
	d->ctrlconns = NULL;
}

/* Audit an event of this control connection. */
static void
ctrlconn_audit(const struct ctrlconn *cc, const char *event,
    const char *detail)
{
	struct audit_record r;

	if (cc->d->audit == NULL)
		return;
	audit_record_init(&r, event, cc->socket_name, NULL, &cc->peer, cc->id);
	r.detail = detail;
	audit_record(cc->d->audit, &r);
}

/* Close and free a control connection. */
static void
ctrlconn_free(struct ctrlconn *cc)
{
	struct daemon *d = cc->d;

	TAILQ_REMOVE(&d->ctrlconns->all, cc, entry);
	d->ctrlconns->count--;
	if (cc->ev_timeout != NULL)
		event_free(cc->ev_timeout);
	if (cc->bev != NULL)
		bufferevent_free(cc->bev);
	free(cc->socket_name);
	free(cc);
}

/* Close, saying why in the log. */
static void
ctrlconn_drop(struct ctrlconn *cc, const char *why)
{
	log_warnx("closing control id=%llu socket=%s pid=%ld: %s",
	    (unsigned long long)cc->id, cc->socket_name, (long)cc->peer.pid,
	    why);
	ctrlconn_free(cc);
}

/* The partial- or idle-timeout ran out. */
static void
ctrlconn_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctrlconn *cc = arg;

	if (evbuffer_get_length(bufferevent_get_output(cc->bev)) > 0)
		ctrlconn_drop(cc, "answer not read (partial-timeout)");
	else if (evbuffer_get_length(bufferevent_get_input(cc->bev)) > 0)
		ctrlconn_drop(cc, "incomplete command (partial-read timeout)");
	else
		ctrlconn_drop(cc, "idle timeout");
}

/* Start the timer: partial-timeout while a command is incomplete, the
 * socket's idle-timeout (if any) while nothing is pending. */
static void
ctrlconn_arm(struct ctrlconn *cc, bool partial)
{
	const struct config_socket *s = policy_socket(cc->d->policy,
	    cc->socket_name);
	unsigned ms = 0;
	struct timeval tv;

	evtimer_del(cc->ev_timeout);
	if (partial)
		ms = s != NULL && s->partial_timeout_ms != 0 ?
		    s->partial_timeout_ms :
		    policy_config(cc->d->policy)->partial_timeout_ms;
	else if (s != NULL)
		ms = s->idle_timeout_ms;
	if (ms != 0) {
		tv = daemon_ms(ms);
		evtimer_add(cc->ev_timeout, &tv);
	}
}

/* Note a command that was refused. */
static void
ctrlconn_refused(struct ctrlconn *cc, const struct simctrl_step *st)
{
	char detail[128];

	snprintf(detail, sizeof(detail), "%s control %s (0x%08lx): %s",
	    simctrl_dialect_name(cc->proto.dialect), st->name,
	    (unsigned long)st->code, st->why != NULL ? st->why : "refused");
	log_warnx("control id=%llu socket=%s pid=%ld: %s",
	    (unsigned long long)cc->id, cc->socket_name, (long)cc->peer.pid,
	    detail);
	ctrlconn_audit(cc, "denied", detail);
}

/* Answer the command at the head of the input, if it is whole; one at a
 * time: the next is read once this answer is out (ctrlconn_write_cb). */
static void
ctrlconn_read_cb(struct bufferevent *bev, void *arg)
{
	struct ctrlconn *cc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct simctrl_step st;
	enum simctrl_result r;
	size_t len;
	uint8_t *bytes;

	while (!cc->closing && evbuffer_get_length(bufferevent_get_output(bev))
	    == 0 && (len = evbuffer_get_length(in)) > 0) {
		if ((bytes = evbuffer_pullup(in, -1)) == NULL) {
			ctrlconn_drop(cc, "out of memory");
			return;
		}
		r = simctrl_step(&cc->proto, bytes, len, &st);
		if (r == SIMCTRL_NEED_MORE) {
			ctrlconn_arm(cc, true);
			return;
		}
		if (st.refused)
			ctrlconn_refused(cc, &st);
		else
			log_debug("control id=%llu socket=%s: %s %s answered "
			    "without the TPM", (unsigned long long)cc->id,
			    cc->socket_name,
			    simctrl_dialect_name(cc->proto.dialect), st.name);
		evbuffer_drain(in, st.consumed);
		if (st.answer_len > 0 &&
		    bufferevent_write(bev, st.answer, st.answer_len) != 0) {
			ctrlconn_drop(cc, "out of memory");
			return;
		}
		if (r == SIMCTRL_CLOSE)
			cc->closing = true;
		if (evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
			bufferevent_disable(bev, EV_READ);
			ctrlconn_arm(cc, true);
			return;
		}
		if (cc->closing) {
			ctrlconn_free(cc);
			return;
		}
	}
	if (!cc->closing)
		ctrlconn_arm(cc, evbuffer_get_length(in) > 0);
}

/* An answer went out: a closing connection goes now, an open one reads
 * its next command. */
static void
ctrlconn_write_cb(struct bufferevent *bev, void *arg)
{
	struct ctrlconn *cc = arg;

	if (cc->closing) {
		ctrlconn_free(cc);
		return;
	}
	bufferevent_enable(bev, EV_READ);
	ctrlconn_read_cb(bev, cc);
}

/* EOF or an error: the peer is done. */
static void
ctrlconn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	ctrlconn_free(arg);
}

/* Open control connections on a socket. */
static unsigned
ctrlconn_on_socket(const struct daemon *d, const char *socket_name)
{
	const struct ctrlconn *cc;
	unsigned n = 0;

	TAILQ_FOREACH(cc, &d->ctrlconns->all, entry) {
		if (strcmp(cc->socket_name, socket_name) == 0)
			n++;
	}
	return n;
}

/* A client connected to socket_name's control channel. */
void
ctrlconn_accept(struct daemon *d, const char *socket_name, int fd)
{
	const struct config_socket *s = policy_socket(d->policy, socket_name);
	socklen_t len;
	struct ctrlconn *cc;

	if (d->stopping || s == NULL ||
	    (cc = calloc(1, sizeof(*cc))) == NULL) {
		close(fd);
		return;
	}
	cc->d = d;
	cc->id = ++d->next_conn_id;
	TAILQ_INSERT_TAIL(&d->ctrlconns->all, cc, entry);
	d->ctrlconns->count++;
	cc->socket_name = strdup(socket_name);
	cc->bev = bufferevent_socket_new(d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (cc->bev == NULL)
		close(fd);
	cc->ev_timeout = evtimer_new(d->base, ctrlconn_timeout_cb, cc);
	len = sizeof(cc->peer);
	if (cc->socket_name == NULL || cc->bev == NULL ||
	    cc->ev_timeout == NULL ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cc->peer, &len) != 0) {
		ctrlconn_free(cc);
		return;
	}
	if (!policy_admit(s, cc->peer.uid)) {
		log_warnx("socket %s: uid %ld not in allow-uids; control "
		    "channel refused", s->name, (long)cc->peer.uid);
		ctrlconn_audit(cc, "refused", "uid not in allow-uids (control)");
		ctrlconn_free(cc);
		return;
	}
	/* Its data connections count against max-connections; the control
	 * channel gets as many again. */
	if (s->max_connections != 0 &&
	    ctrlconn_on_socket(d, socket_name) > s->max_connections) {
		log_warnx("socket %s: over max-connections (%u) on the control "
		    "channel; refused", s->name, s->max_connections);
		ctrlconn_free(cc);
		return;
	}
	procown_mark(d, socket_name, cc->peer.pid);
	/* One command at most is buffered (simctrl.h). */
	bufferevent_setwatermark(cc->bev, EV_READ, 0, SIMCTRL_INPUT_MAX);
	bufferevent_setcb(cc->bev, ctrlconn_read_cb, ctrlconn_write_cb,
	    ctrlconn_event_cb, cc);
	bufferevent_enable(cc->bev, EV_READ);
	ctrlconn_arm(cc, false);
	log_debug("control connect id=%llu socket=%s uid=%ld pid=%ld",
	    (unsigned long long)cc->id, socket_name, (long)cc->peer.uid,
	    (long)cc->peer.pid);
}

/* A socket was removed or changed by a reload: its control peers go. */
void
ctrlconn_close_socket(struct daemon *d, const char *socket_name)
{
	struct ctrlconn *cc, *next;

	for (cc = TAILQ_FIRST(&d->ctrlconns->all); cc != NULL; cc = next) {
		next = TAILQ_NEXT(cc, entry);
		if (strcmp(cc->socket_name, socket_name) == 0)
			ctrlconn_free(cc);
	}
}

/* Shutdown: nothing is ever in flight here. */
void
ctrlconn_close_all(struct daemon *d)
{
	struct ctrlconn *cc;

	while ((cc = TAILQ_FIRST(&d->ctrlconns->all)) != NULL)
		ctrlconn_free(cc);
}

/* Control connections open. */
size_t
ctrlconn_count(const struct daemon *d)
{
	return d->ctrlconns->count;
}

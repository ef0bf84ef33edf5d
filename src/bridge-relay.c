/* SPDX-License-Identifier: BSD-2-Clause */
/* One relayed connection of tpmproxy-bridge. Two sides, client (the TCP
 * connection) and server (the daemon's unix socket), each a bufferevent;
 * what one side reads goes, unchanged and unparsed, to the other's output.
 *
 * Bounded: when a side's output holds `bound` bytes, the side feeding it
 * stops reading until that output has drained to half, so a peer that
 * does not read holds back the one that writes instead of growing memory.
 *
 * Half-close: a side that reads EOF has said all it will say; once its
 * bytes have been written, the other side is shut down for writing, so
 * its peer sees EOF too and may still answer (a client that sends a
 * command, then shuts down, then reads the response). The relay is done
 * when both directions have ended this way, or at once when either side
 * fails (a reset, or writing to a side that has closed). */
#include "bridge-relay.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

enum { BRIDGE_RELAY_CLIENT, BRIDGE_RELAY_SERVER };

struct bridge_relay_side {
	struct bridge_relay *relay;
	struct bufferevent *bev;
	struct bridge_relay_side *peer;
	uint64_t forwarded;  /* bytes read here and passed to the peer */
	bool read_eof;       /* this side will send nothing more */
	bool write_shut;     /* the peer's EOF has been passed on to here */
	bool throttled;      /* not reading: the peer's output is full */
};

struct bridge_relay {
	struct bridge_relay_side side[2];
	size_t bound;
	bridge_relay_done_cb done;
	void *arg;
	bool finished;
};

/* Tell the owner, once; nothing may touch r afterwards (it frees r). */
static void
bridge_relay_finish(struct bridge_relay *r, int err)
{
	if (r->finished)
		return;
	r->finished = true;
	bufferevent_disable(r->side[0].bev, EV_READ | EV_WRITE);
	bufferevent_disable(r->side[1].bev, EV_READ | EV_WRITE);
	r->done(r, err, r->arg);
}

/* Whether both directions have ended; if so, finish. */
static bool
bridge_relay_check_done(struct bridge_relay *r)
{
	const struct bridge_relay_side *c = &r->side[BRIDGE_RELAY_CLIENT];
	const struct bridge_relay_side *s = &r->side[BRIDGE_RELAY_SERVER];

	if (!(c->read_eof && s->write_shut && s->read_eof && c->write_shut))
		return false;
	bridge_relay_finish(r, 0);
	return true;
}

/* The peer of `to` has ended and everything it sent has been written to
 * `to`: pass the EOF on. A peer already gone (ENOTCONN) is no matter. */
static void
bridge_relay_shut(struct bridge_relay_side *to)
{
	if (to->write_shut)
		return;
	to->write_shut = true;
	shutdown(bufferevent_getfd(to->bev), SHUT_WR);
}

/* Move what `from` has read to its peer's output; pause `from` when that
 * output is full. */
static void
bridge_relay_forward(struct bridge_relay_side *from)
{
	struct evbuffer *in = bufferevent_get_input(from->bev);
	struct evbuffer *out = bufferevent_get_output(from->peer->bev);
	size_t n = evbuffer_get_length(in);

	if (n == 0)
		return;
	from->forwarded += n;
	evbuffer_add_buffer(out, in);
	if (evbuffer_get_length(out) >= from->relay->bound && !from->throttled) {
		from->throttled = true;
		bufferevent_disable(from->bev, EV_READ);
		/* Called back when the output is down to half. */
		bufferevent_setwatermark(from->peer->bev, EV_WRITE,
		    from->relay->bound / 2, 0);
	}
}

static void
bridge_relay_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	bridge_relay_forward(arg);
}

/* `to`'s output has drained (to half while its peer is paused, else to
 * empty): resume the peer, or pass its EOF on. */
static void
bridge_relay_write_cb(struct bufferevent *bev, void *arg)
{
	struct bridge_relay_side *to = arg;
	struct bridge_relay_side *from = to->peer;

	if (from->throttled) {
		from->throttled = false;
		bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
		if (!from->read_eof)
			bufferevent_enable(from->bev, EV_READ);
	}
	if (from->read_eof &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		bridge_relay_shut(to);
		bridge_relay_check_done(to->relay);
	}
}

/* EOF or an error on one side. */
static void
bridge_relay_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct bridge_relay_side *side = arg;
	int err = EVUTIL_SOCKET_ERROR();

	if (what & BEV_EVENT_ERROR) {
		bridge_relay_finish(side->relay, err != 0 ? err : EIO);
		return;
	}
	if (!(what & BEV_EVENT_EOF))
		return;
	side->read_eof = true;
	bufferevent_disable(bev, EV_READ);
	bridge_relay_forward(side);
	if (evbuffer_get_length(bufferevent_get_output(side->peer->bev)) == 0)
		bridge_relay_shut(side->peer);
	bridge_relay_check_done(side->relay);
}

/* Relay between two connected, non-blocking sockets, which the relay
 * owns from now on (closed by bridge_relay_free, also on failure here). */
int
bridge_relay_new(struct event_base *base, int client_fd, int server_fd,
    size_t bound, bridge_relay_done_cb done, void *arg,
    struct bridge_relay **out)
{
	struct bridge_relay *r = calloc(1, sizeof(*r));
	int fds[2] = { client_fd, server_fd };
	int i;

	if (r == NULL) {
		evutil_closesocket(client_fd);
		evutil_closesocket(server_fd);
		return -ENOMEM;
	}
	r->bound = bound;
	r->done = done;
	r->arg = arg;
	for (i = 0; i < 2; i++) {
		r->side[i].relay = r;
		r->side[i].peer = &r->side[1 - i];
		r->side[i].bev = bufferevent_socket_new(base, fds[i],
		    BEV_OPT_CLOSE_ON_FREE);
		if (r->side[i].bev == NULL) {
			evutil_closesocket(fds[i]);
			if (i == 0)
				evutil_closesocket(fds[1]);
			bridge_relay_free(r);
			return -ENOMEM;
		}
	}
	for (i = 0; i < 2; i++) {
		/* Reading stops at `bound` unforwarded bytes, too. */
		bufferevent_setwatermark(r->side[i].bev, EV_READ, 0, bound);
		bufferevent_setcb(r->side[i].bev, bridge_relay_read_cb,
		    bridge_relay_write_cb, bridge_relay_event_cb, &r->side[i]);
		bufferevent_enable(r->side[i].bev, EV_READ | EV_WRITE);
	}
	*out = r;
	return 0;
}

/* Close both sockets and free r (safe from within its done callback). */
void
bridge_relay_free(struct bridge_relay *r)
{
	if (r == NULL)
		return;
	if (r->side[0].bev != NULL)
		bufferevent_free(r->side[0].bev);
	if (r->side[1].bev != NULL)
		bufferevent_free(r->side[1].bev);
	free(r);
}

/* Bytes read and not yet written, both ways. */
size_t
bridge_relay_buffered(const struct bridge_relay *r)
{
	size_t n = 0;
	int i;

	for (i = 0; i < 2; i++) {
		n += evbuffer_get_length(bufferevent_get_input(r->side[i].bev));
		n += evbuffer_get_length(bufferevent_get_output(r->side[i].bev));
	}
	return n;
}

/* Bytes passed from the client to the server and back. */
void
bridge_relay_counts(const struct bridge_relay *r, uint64_t *to_server,
    uint64_t *to_client)
{
	*to_server = r->side[BRIDGE_RELAY_CLIENT].forwarded;
	*to_client = r->side[BRIDGE_RELAY_SERVER].forwarded;
}

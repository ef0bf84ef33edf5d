/* SPDX-License-Identifier: BSD-2-Clause */
/* Client connections: framing, one command in flight, responses.
 *
 * A connection reads until its input holds one whole command, checks it
 * against its socket's policy (profile, rate), hands a copy to the TPM
 * thread and stops reading (like /dev/tpmrm0, one command in flight); the
 * response, once written out, re-enables reading, so pipelined commands
 * are answered in order and a client that never reads cannot make us
 * buffer more than one response. That response must be taken within the
 * partial-timeout, as a command must arrive within it: a slow reader is
 * closed like a slow writer. Broken framing closes this connection only.
 *
 * A connection's first byte fixes its framing: raw TPM commands (tag
 * 80 0x), or the TPM simulator protocol tcti-mssim speaks (simframe.c),
 * whose answers are wrapped the same way. What the TPM holds for a raw
 * connection belongs to the connection, unless its process speaks the
 * simulator control protocol (tcti-swtpm, one connection per command):
 * then to the process (procown.c).
 * The socket's configuration is looked up by name for every command, so a
 * reload applies to the next one. */
#include "conn.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <tss2/tss2_tpm2_types.h>

#include "audit.h"
#include "cgroup.h"
#include "cmdattrs.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "frame.h"
#include "identity.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "procown.h"
#include "proxyrc.h"
#include "simframe.h"
#include "stats.h"
#include "worker.h"

#define CONN_BUCKETS 256
#define CONN_FD_RESERVE 16      /* descriptors clients cannot have */

enum conn_framing {
	CONN_FRAMING_UNKNOWN,       /* nothing read yet */
	CONN_FRAMING_RAW,           /* TPM commands as they are */
	CONN_FRAMING_SIM,           /* the TPM simulator protocol */
};

struct conn {
	uint64_t id;
	uint64_t owner;             /* the resource manager's owner: id, or
	                             * the process's (proc) */
	enum conn_framing framing;
	struct procown *proc;       /* owned per process, else NULL */
	struct daemon *d;
	char *socket_name;
	struct bufferevent *bev;
	struct event *ev_partial;   /* a started frame must complete in time */
	struct event *ev_write;     /* a response must be taken in time */
	struct event *ev_idle;      /* idle-timeout */
	struct event *ev_delay;     /* a command held back by the rate limit */
	struct ucred peer;
	char pod[CGROUP_UID_LEN + 1];
	uint64_t identity;
	struct client_group *group;
	bool in_flight;
	bool closing;               /* close once the output is written */
	bool over_limit;            /* beyond max-connections: refuse */
	int64_t delayed_us;         /* held back so far for this command */
	uint64_t commands;
	struct timespec since;
	LIST_ENTRY(conn) bucket_entry;
	TAILQ_ENTRY(conn) all_entry;
};

struct conn_table {
	LIST_HEAD(, conn) buckets[CONN_BUCKETS];
	TAILQ_HEAD(, conn) all;
	size_t count;
	int fd_ceiling;             /* clients' descriptors stay below */
};

/* Where the command at the head of a connection's input is. */
struct conn_frame {
	size_t prefix;              /* framing before the command */
	size_t size;                /* the TPM command's */
	uint8_t locality;           /* asked for by a simulator client */
};

static void conn_process(struct conn *c);

/* The lowest descriptor a client may not have: RLIMIT_NOFILE less a
 * reserve for the daemon's own needs (half of a small limit); INT_MAX
 * when the limit is too high to matter. Read once, at start-up. */
static int
conn_fd_ceiling_of_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 ||
	    rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > INT_MAX)
		return INT_MAX;
	if (rl.rlim_cur <= 2 * CONN_FD_RESERVE)
		return (int)rl.rlim_cur / 2;
	return (int)rl.rlim_cur - CONN_FD_RESERVE;
}

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
	t->fd_ceiling = conn_fd_ceiling_of_limit();
	d->conns = t;
	return 0;
}

/* Descriptors at or above this are the daemon's own: the listeners stop
 * accepting before a client gets one. */
int
conn_fd_ceiling(const struct daemon *d)
{
	return d->conns->fd_ceiling;
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

/* The socket's configuration in force; NULL once a reload removed it. */
static const struct config_socket *
conn_socket(const struct conn *c)
{
	return policy_socket(c->d->policy, c->socket_name);
}

/* The socket's counters (looked up each time: the table may move). */
static struct stats_socket *
conn_stats(const struct conn *c)
{
	static struct stats_socket dummy;   /* out of memory: count nowhere */
	struct stats_socket *ss = stats_socket(c->d->stats, c->socket_name);

	return ss != NULL ? ss : &dummy;
}

/* A record about this connection, with who it is filled in. */
static void
conn_audit_init(const struct conn *c, struct audit_record *r,
    const char *event)
{
	audit_record_init(r, event, c->socket_name, c->pod[0] ? c->pod : NULL,
	    &c->peer, c->id);
}

/* Audit a security event of this connection (no command). */
static void
conn_audit_event(const struct conn *c, const char *event, const char *detail)
{
	struct audit_record r;

	if (c->d->audit == NULL)
		return;
	conn_audit_init(c, &r, event);
	r.detail = detail;
	audit_record(c->d->audit, &r);
}

/* Audit a command answered without the TPM (denied, over the rate...). */
static void
conn_audit_answer(const struct conn *c, const char *event, const uint8_t *cmd,
    size_t len, uint32_t rc, const char *detail)
{
	struct audit_record r;

	if (c->d->audit == NULL)
		return;
	conn_audit_init(c, &r, event);
	r.has_command = true;
	r.code = frame_get_u32(cmd + 6);
	r.has_rc = true;
	r.rc = rc;
	r.bytes_in = len;
	r.bytes_out = FRAME_HEADER_SIZE;
	r.detail = detail;
	audit_record(c->d->audit, &r);
}

/* Fill in who a job is for. */
static void
conn_job_client(const struct conn *c, struct job *job)
{
	const struct config_socket *s = conn_socket(c);

	job->client.owner = c->owner;
	job->requester = c->id;
	job->client.identity = c->identity;
	job->client.group = c->group->id;
	job->group = c->group->id;
	if (s != NULL) {
		job->client.quota.objects = s->max_objects;
		job->client.quota.sessions = s->max_sessions;
		job->client.quota.saved = s->max_saved_contexts;
		job->client.quota.nv_indices = s->max_nv_indices;
	}
}

/* Close a connection, saying why in its disconnect record; what it left
 * in the TPM is flushed by a job queued behind any command it still has in
 * flight. */
static void
conn_close(struct conn *c, const char *why)
{
	struct daemon *d = c->d;
	struct timespec now;

	log_info("disconnect id=%llu socket=%s pid=%ld commands=%llu",
	    (unsigned long long)c->id, c->socket_name, (long)c->peer.pid,
	    (unsigned long long)c->commands);
	if (c->group != NULL)
		conn_audit_event(c, "disconnect", why);
	if (c->proc != NULL) {
		/* The process's: flushed once it has gone (procown.c). */
		procown_detach(d, c->proc);
	} else if (c->group != NULL && (c->commands > 0 || c->in_flight)) {
		/* Same group as its commands: queued behind the last one. */
		if (worker_submit_owner_gone(d->worker, c->id,
		    c->group->id) == 0)
			c->group->jobs++;
		else
			log_error("out of memory: cannot flush for id=%llu",
			    (unsigned long long)c->id);
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	identity_group_put(d->identities, c->group, &now);
	LIST_REMOVE(c, bucket_entry);
	TAILQ_REMOVE(&d->conns->all, c, all_entry);
	d->conns->count--;
	event_free(c->ev_partial);
	event_free(c->ev_write);
	event_free(c->ev_idle);
	event_free(c->ev_delay);
	bufferevent_free(c->bev);
	free(c->socket_name);
	free(c);
	if (d->stopping && d->conns->count == 0)
		event_base_loopexit(d->base, NULL);
}

/* Close a connection that ended by itself (EOF, error, shutdown). */
static void
conn_free(struct conn *c)
{
	conn_close(c, NULL);
}

/* Close after a framing violation or timeout, saying why: event names the
 * audit record written before the disconnect (malformed, timeout), or is
 * NULL when the disconnect record alone says it. */
static void
conn_drop_event(struct conn *c, const char *event, const char *why)
{
	if (event != NULL)
		conn_audit_event(c, event, why);
	log_warnx("closing id=%llu socket=%s pid=%ld: %s",
	    (unsigned long long)c->id, c->socket_name, (long)c->peer.pid, why);
	conn_close(c, why);
}

/* Close after an internal failure, saying why. */
static void
conn_drop(struct conn *c, const char *why)
{
	log_warnx("closing id=%llu socket=%s pid=%ld: %s",
	    (unsigned long long)c->id, c->socket_name, (long)c->peer.pid, why);
	conn_free(c);
}

/* The partial-timeout in force for this connection. */
static struct timeval
conn_partial_tv(const struct conn *c, const struct config_socket *s)
{
	return daemon_ms(s != NULL && s->partial_timeout_ms != 0 ?
	    s->partial_timeout_ms :
	    policy_config(c->d->policy)->partial_timeout_ms);
}

/* Bytes of response not yet handed to the kernel. */
static size_t
conn_output_pending(const struct conn *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev));
}

/* A frame was started but not completed in time. */
static void
conn_partial_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_drop_event(arg, "timeout",
	    "incomplete command (partial-read timeout)");
}

/* A response was not taken in time: the client does not read. */
static void
conn_write_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_drop_event(arg, "timeout", "response not read (partial-timeout)");
}

/* Nothing was sent for the socket's idle-timeout. */
static void
conn_idle_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_drop_event(arg, "timeout", "idle timeout");
}

/* (Re)start the idle timer from the configuration in force; it runs
 * only while we are ready to read (no command in flight, no response
 * waiting to be written). */
static void
conn_arm_idle(struct conn *c)
{
	const struct config_socket *s = conn_socket(c);
	struct timeval tv;

	evtimer_del(c->ev_idle);
	if (s != NULL && s->idle_timeout_ms != 0 && !c->in_flight &&
	    conn_output_pending(c) == 0) {
		tv = daemon_ms(s->idle_timeout_ms);
		evtimer_add(c->ev_idle, &tv);
	}
}

/* Queue a response and start the clock for the client to take it; the
 * next command is read once it is written out (conn_write_cb). A
 * simulator client gets it as length, response, u32 0, in one write. */
static int
conn_respond(struct conn *c, const void *rsp, size_t len)
{
	static const uint8_t trailer[SIMFRAME_TRAILER_SIZE];
	struct timeval tv = conn_partial_tv(c, conn_socket(c));
	uint8_t prefix[4];

	if (c->framing == CONN_FRAMING_SIM) {
		simframe_response_prefix(prefix, len);
		if (bufferevent_write(c->bev, prefix, sizeof(prefix)) != 0)
			return -ENOMEM;
	}
	if (bufferevent_write(c->bev, rsp, len) != 0)
		return -ENOMEM;
	if (c->framing == CONN_FRAMING_SIM &&
	    bufferevent_write(c->bev, trailer, sizeof(trailer)) != 0)
		return -ENOMEM;
	evtimer_del(c->ev_idle);
	evtimer_add(c->ev_write, &tv);
	bufferevent_disable(c->bev, EV_READ);
	return 0;
}

/* Answer the command at the head of the input without the TPM; size is
 * its whole frame's. */
static void
conn_answer(struct conn *c, struct evbuffer *in, size_t size, uint32_t rc)
{
	uint8_t rsp[FRAME_HEADER_SIZE];

	evbuffer_drain(in, size);
	frame_error_response(rsp, sizeof(rsp), rc);
	c->commands++;
	conn_stats(c)->commands++;
	if (conn_respond(c, rsp, sizeof(rsp)) != 0)
		c->closing = true;
}

/* Note the handles the client named before the resource manager rewrites
 * them (the attribute table is read-only after start-up). */
static void
conn_job_handles(const struct conn *c, struct job *job)
{
	TPMA_CC attrs;
	unsigned n;

	if (cmdattrs_lookup(c->d->attrs, frame_get_u32(job->cmd + 6),
	    &attrs) != 0)
		return;
	n = cmdattrs_handles(attrs);
	if (n > 7)
		n = 7;
	for (unsigned i = 0; i < n && job->cmd_len >= FRAME_HEADER_SIZE +
	    4 * (size_t)(i + 1); i++)
		job->handles[job->nhandles++] = frame_get_u32(job->cmd +
		    FRAME_HEADER_SIZE + 4 * i);
}

/* Hand one whole command (size bytes after a prefix of framing) to the
 * TPM thread. */
static int
conn_submit(struct conn *c, struct evbuffer *in, size_t prefix, size_t size)
{
	struct job *job;
	uint8_t *bytes;

	bytes = evbuffer_pullup(in, (ev_ssize_t)(prefix + size));
	if (bytes == NULL)
		return -ENOMEM;
	job = job_new(JOB_COMMAND, c->owner, bytes + prefix, size,
	    c->d->max_response_size);
	if (job == NULL)
		return -ENOMEM;
	conn_job_client(c, job);
	conn_job_handles(c, job);
	if (worker_submit(c->d->worker, job) != 0) {
		job_free(job);
		return -ENOMEM;
	}
	evbuffer_drain(in, prefix + size);
	c->group->jobs++;
	c->in_flight = true;
	c->delayed_us = 0;
	evtimer_del(c->ev_idle);
	bufferevent_disable(c->bev, EV_READ);
	return 0;
}

/* The rate limit's wait is over: look at the command again. */
static void
conn_delay_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_process(arg);
}

/* Apply the socket's policy to a whole command; true if it went to the
 * TPM thread or must wait, false if it was answered here. */
static bool
conn_dispatch(struct conn *c, const struct config_socket *s,
    struct evbuffer *in, const struct conn_frame *f)
{
	size_t prefix = f->prefix, size = f->size, whole = prefix + size;
	struct timespec now;
	struct timeval tv;
	int64_t wait_us = 0;
	char detail[64];
	uint8_t *bytes;

	bytes = evbuffer_pullup(in, (ev_ssize_t)(prefix + size));
	if (bytes == NULL) {
		conn_drop(c, "out of memory");
		return true;
	}
	bytes += prefix;
	if (f->locality != 0) {
		/* The TPM's locality is the host's: never a client's. */
		conn_stats(c)->denied++;
		snprintf(detail, sizeof(detail), "locality %u",
		    (unsigned)f->locality);
		conn_audit_answer(c, "denied", bytes, size,
		    PROXY_RC(TPM2_RC_LOCALITY), detail);
		conn_answer(c, in, whole, PROXY_RC(TPM2_RC_LOCALITY));
		return false;
	}
	if (s->max_command_size != 0 && size > s->max_command_size) {
		conn_stats(c)->over_quota++;
		snprintf(detail, sizeof(detail), "max-command-size %u",
		    s->max_command_size);
		conn_audit_answer(c, "quota", bytes, size,
		    PROXY_RC(TPM2_RC_COMMAND_SIZE), detail);
		conn_answer(c, in, whole, PROXY_RC(TPM2_RC_COMMAND_SIZE));
		return false;
	}
	if (c->over_limit) {
		log_warnx("id=%llu socket=%s: over max-connections (%u)",
		    (unsigned long long)c->id, c->socket_name,
		    s->max_connections);
		conn_stats(c)->over_quota++;
		snprintf(detail, sizeof(detail), "max-connections %u",
		    s->max_connections);
		conn_audit_answer(c, "quota", bytes, size,
		    PROXY_RC(TPM2_RC_RETRY), detail);
		conn_answer(c, in, whole, PROXY_RC(TPM2_RC_RETRY));
		c->closing = true;
		return false;
	}
	if (c->d->audit != NULL && !audit_healthy(c->d->audit) &&
	    policy_config(c->d->policy)->audit_failure == CONFIG_AUDIT_REFUSE) {
		/* No record, no command: the operator asked for that. */
		conn_answer(c, in, whole, PROXY_RC(TPM2_RC_FAILURE));
		return false;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	switch (policy_check_command(c->d->policy, s, c->group, bytes, size,
	    &now, c->delayed_us, &wait_us)) {
	case POLICY_DENY:
		conn_stats(c)->denied++;
		snprintf(detail, sizeof(detail), "profile %s", s->profile);
		conn_audit_answer(c, "denied", bytes, size,
		    PROXY_RC(TPM2_RC_COMMAND_CODE), detail);
		conn_answer(c, in, whole, PROXY_RC(TPM2_RC_COMMAND_CODE));
		return false;
	case POLICY_RETRY:
		log_info("id=%llu socket=%s: over the rate limit",
		    (unsigned long long)c->id, c->socket_name);
		conn_stats(c)->rate_limited++;
		snprintf(detail, sizeof(detail), "rate %g/s", s->rate);
		conn_audit_answer(c, "rate-limited", bytes, size,
		    PROXY_RC(TPM2_RC_RETRY), detail);
		c->delayed_us = 0;
		conn_answer(c, in, whole, PROXY_RC(TPM2_RC_RETRY));
		return false;
	case POLICY_DELAY:
		if (c->delayed_us == 0)
			conn_stats(c)->delayed++;
		/* Hold it (and stop reading) until a token is due. */
		c->delayed_us += wait_us;
		tv.tv_sec = (time_t)(wait_us / 1000000);
		tv.tv_usec = (suseconds_t)(wait_us % 1000000);
		bufferevent_disable(c->bev, EV_READ);
		evtimer_add(c->ev_delay, &tv);
		return true;
	case POLICY_ALLOW:
		break;
	}
	if (conn_submit(c, in, prefix, size) != 0)
		conn_drop(c, "out of memory");
	return true;
}

/* The first byte fixed the framing: a raw connection of a process that
 * speaks the simulator control protocol is owned by that process. */
static void
conn_choose_framing(struct conn *c, uint8_t first_byte)
{
	if (simframe_is_simulator(first_byte)) {
		c->framing = CONN_FRAMING_SIM;
		return;
	}
	c->framing = CONN_FRAMING_RAW;
	c->proc = procown_attach(c->d, c->socket_name, c->peer.pid,
	    c->pod[0] ? c->pod : NULL);
	if (c->proc != NULL)
		c->owner = procown_owner(c->proc);
}

/* Find the command at the head of the input: FRAME_READY with f filled,
 * FRAME_INCOMPLETE, or anything else after closing the connection. */
static enum frame_status
conn_frame(struct conn *c, struct evbuffer *in, size_t avail,
    struct conn_frame *f)
{
	uint8_t head[SIMFRAME_PREFIX_SIZE + FRAME_HEADER_SIZE];
	uint32_t max = c->d->max_command_size;
	struct frame_header hdr = { 0 };
	struct simframe sf;
	char why[64];
	enum frame_status st;

	/* Framing is bounded by the TPM's maximum; a socket's smaller
	 * max-command-size is a quota, answered once the command is read. */
	evbuffer_copyout(in, head, avail < sizeof(head) ? avail : sizeof(head));
	if (c->framing == CONN_FRAMING_UNKNOWN)
		conn_choose_framing(c, head[0]);
	memset(f, 0, sizeof(*f));
	if (c->framing == CONN_FRAMING_RAW) {
		st = frame_check(head, avail, max, &hdr);
		if (st == FRAME_TOO_SMALL)
			conn_drop_event(c, "malformed",
			    "command size below 10 bytes");
		else if (st == FRAME_TOO_LARGE)
			conn_drop_event(c, "malformed",
			    "command larger than the TPM's maximum");
		f->size = hdr.size;
		return st;
	}
	switch (simframe_check(head, avail, max, &sf)) {
	case SIMFRAME_INCOMPLETE:
		return FRAME_INCOMPLETE;
	case SIMFRAME_COMMAND:
		f->prefix = SIMFRAME_PREFIX_SIZE;
		f->size = sf.length;
		f->locality = sf.locality;
		return FRAME_READY;
	case SIMFRAME_SESSION_END:
		conn_close(c, "simulator session end");
		return FRAME_TOO_SMALL;
	case SIMFRAME_UNKNOWN_CODE:
		snprintf(why, sizeof(why), "unknown simulator command %lu",
		    (unsigned long)sf.code);
		conn_drop_event(c, "malformed", why);
		return FRAME_TOO_SMALL;
	case SIMFRAME_BAD_LENGTH:
		conn_drop_event(c, "malformed", sf.length < FRAME_HEADER_SIZE ?
		    "simulator length below 10 bytes" :
		    "simulator length larger than the TPM's maximum");
		return FRAME_TOO_LARGE;
	case SIMFRAME_LENGTH_MISMATCH:
		conn_drop_event(c, "malformed",
		    "simulator length differs from the command's size");
		return FRAME_TOO_SMALL;
	}
	return FRAME_TOO_SMALL;
}

/* Take whole commands from the input as the one-in-flight rule allows;
 * close the connection on broken framing. */
static void
conn_process(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	const struct config_socket *s;
	struct conn_frame f;
	size_t avail;
	struct timeval tv;

	while (!c->in_flight && !c->closing && conn_output_pending(c) == 0 &&
	    !evtimer_pending(c->ev_delay, NULL)) {
		s = conn_socket(c);
		if (s == NULL) {
			conn_drop_event(c, NULL,
			    "socket removed from the configuration");
			return;
		}
		avail = evbuffer_get_length(in);
		if (avail == 0) {
			evtimer_del(c->ev_partial);
			bufferevent_enable(c->bev, EV_READ);
			return;
		}
		switch (conn_frame(c, in, avail, &f)) {
		case FRAME_INCOMPLETE:
			if (!evtimer_pending(c->ev_partial, NULL)) {
				tv = conn_partial_tv(c, s);
				evtimer_add(c->ev_partial, &tv);
			}
			bufferevent_enable(c->bev, EV_READ);
			return;
		case FRAME_READY:
			break;
		default:
			return;     /* closed */
		}
		evtimer_del(c->ev_partial);
		if (conn_dispatch(c, s, in, &f))
			return;
	}
}

/* Input arrived. */
static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	conn_arm_idle(c);
	conn_process(c);
}

/* Output drained: a closing connection can go now, an open one reads
 * its next command. */
static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	evtimer_del(c->ev_write);
	if (c->in_flight)
		return;
	if (c->closing) {
		conn_free(c);
		return;
	}
	conn_arm_idle(c);
	conn_process(c);
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

/* The peer's Kubernetes pod, if it is in one: the pod UID keys its quotas
 * and its identity (with --proc-root, tests point at a fake /proc).
 * Returns -errno when the daemon could not tell (out of descriptors or
 * memory): such a peer is not taken for one outside any pod. */
static int
conn_find_pod(struct conn *c)
{
	char path[64 + 4096];
	int r;

	c->pod[0] = '\0';
	if (c->peer.pid <= 0)
		return 0;
	if (c->d->opts.proc_root != NULL) {
		snprintf(path, sizeof(path), "%s/%ld/cgroup",
		    c->d->opts.proc_root, (long)c->peer.pid);
		r = cgroup_pod_uid_of_file(path, c->pod, sizeof(c->pod));
	} else {
		r = cgroup_pod_uid_of_pid(c->peer.pid, c->pod, sizeof(c->pod));
	}
	if (r != 0)
		c->pod[0] = '\0';
	return r == -EMFILE || r == -ENFILE || r == -ENOMEM ? r : 0;
}

/* Who the peer is: credentials, pod, identity and group; false if it may
 * not connect at all (allow-uids) or we ran out of memory. */
static bool
conn_identify(struct conn *c, const struct config_socket *s, int fd)
{
	socklen_t len = sizeof(c->peer);
	struct timespec now;
	int r;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->peer, &len) != 0) {
		log_warn("SO_PEERCRED");
		return false;
	}
	if (!policy_admit(s, c->peer.uid)) {
		log_warnx("socket %s: uid %ld not in allow-uids; refused",
		    s->name, (long)c->peer.uid);
		conn_audit_event(c, "refused", "uid not in allow-uids");
		return false;
	}
	if ((r = conn_find_pod(c)) != 0) {
		log_warnx("socket %s: cannot read the cgroup of pid %ld: %s; "
		    "refused", s->name, (long)c->peer.pid, strerror(-r));
		conn_audit_event(c, "refused", "cgroup unreadable");
		return false;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	c->group = identity_group_get(c->d->identities, s->name,
	    c->pod[0] ? c->pod : NULL, &now);
	if (c->group == NULL)
		return false;
	c->identity = identity_intern(c->d->identities, c->group, s->name,
	    c->peer.uid, c->peer.gid, c->pod[0] ? c->pod : NULL);
	if (c->identity == 0)
		return false;
	/* Over the limit: accepted, so that its first command gets a TPM
	 * answer saying why, then closed. */
	c->over_limit = s->max_connections != 0 &&
	    c->group->connections > s->max_connections;
	return true;
}

/* A new client: record who it is and start reading. */
void
conn_accept(struct daemon *d, const char *socket_name, int fd)
{
	const struct config_socket *s = policy_socket(d->policy, socket_name);
	struct conn *c;

	if (d->stopping || s == NULL) {
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->socket_name = strdup(socket_name)) == NULL) {
		free(c);
		close(fd);
		return;
	}
	c->id = ++d->next_conn_id;
	c->owner = c->id;
	c->d = d;
	clock_gettime(CLOCK_MONOTONIC, &c->since);
	c->bev = bufferevent_socket_new(d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		close(fd);
	c->ev_partial = evtimer_new(d->base, conn_partial_cb, c);
	c->ev_write = evtimer_new(d->base, conn_write_timeout_cb, c);
	c->ev_idle = evtimer_new(d->base, conn_idle_cb, c);
	c->ev_delay = evtimer_new(d->base, conn_delay_cb, c);
	LIST_INSERT_HEAD(&d->conns->buckets[c->id % CONN_BUCKETS], c,
	    bucket_entry);
	TAILQ_INSERT_TAIL(&d->conns->all, c, all_entry);
	d->conns->count++;
	if (c->bev == NULL || c->ev_partial == NULL || c->ev_write == NULL ||
	    c->ev_idle == NULL || c->ev_delay == NULL ||
	    !conn_identify(c, s, fd)) {
		conn_free(c);
		return;
	}
	/* Never buffer more than one maximal command per client. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, d->max_command_size);
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_enable(c->bev, EV_READ);
	conn_arm_idle(c);
	conn_stats(c)->connections++;
	conn_audit_event(c, "connect", NULL);
	log_info("connect id=%llu socket=%s uid=%ld gid=%ld pid=%ld%s%s",
	    (unsigned long long)c->id, socket_name, (long)c->peer.uid,
	    (long)c->peer.gid, (long)c->peer.pid, c->pod[0] ? " pod=" : "",
	    c->pod);
}

/* Audit a command the TPM thread ran (or refused over a quota). */
static void
conn_audit_command(const struct conn *c, const struct job *job,
    const char *event, uint64_t duration_us)
{
	struct audit_record r;
	TPMA_CC attrs;
	int64_t queued;

	if (c->d->audit == NULL)
		return;
	conn_audit_init(c, &r, event);
	r.has_command = true;
	r.code = frame_get_u32(job->cmd + 6);
	r.has_rc = true;
	r.rc = frame_get_u32(job->rsp + 6);
	r.handles = job->handles;
	r.nhandles = job->nhandles;
	if (r.rc == TPM2_RC_SUCCESS && job->rsp_len >= FRAME_HEADER_SIZE + 4 &&
	    cmdattrs_lookup(c->d->attrs, r.code, &attrs) == 0 &&
	    cmdattrs_has_rhandle(attrs)) {
		r.has_rhandle = true;
		r.rhandle = frame_get_u32(job->rsp + FRAME_HEADER_SIZE);
	}
	queued = (int64_t)(job->started.tv_sec - job->queued.tv_sec) * 1000000 +
	    (job->started.tv_nsec - job->queued.tv_nsec) / 1000;
	r.duration_us = duration_us;
	r.queued_us = queued > 0 ? (uint64_t)queued : 0;
	r.bytes_in = job->cmd_len;
	r.bytes_out = job->rsp_len;
	if (job->has_usage) {
		r.has_counts = true;
		r.objects = job->usage.objects;
		r.sessions = job->usage.sessions;
		r.saved = job->usage.saved;
		r.nv_indices = job->usage.nv_indices;
	}
	audit_record(c->d->audit, &r);
}

/* The TPM thread finished a job: deliver the response, if anyone waits. */
void
conn_job_done(struct job *job, void *arg)
{
	struct daemon *d = arg;
	struct stats_socket *ss;
	int64_t latency;
	struct conn *c;
	uint32_t rc;
	bool quota;

	if (job->type == JOB_SNAPSHOT) {
		if (job->requester == METRICS_REQUESTER)
			metrics_job_done(d, job);
		else
			control_job_done(d, job);
		return;
	}
	/* Count the group's job done whether or not its connection is
	 * still there (a gone job's never is). */
	identity_group_job_done(d->identities, job->client.group,
	    job->has_usage, &job->finished);
	if (job->type != JOB_COMMAND ||
	    (c = conn_find(d, job->requester)) == NULL) {
		job_free(job);
		return;
	}
	c->in_flight = false;
	c->commands++;
	ss = conn_stats(c);
	ss->commands++;
	latency = (int64_t)(job->finished.tv_sec - job->queued.tv_sec) * 1000000 +
	    (job->finished.tv_nsec - job->queued.tv_nsec) / 1000;
	stats_latency(ss, latency > 0 ? (uint64_t)latency : 0);
	rc = frame_get_u32(job->rsp + 6);
	quota = rc == PROXY_RC(TPM2_RC_OBJECT_MEMORY) ||
	    rc == PROXY_RC(TPM2_RC_SESSION_MEMORY) ||
	    rc == PROXY_RC(TPM2_RC_NV_SPACE);
	if (quota)
		ss->over_quota++;
	conn_audit_command(c, job, quota ? "quota" : "command",
	    latency > 0 ? (uint64_t)latency : 0);
	if (conn_respond(c, job->rsp, job->rsp_len) != 0) {
		job_free(job);
		conn_drop(c, "cannot queue the response");
		return;
	}
	job_free(job);
	/* conn_write_cb reads on (or closes) once the response is out. */
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

/* A socket was removed or changed by a reload: its clients go. */
void
conn_close_socket(struct daemon *d, const char *socket_name)
{
	struct conn *c, *next;

	for (c = TAILQ_FIRST(&d->conns->all); c != NULL; c = next) {
		next = TAILQ_NEXT(c, all_entry);
		if (strcmp(c->socket_name, socket_name) != 0)
			continue;
		if (c->in_flight) {
			c->closing = true;
			bufferevent_disable(c->bev, EV_READ);
		} else {
			conn_drop_event(c, NULL,
			    "socket removed from the configuration");
		}
	}
}

/* After a reload: timers follow the new idle-timeouts. */
void
conn_reconfigure(struct daemon *d)
{
	struct conn *c;

	TAILQ_FOREACH(c, &d->conns->all, all_entry)
		conn_arm_idle(c);
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

/* Describe up to max connections; returns how many there are. */
size_t
conn_list(const struct daemon *d, struct conn_info *out, size_t max)
{
	const struct conn *c;
	size_t n = 0;

	TAILQ_FOREACH(c, &d->conns->all, all_entry) {
		if (n < max) {
			struct conn_info *i = &out[n];

			i->id = c->id;
			i->owner = c->owner;
			i->framing = c->framing == CONN_FRAMING_RAW ? "raw" :
			    c->framing == CONN_FRAMING_SIM ? "simulator" : "-";
			i->socket = c->socket_name;
			i->pod = c->pod;
			i->uid = (long)c->peer.uid;
			i->gid = (long)c->peer.gid;
			i->pid = (long)c->peer.pid;
			i->commands = c->commands;
			i->in_flight = c->in_flight;
			i->since = c->since;
		}
		n++;
	}
	return n;
}

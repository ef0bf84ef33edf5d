/* SPDX-License-Identifier: BSD-2-Clause */
/* Prometheus metrics and Kubernetes health probes over HTTP (evhttp).
 *
 * /metrics is the text exposition format (version 0.0.4) of the counters
 * tpmproxyctl stats shows; /healthz says whether the TPM answers, /readyz
 * whether the daemon serves. What the TPM thread knows comes from a
 * snapshot taken every second, so a scrape never waits for the TPM; a TPM
 * thread stuck for longer than METRICS_STALE_S makes /healthz fail, which
 * is what a liveness probe should see. Listens on host:port (loopback is
 * meant) or unix:PATH; off unless metrics-listen is set. */
#include "metrics.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "acceptguard.h"
#include "audit.h"
#include "config.h"
#include "conn.h"
#include "ctrlconn.h"
#include "daemon.h"
#include "listener.h"
#include "log.h"
#include "policy.h"
#include "procown.h"
#include "procstat.h"
#include "resmgr.h"
#include "stats.h"
#include "worker.h"

/* A snapshot older than this means the TPM thread is stuck. */
#define METRICS_STALE_S 10

struct metrics {
	struct daemon *d;
	struct evhttp *http;
	struct accept_guard *guard;
	struct event *ev_tick;
	struct resmgr_snapshot snapshot;
	bool have_snapshot;
	bool pending;
	struct timespec taken;
	char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* Ask the TPM thread for a fresh snapshot, unless one is on its way. */
static void
metrics_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct metrics *m = arg;
	struct job *job;

	if (m->pending || m->d->worker == NULL)
		return;
	job = job_new(JOB_SNAPSHOT, 0, NULL, 0, 0);
	if (job == NULL)
		return;
	job->requester = METRICS_REQUESTER;
	job->snapshot = calloc(1, sizeof(*job->snapshot));
	if (job->snapshot == NULL || worker_submit(m->d->worker, job) != 0) {
		free(job->snapshot);
		job_free(job);
		return;
	}
	m->pending = true;
}

/* A snapshot arrived: keep it for the next scrapes. */
void
metrics_job_done(struct daemon *d, struct job *job)
{
	struct metrics *m = d->metrics;

	if (m != NULL && job->snapshot->owners != NULL) {
		resmgr_snapshot_free(&m->snapshot);
		m->snapshot = *job->snapshot;
		m->have_snapshot = true;
		clock_gettime(CLOCK_MONOTONIC, &m->taken);
		job->snapshot->owners = NULL;
	}
	if (m != NULL)
		m->pending = false;
	resmgr_snapshot_free(job->snapshot);
	free(job->snapshot);
	job_free(job);
}

/* Whether the TPM answered recently. */
static bool
metrics_healthy(const struct metrics *m)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return m->have_snapshot && m->snapshot.backend_up &&
	    now.tv_sec - m->taken.tv_sec < METRICS_STALE_S;
}

/* One counter or gauge family of per-socket values. */
static void
metrics_family(struct evbuffer *out, const struct stats *st,
    const char *name, const char *type, const char *help,
    size_t offset)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
	for (size_t i = 0; i < stats_count(st); i++) {
		const struct stats_socket *ss = stats_at(st, i);
		uint64_t v;

		memcpy(&v, (const char *)ss + offset, sizeof(v));
		evbuffer_add_printf(out, "%s{socket=\"%s\"} %llu\n", name,
		    ss->name, (unsigned long long)v);
	}
}

/* The latency histogram of every socket, in seconds. */
static void
metrics_histogram(struct evbuffer *out, const struct stats *st)
{
	const char *name = "tpmproxy_command_duration_seconds";

	evbuffer_add_printf(out, "# HELP %s Time from a command's arrival to "
	    "its response, queueing included.\n# TYPE %s histogram\n", name,
	    name);
	for (size_t i = 0; i < stats_count(st); i++) {
		const struct stats_socket *ss = stats_at(st, i);
		uint64_t cumulative = 0;

		for (size_t b = 0; b + 1 < STATS_BUCKETS; b++) {
			cumulative += ss->latency[b];
			evbuffer_add_printf(out, "%s_bucket{socket=\"%s\","
			    "le=\"%g\"} %llu\n", name, ss->name,
			    (double)stats_bucket_bound(b) / 1e6,
			    (unsigned long long)cumulative);
		}
		cumulative += ss->latency[STATS_BUCKETS - 1];
		evbuffer_add_printf(out, "%s_bucket{socket=\"%s\",le=\"+Inf\"} "
		    "%llu\n%s_sum{socket=\"%s\"} %.6f\n%s_count{socket=\"%s\"} "
		    "%llu\n", name, ss->name, (unsigned long long)cumulative,
		    name, ss->name, (double)ss->latency_sum_us / 1e6, name,
		    ss->name, (unsigned long long)cumulative);
	}
}

/* One unlabelled value. */
static void
metrics_value(struct evbuffer *out, const char *name, const char *type,
    const char *help, uint64_t v)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name,
	    help, name, type, name, (unsigned long long)v);
}

/* The standard process_* figures (procstat.c). */
static void
metrics_process(struct evbuffer *out)
{
	struct procstat p;

	procstat_read(&p);
	if (p.open_fds >= 0)
		metrics_value(out, "process_open_fds", "gauge",
		    "Open file descriptors.", (uint64_t)p.open_fds);
	if (p.max_fds >= 0)
		metrics_value(out, "process_max_fds", "gauge",
		    "Maximum number of open file descriptors.",
		    (uint64_t)p.max_fds);
	if (p.rss_bytes > 0)
		metrics_value(out, "process_resident_memory_bytes", "gauge",
		    "Resident memory size in bytes.", p.rss_bytes);
	if (p.cpu_seconds >= 0)
		evbuffer_add_printf(out, "# HELP process_cpu_seconds_total "
		    "Total user and system CPU time spent in seconds.\n"
		    "# TYPE process_cpu_seconds_total counter\n"
		    "process_cpu_seconds_total %.2f\n", p.cpu_seconds);
}

/* GET /metrics. */
static void
metrics_render(struct metrics *m, struct evbuffer *out)
{
	const struct stats *st = m->d->stats;
	const struct resmgr_snapshot *s = &m->snapshot;

	metrics_value(out, "tpmproxy_backend_up", "gauge",
	    "Whether the last TPM command got an answer.",
	    (uint64_t)metrics_healthy(m));
	metrics_value(out, "tpmproxy_connections", "gauge",
	    "Client connections open.", conn_count(m->d));
	metrics_value(out, "tpmproxy_control_connections", "gauge",
	    "Connections open on the sockets' simulator control channels.",
	    ctrlconn_count(m->d));
	metrics_value(out, "tpmproxy_owner_processes", "gauge",
	    "Client processes (tcti-swtpm) owning TPM resources, or known to.",
	    procown_count(m->d));
	metrics_family(out, st, "tpmproxy_connections_total", "counter",
	    "Client connections accepted.",
	    offsetof(struct stats_socket, connections));
	metrics_family(out, st, "tpmproxy_commands_total", "counter",
	    "Client commands answered.",
	    offsetof(struct stats_socket, commands));
	metrics_family(out, st, "tpmproxy_denied_total", "counter",
	    "Commands the socket's profile denied.",
	    offsetof(struct stats_socket, denied));
	metrics_family(out, st, "tpmproxy_over_quota_total", "counter",
	    "Commands and connections refused by a quota.",
	    offsetof(struct stats_socket, over_quota));
	metrics_family(out, st, "tpmproxy_rate_limited_total", "counter",
	    "Commands answered TPM_RC_RETRY by the rate limit.",
	    offsetof(struct stats_socket, rate_limited));
	metrics_family(out, st, "tpmproxy_delayed_total", "counter",
	    "Commands held back by the rate limit.",
	    offsetof(struct stats_socket, delayed));
	metrics_histogram(out, st);
	metrics_value(out, "tpmproxy_tpm_commands_total", "counter",
	    "Commands sent to the TPM, the resource manager's included.",
	    s->tpm_commands);
	metrics_value(out, "tpmproxy_backend_failures_total", "counter",
	    "TPM round trips that failed.", s->backend_failures);
	metrics_value(out, "tpmproxy_backend_reopens_total", "counter",
	    "Times the TPM was reopened after a failure.", s->backend_reopens);
	metrics_value(out, "tpmproxy_context_loads_total", "counter",
	    "Contexts loaded back into the TPM.", s->stats.loads);
	metrics_value(out, "tpmproxy_evictions_total", "counter",
	    "Contexts swapped out to make room.", s->stats.evictions);
	metrics_value(out, "tpmproxy_regaps_total", "counter",
	    "Saved sessions re-saved for the context gap.", s->stats.regaps);
	metrics_value(out, "tpmproxy_retries_total", "counter",
	    "Commands resent after the TPM was full.", s->stats.retries);
	metrics_value(out, "tpmproxy_handle_denials_total", "counter",
	    "Commands naming a handle the client does not hold.",
	    s->stats.denied);
	metrics_value(out, "tpmproxy_flushed_total", "counter",
	    "Handles flushed for clients that left.", s->stats.flushed);
	if (m->d->audit != NULL) {
		metrics_value(out, "tpmproxy_audit_records_total", "counter",
		    "Audit records made.", audit_records(m->d->audit));
		metrics_value(out, "tpmproxy_audit_failures_total", "counter",
		    "Times the audit log could not be written.",
		    audit_failures(m->d->audit));
		metrics_value(out, "tpmproxy_audit_lost_total", "counter",
		    "Audit records dropped while it could not be written.",
		    audit_lost(m->d->audit));
	}
	metrics_value(out, "tpmproxy_objects_loaded", "gauge",
	    "Client objects and sequences loaded in the TPM.",
	    s->loaded_objects);
	metrics_value(out, "tpmproxy_sessions_loaded", "gauge",
	    "Client sessions loaded in the TPM.", s->loaded_sessions);
	metrics_process(out);
}

/* Answer one HTTP request. */
static void
metrics_request_cb(struct evhttp_request *req, void *arg)
{
	struct metrics *m = arg;
	const char *uri = evhttp_request_get_uri(req);
	struct evbuffer *out = evbuffer_new();
	int code = 200;

	if (out == NULL) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		code = 405;
		evbuffer_add_printf(out, "GET or HEAD only\n");
	} else if (strcmp(uri, "/metrics") == 0) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Type", "text/plain; version=0.0.4");
		metrics_render(m, out);
	} else if (strcmp(uri, "/healthz") == 0) {
		code = metrics_healthy(m) ? 200 : 503;
		evbuffer_add_printf(out, code == 200 ? "ok\n" :
		    "TPM not answering\n");
	} else if (strcmp(uri, "/readyz") == 0) {
		/* Serving: sockets published, not stopping, the TPM thread
		 * answered once. */
		code = !m->d->stopping && m->have_snapshot ? 200 : 503;
		evbuffer_add_printf(out, code == 200 ? "ready\n" :
		    "not ready\n");
	} else {
		code = 404;
		evbuffer_add_printf(out, "not found\n");
	}
	evhttp_send_reply(req, code, code == 200 ? "OK" : "Error", out);
	evbuffer_free(out);
}

/* Pause evhttp's listener when descriptors run out (acceptguard.c):
 * anyone who reaches the port could otherwise make the loop spin. */
static int
metrics_guard(struct metrics *m, struct evhttp_bound_socket *bound)
{
	return accept_guard_new(m->d->base,
	    evhttp_bound_socket_get_listener(bound), "metrics", &m->guard);
}

/* Bind a unix socket for evhttp (mode 0660). */
static int
metrics_bind_unix(struct metrics *m, const char *path)
{
	struct evhttp_bound_socket *bound;
	int fd;

	if (strlen(path) >= sizeof(m->unix_path))
		return -ENAMETOOLONG;
	fd = listener_unix_socket(path, 0660, false, 0, 0, 16);
	if (fd < 0)
		return fd;
	bound = evhttp_accept_socket_with_handle(m->http, fd);
	if (bound == NULL) {
		close(fd);
		unlink(path);
		return -EIO;
	}
	strcpy(m->unix_path, path);
	return metrics_guard(m, bound);
}

/* Split host:port ([v6]:port too) and bind evhttp to it. */
static int
metrics_bind_tcp(struct metrics *m, const char *listen)
{
	struct evhttp_bound_socket *bound;
	char host[256];
	const char *colon = strrchr(listen, ':');
	size_t n;
	char *end;
	long port;

	if (colon == NULL || colon == listen)
		return -EINVAL;
	n = (size_t)(colon - listen);
	if (listen[0] == '[' && n >= 2 && listen[n - 1] == ']') {
		listen++;
		n -= 2;
	}
	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, listen, n);
	host[n] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		return -EINVAL;
	bound = evhttp_bind_socket_with_handle(m->http, host, (uint16_t)port);
	return bound != NULL ? metrics_guard(m, bound) : -EADDRINUSE;
}

/* Serve metrics and probes on listen ("host:port" or "unix:PATH"). */
int
metrics_open(struct daemon *d, const char *listen)
{
	struct timeval second = { 1, 0 };
	struct metrics *m;
	int r;

	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	m->d = d;
	m->http = evhttp_new(d->base);
	m->ev_tick = event_new(d->base, -1, EV_PERSIST, metrics_tick_cb, m);
	if (m->http == NULL || m->ev_tick == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	evhttp_set_gencb(m->http, metrics_request_cb, m);
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	if (strncmp(listen, "unix:", 5) == 0)
		r = metrics_bind_unix(m, listen + 5);
	else
		r = metrics_bind_tcp(m, listen);
	if (r != 0) {
		log_error("metrics-listen %s: cannot listen (%s)", listen,
		    strerror(-r));
		goto fail;
	}
	event_add(m->ev_tick, &second);
	d->metrics = m;
	metrics_tick_cb(-1, 0, m);
	log_info("metrics and probes on %s", listen);
	return 0;
fail:
	if (m->ev_tick != NULL)
		event_free(m->ev_tick);
	accept_guard_free(m->guard);
	if (m->http != NULL)
		evhttp_free(m->http);
	free(m);
	return r;
}

/* Stop serving; a snapshot still on its way is freed when it comes. */
void
metrics_close(struct daemon *d)
{
	struct metrics *m = d->metrics;

	if (m == NULL)
		return;
	event_free(m->ev_tick);
	accept_guard_free(m->guard);
	evhttp_free(m->http);
	if (m->unix_path[0] != '\0')
		unlink(m->unix_path);
	resmgr_snapshot_free(&m->snapshot);
	free(m);
	d->metrics = NULL;
}

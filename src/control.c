/* SPDX-License-Identifier: BSD-2-Clause */
/* The control socket tpmproxyctl talks to: status, clients, stats,
 * sockets and reload, as text tables or JSON.
 *
 * A request is one line, "COMMAND [--json]"; the answer is the whole
 * output, then the daemon closes the connection. What the resource manager
 * knows is asked of the TPM thread with a snapshot job, like any other
 * job; everything else is the loop thread's own. The socket is created
 * 0600: only root (or the daemon's user) may use it. */
#include "control.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

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

#define CONTROL_LINE_MAX 256
#define CONTROL_MAX_CLIENTS 1024

struct control_client {
	uint64_t id;
	struct control *ctl;
	struct bufferevent *bev;
	char command[16];
	bool json;
	bool waiting;               /* for a snapshot job */
	LIST_ENTRY(control_client) entry;
};

struct control {
	struct daemon *d;
	struct evconnlistener *evl;
	struct accept_guard *guard;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint64_t next_id;
	LIST_HEAD(, control_client) clients;
};

/* Close a control connection. */
static void
control_client_free(struct control_client *cc)
{
	LIST_REMOVE(cc, entry);
	bufferevent_free(cc->bev);
	free(cc);
}

/* Write s as a JSON string. */
static void
control_json_string(struct evbuffer *out, const char *s)
{
	evbuffer_add(out, "\"", 1);
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			evbuffer_add_printf(out, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			evbuffer_add_printf(out, "\\u%04x", ch);
		else
			evbuffer_add(out, s, 1);
	}
	evbuffer_add(out, "\"", 1);
}

/* The width a table's name column needs for name (names are at most 64
 * characters, config.c). */
static int
control_width(int width, const char *name)
{
	int n = (int)strlen(name);

	return n > width ? n : width;
}

/* Seconds since a monotonic time. */
static double
control_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) +
	    (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* tpmproxyctl status. */
static void
control_status(struct control *ctl, const struct resmgr_snapshot *s,
    bool json, struct evbuffer *out)
{
	struct daemon *d = ctl->d;
	const struct config *c = policy_config(d->policy);
	struct procstat p;

	procstat_read(&p);
	if (json) {
		evbuffer_add_printf(out, "{\"version\":\"%s\",\"backend\":",
		    PACKAGE_VERSION);
		control_json_string(out, c->tcti);
		evbuffer_add_printf(out, ",\"tpm_vendor\":");
		control_json_string(out, d->tpm_vendor);
		evbuffer_add_printf(out, ",\"tpm_firmware\":");
		control_json_string(out, d->tpm_firmware);
		evbuffer_add_printf(out, ",\"uptime_s\":%.0f,\"connections\":%zu,"
		    "\"control_connections\":%zu,\"owner_processes\":%zu,"
		    "\"sockets\":%zu,\"objects_loaded\":%u,\"object_slots\":%u,"
		    "\"sessions_loaded\":%u,\"session_slots\":%u,"
		    "\"client_saved_sessions\":%u,\"tpm_commands\":%llu,"
		    "\"backend_reopens\":%llu,\"open_fds\":%ld,"
		    "\"max_fds\":%ld,\"rss_bytes\":%llu,"
		    "\"cpu_seconds\":%.2f}\n", control_since(&d->started),
		    conn_count(d), ctrlconn_count(d), procown_count(d),
		    c->nsockets, s->loaded_objects,
		    s->object_slots, s->loaded_sessions, s->session_slots,
		    s->client_saved, (unsigned long long)s->tpm_commands,
		    (unsigned long long)s->backend_reopens, p.open_fds,
		    p.max_fds, (unsigned long long)p.rss_bytes, p.cpu_seconds);
		return;
	}
	evbuffer_add_printf(out,
	    "version          %s\n"
	    "backend          %s\n"
	    "tpm              %s, firmware %s\n"
	    "uptime           %.0f s\n"
	    "connections      %zu on %zu sockets (%zu on control "
	    "channels)\n"
	    "objects loaded   %u of %u slots\n"
	    "sessions loaded  %u of %u slots\n"
	    "saved sessions   %u kept for clients\n"
	    "tpm commands     %llu (backend reopened %llu times)\n"
	    "process          %ld of %ld file descriptors, %.1f MiB resident, "
	    "%.2f s CPU\n",
	    PACKAGE_VERSION, c->tcti, d->tpm_vendor, d->tpm_firmware,
	    control_since(&d->started), conn_count(d), c->nsockets,
	    ctrlconn_count(d), s->loaded_objects, s->object_slots, s->loaded_sessions,
	    s->session_slots, s->client_saved,
	    (unsigned long long)s->tpm_commands,
	    (unsigned long long)s->backend_reopens, p.open_fds, p.max_fds,
	    (double)p.rss_bytes / 1048576.0, p.cpu_seconds);
}

/* What a connection holds, from the snapshot. */
static const struct resmgr_owner_usage *
control_usage(const struct resmgr_snapshot *s, uint64_t id)
{
	for (size_t i = 0; i < s->nowners; i++) {
		if (s->owners[i].owner == id)
			return &s->owners[i];
	}
	return NULL;
}

/* tpmproxyctl clients. */
static void
control_clients(struct control *ctl, const struct resmgr_snapshot *s,
    bool json, struct evbuffer *out)
{
	struct conn_info *list;
	size_t n = conn_count(ctl->d);
	int width = 6;

	list = calloc(n ? n : 1, sizeof(*list));
	if (list == NULL)
		return;
	n = conn_list(ctl->d, list, n);
	for (size_t i = 0; i < n; i++)
		width = control_width(width, list[i].socket);
	if (json)
		evbuffer_add(out, "[", 1);
	else
		evbuffer_add_printf(out, "%-6s %-*s %-36s %6s %6s %8s %7s %8s "
		    "%8s %8s\n", "ID", width, "SOCKET", "POD", "UID", "GID", "PID",
		    "OBJECTS", "SESSIONS", "COMMANDS", "AGE(s)");
	for (size_t i = 0; i < n; i++) {
		const struct resmgr_owner_usage *u = control_usage(s,
		    list[i].owner);
		unsigned objects = u ? u->objects : 0;
		unsigned sessions = u ? u->sessions : 0;

		if (json) {
			evbuffer_add_printf(out, "%s{\"id\":%llu,\"socket\":",
			    i ? "," : "", (unsigned long long)list[i].id);
			control_json_string(out, list[i].socket);
			evbuffer_add_printf(out, ",\"pod\":");
			control_json_string(out, list[i].pod);
			evbuffer_add_printf(out, ",\"framing\":\"%s\","
			    "\"owner\":%llu,\"uid\":%ld,\"gid\":%ld,"
			    "\"pid\":%ld,\"objects\":%u,\"sessions\":%u,"
			    "\"commands\":%llu,\"age_s\":%.0f}", list[i].framing,
			    (unsigned long long)list[i].owner, list[i].uid,
			    list[i].gid, list[i].pid, objects, sessions,
			    (unsigned long long)list[i].commands,
			    control_since(&list[i].since));
		} else {
			evbuffer_add_printf(out, "%-6llu %-*s %-36s %6ld %6ld "
			    "%8ld %7u %8u %8llu %8.0f\n",
			    (unsigned long long)list[i].id, width, list[i].socket,
			    list[i].pod[0] ? list[i].pod : "-", list[i].uid,
			    list[i].gid, list[i].pid, objects, sessions,
			    (unsigned long long)list[i].commands,
			    control_since(&list[i].since));
		}
	}
	if (json)
		evbuffer_add(out, "]\n", 2);
	free(list);
}

/* One row of tpmproxyctl stats. */
static void
control_stats_row(const struct stats_socket *ss, const char *name, bool json,
    bool first, int width, struct evbuffer *out)
{
	if (json) {
		evbuffer_add_printf(out, "%s{\"socket\":", first ? "" : ",");
		control_json_string(out, name);
		evbuffer_add_printf(out, ",\"connections\":%llu,\"commands\":%llu,"
		    "\"denied\":%llu,\"over_quota\":%llu,\"rate_limited\":%llu,"
		    "\"delayed\":%llu,\"latency_p50_us\":%llu,"
		    "\"latency_p99_us\":%llu}",
		    (unsigned long long)ss->connections,
		    (unsigned long long)ss->commands,
		    (unsigned long long)ss->denied,
		    (unsigned long long)ss->over_quota,
		    (unsigned long long)ss->rate_limited,
		    (unsigned long long)ss->delayed,
		    (unsigned long long)stats_percentile(ss, 0.5),
		    (unsigned long long)stats_percentile(ss, 0.99));
		return;
	}
	evbuffer_add_printf(out, "%-*s %8llu %10llu %8llu %8llu %8llu %8llu "
	    "%10llu %10llu\n", width, name, (unsigned long long)ss->connections,
	    (unsigned long long)ss->commands, (unsigned long long)ss->denied,
	    (unsigned long long)ss->over_quota,
	    (unsigned long long)ss->rate_limited,
	    (unsigned long long)ss->delayed,
	    (unsigned long long)stats_percentile(ss, 0.5),
	    (unsigned long long)stats_percentile(ss, 0.99));
}

/* tpmproxyctl stats: per socket and total, plus the resource manager's. */
static void
control_stats(struct control *ctl, const struct resmgr_snapshot *s,
    bool json, struct evbuffer *out)
{
	const struct stats *st = ctl->d->stats;
	const struct resmgr_stats *r = &s->stats;
	struct stats_socket total;
	int width = 6;

	stats_total(st, &total);
	for (size_t i = 0; i < stats_count(st); i++)
		width = control_width(width, stats_at(st, i)->name);
	if (json)
		evbuffer_add_printf(out, "{\"sockets\":[");
	else
		evbuffer_add_printf(out, "%-*s %8s %10s %8s %8s %8s %8s %10s "
		    "%10s\n", width, "SOCKET", "CONNS", "COMMANDS", "DENIED",
		    "QUOTA", "RATE", "DELAYED", "P50(us)", "P99(us)");
	for (size_t i = 0; i < stats_count(st); i++)
		control_stats_row(stats_at(st, i), stats_at(st, i)->name, json,
		    i == 0, width, out);
	if (json) {
		evbuffer_add_printf(out, "],\"total\":");
		control_stats_row(&total, "total", true, true, width, out);
		evbuffer_add_printf(out, ",\"tpm_commands\":%llu,"
		    "\"rm_commands\":%llu,\"answered_by_proxy\":%llu,"
		    "\"handle_denials\":%llu,\"loads\":%llu,\"evictions\":%llu,"
		    "\"regaps\":%llu,\"retries\":%llu,\"flushed\":%llu,"
		    "\"rm_over_quota\":%llu,\"audit_records\":%llu,"
		    "\"audit_failures\":%llu,\"audit_lost\":%llu}\n",
		    (unsigned long long)s->tpm_commands,
		    (unsigned long long)r->commands,
		    (unsigned long long)r->answered,
		    (unsigned long long)r->denied,
		    (unsigned long long)r->loads,
		    (unsigned long long)r->evictions,
		    (unsigned long long)r->regaps,
		    (unsigned long long)r->retries,
		    (unsigned long long)r->flushed,
		    (unsigned long long)r->over_quota,
		    (unsigned long long)(ctl->d->audit ?
			audit_records(ctl->d->audit) : 0),
		    (unsigned long long)(ctl->d->audit ?
			audit_failures(ctl->d->audit) : 0),
		    (unsigned long long)(ctl->d->audit ?
			audit_lost(ctl->d->audit) : 0));
		return;
	}
	control_stats_row(&total, "total", false, false, width, out);
	if (ctl->d->audit != NULL)
		evbuffer_add_printf(out, "\naudit log: %llu records, %llu write "
		    "failures, %llu records lost\n",
		    (unsigned long long)audit_records(ctl->d->audit),
		    (unsigned long long)audit_failures(ctl->d->audit),
		    (unsigned long long)audit_lost(ctl->d->audit));
	evbuffer_add_printf(out, "\nresource manager: %llu commands, %llu TPM "
	    "commands, %llu answered by the proxy, %llu handle denials,\n"
	    "  %llu loads, %llu evictions, %llu regaps, %llu retries, "
	    "%llu flushed, %llu over quota\n",
	    (unsigned long long)r->commands,
	    (unsigned long long)s->tpm_commands,
	    (unsigned long long)r->answered, (unsigned long long)r->denied,
	    (unsigned long long)r->loads, (unsigned long long)r->evictions,
	    (unsigned long long)r->regaps, (unsigned long long)r->retries,
	    (unsigned long long)r->flushed,
	    (unsigned long long)r->over_quota);
}

/* tpmproxyctl sockets: the configuration in force. */
static void
control_sockets(struct control *ctl, bool json, struct evbuffer *out)
{
	const struct config *c = policy_config(ctl->d->policy);
	int width = 6, pwidth = 7;

	for (size_t i = 0; i < c->nsockets; i++) {
		width = control_width(width, c->sockets[i].name);
		pwidth = control_width(pwidth, c->sockets[i].profile);
	}
	if (json)
		evbuffer_add(out, "[", 1);
	else
		evbuffer_add_printf(out, "%-*s %-*s %4s %6s %7s %8s %8s %s\n",
		    width, "SOCKET", pwidth, "PROFILE", "MODE", "CONNS",
		    "OBJECTS", "SESSIONS", "RATE", "PATH");
	for (size_t i = 0; i < c->nsockets; i++) {
		const struct config_socket *s = &c->sockets[i];

		if (json) {
			evbuffer_add_printf(out, "%s{\"name\":", i ? "," : "");
			control_json_string(out, s->name);
			evbuffer_add_printf(out, ",\"path\":");
			control_json_string(out, s->path);
			evbuffer_add_printf(out, ",\"profile\":");
			control_json_string(out, s->profile);
			evbuffer_add_printf(out, ",\"mode\":\"%04o\","
			    "\"max_connections\":%u,\"max_objects\":%u,"
			    "\"max_sessions\":%u,\"max_nv_indices\":%u,"
			    "\"max_saved_contexts\":%u,\"rate\":%g,\"burst\":%u}",
			    (unsigned)s->mode, s->max_connections,
			    s->max_objects, s->max_sessions, s->max_nv_indices,
			    s->max_saved_contexts, s->rate, s->burst);
		} else {
			evbuffer_add_printf(out, "%-*s %-*s %04o %6u %7u %8u "
			    "%8g %s\n", width, s->name, pwidth, s->profile,
			    (unsigned)s->mode,
			    s->max_connections, s->max_objects, s->max_sessions,
			    s->rate, s->path);
		}
	}
	if (json)
		evbuffer_add(out, "]\n", 2);
}

/* Send the answer and close once it is written. */
static void
control_finish(struct control_client *cc)
{
	bufferevent_disable(cc->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(cc->bev)) == 0)
		control_client_free(cc);
	/* else control_write_cb frees it */
}

/* A snapshot the TPM thread took for a waiting client. */
void
control_job_done(struct daemon *d, struct job *job)
{
	struct control *ctl = d->control;
	struct control_client *cc;
	struct evbuffer *out;

	if (ctl != NULL) {
		LIST_FOREACH(cc, &ctl->clients, entry) {
			if (cc->id == job->requester && cc->waiting)
				break;
		}
	} else {
		cc = NULL;
	}
	if (cc != NULL) {
		out = bufferevent_get_output(cc->bev);
		cc->waiting = false;
		if (job->snapshot->owners == NULL)
			evbuffer_add_printf(out, "error: out of memory\n");
		else if (strcmp(cc->command, "status") == 0)
			control_status(ctl, job->snapshot, cc->json, out);
		else if (strcmp(cc->command, "clients") == 0)
			control_clients(ctl, job->snapshot, cc->json, out);
		else
			control_stats(ctl, job->snapshot, cc->json, out);
		control_finish(cc);
	}
	resmgr_snapshot_free(job->snapshot);
	free(job->snapshot);
	job_free(job);
}

/* Ask the TPM thread for a snapshot for this client. */
static int
control_request_snapshot(struct control_client *cc)
{
	struct job *job = job_new(JOB_SNAPSHOT, 0, NULL, 0, 0);

	if (job == NULL)
		return -ENOMEM;
	job->snapshot = calloc(1, sizeof(*job->snapshot));
	job->requester = cc->id;
	if (job->snapshot == NULL ||
	    worker_submit(cc->ctl->d->worker, job) != 0) {
		free(job->snapshot);
		job_free(job);
		return -ENOMEM;
	}
	cc->waiting = true;
	return 0;
}

/* Parse and run one request line. */
static void
control_request(struct control_client *cc, char *line)
{
	struct evbuffer *out = bufferevent_get_output(cc->bev);
	char *word, *save = NULL;

	word = strtok_r(line, " \t\r", &save);
	if (word == NULL || strlen(word) >= sizeof(cc->command)) {
		evbuffer_add_printf(out, "error: empty or unknown request\n");
		control_finish(cc);
		return;
	}
	strcpy(cc->command, word);
	while ((word = strtok_r(NULL, " \t\r", &save)) != NULL) {
		if (strcmp(word, "--json") == 0)
			cc->json = true;
	}
	if (strcmp(cc->command, "status") == 0 ||
	    strcmp(cc->command, "clients") == 0 ||
	    strcmp(cc->command, "stats") == 0) {
		if (control_request_snapshot(cc) != 0) {
			evbuffer_add_printf(out, "error: out of memory\n");
			control_finish(cc);
		}
		return;
	}
	if (strcmp(cc->command, "sockets") == 0) {
		control_sockets(cc->ctl, cc->json, out);
	} else if (strcmp(cc->command, "reload") == 0) {
		if (cc->ctl->d->reload(cc->ctl->d) == 0)
			evbuffer_add_printf(out, cc->json ?
			    "{\"reloaded\":true}\n" : "configuration reloaded\n");
		else
			evbuffer_add_printf(out, cc->json ?
			    "{\"reloaded\":false}\n" : "error: reload failed, "
			    "the running configuration is kept (see the log)\n");
	} else {
		evbuffer_add_printf(out, "error: unknown request \"%s\"\n",
		    cc->command);
	}
	control_finish(cc);
}

/* Input from a control client: one line, bounded. */
static void
control_read_cb(struct bufferevent *bev, void *arg)
{
	struct control_client *cc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t len;

	if (cc->waiting)
		return;
	line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
	if (line == NULL) {
		if (evbuffer_get_length(in) > CONTROL_LINE_MAX)
			control_client_free(cc);
		return;
	}
	control_request(cc, line);
	free(line);
}

/* The answer is out: close. */
static void
control_write_cb(struct bufferevent *bev, void *arg)
{
	struct control_client *cc = arg;

	if (!cc->waiting && !(bufferevent_get_enabled(bev) & EV_READ))
		control_client_free(cc);
}

/* The client finished writing (EOF), or went away (error). */
static void
control_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct control_client *cc = arg;

	/* A client that sent its request and shut down its side still
	 * reads the answer; a pending snapshot for one that is gone finds
	 * no client and is just freed. */
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
	    cc->waiting) {
		bufferevent_disable(bev, EV_READ);
		return;
	}
	control_client_free(cc);
}

/* A new control client. */
static void
control_accept_cb(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *arg)
{
	struct control *ctl = arg;
	struct control_client *cc, *c;
	size_t n = 0;

	LIST_FOREACH(c, &ctl->clients, entry)
		n++;
	cc = n < CONTROL_MAX_CLIENTS ? calloc(1, sizeof(*cc)) : NULL;
	if (cc == NULL) {
		close(fd);
		return;
	}
	cc->id = ++ctl->next_id;
	cc->ctl = ctl;
	cc->bev = bufferevent_socket_new(ctl->d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (cc->bev == NULL) {
		close(fd);
		free(cc);
		return;
	}
	LIST_INSERT_HEAD(&ctl->clients, cc, entry);
	bufferevent_setcb(cc->bev, control_read_cb, control_write_cb,
	    control_event_cb, cc);
	bufferevent_setwatermark(cc->bev, EV_READ, 0, CONTROL_LINE_MAX + 1);
	bufferevent_enable(cc->bev, EV_READ);
}

/* Listen on the control socket (mode 0600, replacing a stale one). */
int
control_open(struct daemon *d, const char *path)
{
	struct control *ctl;
	int fd;

	if (strlen(path) >= sizeof(ctl->path)) {
		log_error("control socket path %s is too long", path);
		return -ENAMETOOLONG;
	}
	ctl = calloc(1, sizeof(*ctl));
	if (ctl == NULL)
		return -ENOMEM;
	ctl->d = d;
	strcpy(ctl->path, path);
	LIST_INIT(&ctl->clients);
	fd = listener_unix_socket(path, 0600, false, 0, 0, 16);
	if (fd < 0) {
		log_error("control socket %s: %s", path, strerror(-fd));
		free(ctl);
		return fd;
	}
	ctl->evl = evconnlistener_new(d->base, control_accept_cb, ctl,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (ctl->evl == NULL || accept_guard_new(d->base, ctl->evl,
	    "control socket", &ctl->guard) != 0) {
		if (ctl->evl != NULL)
			evconnlistener_free(ctl->evl);
		else
			close(fd);
		unlink(path);
		free(ctl);
		return -ENOMEM;
	}
	d->control = ctl;
	log_info("control socket on %s", path);
	return 0;
}

/* Stop the control socket and its clients. */
void
control_close(struct daemon *d)
{
	struct control *ctl = d->control;
	struct control_client *cc;

	if (ctl == NULL)
		return;
	while ((cc = LIST_FIRST(&ctl->clients)) != NULL)
		control_client_free(cc);
	accept_guard_free(ctl->guard);
	evconnlistener_free(ctl->evl);
	unlink(ctl->path);
	free(ctl);
	d->control = NULL;
}

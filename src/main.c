/* SPDX-License-Identifier: BSD-2-Clause */
/* tpmproxyd: options, start-up order, the event loop and shutdown. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include <tss2/tss2_tpm2_types.h>

#include "audit.h"
#include "backend.h"
#include "cmdattrs.h"
#include "config.h"
#include "conn.h"
#include "control.h"
#include "ctrlconn.h"
#include "daemon.h"
#include "frame.h"
#include "identity.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "options.h"
#include "policy.h"
#include "procown.h"
#include "resmgr.h"
#include "sandbox.h"
#include "stats.h"
#include "tpmcmd.h"
#include "worker.h"

/* Largest TPM buffer we accept from a TPM's self-description. */
#define MAIN_MAX_TPM_BUFFER 65536

/* Who a daemon started as root becomes, unless the config says. */
#define MAIN_DEFAULT_USER "tss"

/* The configuration in force. */
static const struct config *
main_config(const struct daemon *d)
{
	return policy_config(d->policy);
}

/* Detach, keeping the parent until the child is ready: the parent exits 0
 * when the sockets are published, or with the child's status if start-up
 * fails (whose reason the child has already printed). Returns the write
 * end of the readiness pipe in the child. */
static int
main_daemonize(void)
{
	int pipefd[2], status;
	char ready;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) != 0)
		fatal("pipe");
	pid = fork();
	if (pid < 0)
		fatal("fork");
	if (pid > 0) {
		close(pipefd[1]);
		if (read(pipefd[0], &ready, 1) == 1)
			_exit(0);
		if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
			_exit(WEXITSTATUS(status) ? WEXITSTATUS(status) : 1);
		_exit(1);
	}
	close(pipefd[0]);
	if (setsid() < 0)
		fatal("setsid");
	return pipefd[1];
}

/* Tell the waiting parent we serve, and let go of the terminal. */
static void
main_detached(int ready_fd)
{
	int null;

	if (ready_fd < 0)
		return;
	log_to_syslog();
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	if (write(ready_fd, "1", 1) != 1)
		log_warn("readiness pipe");
	close(ready_fd);
}

/* Read a size property, falling back and clamping to sane bounds. */
static uint32_t
main_tpm_size(struct backend *be, uint32_t property, const char *name)
{
	uint32_t value = 4096, rc;

	rc = tpmcmd_get_property(be, property, &value);
	if (rc != TPM2_RC_SUCCESS)
		log_warnx("cannot read %s (0x%x); assuming 4096", name, rc);
	if (value < FRAME_MIN_MAX_SIZE)
		value = FRAME_MIN_MAX_SIZE;
	if (value > MAIN_MAX_TPM_BUFFER)
		value = MAIN_MAX_TPM_BUFFER;
	return value;
}

/* The TPM's vendor and firmware version, for tpmproxyctl status. */
static void
main_tpm_identity(struct daemon *d)
{
	uint32_t vendor = 0, fw1 = 0, fw2 = 0;
	char id[5];

	tpmcmd_get_property(d->backend, TPM2_PT_MANUFACTURER, &vendor);
	tpmcmd_get_property(d->backend, TPM2_PT_FIRMWARE_VERSION_1, &fw1);
	tpmcmd_get_property(d->backend, TPM2_PT_FIRMWARE_VERSION_2, &fw2);
	/* TPM2 Part 2, 6.13: four ASCII characters, NUL-padded. */
	for (int i = 0; i < 4; i++) {
		char ch = (char)(vendor >> (24 - 8 * i));

		id[i] = ch >= 0x20 && ch < 0x7f ? ch : ' ';
	}
	id[4] = '\0';
	snprintf(d->tpm_vendor, sizeof(d->tpm_vendor), "%s", id);
	snprintf(d->tpm_firmware, sizeof(d->tpm_firmware), "%08x.%08x", fw1,
	    fw2);
}

/* Make sure the TPM is started and learn its sizes and commands. */
static void
main_prepare_tpm(struct daemon *d)
{
	uint32_t value, rc;

	rc = tpmcmd_get_property(d->backend, TPM2_PT_MAX_COMMAND_SIZE, &value);
	if (rc == TPM2_RC_INITIALIZE) {
		/* TPM2 Part 3, 9.3: nothing works before Startup. */
		log_info("TPM not started; sending TPM2_Startup(CLEAR)");
		rc = tpmcmd_startup(d->backend, TPM2_SU_CLEAR);
		if (rc != TPM2_RC_SUCCESS && rc != TPM2_RC_INITIALIZE)
			fatalx("TPM2_Startup failed: 0x%x", rc);
	} else if ((rc & TSS2_RC_LAYER_MASK) != 0) {
		fatalx("TPM backend \"%s\" does not answer",
		    main_config(d)->tcti);
	}
	d->max_command_size = main_tpm_size(d->backend,
	    TPM2_PT_MAX_COMMAND_SIZE, "TPM2_PT_MAX_COMMAND_SIZE");
	d->max_response_size = main_tpm_size(d->backend,
	    TPM2_PT_MAX_RESPONSE_SIZE, "TPM2_PT_MAX_RESPONSE_SIZE");
	if (cmdattrs_load(d->backend, &d->attrs) != 0)
		fatalx("cannot read the TPM's command attributes");
	main_tpm_identity(d);
	log_info("TPM ready: %zu commands, max command %u bytes, max response "
	    "%u bytes", cmdattrs_count(d->attrs), d->max_command_size,
	    d->max_response_size);
}

/* The shutdown grace period is over: drop whoever is left. */
static void
main_grace_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	log_warnx("shutdown grace period over; closing %zu connections",
	    conn_count(d));
	conn_close_all(d);
	event_base_loopexit(d->base, NULL);
}

/* Stop accepting, let commands in flight finish, then leave the loop. */
static void
main_begin_shutdown(struct daemon *d)
{
	struct timeval grace;

	if (d->stopping)
		return;
	d->stopping = true;
	listener_close_all(d);
	control_close(d);
	metrics_close(d);
	ctrlconn_close_all(d);
	conn_shutdown_all(d);
	if (conn_count(d) == 0) {
		event_base_loopexit(d->base, NULL);
		return;
	}
	log_info("waiting for %zu connections to finish", conn_count(d));
	grace = daemon_ms(main_config(d)->shutdown_grace_ms);
	evtimer_add(d->ev_grace, &grace);
}

/* A daemon-wide audit record (reload, start, stop). */
static void
main_audit_event(struct daemon *d, const char *event, const char *detail)
{
	struct audit_record r;

	if (d->audit == NULL)
		return;
	memset(&r, 0, sizeof(r));
	r.event = event;
	r.uid = r.gid = r.pid = -1;
	r.detail = detail;
	audit_record(d->audit, &r);
}

/* Write buffered audit records out (every second, so a crash loses at
 * most a second of them). */
static void
main_audit_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	audit_flush(d->audit);
}

/* Open the audit log named by the configuration, if any. */
static void
main_open_audit(struct daemon *d)
{
	const char *path = main_config(d)->audit_log;
	struct timeval second = { 1, 0 };
	int r;

	if (path == NULL)
		return;
	if ((r = audit_open(path, &d->audit)) != 0)
		fatalx("cannot open the audit log %s: %s", path, strerror(-r));
	/* The user we become appends to it, and reopens it on SIGHUP. */
	if (daemon_switches_user(d) &&
	    chown(path, d->run_uid, d->run_gid) != 0)
		fatal("cannot give the audit log %s to uid %ld", path,
		    (long)d->run_uid);
	if (main_config(d)->set[CONFIG_KEY_AUDIT_SYSLOG].file != NULL) {
		static const int priority[] = { LOG_ERR, LOG_WARNING, LOG_INFO,
			LOG_DEBUG };

		audit_set_syslog(d->audit,
		    priority[main_config(d)->audit_syslog]);
	}
	d->ev_audit_flush = event_new(d->base, -1, EV_PERSIST,
	    main_audit_flush_cb, d);
	if (d->ev_audit_flush == NULL || event_add(d->ev_audit_flush,
	    &second) != 0)
		fatalx("out of memory");
	main_audit_event(d, "start", PACKAGE_VERSION);
}

/* SIGHUP: read the configuration again. A bad one is reported and the
 * old one stays; a good one replaces it, sockets appear and disappear,
 * and changed limits apply to the next command. */
static int
main_reload(struct daemon *d)
{
	struct policy *old = d->policy, *next;
	struct config *config;
	char err[1024];

	if (d->stopping)
		return -1;
	if (d->audit != NULL && audit_reopen(d->audit) != 0)
		log_error("cannot reopen the audit log");
	if (options_config(&d->opts, &config, err, sizeof(err)) != 0) {
		log_error("reload failed, keeping the running configuration: %s",
		    err);
		main_audit_event(d, "reload", err);
		return -1;
	}
	if (policy_new(config, &next, err, sizeof(err)) != 0) {
		log_error("reload failed, keeping the running configuration: %s",
		    err);
		main_audit_event(d, "reload", err);
		config_free(config);
		return -1;
	}
	d->policy = next;
	listener_sync(d);
	conn_reconfigure(d);
	worker_set_resident_first(d->worker, main_config(d)->schedule ==
	    CONFIG_SCHEDULE_RESIDENT_FIRST);
	policy_free(old);
	log_info("configuration reloaded: %zu sockets",
	    main_config(d)->nsockets);
	main_audit_event(d, "reload", "configuration reloaded");
	return 0;
}

/* SIGTERM/SIGINT stop the daemon; SIGHUP reloads the configuration. */
static void
main_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("received %s; shutting down", strsignal(sig));
		main_begin_shutdown(d);
		break;
	case SIGHUP:
		(void)main_reload(d);
		break;
	}
}

/* Install signal events; SIGPIPE is ignored (writes report EPIPE). */
static void
main_setup_signals(struct daemon *d)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };

	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < 3; i++) {
		d->ev_signals[i] = evsignal_new(d->base, sigs[i],
		    main_signal_cb, d);
		if (d->ev_signals[i] == NULL ||
		    event_add(d->ev_signals[i], NULL) != 0)
			fatalx("cannot install signal handlers");
	}
	d->ev_grace = evtimer_new(d->base, main_grace_cb, d);
	if (d->ev_grace == NULL)
		fatalx("out of memory");
}

/* Write the pid file (after start-up succeeded). */
static void
main_write_pid_file(const char *path)
{
	FILE *f;

	if (path == NULL)
		return;
	f = fopen(path, "we");
	if (f == NULL)
		fatal("cannot write pid file %s", path);
	fprintf(f, "%ld\n", (long)getpid());
	if (fclose(f) != 0)
		fatal("cannot write pid file %s", path);
}

/* Our share of the TPM's slots, leaving the configured reserve free. */
static void
main_resmgr_limits(struct daemon *d, struct resmgr_limits *limits)
{
	const struct config *c = main_config(d);
	uint32_t objects = 3, sessions = 3, gap = 0xff, active = 64;

	/* TPM2 Part 2, 6.13: the minimum the TPM guarantees; the reference
	 * implementation's values when a TPM does not say. */
	tpmcmd_get_property(d->backend, TPM2_PT_HR_TRANSIENT_MIN, &objects);
	tpmcmd_get_property(d->backend, TPM2_PT_HR_LOADED_MIN, &sessions);
	tpmcmd_get_property(d->backend, TPM2_PT_CONTEXT_GAP_MAX, &gap);
	tpmcmd_get_property(d->backend, TPM2_PT_ACTIVE_SESSIONS_MAX, &active);
	memset(limits, 0, sizeof(*limits));
	limits->object_slots = objects > c->reserve_object_slots ?
	    objects - c->reserve_object_slots : 1;
	limits->session_slots = sessions > c->reserve_session_slots ?
	    sessions - c->reserve_session_slots : 1;
	limits->context_gap_max = gap;
	/* Sessions saved and abandoned must leave room for live ones. */
	limits->max_client_saved = active / 2 > 1 ? active / 2 : 1;
	log_info("resource manager: %u of %u object slots, %u of %u session "
	    "slots, context gap %u", limits->object_slots, objects,
	    limits->session_slots, sessions, gap);
}

/* Decide whom the daemon becomes: the configured user and group, or tss
 * when started as root with no user configured and tss exists; otherwise
 * whoever started it. Resolved before anything is created, so that what
 * the daemon must write again after the switch (the audit log) can be
 * given to that user. */
static void
main_run_as(struct daemon *d)
{
	const struct config *c = main_config(d);
	char err[256];

	d->run_user = c->user;
	d->run_group = c->group;
	if (d->run_user == NULL && d->run_group == NULL && geteuid() == 0 &&
	    getpwnam(MAIN_DEFAULT_USER) != NULL)
		d->run_user = MAIN_DEFAULT_USER;
	if (sandbox_resolve(d->run_user, d->run_group, &d->run_uid,
	    &d->run_gid, err, sizeof(err)) != 0)
		fatalx("%s", err);
}

/* Become the user main_run_as() chose, keep no capabilities. */
static void
main_drop_privileges(struct daemon *d)
{
	char err[256];

	if (sandbox_drop_privileges(d->run_user, d->run_group, err,
	    sizeof(err)) != 0)
		fatalx("%s", err);
	log_info("running as %s (uid %ld, gid %ld) without capabilities",
	    d->run_user != NULL ? d->run_user : "the starting user",
	    (long)getuid(), (long)getgid());
}

/* Install the seccomp allow-list on both threads. */
static void
main_apply_seccomp(struct daemon *d)
{
	char err[256];

	if (sandbox_apply_seccomp(d->opts.seccomp, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (d->opts.seccomp != SANDBOX_SECCOMP_OFF)
		log_info("seccomp filter on (%s)", d->opts.seccomp ==
		    SANDBOX_SECCOMP_LOG ? "log" : "kill");
}

/* Open the TPM, create sockets, start the TPM thread, publish. */
static void
main_start(struct daemon *d)
{
	struct resmgr_limits limits;
	int r;

	r = backend_open(main_config(d)->tcti, &d->backend);
	if (r != 0)
		fatalx("cannot open the TPM (tcti %s)", main_config(d)->tcti);
	main_prepare_tpm(d);
	main_resmgr_limits(d, &limits);
	main_run_as(d);
	if (resmgr_new(d->backend, d->attrs, &limits, &d->rm) != 0)
		fatalx("out of memory");
	if (stats_new(&d->stats) != 0)
		fatalx("out of memory");
	d->reload = main_reload;
	clock_gettime(CLOCK_MONOTONIC, &d->started);
	if (evthread_use_pthreads() != 0)
		fatalx("libevent has no pthreads support");
	d->base = event_base_new();
	if (d->base == NULL || conn_table_new(d) != 0 ||
	    procown_table_new(d) != 0 || ctrlconn_table_new(d) != 0 ||
	    identity_table_new(&d->identities) != 0)
		fatalx("cannot create the event loop");
	TAILQ_INIT(&d->listeners);
	main_open_audit(d);
	if (listener_sync(d) != 0)
		exit(1);
	if (main_config(d)->control_socket != NULL &&
	    control_open(d, main_config(d)->control_socket) != 0)
		fatalx("cannot create the control socket %s",
		    main_config(d)->control_socket);
	main_setup_signals(d);
	if (main_config(d)->metrics_listen != NULL &&
	    metrics_open(d, main_config(d)->metrics_listen) != 0)
		exit(1);
	main_write_pid_file(d->opts.pid_file);
	/* Single-threaded: capabilities are per thread. */
	main_drop_privileges(d);
	r = worker_start(d->base, d->rm, conn_job_done, d, &d->worker);
	if (r != 0)
		fatalx("cannot start the TPM thread: %s", strerror(-r));
	worker_set_resident_first(d->worker, main_config(d)->schedule ==
	    CONFIG_SCHEDULE_RESIDENT_FIRST);
	/* After: TSYNC covers the TPM thread, and clone() stays forbidden. */
	main_apply_seccomp(d);
}

/* Free everything in reverse order; the resource manager flushes what
 * clients left in the TPM before the backend closes. */
static void
main_teardown(struct daemon *d)
{
	listener_close_all(d);
	ctrlconn_close_all(d);
	conn_close_all(d);
	metrics_close(d);
	worker_stop(d->worker);
	control_close(d);
	resmgr_free(d->rm);
	cmdattrs_free(d->attrs);
	log_info("stopped; %llu TPM commands sent",
	    (unsigned long long)backend_stats(d->backend)->commands);
	backend_free(d->backend);
	for (size_t i = 0; i < 3; i++)
		event_free(d->ev_signals[i]);
	event_free(d->ev_grace);
	conn_table_free(d);
	procown_table_free(d);
	ctrlconn_table_free(d);
	stats_free(d->stats);
	if (d->audit != NULL) {
		main_audit_event(d, "stop", NULL);
		event_free(d->ev_audit_flush);
		audit_close(d->audit);
	}
	identity_table_free(d->identities);
	event_base_free(d->base);
	libevent_global_shutdown();
	if (d->opts.pid_file != NULL)
		unlink(d->opts.pid_file);
	policy_free(d->policy);
}

int
main(int argc, char **argv)
{
	struct daemon d;
	struct config *config;
	char err[1024];
	int ready_fd = -1;

	memset(&d, 0, sizeof(d));
	options_parse(argc, argv, &d.opts);
	if (options_config(&d.opts, &config, err, sizeof(err)) != 0) {
		fprintf(stderr, "tpmproxyd: %s\n", err);
		return 1;
	}
	if (policy_new(config, &d.policy, err, sizeof(err)) != 0) {
		fprintf(stderr, "tpmproxyd: %s\n", err);
		config_free(config);
		return 1;
	}
	if (d.opts.check_config) {
		printf("%s: configuration ok\n",
		    d.opts.config ? d.opts.config : "command line");
		policy_free(d.policy);
		return 0;
	}
	log_init(main_config(&d)->log_level, true);
	if (!d.opts.foreground)
		ready_fd = main_daemonize();
	main_start(&d);
	log_info("tpmproxyd %s serving TPM \"%s\"", PACKAGE_VERSION,
	    main_config(&d)->tcti);
	main_detached(ready_fd);
	if (event_base_dispatch(d.base) < 0)
		fatalx("event loop failed");
	main_teardown(&d);
	return 0;
}

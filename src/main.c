/* SPDX-License-Identifier: BSD-2-Clause */
/* tpmproxyd: options, start-up order, the event loop and shutdown. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include <tss2/tss2_tpm2_types.h>

#include "backend.h"
#include "cmdattrs.h"
#include "conn.h"
#include "daemon.h"
#include "frame.h"
#include "identity.h"
#include "listener.h"
#include "log.h"
#include "resmgr.h"
#include "tpmcmd.h"
#include "worker.h"

/* Largest TPM buffer we accept from a TPM's self-description. */
#define MAIN_MAX_TPM_BUFFER 65536

enum {
	OPT_PARTIAL_TIMEOUT = 256,
	OPT_SHUTDOWN_GRACE,
	OPT_RESERVE_OBJECTS,
	OPT_RESERVE_SESSIONS,
};



static const struct option main_long_options[] = {
	{ "tcti", required_argument, NULL, 't' },
	{ "socket", required_argument, NULL, 's' },
	{ "config", required_argument, NULL, 'c' },
	{ "foreground", no_argument, NULL, 'f' },
	{ "pid-file", required_argument, NULL, 'p' },
	{ "log-level", required_argument, NULL, 'l' },
	{ "partial-timeout", required_argument, NULL, OPT_PARTIAL_TIMEOUT },
	{ "shutdown-grace", required_argument, NULL, OPT_SHUTDOWN_GRACE },
	{ "reserve-object-slots", required_argument, NULL, OPT_RESERVE_OBJECTS },
	{ "reserve-session-slots", required_argument, NULL,
	    OPT_RESERVE_SESSIONS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Print usage to f. */
static void
main_usage(FILE *f)
{
	fprintf(f,
	    "usage: tpmproxyd [options]\n"
	    "Share one TPM 2.0 among many unprivileged clients.\n\n"
	    "  -t, --tcti CONF          backend TPM as a TCTI conf string\n"
	    "                           (default %s)\n"
	    "  -s, --socket PATH        serve clients on this unix socket;\n"
	    "                           repeatable (default %s)\n"
	    "  -c, --config FILE        configuration file\n"
	    "  -f, --foreground         do not detach; log to stderr\n"
	    "  -p, --pid-file FILE      write the daemon's pid to FILE\n"
	    "  -l, --log-level LEVEL    error, warning, info (default), debug\n"
	    "      --partial-timeout S  close a client whose command is not\n"
	    "                           complete S seconds after it began (10)\n"
	    "      --shutdown-grace S   on SIGTERM, wait at most S seconds for\n"
	    "                           commands in flight (30)\n"
	    "      --reserve-object-slots N   object slots left free for other\n"
	    "                           TPM users (1)\n"
	    "      --reserve-session-slots N  session slots left free (1)\n"
	    "  -h, --help               show this help\n"
	    "  -V, --version            show the version\n",
	    DAEMON_DEFAULT_TCTI, DAEMON_DEFAULT_SOCKET);
}

/* Parse a positive number of seconds (fractions allowed) into tv. */
static int
main_parse_seconds(const char *s, struct timeval *tv)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v > 0) || v > 86400)
		return -EINVAL;
	tv->tv_sec = (time_t)v;
	tv->tv_usec = (suseconds_t)((v - floor(v)) * 1e6);
	return 0;
}

/* Parse a small count (0..64) for a slot reserve. */
static unsigned
main_parse_reserve(const char *name, const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > 64)
		fatalx("--%s: \"%s\" is not a number from 0 to 64", name, s);
	return (unsigned)v;
}

/* Fill opts from the command line; exits on --help, --version or error. */
static void
main_parse_options(int argc, char **argv, struct options *opts)
{
	int ch;

	opts->tcti = DAEMON_DEFAULT_TCTI;
	opts->log_level = LOG_LEVEL_INFO;
	opts->partial_timeout.tv_sec = 10;
	opts->shutdown_grace.tv_sec = 30;
	opts->reserve_object_slots = 1;
	opts->reserve_session_slots = 1;
	while ((ch = getopt_long(argc, argv, "t:s:c:fp:l:hV",
	            main_long_options, NULL)) != -1) {
		switch (ch) {
		case 't':
			opts->tcti = optarg;
			break;
		case 's':
			if (opts->nsockets == DAEMON_MAX_SOCKETS)
				fatalx("at most %d --socket options",
				    DAEMON_MAX_SOCKETS);
			opts->sockets[opts->nsockets++] = optarg;
			break;
		case 'c':
			opts->config = optarg;
			break;
		case 'f':
			opts->foreground = true;
			break;
		case 'p':
			opts->pid_file = optarg;
			break;
		case 'l':
			if (log_level_parse(optarg, &opts->log_level) != 0)
				fatalx("--log-level: unknown level \"%s\" (error, "
				    "warning, info, debug)", optarg);
			break;
		case OPT_PARTIAL_TIMEOUT:
			if (main_parse_seconds(optarg, &opts->partial_timeout))
				fatalx("--partial-timeout: \"%s\" is not a number "
				    "of seconds", optarg);
			break;
		case OPT_SHUTDOWN_GRACE:
			if (main_parse_seconds(optarg, &opts->shutdown_grace))
				fatalx("--shutdown-grace: \"%s\" is not a number "
				    "of seconds", optarg);
			break;
		case OPT_RESERVE_OBJECTS:
			opts->reserve_object_slots = main_parse_reserve(
			    "reserve-object-slots", optarg);
			break;
		case OPT_RESERVE_SESSIONS:
			opts->reserve_session_slots = main_parse_reserve(
			    "reserve-session-slots", optarg);
			break;
		case 'h':
			main_usage(stdout);
			exit(0);
		case 'V':
			printf("tpmproxyd %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			main_usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tpmproxyd: unexpected argument \"%s\"\n",
		    argv[optind]);
		main_usage(stderr);
		exit(2);
	}
	if (opts->config != NULL)
		fatalx("--config %s: configuration files are not supported by "
		    "this version yet", opts->config);
	if (opts->nsockets == 0)
		opts->sockets[opts->nsockets++] = DAEMON_DEFAULT_SOCKET;
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
		fatalx("TPM backend \"%s\" does not answer", d->opts.tcti);
	}
	d->max_command_size = main_tpm_size(d->backend,
	    TPM2_PT_MAX_COMMAND_SIZE, "TPM2_PT_MAX_COMMAND_SIZE");
	d->max_response_size = main_tpm_size(d->backend,
	    TPM2_PT_MAX_RESPONSE_SIZE, "TPM2_PT_MAX_RESPONSE_SIZE");
	if (cmdattrs_load(d->backend, &d->attrs) != 0)
		fatalx("cannot read the TPM's command attributes");
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
	if (d->stopping)
		return;
	d->stopping = true;
	listener_close_all(d);
	conn_shutdown_all(d);
	if (conn_count(d) == 0) {
		event_base_loopexit(d->base, NULL);
		return;
	}
	log_info("waiting for %zu connections to finish", conn_count(d));
	evtimer_add(d->ev_grace, &d->opts.shutdown_grace);
}

/* SIGTERM/SIGINT stop the daemon; SIGHUP is reserved for reloading. */
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
		log_info("SIGHUP: nothing to reload without a configuration file");
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
	uint32_t objects = 3, sessions = 3, gap = 0xff, active = 64;

	/* TPM2 Part 2, 6.13: the minimum the TPM guarantees; the reference
	 * implementation's values when a TPM does not say. */
	tpmcmd_get_property(d->backend, TPM2_PT_HR_TRANSIENT_MIN, &objects);
	tpmcmd_get_property(d->backend, TPM2_PT_HR_LOADED_MIN, &sessions);
	tpmcmd_get_property(d->backend, TPM2_PT_CONTEXT_GAP_MAX, &gap);
	tpmcmd_get_property(d->backend, TPM2_PT_ACTIVE_SESSIONS_MAX, &active);
	memset(limits, 0, sizeof(*limits));
	limits->object_slots = objects > d->opts.reserve_object_slots ?
	    objects - d->opts.reserve_object_slots : 1;
	limits->session_slots = sessions > d->opts.reserve_session_slots ?
	    sessions - d->opts.reserve_session_slots : 1;
	limits->context_gap_max = gap;
	/* Sessions saved and abandoned must leave room for live ones. */
	limits->max_client_saved = active / 2 > 1 ? active / 2 : 1;
	log_info("resource manager: %u of %u object slots, %u of %u session "
	    "slots, context gap %u", limits->object_slots, objects,
	    limits->session_slots, sessions, gap);
}

/* Open the TPM, create sockets, start the TPM thread, publish. */
static void
main_start(struct daemon *d)
{
	struct resmgr_limits limits;
	int r;

	r = backend_open(d->opts.tcti, &d->backend);
	if (r != 0)
		fatalx("cannot open the TPM (--tcti %s)", d->opts.tcti);
	main_prepare_tpm(d);
	main_resmgr_limits(d, &limits);
	if (resmgr_new(d->backend, d->attrs, &limits, &d->rm) != 0)
		fatalx("out of memory");
	if (evthread_use_pthreads() != 0)
		fatalx("libevent has no pthreads support");
	d->base = event_base_new();
	if (d->base == NULL || conn_table_new(d) != 0 ||
	    identity_table_new(&d->identities) != 0)
		fatalx("cannot create the event loop");
	TAILQ_INIT(&d->listeners);
	for (size_t i = 0; i < d->opts.nsockets; i++) {
		if (listener_create(d, d->opts.sockets[i]) != 0)
			exit(1);
	}
	main_setup_signals(d);
	r = worker_start(d->base, d->rm, conn_job_done, d, &d->worker);
	if (r != 0)
		fatalx("cannot start the TPM thread: %s", strerror(-r));
	if (listener_publish_all(d) != 0)
		exit(1);
	main_write_pid_file(d->opts.pid_file);
}

/* Free everything in reverse order; the resource manager flushes what
 * clients left in the TPM before the backend closes. */
static void
main_teardown(struct daemon *d)
{
	listener_close_all(d);
	conn_close_all(d);
	worker_stop(d->worker);
	resmgr_free(d->rm);
	cmdattrs_free(d->attrs);
	log_info("stopped; %llu TPM commands sent",
	    (unsigned long long)backend_stats(d->backend)->commands);
	backend_free(d->backend);
	for (size_t i = 0; i < 3; i++)
		event_free(d->ev_signals[i]);
	event_free(d->ev_grace);
	conn_table_free(d);
	identity_table_free(d->identities);
	event_base_free(d->base);
	libevent_global_shutdown();
	if (d->opts.pid_file != NULL)
		unlink(d->opts.pid_file);
}

int
main(int argc, char **argv)
{
	struct daemon d;
	int ready_fd = -1;

	memset(&d, 0, sizeof(d));
	main_parse_options(argc, argv, &d.opts);
	log_init(d.opts.log_level, true);
	if (!d.opts.foreground)
		ready_fd = main_daemonize();
	main_start(&d);
	log_info("tpmproxyd %s serving TPM \"%s\"", PACKAGE_VERSION,
	    d.opts.tcti);
	main_detached(ready_fd);
	if (event_base_dispatch(d.base) < 0)
		fatalx("event loop failed");
	main_teardown(&d);
	return 0;
}

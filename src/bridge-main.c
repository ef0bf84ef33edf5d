/* SPDX-License-Identifier: BSD-2-Clause */
/* tpmproxy-bridge: main and the start-up order (options, the daemon's
 * socket paths checked, the listeners, signals, the loop). It runs in the
 * foreground, logs to stderr, writes no file and needs no privilege. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "bridge-options.h"
#include "bridge.h"
#include "log.h"

/* Descriptors beyond the relays' two each: listeners, stdio, libevent. */
#define BRIDGE_MAIN_SPARE_FDS 32

/* Whether path can be the daemon's socket. Missing is fine (the daemon
 * may start later; clients are closed until then); anything else that
 * stops us reaching it is a mistake to report now. */
static int
bridge_main_check_socket(const char *what, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		if (errno == ENOENT) {
			log_warnx("%s %s is not there yet: connections are "
			    "closed until the daemon makes it", what, path);
			return 0;
		}
		log_error("%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_error("%s %s is not a socket", what, path);
		return -1;
	}
	/* connect(2) needs write permission on the socket; the daemon may
	 * still be handing it to its owner, so only warn. */
	if (access(path, W_OK) != 0)
		log_warn("%s %s: connecting will fail", what, path);
	return 0;
}

/* Room for max relays (two descriptors each): raise the soft limit up
 * to the hard one if needed. */
static void
bridge_main_fd_limit(unsigned max)
{
	rlim_t need = (rlim_t)max * 2 + BRIDGE_MAIN_SPARE_FDS;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < need)
		log_warnx("only %llu file descriptors for --max-connections %u "
		    "(%llu wanted): accepting pauses when they run out",
		    (unsigned long long)rl.rlim_cur, max,
		    (unsigned long long)need);
}

/* SIGTERM or SIGINT: leave the loop; main closes everything. */
static void
bridge_main_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	log_info("%s: stopping", strsignal((int)sig));
	event_base_loopbreak(arg);
}

/* Parse the command line: returns -1 to go on, else the exit status. */
static int
bridge_main_options(int argc, char **argv, struct bridge_options *o)
{
	enum bridge_options_action action;
	char err[512];

	if (bridge_options_parse(argc, argv, o, &action, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "tpmproxy-bridge: %s\n"
		    "Try 'tpmproxy-bridge --help'.\n", err);
		return 2;
	}
	switch (action) {
	case BRIDGE_OPTIONS_HELP:
		bridge_options_usage(stdout);
		return 0;
	case BRIDGE_OPTIONS_VERSION:
		printf("tpmproxy-bridge %s\n", PACKAGE_VERSION);
		return 0;
	case BRIDGE_OPTIONS_RUN:
		break;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	struct bridge_options o;
	struct event_base *base;
	struct event *ev_term, *ev_int;
	struct bridge *b;
	char err[512];
	int status;

	log_set_ident("tpmproxy-bridge");
	status = bridge_main_options(argc, argv, &o);
	if (status >= 0)
		return status;
	log_init(o.log_level, true);
	if (!o.listen.loopback)
		log_warnx("listening on a non-loopback address "
		    "(--allow-non-loopback): whoever reaches it uses this "
		    "pod's TPM access, with no credentials asked");
	if (bridge_main_check_socket("socket", o.socket_path) != 0 ||
	    bridge_main_check_socket("control socket", o.ctrl_path) != 0)
		return 1;
	/* A client gone mid-write is an error to handle, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	bridge_main_fd_limit(o.max_connections);

	base = event_base_new();
	if (base == NULL)
		fatalx("cannot create the event loop");
	if (bridge_new(base, &o, &b, err, sizeof(err)) != 0) {
		log_error("%s", err);
		event_base_free(base);
		return 1;
	}
	ev_term = evsignal_new(base, SIGTERM, bridge_main_signal_cb, base);
	ev_int = evsignal_new(base, SIGINT, bridge_main_signal_cb, base);
	if (ev_term == NULL || ev_int == NULL || evsignal_add(ev_term, NULL) ||
	    evsignal_add(ev_int, NULL))
		fatalx("cannot watch SIGTERM and SIGINT");

	event_base_dispatch(base);

	if (bridge_connections(b) > 0)
		log_info("closing %u connections", bridge_connections(b));
	bridge_free(b);
	event_free(ev_term);
	event_free(ev_int);
	event_base_free(base);
	return 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* tpmproxyd's command line, and the configuration it selects: the file
 * (with its conf.d/), overridden by what the command line says. */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

enum {
	OPT_PARTIAL_TIMEOUT = 256,
	OPT_SHUTDOWN_GRACE,
	OPT_RESERVE_OBJECTS,
	OPT_RESERVE_SESSIONS,
	OPT_CHECK_CONFIG,
	OPT_PROC_ROOT,
	OPT_SECCOMP,
	OPT_CONTROL_SOCKET,
};

static const struct option options_long[] = {
	{ "tcti", required_argument, NULL, 't' },
	{ "socket", required_argument, NULL, 's' },
	{ "config", required_argument, NULL, 'c' },
	{ "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
	{ "foreground", no_argument, NULL, 'f' },
	{ "pid-file", required_argument, NULL, 'p' },
	{ "log-level", required_argument, NULL, 'l' },
	{ "partial-timeout", required_argument, NULL, OPT_PARTIAL_TIMEOUT },
	{ "shutdown-grace", required_argument, NULL, OPT_SHUTDOWN_GRACE },
	{ "reserve-object-slots", required_argument, NULL, OPT_RESERVE_OBJECTS },
	{ "reserve-session-slots", required_argument, NULL,
	    OPT_RESERVE_SESSIONS },
	{ "proc-root", required_argument, NULL, OPT_PROC_ROOT },
	{ "seccomp", required_argument, NULL, OPT_SECCOMP },
	{ "control-socket", required_argument, NULL, OPT_CONTROL_SOCKET },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Print usage to f. */
static void
options_usage(FILE *f)
{
	fprintf(f,
	    "usage: tpmproxyd [options]\n"
	    "Share one TPM 2.0 among many unprivileged clients.\n\n"
	    "  -c, --config FILE        configuration file (and conf.d/ beside it)\n"
	    "      --check-config       validate the configuration and exit\n"
	    "  -t, --tcti CONF          backend TPM as a TCTI conf string\n"
	    "                           (default %s)\n"
	    "  -s, --socket PATH        serve clients on this unix socket;\n"
	    "                           repeatable; replaces the file's sockets\n"
	    "                           (default %s)\n"
	    "      --control-socket PATH  where tpmproxyctl reaches the daemon\n"
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
	    "      --seccomp MODE       system calls outside the allow-list:\n"
	    "                           kill (default), log, or off\n"
	    "  -h, --help               show this help\n"
	    "  -V, --version            show the version\n",
	    CONFIG_DEFAULT_TCTI, OPTIONS_DEFAULT_SOCKET);
}

/* Exit 2 with a message about a bad option value. */
static void __attribute__((noreturn))
options_bad(const char *option, const char *value, const char *want)
{
	fprintf(stderr, "tpmproxyd: --%s: \"%s\" is not %s\n", option, value,
	    want);
	exit(2);
}

/* Seconds (fractions allowed, at most a day) as milliseconds. */
static unsigned
options_seconds(const char *option, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0.001) ||
	    v > 86400)
		options_bad(option, s, "a number of seconds");
	return (unsigned)(v * 1000 + 0.5);
}

/* A slot reserve: 0 to 64. */
static int
options_reserve(const char *option, const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > 64)
		options_bad(option, s, "a number from 0 to 64");
	return (int)v;
}

/* Fill opts from the command line; exits on --help, --version or error. */
void
options_parse(int argc, char **argv, struct options *opts)
{
	int ch;

	memset(opts, 0, sizeof(*opts));
	opts->reserve_object_slots = -1;
	opts->reserve_session_slots = -1;
	opts->seccomp = SANDBOX_SECCOMP_KILL;
	while ((ch = getopt_long(argc, argv, "t:s:c:fp:l:hV", options_long,
	            NULL)) != -1) {
		switch (ch) {
		case 't':
			opts->tcti = optarg;
			break;
		case 's':
			if (opts->nsockets == OPTIONS_MAX_SOCKETS) {
				fprintf(stderr, "tpmproxyd: at most %d --socket "
				    "options\n", OPTIONS_MAX_SOCKETS);
				exit(2);
			}
			opts->sockets[opts->nsockets++] = optarg;
			break;
		case 'c':
			opts->config = optarg;
			break;
		case OPT_CHECK_CONFIG:
			opts->check_config = true;
			break;
		case 'f':
			opts->foreground = true;
			break;
		case 'p':
			opts->pid_file = optarg;
			break;
		case 'l':
			if (log_level_parse(optarg, &opts->log_level) != 0)
				options_bad("log-level", optarg,
				    "error, warning, info or debug");
			opts->log_level_set = true;
			break;
		case OPT_PARTIAL_TIMEOUT:
			opts->partial_timeout_ms = options_seconds(
			    "partial-timeout", optarg);
			break;
		case OPT_SHUTDOWN_GRACE:
			opts->shutdown_grace_ms = options_seconds(
			    "shutdown-grace", optarg);
			break;
		case OPT_RESERVE_OBJECTS:
			opts->reserve_object_slots = options_reserve(
			    "reserve-object-slots", optarg);
			break;
		case OPT_RESERVE_SESSIONS:
			opts->reserve_session_slots = options_reserve(
			    "reserve-session-slots", optarg);
			break;
		case OPT_PROC_ROOT:
			opts->proc_root = optarg;
			break;
		case OPT_SECCOMP:
			if (sandbox_parse_mode(optarg, &opts->seccomp) != 0)
				options_bad("seccomp", optarg, "kill, log or off");
			break;
		case OPT_CONTROL_SOCKET:
			opts->control_socket = optarg;
			break;
		case 'h':
			options_usage(stdout);
			exit(0);
		case 'V':
			printf("tpmproxyd %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			options_usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tpmproxyd: unexpected argument \"%s\"\n",
		    argv[optind]);
		options_usage(stderr);
		exit(2);
	}
}

/* Add a [socket] for a --socket path, as if a file had said so. Nobody
 * configured limits for it: they are as wide as a file may make them. */
static int
options_add_socket(struct config *c, const char *name, const char *path,
    char *err, size_t errlen)
{
	char text[512];
	int n;

	n = snprintf(text, sizeof(text), "[socket \"%s\"]\npath = %s\n"
	    "max-connections = 65536\nmax-objects = 1024\n"
	    "max-sessions = 1024\nmax-nv-indices = 1024\n"
	    "max-saved-contexts = 1024\n", name, path);
	if (n < 0 || (size_t)n >= sizeof(text) || strchr(path, '\n') != NULL) {
		snprintf(err, errlen, "--socket %s: path too long", path);
		return -EINVAL;
	}
	return config_parse_buffer("command line", text, (size_t)n, c, err,
	    errlen);
}

/* Replace a string field of the configuration. */
static int
options_set_string(char **slot, const char *value)
{
	char *copy = strdup(value);

	if (copy == NULL)
		return -ENOMEM;
	free(*slot);
	*slot = copy;
	return 0;
}

/* The configuration: the file's (or the defaults), then the command line
 * over it, then a default socket if none is named anywhere. */
int
options_config(const struct options *opts, struct config **out, char *err,
    size_t errlen)
{
	struct config *c;
	char name[32];
	int r = 0;

	if (opts->config != NULL) {
		r = config_load(opts->config, &c, err, errlen);
		if (r != 0)
			return r;
	} else if ((c = config_new_defaults()) == NULL) {
		return -ENOMEM;
	}
	if (opts->tcti != NULL)
		r = options_set_string(&c->tcti, opts->tcti);
	if (r == 0 && opts->control_socket != NULL)
		r = options_set_string(&c->control_socket, opts->control_socket);
	if (opts->log_level_set)
		c->log_level = opts->log_level;
	if (opts->partial_timeout_ms != 0)
		c->partial_timeout_ms = opts->partial_timeout_ms;
	if (opts->shutdown_grace_ms != 0)
		c->shutdown_grace_ms = opts->shutdown_grace_ms;
	if (opts->reserve_object_slots >= 0)
		c->reserve_object_slots = (unsigned)opts->reserve_object_slots;
	if (opts->reserve_session_slots >= 0)
		c->reserve_session_slots = (unsigned)opts->reserve_session_slots;
	if (r == 0 && opts->nsockets > 0)
		config_clear_sockets(c);
	for (size_t i = 0; r == 0 && i < opts->nsockets; i++) {
		snprintf(name, sizeof(name), i == 0 ? "default" : "socket%zu",
		    i + 1);
		r = options_add_socket(c, name, opts->sockets[i], err, errlen);
	}
	if (r == 0 && c->nsockets == 0)
		r = options_add_socket(c, "default", OPTIONS_DEFAULT_SOCKET, err,
		    errlen);
	if (r == 0)
		r = config_check(c, err, errlen);
	if (r != 0) {
		if (r == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		config_free(c);
		return r;
	}
	*out = c;
	return 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* tpmproxy-bridge's command line: every value checked here, so that the
 * bridge either starts with what it was told or says why it will not.
 * Returns errors instead of exiting, for the unit tests. */
#include "bridge-options.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#define BRIDGE_CTRL_SUFFIX ".ctrl"

enum {
	OPT_ALLOW_NON_LOOPBACK = 256,
	OPT_CTRL_SOCKET,
	OPT_MAX_CONNECTIONS,
	OPT_LOG_LEVEL,
};

static const struct option bridge_options_long[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "socket", required_argument, NULL, 's' },
	{ "ctrl-socket", required_argument, NULL, OPT_CTRL_SOCKET },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS },
	{ "allow-non-loopback", no_argument, NULL, OPT_ALLOW_NON_LOOPBACK },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Print usage to f. */
void
bridge_options_usage(FILE *f)
{
	fprintf(f,
	    "usage: tpmproxy-bridge [options]\n"
	    "Forward loopback TCP to tpmproxyd's socket, for TPM clients that\n"
	    "can only say host and port (TCTI mssim:host=,port= or\n"
	    "swtpm:host=,port=).\n\n"
	    "  -l, --listen ADDR:PORT   listen on PORT (data) and PORT+1 (control);\n"
	    "                           IPv6 as [::1]:PORT (default %s)\n"
	    "  -s, --socket PATH        the daemon's socket (default %s)\n"
	    "      --ctrl-socket PATH   its control socket (default PATH.ctrl)\n"
	    "      --max-connections N  close new connections beyond N (%d)\n"
	    "      --allow-non-loopback  listen on another address too (unsafe:\n"
	    "                           anyone who reaches it uses the TPM)\n"
	    "      --log-level LEVEL    error, warning, info (default), debug\n"
	    "  -h, --help               show this help\n"
	    "  -V, --version            show the version\n",
	    BRIDGE_DEFAULT_LISTEN, BRIDGE_DEFAULT_SOCKET,
	    BRIDGE_DEFAULT_MAX_CONNECTIONS);
}

/* A socket path: not empty, and short enough for sun_path with its NUL. */
static int
bridge_options_path(const char *option, const char *value, char *dst,
    const char *suffix, char *err, size_t errlen)
{
	size_t n = strlen(value), m = strlen(suffix);

	if (n == 0)
		return bridge_error(err, errlen, "--%s: empty path",
		    option);
	if (n + m >= BRIDGE_PATH_MAX)
		return bridge_error(err, errlen,
		    "--%s: \"%s%s\" is longer than a unix socket path may be "
		    "(%zu bytes)", option, value, suffix, BRIDGE_PATH_MAX - 1);
	memcpy(dst, value, n);
	memcpy(dst + n, suffix, m + 1);
	return 0;
}

/* N for --max-connections: decimal, 1 to the limit. */
static int
bridge_options_count(const char *value, unsigned *out, char *err,
    size_t errlen)
{
	unsigned long v = 0;
	size_t n;

	for (n = 0; value[n] != '\0'; n++) {
		if (value[n] < '0' || value[n] > '9' || n == 6)
			break;
		v = v * 10 + (unsigned long)(value[n] - '0');
	}
	if (n == 0 || value[n] != '\0' || v == 0 ||
	    v > BRIDGE_MAX_CONNECTIONS_LIMIT)
		return bridge_error(err, errlen,
		    "--max-connections: \"%s\" is not a number from 1 to %d",
		    value, BRIDGE_MAX_CONNECTIONS_LIMIT);
	*out = (unsigned)v;
	return 0;
}

/* One option and its value into o. */
static int
bridge_options_one(int ch, const char *arg, struct bridge_options *o,
    const char **socket, const char **ctrl, const char **listen,
    char *err, size_t errlen)
{
	switch (ch) {
	case 'l':
		*listen = arg;
		return 0;
	case 's':
		*socket = arg;
		return 0;
	case OPT_CTRL_SOCKET:
		*ctrl = arg;
		return 0;
	case OPT_MAX_CONNECTIONS:
		return bridge_options_count(arg, &o->max_connections, err,
		    errlen);
	case OPT_ALLOW_NON_LOOPBACK:
		o->allow_non_loopback = true;
		return 0;
	case OPT_LOG_LEVEL:
		if (log_level_parse(arg, &o->log_level) != 0)
			return bridge_error(err, errlen,
			    "--log-level: \"%s\" is not error, warning, info "
			    "or debug", arg);
		return 0;
	default:
		return bridge_error(err, errlen, "internal: option %d",
		    ch);
	}
}

/* The listen address and socket paths, once every option is known. */
static int
bridge_options_finish(struct bridge_options *o, const char *listen,
    const char *socket, const char *ctrl, char *err, size_t errlen)
{
	char why[160];
	int r;

	if (bridge_addr_parse(listen, &o->listen, why, sizeof(why)) != 0)
		return bridge_error(err, errlen, "--listen \"%s\": %s",
		    listen, why);
	if (!o->listen.loopback && !o->allow_non_loopback)
		return bridge_error(err, errlen,
		    "--listen %s: not a loopback address (127.0.0.0/8 or "
		    "[::1]); the bridge asks no credentials, so whoever "
		    "reaches the port would use the pod's TPM access "
		    "(--allow-non-loopback overrides)", listen);
	r = bridge_options_path("socket", socket, o->socket_path, "", err,
	    errlen);
	if (r != 0)
		return r;
	if (ctrl != NULL)
		return bridge_options_path("ctrl-socket", ctrl, o->ctrl_path,
		    "", err, errlen);
	return bridge_options_path("socket", socket, o->ctrl_path,
	    BRIDGE_CTRL_SUFFIX, err, errlen);
}

/* Fill o from argv; *action says whether to run or to print help or the
 * version. -EINVAL with a message in err on anything wrong. */
int
bridge_options_parse(int argc, char **argv, struct bridge_options *o,
    enum bridge_options_action *action, char *err, size_t errlen)
{
	const char *listen = BRIDGE_DEFAULT_LISTEN;
	const char *socket = BRIDGE_DEFAULT_SOCKET;
	const char *ctrl = NULL;
	int ch, r;

	memset(o, 0, sizeof(*o));
	o->max_connections = BRIDGE_DEFAULT_MAX_CONNECTIONS;
	o->log_level = LOG_LEVEL_INFO;
	*action = BRIDGE_OPTIONS_RUN;
	/* 0 resets getopt fully (GNU), so a test may parse many times. */
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":l:s:hV", bridge_options_long,
	    NULL)) != -1) {
		switch (ch) {
		case 'h':
			*action = BRIDGE_OPTIONS_HELP;
			return 0;
		case 'V':
			*action = BRIDGE_OPTIONS_VERSION;
			return 0;
		case ':':
			return bridge_error(err, errlen,
			    "%s needs a value", argv[optind - 1]);
		case '?':
			return bridge_error(err, errlen,
			    "unknown option %s", argv[optind - 1]);
		default:
			r = bridge_options_one(ch, optarg, o, &socket, &ctrl,
			    &listen, err, errlen);
			if (r != 0)
				return r;
		}
	}
	if (optind < argc)
		return bridge_error(err, errlen,
		    "unexpected argument \"%s\"", argv[optind]);
	return bridge_options_finish(o, listen, socket, ctrl, err, errlen);
}

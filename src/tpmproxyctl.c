/* SPDX-License-Identifier: BSD-2-Clause */
/* tpmproxyctl: the operator's tool. A table of subcommands, each with its
 * usage: audit-verify, which needs no daemon, and the requests the
 * daemon's control socket answers (status, clients, stats, sockets,
 * reload). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "auditverify.h"

/* One subcommand: argv[0] is its name; returns the exit status. */
struct tpmproxyctl_command {
	const char *name;
	const char *args;
	const char *help;
	int (*run)(int argc, char **argv);
};

static int tpmproxyctl_audit_verify(int argc, char **argv);
static int tpmproxyctl_request(int argc, char **argv);

/* The control socket; --control-socket (or TPMPROXY_CONTROL) changes it. */
#define TPMPROXYCTL_DEFAULT_CONTROL "/run/tpmproxy/control.sock"
static const char *tpmproxyctl_control = TPMPROXYCTL_DEFAULT_CONTROL;

static const struct tpmproxyctl_command tpmproxyctl_commands[] = {
	{ "status", "[--json]",
	    "backend, TPM vendor and firmware, slots in use, uptime",
	    tpmproxyctl_request },
	{ "clients", "[--json]",
	    "each connection: socket, pod, uid, pid, objects, sessions, commands",
	    tpmproxyctl_request },
	{ "stats", "[--json]",
	    "per socket and total: commands, denials, quota hits, latency; "
	    "the resource manager's swaps and regaps",
	    tpmproxyctl_request },
	{ "sockets", "[--json]", "the sockets configured and their limits",
	    tpmproxyctl_request },
	{ "reload", "[--json]", "read the configuration again (as SIGHUP)",
	    tpmproxyctl_request },
	{ "audit-verify", "[--from-start] FILE...",
	    "check the SHA-256 chain of audit log files, oldest first",
	    tpmproxyctl_audit_verify },
};

#define TPMPROXYCTL_NCOMMANDS \
	(sizeof(tpmproxyctl_commands) / sizeof(tpmproxyctl_commands[0]))

/* Print the usage of every subcommand to f. */
static void
tpmproxyctl_usage(FILE *f)
{
	fprintf(f, "usage: tpmproxyctl [-hV] COMMAND [ARGS]\n"
		   "Inspect and control tpmproxyd.\n\ncommands:\n");
	for (size_t i = 0; i < TPMPROXYCTL_NCOMMANDS; i++)
		fprintf(f, "  %s %s\n      %s\n", tpmproxyctl_commands[i].name,
		    tpmproxyctl_commands[i].args, tpmproxyctl_commands[i].help);
	fprintf(f, "\n  -c, --control-socket PATH  the daemon's control socket\n"
		   "                             (default %s)\n"
		   "  -h, --help     show this help\n"
		   "  -V, --version  show the version\n",
	    TPMPROXYCTL_DEFAULT_CONTROL);
}

/* Print one subcommand's usage to f. */
static void
tpmproxyctl_command_usage(FILE *f, const char *name)
{
	for (size_t i = 0; i < TPMPROXYCTL_NCOMMANDS; i++)
		if (strcmp(tpmproxyctl_commands[i].name, name) == 0)
			fprintf(f, "usage: tpmproxyctl %s %s\n%s\n", name,
			    tpmproxyctl_commands[i].args,
			    tpmproxyctl_commands[i].help);
}

/* audit-verify: exit 0 when the chain holds over all files in the order
 * given, 1 at the first broken line (FILE:LINE: reason, on stderr) or an
 * unreadable file, 2 on bad usage. */
static int
tpmproxyctl_audit_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "from-start", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct auditverify v;
	bool from_start = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			from_start = true;
			break;
		case 'h':
			tpmproxyctl_command_usage(stdout, argv[0]);
			return 0;
		default:
			tpmproxyctl_command_usage(stderr, argv[0]);
			return 2;
		}
	}
	if (optind == argc) {
		tpmproxyctl_command_usage(stderr, argv[0]);
		return 2;
	}
	auditverify_init(&v, from_start);
	for (int i = optind; i < argc; i++) {
		FILE *f = fopen(argv[i], "re");

		if (f == NULL) {
			fprintf(stderr, "tpmproxyctl: %s: %s\n", argv[i],
			    strerror(errno));
			return 1;
		}
		r = auditverify_file(&v, f);
		fclose(f);
		if (r < 0) {
			fprintf(stderr, "%s:%llu: %s\n", argv[i],
			    (unsigned long long)v.line, v.why);
			return 1;
		}
	}
	printf("%llu lines in %zu files verified\n",
	    (unsigned long long)v.lines, v.files);
	return 0;
}

/* A control-socket request: send "NAME [--json]", print the answer.
 * Exit 1 if the daemon cannot be reached or answers an error. */
static int
tpmproxyctl_request(int argc, char **argv)
{
	struct sockaddr_un sun;
	bool json = false, error;
	char buf[4096], *answer = NULL;
	size_t have = 0;
	ssize_t n;
	int fd;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else {
			tpmproxyctl_command_usage(stderr, argv[0]);
			return 2;
		}
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(tpmproxyctl_control) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "tpmproxyctl: %s: path too long\n",
		    tpmproxyctl_control);
		return 1;
	}
	strcpy(sun.sun_path, tpmproxyctl_control);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "tpmproxyctl: cannot reach tpmproxyd at %s: %s\n"
		    "(set control-socket in tpmproxy.conf, or use "
		    "--control-socket)\n", tpmproxyctl_control,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	n = snprintf(buf, sizeof(buf), "%s%s\n", argv[0], json ? " --json" : "");
	if (write(fd, buf, (size_t)n) != n) {
		fprintf(stderr, "tpmproxyctl: %s: %s\n", tpmproxyctl_control,
		    strerror(errno));
		close(fd);
		return 1;
	}
	shutdown(fd, SHUT_WR);
	/* Read it all first: an error answer goes to stderr. */
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		char *grown = realloc(answer, have + (size_t)n + 1);

		if (grown == NULL) {
			n = -1;
			errno = ENOMEM;
			break;
		}
		answer = grown;
		memcpy(answer + have, buf, (size_t)n);
		have += (size_t)n;
		answer[have] = '\0';
	}
	close(fd);
	if (n < 0) {
		fprintf(stderr, "tpmproxyctl: %s\n", strerror(errno));
		free(answer);
		return 1;
	}
	error = have == 0 || strncmp(answer, "error:", 6) == 0 ||
	    strstr(answer, "\"reloaded\":false") != NULL;
	/* JSON is for programs: it stays on stdout even when it says no. */
	if (have > 0)
		fputs(answer, error && !json ? stderr : stdout);
	else
		fprintf(stderr, "tpmproxyctl: no answer from %s\n",
		    tpmproxyctl_control);
	free(answer);
	return error ? 1 : 0;
}

/* Options, then the subcommand named by the first operand. */
int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "control-socket", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	if (getenv("TPMPROXY_CONTROL") != NULL)
		tpmproxyctl_control = getenv("TPMPROXY_CONTROL");
	/* "+": stop at the subcommand, whose options are its own. */
	while ((c = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			tpmproxyctl_control = optarg;
			break;
		case 'h':
			tpmproxyctl_usage(stdout);
			return 0;
		case 'V':
			printf("tpmproxyctl %s\n", PACKAGE_VERSION);
			return 0;
		default:
			tpmproxyctl_usage(stderr);
			return 2;
		}
	}
	if (optind == argc) {
		tpmproxyctl_usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < TPMPROXYCTL_NCOMMANDS; i++) {
		if (strcmp(argv[optind], tpmproxyctl_commands[i].name) == 0) {
			argc -= optind;
			argv += optind;
			optind = 0; /* getopt starts afresh for the subcommand */
			return tpmproxyctl_commands[i].run(argc, argv);
		}
	}
	fprintf(stderr, "tpmproxyctl: unknown command \"%s\"\n", argv[optind]);
	tpmproxyctl_usage(stderr);
	return 2;
}

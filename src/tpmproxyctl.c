/* SPDX-License-Identifier: BSD-2-Clause */
/* tpmproxyctl: the operator's tool. A table of subcommands, each with its
 * usage; for now audit-verify, which needs no daemon. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditverify.h"

/* One subcommand: argv[0] is its name; returns the exit status. */
struct tpmproxyctl_command {
	const char *name;
	const char *args;
	const char *help;
	int (*run)(int argc, char **argv);
};

static int tpmproxyctl_audit_verify(int argc, char **argv);

static const struct tpmproxyctl_command tpmproxyctl_commands[] = {
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
	fprintf(f, "\n  -h, --help     show this help\n"
		   "  -V, --version  show the version\n");
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

/* Options, then the subcommand named by the first operand. */
int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	/* "+": stop at the subcommand, whose options are its own. */
	while ((c = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
		switch (c) {
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

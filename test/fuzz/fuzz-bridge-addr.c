/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness for tpmproxy-bridge's command line: the --listen
 * parser (src/bridge-addr.c) on the input as one string, and the whole
 * option parser (src/bridge-options.c) on it split at NUL bytes into an
 * argv. What is accepted must be usable: a port from 1 to 65534, a length
 * that matches the family, and a text form that parses back the same. */
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "bridge-addr.h"
#include "bridge-options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_ARGS 16

/* An accepted address: sane, and stable through its text form. */
static void
fuzz_check_addr(const struct bridge_addr *a)
{
	struct bridge_addr again;
	char text[BRIDGE_ADDR_TEXT_MAX], err[128];

	if (a->port == 0 || a->port == 65535)
		abort();
	if (!((a->ss.ss_family == AF_INET &&
	    a->len == sizeof(struct sockaddr_in)) ||
	    (a->ss.ss_family == AF_INET6 &&
	    a->len == sizeof(struct sockaddr_in6))))
		abort();
	bridge_addr_format((const struct sockaddr *)&a->ss, text,
	    sizeof(text));
	if (bridge_addr_parse(text, &again, err, sizeof(err)) != 0 ||
	    again.port != a->port || again.loopback != a->loopback ||
	    again.len != a->len || memcmp(&again.ss, &a->ss, a->len) != 0)
		abort();
}

/* Split the input at NUL bytes into argv and parse it as options. */
static void
fuzz_options(const char *buf, size_t size)
{
	char *argv[FUZZ_MAX_ARGS + 2];
	struct bridge_options o;
	enum bridge_options_action action;
	char err[512];
	int argc = 0;
	size_t off = 0;

	argv[argc++] = "tpmproxy-bridge";
	while (off <= size && argc <= FUZZ_MAX_ARGS) {
		argv[argc++] = (char *)buf + off;
		off += strlen(buf + off) + 1;
	}
	argv[argc] = NULL;
	if (bridge_options_parse(argc, argv, &o, &action, err,
	    sizeof(err)) != 0 || action != BRIDGE_OPTIONS_RUN)
		return;
	fuzz_check_addr(&o.listen);
	if (!o.listen.loopback && !o.allow_non_loopback)
		abort();
	if (o.socket_path[0] == '\0' || o.ctrl_path[0] == '\0' ||
	    strlen(o.ctrl_path) >= BRIDGE_PATH_MAX)
		abort();
	if (o.max_connections == 0 ||
	    o.max_connections > BRIDGE_MAX_CONNECTIONS_LIMIT)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bridge_addr a;
	char err[128];
	char *buf = malloc(size + 1);

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (bridge_addr_parse(buf, &a, err, sizeof(err)) == 0)
		fuzz_check_addr(&a);
	fuzz_options(buf, size);
	free(buf);
	return 0;
}

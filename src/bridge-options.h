/* SPDX-License-Identifier: BSD-2-Clause */
/* tpmproxy-bridge's command line. */
#ifndef TPMPROXY_BRIDGE_OPTIONS_H
#define TPMPROXY_BRIDGE_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/un.h>

#include "bridge-addr.h"
#include "log.h"

#define BRIDGE_DEFAULT_LISTEN "127.0.0.1:2321"
#define BRIDGE_DEFAULT_SOCKET "/run/tpmproxy/tpm.sock"
#define BRIDGE_DEFAULT_MAX_CONNECTIONS 64
#define BRIDGE_MAX_CONNECTIONS_LIMIT 16384
#define BRIDGE_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

/* What bridge_options_parse() found: run, or exit 0 after printing. */
enum bridge_options_action {
	BRIDGE_OPTIONS_RUN,
	BRIDGE_OPTIONS_HELP,
	BRIDGE_OPTIONS_VERSION,
};

struct bridge_options {
	struct bridge_addr listen;
	char socket_path[BRIDGE_PATH_MAX];  /* data: the daemon's socket */
	char ctrl_path[BRIDGE_PATH_MAX];    /* control: SOCKET.ctrl */
	unsigned max_connections;
	bool allow_non_loopback;
	enum log_level log_level;
};

int bridge_options_parse(int argc, char **argv, struct bridge_options *o,
    enum bridge_options_action *action, char *err, size_t errlen);
void bridge_options_usage(FILE *f);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* tpmproxyd's command line, and the configuration it selects. */
#ifndef TPMPROXY_OPTIONS_H
#define TPMPROXY_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"
#include "sandbox.h"

#define OPTIONS_MAX_SOCKETS 64
#define OPTIONS_DEFAULT_SOCKET "/run/tpmproxy/tpm.sock"

struct config;

/* What the command line said; a value set here overrides the file. */
struct options {
	const char *config;
	const char *tcti;                 /* NULL: the file's or default */
	const char *sockets[OPTIONS_MAX_SOCKETS];
	size_t nsockets;                  /* > 0: replaces the file's */
	const char *pid_file;
	const char *proc_root;            /* tests: DIR/PID/cgroup */
	const char *control_socket;       /* NULL: the file's */
	bool foreground;
	bool check_config;
	bool log_level_set;
	enum log_level log_level;
	unsigned partial_timeout_ms;      /* 0: not given */
	unsigned shutdown_grace_ms;
	int reserve_object_slots;         /* -1: not given */
	int reserve_session_slots;
	enum sandbox_seccomp seccomp;     /* default SANDBOX_SECCOMP_KILL */
};

void options_parse(int argc, char **argv, struct options *opts);
int options_config(const struct options *opts, struct config **out,
    char *err, size_t errlen);

#endif

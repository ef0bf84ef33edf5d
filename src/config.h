/* SPDX-License-Identifier: BSD-2-Clause */
/* tpmproxy.conf and conf.d/: the parsed, checked, immutable configuration. */
#ifndef TPMPROXY_CONFIG_H
#define TPMPROXY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "log.h"

/* Longest line accepted, newline excluded. */
#define CONFIG_LINE_MAX 4096
/* Largest configuration file read. */
#define CONFIG_FILE_MAX (1024 * 1024)
/* Longest socket or profile name; [A-Za-z0-9._-] only, since names appear
 * unescaped in logs and the JSON audit log. */
#define CONFIG_NAME_MAX 64
/* Longest socket path: sun_path (108) less its NUL, the ".ctrl" of its
 * control channel and the ".PID.tmp" suffix (12 bytes at most) listener.c
 * binds to before it renames. */
#define CONFIG_SOCKET_PATH_MAX 90
#define CONFIG_MAX_SOCKETS 1024
#define CONFIG_MAX_PROFILES 256
#define CONFIG_MAX_ALLOW_UIDS 256
/* Upper bound of every duration (24 hours). */
#define CONFIG_DURATION_MAX_MS (24u * 3600u * 1000u)

/* Socket defaults, applied to keys a [socket] section leaves out. */
#define CONFIG_DEFAULT_MODE 0660
#define CONFIG_DEFAULT_PROFILE "full"
#define CONFIG_DEFAULT_MAX_CONNECTIONS 64
#define CONFIG_DEFAULT_MAX_OBJECTS 16
#define CONFIG_DEFAULT_MAX_SESSIONS 8
/* Creating NV indices changes the shared TPM for good: off unless granted. */
#define CONFIG_DEFAULT_MAX_NV_INDICES 0
/* [daemon] max-saved-contexts, the default of each socket's. */
#define CONFIG_DEFAULT_MAX_SAVED_CONTEXTS 8

/* [daemon] defaults. */
#define CONFIG_DEFAULT_TCTI "device:/dev/tpm0"
#define CONFIG_DEFAULT_PARTIAL_TIMEOUT_MS 10000u
#define CONFIG_DEFAULT_SHUTDOWN_GRACE_MS 30000u
#define CONFIG_DEFAULT_RESERVE_SLOTS 1

/* What to do with a command when its audit record cannot be written. */
enum config_audit_failure {
	CONFIG_AUDIT_CONTINUE, /* log the failure and run the command */
	CONFIG_AUDIT_REFUSE,   /* answer TPM_RC_FAILURE in the RM layer */
};

/* How the TPM thread orders the commands of the group whose turn it is. */
enum config_schedule {
	CONFIG_SCHEDULE_RESIDENT_FIRST, /* loaded keys first, bounded bypass */
	CONFIG_SCHEDULE_FIFO,           /* first come first served */
};

/* A [socket "name"] section. Every field holds the effective value once
 * config_check() has run (defaults above filled in), except these, where 0
 * keeps its meaning: rate 0 = unlimited; burst 0 = one second of rate,
 * at least 1; idle_timeout_ms 0 = never; partial_timeout_ms 0 = the
 * daemon's partial-timeout; max_command_size 0 = the TPM's own maximum;
 * nallow_uids 0 = any peer uid may connect. */
struct config_socket {
	char *name;
	char *path;
	uid_t uid;
	gid_t gid; /* (gid_t)-1 when owner names no group: group unchanged */
	bool has_owner;
	mode_t mode;
	char *profile;
	unsigned max_connections, max_objects, max_sessions, max_nv_indices,
	    max_saved_contexts;
	double rate; /* commands per second */
	unsigned burst;
	uid_t *allow_uids;
	size_t nallow_uids;
	unsigned idle_timeout_ms, partial_timeout_ms;
	uint32_t max_command_size;
	char *file;           /* where the section header is */
	unsigned line;
	unsigned profile_line; /* where profile = is, 0 if defaulted */
};

/* A [profile "name"] section; config_check() verified that inherit names a
 * built-in or another [profile] and that there is no cycle. Turning this
 * into a command set is profile.c's job. */
struct config_profile {
	char *name;
	char *inherit; /* NULL: starts from the empty set */
	uint32_t *allow;
	size_t nallow;
	uint32_t *deny;
	size_t ndeny;
	char *file;
	unsigned line;
	unsigned inherit_line;
};

/* Where a [daemon] key was set, to name both places of a duplicate. */
struct config_origin {
	char *file; /* NULL: not set by any file */
	unsigned line;
};

enum config_daemon_key {
	CONFIG_KEY_TCTI,
	CONFIG_KEY_AUDIT_LOG,
	CONFIG_KEY_RESERVE_OBJECT_SLOTS,
	CONFIG_KEY_RESERVE_SESSION_SLOTS,
	CONFIG_KEY_LOG_LEVEL,
	CONFIG_KEY_USER,
	CONFIG_KEY_GROUP,
	CONFIG_KEY_CONTROL_SOCKET,
	CONFIG_KEY_PARTIAL_TIMEOUT,
	CONFIG_KEY_SHUTDOWN_GRACE,
	CONFIG_KEY_MAX_SAVED_CONTEXTS,
	CONFIG_KEY_AUDIT_FAILURE,
	CONFIG_KEY_METRICS_LISTEN,
	CONFIG_KEY_AUDIT_SYSLOG,
	CONFIG_KEY_SCHEDULE,
	CONFIG_DAEMON_NKEYS
};

/* The whole configuration. Built once by config_load() and never changed
 * after: a reload builds a new one and swaps the pointer. NULL strings are
 * "not configured" (no audit log, no control socket, no metrics, do not
 * change user or group). */
struct config {
	char *tcti;
	char *audit_log;
	unsigned reserve_object_slots, reserve_session_slots;
	enum log_level log_level;
	char *user; /* as written; uid resolved when parsed */
	uid_t uid;
	char *group;
	gid_t gid;
	char *control_socket;
	unsigned partial_timeout_ms, shutdown_grace_ms;
	unsigned max_saved_contexts;
	enum config_audit_failure audit_failure;
	char *metrics_listen;
	enum log_level audit_syslog; /* set[CONFIG_KEY_AUDIT_SYSLOG]: on */
	enum config_schedule schedule;

	struct config_socket *sockets;
	size_t nsockets;
	struct config_profile *profiles; /* custom ones only */
	size_t nprofiles;

	/* Set from a file, so command-line options can tell what to override
	 * and duplicates can name the first place. */
	struct config_origin set[CONFIG_DAEMON_NKEYS];
};

struct config *config_new_defaults(void);
void config_free(struct config *config);
void config_clear_sockets(struct config *config);
int config_parse_buffer(const char *name, const char *text, size_t len,
    struct config *into, char *err, size_t errlen);
int config_check(struct config *config, char *err, size_t errlen);
int config_load(const char *path, struct config **out, char *err,
    size_t errlen);
const struct config_socket *config_find_socket(const struct config *config,
    const char *name);
const struct config_profile *config_find_profile(const struct config *config,
    const char *name);
bool config_profile_is_builtin(const char *name);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* The audit log: one JSON line per command or security event, each carrying
 * the SHA-256 of the line before it, buffered in memory and written by
 * audit_flush(). Loop thread only. */
#ifndef TPMPROXY_AUDIT_H
#define TPMPROXY_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Pending records are written at once when they pass this many bytes. */
#define AUDIT_FLUSH_BYTES (64u * 1024)
/* While the file cannot be written, at most this many bytes of records wait;
 * the oldest beyond it are dropped, counted, and reported by an
 * "audit-error" line once writing works again. */
#define AUDIT_MAX_PENDING (1024u * 1024)

struct audit;

/* What one line says; NULL strings, -1 ids and zero numbers are left out. */
struct audit_record {
	const char *event;  /* command, connect, disconnect, denied, quota, ... */
	const char *socket; /* socket name */
	const char *pod;    /* pod UID, or NULL */
	long uid, gid, pid; /* -1 = unknown */
	uint64_t conn;      /* connection id, 0 = none */
	bool has_command;
	uint32_t code; /* "command":"TPM2_CC_Sign","cc":"0x0000015d" */
	bool has_rc;
	uint32_t rc; /* "rc":"0x00000000","rc_text":"tpm:success" */
	const uint32_t *handles; /* the client's (virtual) handles, hex */
	size_t nhandles;
	bool has_rhandle;
	uint32_t rhandle; /* the handle the response gave the client */
	uint64_t duration_us, queued_us;
	size_t bytes_in, bytes_out;
	bool has_counts; /* the client's group after the command */
	unsigned objects, sessions, saved, nv_indices;
	const char *detail; /* free text, e.g. "profile readonly" */
};

void audit_record_init(struct audit_record *r, const char *event,
    const char *socket, const char *pod, const struct ucred *peer,
    uint64_t conn);
int audit_open(const char *path, struct audit **out);
void audit_record(struct audit *a, const struct audit_record *r);
int audit_flush(struct audit *a);
int audit_reopen(struct audit *a);
void audit_close(struct audit *a);

bool audit_healthy(const struct audit *a);
void audit_set_syslog(struct audit *a, int priority);
uint64_t audit_failures(const struct audit *a);
uint64_t audit_records(const struct audit *a);
uint64_t audit_lost(const struct audit *a);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* Checking an audit log's SHA-256 chain: one line, or whole files in order
 * (tpmproxyctl audit-verify). The input is treated as hostile. */
#ifndef TPMPROXY_AUDITVERIFY_H
#define TPMPROXY_AUDITVERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define AUDITVERIFY_HASH_LEN 32

/* The chain across the lines and files checked so far. */
struct auditverify {
	uint8_t hash[AUDITVERIFY_HASH_LEN]; /* SHA-256 of the last line */
	bool have_hash; /* false before the first line: any prev goes */
	uint64_t lines; /* lines verified, all files */
	size_t files;   /* files verified */
	uint64_t line;  /* after an error: its line number in the file */
	const char *why; /* after an error: what is wrong */
};

int auditverify_line(const char *line, size_t len,
    const uint8_t prev_hash[AUDITVERIFY_HASH_LEN],
    uint8_t this_hash[AUDITVERIFY_HASH_LEN], const char **why);
void auditverify_init(struct auditverify *v, bool from_start);
int auditverify_file(struct auditverify *v, FILE *f);

#endif

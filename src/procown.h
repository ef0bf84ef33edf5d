/* SPDX-License-Identifier: BSD-2-Clause */
/* TPM resources owned by a client process rather than by a connection,
 * for clients that connect once per command (tcti-swtpm). */
#ifndef TPMPROXY_PROCOWN_H
#define TPMPROXY_PROCOWN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct daemon;
struct procown;

int procown_table_new(struct daemon *d);
void procown_table_free(struct daemon *d);
void procown_mark(struct daemon *d, const char *socket_name, pid_t pid);
struct procown *procown_attach(struct daemon *d, const char *socket_name,
    pid_t pid, const char *pod);
uint64_t procown_owner(const struct procown *p);
void procown_detach(struct daemon *d, struct procown *p);
size_t procown_count(const struct daemon *d);

#endif

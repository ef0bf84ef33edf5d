/* SPDX-License-Identifier: BSD-2-Clause */
/* Client identities: who is behind a connection, as a small stable id. */
#ifndef TPMPROXY_IDENTITY_H
#define TPMPROXY_IDENTITY_H

#include <stdint.h>
#include <sys/types.h>

struct identity_table;

int identity_table_new(struct identity_table **out);
uint64_t identity_intern(struct identity_table *t, const char *socket_path,
    uid_t uid, gid_t gid);
void identity_table_free(struct identity_table *t);

#endif

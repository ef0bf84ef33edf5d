/* SPDX-License-Identifier: BSD-2-Clause */
/* Listening unix sockets: safe creation, publication and accept. */
#ifndef TPMPROXY_LISTENER_H
#define TPMPROXY_LISTENER_H

#include <stdbool.h>
#include <sys/types.h>

struct daemon;

int listener_sync(struct daemon *d);
int listener_unix_socket(const char *path, mode_t mode, bool has_owner,
    uid_t uid, gid_t gid, int backlog);
void listener_close_all(struct daemon *d);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* Listening unix sockets: safe creation, publication and accept. */
#ifndef TPMPROXY_LISTENER_H
#define TPMPROXY_LISTENER_H

struct daemon;

int listener_sync(struct daemon *d);
void listener_close_all(struct daemon *d);

#endif

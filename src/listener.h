/* SPDX-License-Identifier: BSD-2-Clause */
/* Listening unix sockets: safe creation, publication and accept. */
#ifndef TPMPROXY_LISTENER_H
#define TPMPROXY_LISTENER_H

struct daemon;
struct listener;

int listener_create(struct daemon *d, const char *path);
int listener_publish_all(struct daemon *d);
void listener_close_all(struct daemon *d);

#endif

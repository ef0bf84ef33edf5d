/* SPDX-License-Identifier: BSD-2-Clause */
/* The control socket tpmproxyctl talks to: status, clients, stats,
 * sockets and reload, as text tables or JSON. */
#ifndef TPMPROXY_CONTROL_H
#define TPMPROXY_CONTROL_H

struct daemon;
struct job;

int control_open(struct daemon *d, const char *path);
void control_job_done(struct daemon *d, struct job *job);
void control_close(struct daemon *d);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* Prometheus metrics and Kubernetes health probes over HTTP (evhttp). */
#ifndef TPMPROXY_METRICS_H
#define TPMPROXY_METRICS_H

#include <stdint.h>

struct daemon;
struct job;

/* The requester id of the metrics' own snapshot jobs. */
#define METRICS_REQUESTER UINT64_MAX

int metrics_open(struct daemon *d, const char *listen);
void metrics_job_done(struct daemon *d, struct job *job);
void metrics_close(struct daemon *d);

#endif

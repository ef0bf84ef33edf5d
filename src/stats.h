/* SPDX-License-Identifier: BSD-2-Clause */
/* Per-socket counters and latency histograms kept by the loop thread. */
#ifndef TPMPROXY_STATS_H
#define TPMPROXY_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Latency buckets: upper bounds 1, 2, 4 ... 2^26 µs (about a minute). */
#define STATS_BUCKETS 28

struct stats_socket {
	char *name;
	uint64_t connections;   /* accepted, over the daemon's life */
	uint64_t commands;      /* answered, by the TPM or the proxy */
	uint64_t denied;        /* by the profile */
	uint64_t over_quota;    /* objects, sessions, saved, NV, connections */
	uint64_t rate_limited;  /* answered TPM_RC_RETRY */
	uint64_t delayed;       /* held back by the rate limit */
	uint64_t latency_sum_us;
	uint64_t latency[STATS_BUCKETS];
};

struct stats;

int stats_new(struct stats **out);
struct stats_socket *stats_socket(struct stats *s, const char *name);
void stats_latency(struct stats_socket *ss, uint64_t us);
uint64_t stats_percentile(const struct stats_socket *ss, double p);
void stats_total(const struct stats *s, struct stats_socket *total);
size_t stats_count(const struct stats *s);
const struct stats_socket *stats_at(const struct stats *s, size_t i);
uint64_t stats_bucket_bound(size_t i);
void stats_free(struct stats *s);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* Per-socket counters and latency histograms kept by the loop thread, for
 * tpmproxyctl stats and the metrics endpoint. Sockets removed by a reload
 * keep their counters: totals never go backwards. */
#include "stats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct stats {
	struct stats_socket *sockets;
	size_t count;
};

/* No sockets yet. */
int
stats_new(struct stats **out)
{
	*out = calloc(1, sizeof(**out));
	return *out == NULL ? -ENOMEM : 0;
}

/* A socket's counters, created on first use; NULL when out of memory. */
struct stats_socket *
stats_socket(struct stats *s, const char *name)
{
	struct stats_socket *grown;

	for (size_t i = 0; i < s->count; i++) {
		if (strcmp(s->sockets[i].name, name) == 0)
			return &s->sockets[i];
	}
	grown = realloc(s->sockets, (s->count + 1) * sizeof(*grown));
	if (grown == NULL)
		return NULL;
	s->sockets = grown;
	memset(&s->sockets[s->count], 0, sizeof(s->sockets[0]));
	s->sockets[s->count].name = strdup(name);
	if (s->sockets[s->count].name == NULL)
		return NULL;
	return &s->sockets[s->count++];
}

/* The upper bound in µs of latency bucket i; the last one is open. */
uint64_t
stats_bucket_bound(size_t i)
{
	return i + 1 >= STATS_BUCKETS ? UINT64_MAX : (uint64_t)1 << i;
}

/* Count one command's latency. */
void
stats_latency(struct stats_socket *ss, uint64_t us)
{
	size_t i = 0;

	while (i + 1 < STATS_BUCKETS && us > stats_bucket_bound(i))
		i++;
	ss->latency[i]++;
	ss->latency_sum_us += us;
}

/* The bucket bound under which a fraction p of commands finished. */
uint64_t
stats_percentile(const struct stats_socket *ss, double p)
{
	uint64_t total = 0, seen = 0;

	for (size_t i = 0; i < STATS_BUCKETS; i++)
		total += ss->latency[i];
	if (total == 0)
		return 0;
	for (size_t i = 0; i < STATS_BUCKETS; i++) {
		seen += ss->latency[i];
		if ((double)seen >= p * (double)total)
			return stats_bucket_bound(i);
	}
	return stats_bucket_bound(STATS_BUCKETS - 1);
}

/* Every socket's counters added up (total.name stays NULL). */
void
stats_total(const struct stats *s, struct stats_socket *total)
{
	memset(total, 0, sizeof(*total));
	for (size_t i = 0; i < s->count; i++) {
		const struct stats_socket *ss = &s->sockets[i];

		total->connections += ss->connections;
		total->commands += ss->commands;
		total->denied += ss->denied;
		total->over_quota += ss->over_quota;
		total->rate_limited += ss->rate_limited;
		total->delayed += ss->delayed;
		total->latency_sum_us += ss->latency_sum_us;
		for (size_t b = 0; b < STATS_BUCKETS; b++)
			total->latency[b] += ss->latency[b];
	}
}

/* How many sockets have counters. */
size_t
stats_count(const struct stats *s)
{
	return s->count;
}

/* The counters of socket i. */
const struct stats_socket *
stats_at(const struct stats *s, size_t i)
{
	return &s->sockets[i];
}

/* Free everything. */
void
stats_free(struct stats *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->count; i++)
		free(s->sockets[i].name);
	free(s->sockets);
	free(s);
}

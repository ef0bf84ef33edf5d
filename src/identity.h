/* SPDX-License-Identifier: BSD-2-Clause */
/* Client identities and groups, as seen by the loop thread. */
#ifndef TPMPROXY_IDENTITY_H
#define TPMPROXY_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "ratelimit.h"

/* Longest identity or group key: socket name, ids and a pod UID. */
#define IDENTITY_KEY_MAX 192

struct identity_table;

/* A group shares quotas, a rate limit and a turn in the fair queue: the
 * pod when the peer is in one, else the socket. */
struct client_group {
	uint64_t id;
	unsigned connections;
	unsigned jobs;              /* its jobs the TPM thread has not done */
	bool rm_holds;              /* the resource manager held something
	                             * for it after its latest job */
	struct ratelimit rate;
	double rate_per_second;     /* what rate was set up with */
	unsigned burst;
};

int identity_table_new(struct identity_table **out);
uint64_t identity_intern(struct identity_table *t,
    const struct client_group *g, const char *socket_name, uid_t uid,
    gid_t gid, const char *pod);
struct client_group *identity_group_get(struct identity_table *t,
    const char *socket_name, const char *pod, const struct timespec *now);
void identity_group_put(struct identity_table *t, struct client_group *g,
    const struct timespec *now);
void identity_group_job_done(struct identity_table *t, uint64_t group,
    bool rm_holds, const struct timespec *now);
void identity_table_counts(const struct identity_table *t,
    size_t *identities, size_t *groups);
void identity_table_free(struct identity_table *t);

#endif

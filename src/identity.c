/* SPDX-License-Identifier: BSD-2-Clause */
/* Client identities and groups, as seen by the loop thread.
 *
 * An identity is the socket a client came through, its uid and gid
 * (SO_PEERCRED) and its Kubernetes pod UID when it has one. Connections of
 * one identity share what it saved: a session saved by one tpm2-tools
 * process is loaded by the next. The resource manager only sees ids:
 * equal ids mean equal identities, with no hashing two clients could make
 * collide.
 *
 * A group is what quotas, rate limits and fairness count by: the pod, or
 * the socket for peers outside pods. Ids of identities and groups come from
 * one counter, so they never coincide.
 *
 * A group (and every identity in it) is kept while anything may still
 * depend on its id: a connection, a job the TPM thread has not done, what
 * the resource manager holds for it after the latest one (NV indices and
 * saved sessions outlive connections: a pod must not get a fresh quota by
 * reconnecting), or a token bucket not yet full again (nor a fresh burst).
 * Then it goes, so that pods coming and going (a CronJob makes a new pod
 * each run) do not grow the daemon. Loop thread only. */
#include "identity.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

struct identity {
	uint64_t id;
	uint64_t group;             /* the group it belongs to */
	char *key;
	LIST_ENTRY(identity) entry;
};

struct group_record {
	struct client_group group;
	char *key;
	LIST_ENTRY(group_record) entry;
};

struct identity_table {
	LIST_HEAD(, identity) identities;
	LIST_HEAD(, group_record) groups;
	uint64_t next_id;
};

/* An empty table. */
int
identity_table_new(struct identity_table **out)
{
	struct identity_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -ENOMEM;
	LIST_INIT(&t->identities);
	LIST_INIT(&t->groups);
	*out = t;
	return 0;
}

/* The id of an identity of group g, assigned on first sight; 0 when out of
 * memory (callers refuse the client then). */
uint64_t
identity_intern(struct identity_table *t, const struct client_group *g,
    const char *socket_name, uid_t uid, gid_t gid, const char *pod)
{
	char key[IDENTITY_KEY_MAX];
	struct identity *i;

	/* Socket names are [A-Za-z0-9._-] (config.c), pod UIDs hex and
	 * dashes (cgroup.c): the separators cannot occur inside them. */
	if ((size_t)snprintf(key, sizeof(key), "%s/%lu/%lu/%s", socket_name,
	    (unsigned long)uid, (unsigned long)gid, pod ? pod : "") >=
	    sizeof(key))
		return 0;
	LIST_FOREACH(i, &t->identities, entry) {
		if (strcmp(i->key, key) == 0)
			return i->id;
	}
	i = calloc(1, sizeof(*i));
	if (i == NULL || (i->key = strdup(key)) == NULL) {
		free(i);
		return 0;
	}
	i->id = ++t->next_id;
	i->group = g->id;
	LIST_INSERT_HEAD(&t->identities, i, entry);
	return i->id;
}

/* Whether the group's token bucket has filled up again by now: a fresh
 * group would start with a full one. */
static bool
identity_bucket_full(const struct ratelimit *rl, const struct timespec *now)
{
	double elapsed;

	if (rl->rate <= 0)
		return true;
	elapsed = (double)(now->tv_sec - rl->last.tv_sec) +
	    (double)(now->tv_nsec - rl->last.tv_nsec) / 1e9;
	return rl->tokens + elapsed * rl->rate >= rl->burst;
}

/* Whether nothing depends on the group's id any more. */
static bool
identity_group_idle(const struct group_record *r, const struct timespec *now)
{
	return r->group.connections == 0 && r->group.jobs == 0 &&
	    !r->group.rm_holds && identity_bucket_full(&r->group.rate, now);
}

/* Forget a group and the identities in it. */
static void
identity_group_free(struct identity_table *t, struct group_record *r)
{
	struct identity *i, *next;

	for (i = LIST_FIRST(&t->identities); i != NULL; i = next) {
		next = LIST_NEXT(i, entry);
		if (i->group != r->group.id)
			continue;
		LIST_REMOVE(i, entry);
		free(i->key);
		free(i);
	}
	LIST_REMOVE(r, entry);
	free(r->key);
	free(r);
}

/* Forget every group nothing depends on: those whose bucket was still
 * filling when their last connection or job ended go here, later. */
static void
identity_sweep(struct identity_table *t, const struct timespec *now)
{
	struct group_record *r, *next;

	for (r = LIST_FIRST(&t->groups); r != NULL; r = next) {
		next = LIST_NEXT(r, entry);
		if (identity_group_idle(r, now))
			identity_group_free(t, r);
	}
}

/* Take a connection's reference on its group: the pod if there is one,
 * else the socket; NULL when out of memory. */
struct client_group *
identity_group_get(struct identity_table *t, const char *socket_name,
    const char *pod, const struct timespec *now)
{
	char key[IDENTITY_KEY_MAX];
	struct group_record *r;

	if (pod != NULL)
		snprintf(key, sizeof(key), "pod:%s", pod);
	else if ((size_t)snprintf(key, sizeof(key), "socket:%s", socket_name) >=
	    sizeof(key))
		return NULL;
	LIST_FOREACH(r, &t->groups, entry) {
		if (strcmp(r->key, key) == 0) {
			r->group.connections++;
			return &r->group;
		}
	}
	/* A new group: the moment to drop those nothing needs, so that
	 * their number follows the groups that come, not the time. */
	identity_sweep(t, now);
	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->key = strdup(key)) == NULL) {
		free(r);
		return NULL;
	}
	r->group.id = ++t->next_id;
	r->group.connections = 1;
	LIST_INSERT_HEAD(&t->groups, r, entry);
	return &r->group;
}

/* The record of a group by id; NULL if it is gone. */
static struct group_record *
identity_group_find(struct identity_table *t, uint64_t id)
{
	struct group_record *r;

	LIST_FOREACH(r, &t->groups, entry) {
		if (r->group.id == id)
			return r;
	}
	return NULL;
}

/* Drop a connection's reference; the group goes once nothing depends on
 * it (its jobs done, nothing held for it). */
void
identity_group_put(struct identity_table *t, struct client_group *g,
    const struct timespec *now)
{
	struct group_record *r;

	if (g == NULL)
		return;
	if (g->connections > 0)
		g->connections--;
	r = identity_group_find(t, g->id);
	if (r != NULL && identity_group_idle(r, now))
		identity_group_free(t, r);
}

/* The TPM thread finished a job of the group (a command, or flushing what a
 * connection left); rm_holds says whether the resource manager holds
 * anything for the group after it. One TPM thread runs them and they
 * arrive here in the order it ran them (which may differ from the order
 * they were queued: worker.c), each with the whole group's state right
 * after it ran, so after the last one rm_holds is the group's state for
 * good, until it sends another. */
void
identity_group_job_done(struct identity_table *t, uint64_t group,
    bool rm_holds, const struct timespec *now)
{
	struct group_record *r = identity_group_find(t, group);

	if (r == NULL)
		return;
	if (r->group.jobs > 0)
		r->group.jobs--;
	r->group.rm_holds = rm_holds;
	if (identity_group_idle(r, now))
		identity_group_free(t, r);
}

/* How many identities and groups are kept (for tests and status). */
void
identity_table_counts(const struct identity_table *t, size_t *identities,
    size_t *groups)
{
	const struct identity *i;
	const struct group_record *r;

	*identities = *groups = 0;
	LIST_FOREACH(i, &t->identities, entry)
		(*identities)++;
	LIST_FOREACH(r, &t->groups, entry)
		(*groups)++;
}

/* Free the table. */
void
identity_table_free(struct identity_table *t)
{
	struct group_record *r;
	struct identity *i;

	if (t == NULL)
		return;
	while ((i = LIST_FIRST(&t->identities)) != NULL) {
		LIST_REMOVE(i, entry);
		free(i->key);
		free(i);
	}
	while ((r = LIST_FIRST(&t->groups)) != NULL) {
		LIST_REMOVE(r, entry);
		free(r->key);
		free(r);
	}
	free(t);
}

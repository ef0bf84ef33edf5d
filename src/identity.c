/* SPDX-License-Identifier: BSD-2-Clause */
/* Client identities and groups, as seen by the loop thread.
 *
 * An identity is the socket a client came through, its uid and gid
 * (SO_PEERCRED) and its Kubernetes pod UID when it has one. Connections of
 * one identity share what it saved: a session saved by one tpm2-tools
 * process is loaded by the next, so identities are kept for the daemon's
 * life (they are small). The resource manager only sees ids: equal ids
 * mean equal identities, with no hashing two clients could make collide.
 *
 * A group is what quotas, rate limits and fairness count by: the pod, or
 * the socket for peers outside pods; it is kept for the daemon's life too.
 * Ids of identities and groups come from one counter, so they never
 * coincide. Loop thread only. */
#include "identity.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

struct identity {
	uint64_t id;
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

/* The id of an identity, assigned on first sight; 0 when out of memory
 * (callers refuse the client then). */
uint64_t
identity_intern(struct identity_table *t, const char *socket_name, uid_t uid,
    gid_t gid, const char *pod)
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
	LIST_INSERT_HEAD(&t->identities, i, entry);
	return i->id;
}

/* Take a connection's reference on its group: the pod if there is one,
 * else the socket; NULL when out of memory. */
struct client_group *
identity_group_get(struct identity_table *t, const char *socket_name,
    const char *pod)
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

/* Drop a connection's reference. The group itself stays: its id keys the
 * quotas the resource manager counts (NV indices outlive connections), so
 * a pod must not get a fresh one by reconnecting. */
void
identity_group_put(struct identity_table *t, struct client_group *g)
{
	if (g != NULL && g->connections > 0)
		g->connections--;
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

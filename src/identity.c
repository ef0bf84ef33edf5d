/* SPDX-License-Identifier: BSD-2-Clause */
/* Client identities: who is behind a connection, as a small stable id.
 *
 * An identity is the socket a client came through and its uid and gid
 * (SO_PEERCRED). Connections of one identity share what it saved: a
 * session saved by one tpm2-tools process is loaded by the next. The
 * resource manager only ever sees the id; equal ids mean equal identities,
 * with no hashing that two clients could make collide. Loop thread only. */
#include "identity.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

struct identity {
	uint64_t id;
	uid_t uid;
	gid_t gid;
	char *socket_path;
	LIST_ENTRY(identity) entry;
};

struct identity_table {
	LIST_HEAD(, identity) all;
	uint64_t next_id;
};

/* An empty table. */
int
identity_table_new(struct identity_table **out)
{
	struct identity_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -ENOMEM;
	LIST_INIT(&t->all);
	*out = t;
	return 0;
}

/* The id of an identity, assigned on first sight; 0 when out of memory
 * (callers refuse the client then). */
uint64_t
identity_intern(struct identity_table *t, const char *socket_path, uid_t uid,
    gid_t gid)
{
	struct identity *i;

	LIST_FOREACH(i, &t->all, entry) {
		if (i->uid == uid && i->gid == gid &&
		    strcmp(i->socket_path, socket_path) == 0)
			return i->id;
	}
	i = calloc(1, sizeof(*i));
	if (i == NULL || (i->socket_path = strdup(socket_path)) == NULL) {
		free(i);
		return 0;
	}
	i->id = ++t->next_id;
	i->uid = uid;
	i->gid = gid;
	LIST_INSERT_HEAD(&t->all, i, entry);
	return i->id;
}

/* Free the table. */
void
identity_table_free(struct identity_table *t)
{
	struct identity *i;

	if (t == NULL)
		return;
	while ((i = LIST_FIRST(&t->all)) != NULL) {
		LIST_REMOVE(i, entry);
		free(i->socket_path);
		free(i);
	}
	free(t);
}

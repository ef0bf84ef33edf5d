/* SPDX-License-Identifier: BSD-2-Clause */
/* Resource manager bookkeeping: owners, their entries, virtual handles and
 * the LRU order of what is loaded. No TPM commands here. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "resmgr-internal.h"

/* Virtual handles carry a 24-bit counter under the transient prefix. */
#define RM_VHANDLE_MASK 0x00ffffffu
/* TPM2_HR_TRANSIENT, whose header definition shifts a signed int. */
#define RM_VHANDLE_BASE 0x80000000u

/* Whether h names a transient object (TPM2 Part 2, 7.2: TPM_HT_TRANSIENT). */
bool
rm_is_transient(uint32_t handle)
{
	return (handle >> TPM2_HR_SHIFT) == TPM2_HT_TRANSIENT;
}

/* Whether h names an HMAC or policy session. */
bool
rm_is_session(uint32_t handle)
{
	uint32_t type = handle >> TPM2_HR_SHIFT;

	return type == TPM2_HT_HMAC_SESSION || type == TPM2_HT_POLICY_SESSION;
}

/* Find a connection's record. */
struct rm_owner *
rm_owner_find(struct resmgr *rm, uint64_t id)
{
	struct rm_owner *o;

	TAILQ_FOREACH(o, &rm->owners, entry) {
		if (o->id == id)
			return o;
	}
	return NULL;
}

/* Find a quota group. */
struct rm_group *
rm_group_find(const struct resmgr *rm, uint64_t key)
{
	struct rm_group *g;

	TAILQ_FOREACH(g, &rm->groups, entry) {
		if (g->key == key)
			return g;
	}
	return NULL;
}

/* Take a reference on a quota group, creating it on first use. */
static struct rm_group *
rm_group_get(struct resmgr *rm, uint64_t key)
{
	struct rm_group *g = rm_group_find(rm, key);

	if (g == NULL) {
		g = calloc(1, sizeof(*g));
		if (g == NULL)
			return NULL;
		g->key = key;
		TAILQ_INSERT_HEAD(&rm->groups, g, entry);
	}
	g->refs++;
	return g;
}

/* Drop a reference; a group is kept while it holds NV indices, which
 * outlive its connections. */
void
rm_group_put(struct resmgr *rm, struct rm_group *g)
{
	if (--g->refs > 0 || g->used.nv_indices > 0)
		return;
	TAILQ_REMOVE(&rm->groups, g, entry);
	free(g->nv);
	free(g);
}

/* Find or create a connection's record, taking the quota of its latest
 * command; NULL when out of memory. */
struct rm_owner *
rm_owner_get(struct resmgr *rm, const struct resmgr_client *client)
{
	struct rm_owner *o = rm_owner_find(rm, client->owner);

	if (o == NULL) {
		o = calloc(1, sizeof(*o));
		if (o == NULL)
			return NULL;
		o->group = rm_group_get(rm, client->group);
		if (o->group == NULL) {
			free(o);
			return NULL;
		}
		o->id = client->owner;
		o->identity = client->identity;
		TAILQ_INIT(&o->entries);
		TAILQ_INSERT_HEAD(&rm->owners, o, entry);
	}
	o->quota = client->quota;
	return o;
}

/* Free an owner record whose entries are gone. */
void
rm_owner_free(struct resmgr *rm, struct rm_owner *o)
{
	TAILQ_REMOVE(&rm->owners, o, entry);
	rm_group_put(rm, o->group);
	free(o);
}

/* The counter of the group's usage that an entry in this state counts in. */
static unsigned *
rm_entry_usage(struct rm_entry *e)
{
	if (e->state == RM_CLIENT_SAVED)
		return &e->group->used.saved;
	if (e->kind == RM_SESSION)
		return &e->group->used.sessions;
	return &e->group->used.objects;
}

/* Find an owner's entry by the handle the client uses. */
struct rm_entry *
rm_entry_find(struct rm_owner *o, uint32_t vhandle)
{
	struct rm_entry *e;

	TAILQ_FOREACH(e, &o->entries, owner_entry) {
		if (e->vhandle == vhandle)
			return e;
	}
	return NULL;
}

/* Find a session an identity saved with ContextSave. */
struct rm_entry *
rm_client_saved_find(struct resmgr *rm, uint64_t identity, uint32_t handle)
{
	struct rm_entry *e;

	TAILQ_FOREACH(e, &rm->client_saved, owner_entry) {
		if (e->vhandle == handle && e->identity == identity)
			return e;
	}
	return NULL;
}

/* Pick the owner's next virtual handle: a counter that skips handles in
 * use, so a flushed handle comes back only after 2^24 allocations. */
static uint32_t
rm_vhandle_alloc(struct rm_owner *o)
{
	for (;;) {
		uint32_t h = RM_VHANDLE_BASE | (o->next_vhandle & RM_VHANDLE_MASK);

		o->next_vhandle++;
		if (rm_entry_find(o, h) == NULL)
			return h;
	}
}

/* A new loaded entry for something the TPM just created or loaded. */
struct rm_entry *
rm_entry_new(struct resmgr *rm, struct rm_owner *o, enum rm_kind kind,
    uint32_t phandle)
{
	struct rm_entry *e;

	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->kind = kind;
	e->owner = o;
	e->identity = o->identity;
	e->group = o->group;
	e->group->refs++;
	(*rm_entry_usage(e))++;
	e->vhandle = kind == RM_SESSION ? phandle : rm_vhandle_alloc(o);
	TAILQ_INSERT_TAIL(&o->entries, e, owner_entry);
	o->count++;
	rm_entry_set_loaded(rm, e, phandle);
	return e;
}

/* The loaded list an entry of this kind lives on. */
static struct rm_entry_list *
rm_loaded_list(struct resmgr *rm, const struct rm_entry *e, size_t **count)
{
	if (e->kind == RM_SESSION) {
		*count = &rm->nloaded_sessions;
		return &rm->loaded_sessions;
	}
	*count = &rm->nloaded_objects;
	return &rm->loaded_objects;
}

/* The entry is in a TPM slot now. */
void
rm_entry_set_loaded(struct resmgr *rm, struct rm_entry *e, uint32_t phandle)
{
	struct rm_entry_list *list;
	size_t *count;

	if (e->kind == RM_SESSION &&
	    (e->state == RM_SAVED || e->state == RM_CLIENT_SAVED)) {
		/* A session context can be loaded once only. */
		TAILQ_REMOVE(&rm->saved_sessions, e, saved_entry);
		rm_entry_set_context(e, NULL, 0);
	}
	(*rm_entry_usage(e))--;
	list = rm_loaded_list(rm, e, &count);
	e->state = RM_LOADED;
	(*rm_entry_usage(e))++;
	e->phandle = phandle;
	TAILQ_INSERT_TAIL(list, e, lru_entry);
	(*count)++;
}

/* The entry left its TPM slot (swapped out or saved by the client); a
 * session goes on the saved list through rm_session_saved. */
void
rm_entry_set_unloaded(struct resmgr *rm, struct rm_entry *e,
    enum rm_state state)
{
	struct rm_entry_list *list;
	size_t *count;

	if (e->state == RM_LOADED) {
		list = rm_loaded_list(rm, e, &count);
		TAILQ_REMOVE(list, e, lru_entry);
		(*count)--;
	}
	e->state = state;
	e->phandle = 0;
}

/* Replace the entry's saved context (takes ownership of context). */
void
rm_entry_set_context(struct rm_entry *e, uint8_t *context, size_t len)
{
	free(e->context);
	e->context = context;
	e->context_len = len;
}

/* A session its client saved leaves the connection for the identity. */
void
rm_entry_set_client_saved(struct resmgr *rm, struct rm_entry *e)
{
	(*rm_entry_usage(e))--;
	rm_entry_set_unloaded(rm, e, RM_CLIENT_SAVED);
	(*rm_entry_usage(e))++;
	TAILQ_REMOVE(&e->owner->entries, e, owner_entry);
	e->owner->count--;
	e->saver = e->owner->id;
	e->owner = NULL;
	TAILQ_INSERT_TAIL(&rm->client_saved, e, owner_entry);
}

/* A connection loaded a session its identity saved: it holds it now. The
 * entry must be loaded already (its state counts as a session again). */
void
rm_entry_adopt(struct resmgr *rm, struct rm_entry *e, struct rm_owner *o)
{
	TAILQ_REMOVE(&rm->client_saved, e, owner_entry);
	free(e->client_context);
	e->client_context = NULL;
	e->client_context_len = 0;
	e->owner = o;
	TAILQ_INSERT_TAIL(&o->entries, e, owner_entry);
	o->count++;
}

/* Mark an entry most recently used. */
void
rm_entry_touch(struct resmgr *rm, struct rm_entry *e)
{
	struct rm_entry_list *list;
	size_t *count;

	if (e->state != RM_LOADED)
		return;
	list = rm_loaded_list(rm, e, &count);
	TAILQ_REMOVE(list, e, lru_entry);
	TAILQ_INSERT_TAIL(list, e, lru_entry);
}

/* Forget an entry (the TPM no longer holds it). */
void
rm_entry_free(struct resmgr *rm, struct rm_entry *e)
{
	(*rm_entry_usage(e))--;
	rm_group_put(rm, e->group);
	if (e->state == RM_LOADED)
		rm_entry_set_unloaded(rm, e, RM_NEW);
	else if (e->kind == RM_SESSION && e->state != RM_NEW)
		TAILQ_REMOVE(&rm->saved_sessions, e, saved_entry);
	if (e->owner != NULL) {
		TAILQ_REMOVE(&e->owner->entries, e, owner_entry);
		e->owner->count--;
	} else {
		TAILQ_REMOVE(&rm->client_saved, e, owner_entry);
	}
	free(e->context);
	free(e->client_context);
	free(e);
}

/* Whether the TPM just gave out a handle that an entry other than except
 * holds: then the TPM no longer holds what we record. Session handles stay
 * taken while the session is saved, too (TPM2 Part 1, 30.5). */
bool
rm_handle_taken(struct resmgr *rm, uint32_t handle,
    const struct rm_entry *except)
{
	struct rm_owner *o;
	struct rm_entry *e;

	if (!rm_is_session(handle)) {
		TAILQ_FOREACH(e, &rm->loaded_objects, lru_entry) {
			if (e != except && e->phandle == handle)
				return true;
		}
		return false;
	}
	TAILQ_FOREACH(o, &rm->owners, entry) {
		TAILQ_FOREACH(e, &o->entries, owner_entry) {
			if (e != except && e->kind == RM_SESSION &&
			    e->vhandle == handle)
				return true;
		}
	}
	TAILQ_FOREACH(e, &rm->client_saved, owner_entry) {
		if (e != except && e->vhandle == handle)
			return true;
	}
	return false;
}

/* The TPM was lost: nothing recorded is in it any more, and no saved
 * context may be loaded into the TPM that comes back. Forget every entry
 * without a TPM command; connections keep their records, so that their
 * virtual handle counters go on and an old handle is not reissued soon.
 * Returns how many entries were forgotten. */
size_t
rm_forget_all(struct resmgr *rm)
{
	struct rm_owner *o;
	struct rm_entry *e;
	size_t n = 0;

	TAILQ_FOREACH(o, &rm->owners, entry) {
		while ((e = TAILQ_FIRST(&o->entries)) != NULL) {
			rm_entry_free(rm, e);
			n++;
		}
	}
	while ((e = TAILQ_FIRST(&rm->client_saved)) != NULL) {
		rm_entry_free(rm, e);
		n++;
	}
	/* A new TPM counts session contexts from anywhere (TPM2 Part 1,
	 * 30.5); the next save tells. */
	rm->next_session_sequence = 0;
	rm->regapping = false;
	return n;
}

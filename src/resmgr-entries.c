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

/* Find or create a connection's record; NULL when out of memory. */
struct rm_owner *
rm_owner_get(struct resmgr *rm, uint64_t id, uint64_t identity)
{
	struct rm_owner *o = rm_owner_find(rm, id);

	if (o != NULL)
		return o;
	o = calloc(1, sizeof(*o));
	if (o == NULL)
		return NULL;
	o->id = id;
	o->identity = identity;
	TAILQ_INIT(&o->entries);
	TAILQ_INSERT_HEAD(&rm->owners, o, entry);
	return o;
}

/* Free an owner record whose entries are gone. */
void
rm_owner_free(struct resmgr *rm, struct rm_owner *o)
{
	TAILQ_REMOVE(&rm->owners, o, entry);
	free(o);
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
	list = rm_loaded_list(rm, e, &count);
	e->state = RM_LOADED;
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

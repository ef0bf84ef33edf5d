/* SPDX-License-Identifier: BSD-2-Clause */
/* The fair queue of jobs for the TPM thread: round-robin across client
 * groups (a pod, or a socket's identity), first come first served within
 * a group.
 *
 * A connection has at most one command queued, so first come first served
 * inside a group is round-robin across its connections; and a group with a
 * thousand connections still gets one turn per round, so a flooding pod
 * delays another pod's command by at most one TPM command. A group's jobs
 * keep their order, which puts a departed connection's clean-up behind its
 * last command. Not locked: worker.c calls it under its own mutex. */
#include "fairq.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/queue.h>

#include "worker.h"

#define FAIRQ_BUCKETS 64

struct fairq_group {
	uint64_t key;
	TAILQ_HEAD(, job) jobs;
	TAILQ_ENTRY(fairq_group) ring_entry;   /* groups with jobs */
	LIST_ENTRY(fairq_group) bucket_entry;
};

struct fairq {
	TAILQ_HEAD(, fairq_group) ring;
	LIST_HEAD(, fairq_group) buckets[FAIRQ_BUCKETS];
	size_t len;
};

/* An empty queue. */
int
fairq_new(struct fairq **out)
{
	struct fairq *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return -ENOMEM;
	TAILQ_INIT(&s->ring);
	for (size_t i = 0; i < FAIRQ_BUCKETS; i++)
		LIST_INIT(&s->buckets[i]);
	*out = s;
	return 0;
}

/* Queue a job behind the others of its group; a group that had none joins
 * the end of the round. */
int
fairq_push(struct fairq *s, struct job *job)
{
	struct fairq_group *g;

	LIST_FOREACH(g, &s->buckets[job->group % FAIRQ_BUCKETS], bucket_entry) {
		if (g->key == job->group)
			break;
	}
	if (g == NULL) {
		g = calloc(1, sizeof(*g));
		if (g == NULL)
			return -ENOMEM;
		g->key = job->group;
		TAILQ_INIT(&g->jobs);
		LIST_INSERT_HEAD(&s->buckets[job->group % FAIRQ_BUCKETS], g,
		    bucket_entry);
		TAILQ_INSERT_TAIL(&s->ring, g, ring_entry);
	}
	TAILQ_INSERT_TAIL(&g->jobs, job, entry);
	s->len++;
	return 0;
}

/* The next job: the first of the group whose turn it is; that group goes
 * to the end of the round, or away when it has nothing left. */
struct job *
fairq_pop(struct fairq *s)
{
	struct fairq_group *g = TAILQ_FIRST(&s->ring);
	struct job *job;

	if (g == NULL)
		return NULL;
	job = TAILQ_FIRST(&g->jobs);
	TAILQ_REMOVE(&g->jobs, job, entry);
	TAILQ_REMOVE(&s->ring, g, ring_entry);
	if (TAILQ_EMPTY(&g->jobs)) {
		LIST_REMOVE(g, bucket_entry);
		free(g);
	} else {
		TAILQ_INSERT_TAIL(&s->ring, g, ring_entry);
	}
	s->len--;
	return job;
}

/* Jobs queued. */
size_t
fairq_len(const struct fairq *s)
{
	return s->len;
}

/* Free the queue; the caller has taken every job out. */
void
fairq_free(struct fairq *s)
{
	free(s);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* The fair queue of jobs for the TPM thread: round-robin across client
 * groups (a pod, or a socket's identity), first come first served within
 * a group, or, when asked, a job that needs no swap before older ones of
 * its group, each passed over a bounded number of times.
 *
 * A connection has at most one command queued, so first come first served
 * inside a group is round-robin across its connections; and a group with a
 * thousand connections still gets one turn per round, so a flooding pod
 * delays another pod's command by at most one TPM command. A group's jobs
 * keep their order, which puts a departed connection's clean-up behind its
 * last command.
 *
 * fairq_pop_preferring() changes only which job of the group whose turn it
 * is runs: one the caller says is cheap (its keys are loaded in the TPM)
 * before older ones that would each swap a key in, so that clients whose
 * keys are loaded finish before the keys are swapped out again. A job is
 * passed over at most max(FAIRQ_MIN_PASSES, jobs of its group when it was
 * queued) times, so it waits at most about twice as many turns of its
 * group as first come first served would make it wait, however many cheap
 * jobs keep coming. Not locked: worker.c calls it under its own mutex. */
#include "fairq.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/queue.h>

#include "worker.h"

#define FAIRQ_BUCKETS 64

struct fairq_group {
	uint64_t key;
	TAILQ_HEAD(, job) jobs;
	size_t len;                            /* jobs queued */
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
	g->len++;
	job->passes_left = g->len > FAIRQ_MIN_PASSES ? (unsigned)g->len :
	    FAIRQ_MIN_PASSES;
	s->len++;
	return 0;
}

/* Take job out of g, the group whose turn it is; g goes to the end of the
 * round, or away when it has nothing left. */
static struct job *
fairq_take(struct fairq *s, struct fairq_group *g, struct job *job)
{
	TAILQ_REMOVE(&g->jobs, job, entry);
	g->len--;
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

/* The next job: the first of the group whose turn it is. */
struct job *
fairq_pop(struct fairq *s)
{
	struct fairq_group *g = TAILQ_FIRST(&s->ring);

	if (g == NULL)
		return NULL;
	return fairq_take(s, g, TAILQ_FIRST(&g->jobs));
}

/* Whether a job queued earlier may run after one queued later. Only
 * commands with passes left are passed over: a departed owner's flush
 * (JOB_OWNER_GONE) keeps every later job of its group behind it, so the
 * group's next client finds what an earlier one left flushed and its quota
 * free, as in first-come order. And nothing passes an earlier job of its
 * own owner: a connection has one command in flight, so its jobs keep
 * their order by construction, but an owner of several connections (a
 * process, for tcti-swtpm clients; procown.c) may have two queued. */
static bool
fairq_may_pass(const struct job *earlier, const struct job *later)
{
	return earlier->type == JOB_COMMAND && earlier->passes_left > 0 &&
	    earlier->client.owner != later->client.owner;
}

/* Whether job may run before every job queued ahead of it in g. */
static bool
fairq_may_jump(const struct fairq_group *g, const struct job *job)
{
	const struct job *p;

	for (p = TAILQ_FIRST(&g->jobs); p != job; p = TAILQ_NEXT(p, entry)) {
		if (!fairq_may_pass(p, job))
			return false;
	}
	return true;
}

/* The next job of the group whose turn it is: the first of its first
 * max_look jobs for which pred holds and which may run ahead of those
 * before it; else its first. Each job passed over uses up one pass. The
 * turns of the groups are those of fairq_pop(). */
struct job *
fairq_pop_preferring(struct fairq *s, fairq_pred pred, void *arg,
    unsigned max_look)
{
	struct fairq_group *g = TAILQ_FIRST(&s->ring);
	struct job *j, *take = NULL;
	unsigned looked = 0;

	if (g == NULL)
		return NULL;
	for (j = TAILQ_FIRST(&g->jobs); j != NULL && looked < max_look;
	    j = TAILQ_NEXT(j, entry), looked++) {
		if (pred(j, arg) && fairq_may_jump(g, j)) {
			take = j;
			break;
		}
		/* Nothing behind a job that may not be passed runs first. */
		if (j->type != JOB_COMMAND || j->passes_left == 0)
			break;
	}
	if (take == NULL)
		return fairq_take(s, g, TAILQ_FIRST(&g->jobs));
	for (j = TAILQ_FIRST(&g->jobs); j != take; j = TAILQ_NEXT(j, entry))
		j->passes_left--;
	return fairq_take(s, g, take);
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

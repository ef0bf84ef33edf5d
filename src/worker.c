/* SPDX-License-Identifier: BSD-2-Clause */
/* The TPM thread and the one queue between it and the loop thread.
 *
 * The loop thread submits jobs; the TPM thread takes one at a time, runs it
 * to completion through the resource manager, and puts it on the done list,
 * waking the loop through an eventfd. The mutex guards the two lists and
 * the schedule flag only.
 *
 * With schedule = resident-first (the default) the TPM thread takes, within
 * the group whose turn it is, a command whose objects and sessions are
 * loaded already before older ones that would swap (fairq.c bounds how
 * often a job is passed over). With more clients holding keys than the TPM
 * has slots, first-come order swaps on every command (load, command,
 * flush: three TPM commands for one); this lets a client whose key is in
 * finish before it is swapped out again. Jobs finish in the order they run
 * here, which the done list keeps; each carries its group's usage after it
 * ran, so the last one the loop sees has the group's state. */
#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "resmgr.h"
#include "fairq.h"

/* Queued jobs of a group looked at for one that needs no swap. */
#define WORKER_LOOK_AHEAD 64

TAILQ_HEAD(job_list, job);

struct worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct fairq *pending;     /* loop -> TPM thread, fair order */
	struct job_list done;      /* TPM thread -> loop */
	bool stopping;
	bool resident_first;       /* schedule = resident-first */
	bool schedule_set;         /* once: log the first setting too */
	int efd;
	struct event *ev;
	struct resmgr *rm;
	worker_done_cb done_cb;
	void *done_arg;
};

/* Allocate a job; cmd is copied, rsp_cap bytes reserved for the answer. */
struct job *
job_new(enum job_type type, uint64_t owner, const uint8_t *cmd,
    size_t cmd_len, size_t rsp_cap)
{
	struct job *job;

	job = calloc(1, sizeof(*job));
	if (job == NULL)
		return NULL;
	job->type = type;
	job->client.owner = owner;
	if (cmd_len > 0) {
		job->cmd = malloc(cmd_len);
		job->rsp = malloc(rsp_cap);
		if (job->cmd == NULL || job->rsp == NULL) {
			job_free(job);
			return NULL;
		}
		memcpy(job->cmd, cmd, cmd_len);
		job->cmd_len = cmd_len;
		job->rsp_cap = rsp_cap;
	}
	clock_gettime(CLOCK_MONOTONIC, &job->queued);
	return job;
}

/* Free a job and its buffers. */
void
job_free(struct job *job)
{
	if (job == NULL)
		return;
	free(job->cmd);
	free(job->rsp);
	free(job);
}

/* Run one job on the TPM thread. */
static void
worker_run(struct worker *w, struct job *job)
{
	clock_gettime(CLOCK_MONOTONIC, &job->started);
	switch (job->type) {
	case JOB_COMMAND:
		job->rsp_len = resmgr_execute(w->rm, &job->client, job->cmd,
		    job->cmd_len, job->rsp, job->rsp_cap);
		job->has_usage = resmgr_group_usage(w->rm, job->client.group,
		    &job->usage) == 0;
		break;
	case JOB_OWNER_GONE:
		resmgr_owner_gone(w->rm, job->client.owner);
		/* Whether the group still holds anything (NV indices, saved
		 * sessions): the loop forgets its id only when not. */
		job->has_usage = resmgr_group_usage(w->rm, job->client.group,
		    &job->usage) == 0;
		break;
	case JOB_SNAPSHOT:
		if (job->snapshot != NULL &&
		    resmgr_snapshot(w->rm, job->snapshot) != 0)
			resmgr_snapshot_free(job->snapshot);
		break;
	}
	clock_gettime(CLOCK_MONOTONIC, &job->finished);
}

/* Whether a queued job can run without swapping anything in: a command
 * whose objects and sessions are loaded for its owner now. TPM thread. */
static bool
worker_job_resident(const struct job *job, void *arg)
{
	const struct worker *w = arg;

	return job->type == JOB_COMMAND && resmgr_resident(w->rm,
	    job->client.owner, job->cmd, job->cmd_len);
}

/* The TPM thread: take jobs until told to stop and the queue is empty. */
static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	const uint64_t one = 1;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct job *job;

		while (fairq_len(w->pending) == 0 && !w->stopping)
			pthread_cond_wait(&w->wake, &w->lock);
		/* The resource manager is this thread's: asking it under the
		 * lock only delays the loop's next submit by the look. */
		if (w->resident_first)
			job = fairq_pop_preferring(w->pending,
			    worker_job_resident, w, WORKER_LOOK_AHEAD);
		else
			job = fairq_pop(w->pending);
		if (job == NULL)
			break;
		pthread_mutex_unlock(&w->lock);

		worker_run(w, job);

		pthread_mutex_lock(&w->lock);
		TAILQ_INSERT_TAIL(&w->done, job, entry);
		/* An eventfd write only fails when the counter would
		 * overflow, which a pending wake-up makes harmless. */
		if (write(w->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_warn("eventfd write");
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Loop thread: hand finished jobs to the done callback. */
static void
worker_done_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct job_list ready = TAILQ_HEAD_INITIALIZER(ready);
	struct job *job;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("eventfd read");
	pthread_mutex_lock(&w->lock);
	TAILQ_CONCAT(&ready, &w->done, entry);
	pthread_mutex_unlock(&w->lock);
	while ((job = TAILQ_FIRST(&ready)) != NULL) {
		TAILQ_REMOVE(&ready, job, entry);
		w->done_cb(job, w->done_arg);
	}
}

/* Start the TPM thread; done is called on the loop thread per job. */
int
worker_start(struct event_base *base, struct resmgr *rm, worker_done_cb done,
    void *arg, struct worker **out)
{
	struct worker *w;
	int r;

	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	if (fairq_new(&w->pending) != 0) {
		free(w);
		return -ENOMEM;
	}
	TAILQ_INIT(&w->done);
	w->rm = rm;
	w->done_cb = done;
	w->done_arg = arg;
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->efd < 0) {
		r = -errno;
		fairq_free(w->pending);
		free(w);
		return r;
	}
	w->ev = event_new(base, w->efd, EV_READ | EV_PERSIST,
	    worker_done_event_cb, w);
	if (w->ev == NULL || event_add(w->ev, NULL) != 0) {
		r = -ENOMEM;
		goto fail;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	r = -pthread_create(&w->thread, NULL, worker_main, w);
	if (r != 0) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		goto fail;
	}
	*out = w;
	return 0;
fail:
	if (w->ev != NULL)
		event_free(w->ev);
	close(w->efd);
	fairq_free(w->pending);
	free(w);
	return r;
}

/* Queue a job for the TPM thread, in its group's turn; -ENOMEM if the
 * queue cannot take it. */
int
worker_submit(struct worker *w, struct job *job)
{
	int r;

	pthread_mutex_lock(&w->lock);
	r = fairq_push(w->pending, job);
	if (r == 0)
		pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	return r;
}

/* Queue the flush of what owner left in the TPM, in its group's turn:
 * behind the owner's commands already queued. 0, or -ENOMEM. */
int
worker_submit_owner_gone(struct worker *w, uint64_t owner, uint64_t group)
{
	struct job *job = job_new(JOB_OWNER_GONE, owner, NULL, 0, 0);

	if (job == NULL)
		return -ENOMEM;
	job->client.group = group;
	job->group = group;
	if (worker_submit(w, job) != 0) {
		job_free(job);
		return -ENOMEM;
	}
	return 0;
}

/* Choose how the TPM thread orders a group's jobs, from the next one on:
 * resident-first, or first come first served. */
void
worker_set_resident_first(struct worker *w, bool on)
{
	pthread_mutex_lock(&w->lock);
	if (w->resident_first != on || !w->schedule_set)
		log_info("TPM thread schedule: %s", on ? "resident-first" :
		    "fifo");
	w->resident_first = on;
	w->schedule_set = true;
	pthread_mutex_unlock(&w->lock);
}

/* Finish the queued jobs, join the thread, and free the worker; finished
 * jobs not yet delivered are freed without calling back. */
void
worker_stop(struct worker *w)
{
	struct job *job;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	while ((job = TAILQ_FIRST(&w->done)) != NULL) {
		TAILQ_REMOVE(&w->done, job, entry);
		job_free(job);
	}
	event_free(w->ev);
	close(w->efd);
	fairq_free(w->pending);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

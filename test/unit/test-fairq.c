/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of src/fairq.c: round-robin across groups, order within one,
 * and resident-first within one with its bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "fairq.h"
#include "worker.h"

static struct job *
job(uint64_t group, uint64_t owner)
{
	struct job *j = calloc(1, sizeof(*j));

	assert_non_null(j);
	j->group = group;
	j->client.owner = owner;
	return j;
}

/* Pop one job and return its owner (the job is freed). */
static uint64_t
pop_owner(struct fairq *s)
{
	struct job *j = fairq_pop(s);
	uint64_t owner;

	assert_non_null(j);
	owner = j->client.owner;
	free(j);
	return owner;
}

static void
fairq_pop_empty(void **state)
{
	struct fairq *s;

	assert_int_equal(fairq_new(&s), 0);
	assert_null(fairq_pop(s));
	assert_int_equal(fairq_len(s), 0);
	fairq_free(s);
}

static void
fairq_pop_keeps_order_within_a_group(void **state)
{
	struct fairq *s;

	assert_int_equal(fairq_new(&s), 0);
	for (uint64_t i = 1; i <= 5; i++)
		assert_int_equal(fairq_push(s, job(7, i)), 0);
	for (uint64_t i = 1; i <= 5; i++)
		assert_int_equal(pop_owner(s), i);
	assert_null(fairq_pop(s));
	fairq_free(s);
}

static void
fairq_pop_flooding_group_delays_victim_one_turn(void **state)
{
	struct fairq *s;

	assert_int_equal(fairq_new(&s), 0);
	/* A pod with 100 commands queued from 100 connections ... */
	for (uint64_t i = 0; i < 100; i++)
		assert_int_equal(fairq_push(s, job(1, 1000 + i)), 0);
	/* ... and two other pods' commands arriving after them. */
	assert_int_equal(fairq_push(s, job(2, 2)), 0);
	assert_int_equal(fairq_push(s, job(3, 3)), 0);
	assert_int_equal(fairq_len(s), 102);
	/* Each waits at most one command per competing pod. */
	assert_int_equal(pop_owner(s), 1000);
	assert_int_equal(pop_owner(s), 2);
	assert_int_equal(pop_owner(s), 3);
	assert_int_equal(pop_owner(s), 1001);
	/* A pod that comes back joins the end of the round. */
	assert_int_equal(fairq_push(s, job(2, 22)), 0);
	assert_int_equal(pop_owner(s), 1002);
	assert_int_equal(pop_owner(s), 22);
	for (uint64_t i = 3; i < 100; i++)
		assert_int_equal(pop_owner(s), 1000 + i);
	assert_null(fairq_pop(s));
	fairq_free(s);
}

static void
fairq_pop_round_robin_across_many_groups(void **state)
{
	struct fairq *s;

	assert_int_equal(fairq_new(&s), 0);
	/* Groups that collide in the hash table stay apart. */
	for (int round = 0; round < 3; round++) {
		for (uint64_t g = 0; g < 200; g++)
			assert_int_equal(fairq_push(s, job(g * 64, g)), 0);
	}
	for (int round = 0; round < 3; round++) {
		for (uint64_t g = 0; g < 200; g++)
			assert_int_equal(pop_owner(s), g);
	}
	assert_int_equal(fairq_len(s), 0);
	fairq_free(s);
}

/* Jobs that count as resident (their keys loaded), for the preferring
 * pop: those of a bitmap of owners below 1024, and one job. */
struct resident {
	bool owner[1024];
	const struct job *job;
};

static bool
is_resident(const struct job *j, void *arg)
{
	const struct resident *r = arg;

	return j == r->job || (j->client.owner < 1024 &&
	    r->owner[j->client.owner]);
}

/* Pop with the preference and return the owner (the job is freed). */
static uint64_t
pop_pref(struct fairq *s, struct resident *r)
{
	struct job *j = fairq_pop_preferring(s, is_resident, r, 64);
	uint64_t owner;

	assert_non_null(j);
	owner = j->client.owner;
	free(j);
	return owner;
}

static struct job *
gone(uint64_t group, uint64_t owner)
{
	struct job *j = job(group, owner);

	j->type = JOB_OWNER_GONE;
	return j;
}

static void
fairq_pop_preferring_empty(void **state)
{
	struct resident r = { 0 };
	struct fairq *s;

	assert_int_equal(fairq_new(&s), 0);
	assert_null(fairq_pop_preferring(s, is_resident, &r, 64));
	fairq_free(s);
}

static void
fairq_pop_preferring_takes_resident_before_older(void **state)
{
	struct resident r = { 0 };
	struct fairq *s;

	assert_int_equal(fairq_new(&s), 0);
	for (uint64_t i = 1; i <= 5; i++)
		assert_int_equal(fairq_push(s, job(7, i)), 0);
	r.owner[4] = true;
	assert_int_equal(pop_pref(s, &r), 4);
	/* Nothing resident: first come first served. */
	r.owner[4] = false;
	assert_int_equal(pop_pref(s, &r), 1);
	assert_int_equal(pop_pref(s, &r), 2);
	assert_int_equal(pop_pref(s, &r), 3);
	assert_int_equal(pop_pref(s, &r), 5);
	assert_null(fairq_pop_preferring(s, is_resident, &r, 64));
	fairq_free(s);
}

static void
fairq_pop_preferring_head_resident_is_fifo(void **state)
{
	struct resident r = { 0 };
	struct fairq *s;

	assert_int_equal(fairq_new(&s), 0);
	for (uint64_t i = 1; i <= 3; i++) {
		assert_int_equal(fairq_push(s, job(7, i)), 0);
		r.owner[i] = true;
	}
	for (uint64_t i = 1; i <= 3; i++)
		assert_int_equal(pop_pref(s, &r), i);
	fairq_free(s);
}

static void
fairq_pop_preferring_swap_served_after_bound(void **state)
{
	struct resident r = { 0 };
	struct fairq *s;
	uint64_t next = 100;

	assert_int_equal(fairq_new(&s), 0);
	/* A job needing a swap, alone in its group: 8 passes. */
	assert_int_equal(fairq_push(s, job(7, 1)), 0);
	/* Resident jobs keep coming, one more each time one is taken. */
	assert_int_equal(fairq_push(s, job(7, next)), 0);
	r.owner[next] = true;
	for (int pass = 0; pass < FAIRQ_MIN_PASSES; pass++) {
		assert_int_equal(pop_pref(s, &r), next);
		next++;
		r.owner[next] = true;
		assert_int_equal(fairq_push(s, job(7, next)), 0);
	}
	/* Passed over 8 times: it goes now, ahead of a resident job. */
	assert_int_equal(pop_pref(s, &r), 1);
	assert_int_equal(pop_pref(s, &r), next);
	assert_int_equal(fairq_len(s), 0);
	fairq_free(s);
}

static void
fairq_pop_preferring_bound_grows_with_queue(void **state)
{
	struct resident r = { 0 };
	struct fairq *s;
	unsigned passed = 0;
	uint64_t next = 500;

	assert_int_equal(fairq_new(&s), 0);
	/* 20 jobs needing swaps: the 20th may be passed over 20 times. */
	for (uint64_t i = 1; i <= 20; i++)
		assert_int_equal(fairq_push(s, job(7, i)), 0);
	for (uint64_t i = 1; i <= 20; i++) {
		for (;;) {
			uint64_t o;

			r.owner[next] = true;
			assert_int_equal(fairq_push(s, job(7, next)), 0);
			next++;
			o = pop_pref(s, &r);
			if (o == i)
				break;
			assert_true(o >= 500);
			passed++;
		}
		/* Job i was passed over as often as its bound, and no job
		 * before it got in its way. */
		assert_int_equal(passed, i <= FAIRQ_MIN_PASSES ?
		    FAIRQ_MIN_PASSES : i);
	}
	while (fairq_len(s) > 0)
		assert_true(pop_pref(s, &r) >= 500);
	fairq_free(s);
}

static void
fairq_pop_preferring_keeps_owner_order(void **state)
{
	struct resident r = { 0 };
	struct fairq *s;
	struct job *second = job(7, 1);

	assert_int_equal(fairq_new(&s), 0);
	/* Owner 1 (a process of several connections) has two queued; its
	 * second is resident but may not pass its first. */
	assert_int_equal(fairq_push(s, job(7, 1)), 0);
	assert_int_equal(fairq_push(s, job(7, 2)), 0);
	assert_int_equal(fairq_push(s, second), 0);
	r.job = second;
	assert_int_equal(pop_pref(s, &r), 1);
	r.job = NULL;
	assert_int_equal(pop_pref(s, &r), 2);
	assert_int_equal(pop_pref(s, &r), 1);
	fairq_free(s);
}

static void
fairq_pop_preferring_owner_gone_stays_behind_commands(void **state)
{
	struct resident r = { 0 };
	struct fairq *s;
	struct job *j;

	assert_int_equal(fairq_new(&s), 0);
	/* Owner 1's command, then its clean-up, then owner 2's resident
	 * command: owner 2 may not pass the clean-up, so the group's next
	 * client never runs before an earlier one's clean-up. */
	assert_int_equal(fairq_push(s, job(7, 1)), 0);
	assert_int_equal(fairq_push(s, gone(7, 1)), 0);
	r.owner[2] = true;
	assert_int_equal(fairq_push(s, job(7, 2)), 0);
	j = fairq_pop_preferring(s, is_resident, &r, 64);
	assert_int_equal(j->type, JOB_COMMAND);
	assert_int_equal(j->client.owner, 1);
	free(j);
	j = fairq_pop_preferring(s, is_resident, &r, 64);
	assert_int_equal(j->type, JOB_OWNER_GONE);
	assert_int_equal(j->client.owner, 1);
	free(j);
	assert_int_equal(pop_pref(s, &r), 2);
	fairq_free(s);
}

static void
fairq_pop_preferring_gone_not_ahead_of_own_command(void **state)
{
	struct resident r = { 0 };
	struct fairq *s;
	struct job *j, *cleanup = gone(7, 1);

	assert_int_equal(fairq_new(&s), 0);
	/* Even when the caller calls the clean-up cheap: owner 1's command,
	 * another owner's, then owner 1's clean-up. */
	assert_int_equal(fairq_push(s, job(7, 1)), 0);
	assert_int_equal(fairq_push(s, job(7, 3)), 0);
	assert_int_equal(fairq_push(s, cleanup), 0);
	r.owner[3] = true;
	assert_int_equal(pop_pref(s, &r), 3);
	/* Only owner 1's clean-up is "resident" now. */
	r.owner[3] = false;
	r.job = cleanup;
	j = fairq_pop_preferring(s, is_resident, &r, 64);
	assert_int_equal(j->type, JOB_COMMAND);
	free(j);
	j = fairq_pop_preferring(s, is_resident, &r, 64);
	assert_int_equal(j->type, JOB_OWNER_GONE);
	free(j);
	fairq_free(s);
}

static void
fairq_pop_preferring_never_passes_a_snapshot(void **state)
{
	struct resident r = { 0 };
	struct fairq *s;
	struct job *j = job(0, 0);

	assert_int_equal(fairq_new(&s), 0);
	j->type = JOB_SNAPSHOT;
	assert_int_equal(fairq_push(s, j), 0);
	r.owner[5] = true;
	assert_int_equal(fairq_push(s, job(0, 5)), 0);
	j = fairq_pop_preferring(s, is_resident, &r, 64);
	assert_int_equal(j->type, JOB_SNAPSHOT);
	free(j);
	assert_int_equal(pop_pref(s, &r), 5);
	fairq_free(s);
}

static void
fairq_pop_preferring_looks_no_further_than_asked(void **state)
{
	struct resident r = { 0 };
	struct fairq *s;
	struct job *j;

	assert_int_equal(fairq_new(&s), 0);
	for (uint64_t i = 1; i <= 70; i++)
		assert_int_equal(fairq_push(s, job(7, i)), 0);
	r.owner[70] = true;
	r.owner[10] = true;
	/* Owner 70 is the 70th: beyond a look of 64, not beyond 70. */
	j = fairq_pop_preferring(s, is_resident, &r, 8);
	assert_int_equal(j->client.owner, 1);
	free(j);
	r.owner[10] = false;
	j = fairq_pop_preferring(s, is_resident, &r, 64);
	assert_int_equal(j->client.owner, 2);
	free(j);
	j = fairq_pop_preferring(s, is_resident, &r, 70);
	assert_int_equal(j->client.owner, 70);
	free(j);
	for (uint64_t i = 3; i <= 69; i++)
		assert_int_equal(pop_pref(s, &r), i);
	fairq_free(s);
}

static void
fairq_pop_preferring_keeps_turns_of_groups(void **state)
{
	struct resident r = { 0 };
	struct fairq *s;

	assert_int_equal(fairq_new(&s), 0);
	/* Group 1's jobs are all resident, group 2's none: turns still
	 * alternate. */
	for (uint64_t i = 0; i < 4; i++) {
		assert_int_equal(fairq_push(s, job(1, 10 + i)), 0);
		assert_int_equal(fairq_push(s, job(2, 20 + i)), 0);
		r.owner[10 + i] = true;
	}
	for (uint64_t i = 0; i < 4; i++) {
		assert_int_equal(pop_pref(s, &r), 10 + i);
		assert_int_equal(pop_pref(s, &r), 20 + i);
	}
	fairq_free(s);
}

/* The wait of every job, in pops of its group, is at most those ahead of
 * it plus its bound, whatever mix of jobs comes (a fixed pseudo-random
 * one). */
static void
fairq_pop_preferring_wait_at_most_doubles(void **state)
{
	enum { N = 4000 };
	struct resident r = { 0 };
	struct fairq *s;
	unsigned ahead[N], popped_at_push[N], pops = 0, queued = 0;
	uint32_t x = 12345;
	uint64_t pushed = 0;

	assert_int_equal(fairq_new(&s), 0);
	while (pushed < N || queued > 0) {
		x = x * 1103515245u + 12345u;
		if (pushed < N && (queued == 0 || (x >> 16) % 3 != 0)) {
			/* Owners 0..N-1 below 1024 are resident by chance. */
			if (pushed < 1024)
				r.owner[pushed] = (x >> 20) % 2 == 0;
			ahead[pushed] = queued;
			popped_at_push[pushed] = pops;
			assert_int_equal(fairq_push(s, job(7, pushed)), 0);
			pushed++;
			queued++;
		} else {
			uint64_t o = pop_pref(s, &r);
			unsigned waited = pops - popped_at_push[o];
			unsigned bound = ahead[o] + 1 > FAIRQ_MIN_PASSES ?
			    ahead[o] + 1 : FAIRQ_MIN_PASSES;

			assert_true(waited <= ahead[o] + bound);
			pops++;
			queued--;
		}
	}
	fairq_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fairq_pop_empty),
		cmocka_unit_test(fairq_pop_keeps_order_within_a_group),
		cmocka_unit_test(fairq_pop_flooding_group_delays_victim_one_turn),
		cmocka_unit_test(fairq_pop_round_robin_across_many_groups),
		cmocka_unit_test(fairq_pop_preferring_empty),
		cmocka_unit_test(fairq_pop_preferring_takes_resident_before_older),
		cmocka_unit_test(fairq_pop_preferring_head_resident_is_fifo),
		cmocka_unit_test(fairq_pop_preferring_swap_served_after_bound),
		cmocka_unit_test(fairq_pop_preferring_bound_grows_with_queue),
		cmocka_unit_test(fairq_pop_preferring_keeps_owner_order),
		cmocka_unit_test(
		    fairq_pop_preferring_owner_gone_stays_behind_commands),
		cmocka_unit_test(
		    fairq_pop_preferring_gone_not_ahead_of_own_command),
		cmocka_unit_test(fairq_pop_preferring_never_passes_a_snapshot),
		cmocka_unit_test(fairq_pop_preferring_looks_no_further_than_asked),
		cmocka_unit_test(fairq_pop_preferring_keeps_turns_of_groups),
		cmocka_unit_test(fairq_pop_preferring_wait_at_most_doubles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of src/fairq.c: round-robin across groups, order within one. */
#include <setjmp.h>
#include <stdarg.h>
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fairq_pop_empty),
		cmocka_unit_test(fairq_pop_keeps_order_within_a_group),
		cmocka_unit_test(fairq_pop_flooding_group_delays_victim_one_turn),
		cmocka_unit_test(fairq_pop_round_robin_across_many_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of src/identity.c: groups and identities kept while anything depends on their ids, and only then. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "identity.h"

#define POD_A "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
#define POD_B "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"

static const struct timespec t0 = { 100, 0 };

static void
counts(const struct identity_table *t, size_t identities, size_t groups)
{
	size_t i, g;

	identity_table_counts(t, &i, &g);
	assert_int_equal(i, identities);
	assert_int_equal(g, groups);
}

/* A connection of pod (or of the socket when pod is NULL). */
static struct client_group *
connect_as(struct identity_table *t, const char *pod, uid_t uid,
    uint64_t *identity)
{
	struct client_group *g = identity_group_get(t, "s", pod, &t0);

	assert_non_null(g);
	*identity = identity_intern(t, g, "s", uid, 0, pod);
	assert_int_not_equal(*identity, 0);
	return g;
}

static int
setup(void **state)
{
	struct identity_table *t;

	assert_int_equal(identity_table_new(&t), 0);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	identity_table_free(*state);
	return 0;
}

static void
identity_group_put_frees_an_idle_group(void **state)
{
	struct identity_table *t = *state;
	struct client_group *g1, *g2;
	uint64_t i1, i2, gid;

	g1 = connect_as(t, POD_A, 1000, &i1);
	g2 = connect_as(t, POD_A, 1001, &i2);
	assert_ptr_equal(g1, g2);
	assert_int_equal(g1->connections, 2);
	assert_int_not_equal(i1, i2);
	gid = g1->id;
	counts(t, 2, 1);
	identity_group_put(t, g1, &t0);
	counts(t, 2, 1);
	identity_group_put(t, g2, &t0);
	/* Nothing sent, nothing held: the pod and its identities go. */
	counts(t, 0, 0);
	/* It comes back with new ids, never reused ones. */
	g1 = connect_as(t, POD_A, 1000, &i2);
	assert_true(g1->id > gid && i2 > i1);
	identity_group_put(t, g1, &t0);
	counts(t, 0, 0);
}

static void
identity_group_job_done_frees_after_the_last_job(void **state)
{
	struct identity_table *t = *state;
	struct client_group *g;
	uint64_t i, gid;

	g = connect_as(t, POD_A, 1000, &i);
	gid = g->id;
	g->jobs += 2;       /* a command, then the flush of what it left */
	identity_group_put(t, g, &t0);
	counts(t, 1, 1);    /* its jobs are not done */
	identity_group_job_done(t, gid, true, &t0);
	counts(t, 1, 1);
	identity_group_job_done(t, gid, false, &t0);
	counts(t, 0, 0);
	/* A late completion for a group that is gone is ignored. */
	identity_group_job_done(t, gid, false, &t0);
	counts(t, 0, 0);
}

static void
identity_group_kept_while_the_resource_manager_holds_for_it(void **state)
{
	struct identity_table *t = *state;
	struct client_group *g;
	uint64_t i1, i2, gid;

	/* An NV index or a saved session outlives the connection. */
	g = connect_as(t, POD_A, 1000, &i1);
	gid = g->id;
	g->jobs++;
	identity_group_put(t, g, &t0);
	identity_group_job_done(t, gid, true, &t0);
	counts(t, 1, 1);
	/* Another pod coming (a sweep) does not take it either. */
	g = connect_as(t, POD_B, 1000, &i2);
	identity_group_put(t, g, &t0);
	counts(t, 1, 1);
	/* Reconnecting, the pod finds its group and identity again. */
	g = connect_as(t, POD_A, 1000, &i2);
	assert_int_equal(g->id, gid);
	assert_int_equal(i2, i1);
	/* Once a job leaves it holding nothing, it goes with its last
	 * connection. */
	g->jobs++;
	identity_group_job_done(t, gid, false, &t0);
	counts(t, 1, 1);
	identity_group_put(t, g, &t0);
	counts(t, 0, 0);
}

static void
identity_group_kept_until_its_bucket_is_full(void **state)
{
	struct identity_table *t = *state;
	struct timespec later = { t0.tv_sec + 2, 0 };
	struct client_group *g;
	uint64_t i, gid;

	/* 10/s with a burst of 20, emptied at t0: full again at t0 + 2 s.
	 * Reconnecting to a fresh group sooner would give a fresh burst. */
	g = connect_as(t, POD_A, 1000, &i);
	gid = g->id;
	assert_int_equal(ratelimit_init(&g->rate, 10, 20), 0);
	g->rate.tokens = 0;
	g->rate.last = t0;
	identity_group_put(t, g, &t0);
	counts(t, 1, 1);
	later.tv_sec = t0.tv_sec + 1;
	g = connect_as(t, POD_A, 1000, &i);
	assert_int_equal(g->id, gid);
	identity_group_put(t, g, &later);
	counts(t, 1, 1);
	/* The next new group sweeps it once its bucket is full. */
	later.tv_sec = t0.tv_sec + 2;
	g = identity_group_get(t, "s", POD_B, &later);
	assert_non_null(g);
	counts(t, 0, 1);
	identity_group_put(t, g, &later);
	counts(t, 0, 0);
}

static void
identity_socket_groups_and_pods_apart(void **state)
{
	struct identity_table *t = *state;
	struct client_group *gs, *ga;
	uint64_t is, ia;

	gs = connect_as(t, NULL, 1000, &is);
	ga = connect_as(t, POD_A, 1000, &ia);
	assert_ptr_not_equal(gs, ga);
	assert_int_not_equal(is, ia);
	counts(t, 2, 2);
	/* Only the pod's identities go with the pod. */
	identity_group_put(t, ga, &t0);
	counts(t, 1, 1);
	identity_group_put(t, gs, &t0);
	counts(t, 0, 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(identity_group_put_frees_an_idle_group),
		T(identity_group_job_done_frees_after_the_last_job),
		T(identity_group_kept_while_the_resource_manager_holds_for_it),
		T(identity_group_kept_until_its_bucket_is_full),
		T(identity_socket_groups_and_pods_apart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

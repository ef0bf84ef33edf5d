/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of src/ratelimit.c: the token bucket on a simulated clock. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "ratelimit.h"

/* A monotonic time some days after boot, plus us microseconds. */
static struct timespec
at(int64_t us)
{
	struct timespec t = { 500000, 250000000 };

	t.tv_sec += us / 1000000;
	t.tv_nsec += (us % 1000000) * 1000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

static void
ratelimit_init_invalid(void **state)
{
	struct ratelimit rl;

	assert_int_equal(ratelimit_init(&rl, -1, 1), -EINVAL);
	assert_int_equal(ratelimit_init(&rl, NAN, 1), -EINVAL);
	assert_int_equal(ratelimit_init(&rl, INFINITY, 1), -EINVAL);
	assert_int_equal(ratelimit_init(&rl, 1, -1), -EINVAL);
	assert_int_equal(ratelimit_init(&rl, 1, NAN), -EINVAL);
	assert_int_equal(ratelimit_init(&rl, 1, INFINITY), -EINVAL);
	assert_int_equal(ratelimit_init(&rl, 0, 0), 0);
	assert_int_equal(ratelimit_init(&rl, 200, 50), 0);
}

static void
ratelimit_take_unlimited(void **state)
{
	struct ratelimit rl;
	struct timespec t = at(0);

	assert_int_equal(ratelimit_init(&rl, 0, 0), 0);
	for (int i = 0; i < 100000; i++)
		assert_int_equal(ratelimit_take(&rl, &t), 0);
}

static void
ratelimit_take_burst_then_wait(void **state)
{
	struct ratelimit rl;
	struct timespec t = at(0);

	assert_int_equal(ratelimit_init(&rl, 10, 5), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(ratelimit_take(&rl, &t), 0);
	/* Empty: one token per 100 ms, and a refused take takes nothing. */
	assert_int_equal(ratelimit_take(&rl, &t), 100000);
	assert_int_equal(ratelimit_take(&rl, &t), 100000);
	/* Microseconds are rounded up: never early, at most 1 us late. */
	t = at(40000);
	assert_in_range(ratelimit_take(&rl, &t), 60000, 60001);
	t = at(100000);
	assert_int_equal(ratelimit_take(&rl, &t), 0);
	assert_int_equal(ratelimit_take(&rl, &t), 100000);
}

static void
ratelimit_take_exact_wait_suffices(void **state)
{
	static const double rates[] = { 0.3, 1, 3, 7, 10, 33.3, 200, 999,
		1000, 123456.7, 1e6, 3e6 };

	for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
		struct ratelimit rl;
		int64_t now = 0;

		assert_int_equal(ratelimit_init(&rl, rates[r], 1), 0);
		for (int i = 0; i < 2000; i++) {
			struct timespec t = at(now);
			int64_t wait = ratelimit_take(&rl, &t);

			if (wait == 0)
				continue;
			assert_true(wait >= 1);
			now += wait;
			t = at(now);
			if (ratelimit_take(&rl, &t) != 0)
				fail_msg("rate %g: waited %lld us, no token",
				    rates[r], (long long)wait);
		}
	}
}

static void
ratelimit_take_steady_rate(void **state)
{
	struct ratelimit rl;
	int taken = 0;

	/* Ten seconds of a client asking every millisecond. */
	assert_int_equal(ratelimit_init(&rl, 200, 50), 0);
	for (int64_t us = 0; us < 10000000; us += 1000) {
		struct timespec t = at(us);

		if (ratelimit_take(&rl, &t) == 0)
			taken++;
	}
	assert_in_range(taken, 50 + 2000 - 1, 50 + 2000);
}

static void
ratelimit_take_burst_caps_idle(void **state)
{
	struct ratelimit rl;
	struct timespec t = at(0);
	int taken = 0;

	assert_int_equal(ratelimit_init(&rl, 100, 3), 0);
	assert_int_equal(ratelimit_take(&rl, &t), 0);
	/* An hour idle earns a full bucket, not 360000 tokens. */
	t = at(3600LL * 1000000);
	while (ratelimit_take(&rl, &t) == 0)
		taken++;
	assert_int_equal(taken, 3);
}

static void
ratelimit_take_clock_backwards(void **state)
{
	struct ratelimit rl;
	struct timespec t = at(1000000);

	assert_int_equal(ratelimit_init(&rl, 1, 1), 0);
	assert_int_equal(ratelimit_take(&rl, &t), 0);
	t = at(0);
	assert_int_equal(ratelimit_take(&rl, &t), 1000000);
	/* The earlier time did not become the new reference. */
	t = at(1500000);
	assert_in_range(ratelimit_take(&rl, &t), 500000, 500001);
	t = at(2000000);
	assert_int_equal(ratelimit_take(&rl, &t), 0);
}

static void
ratelimit_take_burst_below_one(void **state)
{
	struct ratelimit rl;
	struct timespec t = at(0);

	assert_int_equal(ratelimit_init(&rl, 2, 0), 0);
	assert_int_equal(ratelimit_take(&rl, &t), 0);
	assert_int_equal(ratelimit_take(&rl, &t), 500000);
	assert_int_equal(ratelimit_init(&rl, 2, 0.5), 0);
	assert_int_equal(ratelimit_take(&rl, &t), 0);
	t = at(600000);
	assert_int_equal(ratelimit_take(&rl, &t), 0);
}

static void
ratelimit_take_extreme_rates(void **state)
{
	struct ratelimit rl;
	struct timespec t = at(0), zero = { 0, 0 };

	/* So slow the wait does not fit: clamped, never undefined. */
	assert_int_equal(ratelimit_init(&rl, 1e-300, 1), 0);
	assert_int_equal(ratelimit_take(&rl, &t), 0);
	assert_int_equal(ratelimit_take(&rl, &t), INT64_MAX);
	/* So fast every take succeeds, even after a vast gap. */
	assert_int_equal(ratelimit_init(&rl, 1e308, 1e308), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(ratelimit_take(&rl, &t), 0);
	assert_int_equal(ratelimit_init(&rl, 1e308, 1), 0);
	assert_int_equal(ratelimit_take(&rl, &zero), 0);
	assert_int_equal(ratelimit_take(&rl, &t), 0);
	assert_int_equal(ratelimit_take(&rl, &t), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ratelimit_init_invalid),
		cmocka_unit_test(ratelimit_take_unlimited),
		cmocka_unit_test(ratelimit_take_burst_then_wait),
		cmocka_unit_test(ratelimit_take_exact_wait_suffices),
		cmocka_unit_test(ratelimit_take_steady_rate),
		cmocka_unit_test(ratelimit_take_burst_caps_idle),
		cmocka_unit_test(ratelimit_take_clock_backwards),
		cmocka_unit_test(ratelimit_take_burst_below_one),
		cmocka_unit_test(ratelimit_take_extreme_rates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

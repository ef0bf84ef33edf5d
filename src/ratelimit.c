/* SPDX-License-Identifier: BSD-2-Clause */
/* Token-bucket rate limit per pod or socket: the caller passes the time
 * (CLOCK_MONOTONIC), so the bucket is pure and tests need no sleeping. */
#include "ratelimit.h"

#include <errno.h>
#include <math.h>

/* Rounding in tokens + elapsed * rate can leave a caller who waited exactly
 * the time we named a hair short of a token; that hair is forgiven. */
#define RATELIMIT_SLACK 1e-9

/* Start with a full bucket, so a new client is not throttled at once. A
 * burst below one token could never be spent, so it counts as one.
 * -EINVAL for a negative or non-finite rate or burst. */
int
ratelimit_init(struct ratelimit *rl, double rate, double burst)
{
	if (!isfinite(rate) || rate < 0 || !isfinite(burst) || burst < 0)
		return -EINVAL;
	rl->rate = rate;
	rl->burst = burst < 1 ? 1 : burst;
	rl->tokens = rl->burst;
	rl->last.tv_sec = 0;
	rl->last.tv_nsec = 0;
	return 0;
}

/* Seconds from a to b, negative if b is earlier. */
static double
ratelimit_elapsed(const struct timespec *a, const struct timespec *b)
{
	return ((double)b->tv_sec - (double)a->tv_sec) +
	    ((double)b->tv_nsec - (double)a->tv_nsec) * 1e-9;
}

/* Add the tokens earned since the last call, up to the burst. A clock
 * that seems to go back earns nothing and does not move last back. */
static void
ratelimit_refill(struct ratelimit *rl, const struct timespec *now)
{
	double elapsed = ratelimit_elapsed(&rl->last, now);

	if (elapsed <= 0)
		return;
	rl->tokens += elapsed * rl->rate;
	if (!(rl->tokens < rl->burst)) /* also catches +inf */
		rl->tokens = rl->burst;
	rl->last = *now;
}

/* Take a token: 0 if one was taken, else the microseconds (at least 1,
 * at most INT64_MAX) until one will be there; nothing is taken then. */
int64_t
ratelimit_take(struct ratelimit *rl, const struct timespec *now)
{
	double wait;
	int64_t us;

	if (rl->rate == 0)
		return 0;
	ratelimit_refill(rl, now);
	if (rl->tokens >= 1 - RATELIMIT_SLACK) {
		rl->tokens -= 1;
		if (rl->tokens < 0)
			rl->tokens = 0;
		return 0;
	}
	wait = (1 - rl->tokens) / rl->rate * 1e6;
	/* 2^63 as a double; converting anything at or above it is undefined. */
	if (!(wait < 9223372036854775808.0))
		return INT64_MAX;
	us = (int64_t)wait;
	if ((double)us < wait)
		us++;
	return us < 1 ? 1 : us;
}

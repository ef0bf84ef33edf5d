/* SPDX-License-Identifier: BSD-2-Clause */
/* Token-bucket rate limit with the time passed in (pure). */
#ifndef TPMPROXY_RATELIMIT_H
#define TPMPROXY_RATELIMIT_H

#include <stdint.h>
#include <time.h>

/* rate tokens per second refill a bucket of burst tokens; one command takes
 * one token. rate 0 means unlimited. */
struct ratelimit {
	double rate, burst, tokens;
	struct timespec last; /* when tokens was last brought up to date */
};

int ratelimit_init(struct ratelimit *rl, double rate, double burst);
int64_t ratelimit_take(struct ratelimit *rl, const struct timespec *now);

#endif

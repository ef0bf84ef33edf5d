/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of src/procstat.c: the /proc/self/limits row parser, and
 * the figures of this very process. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "procstat.h"

#define LIMITS \
	"Limit                     Soft Limit           Hard Limit           Units     \n" \
	"Max cpu time              unlimited            unlimited            seconds   \n" \
	"Max open files            1024                 1048576              files     \n" \
	"Max locked memory         8388608              8388608              bytes     \n"

static void
parse_limit_finds_the_soft_value(void **state)
{
	(void)state;
	assert_int_equal(procstat_parse_limit(LIMITS, "Max open files"), 1024);
	assert_int_equal(procstat_parse_limit(LIMITS, "Max locked memory"),
	    8388608);
}

static void
parse_limit_unlimited_missing_and_broken(void **state)
{
	(void)state;
	assert_int_equal(procstat_parse_limit(LIMITS, "Max cpu time"), -1);
	assert_int_equal(procstat_parse_limit(LIMITS, "Max processes"), -1);
	assert_int_equal(procstat_parse_limit("", "Max open files"), -1);
	assert_int_equal(procstat_parse_limit("Max open files", "Max open files"),
	    -1);
	assert_int_equal(procstat_parse_limit("Max open files    -5  7\n",
	    "Max open files"), -1);
	/* A prefix of a longer row name is not that row. */
	assert_int_equal(procstat_parse_limit("Max open filesystems 9\n",
	    "Max open files"), -1);
}

static void
read_counts_own_descriptors(void **state)
{
	struct procstat before, after;
	struct rlimit rl;
	int fds[3];

	(void)state;
	procstat_read(&before);
	for (size_t i = 0; i < 3; i++)
		fds[i] = dup(0);
	procstat_read(&after);
	for (size_t i = 0; i < 3; i++)
		close(fds[i]);
	assert_true(before.open_fds >= 3);
	assert_int_equal(after.open_fds, before.open_fds + 3);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur != RLIM_INFINITY)
		assert_int_equal(after.max_fds, (long)rl.rlim_cur);
	assert_true(after.rss_bytes > 0);
	assert_true(after.cpu_seconds >= 0);
}

/* A real line: the name holds spaces and a ')'. */
static void
parse_start_time_of_a_real_line(void **state)
{
	static const char line[] = "4242 (a b) c)) S 1 4242 4242 0 -1 "
	    "4194560 120 0 0 0 3 1 0 0 20 0 1 0 987654 10 20\n";
	unsigned long long start = 0;

	(void)state;
	assert_int_equal(procstat_parse_start_time(line, &start), 0);
	assert_int_equal(start, 987654);
}

static void
parse_start_time_refuses_broken_lines(void **state)
{
	static const char *const bad[] = {
		"",
		"4242 no parenthesis S 1 2 3",
		"4242 (x) S 1 4242 4242 0 -1 4194560 120 0 0 0 3 1 0 0 20 0 1 0",
		"4242 (x) S 1 4242 4242 0 -1 4194560 120 0 0 0 3 1 0 0 20 0 1 0 ",
		"4242 (x) S 1 4242 4242 0 -1 4194560 120 0 0 0 3 1 0 0 20 0 1 0 x",
		"4242 (x) S 1 4242 4242 0 -1 4194560 120 0 0 0 3 1 0 0 20 0 1 0 12x",
		"4242 (x) S  1 4242 4242 0 -1 4194560 120 0 0 0 3 1 0 0 20 0 1 0 9",
		"4242 (x) S 1 4242 4242 0 -1 4194560 120 0 0 0 3 1 0 0 20 0 1 0 "
		    "99999999999999999999999",
		"4242 (x)",
	};
	unsigned long long start = 7;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(procstat_parse_start_time(bad[i], &start),
		    -EINVAL);
		assert_int_equal(start, 7);
	}
}

/* Our own start time, and a pid that does not exist. */
static void
start_time_of_live_and_gone_processes(void **state)
{
	unsigned long long a = 0, b = 0;

	(void)state;
	assert_int_equal(procstat_start_time(getpid(), &a), 0);
	assert_int_equal(procstat_start_time(getpid(), &b), 0);
	assert_true(a > 0);
	assert_int_equal(a, b);
	assert_int_not_equal(procstat_start_time(0x3fffffff, &a), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_limit_finds_the_soft_value),
		cmocka_unit_test(parse_limit_unlimited_missing_and_broken),
		cmocka_unit_test(read_counts_own_descriptors),
		cmocka_unit_test(parse_start_time_of_a_real_line),
		cmocka_unit_test(parse_start_time_refuses_broken_lines),
		cmocka_unit_test(start_time_of_live_and_gone_processes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of src/procown.c with real child processes: what a process
 * owns is flushed once it has exited and its last connection closed,
 * learnt from a pidfd or, with no descriptor to spare, from the sweep.
 * The TPM thread is replaced by a list of the owners whose flush was
 * queued. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "conn.h"
#include "daemon.h"
#include "identity.h"
#include "procown.h"
#include "worker.h"

/* ---- the loop thread's neighbours, faked ---- */

static int fake_fd_ceiling = 1 << 20;
static uint64_t gone_owners[16];
static size_t ngone;

int
conn_fd_ceiling(const struct daemon *d)
{
	return fake_fd_ceiling;
}

int
worker_submit_owner_gone(struct worker *w, uint64_t owner, uint64_t group)
{
	assert_true(ngone < sizeof(gone_owners) / sizeof(gone_owners[0]));
	gone_owners[ngone++] = owner;
	return 0;
}

/* ---- helpers ---- */

static struct daemon *
daemon_new(void)
{
	struct daemon *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	d->base = event_base_new();
	assert_non_null(d->base);
	assert_int_equal(identity_table_new(&d->identities), 0);
	assert_int_equal(procown_table_new(d), 0);
	ngone = 0;
	return d;
}

static void
daemon_free(struct daemon *d)
{
	procown_table_free(d);
	identity_table_free(d->identities);
	event_base_free(d->base);
	free(d);
}

/* A child that waits until killed. */
static pid_t
child_start(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static void
child_kill(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Run the loop until n owners were flushed or about 5 s passed (the
 * sweep looks once a second). */
static void
loop_until_flushed(struct daemon *d, size_t n)
{
	for (int i = 0; i < 100 && ngone < n; i++) {
		struct timeval tick = { 0, 50000 };

		event_base_loopexit(d->base, &tick);
		event_base_dispatch(d->base);
	}
}

/* ---- tests ---- */

/* Unmarked processes own nothing: their connections stay their own. */
static void
unmarked_process_is_not_an_owner(void **state)
{
	struct daemon *d = daemon_new();

	assert_null(procown_attach(d, "s", getpid(), NULL));
	procown_mark(d, "other", getpid());
	assert_null(procown_attach(d, "s", getpid(), NULL));
	assert_non_null(procown_attach(d, "other", getpid(), NULL));
	daemon_free(d);
}

/* Many connections, one owner; flushed once gone and disconnected. */
static void
flushed_after_exit_and_last_close(void **state)
{
	struct daemon *d = daemon_new();
	pid_t pid = child_start();
	struct procown *a, *b;

	procown_mark(d, "s", pid);
	a = procown_attach(d, "s", pid, NULL);
	b = procown_attach(d, "s", pid, "pod-uid");
	assert_non_null(a);
	assert_ptr_equal(a, b);
	procown_detach(d, a);
	child_kill(pid);
	loop_until_flushed(d, 1);
	/* A connection is still open: nothing flushed yet. */
	assert_int_equal(ngone, 0);
	procown_detach(d, b);
	assert_int_equal(ngone, 1);
	assert_int_equal(procown_count(d), 0);
	daemon_free(d);
}

/* Exit with no connection open: the pidfd tells at once. */
static void
flushed_on_exit_by_pidfd(void **state)
{
	struct daemon *d = daemon_new();
	pid_t pid = child_start();
	struct procown *p;
	uint64_t owner;

	procown_mark(d, "s", pid);
	p = procown_attach(d, "s", pid, NULL);
	assert_non_null(p);
	owner = procown_owner(p);
	procown_detach(d, p);
	assert_int_equal(ngone, 0);
	child_kill(pid);
	loop_until_flushed(d, 1);
	assert_int_equal(ngone, 1);
	assert_int_equal(gone_owners[0], owner);
	assert_int_equal(procown_count(d), 0);
	daemon_free(d);
}

/* No descriptor to spare for a pidfd: the sweep finds the exit. */
static void
flushed_on_exit_by_sweep(void **state)
{
	struct daemon *d = daemon_new();
	pid_t pid = child_start();
	struct procown *p;

	fake_fd_ceiling = 0;
	procown_mark(d, "s", pid);
	p = procown_attach(d, "s", pid, NULL);
	assert_non_null(p);
	procown_detach(d, p);
	child_kill(pid);
	loop_until_flushed(d, 1);
	fake_fd_ceiling = 1 << 20;
	assert_int_equal(ngone, 1);
	assert_int_equal(procown_count(d), 0);
	daemon_free(d);
}

/* A marked process that never sent a command is forgotten, unflushed. */
static void
mark_only_forgotten_unflushed(void **state)
{
	struct daemon *d = daemon_new();
	pid_t pid = child_start();

	procown_mark(d, "s", pid);
	procown_mark(d, "s", pid);
	assert_int_equal(procown_count(d), 1);
	child_kill(pid);
	for (int i = 0; i < 40 && procown_count(d) > 0; i++)
		loop_until_flushed(d, 1);
	assert_int_equal(procown_count(d), 0);
	assert_int_equal(ngone, 0);
	daemon_free(d);
}

/* A process that has gone is no owner any more, even before the loop
 * learnt it, and marking a pid that is not there does nothing. */
static void
gone_process_is_not_attached(void **state)
{
	struct daemon *d = daemon_new();
	pid_t pid = child_start();

	procown_mark(d, "s", pid);
	child_kill(pid);
	assert_null(procown_attach(d, "s", pid, NULL));
	procown_mark(d, "s", pid);
	assert_int_equal(procown_count(d), 0);
	assert_int_equal(ngone, 0);
	daemon_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unmarked_process_is_not_an_owner),
		cmocka_unit_test(flushed_after_exit_and_last_close),
		cmocka_unit_test(flushed_on_exit_by_pidfd),
		cmocka_unit_test(flushed_on_exit_by_sweep),
		cmocka_unit_test(mark_only_forgotten_unflushed),
		cmocka_unit_test(gone_process_is_not_attached),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

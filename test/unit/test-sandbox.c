/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of src/sandbox.c: the real filter and the real privilege
 * drop, each applied in a forked child whose fate the parent checks.
 * They run under ASan too: a filtered child never enters the sanitizer's
 * exit or no-return hooks (see child_exit()), which need calls the
 * daemon's filter forbids. Root-only cases skip when not root. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sandbox.h"

/* What a child reports through its pipe before the call under test. */
enum {
	CHILD_FILTERED = 'F',   /* filter applied, status read 2 */
	CHILD_ALIVE = 'A',      /* came back from the forbidden call */
	CHILD_FAILED = 'X',     /* a step before the call under test failed */
};

/* One child scenario: runs in the child, writes reports to fd. */
typedef void (*child_fn)(int fd);

/* Leave the child at once, by the raw call. Not _exit() nor anything
 * the compiler knows does not return: under ASan those run the
 * sanitizer's hooks first (sigaltstack(), and LeakSanitizer's clone()
 * and ptrace() at exit), which the daemon's filter rightly forbids. */
static void
child_exit(int code)
{
	syscall(SYS_exit_group, code);
}

/* Write one report byte; a failing write shows as a missing report. */
static void
child_report(int fd, char what)
{
	if (write(fd, &what, 1) != 1)
		child_exit(3);
}

/* Apply the filter in mode and report it; exit 2 if that fails. */
static void
child_filter(int fd, enum sandbox_seccomp mode)
{
	char err[256];

	if (sandbox_apply_seccomp(mode, err, sizeof(err)) != 0) {
		fprintf(stderr, "sandbox_apply_seccomp: %s\n", err);
		child_report(fd, CHILD_FAILED);
		child_exit(2);
	}
	child_report(fd, sandbox_seccomp_status() == 2 ? CHILD_FILTERED :
	    CHILD_FAILED);
}

/* Fork, run fn in the child, collect its reports and its wait status. */
static int
run_child(child_fn fn, char *reports, size_t cap)
{
	int pipefd[2], status;
	size_t n = 0;
	ssize_t got;
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pipefd[0]);
		fn(pipefd[1]);
		child_exit(0);
	}
	close(pipefd[1]);
	while (n + 1 < cap &&
	    (got = read(pipefd[0], reports + n, cap - 1 - n)) > 0)
		n += (size_t)got;
	reports[n] = '\0';
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* Assert that the child was killed by sig. */
static void
assert_killed_by(int status, int sig)
{
	if (!WIFSIGNALED(status))
		fail_msg("child was not killed (exit status %d), expected "
		    "signal %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		    sig);
	assert_int_equal(WTERMSIG(status), sig);
}

/* Assert that the child exited 0. */
static void
assert_exited_ok(int status)
{
	if (!WIFEXITED(status))
		fail_msg("child killed by signal %d", WTERMSIG(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
sandbox_parse_mode_valid(void **state)
{
	enum sandbox_seccomp mode = SANDBOX_SECCOMP_LOG;

	assert_int_equal(sandbox_parse_mode("off", &mode), 0);
	assert_int_equal(mode, SANDBOX_SECCOMP_OFF);
	assert_int_equal(sandbox_parse_mode("log", &mode), 0);
	assert_int_equal(mode, SANDBOX_SECCOMP_LOG);
	assert_int_equal(sandbox_parse_mode("kill", &mode), 0);
	assert_int_equal(mode, SANDBOX_SECCOMP_KILL);
	mode = SANDBOX_SECCOMP_OFF;
	assert_int_equal(sandbox_parse_mode("on", &mode), 0);
	assert_int_equal(mode, SANDBOX_SECCOMP_KILL);
}

static void
sandbox_parse_mode_invalid(void **state)
{
	static const char *const bad[] = { "", "KILL", "Off", "on ", " log",
		"strict", "1", "0", "killx", "trap", "errno" };
	enum sandbox_seccomp mode = SANDBOX_SECCOMP_LOG;

	assert_int_equal(sandbox_parse_mode(NULL, &mode), -EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sandbox_parse_mode(bad[i], &mode), -EINVAL);
	assert_int_equal(mode, SANDBOX_SECCOMP_LOG);
}

static void
sandbox_seccomp_status_readable(void **state)
{
	/* 0 here, or 2 when the test itself runs in a filtered container. */
	int status = sandbox_seccomp_status();

	assert_true(status == 0 || status == 2);
}

/* Off installs nothing. */
static void
child_off(int fd)
{
	int before = sandbox_seccomp_status();
	char err[64];

	if (sandbox_apply_seccomp(SANDBOX_SECCOMP_OFF, err, sizeof(err)) != 0 ||
	    sandbox_seccomp_status() != before)
		child_report(fd, CHILD_FAILED);
	else
		child_report(fd, CHILD_ALIVE);
}

static void
sandbox_apply_seccomp_off(void **state)
{
	char reports[8];

	assert_exited_ok(run_child(child_off, reports, sizeof(reports)));
	assert_string_equal(reports, "A");
}

/* mount(2) is forbidden; with bad arguments it is harmless if not. */
static void
child_mount(int fd)
{
	syscall(SYS_mount, NULL, NULL, NULL, 0UL, NULL);
	child_report(fd, CHILD_ALIVE);
}

static void
child_kill_mount(int fd)
{
	child_filter(fd, SANDBOX_SECCOMP_KILL);
	child_mount(fd);
}

static void
sandbox_apply_seccomp_kill_mount(void **state)
{
	char reports[8];

	assert_killed_by(run_child(child_kill_mount, reports, sizeof(reports)),
	    SIGSYS);
	assert_string_equal(reports, "F");
}

/* execve(2) is forbidden: the daemon never runs anything. */
static void
child_kill_execve(int fd)
{
	static char *const argv[] = { "/bin/true", NULL };
	static char *const envp[] = { NULL };

	child_filter(fd, SANDBOX_SECCOMP_KILL);
	syscall(SYS_execve, "/bin/true", argv, envp);
	child_report(fd, CHILD_ALIVE);
}

static void
sandbox_apply_seccomp_kill_execve(void **state)
{
	char reports[8];

	assert_killed_by(run_child(child_kill_execve, reports,
	    sizeof(reports)), SIGSYS);
	assert_string_equal(reports, "F");
}

/* Memory both writable and executable is forbidden, even anonymous. */
static void
child_kill_wx(int fd)
{
	child_filter(fd, SANDBOX_SECCOMP_KILL);
	mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	child_report(fd, CHILD_ALIVE);
}

static void
sandbox_apply_seccomp_kill_wx(void **state)
{
	char reports[8];

	assert_killed_by(run_child(child_kill_wx, reports, sizeof(reports)),
	    SIGSYS);
	assert_string_equal(reports, "F");
}

/* What the daemon does all day still works under the filter: memory,
 * time, unix sockets, reading /proc. */
static void
child_kill_allowed(int fd)
{
	struct timespec now, nap = { 0, 1000 };
	char *p, c;
	FILE *f;
	int s;

	child_filter(fd, SANDBOX_SECCOMP_KILL);
	p = malloc(1 << 20);
	if (p == NULL)
		child_exit(2);
	p[0] = 'x';
	free(p);
	if (clock_gettime(CLOCK_MONOTONIC, &now) != 0 ||
	    nanosleep(&nap, NULL) != 0)
		child_exit(2);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    close(s) != 0)
		child_exit(2);
	if ((f = fopen("/proc/self/status", "re")) == NULL ||
	    fread(&c, 1, 1, f) != 1 || fclose(f) != 0)
		child_exit(2);
	child_report(fd, CHILD_ALIVE);
}

static void
sandbox_apply_seccomp_kill_allowed(void **state)
{
	char reports[8];

	assert_exited_ok(run_child(child_kill_allowed, reports,
	    sizeof(reports)));
	assert_string_equal(reports, "FA");
}

/* The kill covers a thread started before the filter (TSYNC) and takes
 * the whole process down, not just the offending thread. */
static void *
child_thread_main(void *arg)
{
	int *pipefd = arg;
	char c = 'r';

	/* Running: glibc's thread start-up (rseq, robust list) is done. */
	if (write(pipefd[1], &c, 1) != 1)
		return NULL;
	if (read(pipefd[0], &c, 1) == 1)
		syscall(SYS_mount, NULL, NULL, NULL, 0UL, NULL);
	return NULL;
}

static void
child_kill_thread(int fd)
{
	int go[2], ready[2], block[2], thread_fds[2];
	pthread_t thread;
	char c = 'g';

	if (pipe(go) != 0 || pipe(ready) != 0 || pipe(block) != 0)
		child_exit(2);
	thread_fds[0] = go[0];
	thread_fds[1] = ready[1];
	if (pthread_create(&thread, NULL, child_thread_main, thread_fds) != 0 ||
	    read(ready[0], &c, 1) != 1)
		child_exit(2);
	child_filter(fd, SANDBOX_SECCOMP_KILL);
	if (write(go[1], &c, 1) != 1)
		child_exit(2);
	/* Only the thread's forbidden call should end us; if the filter
	 * missed the thread, or killed only it, we are still here after the
	 * wait and say so. */
	poll(&(struct pollfd){ .fd = block[0], .events = POLLIN }, 1, 5000);
	child_report(fd, CHILD_ALIVE);
}

static void
sandbox_apply_seccomp_kill_thread(void **state)
{
	char reports[8];

	assert_killed_by(run_child(child_kill_thread, reports,
	    sizeof(reports)), SIGSYS);
	assert_string_equal(reports, "F");
}

/* abort(3) still ends the process with SIGABRT: its raise(3) is a
 * tgkill() of this process, which the filter allows. (Not abort() itself
 * here, for the reason child_exit() gives.) */
static void
child_kill_abort(int fd)
{
	child_filter(fd, SANDBOX_SECCOMP_KILL);
	raise(SIGABRT);
	child_report(fd, CHILD_ALIVE);
}

static void
sandbox_apply_seccomp_kill_abort(void **state)
{
	char reports[8];

	assert_killed_by(run_child(child_kill_abort, reports,
	    sizeof(reports)), SIGABRT);
	assert_string_equal(reports, "F");
}

/* Signalling another process is forbidden. */
static void
child_kill_tgkill_other(int fd)
{
	pid_t parent = getppid();

	child_filter(fd, SANDBOX_SECCOMP_KILL);
	syscall(SYS_tgkill, parent, parent, 0);
	child_report(fd, CHILD_ALIVE);
}

static void
sandbox_apply_seccomp_kill_tgkill_other(void **state)
{
	char reports[8];

	assert_killed_by(run_child(child_kill_tgkill_other, reports,
	    sizeof(reports)), SIGSYS);
	assert_string_equal(reports, "F");
}

/* Log mode lets the forbidden call through (the kernel logs it). */
static void
child_log_mount(int fd)
{
	child_filter(fd, SANDBOX_SECCOMP_LOG);
	child_mount(fd);
}

static void
sandbox_apply_seccomp_log_mount(void **state)
{
	char reports[8];

	assert_exited_ok(run_child(child_log_mount, reports, sizeof(reports)));
	assert_string_equal(reports, "FA");
}

/* Whether /proc/self/status says field is all zero (a hex cap mask). */
static int
status_hex_zero(const char *field)
{
	char line[256];
	size_t n = strlen(field);
	int zero = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			zero = strtoull(line + n + 1, NULL, 16) == 0;
			break;
		}
	}
	fclose(f);
	return zero;
}

/* After a drop: no capabilities at all, no_new_privs set. */
static int
dropped_everything(void)
{
	return status_hex_zero("CapEff") && status_hex_zero("CapPrm") &&
	    status_hex_zero("CapInh") && status_hex_zero("CapAmb") &&
	    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
}

/* Staying who we are still drops capabilities and sets no_new_privs. */
static void
child_drop_keep_user(int fd)
{
	char err[256];

	if (sandbox_drop_privileges(NULL, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "sandbox_drop_privileges: %s\n", err);
		child_exit(2);
	}
	child_report(fd, dropped_everything() ? CHILD_ALIVE : CHILD_FAILED);
}

static void
sandbox_drop_privileges_keep_user(void **state)
{
	char reports[8];

	assert_exited_ok(run_child(child_drop_keep_user, reports,
	    sizeof(reports)));
	assert_string_equal(reports, "A");
}

/* Naming the user we already are is a no-op that needs no privilege. */
static void
child_drop_same_user(int fd)
{
	struct passwd *pw = getpwuid(geteuid());
	uid_t uid = getuid();
	char err[256];

	if (pw == NULL)
		child_exit(2);
	if (sandbox_drop_privileges(pw->pw_name, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "sandbox_drop_privileges: %s\n", err);
		child_exit(2);
	}
	child_report(fd, getuid() == uid && dropped_everything() ?
	    CHILD_ALIVE : CHILD_FAILED);
}

static void
sandbox_drop_privileges_same_user(void **state)
{
	char reports[8];

	if (getuid() != 0 && getpwuid(getuid()) == NULL)
		skip();
	assert_exited_ok(run_child(child_drop_same_user, reports,
	    sizeof(reports)));
	assert_string_equal(reports, "A");
}

/* Names and numbers into ids: a number not in the user database has no
 * primary group, so its group must be given (root's is not kept). */
static void
sandbox_resolve_names_and_numbers(void **state)
{
	char err[256] = "";
	uid_t uid;
	gid_t gid;

	(void)state;
	assert_int_equal(sandbox_resolve("root", NULL, &uid, &gid, err,
	    sizeof(err)), 0);
	assert_int_equal(uid, 0);
	assert_int_equal(gid, 0);
	assert_int_equal(sandbox_resolve("54321", "54322", &uid, &gid, err,
	    sizeof(err)), 0);
	assert_int_equal(uid, 54321);
	assert_int_equal(gid, 54322);
	assert_int_equal(sandbox_resolve("54321", NULL, &uid, &gid, err,
	    sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "set its group as well"));
	assert_int_equal(sandbox_resolve("no-such-user-here", NULL, &uid,
	    &gid, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no-such-user-here"));
	assert_int_equal(sandbox_resolve(NULL, "no-such-group-here", &uid,
	    &gid, err, sizeof(err)), -ENOENT);
	assert_int_equal(sandbox_resolve("4294967295", "1", &uid, &gid, err,
	    sizeof(err)), -ENOENT);
}

/* Root becomes nobody for good: real, effective and saved ids, no way
 * back, no capabilities, an empty bounding set. */
static void
child_drop_to_nobody(int fd)
{
	struct passwd *pw = getpwnam("nobody");
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;
	char err[256];

	if (sandbox_drop_privileges("nobody", NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "sandbox_drop_privileges: %s\n", err);
		child_exit(2);
	}
	if (getuid() != uid || geteuid() != uid || getgid() != gid ||
	    getgroups(0, NULL) != 0 || setuid(0) == 0 || seteuid(0) == 0 ||
	    setgid(0) == 0 || !dropped_everything() ||
	    !status_hex_zero("CapBnd"))
		child_report(fd, CHILD_FAILED);
	else
		child_report(fd, CHILD_ALIVE);
}

static void
sandbox_drop_privileges_root_to_nobody(void **state)
{
	char reports[8];

	if (geteuid() != 0 || getpwnam("nobody") == NULL)
		skip();
	assert_exited_ok(run_child(child_drop_to_nobody, reports,
	    sizeof(reports)));
	assert_string_equal(reports, "A");
}

/* An unprivileged process cannot become someone else: an error, not a
 * half-done switch. */
static void
child_drop_unprivileged(int fd)
{
	char err[256];
	int r;

	r = sandbox_drop_privileges("root", NULL, err, sizeof(err));
	child_report(fd, r == -EPERM && getuid() != 0 ? CHILD_ALIVE :
	    CHILD_FAILED);
}

static void
sandbox_drop_privileges_unprivileged(void **state)
{
	char reports[8];

	if (geteuid() == 0 || getpwnam("root") == NULL)
		skip();
	assert_exited_ok(run_child(child_drop_unprivileged, reports,
	    sizeof(reports)));
	assert_string_equal(reports, "A");
}

static void
sandbox_drop_privileges_unknown_user(void **state)
{
	char err[256] = "";

	assert_int_equal(sandbox_drop_privileges("no-such-user-tpmproxy", NULL,
	    err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no-such-user-tpmproxy"));
	assert_int_equal(sandbox_drop_privileges(NULL, "no-such-group-tpmproxy",
	    err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no-such-group-tpmproxy"));
}

/* A second thread would keep its capabilities: refused. */
static void *
child_idle_main(void *arg)
{
	int *pipefd = arg;
	char c;

	(void)!read(pipefd[0], &c, 1);
	return NULL;
}

static void
child_drop_threaded(int fd)
{
	pthread_t thread;
	char err[256];
	int block[2];

	if (pipe(block) != 0 ||
	    pthread_create(&thread, NULL, child_idle_main, block) != 0)
		child_exit(2);
	child_report(fd, sandbox_drop_privileges(NULL, NULL, err,
	    sizeof(err)) == -EBUSY ? CHILD_ALIVE : CHILD_FAILED);
	child_exit(0);
}

static void
sandbox_drop_privileges_threaded(void **state)
{
	char reports[8];

	assert_exited_ok(run_child(child_drop_threaded, reports,
	    sizeof(reports)));
	assert_string_equal(reports, "A");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sandbox_parse_mode_valid),
		cmocka_unit_test(sandbox_parse_mode_invalid),
		cmocka_unit_test(sandbox_seccomp_status_readable),
		cmocka_unit_test(sandbox_apply_seccomp_off),
		cmocka_unit_test(sandbox_apply_seccomp_kill_mount),
		cmocka_unit_test(sandbox_apply_seccomp_kill_execve),
		cmocka_unit_test(sandbox_apply_seccomp_kill_wx),
		cmocka_unit_test(sandbox_apply_seccomp_kill_allowed),
		cmocka_unit_test(sandbox_apply_seccomp_kill_thread),
		cmocka_unit_test(sandbox_apply_seccomp_kill_abort),
		cmocka_unit_test(sandbox_apply_seccomp_kill_tgkill_other),
		cmocka_unit_test(sandbox_apply_seccomp_log_mount),
		cmocka_unit_test(sandbox_drop_privileges_keep_user),
		cmocka_unit_test(sandbox_drop_privileges_same_user),
		cmocka_unit_test(sandbox_resolve_names_and_numbers),
		cmocka_unit_test(sandbox_drop_privileges_root_to_nobody),
		cmocka_unit_test(sandbox_drop_privileges_unprivileged),
		cmocka_unit_test(sandbox_drop_privileges_unknown_user),
		cmocka_unit_test(sandbox_drop_privileges_threaded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

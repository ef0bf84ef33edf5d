/* SPDX-License-Identifier: BSD-2-Clause */
/* Least privilege once set-up is done: the user switch, no capabilities,
 * no_new_privs, and a seccomp allow-list for the whole process.
 *
 * main calls sandbox_drop_privileges() once the TPM, the sockets and the
 * audit log are open, and sandbox_apply_seccomp() once the TPM thread
 * runs, before the daemon says it is ready. From then on the process can
 * do what serving needs -- including a SIGHUP reload, an audit log reopen
 * and a backend reconnect -- and nothing else: no exec, no fork, no
 * ptrace, no mount, no new namespaces, no W+X memory. */
#include "sandbox.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <seccomp.h>

/* The allow-list: every system call the daemon makes after start-up, and
 * why. Derived from `strace -f` of the daemon (seccomp in log mode) through
 * the whole integration suite plus the paths it leaves out -- detached
 * with syslog, audit log rotation, control and metrics sockets, reloads
 * that add sockets, swtpm: and device: backends lost and reopened (which
 * dlopen()s the TCTI library again) -- and checked by running the suite
 * with the filter in kill mode. Marked "(rare)" are calls that run did
 * not make but a known path does; "(arch)" are what another architecture
 * or an older C library (< 2.33) calls instead of a call seen on x86_64
 * with glibc 2.36. A rule with an argument condition allows the call only
 * when it holds; several rules for one call allow it when any holds.
 *
 * Not here on purpose: execve/execveat, fork/vfork/clone/clone3 (the TPM
 * thread exists before the filter), ptrace, mount and friends, unshare/
 * setns, setuid and friends (the switch is done), capset, prctl other
 * than reading the bounding set, bpf, perf_event_open, keyctl, io_uring_*,
 * userfaultfd, process_vm_*, kill and tgkill of other processes,
 * socketpair, pipe2, eventfd2 (libevent made its descriptors at
 * start-up), fcntl (accept4() sets the flags). */
enum sandbox_arg {
	SANDBOX_ANY,            /* no condition */
	SANDBOX_EQ,             /* arg == value */
	SANDBOX_MASK_ZERO,      /* (arg & value) == 0 */
	SANDBOX_EQ_SELF,        /* arg == our pid (filled at load time) */
};

struct sandbox_rule {
	int nr;
	enum sandbox_arg cmp;
	unsigned arg;
	uint64_t value;
	const char *why;
};

#define ALLOW(name, why) { SCMP_SYS(name), SANDBOX_ANY, 0, 0, why }
#define ALLOW_IF(name, cmp, arg, value, why) \
	{ SCMP_SYS(name), cmp, arg, value, why }

static const struct sandbox_rule sandbox_rules[] = {
	/* The event loop: libevent 2.1 picks epoll on Linux. */
	ALLOW(epoll_wait, "libevent waits"),
	ALLOW(epoll_pwait, "(arch) epoll_wait"),
	ALLOW(epoll_ctl, "libevent adds and removes descriptors"),
	ALLOW(poll, "tcti-device waits for the TPM's answer"),
	ALLOW(ppoll, "(arch) poll"),

	/* Moving bytes: clients, the TPM, the audit log, eventfd, syslog. */
	ALLOW(read, "client and TPM bytes, config, /proc/PID/cgroup, eventfd"),
	ALLOW(readv, "bufferevent reads"),
	ALLOW(write, "responses, the TPM, the audit log, eventfd"),
	ALLOW(writev, "bufferevent writes"),
	ALLOW(sendto, "syslog(3) once detached"),
	ALLOW_IF(ioctl, SANDBOX_EQ, 1, FIONREAD,
	    "libevent asks how many bytes a socket holds"),

	/* Sockets: clients, sockets a reload adds (and the probe of a stale
	 * one), syslog, and the TPM: tcti-swtpm connects to swtpm's control
	 * port for each command, and a lost backend is reconnected. */
	ALLOW(accept4, "libevent accepts clients"),
	ALLOW(getsockopt, "SO_PEERCRED of each client"),
	ALLOW_IF(socket, SANDBOX_EQ, 0, AF_UNIX,
	    "listeners a reload adds, stale-socket probe, syslog"),
	ALLOW_IF(socket, SANDBOX_EQ, 0, AF_INET, "swtpm:/mssim: backends"),
	ALLOW_IF(socket, SANDBOX_EQ, 0, AF_INET6, "swtpm:/mssim: backends"),
	ALLOW(connect, "swtpm:/mssim: backends, stale-socket probe, syslog"),
	ALLOW(bind, "listeners a reload adds"),
	ALLOW(listen, "listeners a reload adds"),
	ALLOW(shutdown, "closing a client after its last response"),
	ALLOW(close, "every descriptor"),
	ALLOW(pidfd_open, "learning when a tcti-swtpm client process that "
	    "owns TPM objects exits"),

	/* Files. Paths cannot be filtered (seccomp sees pointers only, and
	 * a reload, the audit log's reopen and the backend's reopen of
	 * /dev/tpm0 need open with any flags): the systemd unit's
	 * ProtectSystem= and the dropped user bound what openat reaches. */
	ALLOW(openat, "config and conf.d, /proc/PID/cgroup, audit log, "
	    "/dev/tpm0 and the TCTI library, openssl.cnf, /dev/null"),
	ALLOW(open, "(arch) openat"),
	ALLOW(newfstatat, "stat, lstat and fstat (config, dlopen())"),
	ALLOW(fstat, "(arch) newfstatat"),
	ALLOW(stat, "(arch) newfstatat"),
	ALLOW(lstat, "(arch) newfstatat"),
	ALLOW(getdents64, "reading conf.d/"),
	/* A reload that names users or groups (owner, allow-uids) runs
	 * getpwnam(3): NSS reads /etc/passwd, and for a name not there
	 * loads libnss_systemd (whose libcap probes the bounding set) and
	 * asks systemd-userdbd over a unix socket. */
	ALLOW(lseek, "NSS files: rewinding /etc/passwd and /etc/group"),
	ALLOW(readlinkat, "(rare) NSS systemd: resolving userdb paths"),
	ALLOW_IF(prctl, SANDBOX_EQ, 0, PR_CAPBSET_READ,
	    "(rare) NSS systemd: libcap reads the bounding set"),
	ALLOW(recvfrom, "(rare) NSS systemd: the userdbd answer"),
	ALLOW(umask, "a socket is bound with its final mode"),
	ALLOW(mkdir, "a socket's parent directory"),
	ALLOW(mkdirat, "(arch) mkdir"),
	ALLOW(chmod, "a new socket's mode"),
	ALLOW(fchmodat, "(arch) chmod"),
	ALLOW(chown, "a new socket's owner (the daemon's own, or a group "
	    "it is in, once privileges are gone)"),
	ALLOW(fchownat, "(arch) chown"),
	ALLOW(rename, "publishing a socket under its name"),
	ALLOW(renameat, "(arch) rename"),
	ALLOW(renameat2, "(arch) rename"),
	ALLOW(unlink, "stale and removed sockets, the pid file"),
	ALLOW(unlinkat, "(arch) unlink"),
	ALLOW(dup2, "stdio onto /dev/null when detaching"),
	ALLOW(dup3, "(arch) dup2"),

	/* Time. The vDSO answers these unless the clock source has none
	 * (some hypervisors), then the C library makes the call. */
	ALLOW(clock_gettime, "(rare) timestamps, timers, rate limits"),
	ALLOW(gettimeofday, "(rare) libevent's cached time"),
	ALLOW(time, "(rare) syslog(3) timestamps"),
	ALLOW(clock_nanosleep, "backoff between TPM retries"),
	ALLOW(nanosleep, "(arch) clock_nanosleep"),

	/* Threads and memory. */
	ALLOW(futex, "the job queue's mutex and condition variable"),
	ALLOW(set_robust_list, "glibc starting the TPM thread, which may "
	    "run only after the filter is in place"),
	ALLOW(rseq, "the same, glibc >= 2.35"),
	ALLOW(brk, "malloc"),
	ALLOW_IF(mmap, SANDBOX_MASK_ZERO, 2, PROT_EXEC,
	    "malloc, the TPM thread's arena"),
	ALLOW_IF(mmap, SANDBOX_MASK_ZERO, 2, PROT_WRITE,
	    "dlopen() of the TCTI library on reconnect: never W+X"),
	ALLOW_IF(mprotect, SANDBOX_MASK_ZERO, 2, PROT_EXEC,
	    "growing the TPM thread's arena, RELRO after dlopen()"),
	ALLOW(munmap, "free, dlclose()"),
	ALLOW(madvise, "free, the TPM thread's stack at exit"),
	ALLOW(mremap, "(rare) realloc of a large block"),

	/* Signals and the end. */
	ALLOW(rt_sigaction, "libevent's signal events"),
	ALLOW(rt_sigprocmask, "libevent, glibc"),
	ALLOW(rt_sigreturn, "return from libevent's signal handler"),
	ALLOW(sigreturn, "(arch) rt_sigreturn"),
	ALLOW(restart_syscall, "(rare) a sleep interrupted by SIGHUP resumes"),
	ALLOW(getpid, "syslog(3) LOG_PID"),
	ALLOW(gettid, "(rare) abort(3)"),
	ALLOW_IF(tgkill, SANDBOX_EQ_SELF, 0, 0,
	    "(rare) abort(3) after a failed assertion or heap corruption "
	    "signals this process, and no other"),
	ALLOW(exit, "the TPM thread ends at shutdown"),
	ALLOW(exit_group, "the process ends"),
};

/* AddressSanitizer builds (configure --enable-asan, used by the test
 * suite) only: LeakSanitizer's check at exit stops the threads from a
 * tracer thread it clones, which ptrace()s them, and ASan's reports run
 * on an alternate signal stack. Release builds never get these. */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif

#ifdef SANDBOX_ASAN
static const struct sandbox_rule sandbox_asan_rules[] = {
	ALLOW(clone, "ASan: LeakSanitizer's tracer thread"),
	ALLOW(ptrace, "ASan: the tracer stops and reads the threads"),
	ALLOW(wait4, "ASan: waiting for stopped threads and the tracer"),
	ALLOW(prctl, "ASan: PR_SET_PTRACER, PR_SET_PDEATHSIG, PR_GET_DUMPABLE"),
	ALLOW(getppid, "ASan: the tracer checks its parent"),
	ALLOW(sigaltstack, "ASan: reports run on an alternate stack"),
	ALLOW(sched_getaffinity, "ASan: thread registry at exit"),
	ALLOW(sched_yield, "ASan: spin locks, waiting for the tracer"),
	ALLOW(readlink, "ASan: the executable's path in reports"),
	ALLOW(readlinkat, "ASan: the same"),
	ALLOW(getdents, "ASan: listing /proc/self/task"),
	ALLOW(getpid, "ASan: its own pid"),
};
#endif

#undef ALLOW
#undef ALLOW_IF

/* Format an error message into err. */
static int __attribute__((format(printf, 4, 5)))
sandbox_error(int r, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return r;
}

/* A numeric field ("Seccomp", "Threads") of /proc/self/status; -1 if
 * it cannot be read. */
static long
sandbox_status_field(const char *name)
{
	char line[256];
	size_t n = strlen(name);
	long value = -1;
	FILE *f;

	f = fopen("/proc/self/status", "re");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, name, n) == 0 && line[n] == ':') {
			if (sscanf(line + n + 1, "%ld", &value) != 1)
				value = -1;
			break;
		}
	}
	fclose(f);
	return value;
}

/* Turn a --seccomp argument into a mode; -EINVAL if unknown. */
int
sandbox_parse_mode(const char *s, enum sandbox_seccomp *mode)
{
	if (s == NULL)
		return -EINVAL;
	if (strcmp(s, "off") == 0)
		*mode = SANDBOX_SECCOMP_OFF;
	else if (strcmp(s, "log") == 0)
		*mode = SANDBOX_SECCOMP_LOG;
	else if (strcmp(s, "kill") == 0 || strcmp(s, "on") == 0)
		*mode = SANDBOX_SECCOMP_KILL;
	else
		return -EINVAL;
	return 0;
}

/* A user or group given as a decimal number; -EINVAL if it is not one. */
static int
sandbox_number(const char *s, unsigned long *out)
{
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || *out >= (unsigned long)(uid_t)-1)
		return -EINVAL;
	return 0;
}

/* Resolve user (and its primary group) and group into ids; NULL keeps
 * the current one. A name is looked up first, then taken as a number,
 * as config.c does. */
int
sandbox_resolve(const char *user, const char *group, uid_t *uid, gid_t *gid,
    char *err, size_t errlen)
{
	unsigned long n;

	*uid = geteuid();
	*gid = getegid();
	if (user != NULL) {
		struct passwd *pw = getpwnam(user);

		if (pw != NULL) {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
		} else if (sandbox_number(user, &n) == 0) {
			/* Not in the user database: no primary group to take,
			 * and keeping ours (root's) would be wrong. */
			if (group == NULL)
				return sandbox_error(-EINVAL, err, errlen,
				    "user %s is not in the user database: set "
				    "its group as well", user);
			*uid = (uid_t)n;
		} else {
			return sandbox_error(-ENOENT, err, errlen,
			    "user \"%s\" does not exist", user);
		}
	}
	if (group != NULL) {
		struct group *gr = getgrnam(group);

		if (gr != NULL)
			*gid = gr->gr_gid;
		else if (sandbox_number(group, &n) == 0)
			*gid = (gid_t)n;
		else
			return sandbox_error(-ENOENT, err, errlen,
			    "group \"%s\" does not exist", group);
	}
	return 0;
}

/* Whether real, effective and saved ids are already uid and gid. */
static bool
sandbox_ids_are(uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0)
		return false;
	return ru == uid && eu == uid && su == uid && rg == gid && eg == gid &&
	    sg == gid;
}

/* Empty the capability bounding set, so that nothing executed later
 * could gain a capability back. Needs CAP_SETPCAP, which only a root
 * start has: without it this is skipped (the set was limited by whoever
 * started us, e.g. systemd's CapabilityBoundingSet=). */
static void
sandbox_drop_bounding_set(void)
{
	for (unsigned long cap = 0; cap <= 63; cap++) {
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
			break; /* EINVAL: past the kernel's last capability */
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
			break; /* EPERM: not permitted to change the set */
	}
}

/* Clear the effective, permitted and inheritable sets. A root-to-user
 * switch already did; this covers a daemon left as root and one started
 * unprivileged with ambient capabilities (systemd AmbientCapabilities=). */
static int
sandbox_clear_capabilities(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) != 0)
		return -errno;
	return 0;
}

/* Whether any capability is left in the effective or permitted set. */
static bool
sandbox_has_capabilities(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, data) != 0)
		return true;
	for (size_t i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		if (data[i].effective != 0 || data[i].permitted != 0)
			return true;
	}
	return false;
}

/* Switch real, effective and saved ids to uid/gid with no supplementary
 * groups, and prove that root cannot be regained. */
static int
sandbox_switch_ids(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	if (setgroups(0, NULL) != 0)
		return sandbox_error(-errno, err, errlen,
		    "cannot drop supplementary groups: %s", strerror(errno));
	if (setresgid(gid, gid, gid) != 0)
		return sandbox_error(-errno, err, errlen,
		    "cannot switch to group %lu: %s", (unsigned long)gid,
		    strerror(errno));
	if (setresuid(uid, uid, uid) != 0)
		return sandbox_error(-errno, err, errlen,
		    "cannot switch to user %lu: %s", (unsigned long)uid,
		    strerror(errno));
	if (!sandbox_ids_are(uid, gid))
		return sandbox_error(-EPERM, err, errlen,
		    "user/group switch to %lu:%lu did not take",
		    (unsigned long)uid, (unsigned long)gid);
	/* A saved id of 0 left behind would let an attacker switch back. */
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		return sandbox_error(-EPERM, err, errlen,
		    "root can be regained after switching to user %lu",
		    (unsigned long)uid);
	if (gid != 0 && uid != 0 && (setgid(0) == 0 || setegid(0) == 0))
		return sandbox_error(-EPERM, err, errlen,
		    "group root can be regained after switching to group %lu",
		    (unsigned long)gid);
	return 0;
}

/* Become user:group (NULL: keep), keep no capabilities, set
 * no_new_privs. Already being that user is fine without privileges. */
int
sandbox_drop_privileges(const char *user, const char *group, char *err,
    size_t errlen)
{
	uid_t uid;
	gid_t gid;
	int r;

	/* Capabilities, the bounding set and no_new_privs belong to each
	 * thread: a thread started earlier would keep what we drop here. */
	if (sandbox_status_field("Threads") != 1)
		return sandbox_error(-EBUSY, err, errlen, "privileges must be "
		    "dropped before the TPM thread starts");
	r = sandbox_resolve(user, group, &uid, &gid, err, errlen);
	if (r != 0)
		return r;
	/* Before the switch: dropping from the bounding set needs the
	 * CAP_SETPCAP that the switch takes away. */
	sandbox_drop_bounding_set();
	if ((user != NULL || group != NULL) && !sandbox_ids_are(uid, gid)) {
		r = sandbox_switch_ids(uid, gid, err, errlen);
		if (r != 0)
			return r;
	}
	/* EINVAL: a kernel before 4.3 has no ambient set to clear. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 &&
	    errno != EINVAL)
		return sandbox_error(-errno, err, errlen,
		    "cannot clear ambient capabilities: %s", strerror(errno));
	r = sandbox_clear_capabilities();
	if (r != 0 || sandbox_has_capabilities())
		return sandbox_error(r != 0 ? r : -EPERM, err, errlen,
		    "cannot drop capabilities: %s", strerror(r != 0 ? -r : EPERM));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return sandbox_error(-errno, err, errlen,
		    "cannot set no_new_privs: %s", strerror(errno));
	return 0;
}

/* Add one rule of the allow-list to ctx. */
static int
sandbox_add_rule(scmp_filter_ctx ctx, const struct sandbox_rule *rule)
{
	struct scmp_arg_cmp cmp;

	switch (rule->cmp) {
	case SANDBOX_ANY:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, rule->nr, 0);
	case SANDBOX_EQ:
		cmp = SCMP_CMP64(rule->arg, SCMP_CMP_EQ, rule->value);
		break;
	case SANDBOX_MASK_ZERO:
		cmp = SCMP_CMP64(rule->arg, SCMP_CMP_MASKED_EQ, rule->value, 0);
		break;
	case SANDBOX_EQ_SELF:
		cmp = SCMP_CMP64(rule->arg, SCMP_CMP_EQ, (uint64_t)getpid());
		break;
	default:
		return -EINVAL;
	}
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, rule->nr, 1, cmp);
}

/* The action for calls outside the list. KILL_PROCESS and LOG need
 * Linux 4.14; before that a SIGSYS trap kills the whole process just as
 * well (no handler is installed for it), and log mode denies with EPERM
 * instead of allowing, which is the nearest a debugging run gets. */
static uint32_t
sandbox_default_action(enum sandbox_seccomp mode)
{
	bool modern = seccomp_api_get() >= 3;

	if (mode == SANDBOX_SECCOMP_LOG)
		return modern ? SCMP_ACT_LOG : SCMP_ACT_ERRNO(EPERM);
	return modern ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_TRAP;
}

/* Add n rules to ctx. */
static int
sandbox_add_rules(scmp_filter_ctx ctx, const struct sandbox_rule *rules,
    size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		int r = sandbox_add_rule(ctx, &rules[i]);

		if (r != 0)
			return sandbox_error(r, err, errlen, "seccomp rule for "
			    "syscall %d (%s): %s", rules[i].nr, rules[i].why,
			    strerror(-r));
	}
	return 0;
}

/* Build the allow-list filter with the given default action. */
static int
sandbox_build(scmp_filter_ctx ctx, uint32_t kill, char *err, size_t errlen)
{
	int r;

	/* The TPM thread already runs: TSYNC puts it under the same filter
	 * (or fails), so that neither thread needs clone() afterwards. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (r != 0)
		return sandbox_error(r, err, errlen, "seccomp: no thread "
		    "synchronisation (TSYNC, Linux 3.17): %s", strerror(-r));
	/* A call through another architecture's table (int 0x80 on x86_64)
	 * would dodge every rule: it kills, whatever the mode. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, kill);
	if (r != 0)
		return sandbox_error(r, err, errlen, "seccomp: %s",
		    strerror(-r));
	r = sandbox_add_rules(ctx, sandbox_rules, sizeof(sandbox_rules) /
	    sizeof(sandbox_rules[0]), err, errlen);
#ifdef SANDBOX_ASAN
	if (r == 0)
		r = sandbox_add_rules(ctx, sandbox_asan_rules,
		    sizeof(sandbox_asan_rules) / sizeof(sandbox_asan_rules[0]),
		    err, errlen);
#endif
	return r;
}

/* Install the allow-list on every thread of the process; off does
 * nothing. Sets no_new_privs first: the kernel refuses a filter from an
 * unprivileged process without it. */
int
sandbox_apply_seccomp(enum sandbox_seccomp mode, char *err, size_t errlen)
{
	uint32_t kill = sandbox_default_action(SANDBOX_SECCOMP_KILL);
	scmp_filter_ctx ctx;
	int r;

	if (mode == SANDBOX_SECCOMP_OFF)
		return 0;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return sandbox_error(-errno, err, errlen,
		    "cannot set no_new_privs: %s", strerror(errno));
	ctx = seccomp_init(sandbox_default_action(mode));
	if (ctx == NULL)
		return sandbox_error(-ENOMEM, err, errlen,
		    "seccomp_init failed");
	r = sandbox_build(ctx, kill, err, errlen);
	if (r == 0) {
		r = seccomp_load(ctx);
		if (r != 0)
			sandbox_error(r, err, errlen, "cannot load the seccomp "
			    "filter: %s", strerror(-r));
	}
	seccomp_release(ctx);
	return r;
}

/* The kernel's view of this process: the Seccomp: line of
 * /proc/self/status (0 none, 1 strict, 2 filter), -1 if unknown. */
int
sandbox_seccomp_status(void)
{
	long status = sandbox_status_field("Seccomp");

	return status >= 0 && status <= 2 ? (int)status : -1;
}

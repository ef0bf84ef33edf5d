/* SPDX-License-Identifier: BSD-2-Clause */
/* Load generator for bench/run.sh: CLIENTS forked processes, each with its
 * own connection (a tpm2-tss TCTI, or a raw unix socket with -S), repeat
 * one workload for SECONDS and report throughput and latency.
 *
 * Phases, separated by barriers across all clients:
 *   setup     connect, ESAPI, keys, sessions, WARMUP operations
 *   measured  operations until the parent says stop (SECONDS)
 *   teardown  flush what the client created, disconnect
 * With -P FILE the size of a tcti-pcap capture is sampled (once it has
 * stopped growing) at both measured-phase boundaries, so count-pcap.py
 * counts the TPM commands of that phase alone (-L FILE: the same for a
 * TPM's own log, swtpm's seen from a VM guest, which also sees commands a
 * kernel resource manager adds); client commands are counted
 * where they leave the client. With -R PID the daemon's resident set is
 * read at the end of the measured phase, while the clients still hold
 * their connections. CPU time spent in the measured phase is reported per
 * operation for the clients, the daemon (-R) and the TPM (-C, swtpm): what
 * a 2-core machine runs out of first.
 *
 * The idle workload opens CLIENTS connections in one process, sends one
 * GetRandom on each, and reports the daemon's resident set before and
 * with them. Output: one line of key=value pairs on stdout. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <tss2/tss2_rc.h>

#include "loadgen.h"

/* One client's results, in memory shared with the parent. */
struct lg_result {
	int setup_ok;
	uint32_t setup_rc;
	unsigned long ops;	/* succeeded in the measured phase */
	unsigned long failed;
	uint32_t first_rc;	/* of the first failure */
	unsigned long sent;	/* client commands in the measured phase */
	double cpu_us;		/* this client's CPU time in the phase */
	unsigned n_lat;
	float lat_us[];		/* of successful operations, at most cap */
};

/* Everything the parent and the clients share. */
struct lg_run {
	const struct lg_options *o;
	int stop;		/* set by the parent: end the measured phase */
	unsigned cap;		/* latencies kept per client */
	size_t stride;
	unsigned char *results;
};

static const char *const lg_workload_names[] = {
	[LG_GETRANDOM] = "getrandom", [LG_SIGN] = "sign",
	[LG_SIGN_HMAC] = "sign-hmac", [LG_SIGN_OWN] = "sign-own",
	[LG_CHURN] = "churn", [LG_IDLE] = "idle",
	[LG_PROVISION] = "provision",
};

static struct lg_result *
lg_result(struct lg_run *run, unsigned i)
{
	return (struct lg_result *)(void *)(run->results + i * run->stride);
}

/* Microseconds between two monotonic times. */
static double
lg_elapsed_us(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e6 +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e3;
}

/* qsort order for floats. */
static int
lg_compare(const void *pa, const void *pb)
{
	float a = *(const float *)pa, b = *(const float *)pb;

	return a < b ? -1 : a > b;
}

/* Block until the parent closes the write end of a barrier pipe. */
static void
lg_wait(int fd)
{
	char ch;

	while (read(fd, &ch, 1) < 0 && errno == EINTR)
		;
}

/* Tell the parent this client reached a barrier. */
static void
lg_signal(int fd)
{
	while (write(fd, "x", 1) < 0 && errno == EINTR)
		;
}

/* Read one barrier byte from each client; a client that died counts. */
static void
lg_barrier(const struct lg_options *o, const int *status)
{
	for (unsigned i = 0; i < o->clients; i++) {
		char ch;
		ssize_t r;

		do
			r = read(status[i], &ch, 1);
		while (r < 0 && errno == EINTR);
		if (r != 1)
			fprintf(stderr, "loadgen: client %u died\n", i);
	}
}

/* This process's CPU time in microseconds. */
static double
lg_cpu_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* A process's user+system CPU time (all threads) in microseconds; -1 if
 * unknown (proc(5): fields 14 and 15 of /proc/PID/stat, in ticks). */
static double
lg_proc_cpu_us(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long utime, stime;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* The command name may hold spaces: count fields after its ')'. */
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u "
	    "%*u %*u %lu %lu", &utime, &stime) != 2)
		return -1;
	return (double)(utime + stime) * 1e6 / (double)sysconf(_SC_CLK_TCK);
}

/* CPU microseconds per operation between two samples, -1 if unknown. */
static double
lg_cpu_per_op(double before, double after, unsigned long ops)
{
	if (before < 0 || after < 0 || ops == 0)
		return -1;
	return (after - before) / (double)ops;
}

/* The body of one forked client. Never returns. */
static void
lg_client_run(struct lg_run *run, unsigned id, int status_fd, int go_measure,
    int go_teardown)
{
	struct lg_client c = { .o = run->o, .id = id, .sock.fd = -1 };
	struct lg_result *r = lg_result(run, id);
	double cpu0;
	TSS2_RC rc;

	rc = lg_work_setup(&c);
	for (unsigned i = 0; rc == TSS2_RC_SUCCESS && i < run->o->warmup; i++)
		rc = lg_work_op(&c);
	r->setup_ok = rc == TSS2_RC_SUCCESS;
	r->setup_rc = rc;
	if (!r->setup_ok)
		fprintf(stderr, "loadgen: %s: client %u: setup failed: %s\n",
		    run->o->label, id, Tss2_RC_Decode(rc));
	lg_signal(status_fd);
	lg_wait(go_measure);

	c.sent = 0;
	cpu0 = lg_cpu_now_us();
	while (r->setup_ok && !__atomic_load_n(&run->stop, __ATOMIC_RELAXED)) {
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = lg_work_op(&c);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (rc == TSS2_RC_SUCCESS) {
			r->ops++;
			if (r->n_lat < run->cap)
				r->lat_us[r->n_lat++] =
				    (float)lg_elapsed_us(&t0, &t1);
		} else if (r->failed++ == 0) {
			r->first_rc = rc;
		}
	}
	r->sent = c.sent;
	r->cpu_us = lg_cpu_now_us() - cpu0;
	if (r->failed > 0)
		fprintf(stderr, "loadgen: %s: client %u: %lu operations failed, "
		    "first: %s\n", run->o->label, id, r->failed,
		    Tss2_RC_Decode(r->first_rc));
	lg_signal(status_fd);
	lg_wait(go_teardown);

	lg_work_teardown(&c);
	_exit(0);
}

/* The size of file path (a capture or log) once it has not grown for
 * o->quiet_ms (at most 60 s); -1 when there is no such file. */
static long long
lg_quiet_size(const struct lg_options *o, const char *path)
{
	long long last = -2;
	unsigned stable = 0;

	if (path == NULL)
		return -1;
	for (unsigned waited = 0; waited < 60000; waited += 10) {
		struct stat st;
		long long size;

		size = stat(path, &st) == 0 ? (long long)st.st_size : -1;
		if (size == last) {
			stable += 10;
			if (stable >= o->quiet_ms)
				return size;
		} else {
			stable = 0;
			last = size;
		}
		usleep(10000);
	}
	fprintf(stderr, "loadgen: %s kept growing for 60 s\n", path);
	return last;
}

/* A field of /proc/PID/status in KiB (VmRSS, VmHWM); -1 if unknown. */
static long
lg_proc_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t n = strlen(field);
	long kib = -1;
	FILE *f;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			kib = strtol(line + n + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kib;
}

/* Sleep for a number of seconds, resuming after signals. */
static void
lg_sleep(double seconds)
{
	struct timespec ts = {
		.tv_sec = (time_t)seconds,
		.tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9),
	};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Fork the clients and run the three phases; prints the result line. */
static int
lg_measure(const struct lg_options *o)
{
	struct lg_run run = { .o = o };
	struct lg_run *shared;
	int *status, go_measure[2], go_teardown[2];
	unsigned long ops = 0, failed = 0, sent = 0, n_lat = 0;
	unsigned setup_failed = 0;
	uint32_t first_rc = 0;
	long long pcap_start, pcap_end, log_start, log_end;
	long rss, hwm;
	struct timespec t0, t1;
	double secs, sum = 0, client_cpu = 0, d_cpu0, d_cpu1, t_cpu0, t_cpu1;
	float *lat;

	run.cap = (unsigned)(o->seconds * 40000) + 1000;
	run.stride = (sizeof(struct lg_result) + run.cap * sizeof(float) +
	    15) & ~(size_t)15;
	shared = mmap(NULL, sizeof(run), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	run.results = mmap(NULL, run.stride * o->clients,
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	status = calloc(o->clients, sizeof(*status));
	if (shared == MAP_FAILED || run.results == MAP_FAILED ||
	    status == NULL || pipe(go_measure) != 0 || pipe(go_teardown) != 0) {
		perror("loadgen");
		return 1;
	}
	*shared = run;
	fflush(NULL);
	for (unsigned i = 0; i < o->clients; i++) {
		int st[2];
		pid_t pid;

		if (pipe(st) != 0 || (pid = fork()) < 0) {
			perror("loadgen: fork");
			return 1;
		}
		if (pid == 0) {
			close(st[0]);
			close(go_measure[1]);
			close(go_teardown[1]);
			lg_client_run(shared, i, st[1], go_measure[0],
			    go_teardown[0]);
		}
		close(st[1]);
		status[i] = st[0];
	}
	close(go_measure[0]);
	close(go_teardown[0]);

	lg_barrier(o, status);			/* all set up */
	pcap_start = lg_quiet_size(o, o->pcap);
	log_start = lg_quiet_size(o, o->log);
	d_cpu0 = lg_proc_cpu_us(o->daemon);
	t_cpu0 = lg_proc_cpu_us(o->tpm);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	close(go_measure[1]);
	lg_sleep(o->seconds);
	__atomic_store_n(&shared->stop, 1, __ATOMIC_RELAXED);
	lg_barrier(o, status);			/* all measured */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	d_cpu1 = lg_proc_cpu_us(o->daemon);
	t_cpu1 = lg_proc_cpu_us(o->tpm);
	rss = lg_proc_kib(o->daemon, "VmRSS");
	hwm = lg_proc_kib(o->daemon, "VmHWM");
	pcap_end = lg_quiet_size(o, o->pcap);
	log_end = lg_quiet_size(o, o->log);
	close(go_teardown[1]);
	while (wait(NULL) > 0 || errno == EINTR)
		;

	lat = calloc((size_t)o->clients * run.cap, sizeof(*lat));
	if (lat == NULL)
		return 1;
	for (unsigned i = 0; i < o->clients; i++) {
		struct lg_result *r = lg_result(&run, i);

		setup_failed += !r->setup_ok;
		if (!r->setup_ok && first_rc == 0)
			first_rc = r->setup_rc;
		if (r->failed > 0 && first_rc == 0)
			first_rc = r->first_rc;
		ops += r->ops;
		failed += r->failed;
		sent += r->sent;
		client_cpu += r->cpu_us;
		for (unsigned j = 0; j < r->n_lat; j++) {
			lat[n_lat++] = r->lat_us[j];
			sum += r->lat_us[j];
		}
	}
	secs = lg_elapsed_us(&t0, &t1) / 1e6;
	qsort(lat, n_lat, sizeof(*lat), lg_compare);
	printf("label=%s workload=%s clients=%u setup_failed=%u ops=%lu "
	    "failures=%lu client_cmds=%lu elapsed_s=%.3f ops_s=%.1f "
	    "p50_us=%.1f p99_us=%.1f mean_us=%.1f rss_kib=%ld hwm_kib=%ld "
	    "cpu_client_us_op=%.1f cpu_daemon_us_op=%.1f cpu_tpm_us_op=%.1f "
	    "pcap_start=%lld pcap_end=%lld first_error=0x%08x",
	    o->label, lg_workload_names[o->workload], o->clients, setup_failed,
	    ops, failed, sent, secs, secs > 0 ? (double)ops / secs : 0.0,
	    n_lat ? lat[n_lat / 2] : 0.0, n_lat ? lat[(n_lat - 1) * 99 / 100] : 0.0,
	    n_lat ? sum / (double)n_lat : 0.0, rss, hwm,
	    ops ? client_cpu / (double)ops : -1.0,
	    lg_cpu_per_op(d_cpu0, d_cpu1, ops), lg_cpu_per_op(t_cpu0, t_cpu1, ops),
	    pcap_start, pcap_end, first_rc);
	if (o->log != NULL)
		printf(" log_start=%lld log_end=%lld", log_start, log_end);
	printf("\n");
	free(lat);
	free(status);
	return setup_failed == o->clients ? 1 : 0;
}

/* Open o->clients connections in this process, each proven by one
 * GetRandom, and report the daemon's resident set with them held. */
static int
lg_idle(const struct lg_options *o)
{
	struct lg_client *c = calloc(o->clients, sizeof(*c));
	struct rlimit rl;
	unsigned opened = 0;
	long before, with, hwm;
	struct timespec t0, t1;
	TSS2_RC rc = TSS2_RC_SUCCESS;

	if (c == NULL)
		return 1;
	/* A socket per connection, plus what each TCTI needs. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	lg_sleep(o->quiet_ms / 1000.0);
	before = lg_proc_kib(o->daemon, "VmRSS");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (; opened < o->clients; opened++) {
		rc = lg_work_connect_once(o, &c[opened]);
		if (rc != TSS2_RC_SUCCESS) {
			fprintf(stderr, "loadgen: %s: connection %u: %s\n",
			    o->label, opened + 1, Tss2_RC_Decode(rc));
			lg_work_disconnect(&c[opened]);
			break;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	lg_sleep(o->quiet_ms / 1000.0);		/* let the daemon settle */
	with = lg_proc_kib(o->daemon, "VmRSS");
	hwm = lg_proc_kib(o->daemon, "VmHWM");
	printf("label=%s workload=idle clients=%u connections=%u "
	    "rss_before_kib=%ld rss_kib=%ld hwm_kib=%ld per_conn_kib=%.2f "
	    "open_s=%.3f first_error=0x%08x\n", o->label, o->clients, opened,
	    before, with, hwm,
	    opened > 0 && with >= 0 ? (double)(with - before) / opened : 0.0,
	    lg_elapsed_us(&t0, &t1) / 1e6, rc);
	for (unsigned i = 0; i < opened; i++)
		lg_work_disconnect(&c[i]);
	free(c);
	return opened == o->clients ? 0 : 1;
}

static void
lg_usage(void)
{
	fprintf(stderr,
	    "usage: loadgen (-T TCTI | -S SOCKET) -w WORKLOAD [-c CLIENTS]\n"
	    "               [-d SECONDS] [-W WARMUP] [-l LABEL] [-k HANDLE]\n"
	    "               [-P PCAP] [-L LOG] [-q QUIET_MS] [-R PID] [-C PID]\n"
	    "               [-v]\n"
	    "  -T  tpm2-tss TCTI conf string (tctildr), e.g. proxy:PATH\n"
	    "  -S  raw client: TPM command bytes on this unix socket\n"
	    "  -w  getrandom, sign, sign-hmac, sign-own, churn, idle,\n"
	    "      provision (make the persistent key; once per TPM)\n"
	    "  -c  concurrent clients (processes; connections for idle) (1)\n"
	    "  -d  seconds of the measured phase (1)\n"
	    "  -W  operations per client before it (5)\n"
	    "  -k  the persistent signing key (0x81000100)\n"
	    "  -P  sample this tcti-pcap capture's size at the phase\n"
	    "      boundaries, once stable for QUIET_MS (100) ms\n"
	    "  -L  the same for a TPM's own command log (swtpm's, seen\n"
	    "      from a VM): log_start=, log_end= in the result line\n"
	    "  -R  report this daemon's VmRSS, VmHWM and CPU time per op\n"
	    "  -C  report this process's (the TPM's) CPU time per op\n"
	    "  -v  keep tpm2-tss error logging (default TSS2_LOG=all+none)\n");
	exit(2);
}

static enum lg_workload
lg_parse_workload(const char *s)
{
	for (size_t i = 0; i < sizeof(lg_workload_names) /
	    sizeof(lg_workload_names[0]); i++) {
		if (strcmp(s, lg_workload_names[i]) == 0)
			return (enum lg_workload)i;
	}
	lg_usage();
	return LG_GETRANDOM;
}

static void
lg_parse(int argc, char **argv, struct lg_options *o)
{
	int ch, have_workload = 0;

	o->clients = 1;
	o->seconds = 1;
	o->warmup = 5;
	o->quiet_ms = 100;
	o->key_handle = 0x81000100;
	while ((ch = getopt(argc, argv, "T:S:w:c:d:W:l:k:P:L:q:R:C:v")) != -1) {
		switch (ch) {
		case 'T': o->tcti = optarg; break;
		case 'S': o->socket = optarg; break;
		case 'w':
			o->workload = lg_parse_workload(optarg);
			have_workload = 1;
			break;
		case 'c': o->clients = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'd': o->seconds = strtod(optarg, NULL); break;
		case 'W': o->warmup = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'l': o->label = optarg; break;
		case 'k': o->key_handle = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'P': o->pcap = optarg; break;
		case 'L': o->log = optarg; break;
		case 'q': o->quiet_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'R': o->daemon = (pid_t)strtol(optarg, NULL, 10); break;
		case 'C': o->tpm = (pid_t)strtol(optarg, NULL, 10); break;
		case 'v': o->verbose = 1; break;
		default: lg_usage();
		}
	}
	if ((o->tcti == NULL) == (o->socket == NULL) || !have_workload ||
	    o->clients == 0 || o->clients > 65536 || o->seconds <= 0 ||
	    o->seconds > 3600 || optind != argc ||
	    (o->workload == LG_PROVISION && o->tcti == NULL))
		lg_usage();
	if (o->label == NULL)
		o->label = o->tcti != NULL ? o->tcti : o->socket;
}

int
main(int argc, char **argv)
{
	struct lg_options o = { 0 };

	lg_parse(argc, argv, &o);
	if (!o.verbose)
		setenv("TSS2_LOG", "all+none", 0);
	signal(SIGPIPE, SIG_IGN);
	if (o.tcti != NULL)
		lg_tcti_preload(o.tcti);
	switch (o.workload) {
	case LG_PROVISION:
		return lg_work_provision(&o) == TSS2_RC_SUCCESS ? 0 : 1;
	case LG_IDLE:
		return lg_idle(&o);
	default:
		return lg_measure(&o);
	}
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* The daemon's own process figures, read from /proc/self: the daemon
 * runs as tss and is not dumpable, so root outside cannot list its
 * /proc/PID/fd; the operator asks the daemon instead. Only calls the
 * seccomp allow-list has (openat, read, getdents64, close) are used:
 * getrlimit(2) is not on it, so the limit comes from /proc/self/limits. */
#include "procstat.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Entries of /proc/self/fd, less the one opendir() itself holds. */
static long
procstat_open_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	long n = 0;

	if (dir == NULL)
		return -1;
	while ((e = readdir(dir)) != NULL) {
		if (e->d_name[0] != '.')
			n++;
	}
	closedir(dir);
	return n - 1;
}

/* The soft limit of the row "Max <name>" of a /proc/PID/limits text;
 * -1 when unlimited or missing. */
long
procstat_parse_limit(const char *limits_text, const char *name)
{
	const char *line = limits_text;
	size_t n = strlen(name);

	while (line != NULL && *line != '\0') {
		if (strncmp(line, name, n) == 0 && line[n] == ' ') {
			const char *v = line + n;
			char *end;
			long soft;

			while (*v == ' ')
				v++;
			soft = strtol(v, &end, 10);
			return end == v || soft < 0 ? -1 : soft;
		}
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	return -1;
}

/* Read a small /proc file whole into buf; its length, or -1. */
static long
procstat_slurp(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (long)n;
}

/* Fill p from /proc/self. */
void
procstat_read(struct procstat *p)
{
	char buf[4096];
	long page = sysconf(_SC_PAGESIZE), ticks = sysconf(_SC_CLK_TCK);
	unsigned long long size, resident, utime, stime;

	p->open_fds = procstat_open_fds();
	p->max_fds = -1;
	p->rss_bytes = 0;
	p->cpu_seconds = -1;
	if (procstat_slurp("/proc/self/limits", buf, sizeof(buf)) > 0)
		p->max_fds = procstat_parse_limit(buf, "Max open files");
	if (procstat_slurp("/proc/self/statm", buf, sizeof(buf)) > 0 &&
	    sscanf(buf, "%llu %llu", &size, &resident) == 2 && page > 0)
		p->rss_bytes = resident * (unsigned long long)page;
	if (procstat_slurp("/proc/self/stat", buf, sizeof(buf)) > 0 &&
	    ticks > 0) {
		/* Fields after the command name, which may hold spaces. */
		const char *rest = strrchr(buf, ')');

		if (rest != NULL && sscanf(rest + 1, " %*c %*d %*d %*d %*d "
		    "%*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) == 2)
			p->cpu_seconds = (double)(utime + stime) / (double)ticks;
	}
}

/* The start time (field 22, clock ticks after boot) in the text of a
 * /proc/PID/stat: with the pid, what names one process for good, since a
 * pid is reused. The command name (field 2) may hold spaces and
 * parentheses, so fields are counted after its last ')'. Returns 0, or
 * -EINVAL when the text is not such a line. */
int
procstat_parse_start_time(const char *stat_text, unsigned long long *start)
{
	const char *p = strrchr(stat_text, ')');
	unsigned long long v = 0;

	if (p == NULL)
		return -EINVAL;
	p++;
	/* Fields 3 (state) to 21, each a space and a non-empty token. */
	for (int field = 3; field < 22; field++) {
		if (*p++ != ' ' || *p == ' ' || *p == '\0' || *p == '\n')
			return -EINVAL;
		while (*p != ' ' && *p != '\0' && *p != '\n')
			p++;
	}
	if (*p++ != ' ' || *p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (ULLONG_MAX - (unsigned)(*p - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (*p != ' ' && *p != '\n' && *p != '\0')
		return -EINVAL;
	*start = v;
	return 0;
}

/* The start time of process pid (see above); -errno when it has gone. */
int
procstat_start_time(pid_t pid, unsigned long long *start)
{
	char path[64], buf[1024];

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	errno = 0;
	if (procstat_slurp(path, buf, sizeof(buf)) <= 0)
		return errno != 0 ? -errno : -ESRCH;
	return procstat_parse_start_time(buf, start);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* The daemon's own process figures, for tpmproxyctl status and /metrics. */
#ifndef TPMPROXY_PROCSTAT_H
#define TPMPROXY_PROCSTAT_H

#include <stdint.h>
#include <sys/types.h>

struct procstat {
	long open_fds;        /* -1 when unknown */
	long max_fds;         /* soft RLIMIT_NOFILE; -1 unlimited or unknown */
	uint64_t rss_bytes;   /* 0 when unknown */
	double cpu_seconds;   /* user + system; -1 when unknown */
};

void procstat_read(struct procstat *p);
long procstat_parse_limit(const char *limits_text, const char *name);
int procstat_parse_start_time(const char *stat_text,
    unsigned long long *start);
int procstat_start_time(pid_t pid, unsigned long long *start);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* Kubernetes pod identity from /proc/PID/cgroup (the parser is pure). */
#ifndef TPMPROXY_CGROUP_H
#define TPMPROXY_CGROUP_H

#include <stddef.h>
#include <sys/types.h>

/* A pod UID in canonical form: 8-4-4-4-12 lowercase hex digits. */
#define CGROUP_UID_LEN 36
/* The most /proc/PID/cgroup bytes read; a longer file gives no identity. */
#define CGROUP_FILE_MAX 65536

int cgroup_pod_uid(const char *text, size_t len, char *uid, size_t uidlen);
int cgroup_pod_uid_of_file(const char *path, char *uid, size_t uidlen);
int cgroup_pod_uid_of_pid(pid_t pid, char *uid, size_t uidlen);

#endif

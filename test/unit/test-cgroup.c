/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of src/cgroup.c: /proc/PID/cgroup samples of every shape
 * kubelet and the runtimes write (v1 and v2, cgroupfs and systemd drivers,
 * kind prefixes, cgroup namespaces), and hostile or broken ones. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup.h"

#define UID "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
#define UID_ "1b2c3d4e_5f6a_4b7c_8d9e_0f1a2b3c4d5e"
#define UID2 "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
#define UID2_ "9f8e7d6c_5b4a_4392_8170_6f5e4d3c2b1a"
#define CID "3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6"

/* A cgroup v1 file (docker/containerd, cgroupfs driver) with one path. */
#define V1(path) \
	"12:perf_event:" path "\n" \
	"11:memory:" path "\n" \
	"10:cpu,cpuacct:" path "\n" \
	"9:devices:" path "\n" \
	"8:freezer:" path "\n" \
	"7:blkio:" path "\n" \
	"6:net_cls,net_prio:" path "\n" \
	"5:pids:" path "\n" \
	"4:hugetlb:" path "\n" \
	"3:cpuset:" path "\n" \
	"2:rdma:/\n" \
	"1:name=systemd:" path "\n" \
	"0::/\n"

/* Parse text (len bytes) and expect want, or -ENOENT if want is NULL.
 * The parser gets an exact-size copy, so ASan sees any read past len. */
static void
check_len(const char *text, size_t len, const char *want)
{
	char uid[CGROUP_UID_LEN + 1];
	char *copy = malloc(len > 0 ? len : 1);
	int r;

	assert_non_null(copy);
	memcpy(copy, text, len);
	memset(uid, 'x', sizeof(uid));
	r = cgroup_pod_uid(copy, len, uid, sizeof(uid));
	free(copy);
	if (want != NULL) {
		if (r != 0)
			fail_msg("%d, expected %s for:\n%.*s", r, want,
			    (int)(len > 400 ? 400 : len), text);
		assert_string_equal(uid, want);
	} else {
		if (r != -ENOENT)
			fail_msg("%d (%s), expected -ENOENT for:\n%.*s", r,
			    r == 0 ? uid : "", (int)(len > 400 ? 400 : len),
			    text);
		assert_string_equal(uid, "");
	}
}

/* The same for a NUL-terminated sample. */
static void
check(const char *text, const char *want)
{
	check_len(text, strlen(text), want);
}

static void
cgroup_pod_uid_v1_cgroupfs(void **state)
{
	check(V1("/kubepods/burstable/pod" UID "/" CID), UID);
	check(V1("/kubepods/besteffort/pod" UID "/" CID), UID);
	check(V1("/kubepods/pod" UID "/" CID), UID);
	/* The pause container, and a process in the pod cgroup itself. */
	check(V1("/kubepods/pod" UID), UID);
}

static void
cgroup_pod_uid_v1_systemd(void **state)
{
	check(V1("/kubepods.slice/kubepods-burstable.slice/"
	    "kubepods-burstable-pod" UID_ ".slice/docker-" CID ".scope"), UID);
	check(V1("/kubepods.slice/kubepods-besteffort.slice/"
	    "kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" CID
	    ".scope"), UID);
	check(V1("/kubepods.slice/kubepods-pod" UID_ ".slice/docker-" CID
	    ".scope"), UID);
}

static void
cgroup_pod_uid_v2_systemd(void **state)
{
	check("0::/kubepods.slice/kubepods-burstable.slice/"
	    "kubepods-burstable-pod" UID_ ".slice/cri-containerd-" CID
	    ".scope\n", UID);
	check("0::/kubepods.slice/kubepods-besteffort.slice/"
	    "kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" CID
	    ".scope\n", UID);
	check("0::/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-"
	    CID ".scope\n", UID);
	/* CRI-O, and its conmon. */
	check("0::/kubepods.slice/kubepods-burstable.slice/"
	    "kubepods-burstable-pod" UID_ ".slice/crio-" CID ".scope\n", UID);
	check("0::/kubepods.slice/kubepods-burstable.slice/"
	    "kubepods-burstable-pod" UID_ ".slice/crio-conmon-" CID
	    ".scope\n", UID);
}

static void
cgroup_pod_uid_v2_cgroupfs(void **state)
{
	check("0::/kubepods/besteffort/pod" UID "/" CID "\n", UID);
	check("0::/kubepods/burstable/pod" UID "/" CID "\n", UID);
	check("0::/kubepods/pod" UID "/" CID "\n", UID);
}

static void
cgroup_pod_uid_kind_prefixes(void **state)
{
	/* kind: kubelet's cgroup root is /kubelet. */
	check("0::/kubelet.slice/kubelet-kubepods.slice/"
	    "kubelet-kubepods-besteffort.slice/"
	    "kubelet-kubepods-besteffort-pod" UID_ ".slice/cri-containerd-"
	    CID ".scope\n", UID);
	check("0::/kubelet.slice/kubelet-kubepods.slice/"
	    "kubelet-kubepods-pod" UID_ ".slice/cri-containerd-" CID
	    ".scope\n", UID);
	check("0::/kubelet.slice/kubepods.slice/kubepods-burstable.slice/"
	    "kubepods-burstable-pod" UID_ ".slice/cri-containerd-" CID
	    ".scope\n", UID);
	check(V1("/kubelet/kubepods/burstable/pod" UID "/" CID), UID);
	/* containerd's systemd driver nested under its own service. */
	check("0::/system.slice/containerd.service/"
	    "kubepods-burstable-pod" UID_ ".slice:cri-containerd:" CID "\n",
	    UID);
	check("0::/system.slice/containerd.service/"
	    "kubepods-pod" UID_ ".slice:cri-containerd:" CID "\n", UID);
	check("0::/system.slice/containerd.service/kubepods.slice/"
	    "kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	    ".slice/cri-containerd-" CID ".scope\n", UID);
}

static void
cgroup_pod_uid_cgroup_namespace(void **state)
{
	/* Read from inside another pod's cgroup namespace. */
	check("0::/../../kubepods-besteffort.slice/kubepods-besteffort-pod"
	    UID_ ".slice/cri-containerd-" CID ".scope\n", UID);
	check("0::/../../kubepods-pod" UID_ ".slice/cri-containerd-" CID
	    ".scope\n", UID);
	check("0::/../../../kubepods.slice/kubepods-pod" UID_
	    ".slice/cri-containerd-" CID ".scope\n", UID);
	check("0::/../burstable/pod" UID "/" CID "\n", UID);
	check("0::/../pod" UID "/" CID "\n", UID);
	/* Its own cgroup, or something else outside. */
	check("0::/\n", NULL);
	check("0::/../..\n", NULL);
	check("0::/../../system.slice/cron.service\n", NULL);
	check("0::/../../../user.slice/user-1000.slice/"
	    "kubepods-pod" UID_ ".slice\n", NULL);
}

static void
cgroup_pod_uid_not_in_pod(void **state)
{
	check("0::/init.scope\n", NULL);
	check("0::/\n", NULL);
	check("0::/user.slice/user-1000.slice/session-3.scope\n", NULL);
	check("0::/system.slice/containerd.service\n", NULL);
	check("0::/system.slice/kubelet.service\n", NULL);
	check("0::/kubelet.slice\n", NULL);
	check("0::/kubelet.slice/kubelet.service\n", NULL);
	check("0::/system.slice/docker-" CID ".scope\n", NULL);
	check("0::/machine.slice/libpod-" CID ".scope\n", NULL);
	check(V1("/system.slice/ssh.service"), NULL);
	check(V1("/"), NULL);
}

static void
cgroup_pod_uid_forged_outside_kubepods(void **state)
{
	/* A user session may create cgroups under its own delegated
	 * subtree and name them after someone else's pod. */
	check("0::/user.slice/user-1000.slice/user@1000.service/app.slice/"
	    "kubepods-besteffort-pod" UID_ ".slice\n", NULL);
	check("0::/user.slice/user-1000.slice/user@1000.service/kubepods/"
	    "pod" UID "/x\n", NULL);
	check("0::/user.slice/kubepods.slice/kubepods-pod" UID_ ".slice\n",
	    NULL);
	check("0::/system.slice/other.service/kubepods/pod" UID "/x\n", NULL);
	/* Below the root only after a prefix we know. */
	check("0::/kubepods-pod" UID_ ".slice/x\n", NULL);
	check("0::/pod" UID "/x\n", NULL);
	check("0::/burstable/pod" UID "/x\n", NULL);
	check("0::/system.slice/containerd.service/pod" UID "/x\n", NULL);
}

static void
cgroup_pod_uid_truncated(void **state)
{
	static const char text[] = V1("/kubepods/burstable/pod" UID "/" CID);
	size_t len = sizeof(text) - 1;

	/* Every cut: whole lines still agree, anything else is nothing. */
	for (size_t n = 0; n < len; n++) {
		bool whole = n > 0 && text[n - 1] == '\n';

		check_len(text, n, whole ? UID : NULL);
	}
	check_len(text, len, UID);
}

static void
cgroup_pod_uid_no_newline(void **state)
{
	check("0::/kubepods/besteffort/pod" UID "/" CID, NULL);
	check("0::/kubepods/besteffort/pod" UID, NULL);
	check("0::/kubepods.slice/kubepods-pod" UID_ ".slice", NULL);
	check("1:name=systemd:/kubepods/pod" UID "/" CID "\n"
	    "0::/kubepods/pod" UID "/" CID, NULL);
}

static void
cgroup_pod_uid_huge_line(void **state)
{
	static const char head[] = "0::/kubepods/besteffort/pod" UID "/";
	size_t huge = 1 << 20, n = sizeof(head) - 1;
	char *buf = malloc(n + huge + 2);

	assert_non_null(buf);
	/* A deep path below the pod is still the pod. */
	memcpy(buf, head, n);
	memset(buf + n, 'a', huge);
	buf[n + huge] = '\n';
	check_len(buf, n + huge + 1, UID);
	/* A megabyte of nothing, with or without an end. */
	memset(buf, 'a', n + huge);
	check_len(buf, n + huge + 1, NULL);
	check_len(buf, n + huge, NULL);
	/* kubepods far out in a path that starts elsewhere. */
	memcpy(buf, "0::/", 4);
	memcpy(buf + n + huge - 9, "/kubepods", 9);
	check_len(buf, n + huge + 1, NULL);
	free(buf);
}

static void
cgroup_pod_uid_uppercase(void **state)
{
	check("0::/kubepods/besteffort/pod1B2C3D4E-5F6A-4B7C-8D9E-0F1A2B3C4D5E"
	    "/" CID "\n", NULL);
	check("0::/kubepods/besteffort/pod1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5E"
	    "/" CID "\n", NULL);
	check("0::/kubepods.slice/kubepods-pod"
	    "1B2C3D4E_5F6A_4B7C_8D9E_0F1A2B3C4D5E.slice/x.scope\n", NULL);
	check("0::/Kubepods/pod" UID "/" CID "\n", NULL);
	check("0::/kubepods/Pod" UID "/" CID "\n", NULL);
}

static void
cgroup_pod_uid_wrong_lengths(void **state)
{
	/* 35, 37, 32 (no dashes) and 0 characters. */
	check("0::/kubepods/pod1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5/x\n", NULL);
	check("0::/kubepods/pod1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e0/x\n",
	    NULL);
	check("0::/kubepods/pod1b2c3d4e5f6a4b7c8d9e0f1a2b3c4d5e/x\n", NULL);
	check("0::/kubepods/pod/x\n", NULL);
	check("0::/kubepods.slice/kubepods-pod"
	    "1b2c3d4e_5f6a_4b7c_8d9e_0f1a2b3c4d5.slice/x\n", NULL);
	check("0::/kubepods.slice/kubepods-pod"
	    "1b2c3d4e_5f6a_4b7c_8d9e_0f1a2b3c4d5e0.slice/x\n", NULL);
	check("0::/kubepods.slice/kubepods-pod.slice/x\n", NULL);
	/* Names that end where ".slice" should start. */
	check("0::/kubepods.slice/kubepods-pod" UID_ "\n", NULL);
	check("0::/kubepods.slice/kubepods-pod" UID_ ".sli\n", NULL);
	check("0::/../kubepods-besteffort-pod" UID_ "\n", NULL);
	/* Dashes in the wrong places. */
	check("0::/kubepods/pod1b2c3d4e5-f6a-4b7c-8d9e-0f1a2b3c4d5e/x\n", NULL);
	check("0::/kubepods/pod1b2c3d4e-5f6a-4b7c-8d9e0-f1a2b3c4d5e/x\n", NULL);
}

static void
cgroup_pod_uid_wrong_separators(void **state)
{
	check("0::/kubepods/pod" UID_ "/" CID "\n", NULL);
	check("0::/kubepods.slice/kubepods-pod" UID ".slice/x.scope\n", NULL);
	check("0::/kubepods/pod1b2c3d4e-5f6a_4b7c-8d9e-0f1a2b3c4d5e/x\n", NULL);
	check("0::/kubepods/pod1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5g/x\n", NULL);
	/* Junk where ".slice" must end the name. */
	check("0::/kubepods.slice/kubepods-pod" UID_ ".slicex/x\n", NULL);
	check("0::/kubepods.slice/kubepods-pod" UID_ "x.slice/x\n", NULL);
	check("0::/kubepods.slice/kubepods-pod" UID_ ".scope/x\n", NULL);
}

static void
cgroup_pod_uid_pod_in_container_id(void **state)
{
	/* Below the pod, names are the runtime's and the pod's own. */
	check("0::/kubepods/burstable/pod" UID "/pod" UID2 "\n", UID);
	check("0::/kubepods/burstable/pod" UID "/" CID "/kubepods/pod" UID2
	    "/x\n", UID);
	check("0::/kubepods.slice/kubepods-pod" UID_ ".slice/"
	    "kubepods-pod" UID2_ ".slice/x.scope\n", UID);
	check("0::/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-"
	    "pod" UID2 ".scope\n", UID);
	/* A container id where the pod must be is no pod. */
	check("0::/kubepods/burstable/" CID "/pod" UID "\n", NULL);
}

static void
cgroup_pod_uid_two_pods(void **state)
{
	/* v1 lines that disagree: no identity. */
	check("11:memory:/kubepods/burstable/pod" UID "/" CID "\n"
	    "1:name=systemd:/kubepods/burstable/pod" UID2 "/" CID "\n", NULL);
	check("1:name=systemd:/kubepods.slice/kubepods-pod" UID_
	    ".slice/x.scope\n"
	    "0::/kubepods.slice/kubepods-pod" UID2_ ".slice/x.scope\n", NULL);
	/* Agreeing lines in both drivers' spellings are one pod. */
	check("1:name=systemd:/kubepods.slice/kubepods-pod" UID_
	    ".slice/x.scope\n"
	    "0::/kubepods/pod" UID "/x\n", UID);
	/* One good line beside one kubepods line we cannot read. */
	check("11:memory:/kubepods/burstable/pod" UID "/" CID "\n"
	    "1:name=systemd:/kubepods/burstable/podX/" CID "\n", NULL);
}

static void
cgroup_pod_uid_broken_structure(void **state)
{
	/* QoS slice and pod slice disagree. */
	check("0::/kubepods.slice/kubepods-burstable.slice/"
	    "kubepods-besteffort-pod" UID_ ".slice/x.scope\n", NULL);
	/* A burstable pod straight under the root. */
	check("0::/kubepods.slice/kubepods-burstable-pod" UID_
	    ".slice/x.scope\n", NULL);
	/* A guaranteed pod under a QoS slice. */
	check("0::/kubepods.slice/kubepods-burstable.slice/kubepods-pod" UID_
	    ".slice/x.scope\n", NULL);
	/* Prefixes that change half-way. */
	check("0::/kubelet.slice/kubelet-kubepods.slice/"
	    "kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	    ".slice/x.scope\n", NULL);
	check("0::/kubepods.slice/kubelet-kubepods-pod" UID_ ".slice/x\n",
	    NULL);
	/* Drivers mixed in one path. */
	check("0::/kubepods/kubepods-pod" UID_ ".slice/x\n", NULL);
	check("0::/kubepods.slice/pod" UID "/x\n", NULL);
	check("0::/kubepods/burstable.slice/pod" UID "/x\n", NULL);
	/* Levels without a pod, or an unknown QoS class. */
	check("0::/kubepods\n", NULL);
	check("0::/kubepods/burstable\n", NULL);
	check("0::/kubepods.slice\n", NULL);
	check("0::/kubepods.slice/kubepods-burstable.slice\n", NULL);
	check("0::/kubepods/guaranteed/pod" UID "/x\n", NULL);
	check("0::/kubepods//pod" UID "/x\n", NULL);
	check("0::/kubepods/burstable/burstable/pod" UID "/x\n", NULL);
}

static void
cgroup_pod_uid_malformed_lines(void **state)
{
	static const char nul[] = "0::/kubepods/pod" UID "/x\0\n";

	check("", NULL);
	check("\n", NULL);
	check("\n0::/kubepods/pod" UID "/x\n", NULL);
	check("0::/kubepods/pod" UID "/x\n\n", NULL);
	check_len(nul, sizeof(nul) - 1, NULL);
	check("/kubepods/pod" UID "/x\n", NULL);
	check("0:/kubepods/pod" UID "/x\n", NULL);
	check("x::/kubepods/pod" UID "/x\n", NULL);
	check(":cpu:/kubepods/pod" UID "/x\n", NULL);
	check("12345678901::/kubepods/pod" UID "/x\n", NULL);
	check("-1::/kubepods/pod" UID "/x\n", NULL);
	check("0::kubepods/pod" UID "/x\n", NULL);
	check("0::\n", NULL);
	check("0::/kubepods/pod" UID "/x\r\n", UID);
	check("0::/kubepods/pod" UID "\r\n", NULL);
	/* The path may hold ':'; the controller list may not. */
	check("1234567890:a:b:/kubepods/pod" UID "/x\n", NULL);
	check("1234567890:a,b:/kubepods/pod" UID "/x:y\n", UID);
}

static void
cgroup_pod_uid_small_buffer(void **state)
{
	static const char text[] = "0::/kubepods/pod" UID "/x\n";
	char uid[CGROUP_UID_LEN + 1];

	assert_int_equal(cgroup_pod_uid(text, sizeof(text) - 1, uid,
	    CGROUP_UID_LEN), -ENOSPC);
	assert_int_equal(cgroup_pod_uid(text, sizeof(text) - 1, uid, 0),
	    -ENOSPC);
	assert_int_equal(cgroup_pod_uid(text, sizeof(text) - 1, uid,
	    CGROUP_UID_LEN + 1), 0);
	assert_string_equal(uid, UID);
}

/* Write len bytes to a new temporary file; returns its path (free it). */
static char *
write_temp(const char *data, size_t len)
{
	const char *dir = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	char *path = malloc(strlen(dir) + 32);
	int fd;

	assert_non_null(path);
	sprintf(path, "%s/test-cgroup.XXXXXX", dir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void
cgroup_pod_uid_of_file_sizes(void **state)
{
	static const char head[] = "0::/kubepods/besteffort/pod" UID "/";
	size_t n = sizeof(head) - 1;
	char *buf = malloc(CGROUP_FILE_MAX + 2), *path;
	char uid[CGROUP_UID_LEN + 1];

	assert_non_null(buf);
	/* Exactly the most we read. */
	memcpy(buf, head, n);
	memset(buf + n, 'c', CGROUP_FILE_MAX - n - 1);
	buf[CGROUP_FILE_MAX - 1] = '\n';
	path = write_temp(buf, CGROUP_FILE_MAX);
	assert_int_equal(cgroup_pod_uid_of_file(path, uid, sizeof(uid)), 0);
	assert_string_equal(uid, UID);
	unlink(path);
	free(path);
	/* One byte more is refused, not cut. */
	buf[CGROUP_FILE_MAX - 1] = 'c';
	buf[CGROUP_FILE_MAX] = '\n';
	path = write_temp(buf, CGROUP_FILE_MAX + 1);
	assert_int_equal(cgroup_pod_uid_of_file(path, uid, sizeof(uid)),
	    -EFBIG);
	assert_string_equal(uid, "");
	unlink(path);
	free(path);
	/* Empty. */
	path = write_temp(buf, 0);
	assert_int_equal(cgroup_pod_uid_of_file(path, uid, sizeof(uid)),
	    -ENOENT);
	unlink(path);
	free(path);
	free(buf);
}

static void
cgroup_pod_uid_of_file_missing(void **state)
{
	char uid[CGROUP_UID_LEN + 1];

	assert_int_equal(cgroup_pod_uid_of_file("/nonexistent/cgroup", uid,
	    sizeof(uid)), -ENOENT);
	assert_int_equal(cgroup_pod_uid_of_file("/", uid, sizeof(uid)),
	    -EISDIR);
	assert_int_equal(cgroup_pod_uid_of_file("/", uid, 3), -ENOSPC);
}

static void
cgroup_pod_uid_of_pid_self(void **state)
{
	char *buf = malloc(CGROUP_FILE_MAX + 1);
	char want[CGROUP_UID_LEN + 1], uid[CGROUP_UID_LEN + 1];
	FILE *f = fopen("/proc/self/cgroup", "r");
	size_t len;
	int r;

	assert_non_null(buf);
	if (f == NULL) {
		free(buf);
		skip();
	}
	len = fread(buf, 1, CGROUP_FILE_MAX + 1, f);
	fclose(f);
	r = cgroup_pod_uid(buf, len, want, sizeof(want));
	assert_int_equal(cgroup_pod_uid_of_pid(getpid(), uid, sizeof(uid)), r);
	assert_string_equal(uid, want);
	free(buf);
}

static void
cgroup_pod_uid_of_pid_invalid(void **state)
{
	char uid[CGROUP_UID_LEN + 1];
	long pid_max = 4194304;
	FILE *f = fopen("/proc/sys/kernel/pid_max", "r");

	if (f != NULL) {
		assert_int_equal(fscanf(f, "%ld", &pid_max), 1);
		fclose(f);
	}
	assert_int_equal(cgroup_pod_uid_of_pid(0, uid, sizeof(uid)), -EINVAL);
	assert_int_equal(cgroup_pod_uid_of_pid(-1, uid, sizeof(uid)), -EINVAL);
	assert_int_equal(cgroup_pod_uid_of_pid((pid_t)pid_max + 1, uid,
	    sizeof(uid)), -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cgroup_pod_uid_v1_cgroupfs),
		cmocka_unit_test(cgroup_pod_uid_v1_systemd),
		cmocka_unit_test(cgroup_pod_uid_v2_systemd),
		cmocka_unit_test(cgroup_pod_uid_v2_cgroupfs),
		cmocka_unit_test(cgroup_pod_uid_kind_prefixes),
		cmocka_unit_test(cgroup_pod_uid_cgroup_namespace),
		cmocka_unit_test(cgroup_pod_uid_not_in_pod),
		cmocka_unit_test(cgroup_pod_uid_forged_outside_kubepods),
		cmocka_unit_test(cgroup_pod_uid_truncated),
		cmocka_unit_test(cgroup_pod_uid_no_newline),
		cmocka_unit_test(cgroup_pod_uid_huge_line),
		cmocka_unit_test(cgroup_pod_uid_uppercase),
		cmocka_unit_test(cgroup_pod_uid_wrong_lengths),
		cmocka_unit_test(cgroup_pod_uid_wrong_separators),
		cmocka_unit_test(cgroup_pod_uid_pod_in_container_id),
		cmocka_unit_test(cgroup_pod_uid_two_pods),
		cmocka_unit_test(cgroup_pod_uid_broken_structure),
		cmocka_unit_test(cgroup_pod_uid_malformed_lines),
		cmocka_unit_test(cgroup_pod_uid_small_buffer),
		cmocka_unit_test(cgroup_pod_uid_of_file_sizes),
		cmocka_unit_test(cgroup_pod_uid_of_file_missing),
		cmocka_unit_test(cgroup_pod_uid_of_pid_self),
		cmocka_unit_test(cgroup_pod_uid_of_pid_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Least privilege after start-up: user switch, capabilities, seccomp. */
#ifndef TPMPROXY_SANDBOX_H
#define TPMPROXY_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

/* What a system call outside the allow-list does. */
enum sandbox_seccomp {
	SANDBOX_SECCOMP_OFF,  /* no filter (ASan, valgrind, debugging) */
	SANDBOX_SECCOMP_LOG,  /* allowed and logged by the kernel (audit) */
	SANDBOX_SECCOMP_KILL, /* the whole process dies with SIGSYS */
};

int sandbox_parse_mode(const char *s, enum sandbox_seccomp *mode);
int sandbox_resolve(const char *user, const char *group, uid_t *uid,
    gid_t *gid, char *err, size_t errlen);
int sandbox_drop_privileges(const char *user, const char *group, char *err,
    size_t errlen);
int sandbox_apply_seccomp(enum sandbox_seccomp mode, char *err,
    size_t errlen);
int sandbox_seccomp_status(void);

#endif

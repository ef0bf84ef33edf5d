/* SPDX-License-Identifier: BSD-2-Clause */
/* Command profiles: which TPM commands a socket's clients may send (pure). */
#ifndef TPMPROXY_PROFILE_H
#define TPMPROXY_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest profile name, NUL excluded (as config.c's CONFIG_NAME_MAX). */
#define PROFILE_NAME_MAX 64

/* Why profile_allows said no, for the audit record. */
enum profile_verdict {
	PROFILE_ALLOWED = 0,
	PROFILE_DENY_COMMAND,   /* the command code is not in the profile */
	PROFILE_DENY_HIERARCHY, /* a primary object under a hierarchy the
	                           profile does not grant */
	PROFILE_DENY_MALFORMED, /* too short to hold what the check reads */
};

struct profile;

/* "readonly", "attest", "crypto" or "full"; NULL for any other name. The
 * result is shared and immutable; profile_free ignores it. */
const struct profile *profile_builtin(const char *name);

/* A custom profile: inherit's commands (none if NULL), plus allow, minus
 * deny. 0, -EINVAL (bad name, or a code with reserved bits set) or
 * -ENOMEM. */
int profile_build(const char *name, const struct profile *inherit,
    const uint32_t *allow, size_t nallow, const uint32_t *deny, size_t ndeny,
    struct profile **out);
void profile_free(const struct profile *p);

bool profile_allows(const struct profile *p, const uint8_t *cmd, size_t len,
    uint32_t *why);
bool profile_has_code(const struct profile *p, uint32_t code);
const char *profile_name(const struct profile *p);
const char *profile_verdict_name(uint32_t why);

#endif

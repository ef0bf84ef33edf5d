/* SPDX-License-Identifier: BSD-2-Clause */
/* The configuration in force with its profiles built: what the loop thread
 * checks commands against. Immutable; a reload builds a new one. */
#ifndef TPMPROXY_POLICY_H
#define TPMPROXY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct client_group;
struct config;
struct config_socket;
struct policy;
struct profile;

int policy_new(struct config *config, struct policy **out, char *err,
    size_t errlen);
const struct config *policy_config(const struct policy *p);
const struct config_socket *policy_socket(const struct policy *p,
    const char *name);
const struct profile *policy_profile(const struct policy *p,
    const struct config_socket *s);
void policy_free(struct policy *p);

/* Longest an over-rate command is held back before TPM_RC_RETRY. */
#define POLICY_MAX_DELAY_US 1000000

enum policy_verdict {
	POLICY_ALLOW,     /* send it to the TPM now */
	POLICY_DENY,      /* not in the socket's profile */
	POLICY_DELAY,     /* over the rate: try again after *wait_us */
	POLICY_RETRY,     /* over the rate for longer than we hold commands */
};

bool policy_admit(const struct config_socket *s, uid_t uid);
enum policy_verdict policy_check_command(const struct policy *p,
    const struct config_socket *s, struct client_group *g,
    const uint8_t *cmd, size_t len, const struct timespec *now,
    int64_t waited_us, int64_t *wait_us);

#endif

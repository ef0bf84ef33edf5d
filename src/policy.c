/* SPDX-License-Identifier: BSD-2-Clause */
/* The configuration in force with its profiles built: what the loop thread
 * checks commands against. Immutable; a reload builds a new one and the
 * daemon swaps the pointer, so connections look their socket up by name
 * for every command and changed limits apply to the next one. */
#include "policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_tpm2_types.h>

#include "config.h"
#include "frame.h"
#include "identity.h"
#include "log.h"
#include "profile.h"
#include "ratelimit.h"

struct policy {
	struct config *config;
	struct profile **custom;   /* built, in config->profiles order */
};

/* Build custom profile i after what it inherits (config_check ruled out
 * cycles and unknown names). */
static int
policy_build(struct policy *p, size_t i, char *err, size_t errlen)
{
	const struct config_profile *cp = &p->config->profiles[i];
	const struct profile *inherit = NULL;
	int r;

	if (p->custom[i] != NULL)
		return 0;
	if (cp->inherit != NULL) {
		inherit = profile_builtin(cp->inherit);
		for (size_t j = 0; inherit == NULL && j < p->config->nprofiles;
		     j++) {
			if (strcmp(p->config->profiles[j].name, cp->inherit) != 0)
				continue;
			if ((r = policy_build(p, j, err, errlen)) != 0)
				return r;
			inherit = p->custom[j];
		}
	}
	r = profile_build(cp->name, inherit, cp->allow, cp->nallow, cp->deny,
	    cp->ndeny, &p->custom[i]);
	if (r != 0)
		snprintf(err, errlen, "%s:%u: profile \"%s\": cannot build it",
		    cp->file, cp->line, cp->name);
	return r;
}

/* Take a checked configuration and build its profiles. */
int
policy_new(struct config *config, struct policy **out, char *err,
    size_t errlen)
{
	struct policy *p;
	int r = 0;

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->config = config;
	p->custom = calloc(config->nprofiles ? config->nprofiles : 1,
	    sizeof(*p->custom));
	if (p->custom == NULL) {
		free(p);
		return -ENOMEM;
	}
	for (size_t i = 0; i < config->nprofiles && r == 0; i++)
		r = policy_build(p, i, err, errlen);
	if (r != 0) {
		/* The caller keeps the configuration on failure. */
		for (size_t i = 0; i < config->nprofiles; i++)
			profile_free(p->custom[i]);
		free(p->custom);
		free(p);
		return r;
	}
	*out = p;
	return 0;
}

/* The configuration in force. */
const struct config *
policy_config(const struct policy *p)
{
	return p->config;
}

/* A socket's section by name; NULL once a reload removed it. */
const struct config_socket *
policy_socket(const struct policy *p, const char *name)
{
	return config_find_socket(p->config, name);
}

/* The profile a socket's clients are held to. */
const struct profile *
policy_profile(const struct policy *p, const struct config_socket *s)
{
	const struct profile *builtin = profile_builtin(s->profile);

	if (builtin != NULL)
		return builtin;
	for (size_t i = 0; i < p->config->nprofiles; i++) {
		if (strcmp(p->config->profiles[i].name, s->profile) == 0)
			return p->custom[i];
	}
	/* config_check guarantees the name exists; the narrowest built-in
	 * otherwise. */
	return profile_builtin("readonly");
}

/* Free the policy and the configuration it owns. */
void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->config->nprofiles; i++)
		profile_free(p->custom[i]);
	free(p->custom);
	config_free(p->config);
	free(p);
}

/* Whether a peer may connect to a socket at all (allow-uids). */
bool
policy_admit(const struct config_socket *s, uid_t uid)
{
	if (s->nallow_uids == 0)
		return true;
	for (size_t i = 0; i < s->nallow_uids; i++) {
		if (s->allow_uids[i] == uid)
			return true;
	}
	return false;
}

/* Set up or follow the group's token bucket for this socket's rate. */
static void
policy_rate_setup(const struct config_socket *s, struct client_group *g,
    const struct timespec *now)
{
	double burst = s->burst != 0 ? s->burst : s->rate;

	if (g->rate_per_second == s->rate && g->burst == s->burst)
		return;
	if (ratelimit_init(&g->rate, s->rate, burst < 1 ? 1 : burst) != 0)
		ratelimit_init(&g->rate, 0, 1);
	g->rate.last = *now;
	g->rate_per_second = s->rate;
	g->burst = s->burst;
}

/* Decide what happens to a client's command before it may reach the TPM:
 * the socket's profile, then its group's rate (TPM2 Part 3 has nothing
 * to say; this is the proxy's own policy). Startup and Shutdown pass:
 * the resource manager answers them without the TPM. */
enum policy_verdict
policy_check_command(const struct policy *p, const struct config_socket *s,
    struct client_group *g, const uint8_t *cmd, size_t len,
    const struct timespec *now, int64_t waited_us, int64_t *wait_us)
{
	uint32_t code = frame_get_u32(cmd + 6), why;

	if (code != TPM2_CC_Startup && code != TPM2_CC_Shutdown &&
	    !profile_allows(policy_profile(p, s), cmd, len, &why)) {
		log_info("socket \"%s\": profile %s denies command 0x%x (%s)",
		    s->name, s->profile, code, profile_verdict_name(why));
		return POLICY_DENY;
	}
	if (s->rate <= 0)
		return POLICY_ALLOW;
	policy_rate_setup(s, g, now);
	*wait_us = ratelimit_take(&g->rate, now);
	if (*wait_us == 0)
		return POLICY_ALLOW;
	if (waited_us + *wait_us > POLICY_MAX_DELAY_US)
		return POLICY_RETRY;
	return POLICY_DELAY;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* The TPM behind the proxy, reached through tpm2-tss's tctildr.
 *
 * The TPM may be lost: its TCTI fails (swtpm killed, a device error), a TPM
 * that was started answers TPM_RC_INITIALIZE (it was reset), or the
 * resource manager finds it contradicting what it holds (backend_lost).
 * Whatever was loaded in it is gone then, so the instance number goes up
 * and the resource manager drops its tables. Commands fail at once until
 * backend_ready, called before each client command, opens the TCTI again
 * and sends TPM2_Startup(CLEAR). Attempts back off from 50 ms to 1 s: a TPM
 * that stays away costs an attempt a second however busy the clients are,
 * and an idle daemon makes none. */
#include "backend.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>
#include <tss2/tss2_tpm2_types.h>

#include "frame.h"
#include "log.h"

/* Bounded backoff for TPM warnings: 1, 2, 4 ... 512 ms, about 1 s in all. */
#define BACKEND_MAX_RETRIES 10
/* Backoff between attempts to reach a lost TPM. */
#define BACKEND_REOPEN_MIN_MS 50
#define BACKEND_REOPEN_MAX_MS 1000

struct backend {
	char *conf;
	TSS2_TCTI_CONTEXT *tcti;     /* NULL while lost, between attempts */
	bool lost;                   /* commands fail until backend_ready */
	bool started;                /* answered something but INITIALIZE */
	uint64_t instance;           /* bumped each time the TPM is lost */
	unsigned attempts;           /* to reach it since it was lost */
	struct timespec lost_at;
	struct timespec next_attempt;
	struct backend_stats stats;
};

/* Milliseconds from a to b (monotonic clock). */
static long long
backend_ms(const struct timespec *a, const struct timespec *b)
{
	return (long long)(b->tv_sec - a->tv_sec) * 1000 +
	    (b->tv_nsec - a->tv_nsec) / 1000000;
}

/* Open the TCTI; the TSS2 code on failure. */
static TSS2_RC
backend_connect(struct backend *be)
{
	TSS2_RC rc;

	rc = Tss2_TctiLdr_Initialize(be->conf, &be->tcti);
	if (rc != TSS2_RC_SUCCESS)
		be->tcti = NULL;
	return rc;
}

/* Close the TCTI, if open. */
static void
backend_disconnect(struct backend *be)
{
	if (be->tcti != NULL)
		Tss2_TctiLdr_Finalize(&be->tcti);
	be->tcti = NULL;
}

/* Open the TPM named by a tctildr conf string such as device:/dev/tpm0. */
int
backend_open(const char *conf, struct backend **out)
{
	struct backend *be;
	TSS2_RC rc;

	be = calloc(1, sizeof(*be));
	if (be == NULL)
		return -ENOMEM;
	be->conf = strdup(conf);
	if (be->conf == NULL) {
		free(be);
		return -ENOMEM;
	}
	rc = backend_connect(be);
	if (rc != TSS2_RC_SUCCESS) {
		log_error("cannot open TPM backend \"%s\": %s", be->conf,
		    Tss2_RC_Decode(rc));
		backend_free(be);
		return -EIO;
	}
	be->stats.up = 1;
	*out = be;
	return 0;
}

/* The TPM is gone, with everything loaded in it: fail commands until
 * backend_ready reaches it again. why ends "the TPM backend X ..."; NULL
 * for a failed attempt to reach a TPM lost already. */
void
backend_lost(struct backend *be, const char *why)
{
	backend_disconnect(be);
	be->stats.up = 0;
	if (be->lost)
		return;
	be->lost = true;
	be->started = false;
	be->instance++;
	be->attempts = 0;
	clock_gettime(CLOCK_MONOTONIC, &be->lost_at);
	be->next_attempt = be->lost_at;
	log_error("TPM lost: backend \"%s\" %s; the objects and sessions "
	    "clients held are gone, commands fail until it is back", be->conf,
	    why != NULL ? why : "failed");
}

/* One transmit/receive round trip; -EIO if the TPM was lost. */
static int
backend_roundtrip(struct backend *be, const uint8_t *cmd, size_t cmd_len,
    uint8_t *rsp, size_t *rsp_len)
{
	char why[128];
	TSS2_RC rc;
	size_t cap = *rsp_len;
	uint32_t code;

	if (be->tcti == NULL) {
		be->stats.failures++;
		return -EIO;
	}
	be->stats.commands++;
	rc = Tss2_Tcti_Transmit(be->tcti, cmd_len, cmd);
	if (rc == TSS2_RC_SUCCESS)
		rc = Tss2_Tcti_Receive(be->tcti, &cap, rsp,
		    TSS2_TCTI_TIMEOUT_BLOCK);
	if (rc != TSS2_RC_SUCCESS) {
		snprintf(why, sizeof(why), "failed: %s", Tss2_RC_Decode(rc));
		backend_lost(be, why);
		be->stats.failures++;
		return -EIO;
	}
	if (cap < FRAME_HEADER_SIZE) {
		log_error("TPM backend returned a %zu-byte response", cap);
		be->stats.failures++;
		be->stats.up = 0;
		return -EIO;
	}
	/* TPM2 Part 3, 9.3: only a TPM that was reset (or restarted) since
	 * it last worked is without Startup again. */
	code = frame_get_u32(rsp + 6);
	if (code == TPM2_RC_INITIALIZE && be->started &&
	    frame_get_u32(cmd + 6) != TPM2_CC_Startup) {
		backend_lost(be, "answers TPM_RC_INITIALIZE: it was reset");
		be->stats.failures++;
		return -EIO;
	}
	if (code != TPM2_RC_INITIALIZE)
		be->started = true;
	*rsp_len = cap;
	be->stats.up = 1;
	return 0;
}

/* Whether rc is a warning after which the same command may be resent
 * (TPM2 Part 2, 6.6.3: RETRY, YIELDED and TESTING). */
static int
backend_should_retry(uint32_t rc)
{
	return rc == TPM2_RC_RETRY || rc == TPM2_RC_YIELDED ||
	    rc == TPM2_RC_TESTING;
}

/* Send a command and receive its response, resending on TPM warnings.
 * rsp_len is the buffer size on entry and the response size on return.
 * -EIO at once while the TPM is lost: within a client command nothing may
 * reach a TPM that came back, whose state the command does not expect. */
int
backend_transact(struct backend *be, const uint8_t *cmd, size_t cmd_len,
    uint8_t *rsp, size_t *rsp_len)
{
	size_t cap = *rsp_len;
	int r;

	if (be->lost) {
		be->stats.failures++;
		return -EIO;
	}
	for (int attempt = 0;; attempt++) {
		struct timespec delay;

		*rsp_len = cap;
		r = backend_roundtrip(be, cmd, cmd_len, rsp, rsp_len);
		if (r != 0)
			return r;
		if (!backend_should_retry(frame_get_u32(rsp + 6)) ||
		    attempt == BACKEND_MAX_RETRIES)
			return 0;
		be->stats.retries++;
		delay.tv_sec = 0;
		delay.tv_nsec = (1L << attempt) * 1000000L;
		nanosleep(&delay, NULL);
	}
}

/* TPM2_Startup(CLEAR) on a reopened TPM (TPM2 Part 3, 9.3): a TPM that
 * was restarted needs it before anything works; one that runs answers
 * TPM_RC_INITIALIZE and is not disturbed. Returns its response code, or 0
 * with -EIO in *r when it did not answer. */
static uint32_t
backend_startup(struct backend *be, int *r)
{
	uint8_t cmd[12], rsp[64];
	size_t rsp_len = sizeof(rsp);

	frame_put_u16(cmd, FRAME_TAG_NO_SESSIONS);
	frame_put_u32(cmd + 2, sizeof(cmd));
	frame_put_u32(cmd + 6, TPM2_CC_Startup);
	frame_put_u16(cmd + 10, TPM2_SU_CLEAR);
	*r = backend_roundtrip(be, cmd, sizeof(cmd), rsp, &rsp_len);
	return *r == 0 ? frame_get_u32(rsp + 6) : 0;
}

/* Log that the TPM answers again, and how it was found. */
static void
backend_log_back(struct backend *be, const struct timespec *now, uint32_t rc)
{
	long long ms = backend_ms(&be->lost_at, now);
	char how[64];

	if (rc == TPM2_RC_SUCCESS)
		snprintf(how, sizeof(how), "sent TPM2_Startup(CLEAR)");
	else if (rc == TPM2_RC_INITIALIZE)
		snprintf(how, sizeof(how), "it was started already");
	else
		snprintf(how, sizeof(how), "TPM2_Startup answered 0x%x", rc);
	log_info("TPM back: backend \"%s\" answers again after %lld.%03lld s "
	    "and %u attempt%s (%s); clients must load their objects and "
	    "sessions again", be->conf, ms / 1000, ms % 1000, be->attempts,
	    be->attempts == 1 ? "" : "s", how);
}

/* Set when the next attempt to reach a lost TPM may be made; returns the
 * delay in milliseconds. */
static long long
backend_backoff(struct backend *be, const struct timespec *now)
{
	long long delay = BACKEND_REOPEN_MAX_MS;

	if (be->attempts <= 5)
		delay = BACKEND_REOPEN_MIN_MS << (be->attempts - 1);
	if (delay > BACKEND_REOPEN_MAX_MS)
		delay = BACKEND_REOPEN_MAX_MS;
	be->next_attempt = *now;
	be->next_attempt.tv_sec += delay / 1000;
	be->next_attempt.tv_nsec += (delay % 1000) * 1000000L;
	if (be->next_attempt.tv_nsec >= 1000000000L) {
		be->next_attempt.tv_sec++;
		be->next_attempt.tv_nsec -= 1000000000L;
	}
	return delay;
}

/* Before a client command: 0 when the TPM is there, reaching a lost one
 * again if its backoff allows; -EIO otherwise. */
int
backend_ready(struct backend *be)
{
	struct timespec now;
	long long delay;
	uint32_t rc = 0;
	TSS2_RC trc;
	int r = -EIO;

	if (!be->lost)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (backend_ms(&now, &be->next_attempt) > 0) {
		be->stats.failures++;
		return -EIO;
	}
	be->attempts++;
	trc = backend_connect(be);
	if (trc == TSS2_RC_SUCCESS)
		rc = backend_startup(be, &r);
	if (r == 0) {
		be->lost = false;
		be->started = true;
		be->stats.up = 1;
		be->stats.reopens++;
		backend_log_back(be, &now, rc);
		return 0;
	}
	backend_lost(be, NULL);
	delay = backend_backoff(be, &now);
	be->stats.failures++;
	log_warnx("TPM still unreachable: backend \"%s\" %s (attempt %u; next "
	    "in %lld ms)", be->conf, trc != TSS2_RC_SUCCESS ?
	    Tss2_RC_Decode(trc) : "did not answer TPM2_Startup", be->attempts,
	    delay);
	return -EIO;
}

/* Which TPM this is: a new number each time the TPM was lost, so that the
 * resource manager knows its tables name nothing in it any more. */
uint64_t
backend_instance(const struct backend *be)
{
	return be->instance;
}

/* Counters for status and metrics. */
const struct backend_stats *
backend_stats(const struct backend *be)
{
	return &be->stats;
}

/* Close the TCTI and free the backend. */
void
backend_free(struct backend *be)
{
	if (be == NULL)
		return;
	backend_disconnect(be);
	free(be->conf);
	free(be);
}

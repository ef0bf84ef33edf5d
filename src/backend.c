/* SPDX-License-Identifier: BSD-2-Clause */
/* The TPM behind the proxy, reached through tpm2-tss's tctildr. */
#include "backend.h"

#include <errno.h>
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

struct backend {
	char *conf;
	TSS2_TCTI_CONTEXT *tcti;   /* NULL after an I/O failure until reopened */
	struct backend_stats stats;
};

/* Open (or reopen) the TCTI; -EIO with the reason logged on failure. */
static int
backend_connect(struct backend *be)
{
	TSS2_RC rc;

	rc = Tss2_TctiLdr_Initialize(be->conf, &be->tcti);
	if (rc != TSS2_RC_SUCCESS) {
		be->tcti = NULL;
		log_error("cannot open TPM backend \"%s\": %s", be->conf,
		    Tss2_RC_Decode(rc));
		return -EIO;
	}
	return 0;
}

/* Open the TPM named by a tctildr conf string such as device:/dev/tpm0. */
int
backend_open(const char *conf, struct backend **out)
{
	struct backend *be;
	int r;

	be = calloc(1, sizeof(*be));
	if (be == NULL)
		return -ENOMEM;
	be->conf = strdup(conf);
	if (be->conf == NULL) {
		free(be);
		return -ENOMEM;
	}
	r = backend_connect(be);
	if (r != 0) {
		backend_free(be);
		return r;
	}
	be->stats.up = 1;
	*out = be;
	return 0;
}

/* Drop a TCTI that failed, so that the next command reopens it. */
static void
backend_disconnect(struct backend *be)
{
	if (be->tcti != NULL)
		Tss2_TctiLdr_Finalize(&be->tcti);
	be->tcti = NULL;
}

/* One transmit/receive round trip; -EIO if the TCTI failed. */
static int
backend_roundtrip(struct backend *be, const uint8_t *cmd, size_t cmd_len,
    uint8_t *rsp, size_t *rsp_len)
{
	TSS2_RC rc;
	size_t cap = *rsp_len;

	if (be->tcti == NULL) {
		if (backend_connect(be) != 0) {
			be->stats.failures++;
			be->stats.up = 0;
			return -EIO;
		}
		be->stats.reopens++;
		log_info("reopened TPM backend \"%s\"", be->conf);
	}
	be->stats.commands++;
	rc = Tss2_Tcti_Transmit(be->tcti, cmd_len, cmd);
	if (rc == TSS2_RC_SUCCESS)
		rc = Tss2_Tcti_Receive(be->tcti, &cap, rsp,
		    TSS2_TCTI_TIMEOUT_BLOCK);
	if (rc != TSS2_RC_SUCCESS) {
		log_error("TPM backend \"%s\" failed: %s", be->conf,
		    Tss2_RC_Decode(rc));
		backend_disconnect(be);
		be->stats.failures++;
		be->stats.up = 0;
		return -EIO;
	}
	if (cap < FRAME_HEADER_SIZE) {
		log_error("TPM backend returned a %zu-byte response", cap);
		be->stats.failures++;
		be->stats.up = 0;
		return -EIO;
	}
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
 * rsp_len is the buffer size on entry and the response size on return. */
int
backend_transact(struct backend *be, const uint8_t *cmd, size_t cmd_len,
    uint8_t *rsp, size_t *rsp_len)
{
	size_t cap = *rsp_len;
	int r;

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

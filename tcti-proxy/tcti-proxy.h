/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal context and state machine of the proxy TCTI, for its unit test. */
#ifndef TCTI_PROXY_H
#define TCTI_PROXY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#include <tss2/tss2_tcti.h>

#include "tss2_tcti_proxy.h"

/* "tpmprxy1": tells our context from any other TCTI's (BAD_CONTEXT). */
#define TCTI_PROXY_MAGIC 0x74706d7072787931ULL
/* The TCTI ABI we implement: TSS2_TCTI_CONTEXT_COMMON_V2. */
#define TCTI_PROXY_VERSION 2
/* tag (2) + size (4) + code (4): TPM 2.0 Part 1, section 18. */
#define TCTI_PROXY_HEADER_SIZE 10
/*
 * Far above any TPM's TPM_PT_MAX_RESPONSE_SIZE (4096 on every TPM we know
 * of); a larger size field means the stream is out of step, not a response.
 */
#define TCTI_PROXY_RESPONSE_MAX 65536

/*
 * State machine (the same sequence rules as tpm2-tss's tcti-device):
 *
 *   Init ── connect ──► TRANSMIT ── transmit() ──► RECEIVE
 *                          ▲                          │
 *                          └──── receive() done ──────┘
 *
 * - TRANSMIT: only transmit() is allowed; receive() is BAD_SEQUENCE.
 * - RECEIVE: only receive() is allowed; transmit() is BAD_SEQUENCE.
 *   receive() stays in RECEIVE, keeping every byte read so far, when it
 *   returns TRY_AGAIN (timeout), INSUFFICIENT_BUFFER (*size is set to the
 *   response size), or answers a size query (response_buffer == NULL).
 * - A broken connection (I/O error, the peer closing, a malformed size
 *   field) leaves the byte stream out of step: the socket is closed, the
 *   partial response dropped, and the state goes back to TRANSMIT with
 *   fd == -1. The next transmit() connects again (IO_ERROR if it cannot),
 *   so a long-lived client survives a daemon restart; handles it held on
 *   the old connection are gone and the TPM says so. A connection found
 *   closed by the first byte of a transmit() is replaced the same way, and
 *   the command sent once more, since none of it reached the daemon.
 * - finalize() from any state closes the socket and enters FINAL, where
 *   every call but finalize() is BAD_SEQUENCE.
 */
enum tcti_proxy_state {
	TCTI_PROXY_STATE_TRANSMIT,
	TCTI_PROXY_STATE_RECEIVE,
	TCTI_PROXY_STATE_FINAL,
};

/* One connection to the daemon; the common TCTI context must come first. */
struct tcti_proxy_context {
	TSS2_TCTI_CONTEXT_COMMON_V2 common;
	enum tcti_proxy_state state;
	int fd;			/* -1 while disconnected */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint8_t header[TCTI_PROXY_HEADER_SIZE];	/* as it arrives */
	uint8_t *response;	/* the whole response, once its size is known */
	uint32_t response_size;	/* the header's size field, 0 before */
	size_t received;	/* response bytes read so far */
};

/* The TCTI entry points, reached through the common context's pointers. */
TSS2_RC	tcti_proxy_transmit(TSS2_TCTI_CONTEXT *, size_t, const uint8_t *);
TSS2_RC	tcti_proxy_receive(TSS2_TCTI_CONTEXT *, size_t *, uint8_t *, int32_t);
void	tcti_proxy_finalize(TSS2_TCTI_CONTEXT *);
TSS2_RC	tcti_proxy_cancel(TSS2_TCTI_CONTEXT *);
TSS2_RC	tcti_proxy_get_poll_handles(TSS2_TCTI_CONTEXT *,
	    TSS2_TCTI_POLL_HANDLE *, size_t *);
TSS2_RC	tcti_proxy_set_locality(TSS2_TCTI_CONTEXT *, uint8_t);
TSS2_RC	tcti_proxy_make_sticky(TSS2_TCTI_CONTEXT *, TPM2_HANDLE *, uint8_t);
/* Exported: what tctildr reads to name and initialise this TCTI. */
const TSS2_TCTI_INFO *Tss2_Tcti_Info(void);

#endif /* TCTI_PROXY_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/* The TPM simulator protocol on a data socket, as tpm2-tss's tcti-mssim
 * speaks it: framing only (pure). */
#ifndef TPMPROXY_SIMFRAME_H
#define TPMPROXY_SIMFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIMFRAME_CODE_SEND 8    /* code, locality, length, command */
#define SIMFRAME_CODE_SESSION_END 20    /* the client is done: close */
#define SIMFRAME_PREFIX_SIZE 9     /* code (4), locality (1), length (4) */
#define SIMFRAME_TRAILER_SIZE 4    /* u32 0 after each response */

enum simframe_status {
	SIMFRAME_INCOMPLETE,       /* need more bytes */
	SIMFRAME_COMMAND,          /* prefix + length bytes of command ready */
	SIMFRAME_SESSION_END,      /* 4 bytes: the client ends the session */
	SIMFRAME_UNKNOWN_CODE,     /* not a data-channel command */
	SIMFRAME_BAD_LENGTH,       /* length < 10 or over the maximum */
	SIMFRAME_LENGTH_MISMATCH,  /* length differs from the command's own */
};

struct simframe {
	uint32_t code;
	uint8_t locality;
	uint32_t length;           /* of the TPM command after the prefix */
};

bool simframe_is_simulator(uint8_t first_byte);
enum simframe_status simframe_check(const uint8_t *buf, size_t avail,
    uint32_t max_size, struct simframe *out);
void simframe_response_prefix(uint8_t out[4], size_t response_len);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* The simulator control channel SOCK.ctrl: MS-simulator platform and swtpm
 * control commands, answered from memory without touching the TPM (pure). */
#ifndef TPMPROXY_SIMCTRL_H
#define TPMPROXY_SIMCTRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest answer: swtpm's 8-byte GET_CAPABILITY and GET_TPMESTABLISHED. */
#define SIMCTRL_ANSWER_MAX 8

/* Largest swtpm HASH_DATA payload taken, as swtpm's own ptm_hdata buffer. */
#define SIMCTRL_HASH_DATA_MAX 4096

/* The most input one command needs (code, length, HASH_DATA payload): with
 * this many bytes buffered simctrl_step() never asks for more, so a caller
 * may cap its input buffer here. */
#define SIMCTRL_INPUT_MAX (4 + 4 + SIMCTRL_HASH_DATA_MAX)

/* Room for the reason of a refusal ("locality 255 refused"). */
#define SIMCTRL_WHY_MAX 48

enum simctrl_dialect { SIMCTRL_UNKNOWN, SIMCTRL_MSSIM, SIMCTRL_SWTPM };

/* Per .ctrl connection; zero-initialised. */
struct simctrl {
	enum simctrl_dialect dialect;
};

enum simctrl_result {
	SIMCTRL_NEED_MORE,  /* not a whole command yet: read more (nothing
	                     * consumed) */
	SIMCTRL_ANSWER,     /* write answer[0..answer_len), drop `consumed`
	                     * input bytes, go on */
	SIMCTRL_CLOSE,      /* write answer (if answer_len > 0), then close
	                     * the connection */
};

/*
 * What one step decided. Write each answer with a single write: tcti-swtpm
 * reads its answer with one read() and takes whatever arrived.
 */
struct simctrl_step {
	size_t consumed;
	uint8_t answer[SIMCTRL_ANSWER_MAX];
	size_t answer_len;
	/* The command code read (0 if none). */
	uint32_t code;
	/* Short name for the log and audit, e.g. "power-off", "set-locality",
	 * "unknown"; never NULL ("" before a code was read). */
	const char *name;
	/* The command was refused (error answer or close): the caller logs
	 * and audits it. */
	bool refused;
	/* With refused: one short reason for the log, e.g. "locality 3
	 * refused"; may point into why_buf, so use it before the next step. */
	const char *why;
	char why_buf[SIMCTRL_WHY_MAX];
};

enum simctrl_result simctrl_step(struct simctrl *st, const uint8_t *in,
    size_t len, struct simctrl_step *out);
const char *simctrl_dialect_name(enum simctrl_dialect dialect);

#endif

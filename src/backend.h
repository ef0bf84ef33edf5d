/* SPDX-License-Identifier: BSD-2-Clause */
/* The TPM behind the proxy, reached through tpm2-tss's tctildr. */
#ifndef TPMPROXY_BACKEND_H
#define TPMPROXY_BACKEND_H

#include <stddef.h>
#include <stdint.h>

struct backend;

struct backend_stats {
	uint64_t commands;   /* commands sent to the TPM, retries included */
	uint64_t retries;    /* resends after RETRY/YIELDED/TESTING */
	uint64_t reopens;    /* TCTI reopened after the TPM was lost */
	uint64_t failures;   /* round trips that failed */
	int up;              /* the last round trip worked */
};

int backend_open(const char *conf, struct backend **out);
int backend_transact(struct backend *be, const uint8_t *cmd, size_t cmd_len,
    uint8_t *rsp, size_t *rsp_len);
int backend_ready(struct backend *be);
uint64_t backend_instance(const struct backend *be);
void backend_lost(struct backend *be, const char *why);
const struct backend_stats *backend_stats(const struct backend *be);
void backend_free(struct backend *be);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* Resource manager: runs client commands on the TPM thread and tracks what
 * each owner left loaded, so that it can be flushed when the owner goes. */
#ifndef TPMPROXY_RESMGR_H
#define TPMPROXY_RESMGR_H

#include <stddef.h>
#include <stdint.h>

struct backend;
struct cmdattrs;
struct resmgr;

struct resmgr_stats {
	uint64_t commands;      /* client commands executed */
	uint64_t flushed;       /* handles flushed for owners that left */
	uint64_t answered;      /* commands answered without the TPM */
};

int resmgr_new(struct backend *be, const struct cmdattrs *attrs,
    struct resmgr **out);
size_t resmgr_execute(struct resmgr *rm, uint64_t owner, const uint8_t *cmd,
    size_t cmd_len, uint8_t *rsp, size_t rsp_cap);
void resmgr_owner_gone(struct resmgr *rm, uint64_t owner);
size_t resmgr_owner_handles(const struct resmgr *rm, uint64_t owner);
const struct resmgr_stats *resmgr_stats(const struct resmgr *rm);
void resmgr_free(struct resmgr *rm);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* Command attribute table read from the TPM (TPM_CAP_COMMANDS). */
#ifndef TPMPROXY_CMDATTRS_H
#define TPMPROXY_CMDATTRS_H

#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_tpm2_types.h>

struct backend;
struct cmdattrs;

int cmdattrs_load(struct backend *be, struct cmdattrs **out);
int cmdattrs_from_list(const TPMA_CC *list, size_t count, struct cmdattrs **out);
int cmdattrs_lookup(const struct cmdattrs *ca, uint32_t code, TPMA_CC *attrs);
size_t cmdattrs_count(const struct cmdattrs *ca);
unsigned cmdattrs_handles(TPMA_CC attrs);
int cmdattrs_has_rhandle(TPMA_CC attrs);
int cmdattrs_flushes(TPMA_CC attrs);
void cmdattrs_free(struct cmdattrs *ca);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* Names of TPM 2.0 command codes as tpm2-tss spells them (TPM2_CC_Sign). */
#ifndef TPMPROXY_CCNAMES_H
#define TPMPROXY_CCNAMES_H

#include <stddef.h>
#include <stdint.h>

const char *ccnames_name(uint32_t code);
int ccnames_lookup(const char *name, uint32_t *code);
size_t ccnames_all(uint32_t *codes, size_t max);

#endif

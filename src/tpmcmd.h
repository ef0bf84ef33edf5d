/* SPDX-License-Identifier: BSD-2-Clause */
/* The few TPM commands the proxy sends on its own behalf. */
#ifndef TPMPROXY_TPMCMD_H
#define TPMPROXY_TPMCMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_tpm2_types.h>

struct backend;

/* Each returns the TPM response code, or a TSS2_RESMGR_RC_LAYER code when
 * the backend failed or the response could not be parsed. */
uint32_t tpmcmd_startup(struct backend *be, uint16_t startup_type);
uint32_t tpmcmd_flush_context(struct backend *be, uint32_t handle);
uint32_t tpmcmd_get_capability(struct backend *be, uint32_t capability,
    uint32_t property, uint32_t count, bool *more, TPMS_CAPABILITY_DATA *data);
uint32_t tpmcmd_get_property(struct backend *be, uint32_t property,
    uint32_t *value);
uint32_t tpmcmd_context_save(struct backend *be, uint32_t handle,
    uint8_t *context, size_t *context_len);
uint32_t tpmcmd_context_load(struct backend *be, const uint8_t *context,
    size_t context_len, uint32_t *handle);

#endif

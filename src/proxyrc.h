/* SPDX-License-Identifier: BSD-2-Clause */
/* Response codes the proxy raises itself, in the resource-manager layer. */
#ifndef TPMPROXY_PROXYRC_H
#define TPMPROXY_PROXYRC_H

#include <tss2/tss2_common.h>
#include <tss2/tss2_tpm2_types.h>

/* TPM-format codes in TSS2_RESMGR_RC_LAYER, as the kernel's resource manager
 * does: tpm2-tss decodes that layer as TPM codes ("rmt:error(2.0): ..."),
 * so clients see a readable reason and can tell it came from the proxy. */
#define PROXY_RC(tpm_rc) ((uint32_t)(TSS2_RESMGR_RC_LAYER | (tpm_rc)))
#define PROXY_RC_IO_ERROR PROXY_RC(TPM2_RC_FAILURE)
#define PROXY_RC_MALFORMED PROXY_RC(TPM2_RC_COMMAND_SIZE)
#define PROXY_RC_MEMORY PROXY_RC(TPM2_RC_MEMORY)

#endif

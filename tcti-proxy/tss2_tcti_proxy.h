/* SPDX-License-Identifier: BSD-2-Clause */
/* Public interface of libtss2-tcti-proxy, the TCTI that reaches tpmproxyd. */
#ifndef TSS2_TCTI_PROXY_H
#define TSS2_TCTI_PROXY_H

#include <stddef.h>

#include <tss2/tss2_tcti.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The socket used when the configuration string is NULL or empty. */
#define TSS2_TCTI_PROXY_DEFAULT_PATH "/run/tpmproxy/tpm.sock"

/*
 * Initialises a proxy TCTI context and connects it to the daemon.
 * Called with tctiContext == NULL it stores the context size in *size.
 * conf is a socket path, "path=PATH", or NULL/"" for the default path.
 */
TSS2_RC Tss2_Tcti_Proxy_Init(TSS2_TCTI_CONTEXT *tctiContext, size_t *size,
    const char *conf);

#ifdef __cplusplus
}
#endif

#endif /* TSS2_TCTI_PROXY_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/* The few TPM commands the proxy sends on its own behalf. */
#include "tpmcmd.h"

#include <string.h>

#include <tss2/tss2_mu.h>

#include "backend.h"
#include "frame.h"
#include "proxyrc.h"

#define TPMCMD_MAX 64
#define TPMCMD_RSP_MAX 4096
/* sequence (8), savedHandle (4), hierarchy (4), contextBlob size (2) */
#define TPMCMD_CONTEXT_MIN 18

/* Fill in the header of a no-session command of len bytes. */
static void
tpmcmd_header(uint8_t *cmd, size_t len, uint32_t code)
{
	frame_put_u16(cmd, FRAME_TAG_NO_SESSIONS);
	frame_put_u32(cmd + 2, (uint32_t)len);
	frame_put_u32(cmd + 6, code);
}

/* Send cmd and return the response code; the response stays in rsp. */
static uint32_t
tpmcmd_run(struct backend *be, const uint8_t *cmd, size_t len, uint8_t *rsp,
    size_t *rsp_len)
{
	if (backend_transact(be, cmd, len, rsp, rsp_len) != 0)
		return PROXY_RC_IO_ERROR;
	return frame_get_u32(rsp + 6);
}

/* TPM2_Startup (TPM2 Part 3, 9.3), sent when the TPM reports INITIALIZE. */
uint32_t
tpmcmd_startup(struct backend *be, uint16_t startup_type)
{
	uint8_t cmd[12], rsp[TPMCMD_MAX];
	size_t rsp_len = sizeof(rsp);

	tpmcmd_header(cmd, sizeof(cmd), TPM2_CC_Startup);
	frame_put_u16(cmd + 10, startup_type);
	return tpmcmd_run(be, cmd, sizeof(cmd), rsp, &rsp_len);
}

/* TPM2_FlushContext (TPM2 Part 3, 28.4): the handle is a parameter. */
uint32_t
tpmcmd_flush_context(struct backend *be, uint32_t handle)
{
	uint8_t cmd[14], rsp[TPMCMD_MAX];
	size_t rsp_len = sizeof(rsp);

	tpmcmd_header(cmd, sizeof(cmd), TPM2_CC_FlushContext);
	frame_put_u32(cmd + 10, handle);
	return tpmcmd_run(be, cmd, sizeof(cmd), rsp, &rsp_len);
}

/* TPM2_GetCapability (TPM2 Part 3, 30.2), unmarshalled into data. */
uint32_t
tpmcmd_get_capability(struct backend *be, uint32_t capability,
    uint32_t property, uint32_t count, bool *more, TPMS_CAPABILITY_DATA *data)
{
	uint8_t cmd[22], rsp[TPMCMD_RSP_MAX];
	size_t rsp_len = sizeof(rsp), off = FRAME_HEADER_SIZE;
	TPMI_YES_NO more_data;
	uint32_t rc;

	tpmcmd_header(cmd, sizeof(cmd), TPM2_CC_GetCapability);
	frame_put_u32(cmd + 10, capability);
	frame_put_u32(cmd + 14, property);
	frame_put_u32(cmd + 18, count);
	rc = tpmcmd_run(be, cmd, sizeof(cmd), rsp, &rsp_len);
	if (rc != TPM2_RC_SUCCESS)
		return rc;
	memset(data, 0, sizeof(*data));
	if (Tss2_MU_BYTE_Unmarshal(rsp, rsp_len, &off, &more_data) !=
	        TSS2_RC_SUCCESS ||
	    Tss2_MU_TPMS_CAPABILITY_DATA_Unmarshal(rsp, rsp_len, &off, data) !=
	        TSS2_RC_SUCCESS)
		return PROXY_RC_MALFORMED;
	*more = more_data != 0;
	return TPM2_RC_SUCCESS;
}

/* Read one TPM property (TPM_CAP_TPM_PROPERTIES). */
uint32_t
tpmcmd_get_property(struct backend *be, uint32_t property, uint32_t *value)
{
	TPMS_CAPABILITY_DATA data;
	bool more;
	uint32_t rc;

	rc = tpmcmd_get_capability(be, TPM2_CAP_TPM_PROPERTIES, property, 1,
	    &more, &data);
	if (rc != TPM2_RC_SUCCESS)
		return rc;
	if (data.capability != TPM2_CAP_TPM_PROPERTIES ||
	    data.data.tpmProperties.count < 1 ||
	    data.data.tpmProperties.tpmProperty[0].property != property)
		return PROXY_RC_MALFORMED;
	*value = data.data.tpmProperties.tpmProperty[0].value;
	return TPM2_RC_SUCCESS;
}

/* TPM2_ContextSave (TPM2 Part 3, 28.2): context receives the marshalled
 * TPMS_CONTEXT; context_len is its capacity on entry. */
uint32_t
tpmcmd_context_save(struct backend *be, uint32_t handle, uint8_t *context,
    size_t *context_len)
{
	uint8_t cmd[14], rsp[TPMCMD_RSP_MAX];
	size_t rsp_len = sizeof(rsp), n;
	uint32_t rc;

	tpmcmd_header(cmd, sizeof(cmd), TPM2_CC_ContextSave);
	frame_put_u32(cmd + 10, handle);
	rc = tpmcmd_run(be, cmd, sizeof(cmd), rsp, &rsp_len);
	if (rc != TPM2_RC_SUCCESS)
		return rc;
	n = rsp_len - FRAME_HEADER_SIZE;
	if (n > *context_len || n < TPMCMD_CONTEXT_MIN)
		return PROXY_RC_MALFORMED;
	memcpy(context, rsp + FRAME_HEADER_SIZE, n);
	*context_len = n;
	return TPM2_RC_SUCCESS;
}

/* TPM2_ContextLoad (TPM2 Part 3, 28.3) of a marshalled TPMS_CONTEXT. */
uint32_t
tpmcmd_context_load(struct backend *be, const uint8_t *context,
    size_t context_len, uint32_t *handle)
{
	uint8_t cmd[TPMCMD_RSP_MAX], rsp[TPMCMD_MAX];
	size_t rsp_len = sizeof(rsp), len = FRAME_HEADER_SIZE + context_len;
	uint32_t rc;

	if (len > sizeof(cmd))
		return PROXY_RC_MALFORMED;
	tpmcmd_header(cmd, len, TPM2_CC_ContextLoad);
	memcpy(cmd + FRAME_HEADER_SIZE, context, context_len);
	rc = tpmcmd_run(be, cmd, len, rsp, &rsp_len);
	if (rc != TPM2_RC_SUCCESS)
		return rc;
	if (rsp_len < FRAME_HEADER_SIZE + 4)
		return PROXY_RC_MALFORMED;
	*handle = frame_get_u32(rsp + FRAME_HEADER_SIZE);
	return TPM2_RC_SUCCESS;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Load generator: what one client does in each workload (set-up, one
 * operation, teardown), through a TCTI or as a raw socket client. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "loadgen.h"

/* TPM2_GetRandom(16), no sessions (Part 3, 16.1). */
static const uint8_t lg_getrandom_cmd[] = {
	0x80, 0x01, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x01, 0x7b,
	0x00, 0x10,
};

static uint8_t *
lg_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *
lg_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

/* The bytes a raw client sends for TPM2_Sign (Part 3, 20.2) of a digest of
 * 32 `fill` bytes with key, authorized by the empty password (Part 1,
 * 19.8.4): the key's own scheme, a NULL hash-check ticket. */
static size_t
lg_sign_command(uint8_t *buf, uint32_t key, uint8_t fill)
{
	uint8_t *p = buf;

	p = lg_put_u16(p, TPM2_ST_SESSIONS);
	p = lg_put_u32(p, 0);			/* size, below */
	p = lg_put_u32(p, TPM2_CC_Sign);
	p = lg_put_u32(p, key);
	p = lg_put_u32(p, 9);			/* authorization size */
	p = lg_put_u32(p, TPM2_RH_PW);
	p = lg_put_u16(p, 0);			/* nonce */
	*p++ = 0;				/* session attributes */
	p = lg_put_u16(p, 0);			/* hmac: the empty password */
	p = lg_put_u16(p, 32);
	memset(p, fill, 32);
	p += 32;
	p = lg_put_u16(p, TPM2_ALG_NULL);	/* inScheme */
	p = lg_put_u16(p, TPM2_ST_HASHCHECK);
	p = lg_put_u32(p, TPM2_RH_NULL);
	p = lg_put_u16(p, 0);
	lg_put_u32(buf + 2, (uint32_t)(p - buf));
	return (size_t)(p - buf);
}

/* Create a primary ECC P-256 ECDSA-SHA256 signing key (owner hierarchy). */
static TSS2_RC
lg_create_key(ESYS_CONTEXT *esys, ESYS_TR *key)
{
	TPM2B_SENSITIVE_CREATE sensitive = { 0 };
	TPM2B_PUBLIC pub = {
		.publicArea = {
			.type = TPM2_ALG_ECC,
			.nameAlg = TPM2_ALG_SHA256,
			.objectAttributes = TPMA_OBJECT_SIGN_ENCRYPT |
			    TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			    TPMA_OBJECT_SENSITIVEDATAORIGIN |
			    TPMA_OBJECT_USERWITHAUTH,
			.parameters.eccDetail = {
				.symmetric.algorithm = TPM2_ALG_NULL,
				.scheme = {
					.scheme = TPM2_ALG_ECDSA,
					.details.ecdsa.hashAlg = TPM2_ALG_SHA256,
				},
				.curveID = TPM2_ECC_NIST_P256,
				.kdf.scheme = TPM2_ALG_NULL,
			},
		},
	};
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	TPM2B_PUBLIC *out_pub = NULL;
	TPM2B_CREATION_DATA *cdata = NULL;
	TPM2B_DIGEST *chash = NULL;
	TPMT_TK_CREATION *ticket = NULL;
	TSS2_RC rc;

	rc = Esys_CreatePrimary(esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD,
	    ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &pub, &outside, &pcrs,
	    key, &out_pub, &cdata, &chash, &ticket);
	Esys_Free(out_pub);
	Esys_Free(cdata);
	Esys_Free(chash);
	Esys_Free(ticket);
	return rc;
}

/* An unbound, unsalted HMAC session (Part 1, 19.6) kept across commands. */
static TSS2_RC
lg_start_hmac_session(ESYS_CONTEXT *esys, ESYS_TR *session)
{
	TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_NULL };
	TSS2_RC rc;

	rc = Esys_StartAuthSession(esys, ESYS_TR_NONE, ESYS_TR_NONE,
	    ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL, TPM2_SE_HMAC, &sym,
	    TPM2_ALG_SHA256, session);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_TRSess_SetAttributes(esys, *session,
		    TPMA_SESSION_CONTINUESESSION, 0xff);
	return rc;
}

/* Open the client's connection: through tctildr, or a raw socket (with a
 * TCTI over it for ESAPI's set-up work). Every command it sends counts. */
static TSS2_RC
lg_open(struct lg_client *c)
{
	TSS2_TCTI_CONTEXT *child;
	TSS2_RC rc;
	int fd;

	if (c->o->socket != NULL) {
		fd = lg_sock_connect(c->o->socket);
		if (fd < 0)
			return TSS2_TCTI_RC_IO_ERROR;
		lg_sock_tcti_init(&c->sock, fd);
		child = (TSS2_TCTI_CONTEXT *)(void *)&c->sock;
	} else {
		rc = Tss2_TctiLdr_Initialize(c->o->tcti, &c->tcti);
		if (rc != TSS2_RC_SUCCESS) {
			c->tcti = NULL;
			return rc;
		}
		child = c->tcti;
	}
	lg_count_tcti_init(&c->count, child, &c->sent);
	return TSS2_RC_SUCCESS;
}

/* Close what lg_open and the set-up opened. */
static void
lg_close(struct lg_client *c)
{
	if (c->esys != NULL)
		Esys_Finalize(&c->esys);
	if (c->tcti != NULL)
		Tss2_TctiLdr_Finalize(&c->tcti);
	if (c->o->socket != NULL && c->sock.fd > 0) {
		close(c->sock.fd);
		c->sock.fd = -1;
	}
}

/* The response code of a raw round trip, or a TCTI error. */
static TSS2_RC
lg_raw(struct lg_client *c, const uint8_t *cmd, size_t len)
{
	uint8_t rsp[512];
	int n;

	c->sent++;
	n = lg_sock_roundtrip(c->sock.fd, cmd, len, rsp, sizeof(rsp));
	if (n < 0)
		return TSS2_TCTI_RC_IO_ERROR;
	return (TSS2_RC)rsp[6] << 24 | (TSS2_RC)rsp[7] << 16 |
	    (TSS2_RC)rsp[8] << 8 | rsp[9];
}

/* GetRandom(16) through the TCTI (no ESAPI) or on the raw socket. */
static TSS2_RC
lg_getrandom(struct lg_client *c)
{
	TSS2_TCTI_CONTEXT *t = (TSS2_TCTI_CONTEXT *)(void *)&c->count;
	uint8_t rsp[64];
	size_t size = sizeof(rsp);
	TSS2_RC rc;

	if (c->o->socket != NULL)
		return lg_raw(c, lg_getrandom_cmd, sizeof(lg_getrandom_cmd));
	rc = Tss2_Tcti_Transmit(t, sizeof(lg_getrandom_cmd), lg_getrandom_cmd);
	if (rc == TSS2_RC_SUCCESS)
		rc = Tss2_Tcti_Receive(t, &size, rsp, TSS2_TCTI_TIMEOUT_BLOCK);
	if (rc == TSS2_RC_SUCCESS && size < 10)
		rc = TSS2_TCTI_RC_MALFORMED_RESPONSE;
	if (rc == TSS2_RC_SUCCESS)
		rc = (TSS2_RC)rsp[6] << 24 | (TSS2_RC)rsp[7] << 16 |
		    (TSS2_RC)rsp[8] << 8 | rsp[9];
	return rc;
}

/* Esys_Sign of the client's digest with its key and auth session. */
static TSS2_RC
lg_esys_sign(struct lg_client *c)
{
	TPM2B_DIGEST digest = { .size = 32 };
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	TPMT_TK_HASHCHECK validation = {
		.tag = TPM2_ST_HASHCHECK,
		.hierarchy = TPM2_RH_NULL,
	};
	TPMT_SIGNATURE *sig = NULL;
	TSS2_RC rc;

	memset(digest.buffer, (int)(0x40 + c->id % 64), digest.size);
	rc = Esys_Sign(c->esys, c->key, c->session, ESYS_TR_NONE, ESYS_TR_NONE,
	    &digest, &scheme, &validation, &sig);
	Esys_Free(sig);
	return rc;
}

/* Connect, and hold what the workload needs: ESAPI, keys, a session,
 * the raw client's command bytes. */
TSS2_RC
lg_work_setup(struct lg_client *c)
{
	enum lg_workload w = c->o->workload;
	int raw = c->o->socket != NULL;
	TPM2_HANDLE handle;
	TSS2_RC rc;

	c->key = c->session = ESYS_TR_NONE;
	if (w == LG_CHURN)
		return TSS2_RC_SUCCESS;		/* each operation connects */
	rc = lg_open(c);
	if (rc != TSS2_RC_SUCCESS || w == LG_GETRANDOM)
		return rc;
	if (raw && w == LG_SIGN) {
		c->cmd_len = lg_sign_command(c->cmd, c->o->key_handle,
		    (uint8_t)(0x40 + c->id % 64));
		return TSS2_RC_SUCCESS;
	}
	rc = Esys_Initialize(&c->esys,
	    (TSS2_TCTI_CONTEXT *)(void *)&c->count, NULL);
	if (rc != TSS2_RC_SUCCESS)
		return rc;
	c->session = ESYS_TR_PASSWORD;
	if (w == LG_SIGN_OWN) {
		rc = lg_create_key(c->esys, &c->key);
		c->owns_key = rc == TSS2_RC_SUCCESS;
	} else {
		rc = Esys_TR_FromTPMPublic(c->esys, c->o->key_handle,
		    ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &c->key);
	}
	if (rc == TSS2_RC_SUCCESS && w == LG_SIGN_HMAC)
		rc = lg_start_hmac_session(c->esys, &c->session);
	if (rc == TSS2_RC_SUCCESS && raw && w == LG_SIGN_OWN) {
		/* Sign with the handle the daemon gave us, as bytes. */
		rc = Esys_TR_GetTpmHandle(c->esys, c->key, &handle);
		c->cmd_len = lg_sign_command(c->cmd, handle,
		    (uint8_t)(0x40 + c->id % 64));
	}
	return rc;
}

/* One client operation; TSS2_RC_SUCCESS or why it failed. */
TSS2_RC
lg_work_op(struct lg_client *c)
{
	TSS2_RC rc;

	switch (c->o->workload) {
	case LG_GETRANDOM:
		return lg_getrandom(c);
	case LG_CHURN:
		rc = lg_open(c);
		if (rc == TSS2_RC_SUCCESS)
			rc = lg_getrandom(c);
		lg_close(c);
		return rc;
	case LG_SIGN:
	case LG_SIGN_OWN:
		if (c->cmd_len > 0)
			return lg_raw(c, c->cmd, c->cmd_len);
		return lg_esys_sign(c);
	case LG_SIGN_HMAC:
		return lg_esys_sign(c);
	default:
		return TSS2_BASE_RC_NOT_IMPLEMENTED;
	}
}

/* Flush what the client created, then disconnect. */
void
lg_work_teardown(struct lg_client *c)
{
	if (c->esys != NULL && c->session != ESYS_TR_NONE &&
	    c->session != ESYS_TR_PASSWORD)
		Esys_FlushContext(c->esys, c->session);
	if (c->esys != NULL && c->owns_key)
		Esys_FlushContext(c->esys, c->key);
	lg_close(c);
}

/* Idle workload: open a connection and prove it with one GetRandom. */
TSS2_RC
lg_work_connect_once(const struct lg_options *o, struct lg_client *c)
{
	TSS2_RC rc;

	memset(c, 0, sizeof(*c));
	c->o = o;
	c->sock.fd = -1;
	rc = lg_open(c);
	return rc == TSS2_RC_SUCCESS ? lg_getrandom(c) : rc;
}

void
lg_work_disconnect(struct lg_client *c)
{
	lg_close(c);
}

/* Make the shared signing key persistent at o->key_handle, unless it is
 * there already (Part 3, 28.5 EvictControl). */
TSS2_RC
lg_work_provision(const struct lg_options *o)
{
	struct lg_client c = { .o = o, .sock.fd = -1 };
	ESYS_TR key = ESYS_TR_NONE, persistent = ESYS_TR_NONE;
	TSS2_RC rc;

	rc = lg_open(&c);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_Initialize(&c.esys,
		    (TSS2_TCTI_CONTEXT *)(void *)&c.count, NULL);
	if (rc != TSS2_RC_SUCCESS)
		goto out;
	if (Esys_TR_FromTPMPublic(c.esys, o->key_handle, ESYS_TR_NONE,
	    ESYS_TR_NONE, ESYS_TR_NONE, &persistent) == TSS2_RC_SUCCESS)
		goto out;
	rc = lg_create_key(c.esys, &key);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_EvictControl(c.esys, ESYS_TR_RH_OWNER, key,
		    ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
		    o->key_handle, &persistent);
	if (key != ESYS_TR_NONE)
		Esys_FlushContext(c.esys, key);
out:
	if (rc != TSS2_RC_SUCCESS)
		fprintf(stderr, "loadgen: provision: %s\n", Tss2_RC_Decode(rc));
	lg_close(&c);
	return rc;
}

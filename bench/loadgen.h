/* SPDX-License-Identifier: BSD-2-Clause */
/* Load generator for bench/run.sh: shared types of loadgen*.c. */
#ifndef LOADGEN_H
#define LOADGEN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tcti.h>

enum lg_workload {
	LG_GETRANDOM,	/* GetRandom(16), TCTI level: no ESAPI */
	LG_SIGN,	/* Esys_Sign, password, one persistent key shared by all */
	LG_SIGN_HMAC,	/* the same with the client's own HMAC session */
	LG_SIGN_OWN,	/* Esys_Sign with the client's own transient key */
	LG_CHURN,	/* connect, GetRandom(16), close */
	LG_IDLE,	/* N connections, one GetRandom each, then held */
	LG_PROVISION,	/* make the persistent key (once per TPM) */
};

struct lg_options {
	const char *tcti;	/* tctildr conf string, or NULL with socket */
	const char *socket;	/* raw client: the daemon's unix socket */
	const char *label;
	const char *pcap;	/* capture whose size is sampled, or NULL */
	const char *log;	/* a TPM's command log, sampled too, or NULL */
	enum lg_workload workload;
	unsigned clients;	/* processes; connections for LG_IDLE */
	double seconds;		/* measured phase */
	unsigned warmup;	/* operations per client before it */
	unsigned quiet_ms;	/* capture must stop growing this long */
	uint32_t key_handle;	/* the persistent signing key */
	pid_t daemon;		/* whose RSS and CPU time are sampled */
	pid_t tpm;		/* whose CPU time is sampled (swtpm) */
	int verbose;
};

/* A TCTI that counts the commands it forwards to its child. */
struct lg_count_tcti {
	TSS2_TCTI_CONTEXT_COMMON_V2 common;	/* first: cast target */
	TSS2_TCTI_CONTEXT *child;
	unsigned long *sent;
};

/* A TCTI writing raw TPM commands to a connected unix socket, the way a
 * hand-written client does; lets ESAPI set up the raw client's keys. */
struct lg_sock_tcti {
	TSS2_TCTI_CONTEXT_COMMON_V2 common;	/* first: cast target */
	int fd;
	size_t have;		/* response bytes buffered */
	uint8_t rsp[4096];
};

/* One client's connection and what it holds. */
struct lg_client {
	const struct lg_options *o;
	unsigned id;
	TSS2_TCTI_CONTEXT *tcti;	/* from tctildr, or &sock */
	struct lg_sock_tcti sock;	/* raw client: fd is the connection */
	struct lg_count_tcti count;	/* what ESAPI and ops transmit to */
	ESYS_CONTEXT *esys;
	ESYS_TR key;
	ESYS_TR session;
	int owns_key;			/* key is ours to flush */
	uint8_t cmd[128];		/* raw client: the command it repeats */
	size_t cmd_len;
	unsigned long sent;		/* client commands, all paths */
};

/* loadgen-tcti.c */
void lg_count_tcti_init(struct lg_count_tcti *t, TSS2_TCTI_CONTEXT *child,
    unsigned long *sent);
void lg_sock_tcti_init(struct lg_sock_tcti *t, int fd);
int lg_sock_connect(const char *path);
int lg_sock_roundtrip(int fd, const uint8_t *cmd, size_t len, uint8_t *rsp,
    size_t cap);
void lg_tcti_preload(const char *conf);

/* loadgen-work.c */
TSS2_RC lg_work_setup(struct lg_client *c);
TSS2_RC lg_work_op(struct lg_client *c);
void lg_work_teardown(struct lg_client *c);
TSS2_RC lg_work_provision(const struct lg_options *o);
TSS2_RC lg_work_connect_once(const struct lg_options *o,
    struct lg_client *c);
void lg_work_disconnect(struct lg_client *c);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* Sign load generator: CLIENTS forked processes, each with its own TCTI
 * connection, ESYS context and primary ECC P-256 signing key (owner
 * hierarchy), sign a digest SIGNS times each.
 *
 * Three phases, separated by barriers across all clients:
 *   setup     TCTI open, Esys_Initialize, Esys_CreatePrimary, WARMUP signs
 *   measured  SIGNS x Esys_Sign per client
 *   teardown  Esys_FlushContext, finalize
 * With -P FILE the size of a tcti-pcap capture is sampled (once it has
 * stopped growing) at both phase boundaries and printed, so count-pcap.py
 * can count the TPM commands of the measured phase alone.
 *
 * Client commands are counted where they leave the client: each client's
 * TCTI is wrapped in a counting TCTI, so an Esys_Sign that ESYS resubmits
 * after TPM_RC_RETRY counts as the two commands it sent (swtpm answers the
 * first ECDSA Sign after start-up with RETRY, hence one warm-up Sign per
 * client in the setup phase by default).
 *
 * A client whose setup fails (e.g. TPM_RC_OBJECT_MEMORY) is counted, not
 * fatal: its SIGNS signatures count as failures. Output: one line of
 * key=value pairs on stdout. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

struct signload_options {
	const char *tcti;
	const char *label;
	const char *pcap;
	unsigned clients;
	unsigned signs;
	unsigned warmup;
	unsigned quiet_ms;
	int verbose;
};

/* One client's results, in memory shared with the parent. */
struct signload_client {
	int setup_ok;
	uint32_t setup_rc;
	unsigned attempts;	/* Esys_Sign calls made */
	unsigned long cmds;	/* commands the client sent in the phase */
	unsigned ok;
	uint32_t first_rc;	/* first failing Sign's response code */
	double lat_us[];	/* per attempt; NAN when it failed */
};

/* Microseconds between two monotonic times. */
static double
signload_elapsed_us(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e6 +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e3;
}

/* qsort order for doubles. */
static int
signload_compare(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return a < b ? -1 : a > b;
}

/* A TCTI that counts the commands it forwards to its child TCTI. */
struct signload_tcti {
	TSS2_TCTI_CONTEXT_COMMON_V2 common;	/* first: cast target */
	TSS2_TCTI_CONTEXT *child;
	unsigned long transmits;
};

static struct signload_tcti *
signload_tcti_cast(TSS2_TCTI_CONTEXT *ctx)
{
	return (struct signload_tcti *)(void *)ctx;
}

static TSS2_RC
signload_tcti_transmit(TSS2_TCTI_CONTEXT *ctx, size_t size,
    const uint8_t *cmd)
{
	struct signload_tcti *t = signload_tcti_cast(ctx);

	t->transmits++;
	return Tss2_Tcti_Transmit(t->child, size, cmd);
}

static TSS2_RC
signload_tcti_receive(TSS2_TCTI_CONTEXT *ctx, size_t *size, uint8_t *rsp,
    int32_t timeout)
{
	return Tss2_Tcti_Receive(signload_tcti_cast(ctx)->child, size, rsp,
	    timeout);
}

static void
signload_tcti_finalize(TSS2_TCTI_CONTEXT *ctx)
{
	(void)ctx;	/* the child is finalized by its owner */
}

static TSS2_RC
signload_tcti_cancel(TSS2_TCTI_CONTEXT *ctx)
{
	return Tss2_Tcti_Cancel(signload_tcti_cast(ctx)->child);
}

static TSS2_RC
signload_tcti_poll(TSS2_TCTI_CONTEXT *ctx, TSS2_TCTI_POLL_HANDLE *handles,
    size_t *num)
{
	return Tss2_Tcti_GetPollHandles(signload_tcti_cast(ctx)->child, handles,
	    num);
}

static TSS2_RC
signload_tcti_locality(TSS2_TCTI_CONTEXT *ctx, uint8_t locality)
{
	return Tss2_Tcti_SetLocality(signload_tcti_cast(ctx)->child, locality);
}

static TSS2_RC
signload_tcti_sticky(TSS2_TCTI_CONTEXT *ctx, TPM2_HANDLE *handle,
    uint8_t sticky)
{
	return Tss2_Tcti_MakeSticky(signload_tcti_cast(ctx)->child, handle,
	    sticky);
}

/* Make t a counting wrapper around child. */
static void
signload_tcti_init(struct signload_tcti *t, TSS2_TCTI_CONTEXT *child)
{
	memset(t, 0, sizeof(*t));
	t->common.v1.magic = 0x7369676e6c6f6164ULL;	/* "signload" */
	t->common.v1.version = 2;
	t->common.v1.transmit = signload_tcti_transmit;
	t->common.v1.receive = signload_tcti_receive;
	t->common.v1.finalize = signload_tcti_finalize;
	t->common.v1.cancel = signload_tcti_cancel;
	t->common.v1.getPollHandles = signload_tcti_poll;
	t->common.v1.setLocality = signload_tcti_locality;
	t->common.makeSticky = signload_tcti_sticky;
	t->child = child;
}

/* Create the client's primary ECC P-256 ECDSA-SHA256 signing key. */
static TSS2_RC
signload_create_key(ESYS_CONTEXT *esys, ESYS_TR *key)
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

/* Block until the parent closes the write end of a barrier pipe. */
static void
signload_wait(int fd)
{
	char c;

	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
}

/* Tell the parent this client reached a barrier. */
static void
signload_signal(int fd, char what)
{
	while (write(fd, &what, 1) < 0 && errno == EINTR)
		;
}

/* The body of one forked client. Never returns. */
static void
signload_client_run(const struct signload_options *o, unsigned id,
    struct signload_client *c, int status_fd, int go_measure, int go_teardown)
{
	TSS2_TCTI_CONTEXT *tcti = NULL;
	struct signload_tcti counter;
	ESYS_CONTEXT *esys = NULL;
	ESYS_TR key = ESYS_TR_NONE;
	TPM2B_DIGEST digest = { .size = 32 };
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	TPMT_TK_HASHCHECK validation = {
		.tag = TPM2_ST_HASHCHECK,
		.hierarchy = TPM2_RH_NULL,
	};
	TSS2_RC rc;

	/* setup */
	memset(digest.buffer, (int)(0x40 + id), digest.size);
	rc = Tss2_TctiLdr_Initialize(o->tcti, &tcti);
	if (rc == TSS2_RC_SUCCESS) {
		signload_tcti_init(&counter, tcti);
		rc = Esys_Initialize(&esys,
		    (TSS2_TCTI_CONTEXT *)(void *)&counter, NULL);
	}
	if (rc == TSS2_RC_SUCCESS)
		rc = signload_create_key(esys, &key);
	for (unsigned i = 0; rc == TSS2_RC_SUCCESS && i < o->warmup; i++) {
		TPMT_SIGNATURE *sig = NULL;

		rc = Esys_Sign(esys, key, ESYS_TR_PASSWORD, ESYS_TR_NONE,
		    ESYS_TR_NONE, &digest, &scheme, &validation, &sig);
		Esys_Free(sig);
	}
	c->setup_ok = rc == TSS2_RC_SUCCESS;
	c->setup_rc = rc;
	if (!c->setup_ok) {
		fprintf(stderr, "signload: %s: client %u: setup failed: %s\n",
		    o->label, id, Tss2_RC_Decode(rc));
	}
	signload_signal(status_fd, 'R');
	signload_wait(go_measure);

	/* measured phase: Esys_Sign only */
	counter.transmits = 0;
	for (unsigned i = 0; c->setup_ok && i < o->signs; i++) {
		TPMT_SIGNATURE *sig = NULL;
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = Esys_Sign(esys, key, ESYS_TR_PASSWORD, ESYS_TR_NONE,
		    ESYS_TR_NONE, &digest, &scheme, &validation, &sig);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		Esys_Free(sig);
		c->attempts++;
		if (rc == TSS2_RC_SUCCESS) {
			c->lat_us[i] = signload_elapsed_us(&t0, &t1);
			c->ok++;
		} else {
			c->lat_us[i] = NAN;
			if (c->first_rc == 0)
				c->first_rc = rc;
		}
	}
	c->cmds = c->setup_ok ? counter.transmits : 0;
	if (c->ok != c->attempts) {
		fprintf(stderr, "signload: %s: client %u: %u of %u signs failed, "
		    "first: %s\n", o->label, id, c->attempts - c->ok,
		    c->attempts, Tss2_RC_Decode(c->first_rc));
	}
	signload_signal(status_fd, 'D');
	signload_wait(go_teardown);

	/* teardown */
	if (key != ESYS_TR_NONE)
		Esys_FlushContext(esys, key);
	if (esys != NULL)
		Esys_Finalize(&esys);
	if (tcti != NULL)
		Tss2_TctiLdr_Finalize(&tcti);
	_exit(0);
}

/* The capture's size once it has not grown for o->quiet_ms (at most 60 s);
 * -1 when it cannot be read. */
static long long
signload_pcap_quiet_size(const struct signload_options *o)
{
	long long last = -2;
	unsigned stable = 0;

	for (unsigned waited = 0; waited < 60000; waited += 20) {
		struct stat st;
		long long size;

		size = stat(o->pcap, &st) == 0 ? (long long)st.st_size : -1;
		if (size == last) {
			stable += 20;
			if (stable >= o->quiet_ms)
				return size;
		} else {
			stable = 0;
			last = size;
		}
		usleep(20000);
	}
	fprintf(stderr, "signload: %s kept growing for 60 s\n", o->pcap);
	return last;
}

/* Read one barrier byte from each client; a client that died counts. */
static void
signload_barrier(const struct signload_options *o, const int *status)
{
	for (unsigned i = 0; i < o->clients; i++) {
		char ch;
		ssize_t r;

		do
			r = read(status[i], &ch, 1);
		while (r < 0 && errno == EINTR);
		if (r != 1)
			fprintf(stderr, "signload: client %u died\n", i);
	}
}

static void
signload_usage(void)
{
	fprintf(stderr,
	    "usage: signload -T TCTI [-c CLIENTS] [-n SIGNS] [-w WARMUP]\n"
	    "                [-l LABEL] [-P PCAP [-q QUIET_MS]] [-v]\n"
	    "  -c  concurrent clients (forked processes), each with its own\n"
	    "      connection and primary ECC P-256 key (default 1)\n"
	    "  -n  Esys_Sign calls per client in the measured phase (200)\n"
	    "  -w  Esys_Sign calls per client in the setup phase (1)\n"
	    "  -P  sample this tcti-pcap capture's size at the start and end\n"
	    "      of the measured phase, after it stopped growing for\n"
	    "      QUIET_MS (default 500) ms; printed as pcap_start/pcap_end\n"
	    "  -v  keep tpm2-tss error logging (default TSS2_LOG=all+none)\n");
	exit(2);
}

static void
signload_parse(int argc, char **argv, struct signload_options *o)
{
	int ch;

	o->clients = 1;
	o->signs = 200;
	o->warmup = 1;
	o->quiet_ms = 500;
	while ((ch = getopt(argc, argv, "T:c:n:w:l:P:q:v")) != -1) {
		switch (ch) {
		case 'T':
			o->tcti = optarg;
			break;
		case 'c':
			o->clients = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'n':
			o->signs = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'w':
			o->warmup = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'l':
			o->label = optarg;
			break;
		case 'P':
			o->pcap = optarg;
			break;
		case 'q':
			o->quiet_ms = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'v':
			o->verbose = 1;
			break;
		default:
			signload_usage();
		}
	}
	if (o->tcti == NULL || o->clients == 0 || o->clients > 1024 ||
	    o->signs == 0 || optind != argc)
		signload_usage();
	if (o->label == NULL)
		o->label = o->tcti;
}

int
main(int argc, char **argv)
{
	struct signload_options o = { 0 };
	size_t stride;
	unsigned char *shared;
	int *status, go_measure[2], go_teardown[2];
	unsigned setup_failed = 0, attempts = 0, ok = 0, n_lat = 0;
	unsigned long long failures, cmds = 0;
	long long pcap_start = -1, pcap_end = -1;
	struct timespec t0, t1;
	double *lat, secs;

	signload_parse(argc, argv, &o);
	if (!o.verbose)
		setenv("TSS2_LOG", "all+none", 0);
	signal(SIGPIPE, SIG_IGN);
	stride = sizeof(struct signload_client) + o.signs * sizeof(double);
	stride = (stride + 15) & ~(size_t)15;
	shared = mmap(NULL, stride * o.clients, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	status = calloc(o.clients, sizeof(*status));
	lat = calloc((size_t)o.clients * o.signs, sizeof(*lat));
	if (shared == MAP_FAILED || status == NULL || lat == NULL ||
	    pipe(go_measure) != 0 || pipe(go_teardown) != 0) {
		perror("signload");
		return 1;
	}
	fflush(NULL);
	for (unsigned i = 0; i < o.clients; i++) {
		int st[2];
		pid_t pid;

		if (pipe(st) != 0 || (pid = fork()) < 0) {
			perror("signload: fork");
			return 1;
		}
		if (pid == 0) {
			close(st[0]);
			close(go_measure[1]);
			close(go_teardown[1]);
			signload_client_run(&o, i,
			    (struct signload_client *)(shared + i * stride),
			    st[1], go_measure[0], go_teardown[0]);
		}
		close(st[1]);
		status[i] = st[0];
	}
	close(go_measure[0]);
	close(go_teardown[0]);

	signload_barrier(&o, status);		/* all set up */
	if (o.pcap != NULL)
		pcap_start = signload_pcap_quiet_size(&o);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	close(go_measure[1]);
	signload_barrier(&o, status);		/* all measured */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (o.pcap != NULL)
		pcap_end = signload_pcap_quiet_size(&o);
	close(go_teardown[1]);
	while (wait(NULL) > 0 || errno == EINTR)
		;

	for (unsigned i = 0; i < o.clients; i++) {
		struct signload_client *c =
		    (struct signload_client *)(shared + i * stride);

		setup_failed += !c->setup_ok;
		attempts += c->attempts;
		cmds += c->cmds;
		ok += c->ok;
		for (unsigned j = 0; j < c->attempts; j++) {
			if (!isnan(c->lat_us[j]))
				lat[n_lat++] = c->lat_us[j];
		}
	}
	failures = (unsigned long long)o.clients * o.signs - ok;
	secs = signload_elapsed_us(&t0, &t1) / 1e6;
	qsort(lat, n_lat, sizeof(*lat), signload_compare);
	printf("%s sign clients=%u signs_per_client=%u setup_failed=%u "
	    "signs=%u client_cmds=%llu signs_ok=%u failures=%llu elapsed_s=%.3f "
	    "ops_s=%.1f p50_us=%.1f p99_us=%.1f pcap_start=%lld pcap_end=%lld\n",
	    o.label, o.clients, o.signs, setup_failed, attempts, cmds, ok,
	    failures,
	    secs, secs > 0 ? ok / secs : 0.0,
	    n_lat ? lat[n_lat / 2] : 0.0,
	    n_lat ? lat[(size_t)((n_lat - 1) * 0.99)] : 0.0,
	    pcap_start, pcap_end);
	free(lat);
	free(status);
	return 0;
}

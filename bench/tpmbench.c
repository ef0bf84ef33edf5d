/* SPDX-License-Identifier: BSD-2-Clause */
/* Load generator: times one TPM command repeated through any TCTI and
 * prints latency percentiles, for side-by-side runs of contenders. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

struct bench_options {
	const char *tcti;
	const char *label;
	unsigned iterations;
	unsigned warmup;
};

/* Microseconds between two monotonic times. */
static double
bench_elapsed_us(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e6 +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e3;
}

/* qsort order for doubles. */
static int
bench_compare(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return a < b ? -1 : a > b;
}

/* One GetRandom(16) round trip; 0 on a successful TPM response. */
static int
bench_get_random(TSS2_TCTI_CONTEXT *tcti)
{
	static const uint8_t cmd[] = {
		0x80, 0x01, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x01, 0x7b,
		0x00, 0x10,
	};
	uint8_t rsp[64];
	size_t size = sizeof(rsp);
	TSS2_RC rc;

	rc = Tss2_Tcti_Transmit(tcti, sizeof(cmd), cmd);
	if (rc == TSS2_RC_SUCCESS)
		rc = Tss2_Tcti_Receive(tcti, &size, rsp, TSS2_TCTI_TIMEOUT_BLOCK);
	if (rc != TSS2_RC_SUCCESS) {
		fprintf(stderr, "tpmbench: %s\n", Tss2_RC_Decode(rc));
		return -EIO;
	}
	if (size < 10 || rsp[6] | rsp[7] | rsp[8] | rsp[9]) {
		fprintf(stderr, "tpmbench: GetRandom failed\n");
		return -EIO;
	}
	return 0;
}

/* Parse the command line. */
static void
bench_parse(int argc, char **argv, struct bench_options *o)
{
	int ch;

	o->iterations = 1000;
	o->warmup = 50;
	while ((ch = getopt(argc, argv, "T:n:w:l:")) != -1) {
		switch (ch) {
		case 'T':
			o->tcti = optarg;
			break;
		case 'n':
			o->iterations = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'w':
			o->warmup = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'l':
			o->label = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (o->tcti != NULL && o->iterations > 0) {
		if (o->label == NULL)
			o->label = o->tcti;
		return;
	}
usage:
	fprintf(stderr, "usage: tpmbench -T TCTI [-n ITERATIONS] [-w WARMUP] "
	    "[-l LABEL]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct bench_options o = { 0 };
	TSS2_TCTI_CONTEXT *tcti = NULL;
	double *lat, sum = 0;
	TSS2_RC rc;

	bench_parse(argc, argv, &o);
	rc = Tss2_TctiLdr_Initialize(o.tcti, &tcti);
	if (rc != TSS2_RC_SUCCESS) {
		fprintf(stderr, "tpmbench: cannot open %s: %s\n", o.tcti,
		    Tss2_RC_Decode(rc));
		return 1;
	}
	lat = calloc(o.iterations, sizeof(*lat));
	if (lat == NULL)
		return 1;
	for (unsigned i = 0; i < o.warmup; i++) {
		if (bench_get_random(tcti) != 0)
			return 1;
	}
	for (unsigned i = 0; i < o.iterations; i++) {
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (bench_get_random(tcti) != 0)
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		lat[i] = bench_elapsed_us(&t0, &t1);
		sum += lat[i];
	}
	qsort(lat, o.iterations, sizeof(*lat), bench_compare);
	printf("%s getrandom n=%u mean_us=%.1f p50_us=%.1f p99_us=%.1f\n",
	    o.label, o.iterations, sum / o.iterations, lat[o.iterations / 2],
	    lat[(size_t)(o.iterations * 0.99)]);
	free(lat);
	Tss2_TctiLdr_Finalize(&tcti);
	return 0;
}

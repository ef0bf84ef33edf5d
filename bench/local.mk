# SPDX-License-Identifier: BSD-2-Clause
# Benchmarks: not part of make check; `make bench` runs them.
noinst_PROGRAMS += bench/tpmbench bench/signload bench/loadgen bench/relay
bench_tpmbench_SOURCES = bench/tpmbench.c
bench_tpmbench_CFLAGS = $(AM_CFLAGS) $(TSS2_TCTILDR_CFLAGS) $(TSS2_RC_CFLAGS)
bench_tpmbench_LDADD = $(TSS2_TCTILDR_LIBS) $(TSS2_RC_LIBS)

# Sign load generator on ESAPI.
bench_signload_SOURCES = bench/signload.c
bench_signload_CFLAGS = $(AM_CFLAGS) $(TSS2_ESYS_CFLAGS) \
	$(TSS2_TCTILDR_CFLAGS) $(TSS2_RC_CFLAGS)
bench_signload_LDADD = $(TSS2_ESYS_LIBS) $(TSS2_TCTILDR_LIBS) \
	$(TSS2_RC_LIBS) -lm

# Load generator of bench/run.sh: every workload, TCTI or raw socket.
bench_loadgen_SOURCES = bench/loadgen.c bench/loadgen.h \
	bench/loadgen-tcti.c bench/loadgen-work.c
bench_loadgen_CFLAGS = $(AM_CFLAGS) $(TSS2_ESYS_CFLAGS) \
	$(TSS2_TCTILDR_CFLAGS) $(TSS2_RC_CFLAGS)
bench_loadgen_LDADD = $(TSS2_ESYS_LIBS) $(TSS2_TCTILDR_LIBS) \
	$(TSS2_RC_LIBS)

# The floor of any proxy: one thread relaying one client's commands.
bench_relay_SOURCES = bench/relay.c
bench_relay_CFLAGS = $(AM_CFLAGS) $(TSS2_TCTILDR_CFLAGS) $(TSS2_RC_CFLAGS)
bench_relay_LDADD = $(TSS2_TCTILDR_LIBS) $(TSS2_RC_LIBS)

EXTRA_DIST += bench/run.sh bench/report.py bench/benchlib.sh \
	bench/getrandom-latency.sh bench/rm-commands.sh bench/count-pcap.py

# Every contender (direct swtpm, a minimal relay, tpmproxyd through
# tcti-proxy and through a raw socket, tpm2-abrmd) on every workload in one
# run; writes bench/RESULTS.md, .png and .raw.txt in the source tree
# (BENCH_RESULTS overrides the path). About 3.5 minutes; see bench/run.sh
# for the knobs and docs/benchmarks.md for what the figures mean.
bench: all
	top_builddir=$(abs_top_builddir) top_srcdir=$(abs_top_srcdir) \
	$(srcdir)/bench/run.sh

# The earlier, narrower pair: GetRandom latency (direct vs tpmproxyd), and
# TPM commands per Sign on a fresh swtpm per row (bench/RESULTS-rm.md).
bench-rm: all
	top_builddir=$(abs_top_builddir) top_srcdir=$(abs_top_srcdir) \
	$(srcdir)/bench/getrandom-latency.sh
	top_builddir=$(abs_top_builddir) top_srcdir=$(abs_top_srcdir) \
	$(srcdir)/bench/rm-commands.sh
.PHONY: bench bench-rm

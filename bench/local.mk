# SPDX-License-Identifier: BSD-2-Clause
# Benchmarks: not part of make check; `make bench` runs them.
noinst_PROGRAMS += bench/tpmbench bench/signload
bench_tpmbench_SOURCES = bench/tpmbench.c
bench_tpmbench_CFLAGS = $(AM_CFLAGS) $(TSS2_TCTILDR_CFLAGS) $(TSS2_RC_CFLAGS)
bench_tpmbench_LDADD = $(TSS2_TCTILDR_LIBS) $(TSS2_RC_LIBS)

# Sign load generator on ESAPI.
bench_signload_SOURCES = bench/signload.c
bench_signload_CFLAGS = $(AM_CFLAGS) $(TSS2_ESYS_CFLAGS) \
	$(TSS2_TCTILDR_CFLAGS) $(TSS2_RC_CFLAGS)
bench_signload_LDADD = $(TSS2_ESYS_LIBS) $(TSS2_TCTILDR_LIBS) \
	$(TSS2_RC_LIBS) -lm

EXTRA_DIST += bench/getrandom-latency.sh bench/rm-commands.sh \
	bench/count-pcap.py

# GetRandom latency (direct vs tpmproxyd), then TPM commands per client
# command for resource managers (tpmproxyd, tpm2-abrmd, direct swtpm);
# the latter writes bench/RESULTS-rm.md in the source tree (BENCH_RESULTS
# overrides the path).
bench: all
	top_builddir=$(abs_top_builddir) top_srcdir=$(abs_top_srcdir) \
	$(srcdir)/bench/getrandom-latency.sh
	top_builddir=$(abs_top_builddir) top_srcdir=$(abs_top_srcdir) \
	$(srcdir)/bench/rm-commands.sh
.PHONY: bench

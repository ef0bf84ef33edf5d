# SPDX-License-Identifier: BSD-2-Clause
# Benchmarks: not part of make check; `make bench` runs them.
noinst_PROGRAMS += bench/tpmbench
bench_tpmbench_SOURCES = bench/tpmbench.c
bench_tpmbench_CFLAGS = $(AM_CFLAGS) $(TSS2_TCTILDR_CFLAGS) $(TSS2_RC_CFLAGS)
bench_tpmbench_LDADD = $(TSS2_TCTILDR_LIBS) $(TSS2_RC_LIBS)
EXTRA_DIST += bench/getrandom-latency.sh

bench: all
	top_builddir=$(abs_top_builddir) top_srcdir=$(abs_top_srcdir) \
	$(srcdir)/bench/getrandom-latency.sh
.PHONY: bench

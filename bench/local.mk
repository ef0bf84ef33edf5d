# SPDX-License-Identifier: BSD-2-Clause
# Benchmarks: not part of make check; `make bench` runs them.
noinst_PROGRAMS += bench/loadgen bench/relay

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
	bench/count-pcap.py bench/vm-run.sh bench/vm-guest.sh \
	bench/vm-report.py bench/vm-count-swtpm.py docs/benchmarks-tpmrm.md

# Every contender (direct swtpm, a minimal relay, tpmproxyd through
# tcti-proxy and through a raw socket, tpm2-abrmd) on every workload in one
# run; writes bench/RESULTS.md, .png and .raw.txt in the source tree
# (BENCH_RESULTS overrides the path). About 3.5 minutes; see bench/run.sh
# for the knobs and docs/benchmarks.md for what the figures mean.
bench: all
	top_builddir=$(abs_top_builddir) top_srcdir=$(abs_top_srcdir) \
	$(srcdir)/bench/run.sh

# The kernel's /dev/tpmrm0 against tpmproxyd on /dev/tpm0 in one VM guest
# (the harness of `make check-vm`, docs/vm.md); writes bench/RESULTS-tpmrm.md
# and .raw.txt. Under QEMU's TCG only ratios within the guest mean
# anything (docs/benchmarks-tpmrm.md). About 5 minutes; not part of `make
# check`. Status 77 (no qemu, kernel, busybox, swtpm) is a skip.
bench-vm: all
	@rc=0; top_builddir=$(abs_top_builddir) top_srcdir=$(abs_top_srcdir) \
		SWTPM='$(SWTPM)' $(srcdir)/bench/vm-run.sh || rc=$$?; \
	if test $$rc -eq 77; then \
		echo "bench-vm: skipped: swtpm-ci/vm/run-vm.sh needs what the SKIP line names"; \
		exit 0; \
	fi; \
	exit $$rc

.PHONY: bench bench-vm

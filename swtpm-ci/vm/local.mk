# SPDX-License-Identifier: BSD-2-Clause
# swtpm-ci/vm: `make check-vm` boots Debian's kernel under QEMU with a swtpm vTPM and tests tpmproxyd on /dev/tpm0 (docs/vm.md).
EXTRA_DIST += swtpm-ci/vm/run-vm.sh swtpm-ci/vm/init swtpm-ci/vm/guest-test.sh \
	docs/vm.md

# Not part of `make check`: one run is minutes of emulated CPU. Status 77
# from the script (no qemu, kernel, static busybox, swtpm or tpm2-tools)
# is a skip, as in the test harness, and lets the target succeed.
check-vm: all
	@rc=0; SWTPM='$(SWTPM)' $(top_srcdir)/swtpm-ci/vm/run-vm.sh \
		'$(abs_top_builddir)' || rc=$$?; \
	if test $$rc -eq 77; then \
		echo "check-vm: skipped: $(top_srcdir)/swtpm-ci/vm/run-vm.sh needs what the SKIP line names"; \
		exit 0; \
	fi; \
	exit $$rc
.PHONY: check-vm

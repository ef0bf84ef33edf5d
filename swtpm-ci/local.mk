# SPDX-License-Identifier: BSD-2-Clause
# swtpm helpers (swtpm-start/-stop, used by the integration suite) and the demo (`make demo`).
dist_check_SCRIPTS += swtpm-ci/swtpm-start swtpm-ci/swtpm-stop
EXTRA_DIST += swtpm-ci/demo

# Run swtpm + tpmproxyd with several concurrent clients (see swtpm-ci/demo).
demo: all
	$(top_srcdir)/swtpm-ci/demo $(abs_top_builddir)
.PHONY: demo

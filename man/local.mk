# SPDX-License-Identifier: BSD-2-Clause
# Man pages, installed by make install and linted by make check.
dist_man_MANS += man/tpmproxyd.8 man/tpmproxyctl.8 man/tpmproxy.conf.5 man/tss2-tcti-proxy.7 \
	man/tpmproxy-bridge.8
EXTRA_DIST += man/lint.sh etc/tpmproxy.conf.example
TESTS += man/lint.sh

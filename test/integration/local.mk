# SPDX-License-Identifier: BSD-2-Clause
# Integration suite: real clients through tpmproxyd to swtpm; each test skips (77) without swtpm/tpm2-tools.
INTEGRATION_TESTS = \
	test/integration/tpm2-tools.sh \
	test/integration/pytss.sh \
	test/integration/raw-client.sh \
	test/integration/concurrent.sh \
	test/integration/bad-input.sh \
	test/integration/signals.sh \
	test/integration/demo.sh
TESTS += $(INTEGRATION_TESTS)
dist_check_SCRIPTS += $(INTEGRATION_TESTS) \
	test/integration/raw-client.py \
	test/integration/pytss-client.py
dist_check_DATA += test/integration/lib.sh

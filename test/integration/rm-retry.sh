#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Resource manager: TPM warnings (TPM_RC_RETRY) are retried by the proxy.
#
# Proves (raw TPM bytes, rmlib.py first-sign): the first ECDSA Sign on a
# fresh swtpm, which swtpm answers with TPM_RC_RETRY, reaches a client that
# does not retry as a success: the proxy resent it (backend.c).
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/rmlib.sh
. "$(dirname "$0")/rmlib.sh"

require_tools
rm_setup

rm_step "first ECDSA Sign after swtpm start" first-sign
stop_daemon
check_handles_baseline

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# tpm2-pytss (ESAPI over TCTILdr("proxy", SOCK)) through tpmproxyd.
#
# Proves: a Python ESAPI client works unmodified through the proxy TCTI —
# get_random, pcr_read, a policy session, an ECC primary key, hash, sign and
# verify (a tampered digest is rejected) — three times in one connection and
# once more in a second process that exits with its key still loaded, which
# the daemon must flush: afterwards swtpm holds no handles.
# shellcheck disable=SC2119 # setup and require_tools take optional arguments
set -euo pipefail
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_tools
require_pytss
setup

step "pytss client (3 iterations)" pytss_client --iterations 3 --name pytss-1
say "$(cat "$T/step.out")"
step "pytss client leaving its key loaded" pytss_client --keep-key --name pytss-2
say "$(cat "$T/step.out")"
stop_daemon
check_handles_baseline

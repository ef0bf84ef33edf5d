#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Raw TPM 2.0 bytes on the unix socket, no TSS at all (as go-tpm or socat would talk).
#
# Proves: GetRandom and GetCapability (fixed properties, command list) are
# answered with correctly framed responses (tag, size field == bytes sent,
# body consistent with the size), several commands per connection and one
# command per connection both work, and the daemon still exits cleanly.
# shellcheck disable=SC2119 # setup and require_tools take optional arguments
set -euo pipefail
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_tools
setup

step "raw GetRandom + GetCapability" raw basic
say "$(cat "$T/step.out")"
step "raw GetRandom loop" raw loop 10
say "$(cat "$T/step.out")"
stop_daemon
check_handles_baseline

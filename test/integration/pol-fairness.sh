#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Fair scheduling: a flooding group (24 connections pipelining GetRandom) delays another group's command by about one TPM command, not one per flood connection.
#
# Proves, counting commands rather than time: a relay in front of swtpm logs
# each command that reaches the TPM with a monotonic timestamp; a victim
# sends 40 ReadClock one at a time while a flood keeps 24 connections x 2
# GetRandom pipelined. For each victim command the test counts the flood
# commands that reached the TPM after the victim sent it and before the
# victim's command got there. Round-robin across groups allows about one
# (the command already in the TPM); first-come-first-served, or round-robin
# across connections only, allows about one per flood connection (24). The
# median must stay at most 8 (a third of 24), every victim command must
# succeed, and the flood must have run throughout. Done for two sockets, and
# for two pods sharing one socket (--proc-root). The victim's latency ratio
# to an idle baseline is printed, not asserted.
# After the daemon exits swtpm holds no handles.
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/pollib.sh
. "$(dirname "$0")/pollib.sh"

require_tools
pol_init --tap

cat > "$CONF" <<CONF
[daemon]
tcti = $DTCTI

[socket "flood"]
path = $T/flood.sock

[socket "victim"]
path = $T/victim.sock

[socket "shared"]
path = $T/shared.sock
CONF

pol_start --proc-root "$PROC_ROOT"
pol_step "victim under a flood" fairness
pol_stop
check_handles_baseline

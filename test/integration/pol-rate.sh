#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Rate limits: a token bucket per group (socket or pod); over-rate commands are delayed, then refused with TPM_RC_RETRY.
#
# Proves by counting (raw TPM bytes, pollib.py rate; the client's own clock
# only widens the bound, nothing asserts a duration):
#   - an unlimited socket answers 16 connections x 3 pipelined GetRandom;
#   - rate = 1/m, burst = 3: on each of two sockets, 8 commands from two
#     connections: exactly 3 succeed (plus what refilled, at most 1) and the
#     rest get 0x000B0922 at once, since they would wait ~20 s: the bucket is
#     shared by a socket's connections and separate between sockets; on one
#     socket two pods and a process outside pods (--proc-root) get 3 each;
#   - rate = 5/s, burst = 5, 16 connections x 3 pipelined: every answer is
#     success or 0x000B0922; no more succeed than burst + rate x elapsed + 2;
#     more than the burst succeed (the next ones are delayed, not refused);
#     and some are refused (16 waiting at 5/s cannot all be served within 1 s).
# After the daemon exits swtpm holds no handles.
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/pollib.sh
. "$(dirname "$0")/pollib.sh"

require_tools
pol_init

cat > "$CONF" <<CONF
[daemon]
tcti = $DTCTI

[socket "free"]
path = $T/free.sock

[socket "slow1"]
path = $T/slow1.sock
rate = 1/m
burst = 3

[socket "slow2"]
path = $T/slow2.sock
rate = 1/m
burst = 3

[socket "slowpods"]
path = $T/slowpods.sock
rate = 1/m
burst = 3

[socket "fast"]
path = $T/fast.sock
rate = 5/s
burst = 5
max-connections = 32
CONF

pol_start --proc-root "$PROC_ROOT"
pol_step "token buckets" rate
pol_stop
check_handles_baseline

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Slow clients: one that never reads its responses and one that sends a command a byte a second are timed out and closed, without holding up anyone else.
#
# Proves (raw TPM bytes, exhaustlib.py slow; waits are bounded, durations
# are reported, not asserted):
#   - noread.sock (idle-timeout 2s, partial-timeout 3s): a client pipelines
#     GetCapability (22 bytes in, hundreds out) and never reads. The daemon
#     stops taking its commands once a response cannot be written out
#     (tpmproxyctl clients shows its count of answered commands frozen,
#     below the count sent), every answered command but at most one is in
#     the client's socket (the daemon buffers no more than one response),
#     and it is closed for "response not read (partial-timeout)": daemon
#     log, audit timeout and disconnect records, gone from tpmproxyctl
#     clients;
#   - trickle.sock (same timeouts): a GetRandom sent a byte a second is
#     closed, without an answer, for the partial-read timeout (each byte
#     keeps the idle timer from firing);
#   - busy.sock: a normal client completes at least 20 GetRandom while both
#     are stuck, and still works at the end.
# The daemon exits 0 and swtpm holds no handles afterwards.
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/exhaustlib.sh
. "$(dirname "$0")/exhaustlib.sh"

require_tools
ops_require_ctl
pol_init

cat > "$CONF" <<CONF
[daemon]
tcti = $DTCTI
control-socket = $T/ctl.sock
audit-log = $T/audit.log

[socket "busy"]
path = $T/busy.sock

[socket "noread"]
path = $T/noread.sock
idle-timeout = 2s
partial-timeout = 3s

[socket "trickle"]
path = $T/trickle.sock
idle-timeout = 2s
partial-timeout = 3s
CONF

pol_start
exhaust_step "a client that never reads, one that sends a byte a second" slow
pol_stop
check_handles_baseline
say "PASS"

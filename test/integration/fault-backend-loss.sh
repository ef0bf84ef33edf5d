#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Faults: the TPM lost under a busy daemon (swtpm killed and restarted, left down, reset, restarted unseen) and back.
#
# Proves (fault-backend-loss.py; its relay in front of swtpm logs every
# command that reaches the TPM): a client A holds 5 keys (some swapped out),
# an HMAC and a policy session and a session it saved, while 4 loader
# connections loop on GetRandom and Sign. The TPM is lost four times:
# swtpm killed with SIGKILL and started again at once on the same port and
# state; killed and left down for 3 s, then started without TPM2_Startup;
# reset through its control channel (swtpm_ioctl -i); and killed and
# started again while the daemon is idle, which the TCTI cannot see. Each
# time every command gets a TPM response (an error in the resource-manager
# layer while the TPM is away, never a closed connection or a hang), the
# daemon stays up and logs one "TPM lost" and one "TPM back" line, the
# loaders succeed again, and A's old handles, sessions and saved blob get a
# clean handle error without any command reaching the TPM; no ContextLoad
# reaches the new TPM (nothing is replayed) and one TPM2_Startup does.
# While swtpm is down, the reconnect attempts logged are at most one per 10
# commands answered. After the unseen restart, the first TPM handle given
# out that A still held is taken as the TPM lost, so A's stale handles
# never reach B's new keys. The daemon then exits 0 and swtpm holds no
# transient objects or sessions.
set -euo pipefail
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"

# The helper imports pollib.py and rmlib.py: keep the tree free of __pycache__.
export PYTHONDONTWRITEBYTECODE=1
HELPER=$INTEG/fault-backend-loss.py

require_tools swtpm_ioctl

make_test_dir 60
SOCK=$T/tpm.sock
start_swtpm swtpm

# The relay in front of swtpm: logs the commands reaching the TPM, and
# kills swtpm when told (see the helper's usage).
TAP_LOG=$T/tap.log
: > "$TAP_LOG"
"$PYTHON" "$HELPER" relay --upstream "$SWTPM_TCTI" --swtpm-dir "$T/swtpm" \
    --tap-log "$TAP_LOG" --ready "$T/relay.ready" > "$T/relay.out" 2>&1 &
RELAY_PID=$!
for (( i = 0; i < WAIT * 10; i++ )); do
    [[ -s $T/relay.ready ]] && break
    proc_running "$RELAY_PID" || fail "the relay exited: $(cat "$T/relay.out")"
    sleep 0.1
done
[[ -s $T/relay.ready ]] || fail "the relay did not start within ${WAIT}s"
BACKEND_TCTI=$(cat "$T/relay.ready")
client_env
start_daemon

step "the TPM lost four times" "$PYTHON" "$HELPER" run --sock "$SOCK" \
    --swtpm-dir "$T/swtpm" --swtpm-tcti "$SWTPM_TCTI" --tap-log "$TAP_LOG" \
    --relay-pid "$RELAY_PID" --ready "$T/relay.ready" --log "$T/daemon.log" \
    --daemon-pid "$DAEMON_PID"
while IFS= read -r line; do
    say "$line"
done < "$T/step.out"

proc_running "$DAEMON_PID" || fail "tpmproxyd died"
stop_daemon
BACKEND_TCTI=$SWTPM_TCTI
check_handles_baseline

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Daemon life cycle: SIGTERM with a command in flight, a second daemon on a busy socket, a stale socket.
#
# Proves:
# 1. SIGTERM while an RSA-2048 CreatePrimary is inside the TPM: the daemon
#    waits for it, the client gets its (successful) response, the daemon
#    exits 0, removes its socket file, and flushes the key the client left,
#    so swtpm holds no handles. swtpm is SIGSTOPped until the command has
#    reached it (seen in its TCP receive queue), so "in flight" is certain
#    rather than a race against a fast key generation (~20 ms on swtpm).
# 2. A second tpmproxyd on the socket path of a running one refuses to start
#    (non-zero exit, a message) and the first keeps serving on that path.
# 3. After kill -9 the socket file is left behind; the next start replaces it.
# shellcheck disable=SC2119 # setup and require_tools take optional arguments
set -euo pipefail
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_tools tpm2_getrandom
setup

swtpm_has_unread_command() { (( $(swtpm_rx_queue) > 0 )); }

sigterm_in_flight() {
    local swtpm client
    swtpm=$(swtpm_pid)
    kill -STOP "$swtpm"
    raw create-primary > "$T/in-flight-client.out" 2>&1 &
    client=$!
    wait_until "the CreatePrimary never reached swtpm" swtpm_has_unread_command
    kill -TERM "$DAEMON_PID"
    # Give the daemon time to act on SIGTERM while the TPM is still busy;
    # it must not exit (nor answer) before the command completes.
    sleep 0.5
    proc_running "$DAEMON_PID" ||
        { kill -CONT "$swtpm"; fail "tpmproxyd exited on SIGTERM with a command still in the TPM"; }
    if sock_accepts; then
        say "note: new connections were still accepted 0.5 s after SIGTERM"
    fi
    kill -CONT "$swtpm"
    wait_jobs "in-flight-client=$client"
    daemon_reap
    check_daemon_exit
    check_handles_baseline
    say "SIGTERM with a command in flight: client answered, exit 0, socket removed, TPM clean"
}

second_daemon_refused() {
    local tcti2 rc=0
    start_swtpm swtpm2
    tcti2=$SWTPM_TCTI
    timeout "$WAIT" "$TPMPROXYD" --foreground --tcti "$tcti2" --socket "$SOCK" \
        --log-level debug > "$T/second-daemon.log" 2>&1 || rc=$?
    (( rc != 124 )) || fail "a second tpmproxyd on $SOCK kept running (killed after ${WAIT}s)"
    (( rc != 0 )) || fail "a second tpmproxyd on $SOCK exited 0; expected a refusal"
    [[ -s $T/second-daemon.log ]] || fail "a second tpmproxyd on $SOCK exited $rc without a message"
    [[ -S $SOCK ]] || fail "the refused second tpmproxyd removed the first one's socket file"
    step "the first daemon still serves" raw alive
    step "tpm2_getrandom through the first daemon" tpm2_getrandom --hex 8
    say "second daemon refused (status $rc): $(tail -n 1 "$T/second-daemon.log")"
}

stale_socket_replaced() {
    kill_daemon_hard
    if [[ ! -S $SOCK ]]; then
        # Not expected after kill -9, but make the stale file the test needs.
        say "note: no socket file after kill -9; creating a stale one"
        "$PYTHON" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$SOCK"
    fi
    step_fails "connect to the stale socket" raw alive
    start_daemon
    step "a client through the restarted daemon" raw alive
    step "tpm2_getrandom through the restarted daemon" tpm2_getrandom --hex 8
    stop_daemon
    check_handles_baseline
    say "stale socket file replaced on restart"
}

sigterm_in_flight
start_daemon
second_daemon_refused
stale_socket_replaced

# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# Sourced by the simulator-protocol tests (sim-*.sh): opslib.sh plus a daemon serving SOCK and SOCK.ctrl behind a TPM tap, with tpmproxyctl, an audit log and simlib.py.
#
#     . "$(dirname "$0")/simlib.sh"
#     require_tools; ops_require_ctl
#     sim_setup [SOCKET LINES...] [-- DAEMON ARGS...]
#                                  # $SOCK = $T/tpm.sock ([socket "sim"]),
#                                  # $SIM_CTRL = $SOCK.ctrl, $CTL_SOCK,
#                                  # $TAP_LOG, $T/audit.log
#     sim_step "what" SCENARIO [ARGS...]   # a simlib.py scenario
#     sim_finish                   # daemon exits 0, sockets gone, TPM baseline
#
# SOCKET LINES are extra "key = value" lines for [socket "sim"] (quotas,
# timeouts); a line '[socket "NAME"]' starts another socket (its path
# $T/NAME.sock by convention, its SOCK.ctrl is waited for too); @T@ in a
# line stands for $T, which sim_setup creates. The clients (tpm2-tools, tpm2-pytss) are run by the tests with
# the TCTI strings a user writes: mssim:path=$SOCK, swtpm:path=$SOCK.
# shellcheck source=test/integration/opslib.sh
. "$(dirname "${BASH_SOURCE[0]}")/opslib.sh"

SIM_CTRL=

# sim_setup [SOCKET LINES...] [-- DAEMON ARGS...]: temp dir, swtpm behind the
# tap, the configuration, the daemon; returns once SOCK and SOCK.ctrl exist.
sim_setup() {
    local lines=() i
    while (( $# )) && [[ $1 != -- ]]; do
        lines+=("$1")
        shift
    done
    [[ ${1:-} == -- ]] && shift
    pol_init --tap
    {
        echo "[daemon]"
        echo "tcti = $DTCTI"
        echo "control-socket = $T/ctl.sock"
        echo "audit-log = $T/audit.log"
        echo
        echo "[socket \"sim\"]"
        echo "path = $T/tpm.sock"
        for i in "${lines[@]}"; do
            echo "${i//@T@/$T}"
        done
    } > "$CONF"
    pol_start "$@"
    CTL_SOCK=$T/ctl.sock
    SIM_CTRL=$SOCK.ctrl
    local p
    for p in "${POL_SOCKETS[@]}"; do
        for (( i = 0; i < WAIT * 10; i++ )); do
            [[ -S $p.ctrl ]] && continue 2
            sleep 0.1
        done
        fail "tpmproxyd serves $p but created no control channel $p.ctrl within ${WAIT}s"
    done
}

# simc SCENARIO [ARGS...]: a simlib.py scenario with the test's paths.
simc() {
    local scenario=$1
    shift
    "$PYTHON" "$INTEG/simlib.py" "$scenario" --sock "$SOCK" --tap-log "$TAP_LOG" \
        --ctl "$CTL_SOCK" --tpmproxyctl "$TPMPROXYCTL" --audit "$T/audit.log" "$@"
}

# sim_step DESCRIPTION SCENARIO [ARGS...]: the scenario as a step, its
# output shown (details, then the summary line).
sim_step() {
    local what=$1 line
    shift
    step "$what" simc "$@"
    while IFS= read -r line; do
        say "$line"
    done < "$T/step.out"
}

# sim_status FIELD: a number from tpmproxyctl status --json.
sim_status() {
    "$TPMPROXYCTL" -c "$CTL_SOCK" status --json |
        "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# sim_connections: connections accepted on the socket over the daemon's
# life (tpmproxyctl stats --json).
sim_connections() {
    "$TPMPROXYCTL" -c "$CTL_SOCK" stats --json |
        "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["total"]["connections"])'
}

# sim_tap_mark: how many commands have reached the TPM so far (tap log lines).
sim_tap_mark() {
    wc -l < "$TAP_LOG"
}

# sim_tap_since MARK: the command codes that reached the TPM after MARK.
sim_tap_since() {
    tail -n +"$(( $1 + 1 ))" "$TAP_LOG" | awk '{ print $3 }' | tr '\n' ' '
}

# sim_same_owner_mode: SOCK.ctrl has SOCK's owner, group and mode.
sim_same_owner_mode() {
    local a b
    a=$(stat -c '%U:%G %a' "$SOCK")
    b=$(stat -c '%U:%G %a' "$SIM_CTRL")
    [[ $a == "$b" ]] || fail "$SIM_CTRL is $b, $SOCK is $a: the control channel must have the socket's owner and mode"
    say "$SIM_CTRL: owner and mode $b, as $SOCK"
}

# sim_daemon_idle: the daemon holds no loaded object or session, no session
# saved for a client, no control connection and remembers no owner process
# (tpmproxyctl status).
sim_daemon_idle() {
    "$TPMPROXYCTL" -c "$CTL_SOCK" status --json | "$PYTHON" -c '
import json, sys
s = json.load(sys.stdin)
sys.exit(any(s[k] for k in ("objects_loaded", "sessions_loaded", "client_saved_sessions",
                            "control_connections", "owner_processes")))'
}

# sim_wait_idle WHAT: wait (bounded) until sim_daemon_idle; fail naming
# WHAT and what the daemon still holds.
sim_wait_idle() {
    local i
    for (( i = 0; i < WAIT * 10; i++ )); do
        sim_daemon_idle && return 0
        sleep 0.1
    done
    fail "$1: after ${WAIT}s the daemon still holds $(sim_status objects_loaded) objects, $(sim_status sessions_loaded) sessions, $(sim_status client_saved_sessions) saved sessions, $(sim_status control_connections) control connections, $(sim_status owner_processes) owner processes"
}

# sim_finish: the daemon exits 0 on SIGTERM and removes SOCK and SOCK.ctrl;
# then swtpm holds no transient objects, loaded or saved sessions.
sim_finish() {
    local p
    pol_stop
    for p in "${POL_SOCKETS[@]}"; do
        [[ ! -e $p.ctrl ]] || fail "tpmproxyd left the control socket file $p.ctrl behind"
    done
    check_handles_baseline
}

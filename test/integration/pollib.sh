# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# Sourced by the policy tests (pol-*.sh): lib.sh plus a daemon started from a configuration file, a TPM command tap and pollib.py.
#
#     . "$(dirname "$0")/pollib.sh"
#     require_tools
#     pol_init [--tap]             # temp dir $T, swtpm, $CONF path, $DTCTI
#     cat > "$CONF" <<EOF          # sockets live at $T/NAME.sock by convention
#     [daemon]
#     tcti = $DTCTI
#     [socket "a"]
#     path = $T/a.sock
#     EOF
#     pol_start [DAEMON ARGS...]   # tpmproxyd --foreground --config $CONF ARGS
#     pol_step "what" SCENARIO [ARGS...]   # a pollib.py scenario
#     pol_stop                     # stop_daemon + every socket file removed
#     check_handles_baseline
#
# Unlike lib.sh's start_daemon, pol_start passes neither --tcti nor --socket
# (a --socket on the command line replaces the file's sockets): the file's
# [daemon] tcti names the TPM. With --tap, $DTCTI is a relay (pollib.py tap)
# in front of swtpm that logs every command reaching the TPM to $TAP_LOG, so
# a test can tell that a refused command never got there.
# shellcheck source=test/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# pollib.py imports rmlib.py: keep the source tree free of __pycache__.
export PYTHONDONTWRITEBYTECODE=1

CONF=            # the main configuration file, $T/etc/tpmproxy.conf
CONFD=           # the conf.d beside it (not created by pol_init)
# shellcheck disable=SC2034 # used by the tests
DTCTI=           # the TCTI string for [daemon] tcti
PROC_ROOT=       # the daemon's --proc-root (pods), $T/proc
TAP_LOG=
POL_SOCKETS=()   # socket paths of the running daemon (from the files)
POL_WAIT_PATHS=()  # if set, pol_start waits for these instead

# pol_init [--tap]: temp dir, swtpm (and the tap), configuration paths.
pol_init() {
    make_test_dir 40
    mkdir -p "$T/etc" "$T/proc"
    CONF=$T/etc/tpmproxy.conf
    CONFD=$T/etc/conf.d
    PROC_ROOT=$T/proc
    start_swtpm swtpm
    # shellcheck disable=SC2034 # used by lib.sh
    BACKEND_TCTI=$SWTPM_TCTI
    DTCTI=$SWTPM_TCTI
    [[ ${1:-} == --tap ]] && pol_tap
    return 0
}

# pol_tap: a relay in front of swtpm logging each command to $TAP_LOG;
# sets DTCTI to the relay's TCTI string.
pol_tap() {
    local i
    TAP_LOG=$T/tap.log
    : > "$TAP_LOG"
    "$PYTHON" "$INTEG/pollib.py" tap --upstream "$SWTPM_TCTI" --tap-log "$TAP_LOG" \
        --ready "$T/tap.ready" > "$T/tap.out" 2>&1 &
    local pid=$!
    for (( i = 0; i < WAIT * 10; i++ )); do
        if [[ -s $T/tap.ready ]]; then
            # shellcheck disable=SC2034 # used by the tests
            DTCTI=$(cat "$T/tap.ready")
            return 0
        fi
        proc_running "$pid" || fail "the TPM tap exited: $(cat "$T/tap.out")"
        sleep 0.1
    done
    fail "the TPM tap did not start within ${WAIT}s"
}

# Socket paths named by the configuration files (every "path =" line
# belongs to a [socket] section).
pol_socket_paths() {
    local f files=("$CONF")
    if [[ -d $CONFD ]]; then
        for f in "$CONFD"/*.conf; do
            [[ -f $f ]] && files+=("$f")
        done
    fi
    sed -n 's/^[[:space:]]*path[[:space:]]*=[[:space:]]*\([^[:space:]#;]*\).*/\1/p' "${files[@]}"
}

# pol_start [ARGS...]: tpmproxyd --foreground --config $CONF ARGS; returns
# once every socket of the files (or of POL_WAIT_PATHS) exists.
pol_start() {
    local i p cmd=() missing
    DAEMON_STARTS=$(( DAEMON_STARTS + 1 ))
    if (( ${#POL_WAIT_PATHS[@]} )); then
        POL_SOCKETS=("${POL_WAIT_PATHS[@]}")
    else
        mapfile -t POL_SOCKETS < <(pol_socket_paths)
    fi
    (( ${#POL_SOCKETS[@]} )) || fail "pol_start: the configuration names no socket"
    SOCK=${POL_SOCKETS[0]}
    client_env
    echo "==== daemon start #$DAEMON_STARTS: --config $CONF $*" >> "$T/daemon.log"
    [[ -x $TPMPROXYD ]] || fail "tpmproxyd not built: $TPMPROXYD"
    local limit=$WAIT
    if [[ ${TPMPROXY_VALGRIND:-0} == 1 ]]; then
        [[ -n ${VALGRIND:-} ]] || VALGRIND=$(command -v valgrind || true)
        [[ -n $VALGRIND ]] || skip "TPMPROXY_VALGRIND=1 but valgrind is not installed"
        limit=$(( WAIT * 4 ))
    fi
    daemon_cmd cmd
    "${cmd[@]}" --foreground --config "$CONF" "$@" >> "$T/daemon.log" 2>&1 &
    DAEMON_PID=$!
    for (( i = 0; i < limit * 10; i++ )); do
        missing=
        for p in "${POL_SOCKETS[@]}"; do
            [[ -S $p ]] || { missing=$p; break; }
        done
        [[ -z $missing ]] && return 0
        if ! proc_running "$DAEMON_PID"; then
            local rc=0
            wait "$DAEMON_PID" || rc=$?
            DAEMON_PID=
            fail "tpmproxyd --config exited with status $rc before creating $missing: $(grep -v '^====' "$T/daemon.log" | tail -n 3 | tr '\n' ' ')"
        fi
        sleep 0.1
    done
    fail "tpmproxyd --config did not create $missing within ${limit}s"
}

# pol_stop: stop_daemon (exit 0, $SOCK removed) and no socket file left.
pol_stop() {
    local p
    stop_daemon
    for p in "${POL_SOCKETS[@]}"; do
        [[ ! -e $p ]] || fail "tpmproxyd left the socket file $p behind"
    done
}

# The daemon log of the latest start (after its "==== daemon start" line).
pol_daemon_log() {
    awk -v n="$DAEMON_STARTS" '/^==== daemon start #/ { cur = ($4 == "#" n ":") } cur' "$T/daemon.log"
}

# polc SCENARIO [ARGS...]: a pollib.py scenario with the test's paths.
polc() {
    local scenario=$1
    shift
    "$PYTHON" "$INTEG/pollib.py" "$scenario" --dir "$T" --conf "$CONF" \
        --proc-root "$PROC_ROOT" ${TAP_LOG:+--tap-log "$TAP_LOG"} \
        ${DAEMON_PID:+--daemon-pid "$DAEMON_PID"} --log "$T/daemon.log" "$@"
}

# pol_step DESCRIPTION SCENARIO [ARGS...]: run it as a step, show its output
# (details, then the summary line).
pol_step() {
    local what=$1 line
    shift
    step "$what" polc "$@"
    while IFS= read -r line; do
        say "$line"
    done < "$T/step.out"
}

# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# Sourced by the integration tests: temp dir, swtpm, tpmproxyd, client environment, cleanup and asserts.
#
# Typical test:
#     . "$(dirname "$0")/lib.sh"
#     require_tools tpm2_getrandom
#     setup                        # temp dir $T, swtpm, tpmproxyd on $SOCK
#     step "getrandom" tpm2_getrandom --hex 8
#     stop_daemon                  # SIGTERM, must exit 0 (and valgrind-clean)
#     check_handles_baseline       # swtpm holds no transient objects/sessions
#
# Environment (set by `make check`, defaults allow running a test by hand):
#   top_srcdir, top_builddir  source and build trees (default: this checkout)
#   SWTPM, VALGRIND           paths found by configure
#   TPMPROXYD                 daemon binary (default $top_builddir/src/tpmproxyd)
#   TPMPROXY_VALGRIND=1       run the daemon under valgrind (exit 99 on errors)
#   TPMPROXY_STANDIN=socat    developer aid: replace the daemon by a socat relay
#                             to swtpm and clients' TCTI by cmd:socat; shows
#                             which failures are the test's and which the
#                             daemon's (framing/flush/signal checks then fail)
#   TPMPROXY_KEEP=1           keep the temp dir (also kept on failure when CI is set)
set -euo pipefail

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${TPMPROXYD:=$top_builddir/src/tpmproxyd}"
: "${PYTHON:=/usr/bin/python3}"
: "${TPMPROXY_STANDIN:=}"
export top_srcdir top_builddir

TEST_NAME=$(basename "$0" .sh)
INTEG=$top_srcdir/test/integration
WAIT=${TPMPROXY_TEST_WAIT:-30}   # seconds; only bounds waits that detect hangs
T=
SOCK=
BACKEND_TCTI=
DAEMON_PID=
DAEMON_STARTS=0
SWTPM_DIRS=()

# ---- messages -----------------------------------------------------------------

say() { echo "[$TEST_NAME] $*"; }

fail() {
    echo "FAIL: $TEST_NAME: $*" >&2
    exit 1
}

skip() {
    echo "SKIP: $TEST_NAME: $*"
    exit 77
}

# wait_until DESCRIPTION CMD...: poll CMD (every 0.1 s) until it succeeds;
# fail with DESCRIPTION after $WAIT seconds (a hang, not a time limit).
wait_until() {
    local what=$1 i
    shift
    for (( i = 0; i < WAIT * 10; i++ )); do
        "$@" && return 0
        sleep 0.1
    done
    fail "$what (waited ${WAIT}s)"
}

# ---- prerequisites -------------------------------------------------------------

# Skip (77) unless swtpm and every named program are installed.
require_tools() {
    local t
    [[ -n ${SWTPM:-} ]] || SWTPM=$(command -v swtpm || true)
    [[ -n $SWTPM && -x $SWTPM ]] || skip "swtpm not installed (apt-get install swtpm)"
    export SWTPM
    for t in tpm2_getcap "$@"; do
        command -v "$t" >/dev/null 2>&1 || skip "$t not installed (apt-get install tpm2-tools)"
    done
    if [[ $TPMPROXY_STANDIN == socat ]] || [[ $* == *socat* ]]; then
        command -v socat >/dev/null 2>&1 || skip "socat not installed"
    fi
    [[ -x $PYTHON ]] || skip "$PYTHON not found"
}

require_pytss() {
    "$PYTHON" -c 'import tpm2_pytss' 2>/dev/null ||
        skip "tpm2-pytss not importable by $PYTHON (apt-get install python3-tpm2-pytss)"
}

# ---- processes -----------------------------------------------------------------

# True while pid $1 exists and is not a zombie.
proc_running() {
    local state
    state=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n $state && $state != Z ]]
}

# Wait up to $2 seconds for pid $1 to end; 0 when it ended.
wait_gone() {
    local pid=$1 secs=$2 i
    for (( i = 0; i < secs * 10; i++ )); do
        proc_running "$pid" || return 0
        sleep 0.1
    done
    return 1
}

# ---- swtpm ---------------------------------------------------------------------

# start_swtpm [NAME]: a fresh swtpm in $T/NAME (default "swtpm"); sets
# SWTPM_TCTI to its TCTI string. (Not in $(...): cleanup needs SWTPM_DIRS.)
start_swtpm() {
    local dir=$T/${1:-swtpm}
    SWTPM_DIRS+=("$dir")
    SWTPM_TCTI=$("$top_srcdir/swtpm-ci/swtpm-start" "$dir") ||
        fail "swtpm-ci/swtpm-start $dir failed"
}

swtpm_pid() { cat "$T/${1:-swtpm}/swtpm.pid"; }

# Bytes waiting unread on swtpm's server port (commands it has not read yet,
# e.g. while it is SIGSTOPped), summed over its TCP connections.
swtpm_rx_queue() {
    local port hex laddr st queues total=0
    port=${BACKEND_TCTI##*port=}
    printf -v hex '%04X' "$port"
    while read -r _ laddr _ st queues _; do
        [[ $laddr == *":$hex" && $st == 01 ]] || continue
        total=$(( total + 16#${queues#*:} ))
    done < <(tail -n +2 /proc/net/tcp)
    echo "$total"
}

# ---- daemon --------------------------------------------------------------------

daemon_cmd() {
    local -n _cmd=$1
    _cmd=()
    if [[ ${TPMPROXY_VALGRIND:-0} == 1 ]]; then
        [[ -x $top_builddir/libtool ]] && _cmd+=("$top_builddir/libtool" --mode=execute)
        _cmd+=("$VALGRIND" --error-exitcode=99 --leak-check=full
               --errors-for-leak-kinds=definite --show-leak-kinds=definite
               "--log-file=$T/valgrind-$DAEMON_STARTS.log")
    fi
    _cmd+=("$TPMPROXYD")
    # valgrind's own system calls would break the daemon's seccomp filter.
    [[ ${TPMPROXY_VALGRIND:-0} != 1 ]] || _cmd+=(--seccomp=off)
}

# start_daemon [EXTRA ARGS...]: tpmproxyd on $SOCK with backend $BACKEND_TCTI;
# returns once the socket file exists.
start_daemon() {
    local i limit=$WAIT cmd=() stale=
    DAEMON_STARTS=$(( DAEMON_STARTS + 1 ))
    # A stale socket file left by a killed daemon: wait until it accepts.
    [[ -e $SOCK ]] && stale=1
    echo "==== daemon start #$DAEMON_STARTS: $*" >> "$T/daemon.log"
    if [[ $TPMPROXY_STANDIN == socat ]]; then
        local hostport=${BACKEND_TCTI#*host=}
        socat "UNIX-LISTEN:$SOCK,fork,unlink-early,unlink-close" \
            "TCP:${hostport%%,*}:${hostport##*port=}" >> "$T/daemon.log" 2>&1 &
        DAEMON_PID=$!
    else
        [[ -x $TPMPROXYD ]] || fail "tpmproxyd not built: $TPMPROXYD"
        if [[ ${TPMPROXY_VALGRIND:-0} == 1 ]]; then
            [[ -n ${VALGRIND:-} ]] || VALGRIND=$(command -v valgrind || true)
            [[ -n $VALGRIND ]] || skip "TPMPROXY_VALGRIND=1 but valgrind is not installed"
            limit=$(( WAIT * 4 ))
        fi
        daemon_cmd cmd
        "${cmd[@]}" --foreground --tcti "$BACKEND_TCTI" --socket "$SOCK" \
            --log-level debug "$@" >> "$T/daemon.log" 2>&1 &
        DAEMON_PID=$!
    fi
    for (( i = 0; i < limit * 10; i++ )); do
        if [[ -S $SOCK ]] && { [[ -z $stale ]] || sock_accepts; }; then
            return 0
        fi
        if ! proc_running "$DAEMON_PID"; then
            local rc=0
            wait "$DAEMON_PID" || rc=$?
            DAEMON_PID=
            fail "tpmproxyd exited with status $rc before creating $SOCK"
        fi
        sleep 0.1
    done
    fail "tpmproxyd did not create $SOCK within ${limit}s"
}

# Wait (bounded) for the daemon to exit and reap it; sets DAEMON_STATUS
# (its exit status, or "hang" after killing it when it did not exit).
daemon_reap() {
    local pid=$DAEMON_PID limit=$WAIT
    DAEMON_STATUS=
    [[ -n $pid ]] || return 0
    [[ ${TPMPROXY_VALGRIND:-0} == 1 ]] && limit=$(( WAIT * 4 ))
    if ! wait_gone "$pid" "$limit"; then
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        DAEMON_PID=
        DAEMON_STATUS=hang
        return 0
    fi
    DAEMON_STATUS=0
    wait "$pid" || DAEMON_STATUS=$?
    DAEMON_PID=
}

# True when something accepts connections on $SOCK.
sock_accepts() {
    "$PYTHON" - "$SOCK" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
PY
}

# SIGTERM the daemon and reap it.
daemon_terminate() {
    [[ -n $DAEMON_PID ]] || { DAEMON_STATUS=; return 0; }
    kill -TERM "$DAEMON_PID" 2>/dev/null || true
    daemon_reap
}

# Explain a non-zero daemon status; empty output when it is fine.
daemon_status_problem() {
    case $DAEMON_STATUS in
        0|'') ;;
        hang) echo "tpmproxyd did not exit within ${WAIT}s of SIGTERM (killed)" ;;
        99)   echo "valgrind reported errors in tpmproxyd (exit 99): see $T/valgrind-*.log" ;;
        *)    if [[ $TPMPROXY_STANDIN == socat && $DAEMON_STATUS == 143 ]]; then return 0; fi
              echo "tpmproxyd exited with status $DAEMON_STATUS after SIGTERM (expected 0)" ;;
    esac
}

# stop_daemon: SIGTERM; fail unless it exits 0 within the bound (and, under
# valgrind, without errors) and removes its socket file.
stop_daemon() {
    daemon_terminate
    check_daemon_exit
}

# check_daemon_exit: after daemon_reap/daemon_terminate, the same checks.
check_daemon_exit() {
    local problem
    problem=$(daemon_status_problem)
    [[ -z $problem ]] || fail "$problem"
    [[ ! -e $SOCK ]] || fail "tpmproxyd left its socket file $SOCK behind"
}

# kill_daemon_hard: SIGKILL (leaves a stale socket file behind).
kill_daemon_hard() {
    [[ -n $DAEMON_PID ]] || return 0
    kill -KILL "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
    DAEMON_PID=
}

# ---- set-up and clean-up --------------------------------------------------------

# The user tpmproxyd becomes once set up: started by root, it drops to tss
# when that user exists (tpmproxyd(8)); empty when it stays the tests' user.
DAEMON_USER=
if [[ $(id -u) == 0 ]] && getent passwd tss >/dev/null; then
    DAEMON_USER=tss
fi

# give_to_daemon DIR...: directories the daemon writes in after dropping
# privileges (socket files removed at exit, a rotated audit log).
give_to_daemon() {
    [[ -z $DAEMON_USER ]] || chown "$DAEMON_USER:" "$@"
}

# make_test_dir MAXLEN: the test's temp dir $T, removed at exit, owned by
# the daemon's user. A unix socket path must fit in sun_path (108 bytes):
# a $TMPDIR longer than MAXLEN is not used.
make_test_dir() {
    local base=${TMPDIR:-/tmp}
    (( ${#base} < $1 )) || base=/tmp
    T=$(mktemp -d "$base/tpmproxy-$TEST_NAME.XXXXXX") || fail "mktemp failed"
    trap cleanup EXIT
    give_to_daemon "$T"
}

# setup [DAEMON ARGS...]: temp dir, swtpm, daemon, clients' environment.
setup() {
    make_test_dir 60
    SOCK=$T/tpm.sock
    start_swtpm swtpm
    BACKEND_TCTI=$SWTPM_TCTI
    client_env
    start_daemon "$@"
}

client_env() {
    if [[ $TPMPROXY_STANDIN == socat ]]; then
        CLIENT_TCTI="cmd:socat - UNIX-CONNECT:$SOCK"
    else
        local libdir=$top_builddir/tcti-proxy/.libs
        [[ -e $libdir/libtss2-tcti-proxy.so.0 ]] ||
            fail "client TCTI not built: $libdir/libtss2-tcti-proxy.so.0"
        CLIENT_TCTI="proxy:$SOCK"
        LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
        export LD_LIBRARY_PATH
    fi
    TPM2TOOLS_TCTI=$CLIENT_TCTI
    export CLIENT_TCTI TPM2TOOLS_TCTI
}

show_logs() {
    local f
    if [[ -s $T/daemon.log ]]; then
        echo "---- tpmproxyd log ($T/daemon.log, last 200 lines) ----"
        tail -n 200 "$T/daemon.log"
    fi
    for f in "$T"/valgrind-*.log; do
        [[ -s $f ]] || continue
        echo "---- $f ----"
        cat "$f"
    done
    for f in "${SWTPM_DIRS[@]}"; do
        [[ -s $f/swtpm.log ]] || continue
        echo "---- $f/swtpm.log ----"
        tail -n 50 "$f/swtpm.log"
    done
}

cleanup() {
    local rc=$? pid d problem
    set +e
    trap - EXIT
    if [[ -n $DAEMON_PID ]]; then
        daemon_terminate
        problem=$(daemon_status_problem)
        if [[ -n $problem ]]; then
            echo "FAIL: $TEST_NAME: (at clean-up) $problem" >&2
            rc=1
        fi
    fi
    for pid in $(jobs -p); do
        kill -TERM "$pid" 2>/dev/null
    done
    for d in "${SWTPM_DIRS[@]}"; do
        [[ -s $d/swtpm.pid ]] && kill -CONT "$(cat "$d/swtpm.pid")" 2>/dev/null
        "$top_srcdir/swtpm-ci/swtpm-stop" "$d" >/dev/null 2>&1 ||
            echo "$TEST_NAME: warning: swtpm-stop $d failed" >&2
    done
    if (( rc != 0 && rc != 77 )); then
        show_logs >&2
    fi
    if [[ ${TPMPROXY_KEEP:-0} == 1 || ( $rc -ne 0 && $rc -ne 77 && -n ${CI:-} ) ]]; then
        echo "$TEST_NAME: kept $T" >&2
    elif [[ -n $T ]]; then
        rm -rf "$T"
    fi
    exit "$rc"
}

# ---- asserts and helpers ----------------------------------------------------------

# step DESCRIPTION CMD...: run CMD, output to $T/step.out; fail naming the step.
step() {
    local what=$1 rc=0
    shift
    "$@" > "$T/step.out" 2>&1 || rc=$?
    if (( rc != 0 )); then
        echo "---- output of: $* ----" >&2
        cat "$T/step.out" >&2
        fail "$what: exited with status $rc"
    fi
}

# step_fails DESCRIPTION CMD...: CMD must fail (negative check).
step_fails() {
    local what=$1
    shift
    if "$@" > "$T/step.out" 2>&1; then
        cat "$T/step.out" >&2
        fail "$what: succeeded but must fail"
    fi
}

raw() { "$PYTHON" "$INTEG/raw-client.py" "$SOCK" "$@"; }
pytss_client() { "$PYTHON" "$INTEG/pytss-client.py" "$@"; }

# Query swtpm directly (the daemon must be stopped: swtpm's TCP server
# serves one connection at a time) and require that it holds no transient
# objects and no loaded or saved sessions.
check_handles_baseline() {
    local kind out
    [[ -z $DAEMON_PID ]] || fail "check_handles_baseline needs the daemon stopped (stop_daemon first)"
    for kind in handles-transient handles-loaded-session handles-saved-session; do
        out=$(timeout "$WAIT" tpm2_getcap -T "$BACKEND_TCTI" "$kind" 2>&1) ||
            fail "tpm2_getcap $kind on swtpm failed: $out"
        [[ -z $out ]] || fail "the TPM still holds $kind after the daemon exited: $(tr '\n' ' ' <<<"$out")"
    done
    say "TPM baseline ok: no transient objects, loaded or saved sessions"
}

# wait_jobs NAME=PID...: wait for each background client; its output is in
# $T/NAME.out when that file exists (last line shown, all of it on failure).
# Fails listing every client that failed.
wait_jobs() {
    local spec name pid rc failed=()
    for spec in "$@"; do
        name=${spec%%=*}
        pid=${spec#*=}
        rc=0
        wait "$pid" || rc=$?
        if (( rc == 0 )); then
            [[ -s $T/$name.out ]] && say "$(tail -n 1 "$T/$name.out")"
        else
            failed+=("$name (status $rc)")
            if [[ -s $T/$name.out ]]; then
                echo "---- output of $name ----" >&2
                cat "$T/$name.out" >&2
            fi
        fi
    done
    (( ${#failed[@]} == 0 )) || fail "clients failed: ${failed[*]}"
}

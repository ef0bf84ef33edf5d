#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# tpmproxy-bridge: loopback TCP to the daemon's socket, for clients that can only say host and port.
#
# Proves, with the bridge running as the daemon's unprivileged user with no
# capabilities (when the test runs as root):
# - it refuses what it must, with a reason and a non-zero status: a
#   non-loopback address without --allow-non-loopback (and then nothing
#   listens), port 65535 (no room for the control port), a socket path that
#   is not a socket, a data or control port already in use;
# - a raw TPM2_GetRandom over TCP reaches the TPM through the daemon, which
#   logs the bridge's pid as the peer, and every connection the bridge made
#   is closed on the daemon's side once its client has closed;
# - a daemon that closes (stopped) closes the client's TCP connection; while
#   the daemon is gone, clients are closed at once, logged, and the bridge
#   keeps running; when the daemon is back, clients are relayed again;
# - --max-connections: one connection over it is closed at once;
# - [::1] works where the host has IPv6 loopback;
# - the control port: tcti-swtpm (swtpm:host=,port=) through the bridge to a
#   swtpm serving unix sockets itself, which answers its control commands;
# - tpm2-tools with -T mssim:host=127.0.0.1,port=N and with
#   -T swtpm:host=127.0.0.1,port=N through the bridge and the daemon:
#   getrandom, createprimary + create + load + sign + verifysignature, and a
#   policy session (startauthsession, policypcr, flushcontext);
# - what swtpm: clients leave loaded belongs to the bridge's process and is
#   flushed when the bridge exits (SIGTERM: exit 0); the TPM holds no
#   handle once the daemon is gone.
# shellcheck disable=SC2119 # setup and require_tools take optional arguments
set -euo pipefail
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_tools tpm2_getrandom tpm2_createprimary tpm2_create tpm2_load tpm2_sign \
    tpm2_verifysignature tpm2_startauthsession tpm2_policypcr tpm2_flushcontext
: "${TPMPROXY_BRIDGE:=$top_builddir/src/tpmproxy-bridge}"
[[ -x $TPMPROXY_BRIDGE ]] || fail "tpmproxy-bridge not built: $TPMPROXY_BRIDGE"
setup

BRIDGE_PID=
BRIDGE_PORT=
BRIDGE_LOG=
BRIDGE_HOST=127.0.0.1
BRIDGE_STARTS=0

client() { "$PYTHON" "$INTEG/bridge-client.py" "$BRIDGE_HOST" "$BRIDGE_PORT" "$@"; }

# bridge_cmd ARRAY: how to run the bridge: as the daemon's user, with no
# capabilities and no_new_privs, when the test runs as root.
bridge_cmd() {
    # shellcheck disable=SC2178 # a nameref to the caller's array
    local -n _cmd=$1
    _cmd=()
    if [[ -n $DAEMON_USER ]]; then
        _cmd+=(setpriv --reuid "$DAEMON_USER" --regid "$DAEMON_USER" --clear-groups
               --inh-caps=-all --bounding-set=-all --no-new-privs)
    fi
    _cmd+=("$TPMPROXY_BRIDGE")
}

# A random even port below the ephemeral range (as swtpm-start picks).
random_port() { echo $(( 20000 + (RANDOM % 6000) * 2 )); }

# start_bridge NAME HOST [ARGS...]: the bridge on a free port pair of HOST
# with --socket $SOCK and ARGS; sets BRIDGE_PID, BRIDGE_PORT, BRIDGE_LOG.
start_bridge() {
    local name=$1 host=$2 try i cmd=() hostport
    shift 2
    bridge_cmd cmd
    BRIDGE_HOST=$host
    for (( try = 0; try < 20; try++ )); do
        BRIDGE_STARTS=$(( BRIDGE_STARTS + 1 ))
        BRIDGE_PORT=$(random_port)
        BRIDGE_LOG=$T/bridge-$name-$BRIDGE_STARTS.log
        hostport=$host:$BRIDGE_PORT
        [[ $host == *:* ]] && hostport="[$host]:$BRIDGE_PORT"
        "${cmd[@]}" --listen "$hostport" --socket "$SOCK" --log-level debug "$@" \
            > "$BRIDGE_LOG" 2>&1 &
        BRIDGE_PID=$!
        for (( i = 0; i < WAIT * 10; i++ )); do
            grep -q 'info: pid [0-9]* listening on' "$BRIDGE_LOG" && return 0
            proc_running "$BRIDGE_PID" || break
            sleep 0.1
        done
        wait "$BRIDGE_PID" 2>/dev/null || true
        grep -q 'Address already in use' "$BRIDGE_LOG" ||
            fail "tpmproxy-bridge ($name) did not start: $(cat "$BRIDGE_LOG")"
    done
    fail "tpmproxy-bridge ($name): no free port pair in 20 tries"
}

# stop_bridge: SIGTERM; it must exit 0.
stop_bridge() {
    local rc=0
    kill -TERM "$BRIDGE_PID"
    wait_gone "$BRIDGE_PID" "$WAIT" || fail "tpmproxy-bridge did not exit on SIGTERM"
    wait "$BRIDGE_PID" || rc=$?
    (( rc == 0 )) || fail "tpmproxy-bridge exited $rc on SIGTERM: $(tail -n 5 "$BRIDGE_LOG")"
    grep -q 'info: Terminated: stopping' "$BRIDGE_LOG" ||
        fail "tpmproxy-bridge did not log its stop: $(tail -n 5 "$BRIDGE_LOG")"
    BRIDGE_PID=
}

# bridge_refuses STATUS MESSAGE ARGS...: the bridge exits STATUS, saying MESSAGE.
bridge_refuses() {
    local want=$1 msg=$2 rc=0 cmd=()
    shift 2
    bridge_cmd cmd
    timeout "$WAIT" "${cmd[@]}" "$@" > "$T/refused.out" 2>&1 || rc=$?
    (( rc == want )) ||
        fail "tpmproxy-bridge $* exited $rc, expected $want: $(cat "$T/refused.out")"
    grep -qF -- "$msg" "$T/refused.out" ||
        fail "tpmproxy-bridge $* did not say '$msg': $(cat "$T/refused.out")"
    say "refused (exit $rc): $* -> $(grep -F -- "$msg" "$T/refused.out" | head -n 1 | cut -c1-110)"
}

port_answers() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# Descriptors the bridge holds now; whether as few as when it was idle.
bridge_fds() { find "/proc/$BRIDGE_PID/fd" -mindepth 1 -maxdepth 1 | wc -l; }
bridge_idle() { (( $(bridge_fds) == idle_fds )); }

# Connections from the bridge the daemon has logged: connect or disconnect.
daemon_saw() {
    grep -cE "tpmproxyd info: $1 id=[0-9]+ .*pid=$BRIDGE_PID( |$)" "$T/daemon.log" || true
}
all_closed_at_daemon() { (( $(daemon_saw connect) == $(daemon_saw disconnect) )); }

# ---- what it refuses -------------------------------------------------------------
port=$(random_port)
bridge_refuses 2 "not a loopback address" --listen "0.0.0.0:$port" --socket "$SOCK"
port_answers 127.0.0.1 "$port" && fail "something listens on $port after the refusal"
bridge_refuses 2 "not a loopback address" --listen "[::]:$port" --socket "$SOCK"
bridge_refuses 2 "no room for the control port" --listen 127.0.0.1:65535 --socket "$SOCK"
bridge_refuses 2 "no ':PORT'" --listen 127.0.0.1 --socket "$SOCK"
bridge_refuses 2 "longer than a unix socket path" --socket "/$(printf 'x%.0s' {1..110})"
bridge_refuses 1 "is not a socket" --listen "127.0.0.1:$port" --socket "$T"
bridge_refuses 1 "is not a socket" --listen "127.0.0.1:$port" --socket "$SOCK" \
    --ctrl-socket "$T/swtpm/swtpm.log"

# ---- raw bytes through the daemon --------------------------------------------------
start_bridge main 127.0.0.1
say "bridge pid $BRIDGE_PID on 127.0.0.1:$BRIDGE_PORT and $(( BRIDGE_PORT + 1 ))"
[[ -z $DAEMON_USER ]] || [[ $(stat -c %U "/proc/$BRIDGE_PID") == "$DAEMON_USER" ]] ||
    fail "the bridge does not run as $DAEMON_USER"
[[ $(awk '/^CapEff:/ { print $2 }' "/proc/$BRIDGE_PID/status") == 0000000000000000 ]] ||
    [[ $(id -u) != 0 ]] || fail "the bridge has capabilities"
idle_fds=$(bridge_fds)

bridge_refuses 1 "Address already in use" --listen "127.0.0.1:$BRIDGE_PORT" --socket "$SOCK"
bridge_refuses 1 "Address already in use" --listen "127.0.0.1:$(( BRIDGE_PORT - 1 ))" \
    --socket "$SOCK"

step "raw GetRandom over TCP" client getrandom
say "$(cat "$T/step.out")"
step "raw GetRandom over TCP (again)" client getrandom
(( $(daemon_saw connect) >= 2 )) ||
    fail "the daemon did not log the bridge (pid $BRIDGE_PID) as the peer: $(grep ' connect id=' "$T/daemon.log" | tail -n 3)"
say "the daemon logs the bridge as the peer: $(grep -E " connect id=.*pid=$BRIDGE_PID" "$T/daemon.log" | tail -n 1 | sed 's/.*info: //')"
wait_until "waiting for the daemon to close every connection the bridge made" all_closed_at_daemon
wait_until "waiting for the bridge to close its connections ($idle_fds descriptors when idle)" bridge_idle
say "client closed: the daemon closed all $(daemon_saw disconnect) connections of the bridge; bridge back to $idle_fds descriptors"

# ---- the daemon closes, goes away and comes back ------------------------------------
client hold "$T/held.ready" > "$T/held.out" 2>&1 &
held=$!
wait_until "waiting for the held connection" test -s "$T/held.ready"
stop_daemon
wait_jobs held="$held"
proc_running "$BRIDGE_PID" || fail "the bridge exited when the daemon stopped"
step "a client while the daemon is gone" client closed
say "$(cat "$T/step.out")"
step "a second client while the daemon is gone" client closed
grep -qF "cannot connect to $SOCK" "$BRIDGE_LOG" ||
    fail "the bridge did not log why it closed the client: $(tail -n 5 "$BRIDGE_LOG")"
say "bridge log: $(grep -F "cannot connect to $SOCK" "$BRIDGE_LOG" | tail -n 1 | sed 's/.*warning: //')"
proc_running "$BRIDGE_PID" || fail "the bridge exited while the daemon was gone"
start_daemon
step "raw GetRandom after the daemon is back" client getrandom
say "daemon back: $(cat "$T/step.out")"
wait_until "waiting for the bridge to close its connections" bridge_idle

# ---- --max-connections ---------------------------------------------------------------
main_pid=$BRIDGE_PID main_port=$BRIDGE_PORT main_log=$BRIDGE_LOG
start_bridge limit 127.0.0.1 --max-connections 3
step "--max-connections 3" client limit 3
say "$(cat "$T/step.out")"
grep -q 'closed, 3 connections open (--max-connections)' "$BRIDGE_LOG" ||
    fail "the refusal over the limit was not logged: $(tail -n 5 "$BRIDGE_LOG")"
stop_bridge

# ---- IPv6 loopback ------------------------------------------------------------------------
if grep -qE '^0{31}1 .* lo$' /proc/net/if_inet6 2>/dev/null; then
    start_bridge ipv6 ::1
    step "raw GetRandom over [::1]" client getrandom
    say "[::1]:$BRIDGE_PORT: $(cat "$T/step.out")"
    stop_bridge
else
    say "no IPv6 loopback here: [::1] not tried"
fi
BRIDGE_PID=$main_pid BRIDGE_PORT=$main_port BRIDGE_LOG=$main_log BRIDGE_HOST=127.0.0.1

# ---- the control port, against swtpm's own unix sockets ---------------------------------
# swtpm answers tcti-swtpm's control commands itself: this shows the control
# port relayed both ways, whatever the daemon does with SOCKET.ctrl.
direct=$T/direct
mkdir -p "$direct/state"
SWTPM_DIRS+=("$direct")
"$SWTPM" socket --tpm2 --tpmstate "dir=$direct/state" \
    --server "type=unixio,path=$direct/tpm.sock" \
    --ctrl "type=unixio,path=$direct/tpm.sock.ctrl" \
    --flags not-need-init,startup-clear --pid "file=$direct/swtpm.pid" \
    --log "file=$direct/swtpm.log,level=1" --daemon ||
    fail "swtpm on unix sockets did not start"
wait_until "waiting for swtpm's unix sockets" test -S "$direct/tpm.sock.ctrl"
give_to_daemon "$direct/tpm.sock" "$direct/tpm.sock.ctrl"
saved_sock=$SOCK
SOCK=$direct/tpm.sock
start_bridge direct 127.0.0.1
SOCK=$saved_sock
tcti=swtpm:host=127.0.0.1,port=$BRIDGE_PORT
step "tpm2_getrandom -T $tcti (swtpm itself)" tpm2_getrandom -T "$tcti" --hex 16
step "tpm2_startauthsession (swtpm itself)" \
    tpm2_startauthsession -T "$tcti" --policy-session -S "$T/direct-session.ctx"
step "tpm2_policypcr (swtpm itself)" tpm2_policypcr -T "$tcti" -S "$T/direct-session.ctx" \
    -l sha256:0,1 -L "$T/direct-policy.digest"
step "tpm2_flushcontext (swtpm itself)" tpm2_flushcontext -T "$tcti" "$T/direct-session.ctx"
ctrl_answers=$(grep -cE 'control 127\.0\.0\.1:[0-9]+ closed \([1-9][0-9]* bytes to the daemon, [1-9][0-9]* back\)' \
    "$BRIDGE_LOG" || true)
(( ctrl_answers >= 4 )) ||
    fail "tcti-swtpm's control connections were not relayed both ways: $(grep control "$BRIDGE_LOG" | tail -n 4)"
say "swtpm itself through the bridge: getrandom and a policy session; $ctrl_answers control connections answered"
stop_bridge
"$top_srcdir/swtpm-ci/swtpm-stop" "$direct" >/dev/null
BRIDGE_PID=$main_pid BRIDGE_PORT=$main_port BRIDGE_LOG=$main_log

# ---- tpm2-tools through the bridge and the daemon ------------------------------------------
# tools_flow NAME TCTI: what tpm2-tools.sh does with proxy:, with TCTI.
tools_flow() {
    local name=$1 tcti=$2 d=$T/$1
    mkdir -p "$d"
    step "$name: tpm2_getrandom" tpm2_getrandom -T "$tcti" --hex 16
    [[ $(cat "$T/step.out") =~ ^[0-9a-f]{32}$ ]] ||
        fail "$name: tpm2_getrandom printed '$(cat "$T/step.out")'"
    step "$name: tpm2_createprimary" \
        tpm2_createprimary -T "$tcti" -C o -g sha256 -G ecc -c "$d/primary.ctx"
    step "$name: tpm2_create" \
        tpm2_create -T "$tcti" -C "$d/primary.ctx" -G ecc -u "$d/key.pub" -r "$d/key.priv"
    step "$name: tpm2_load" tpm2_load -T "$tcti" -C "$d/primary.ctx" -u "$d/key.pub" \
        -r "$d/key.priv" -c "$d/key.ctx"
    echo "signed through tpmproxy-bridge ($name)" > "$d/msg"
    step "$name: tpm2_sign" tpm2_sign -T "$tcti" -c "$d/key.ctx" -g sha256 -o "$d/sig" "$d/msg"
    step "$name: tpm2_verifysignature" tpm2_verifysignature -T "$tcti" -c "$d/key.ctx" \
        -g sha256 -m "$d/msg" -s "$d/sig"
    step "$name: tpm2_startauthsession --policy-session" \
        tpm2_startauthsession -T "$tcti" --policy-session -S "$d/session.ctx"
    step "$name: tpm2_policypcr" tpm2_policypcr -T "$tcti" -S "$d/session.ctx" \
        -l sha256:0,1 -L "$d/policy.digest"
    [[ $(stat -c %s "$d/policy.digest") -eq 32 ]] ||
        fail "$name: tpm2_policypcr wrote a $(stat -c %s "$d/policy.digest")-byte digest"
    step "$name: tpm2_flushcontext" tpm2_flushcontext -T "$tcti" "$d/session.ctx"
    say "$name: getrandom, createprimary/create/load/sign/verifysignature, policy session ok"
}

tools_flow mssim "mssim:host=127.0.0.1,port=$BRIDGE_PORT"
tools_flow swtpm "swtpm:host=127.0.0.1,port=$BRIDGE_PORT"
say "the daemon saw $(daemon_saw connect) connections from the bridge's pid $BRIDGE_PID"
wait_until "waiting for the daemon to close every data connection of the tools" all_closed_at_daemon
wait_until "waiting for the bridge to close the tools' data and control connections" bridge_idle

# tcti-swtpm's objects belong to the peer process, the bridge: kept while
# it runs, flushed when it exits.
owns=$(grep -E "process $BRIDGE_PID on socket [^ ]+ owns its connections' TPM resources \(owner [0-9]+\)" \
    "$T/daemon.log" | tail -n 1) ||
    fail "the daemon did not make the bridge (pid $BRIDGE_PID) the owner of swtpm: clients' resources"
[[ $owns =~ \(owner\ ([0-9]+)\) ]] && owner=${BASH_REMATCH[1]}
bridge_pid=$BRIDGE_PID
stop_bridge
wait_until "waiting for the daemon to flush what the bridge's swtpm: clients held" \
    grep -qE "process $bridge_pid on socket [^ ]+ exited; flushing what it held" "$T/daemon.log"
flushed=$(grep -cE "owner $owner gone: flushing 0x" "$T/daemon.log" || true)
(( flushed > 0 )) || fail "the bridge exited, but nothing of owner $owner was flushed"
say "bridge exited: the daemon flushed $flushed handles of its owner $owner"

# ---- stop ------------------------------------------------------------------------------------
stop_daemon
check_handles_baseline

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# tpm2-pytss over TCTILdr("swtpm"/"mssim", "path=SOCK") through tpmproxyd: one owner per process for tcti-swtpm's many connections, isolation between processes, everything freed when the process is gone.
#
# Proves, on a socket with max-objects = 2 and max-sessions = 1 (so that
# what a client holds is visible as the socket's quota in use), for
# TCTILdr("swtpm", "path=SOCK") and TCTILdr("mssim", "path=SOCK"):
#   - one process creates a storage primary, a signing key created and
#     loaded under it and an HMAC session, and signs 5 times with the same
#     three handles, each signature verified with the key's public part;
#     with tcti-swtpm that took at least one connection per command (the
#     audit log shows >= 9 connections of that pid, the daemon's connection
#     count grew as much) and the handles stayed valid between them; with
#     tcti-mssim one connection (at most 2 in the audit log, SOCK.ctrl
#     included);
#   - while it lives, no other process can use its handles: ReadPublic,
#     Sign, ContextSave, PolicyGetDigest and FlushContext from a raw
#     connection, from a process talking as tcti-swtpm does (set-locality
#     on SOCK.ctrl, a connection per command), and Esys_TR_FromTPMPublic
#     from pytss over swtpm: and mssim: all get TPM_RC_HANDLE from the
#     proxy (0x000B..8B); its quota is in use (CreatePrimary and
#     StartAuthSession elsewhere are refused with the quota codes);
#   - then it signs 5 times more with the same handles and exits without
#     flushing anything: within the wait, the daemon holds nothing for it
#     and 2 objects and a session can be had again (its were freed);
#   - a process killed with kill -9 while signing in a loop (3 times with
#     tcti-swtpm, with no connection open most of the time, once with
#     tcti-mssim) leaves nothing behind in the same way;
#   - 300 processes talking as tcti-swtpm own resources at once (more than
#     the daemon watches with pidfds, 256): when the last two, holding the
#     socket's 2 objects, exit while the others run, their keys are freed
#     (the periodic sweep saw them go); once all exit the daemon's
#     descriptors are back and it remembers no owner process.
# After each client is gone the daemon (tpmproxyctl status) holds no object,
# session, control connection or owner process.
# Afterwards tpmproxyd exits 0 on SIGTERM and swtpm holds no handles.
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/simlib.sh
. "$(dirname "$0")/simlib.sh"

require_tools
require_pytss
ops_require_ctl
sim_setup "max-objects = 2" "max-sessions = 1"

SIGNS=5
WORKER=("$PYTHON" "$INTEG/sim-pytss-worker.py")

# json_field FILE FIELD
json_field() {
    "$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# wait_file FILE PID WHAT: until FILE exists; fail if PID ends first.
wait_file() {
    local i
    for (( i = 0; i < WAIT * 10; i++ )); do
        [[ -s $1 ]] && return 0
        proc_running "$2" || break
        sleep 0.1
    done
    [[ -s $1 ]] && return 0
    cat "$T/$3.out" >&2 || true
    fail "$3 did not get its keys and session ready"
}

owner_round() {
    local kind=$1 tcti="$1:path=$SOCK" name=$1-owner conns0 conns pid primary key session
    rm -f "$T/$name.ready" "$T/$name.go"
    conns0=$(sim_connections)
    "${WORKER[@]}" owner --tcti "$tcti" --signs "$SIGNS" --name "$name" \
        --ready "$T/$name.ready" --go "$T/$name.go" > "$T/$name.out" 2>&1 &
    local job=$!
    wait_file "$T/$name.ready" "$job" "$name"
    pid=$(json_field "$T/$name.ready" pid)
    primary=$(printf '0x%08x' "$(json_field "$T/$name.ready" primary)")
    key=$(printf '0x%08x' "$(json_field "$T/$name.ready" key)")
    session=$(printf '0x%08x' "$(json_field "$T/$name.ready" session)")
    conns=$(( $(sim_connections) - conns0 ))
    say "$kind: pid $pid holds primary $primary, key $key, session $session after $SIGNS signatures; $conns connections"
    # CreatePrimary, Create, Load, StartAuthSession and the signatures.
    local ncmd=$(( 4 + SIGNS ))
    if [[ $kind == swtpm ]]; then
        (( conns >= ncmd )) || fail "$kind: $ncmd commands over $conns connections: tcti-swtpm opens one per command"
        sim_step "$kind: the audit log counts the owner's connections" \
            audit-connects --pid "$pid" --min "$ncmd"
    else
        sim_step "$kind: the audit log counts the owner's connections" \
            audit-connects --pid "$pid" --min 1 --max 2
    fi

    sim_step "$kind: a raw client uses the owner's handles" \
        intrude --handles "$primary,$key" --session-handles "$session"
    sim_step "$kind: a client talking as tcti-swtpm uses the owner's handles" \
        intrude --per-command --handles "$primary,$key" --session-handles "$session"
    step "$kind: pytss over swtpm: uses the owner's handles" \
        "${WORKER[@]}" intruder --tcti "swtpm:path=$SOCK" --handles "$primary,$key" --name swtpm-intruder
    say "$(cat "$T/step.out")"
    step "$kind: pytss over mssim: uses the owner's handles" \
        "${WORKER[@]}" intruder --tcti "mssim:path=$SOCK" --handles "$primary,$key" --name mssim-intruder
    say "$(cat "$T/step.out")"
    sim_step "$kind: the owner's quota is in use" quota-probe --expect full --objects 2 --sessions 1

    touch "$T/$name.go"
    wait_jobs "$name=$job"
    proc_running "$pid" && fail "$kind: the owner (pid $pid) still runs after it reported"
    sim_step "$kind: the owner's objects and session are freed once it exited" \
        quota-probe --expect free --objects 2 --sessions 1
    sim_wait_idle "$kind: the owner exited"
}

kill_round() {
    local kind=$1 name=$1-loop-$2 pid i
    rm -f "$T/$name.ready"
    "${WORKER[@]}" owner --loop --tcti "$kind:path=$SOCK" --signs 1 --name "$name" \
        --ready "$T/$name.ready" > "$T/$name.out" 2>&1 &
    pid=$!
    wait_file "$T/$name.ready" "$pid" "$name"
    for (( i = 0; i < WAIT * 20; i++ )); do
        [[ $(grep -c '^iteration' "$T/$name.out" || true) -ge 3 ]] && break
        proc_running "$pid" || { cat "$T/$name.out" >&2; fail "$name ended before it was killed"; }
        sleep 0.05
    done
    sleep "0.0$(( RANDOM % 10 ))"
    kill -KILL "$pid"
    local rc=0
    wait "$pid" || rc=$?
    (( rc == 137 )) || { cat "$T/$name.out" >&2; fail "$name ended with status $rc, not by kill -9"; }
    say "$name: killed after $(grep -c '^iteration' "$T/$name.out" || true) loop iterations"
    sim_step "$name: what the killed process held is freed" \
        quota-probe --expect free --objects 2 --sessions 1
    sim_wait_idle "$name: killed"
}

owner_round swtpm
owner_round mssim
for r in 1 2 3; do
    kill_round swtpm "$r"
done
kill_round mssim 1
sim_step "300 owner processes at once, more than get a pidfd" many-owners --count 300
sim_finish

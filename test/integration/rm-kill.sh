#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Resource manager: clients killed with SIGKILL at random points leak nothing and do not disturb the daemon.
#
# Proves: RM_KILL_ROUNDS (4) rounds of RM_KILL_CLIENTS (8) tpm2-pytss
# clients, each holding 2 keys, an HMAC and a policy session and looping
# (Sign with the HMAC session, PolicyPCR, replacing keys and sessions,
# ContextSave/ContextLoad of the policy session), killed with kill -9 at
# random points: half after they reported their keys and sessions ready,
# the others at any time from start-up on, so some die inside a command.
# No client fails before it is killed; the daemon keeps running; afterwards
# a raw client with 4 keys and 2 sessions, a pytss worker and the pytss demo
# client work, and after the daemon exits swtpm holds no transient objects
# and no loaded or saved sessions.
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/rmlib.sh
. "$(dirname "$0")/rmlib.sh"

require_tools
require_pytss
rm_setup

ROUNDS=${RM_KILL_ROUNDS:-4}
CLIENTS=${RM_KILL_CLIENTS:-8}

# wait_ready FILE PID: until the worker printed 'ready'; false if it ended
# first or did not get there within $WAIT seconds.
wait_ready() {
    local file=$1 pid=$2 i
    for (( i = 0; i < WAIT * 20; i++ )); do
        grep -q '^ready' "$file" 2>/dev/null && return 0
        proc_running "$pid" || return 1
        sleep 0.05
    done
    return 1
}

kill_round() {
    local r=$1 i pid name rc ready pids=() names=() killed_ready=0 iterations=0 last
    for (( i = 1; i <= CLIENTS; i++ )); do
        name=r$r-c$i
        "${RM_WORKER[@]}" kill-loop --name "$name" > "$T/$name.out" 2>&1 &
        pids+=("$!")
        names+=("$name")
    done
    for (( i = 0; i < CLIENTS; i++ )); do
        pid=${pids[i]}
        name=${names[i]}
        ready=1
        if (( i % 2 == 1 )); then
            wait_ready "$T/$name.out" "$pid" || ready=0
        fi
        sleep "0.$(( RANDOM % 3 ))$(( RANDOM % 10 ))"
        # $pid must be the worker itself (not a subshell around it).
        if proc_running "$pid" &&
                [[ $(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null) != *rm-pytss-worker* ]]; then
            fail "pid $pid of $name is not the pytss worker: $(tr '\0' ' ' < "/proc/$pid/cmdline")"
        fi
        kill -KILL "$pid" 2>/dev/null || true
        rc=0
        wait "$pid" || rc=$?
        if (( rc != 137 )); then
            cat "$T/$name.out" >&2
            fail "$name ended with status $rc before it was killed"
        fi
        if (( i % 2 == 1 )); then
            (( ready )) || { cat "$T/$name.out" >&2; fail "$name did not get ready within ${WAIT}s"; }
            killed_ready=$(( killed_ready + 1 ))
        fi
        last=$(grep -c '^iteration' "$T/$name.out" || true)
        iterations=$(( iterations + last ))
    done
    proc_running "$DAEMON_PID" || fail "tpmproxyd died during kill round $r"
    say "round $r: $CLIENTS clients killed ($killed_ready while holding keys and sessions; $iterations loop iterations in all)"
}

for (( r = 1; r <= ROUNDS; r++ )); do
    kill_round "$r"
done
rm_step "a raw client after the kills" smoke
step "a pytss worker after the kills" rm_worker kill-loop --name after --iterations 6
say "$(tail -n 1 "$T/step.out")"
step "the pytss demo client after the kills" pytss_client --name after-demo
say "$(tail -n 1 "$T/step.out")"
stop_daemon
check_handles_baseline

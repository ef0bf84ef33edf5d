#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Least privilege: the serving daemon's user, capabilities and seccomp filter, as the kernel reports them.
#
# Proves, from /proc/PID/status of a daemon that serves clients:
# 1. Every thread (the event loop and the TPM thread) is under a seccomp
#    filter (Seccomp: 2) with no_new_privs set: the filter went on after
#    the TPM thread started and covers it (TSYNC).
# 2. No capability is left in any set; started by root, the bounding set
#    is empty too and the daemon runs as tss (uid, gid, no supplementary
#    groups), the default when no user is configured.
# 3. Clients are served with the filter in kill mode: tpm2-tools and a raw
#    client create keys and sign; a SIGHUP reload is survived.
# 4. --seccomp=off leaves the filter out (for debuggers and valgrind);
#    --seccomp with an unknown mode and a configured user that does not
#    exist stop the daemon with a message naming them.
# The rest of the suite runs with the filter on (the default), in the
# ASan build and, through make distcheck, in the release build.
# shellcheck disable=SC2119 # setup and require_tools take optional arguments
set -euo pipefail
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_tools tpm2_getrandom tpm2_createprimary tpm2_create tpm2_load tpm2_sign \
    tpm2_verifysignature
[[ $TPMPROXY_STANDIN != socat ]] || skip "tests the daemon itself"
[[ ${TPMPROXY_VALGRIND:-0} != 1 ]] || skip "valgrind runs the daemon with --seccomp=off"
setup

# status_field PID|PID/task/TID FIELD: one line's value of /proc/.../status.
status_field() {
    awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ +/, ""); print; exit }' \
        "/proc/$1/status"
}

expect_field() {   # expect_field TASK FIELD VALUE
    local got
    got=$(status_field "$1" "$2")
    [[ $got == "$3" ]] || fail "/proc/$1/status $2: '$got', expected '$3'"
}

NO_CAPS=0000000000000000

# ---- 1 and 2: the kernel's view of each thread -------------------------------------------
grep -q "seccomp filter on (kill)" "$T/daemon.log" ||
    fail "the daemon did not log that its seccomp filter is on"
tasks=("/proc/$DAEMON_PID"/task/*)
(( ${#tasks[@]} == 2 )) ||
    fail "expected 2 threads (event loop, TPM), found ${#tasks[@]}"
if [[ -n $DAEMON_USER ]]; then
    uid=$(id -u "$DAEMON_USER")
    gid=$(id -g "$DAEMON_USER")
else
    uid=$(id -u)
    gid=$(id -g)
fi
for task in "${tasks[@]}"; do
    task=${task#/proc/}
    expect_field "$task" Seccomp 2
    expect_field "$task" NoNewPrivs 1
    for set in CapInh CapPrm CapEff CapAmb; do
        expect_field "$task" "$set" "$NO_CAPS"
    done
    expect_field "$task" Uid "$uid $uid $uid $uid"
    expect_field "$task" Gid "$gid $gid $gid $gid"
    if [[ -n $DAEMON_USER ]]; then
        expect_field "$task" CapBnd "$NO_CAPS"
        expect_field "$task" Groups ""
    fi
done
say "${#tasks[@]} threads: Seccomp 2, NoNewPrivs 1, no capabilities, uid $uid gid $gid"

# ---- 3: serving under the filter -----------------------------------------------------------
step "getrandom" tpm2_getrandom --hex 16
step "createprimary" tpm2_createprimary -C o -G ecc -c "$T/primary.ctx"
step "create" tpm2_create -C "$T/primary.ctx" -G ecc -u "$T/key.pub" -r "$T/key.priv"
step "load" tpm2_load -C "$T/primary.ctx" -u "$T/key.pub" -r "$T/key.priv" -c "$T/key.ctx"
echo "signed under seccomp" > "$T/msg"
step "sign" tpm2_sign -c "$T/key.ctx" -g sha256 -o "$T/sig" "$T/msg"
step "verifysignature" tpm2_verifysignature -c "$T/key.ctx" -g sha256 -m "$T/msg" -s "$T/sig"
step "raw create-primary" raw create-primary
kill -HUP "$DAEMON_PID"
step "getrandom after SIGHUP" tpm2_getrandom --hex 16
proc_running "$DAEMON_PID" || fail "the daemon died under its seccomp filter"
stop_daemon
check_handles_baseline

# ---- 4: off, and the daemon's refusals -------------------------------------------------------
start_daemon --seccomp=off
expect_field "$DAEMON_PID" Seccomp 0
step "getrandom without the filter" tpm2_getrandom --hex 16
stop_daemon

rc=0
out=$("$TPMPROXYD" --foreground --tcti "$BACKEND_TCTI" --socket "$T/x.sock" \
    --seccomp=sometimes 2>&1) || rc=$?
(( rc != 0 )) || fail "--seccomp=sometimes was accepted"
[[ $out == *seccomp*sometimes* ]] || fail "--seccomp=sometimes: message '$out'"
[[ ! -e $T/x.sock ]] || fail "--seccomp=sometimes: the socket was created"

printf '[daemon]\ntcti = %s\nuser = no-such-user-here\n[socket "x"]\npath = %s\n' \
    "$BACKEND_TCTI" "$T/x.sock" > "$T/bad-user.conf"
rc=0
out=$("$TPMPROXYD" --foreground --config "$T/bad-user.conf" 2>&1) || rc=$?
(( rc != 0 )) || fail "a config naming an unknown user was accepted"
[[ $out == *no-such-user-here* ]] || fail "unknown user: message '$out'"
say "refused: --seccomp=sometimes, user = no-such-user-here"

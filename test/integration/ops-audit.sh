#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The audit log over a run of mixed clients: every event type, strict JSON, no command parameters, a chain that survives rotation and restarts and breaks where it was tampered with.
#
# Proves (tpm2-tools, tpm2-pytss and raw clients through a daemon with
# audit-log and control-socket; opslib.py checks the log with Python's json
# and hashlib; waits are bounded, no duration is asserted):
#   - events provoked: denied (readonly profile), quota (max-objects,
#     max-sessions, max-connections), rate-limited (rate 1/m, burst 1),
#     malformed (size 9, size 16 MiB), timeout (idle-timeout 1s,
#     partial-timeout 1s), refused (allow-uids, as uid 4242 with setpriv
#     when root), reload (SIGHUP, tpmproxyctl reload twice, and a broken
#     file, both forms of which exit 1), plus start, stop, connect,
#     disconnect, command; a socket removed by a reload closes its client;
#   - the log rotated in the middle (mv; SIGHUP) and again near the end
#     (copytruncate, no signal): each line strict JSON, prev first, the
#     documented fields in their order and formats, chained across the
#     three files from 64 zeros; every connection has exactly
#     one connect and one disconnect; command records carry cc, rc,
#     rc_text, sizes and the group's counts (rhandle of CreatePrimary,
#     virtual handles of Sign, nv_indices after NV_DefineSpace); the secret
#     password, NV data and hash input the clients sent appear in no log,
#     as text, hex or base64;
#   - tpmproxyctl audit-verify --from-start passes over the files, in
#     order, and fails (exit 1) in the wrong order or with one left out,
#     at line 1 of the file after the gap; on copies with one line
#     edited (value, prev, JSON), deleted or two swapped it fails at exactly
#     the FILE:LINE tpmproxyctl(8) documents;
#   - a restarted daemon chains on from the last line; a log ending in a
#     fragment is kept, ended, and followed by an audit-error line chained
#     to it: audit-verify reports the fragment's line, what precedes and
#     what follows it verify on their own.
# After the daemon exits swtpm holds no handles.
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/opslib.sh
. "$(dirname "$0")/opslib.sh"

require_tools tpm2_getrandom tpm2_hash tpm2_createprimary tpm2_create tpm2_load tpm2_sign \
    tpm2_nvdefine tpm2_nvwrite tpm2_nvread tpm2_nvundefine
require_pytss
ops_require_ctl
pol_init
as_root=
if [[ $(id -u) == 0 ]] && command -v setpriv >/dev/null 2>&1; then
    as_root=1
    chmod 0711 "$T"     # uid 4242 reaches uids.sock in $T
fi
mkdir -p "$T/log" "$T/tamper"
give_to_daemon "$T/log"
LOG=$T/log/audit.log
CTL_SOCK=$T/ctl.sock

# What clients send that must never be logged.
SECRET_PW=pw$(random_hex 12)
SECRET_NVPW=nvpw$(random_hex 12)
SECRET_NV=nvdata$(random_hex 12)
SECRET_HASH=hashin$(random_hex 16)
SECRET_PW2=pytsspw$(random_hex 12)
SECRET_DATA2=pytssdata$(random_hex 16)
printf '%s\n' "$SECRET_PW" "$SECRET_NVPW" "$SECRET_NV" "$SECRET_HASH" "$SECRET_PW2" \
    "$SECRET_DATA2" > "$T/secrets"

write_conf() {   # write_conf FILE [gone]
    cat > "$1" <<CONF
[daemon]
tcti = $DTCTI
audit-log = $LOG
control-socket = $CTL_SOCK

[socket "main"]
path = $T/main.sock
max-nv-indices = 1

[socket "ro"]
path = $T/ro.sock
profile = readonly

[socket "q"]
path = $T/q.sock
max-objects = 1
max-sessions = 1
max-connections = 2

[socket "rate"]
path = $T/rate.sock
rate = 1/m
burst = 1

[socket "idle"]
path = $T/idle.sock
idle-timeout = 1s

[socket "part"]
path = $T/part.sock
partial-timeout = 1s
CONF
    if [[ -n $as_root ]]; then
        printf '\n[socket "uids"]\npath = %s\nmode = 0666\nallow-uids = 0\n' \
            "$T/uids.sock" >> "$1"
    fi
    if [[ ${2:-} == gone ]]; then
        printf '\n[socket "gone"]\npath = %s\n' "$T/gone.sock" >> "$1"
    fi
}
write_conf "$CONF" gone
write_conf "$T/v2.conf"
# Broken: an unknown key at line 6.
{ head -n 5 "$T/v2.conf"; echo "no-such-key = 1"; tail -n +6 "$T/v2.conf"; } > "$T/broken.conf"

pol_start

# ---- the first file: tpm2-tools, then the raw security events ----------------------------
NV=0x01500017
printf '%s' "$SECRET_HASH" > "$T/hash.in"
printf '%s' "$SECRET_NV" > "$T/nv.in"
step "tpm2_getrandom" tpm2_getrandom --hex 16
step "tpm2_hash of the secret input" \
    tpm2_hash -C o -g sha256 -o "$T/hash.out" -t "$T/hash.tk" "$T/hash.in"
step "tpm2_createprimary with the secret authValue" \
    tpm2_createprimary -C o -g sha256 -G ecc -p "$SECRET_PW" -c "$T/prim.ctx"
step "tpm2_create (parent authorized by the secret password)" \
    tpm2_create -C "$T/prim.ctx" -P "$SECRET_PW" -G ecc -u "$T/key.pub" -r "$T/key.priv"
step "tpm2_load" tpm2_load -C "$T/prim.ctx" -P "$SECRET_PW" -u "$T/key.pub" -r "$T/key.priv" \
    -c "$T/key.ctx"
step "tpm2_sign" tpm2_sign -c "$T/key.ctx" -g sha256 -o "$T/sig" "$T/hash.in"
step "tpm2_nvdefine with the secret index auth" \
    tpm2_nvdefine -C o -s 32 -a "ownerread|ownerwrite|authread|authwrite" -p "$SECRET_NVPW" "$NV"
step "tpm2_nvwrite of the secret data" tpm2_nvwrite -P "$SECRET_NVPW" -i "$T/nv.in" "$NV"
step "tpm2_nvread" tpm2_nvread -P "$SECRET_NVPW" -s "${#SECRET_NV}" -o "$T/nv.out" "$NV"
cmp -s "$T/nv.in" "$T/nv.out" || fail "tpm2_nvread returned other bytes than were written"
step "tpm2_nvundefine" tpm2_nvundefine -C o "$NV"
say "tpm2-tools: getrandom, hash, createprimary/create/load/sign with a password, NV ok"
ops_step "security events" events --dir "$T" ${as_root:+--as-root}
[[ -n $as_root ]] || say "not root (or no setpriv): the refused event is not provoked"

# ---- rotation, as logrotate does it: mv, then SIGHUP --------------------------------------
mv "$LOG" "$LOG.1"
kill -HUP "$DAEMON_PID"
wait_until "after mv and SIGHUP the daemon did not create a new $LOG" test -e "$LOG"
say "rotated: audit.log -> audit.log.1, SIGHUP"

# ---- the second file: pytss and raw clients, reloads ------------------------------------
ops_step "pytss: a key with the secret password, the secret data signed" \
    pytss-work --tcti "$CLIENT_TCTI" --secret-pw "$SECRET_PW2" --secret-data "$SECRET_DATA2"
ops_step "raw: key, sign, verify, flush" key-sign --sock "$T/main.sock"
ops_step "a reload that removes a socket closes its client" \
    drop-socket --dir "$T" --ctl "$CTL_SOCK" --ctl-bin "$TPMPROXYCTL" --conf "$CONF" \
    --new "$T/v2.conf"
ctl_expect 0 "reload --json" reload --json || true
[[ $(cat "$T/ctl.out") == '{"reloaded":true}' ]] ||
    soft_fail "tpmproxyctl reload --json printed '$(cat "$T/ctl.out")', expected {\"reloaded\":true}"
cp "$T/broken.conf" "$CONF"
ctl_expect 1 "reload of a broken file" reload || true
grep -q '^error: reload failed' "$T/ctl.out" "$T/ctl.err" ||
    soft_fail "tpmproxyctl reload of a broken file said: $(cat "$T/ctl.out" "$T/ctl.err")"
ctl_expect 1 "reload --json of a broken file" reload --json || true
[[ $(cat "$T/ctl.out") == '{"reloaded":false}' ]] ||
    soft_fail "tpmproxyctl reload --json of a broken file printed '$(cat "$T/ctl.out")'"
ops_step "the running configuration was kept" getrandom --sock "$T/main.sock"
cp "$T/v2.conf" "$CONF"
say "reloads: SIGHUP, tpmproxyctl reload (text and --json), broken file refused (exit 1)"

# ---- a second rotation, as logrotate's copytruncate does it (no signal) ----------------------
# The daemon is stopped meanwhile so that no flush falls between the copy
# and the truncation (a race copytruncate has by design).
kill -STOP "$DAEMON_PID"
cp "$LOG" "$LOG.ct"
: > "$LOG"
kill -CONT "$DAEMON_PID"
ops_step "GetRandom after copytruncate" getrandom --sock "$T/main.sock"
say "rotated again: audit.log copied to audit.log.ct and emptied in place"
pol_stop

# ---- the log ------------------------------------------------------------------------------
ops_soft_step "the audit log" audit-check --files "$LOG.1" "$LOG.ct" "$LOG" --secrets "$T/secrets" \
    --conf "$CONF" --log "$T/daemon.log" ${as_root:+--as-root}

# verify FILE... : audit-verify --from-start must pass over them.
verify_ok() {
    local n=0 f out rc=0
    for f in "$@"; do
        n=$(( n + $(wc -l < "$f") ))
    done
    out=$("$TPMPROXYCTL" audit-verify --from-start "$@" 2>&1) || rc=$?
    (( rc == 0 )) || fail "audit-verify --from-start $*: exit $rc: $out"
    [[ $out == "$n lines in $# files verified" ]] ||
        fail "audit-verify --from-start $*: said '$out', expected '$n lines in $# files verified'"
    say "audit-verify: $out"
}
# verify_fails WHERE [ARGS...]: audit-verify ARGS must exit 1 reporting WHERE
# (FILE:LINE) on stderr and print nothing on stdout.
verify_fails() {
    local where=$1 rc=0
    shift
    "$TPMPROXYCTL" audit-verify "$@" > "$T/av.out" 2> "$T/av.err" || rc=$?
    (( rc == 1 )) || fail "audit-verify $*: exit $rc, expected 1 ($(cat "$T/av.out" "$T/av.err"))"
    [[ ! -s $T/av.out ]] || fail "audit-verify $*: printed '$(cat "$T/av.out")' on stdout"
    [[ $(head -n 1 "$T/av.err") == "$where: "* ]] ||
        fail "audit-verify $*: said '$(cat "$T/av.err")', expected it at $where"
}

verify_ok "$LOG.1" "$LOG.ct" "$LOG"
verify_fails "$LOG.1:1" "$LOG.ct" "$LOG.1"       # the wrong order
verify_fails "$LOG:1" "$LOG.1" "$LOG"            # one left out
verify_fails "$LOG:1" --from-start "$LOG"
step "audit-verify of the newer file alone (any first prev)" "$TPMPROXYCTL" audit-verify "$LOG"

ops_step "tampered copies" tamper --src "$LOG.1" --next "$LOG.ct" --out "$T/tamper"
n=0
while IFS='|' read -r name files where; do
    # shellcheck disable=SC2086 # FILES are words
    verify_fails "$where" --from-start $files "$LOG"
    say "tampered ($name): $(cat "$T/av.err")"
    n=$(( n + 1 ))
done < "$T/tamper/cases"
(( n == 6 )) || fail "only $n tampered cases ran"

# ---- restarts: a clean one, then one over a log ending in a fragment ------------------------
pol_start
ops_step "GetRandom after a restart" getrandom --sock "$T/main.sock"
pol_stop
verify_ok "$LOG.1" "$LOG.ct" "$LOG"
say "a restarted daemon chained on from the last line"

before=$(wc -l < "$LOG")
FRAG='{"prev":"00c0ffee","time":"2026-11-25T08:00:00.0'
printf '%s' "$FRAG" >> "$LOG"
pol_start
ops_step "GetRandom after a restart over a fragment" getrandom --sock "$T/main.sock"
pol_stop
frag_at=$(( before + 1 ))
ops_step "the fragment and the audit-error line" audit-fragment "$LOG" --at "$frag_at" \
    --fragment "$FRAG"
verify_fails "$LOG:$frag_at" --from-start "$LOG.1" "$LOG.ct" "$LOG"
head -n "$before" "$LOG" > "$T/before.log"
verify_ok "$LOG.1" "$LOG.ct" "$T/before.log"
tail -n +$(( frag_at + 1 )) "$LOG" > "$T/after.log"
step "audit-verify of the lines after the fragment" "$TPMPROXYCTL" audit-verify "$T/after.log"
say "fragment at $LOG:$frag_at reported; before and after it verify"
check_handles_baseline
ops_done

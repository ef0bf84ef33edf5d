#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# tpmproxyctl status, clients, stats, sockets and reload, as tables and as JSON, against a daemon with clients connected.
#
# Proves (tpm2-pytss and raw clients; opslib.py parses the output):
#   - --control-socket on the command line wins over the file's
#     control-socket; the socket is mode 0600 and goes away with the daemon;
#   - every command's table has its header, rows with the header's number
#     of fields, and each column aligned (by its left or its right edge) in
#     every row, also for a socket named keylime-attestation (19
#     characters, names may have 64); status is aligned key/value lines;
#   - every --json output is one strict JSON document: status names the
#     backend and counts the connections and sockets; clients shows the
#     pytss client (2 keys, 1 HMAC session, held) with objects=2,
#     sessions=1, its pid, uid and socket, and the raw client on the other
#     socket; sockets shows each socket's profile, mode and limits;
#   - stats counters move by exactly what was sent: 3 GetRandom on one
#     socket, a GetRandom and a denied CreatePrimary on the readonly one
#     (commands +3, +2, total +5; denied +1; connections +1 each; TPM
#     commands +4 at least); the tables show the same numbers;
#   - reload prints "configuration reloaded" / {"reloaded":true} and exits
#     0, the held client keeps its keys and session; a broken file makes
#     both forms exit 1 ({"reloaded":false});
#   - a missing control socket: exit 1 and "cannot reach tpmproxyd at
#     PATH" for every command, both forms; a bad option exits 2;
#     TPMPROXY_CONTROL names the socket too.
# After the daemon exits swtpm holds no handles.
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/opslib.sh
. "$(dirname "$0")/opslib.sh"

require_tools
require_pytss
ops_require_ctl
pol_init
CTL_SOCK=$T/ctl.sock
LONG=keylime-attestation

cat > "$CONF" <<CONF
[daemon]
tcti = $DTCTI
control-socket = $T/file-ctl.sock

[socket "main"]
path = $T/main.sock

[socket "ro"]
path = $T/ro.sock
profile = readonly

[socket "$LONG"]
path = $T/ka.sock
profile = attest
mode = 0666
max-connections = 8
max-objects = 4
max-sessions = 2
rate = 200/s
burst = 50
CONF
cp "$CONF" "$T/good.conf"
{ echo "[daemon]"; echo "bogus = 1"; tail -n +2 "$T/good.conf"; } > "$T/broken.conf"

pol_start --control-socket "$CTL_SOCK"
[[ -S $CTL_SOCK ]] || fail "no control socket at $CTL_SOCK (--control-socket)"
[[ ! -e $T/file-ctl.sock ]] || fail "the file's control-socket was created although --control-socket overrides it"
[[ $(stat -c %a "$CTL_SOCK") == 600 ]] || fail "control socket mode $(stat -c %a "$CTL_SOCK"), expected 600"

# ---- clients that hold things ---------------------------------------------------------------
opsc pytss-hold --tcti "proxy:$T/main.sock" --ready "$T/pytss.ready" --go "$T/go" \
    > "$T/pytss-hold.out" 2>&1 &
pytss_job=$!
opsc raw-hold --sock "$T/ka.sock" --ready "$T/raw.ready" --go "$T/go" > "$T/raw-hold.out" 2>&1 &
raw_job=$!
wait_until "the pytss client did not get its keys and session ($(cat "$T/pytss-hold.out" 2>/dev/null))" \
    test -s "$T/pytss.ready"
wait_until "the raw client did not connect" test -s "$T/raw.ready"
pytss_pid=$(cat "$T/pytss.ready")
raw_pid=$(cat "$T/raw.ready")
say "holding: pytss pid $pytss_pid (2 keys, 1 session) on main, raw pid $raw_pid on $LONG"

# ---- status -----------------------------------------------------------------------------------
ctl_save status.txt status
ops_soft_step "status table" table --kind status "$T/status.txt"
ctl_save status.json status --json
ops_soft_step "status --json" json --kind status "$T/status.json" --expect "backend=$DTCTI" \
    --expect sockets=3 --expect connections=2 --expect uptime_s\>=0 --expect tpm_commands\>=1 \
    --expect object_slots\>=1 --expect session_slots\>=1 --expect objects_loaded\<=3 \
    --expect backend_reopens=0
grep -q "^backend  *$DTCTI\$" "$T/status.txt" || soft_fail "status does not show the backend $DTCTI"

# ---- clients ----------------------------------------------------------------------------------
ctl_save clients.txt clients
ops_soft_step "clients table" table --kind clients "$T/clients.txt" --min-rows 2 \
    --expect-row "SOCKET=main,UID=$(id -u),PID=$pytss_pid,OBJECTS=2,SESSIONS=1" \
    --expect-row "SOCKET=$LONG,PID=$raw_pid,OBJECTS=0,SESSIONS=0"
ctl_save clients.json clients --json
ops_soft_step "clients --json" json --kind clients "$T/clients.json" \
    --expect "[pid=$pytss_pid].objects=2" --expect "[pid=$pytss_pid].sessions=1" \
    --expect "[pid=$pytss_pid].socket=main" --expect "[pid=$pytss_pid].uid=$(id -u)" \
    --expect "[pid=$pytss_pid].gid=$(id -g)" --expect "[pid=$pytss_pid].pod=" \
    --expect "[pid=$pytss_pid].commands>=3" \
    --expect "[pid=$raw_pid].socket=$LONG" --expect "[pid=$raw_pid].commands=1"

# ---- stats: counters move by what was sent --------------------------------------------------
stat_of() {   # stat_of FILE PATH: a socket not used yet has no row (0)
    opsc json --kind stats "$1" --get "$2" --default 0 || fail "stats --json: $(cat "$1")"
}
ctl_save stats0.json stats --json
ops_step "3 GetRandom on main" getrandom --sock "$T/main.sock" --count 3
ops_step "GetRandom on ro" getrandom --sock "$T/ro.sock"
ops_step "a denied CreatePrimary on ro" denied --sock "$T/ro.sock"
ctl_save stats1.json stats --json
ops_soft_step "stats --json" json --kind stats "$T/stats1.json"
check_delta() {   # check_delta PATH OP N
    local before after
    before=$(stat_of "$T/stats0.json" "$1")
    after=$(stat_of "$T/stats1.json" "$1")
    if ! compare $(( after - before )) "$2" "$3"; then
        soft_fail "stats: $1 went from $before to $after, expected a change $2 $3"
    fi
}
check_delta 'sockets[socket=main].commands' == 3
check_delta 'sockets[socket=main].connections' == 1
check_delta 'sockets[socket=main].denied' == 0
check_delta 'sockets[socket=ro].commands' == 2
check_delta 'sockets[socket=ro].connections' == 2
check_delta 'sockets[socket=ro].denied' == 1
check_delta 'total.commands' == 5
check_delta 'total.denied' == 1
check_delta 'tpm_commands' '>=' 4
check_delta 'rm_commands' '>=' 4
say "stats --json: commands +3 (main), +2 (ro), +5 (total); denied +1; TPM commands moved"
ctl_save stats.txt stats
ops_soft_step "stats table" table --kind stats "$T/stats.txt" --min-rows 4 \
    --expect-row "SOCKET=main,COMMANDS=$(stat_of "$T/stats1.json" 'sockets[socket=main].commands')" \
    --expect-row "SOCKET=ro,DENIED=$(stat_of "$T/stats1.json" 'sockets[socket=ro].denied')" \
    --expect-row "SOCKET=total,COMMANDS=$(stat_of "$T/stats1.json" 'total.commands')" \
    --expect-row "SOCKET=$LONG"
grep -q '^resource manager: ' "$T/stats.txt" || soft_fail "stats: no 'resource manager:' summary"

# ---- sockets ------------------------------------------------------------------------------------
ctl_save sockets.txt sockets
ops_soft_step "sockets table" table --kind sockets "$T/sockets.txt" --min-rows 3 \
    --expect-row "SOCKET=main,PROFILE=full,PATH=$T/main.sock" \
    --expect-row "SOCKET=ro,PROFILE=readonly,MODE=0660" \
    --expect-row "SOCKET=$LONG,PROFILE=attest,MODE=0666"
ctl_save sockets.json sockets --json
ops_soft_step "sockets --json" json --kind sockets "$T/sockets.json" \
    --expect "[name=main].path=$T/main.sock" --expect "[name=main].profile=full" \
    --expect "[name=ro].profile=readonly" --expect "[name=$LONG].profile=attest" \
    --expect "[name=$LONG].mode=0666" --expect "[name=$LONG].max_connections=8" \
    --expect "[name=$LONG].max_objects=4" --expect "[name=$LONG].max_sessions=2" \
    --expect "[name=$LONG].rate=200" --expect "[name=$LONG].burst=50"

# ---- reload ---------------------------------------------------------------------------------------
if ctl_expect 0 "reload" reload; then
    [[ $(cat "$T/ctl.out") == "configuration reloaded" ]] ||
        soft_fail "reload printed '$(cat "$T/ctl.out" "$T/ctl.err")'"
fi
if ctl_expect 0 "reload --json" reload --json; then
    [[ $(cat "$T/ctl.out") == '{"reloaded":true}' ]] ||
        soft_fail "reload --json printed '$(cat "$T/ctl.out")'"
fi
ctl_save clients2.json clients --json
ops_soft_step "the held client after two reloads" json --kind clients "$T/clients2.json" \
    --expect "[pid=$pytss_pid].objects=2" --expect "[pid=$pytss_pid].sessions=1" \
    --expect "[pid=$raw_pid].socket=$LONG"
cp "$T/broken.conf" "$CONF"
ctl_expect 1 "reload of a broken file" reload || true
grep -q '^error: reload failed' "$T/ctl.out" "$T/ctl.err" ||
    soft_fail "reload of a broken file said '$(cat "$T/ctl.out" "$T/ctl.err")'"
ctl_expect 1 "reload --json of a broken file" reload --json || true
[[ $(cat "$T/ctl.out") == '{"reloaded":false}' ]] ||
    soft_fail "reload --json of a broken file printed '$(cat "$T/ctl.out")'"
cp "$T/good.conf" "$CONF"
say "reload: both forms; the held clients stayed; a broken file answered as an error"

# ---- the clients finish: their keys and session still work --------------------------------------
touch "$T/go"
wait_jobs pytss-hold="$pytss_job" raw-hold="$raw_job"

# ---- command line and a missing socket ---------------------------------------------------------
rc=0
"$TPMPROXYCTL" -c "$CTL_SOCK" status --bogus > /dev/null 2>&1 || rc=$?
(( rc == 2 )) || soft_fail "status --bogus exited $rc, expected 2"
rc=0
TPMPROXY_CONTROL=$CTL_SOCK "$TPMPROXYCTL" sockets --json > "$T/env.json" 2>&1 || rc=$?
(( rc == 0 )) || soft_fail "TPMPROXY_CONTROL=$CTL_SOCK tpmproxyctl sockets --json exited $rc"
unreachable() {   # unreachable PATH: every command must exit 1 saying so
    local path=$1 cmd json rc
    for cmd in status clients stats sockets reload; do
        for json in "" --json; do
            rc=0
            "$TPMPROXYCTL" -c "$path" $cmd $json > "$T/nr.out" 2> "$T/nr.err" || rc=$?
            (( rc == 1 )) || soft_fail "tpmproxyctl -c $path $cmd $json: exit $rc, expected 1"
            grep -q "cannot reach tpmproxyd at $path" "$T/nr.err" ||
                soft_fail "tpmproxyctl -c $path $cmd $json said '$(cat "$T/nr.out" "$T/nr.err")'"
            [[ ! -s $T/nr.out ]] || soft_fail "tpmproxyctl -c $path $cmd $json wrote to stdout"
        done
    done
}
unreachable "$T/no-such.sock"
say "missing control socket: exit 1, 'cannot reach tpmproxyd at PATH' (10 commands)"

pol_stop
[[ ! -e $CTL_SOCK ]] || fail "the daemon left its control socket $CTL_SOCK behind"
unreachable "$CTL_SOCK"
say "after the daemon stopped: control socket gone, tpmproxyctl exits 1"
check_handles_baseline
ops_done

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# /metrics parses as Prometheus text format 0.0.4 and its counters move as commands are served; /healthz follows the TPM, /readyz the daemon.
#
# Proves (curl over the unix-socket form of metrics-listen; opslib.py
# promcheck is a strict parser of the text format: HELP/TYPE lines, metric
# and label name syntax, label value escapes, float values, one group per
# family, every sample in a family declared by TYPE, no duplicate series,
# histograms cumulative and ending in +Inf equal to _count; it must first
# reject 20 known violations; waits are bounded loops, no duration is
# asserted):
#   - /metrics is text/plain; version=0.0.4 and valid, before and after
#     traffic, with the documented families and types;
#   - after 9 commands on one socket (GetRandom x5; CreatePrimary, Sign,
#     VerifySignature, FlushContext) and a GetRandom and a denied
#     CreatePrimary on a readonly one: tpmproxy_commands_total +9 and +2,
#     denied +1, connections +2 each, the duration histogram's _count +9,
#     tpm_commands_total +10 at least; and they equal tpmproxyctl stats;
#   - /healthz and /readyz answer 200 while serving, unknown paths 404,
#     POST is refused;
#   - swtpm stopped: a command gets 0x000B0101, /healthz turns 503 (and
#     tpmproxy_backend_up 0, backend_failures_total >= 1) while /readyz stays
#     200; swtpm started again on its port: the next command succeeds (the
#     daemon reopened the TPM) and /healthz is 200 again;
#   - the metrics socket goes away with the daemon.
# After the daemon exits swtpm holds no handles (checked after the first
# run, and after the second with the restarted swtpm).
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/opslib.sh
. "$(dirname "$0")/opslib.sh"

require_tools curl
command -v curl >/dev/null 2>&1 || skip "curl not installed"
ops_require_ctl
pol_init
MSOCK=$T/metrics.sock
CTL_SOCK=$T/ctl.sock

cat > "$CONF" <<CONF
[daemon]
tcti = $DTCTI
metrics-listen = unix:$MSOCK
control-socket = $CTL_SOCK

[socket "main"]
path = $T/main.sock

[socket "ro"]
path = $T/ro.sock
profile = readonly
CONF

# http PATH NAME [METHOD]: GET (or METHOD) over the metrics socket; the body
# in $T/NAME, the headers in $T/NAME.hdr; prints the status code.
http() {
    curl -sS --max-time 10 --unix-socket "$MSOCK" -X "${3:-GET}" -o "$T/$2" -D "$T/$2.hdr" \
        -w '%{http_code}' "http://localhost$1" 2> "$T/curl.err" || echo "curl-failed"
}
http_is() {   # http_is PATH CODE
    [[ $(http "$1" probe) == "$2" ]]
}
metric() {    # metric FILE SERIES
    opsc promget "$T/$1" "$2" || fail "no $2 in $1"
}
FAMILIES=(--family tpmproxy_backend_up:gauge --family tpmproxy_connections:gauge
    --family tpmproxy_control_connections:gauge --family tpmproxy_owner_processes:gauge
    --family tpmproxy_connections_total:counter --family tpmproxy_commands_total:counter
    --family tpmproxy_denied_total:counter --family tpmproxy_over_quota_total:counter
    --family tpmproxy_rate_limited_total:counter
    --family tpmproxy_command_duration_seconds:histogram
    --family tpmproxy_tpm_commands_total:counter --family tpmproxy_evictions_total:counter
    --family tpmproxy_backend_failures_total:counter
    --family tpmproxy_backend_reopens_total:counter)
scrape() {    # scrape NAME: GET /metrics into $T/NAME and check it strictly
    local code
    code=$(http /metrics "$1")
    [[ $code == 200 ]] || fail "GET /metrics answered $code: $(cat "$T/curl.err" "$T/$1" 2>/dev/null)"
    grep -qi '^content-type: text/plain; version=0\.0\.4' "$T/$1.hdr" ||
        soft_fail "GET /metrics: $(grep -i '^content-type' "$T/$1.hdr" || echo 'no Content-Type')"
    ops_soft_step "/metrics ($1) is text format 0.0.4" promcheck "$T/$1" "${FAMILIES[@]}"
}

ops_step "the checker itself" promcheck-selftest
pol_start
wait_until "the metrics socket $MSOCK did not appear" test -S "$MSOCK"
wait_until "/readyz did not answer 200" http_is /readyz 200
wait_until "/healthz did not answer 200 while the TPM answers" http_is /healthz 200
[[ $(cat "$T/probe") == ok ]] || soft_fail "/healthz said '$(cat "$T/probe")'"
code=$(http /no-such-path notfound)
[[ $code == 404 ]] || soft_fail "GET /no-such-path answered $code, expected 404"
code=$(http /metrics post POST)
[[ $code == 405 || $code == 501 ]] || soft_fail "POST /metrics answered $code, expected 405 or 501"
scrape m0

# ---- traffic: counters move -----------------------------------------------------------------
ops_step "5 GetRandom on main" getrandom --sock "$T/main.sock" --count 5
ops_step "key, sign, verify, flush on main" key-sign --sock "$T/main.sock"
ops_step "GetRandom on ro" getrandom --sock "$T/ro.sock"
ops_step "a denied CreatePrimary on ro" denied --sock "$T/ro.sock"
tpm0=$(metric m0 tpmproxy_tpm_commands_total)
# The TPM thread's counters come from a snapshot taken every second.
tpm_moved() {
    scrape m1 > /dev/null
    (( $(metric m1 tpmproxy_tpm_commands_total) >= tpm0 + 10 ))
}
wait_until "tpmproxy_tpm_commands_total did not move by 10 from $tpm0" tpm_moved
scrape m1
ctl_save stats.json stats --json
delta() {     # delta SERIES OP N
    local before after
    before=$(opsc promget "$T/m0" "$1" 2>/dev/null || echo 0)   # no row before first use
    after=$(metric m1 "$1")
    if ! compare $(( after - before )) "$2" "$3"; then
        soft_fail "$1 went from $before to $after, expected a change $2 $3"
    fi
}
delta 'tpmproxy_commands_total{socket="main"}' == 9
delta 'tpmproxy_commands_total{socket="ro"}' == 2
delta 'tpmproxy_denied_total{socket="ro"}' == 1
delta 'tpmproxy_denied_total{socket="main"}' == 0
delta 'tpmproxy_connections_total{socket="main"}' == 2
delta 'tpmproxy_connections_total{socket="ro"}' == 2
delta 'tpmproxy_command_duration_seconds_count{socket="main"}' == 9
delta 'tpmproxy_command_duration_seconds_bucket{socket="main",le="+Inf"}' == 9
delta 'tpmproxy_command_duration_seconds_count{socket="ro"}' '>=' 1
delta tpmproxy_tpm_commands_total '>=' 10
[[ $(metric m1 tpmproxy_backend_up) == 1 ]] || soft_fail "tpmproxy_backend_up is not 1 while serving"
[[ $(metric m1 tpmproxy_connections) == 0 ]] || soft_fail "tpmproxy_connections is not 0 when all closed"
[[ $(metric m1 tpmproxy_control_connections) == 0 ]] || soft_fail "tpmproxy_control_connections is not 0 when all closed"
for s in main ro; do
    for pair in commands_total:commands denied_total:denied connections_total:connections; do
        want=$(opsc json --kind stats "$T/stats.json" --get "sockets[socket=$s].${pair#*:}")
        got=$(metric m1 "tpmproxy_${pair%%:*}{socket=\"$s\"}")
        [[ $got == "$want" ]] ||
            soft_fail "tpmproxy_${pair%%:*}{socket=\"$s\"} is $got, tpmproxyctl stats says $want"
    done
done
say "counters: commands +9/+2, denied +1, histogram count +9, TPM commands +10; equal to stats"
http_is /readyz 200 || soft_fail "/readyz is not 200 while serving"
http_is /healthz 200 || soft_fail "/healthz is not 200 while serving"
pol_stop
[[ ! -e $MSOCK ]] || fail "the daemon left its metrics socket $MSOCK behind"
check_handles_baseline

# ---- the TPM goes away and comes back --------------------------------------------------------
pol_start
wait_until "the metrics socket $MSOCK did not appear" test -S "$MSOCK"
wait_until "/healthz did not answer 200 after the restart" http_is /healthz 200
port=${DTCTI##*port=}
# shellcheck disable=SC2154 # set by lib.sh
"$top_srcdir/swtpm-ci/swtpm-stop" "$T/swtpm" > /dev/null || fail "swtpm-stop failed"
ops_step "a command while swtpm is stopped" getrandom --sock "$T/main.sock" --expect-rc 0x000b0101
wait_until "/healthz did not turn 503 after the TPM failed" http_is /healthz 503
say "swtpm stopped: the command got 0x000b0101, /healthz 503"
http_is /readyz 200 || soft_fail "/readyz is not 200 while the daemon serves (TPM down)"
scrape m2
[[ $(metric m2 tpmproxy_backend_up) == 0 ]] || soft_fail "tpmproxy_backend_up is not 0 with the TPM down"
(( $(metric m2 tpmproxy_backend_failures_total) >= 1 )) ||
    soft_fail "tpmproxy_backend_failures_total did not count the failure"
tcti=$(SWTPM_PORT=$port "$top_srcdir/swtpm-ci/swtpm-start" "$T/swtpm") || fail "swtpm-start failed"
BACKEND_TCTI=$tcti
if [[ $tcti == "$DTCTI" ]]; then
    ops_step "a command once swtpm is back" getrandom --sock "$T/main.sock"
    wait_until "/healthz did not turn 200 again once the TPM answered" http_is /healthz 200
    scrape m3
    (( $(metric m3 tpmproxy_backend_reopens_total) >= 1 )) ||
        soft_fail "tpmproxy_backend_reopens_total did not count the reopen"
    say "swtpm back on port $port: the daemon reopened it, /healthz 200"
else
    say "swtpm came back on another port ($tcti): recovery not checked"
fi
pol_stop
check_handles_baseline
ops_done

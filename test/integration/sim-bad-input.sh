#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Bad input in the simulator framing on SOCK and on SOCK.ctrl: a TPM error or a closed connection, nothing reaching the TPM, nothing leaked.
#
# Proves (raw sockets; a relay in front of swtpm logs every command that
# reaches the TPM; SOCK has partial-timeout 60s, so a frame the daemon
# waits for instead of refusing fails the client's 30 s wait, and a second
# socket "slow" has partial-timeout 1s):
#   - data socket: simulator codes other than send-command (platform codes,
#     undefined ones, 0x00ffffff, 0x12345678, 0xffffffff), a length that
#     lies (10 or 11 for a 12-byte command, 13 or 20 with padding, 0,
#     5, 9, 0x80000000, 0xffffffff, 65536, 4097 for
#     a 4097-byte command, a command whose own size field is 0xffffffff),
#     localities 1-4, 0x80, 0xff: each gets a TPM error response (framed or
#     bare) or a close, and none reaches the TPM; a framed TPM2_Shutdown
#     does not reach it either;
#   - one framing per connection: a simulator frame then raw bytes, raw
#     bytes then a simulator frame: the second is refused or closed;
#     SESSION_END closes at once, also after a command, and what follows
#     it is not executed;
#   - frames cut off (3 bytes, the 9-byte prefix, half a command, 100
#     bytes of a 4096-byte command) and then silence are closed after the
#     1 s partial-timeout (not before 0.5 s), and so are a set-locality
#     without its byte and a short HASH_DATA on SOCK.ctrl; frames cut off
#     and closed by the client harm nothing;
#   - SOCK.ctrl: garbage (random, zeros, all ones, HTTP, a TPM command) is
#     answered with at most a status and closed; HASH_DATA and SET_STATEBLOB
#     lengths of 0xffffffff, 0x80000000 and 4097 are refused and closed
#     without waiting for the data (the daemon's RSS grows < 64 MiB); a
#     4096-byte HASH_DATA is consumed exactly (the next command is
#     understood) or closed;
#   - 1,000 connections sending SOCK.ctrl garbage, 50 at a time (a quarter
#     vanishing without reading): every one closed by the daemon, none
#     reaching the TPM;
#   - a SOCK.ctrl peer that pipelines 128 MiB of POWER_ON and never reads
#     the answers: the daemon stops reading or drops it, growing by at most
#     64 MiB (it must not queue 4 bytes of answer per 4 bytes sent);
# afterwards the daemon serves tpm2_getrandom over mssim:, swtpm: and
# proxy:, its open descriptors (tpmproxyctl status open_fds) are back to
# what they were before the abuse, it holds no object or session, exits 0
# on SIGTERM, and swtpm holds no handles.
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/simlib.sh
. "$(dirname "$0")/simlib.sh"

require_tools tpm2_getrandom
ops_require_ctl
sim_setup "partial-timeout = 60s" \
    '[socket "slow"]' "path = @T@/slow.sock" "partial-timeout = 1s"

fds0=$(sim_status open_fds)
say "the daemon has $fds0 descriptors open before the abuse"

sim_step "bad frames on the data socket" bad-data
sim_step "frames cut off (partial-timeout 1s)" partial --sock "$T/slow.sock" --timeout 1
sim_step "garbage on SOCK.ctrl" bad-ctrl
sim_step "1000 garbage connections to SOCK.ctrl" ctrl-flood --count 1000
sim_step "a SOCK.ctrl peer that never reads" ctrl-noread --mib 128

proc_running "$DAEMON_PID" || fail "tpmproxyd died"
step "tpm2_getrandom (mssim:)" tpm2_getrandom -T "mssim:path=$SOCK" --hex 8
step "tpm2_getrandom (swtpm:)" tpm2_getrandom -T "swtpm:path=$SOCK" --hex 8
step "tpm2_getrandom (proxy:)" tpm2_getrandom -T "$CLIENT_TCTI" --hex 8
step "tpm2_getrandom (mssim:, the slow socket)" tpm2_getrandom -T "mssim:path=$T/slow.sock" --hex 8
say "tpm2_getrandom over mssim:, swtpm: and proxy: ok"

fds_back() {
    (( $(sim_status open_fds) <= fds0 ))
}
i=0
while ! fds_back; do
    (( ++i < WAIT * 10 )) || fail "the daemon holds $(sim_status open_fds) descriptors, $fds0 before the abuse (waited ${WAIT}s)"
    sleep 0.1
done
say "the daemon's descriptors are back to $(sim_status open_fds) (were $fds0)"
sim_wait_idle "after the bad input"
sim_finish

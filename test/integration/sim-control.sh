#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The control channel SOCK.ctrl: every simulator platform and swtpm control command a client can send leaves the real TPM untouched.
#
# Proves (a relay in front of swtpm logs every command that reaches the TPM;
# the daemon's own count of TPM commands too):
#   - SOCK.ctrl exists with SOCK's owner, group and mode (0666 configured);
#   - a raw client holds a loaded key, has extended PCR 16 and read the
#     TPM's resetCount/restartCount; then, from another process, every
#     MS-simulator platform command (power on/off, phys-pres on/off, hash
#     start/data/end, send-command with a TPM2_Shutdown inside, cancel
#     on/off, NV on/off, key cache on/off, remote handshake, alternative
#     result, reset, restart, session end, stop, command/response sizes,
#     ACT, failure mode, unknown codes) on connections opened as
#     tcti-mssim opens them, and every swtpm control command (set locality
#     0/1/3/4/255, get capability, init, shutdown, established bit, hash
#     start/data/end, cancel, store volatile, state blobs, config, data fd,
#     buffer size, info, lock storage, stop, unknown codes) on connections
#     opened as tcti-swtpm opens them: mssim answers are u32 0 or a close
#     (after a non-zero status), power-on/off, NV-on and cancel are answered
#     0; swtpm answers start with ptm_res: set-locality 0, get-capability
#     (8 bytes), init and shutdown succeed, other localities, hashing and
#     state blobs are refused; a TPM command sent to SOCK.ctrl is refused;
#   - none of it reached the TPM (tap: 0 commands; tpmproxyctl status
#     tpm_commands unchanged); afterwards the held key still signs, PCR 16
#     has its value and resetCount/restartCount are unchanged: no reset,
#     restart or power cycle happened;
#   - a key saved by tpm2_createprimary/tpm2_load over swtpm:path=SOCK
#     before the commands signs with tpm2_sign over mssim:path=SOCK after;
#     tpm2_getrandom works over both.
# Afterwards tpmproxyd exits 0 on SIGTERM, removes SOCK and SOCK.ctrl, and
# swtpm holds no handles.
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/simlib.sh
. "$(dirname "$0")/simlib.sh"

require_tools tpm2_getrandom tpm2_createprimary tpm2_create tpm2_load tpm2_sign \
    tpm2_verifysignature
ops_require_ctl
sim_setup "mode = 0666"
sim_same_owner_mode

step "tpm2_createprimary (swtpm:)" \
    tpm2_createprimary -T "swtpm:path=$SOCK" -C o -G ecc -c "$T/primary.ctx"
step "tpm2_create (swtpm:)" \
    tpm2_create -T "swtpm:path=$SOCK" -C "$T/primary.ctx" -G ecc -u "$T/key.pub" -r "$T/key.priv"
step "tpm2_load (swtpm:)" \
    tpm2_load -T "swtpm:path=$SOCK" -C "$T/primary.ctx" -u "$T/key.pub" -r "$T/key.priv" \
    -c "$T/key.ctx"
sim_wait_idle "the tools before the control commands"

sim_step "every control command on SOCK.ctrl, a key held meanwhile" control

echo "signed after the control commands" > "$T/msg"
step "tpm2_sign (mssim:) with the key saved before" \
    tpm2_sign -T "mssim:path=$SOCK" -c "$T/key.ctx" -g sha256 -o "$T/sig" "$T/msg"
step "tpm2_verifysignature (swtpm:)" \
    tpm2_verifysignature -T "swtpm:path=$SOCK" -c "$T/key.ctx" -g sha256 -m "$T/msg" -s "$T/sig"
step "tpm2_getrandom (mssim:)" tpm2_getrandom -T "mssim:path=$SOCK" --hex 8
step "tpm2_getrandom (swtpm:)" tpm2_getrandom -T "swtpm:path=$SOCK" --hex 8
say "the key saved before signs after; tpm2_getrandom over mssim: and swtpm: ok"
proc_running "$DAEMON_PID" || fail "tpmproxyd died"
sim_finish

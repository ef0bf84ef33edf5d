#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Stock tpm2-tools through tpmproxyd with the simulator TCTIs a user writes: -T mssim:path=SOCK and -T swtpm:path=SOCK.
#
# Proves, for each of the two TCTI strings (stock tcti-mssim, which speaks the
# simulator framing on SOCK and power-on/NV-on on SOCK.ctrl; stock
# tcti-swtpm, which sends set-locality on SOCK.ctrl and opens one raw
# connection per command), one process per command as a shell user works:
#   - tpm2_getrandom prints the bytes asked for;
#   - tpm2_createprimary, tpm2_create, tpm2_load, tpm2_sign and
#     tpm2_verifysignature, each its own process handing the next a context
#     file; a tampered message is rejected;
#   - a policy session: tpm2_startauthsession --policy-session,
#     tpm2_policypcr (a 32-byte digest), tpm2_flushcontext;
#   - an object sealed to PCR 16 (tpm2_createpolicy --policy-pcr,
#     tpm2_create -L -i): tpm2_unseal -p pcr:... gives the secret back; a
#     policy session saved to a file by one process, satisfied by a second
#     and used by a third (tpm2_unseal -p session:FILE) unseals it too;
#     after tpm2_pcrextend 16 the unseal is refused;
#   - the commands went through the daemon (its connection count grew, the
#     TPM tap saw them), and once the tools are gone the daemon holds no
#     loaded object or session for them (bounded wait: with tcti-swtpm they
#     belong to each tool's process and are freed when it has exited).
# SOCK.ctrl has SOCK's owner and mode. Afterwards tpmproxyd exits 0 on
# SIGTERM, removes both sockets, and swtpm holds no handles.
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/simlib.sh
. "$(dirname "$0")/simlib.sh"

require_tools tpm2_getrandom tpm2_createprimary tpm2_create tpm2_load tpm2_sign \
    tpm2_verifysignature tpm2_startauthsession tpm2_policypcr tpm2_flushcontext \
    tpm2_pcrread tpm2_createpolicy tpm2_unseal tpm2_pcrextend
ops_require_ctl
sim_setup
sim_same_owner_mode

# tools_round TCTI LABEL: the whole tool sequence with TPM2TOOLS_TCTI=TCTI,
# files in $T/LABEL.
tools_round() {
    local tcti=$1 label=$2 d=$T/$2 conns0 tap0 conns tapn pcr secret
    mkdir -p "$d"
    export TPM2TOOLS_TCTI=$tcti
    conns0=$(sim_connections)
    tap0=$(sim_tap_mark)

    step "$label: tpm2_getrandom 16" tpm2_getrandom --hex 16
    [[ $(cat "$T/step.out") =~ ^[0-9a-f]{32}$ ]] ||
        fail "$label: tpm2_getrandom 16 printed '$(cat "$T/step.out")', expected 32 hex digits"

    step "$label: tpm2_createprimary" \
        tpm2_createprimary -C o -g sha256 -G ecc -c "$d/primary.ctx"
    step "$label: tpm2_create (ECC signing key)" \
        tpm2_create -C "$d/primary.ctx" -G ecc -u "$d/key.pub" -r "$d/key.priv"
    step "$label: tpm2_load" \
        tpm2_load -C "$d/primary.ctx" -u "$d/key.pub" -r "$d/key.priv" -c "$d/key.ctx"
    echo "signed through tpmproxyd with $tcti" > "$d/msg"
    step "$label: tpm2_sign" tpm2_sign -c "$d/key.ctx" -g sha256 -o "$d/sig" "$d/msg"
    step "$label: tpm2_verifysignature" \
        tpm2_verifysignature -c "$d/key.ctx" -g sha256 -m "$d/msg" -s "$d/sig"
    echo "tampered" >> "$d/msg"
    step_fails "$label: tpm2_verifysignature of a tampered message" \
        tpm2_verifysignature -c "$d/key.ctx" -g sha256 -m "$d/msg" -s "$d/sig"
    say "$label: getrandom, createprimary/create/load/sign/verifysignature ok (tampered rejected)"

    step "$label: tpm2_startauthsession --policy-session" \
        tpm2_startauthsession --policy-session -S "$d/session.ctx"
    step "$label: tpm2_policypcr" \
        tpm2_policypcr -S "$d/session.ctx" -l sha256:16 -L "$d/policy.digest"
    [[ $(stat -c %s "$d/policy.digest") -eq 32 ]] ||
        fail "$label: tpm2_policypcr wrote a $(stat -c %s "$d/policy.digest")-byte digest, expected 32"
    step "$label: tpm2_flushcontext (policy session)" tpm2_flushcontext "$d/session.ctx"
    say "$label: startauthsession/policypcr/flushcontext ok"

    step "$label: tpm2_pcrread sha256:16" tpm2_pcrread -o "$d/pcr16.bin" sha256:16
    pcr=$(od -An -tx1 "$d/pcr16.bin" | tr -d ' \n')
    step "$label: tpm2_createpolicy --policy-pcr" \
        tpm2_createpolicy --policy-pcr -l sha256:16 -f "$d/pcr16.bin" -L "$d/seal.policy"
    secret=$(random_hex 16)
    printf '%s' "$secret" > "$d/secret"
    step "$label: tpm2_create (sealed to PCR 16)" \
        tpm2_create -C "$d/primary.ctx" -L "$d/seal.policy" -i "$d/secret" \
        -u "$d/seal.pub" -r "$d/seal.priv"
    step "$label: tpm2_load (sealed object)" \
        tpm2_load -C "$d/primary.ctx" -u "$d/seal.pub" -r "$d/seal.priv" -c "$d/seal.ctx"
    step "$label: tpm2_unseal -p pcr:sha256:16" \
        tpm2_unseal -c "$d/seal.ctx" -p pcr:sha256:16 -o "$d/unsealed"
    cmp -s "$d/secret" "$d/unsealed" || fail "$label: tpm2_unseal returned other bytes than were sealed"
    # One session, three processes: started and saved, satisfied, used.
    step "$label: tpm2_startauthsession (for the unseal)" \
        tpm2_startauthsession --policy-session -S "$d/unseal.ctx"
    step "$label: tpm2_policypcr on the saved session" \
        tpm2_policypcr -S "$d/unseal.ctx" -l sha256:16
    step "$label: tpm2_unseal -p session:FILE" \
        tpm2_unseal -c "$d/seal.ctx" -p "session:$d/unseal.ctx" -o "$d/unsealed2"
    cmp -s "$d/secret" "$d/unsealed2" ||
        fail "$label: tpm2_unseal with the saved session returned other bytes than were sealed"
    step "$label: tpm2_flushcontext (unseal session)" tpm2_flushcontext "$d/unseal.ctx"
    step "$label: tpm2_pcrextend 16" tpm2_pcrextend "16:sha256=$(random_hex 32)"
    step_fails "$label: tpm2_unseal after PCR 16 changed" \
        tpm2_unseal -c "$d/seal.ctx" -p pcr:sha256:16
    say "$label: sealed to PCR 16 (was ${pcr:0:16}...): unsealed with pcr: and with a session saved across 3 processes, refused after pcrextend"

    conns=$(( $(sim_connections) - conns0 ))
    tapn=$(( $(sim_tap_mark) - tap0 ))
    (( conns >= 21 )) || fail "$label: the daemon counted $conns connections for 21 tool runs"
    (( tapn > 0 )) || fail "$label: no command reached the TPM through the daemon"
    sim_wait_idle "$label: after the tools exited"
    say "$label: $conns connections, $tapn commands reached the TPM; nothing held once the tools had exited"
}

tools_round "mssim:path=$SOCK" mssim
tools_round "swtpm:path=$SOCK" swtpm
sim_finish

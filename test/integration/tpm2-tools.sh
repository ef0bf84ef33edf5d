#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# tpm2-tools through tpmproxyd with TCTI proxy: one process per command, as a shell user works.
#
# Proves: random, primary/child keys across processes (create/load/sign/
# verify; a tampered message is rejected), PCR read, an NV index life cycle,
# a policy session saved and reloaded across three processes, and that the
# daemon flushes what each tool left loaded: tpm2-tools never flush their
# transient objects, so without the proxy's flush swtpm's 3 object slots run
# out by tpm2_load, and after the daemon exits swtpm holds no handles, not
# even a session a tool saved and nobody flushed.
# shellcheck disable=SC2119 # setup and require_tools take optional arguments
set -euo pipefail
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_tools tpm2_getrandom tpm2_createprimary tpm2_create tpm2_load tpm2_sign \
    tpm2_verifysignature tpm2_pcrread tpm2_nvdefine tpm2_nvwrite tpm2_nvread \
    tpm2_nvundefine tpm2_startauthsession tpm2_policypcr tpm2_flushcontext
setup

NV_INDEX=0x01500016

test_random() {
    step "tpm2_getrandom 16" tpm2_getrandom --hex 16
    [[ $(cat "$T/step.out") =~ ^[0-9a-f]{32}$ ]] ||
        fail "tpm2_getrandom 16 printed '$(cat "$T/step.out")', expected 32 hex digits"
    say "getrandom ok"
}

test_keys() {
    step "tpm2_createprimary (ECC, owner)" \
        tpm2_createprimary -C o -g sha256 -G ecc -c "$T/primary.ctx"
    step "tpm2_create (ECC signing key)" \
        tpm2_create -C "$T/primary.ctx" -G ecc -u "$T/key.pub" -r "$T/key.priv"
    step "tpm2_load" \
        tpm2_load -C "$T/primary.ctx" -u "$T/key.pub" -r "$T/key.priv" -c "$T/key.ctx"
    echo "message signed through tpmproxyd" > "$T/msg"
    step "tpm2_sign" tpm2_sign -c "$T/key.ctx" -g sha256 -o "$T/sig" "$T/msg"
    step "tpm2_verifysignature" \
        tpm2_verifysignature -c "$T/key.ctx" -g sha256 -m "$T/msg" -s "$T/sig"
    echo "tampered" >> "$T/msg"
    step_fails "tpm2_verifysignature of a tampered message" \
        tpm2_verifysignature -c "$T/key.ctx" -g sha256 -m "$T/msg" -s "$T/sig"
    say "createprimary/create/load/sign/verifysignature ok"
}

test_pcr() {
    step "tpm2_pcrread sha256:0,1,2" tpm2_pcrread sha256:0,1,2
    grep -q '^  sha256:' "$T/step.out" ||
        fail "tpm2_pcrread printed no sha256 bank: $(cat "$T/step.out")"
    [[ $(grep -c '^ *[0-2] *: 0x' "$T/step.out") -eq 3 ]] ||
        fail "tpm2_pcrread did not list PCRs 0-2: $(cat "$T/step.out")"
    say "pcrread ok"
}

test_nv() {
    head -c 32 /dev/urandom > "$T/nv.in"
    step "tpm2_nvdefine $NV_INDEX" \
        tpm2_nvdefine -C o -s 32 -a "ownerread|ownerwrite" "$NV_INDEX"
    step "tpm2_nvwrite" tpm2_nvwrite -C o -i "$T/nv.in" "$NV_INDEX"
    step "tpm2_nvread" tpm2_nvread -C o -s 32 -o "$T/nv.out" "$NV_INDEX"
    cmp -s "$T/nv.in" "$T/nv.out" || fail "tpm2_nvread returned other bytes than were written"
    step "tpm2_nvundefine" tpm2_nvundefine -C o "$NV_INDEX"
    step_fails "tpm2_nvread after nvundefine" tpm2_nvread -C o -s 32 "$NV_INDEX"
    say "nvdefine/nvwrite/nvread/nvundefine ok"
}

test_policy_session() {
    step "tpm2_startauthsession --policy-session" \
        tpm2_startauthsession --policy-session -S "$T/session.ctx"
    step "tpm2_policypcr" \
        tpm2_policypcr -S "$T/session.ctx" -l sha256:0,1 -L "$T/policy.digest"
    [[ $(stat -c %s "$T/policy.digest") -eq 32 ]] ||
        fail "tpm2_policypcr wrote a $(stat -c %s "$T/policy.digest")-byte digest, expected 32"
    step "tpm2_flushcontext (policy session)" tpm2_flushcontext "$T/session.ctx"
    say "startauthsession/policypcr/flushcontext ok"
}

# A session saved by one tool and never flushed (a script that died): the
# daemon keeps it for later tools, and flushes it when it exits.
test_abandoned_session() {
    step "tpm2_startauthsession (abandoned)" \
        tpm2_startauthsession --policy-session -S "$T/abandoned.ctx"
    step "tpm2_policypcr on the abandoned session" \
        tpm2_policypcr -S "$T/abandoned.ctx" -l sha256:0
    say "abandoned saved session left for the daemon to flush"
}

test_random
test_keys
test_pcr
test_nv
test_policy_session
test_abandoned_session
stop_daemon
check_handles_baseline

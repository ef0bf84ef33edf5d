#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# clevis's tpm2 pin through tpmproxyd, as a user runs it: a secret sealed by the TPM and unsealed again.
#
# Proves, through proxy:SOCK and through the stock mssim:path=SOCK, alone
# and two at once (consumerlib.sh): `clevis encrypt tpm2 '{}'` and `clevis
# decrypt` give the secret back, and so do they with the secret bound to
# PCR 7 of the sha256 bank. Alone, also: after PCR 7 is extended the
# PCR-bound secret no longer decrypts (the policy is the TPM's) while the
# unbound one still does, and with a TCTI that reaches no TPM neither
# decrypts. Afterwards the daemon exits 0 and swtpm holds no transient
# object or session. clevis's tpm2 pin runs tpm2-tools (a process, so a
# connection, per command) with TPM2TOOLS_TCTI.
# shellcheck disable=SC2119,SC2031 # require_tools takes optional arguments;
# the flows run in subshells that consumerlib.sh sets TCTI, FLOW_NAME and FLOW_MODE in
set -euo pipefail
# shellcheck source=test/integration/consumerlib.sh
. "$(dirname "$0")/consumerlib.sh"

require_tools tpm2_createprimary tpm2_create tpm2_load tpm2_unseal tpm2_pcrread \
    tpm2_pcrextend tpm2_createpolicy tpm2_flushcontext
require_command clevis clevis
require_command clevis-tpm2 clevis-encrypt-tpm2
require_command clevis-tpm2 clevis-decrypt-tpm2

PCR_POLICY='{"pcr_bank":"sha256","pcr_ids":"7"}'

# seal NAME CONFIG: encrypt a secret of this flow with the tpm2 pin.
seal() {
    echo "secret of $FLOW_NAME ($1)" > "$1.secret"
    echo "\$ clevis encrypt tpm2 '$2' < $1.secret > $1.jwe"
    clevis encrypt tpm2 "$2" < "$1.secret" > "$1.jwe"
}

# unseal NAME: clevis decrypt must give the secret back.
unseal() {
    echo "\$ clevis decrypt < $1.jwe"
    clevis decrypt < "$1.jwe" > "$1.out"
    cmp -s "$1.out" "$1.secret" ||
        flow_fail "clevis decrypt of $1.jwe gave '$(cat "$1.out")', not '$(cat "$1.secret")'"
}

# unseal_fails NAME WHY: clevis decrypt must fail.
unseal_fails() {
    echo "\$ clevis decrypt < $1.jwe ($2: must fail)"
    if clevis decrypt < "$1.jwe" > "$1.out"; then
        flow_fail "clevis decrypt of $1.jwe succeeded $2"
    fi
}

clevis_flow() {
    export TPM2TOOLS_TCTI=$TCTI
    seal plain '{}'
    unseal plain
    seal pcr "$PCR_POLICY"
    unseal pcr
    [[ $FLOW_MODE == alone ]] || return 0
    # Only alone: extending PCR 7 would break a PCR-bound secret of a
    # flow running at the same time.
    TPM2TOOLS_TCTI="proxy:$PWD/nothing.sock" unseal_fails plain "without a TPM"
    run tpm2_pcrextend "7:sha256=$(printf '%064x' 1)"
    unseal_fails pcr "after PCR 7 changed"
    unseal plain
}

consumer_rounds clevis_flow proxy mssim

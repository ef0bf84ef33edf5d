#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# tpm2-pkcs11 through tpmproxyd, as a user runs it: tpm2_ptool makes a token and keys, pkcs11-tool signs.
#
# Proves, through proxy:SOCK and through the stock mssim:path=SOCK, alone
# and two at once (consumerlib.sh), each flow with its own store
# (TPM2_PKCS11_STORE in its directory): `tpm2_ptool init` (alone: a
# persistent primary, as by default, evicted at the end; together: a
# transient primary, so the two do not race for one persistent handle),
# `addtoken` and `addkey` (ECC P-256 and RSA-2048); then `pkcs11-tool
# --module libtpm2_pkcs11.so.1 --sign` with each key, and plain openssl
# verifies each signature against the public key pkcs11-tool exported and
# rejects a tampered message. Afterwards the daemon exits 0 and swtpm holds
# no transient object or session. TCTI: TPM2_PKCS11_TCTI for the module;
# tpm2_ptool runs tpm2-tools, which read TPM2TOOLS_TCTI.
# shellcheck disable=SC2119,SC2031 # require_tools takes optional arguments;
# the flows run in subshells that consumerlib.sh sets TCTI, FLOW_NAME and FLOW_MODE in
set -euo pipefail
# shellcheck source=test/integration/consumerlib.sh
. "$(dirname "$0")/consumerlib.sh"

require_tools openssl tpm2_evictcontrol
require_command libtpm2-pkcs11-tools tpm2_ptool
require_command opensc pkcs11-tool
MODULE=
for m in /usr/lib/*-linux-gnu/libtpm2_pkcs11.so.1 /usr/lib64/libtpm2_pkcs11.so.1 \
         /usr/lib/libtpm2_pkcs11.so.1; do
    [[ -e $m ]] && { MODULE=$m; break; }
done
[[ -n $MODULE ]] || skip "libtpm2_pkcs11.so.1 not found (apt-get install libtpm2-pkcs11-1)"
export MODULE

USERPIN=1234
SOPIN=87654321

# persistent_handles: the TPM's persistent handles, one per line.
persistent_handles() {
    tpm2_getcap handles-persistent | sed -n 's/^- \(0x[0-9a-fA-F]*\)$/\1/p'
}

# p11 ARGS...: pkcs11-tool on this flow's token.
p11() {
    run pkcs11-tool --module "$MODULE" --token-label "$FLOW_NAME" "$@"
}

# add_key LABEL ALGORITHM: tpm2_ptool addkey; sets KEY_ID to the key's
# CKA_ID in hex (pkcs11-tool picks the key to sign with by --id only).
add_key() {
    run tpm2_ptool addkey --label="$FLOW_NAME" --userpin="$USERPIN" --algorithm="$2" \
        --key-label="$1" --path "$TPM2_PKCS11_STORE" | tee "addkey-$1.out"
    KEY_ID=$(sed -n "s/^  CKA_ID: '\([0-9a-fA-F]*\)'$/\1/p" "addkey-$1.out" | head -n 1)
    [[ -n $KEY_ID ]] || flow_fail "tpm2_ptool addkey printed no CKA_ID"
}

# sign_and_verify LABEL ID MECHANISM: sign with the token's key ID, verify
# with openssl against the public key read from the token.
sign_and_verify() {
    local label=$1 id=$2 mech=$3
    echo "message signed by $FLOW_NAME with $label" > msg
    p11 --login --pin "$USERPIN" --sign --mechanism "$mech" --id "$id" \
        --input-file msg --output-file "$label.sig" --signature-format openssl
    p11 --read-object --type pubkey --id "$id" --output-file "$label.pub.der"
    run openssl pkey -pubin -inform DER -in "$label.pub.der" -out "$label.pub.pem"
    run openssl dgst -sha256 -verify "$label.pub.pem" -signature "$label.sig" msg
    echo "tampered" >> msg
    echo "\$ openssl dgst -verify ... (a tampered message: must fail)"
    if openssl dgst -sha256 -verify "$label.pub.pem" -signature "$label.sig" msg; then
        flow_fail "$label: a signature verified over a tampered message"
    fi
}

pkcs11_flow() {
    local before after primary="" ec_id rsa_id
    export TPM2_PKCS11_TCTI=$TCTI TPM2TOOLS_TCTI=$TCTI
    export TPM2_PKCS11_STORE=$PWD/store
    mkdir store
    if [[ $FLOW_MODE == alone ]]; then
        before=$(persistent_handles)
        run tpm2_ptool init --path "$TPM2_PKCS11_STORE"
        after=$(persistent_handles)
        primary=$(comm -13 <(echo "$before") <(echo "$after"))
        [[ $primary =~ ^0x81[0-9a-fA-F]{6}$ ]] ||
            flow_fail "tpm2_ptool init made no persistent primary (before: $before; after: $after)"
        echo "persistent primary $primary"
    else
        run tpm2_ptool init --transient-parent --path "$TPM2_PKCS11_STORE"
    fi
    run tpm2_ptool addtoken --pid=1 --label="$FLOW_NAME" --userpin="$USERPIN" \
        --sopin="$SOPIN" --path "$TPM2_PKCS11_STORE"
    add_key ec ecc256
    ec_id=$KEY_ID
    add_key rsa rsa2048
    rsa_id=$KEY_ID
    [[ $ec_id != "$rsa_id" ]] || flow_fail "both keys have CKA_ID $ec_id"
    p11 --list-objects
    sign_and_verify ec "$ec_id" ECDSA-SHA256
    sign_and_verify rsa "$rsa_id" SHA256-RSA-PKCS
    [[ -z $primary ]] || run tpm2_evictcontrol -C o -c "$primary"
}

consumer_rounds pkcs11_flow proxy mssim

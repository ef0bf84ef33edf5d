#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The tpm2-openssl provider through tpmproxyd, as a user runs openssl: TPM keys, signatures, a self-signed certificate.
#
# Proves, through proxy:SOCK and through the stock mssim:path=SOCK, alone
# and two at once (consumerlib.sh): `openssl genpkey -provider tpm2` makes
# an EC P-256 and an RSA-2048 key in the TPM (a TSS2 PRIVATE KEY file), the
# provider signs with each (`openssl pkeyutl -sign`, `openssl dgst -sign`)
# and plain openssl, without the TPM, verifies those signatures against the
# public key the provider exported and rejects a tampered message; `openssl
# req -x509` with the TPM key makes a self-signed certificate that `openssl
# verify` accepts and whose key is the TPM key. Afterwards the daemon exits
# 0 and swtpm holds no transient object or session. TCTI: TPM2OPENSSL_TCTI.
# shellcheck disable=SC2119,SC2031 # require_tools takes optional arguments;
# the flows run in subshells that consumerlib.sh sets TCTI, FLOW_NAME and FLOW_MODE in
set -euo pipefail
# shellcheck source=test/integration/consumerlib.sh
. "$(dirname "$0")/consumerlib.sh"

require_tools openssl
modules=$(openssl version -m | sed -n 's/^MODULESDIR: "\(.*\)"$/\1/p')
require_file tpm2-openssl "$modules/tpm2.so"

TPM=(-provider tpm2 -provider base)
# With the default provider loaded too, the TPM key's operations must be
# fetched from tpm2 first (tpm2-openssl's documentation does the same).
TPM_DEFAULT=(-provider tpm2 -provider default -propquery '?provider=tpm2')

# keypair NAME GENPKEY-ARGS...: a TPM key in NAME.pem, its public key in
# NAME.pub.pem.
keypair() {
    local name=$1
    shift
    run openssl genpkey "${TPM[@]}" "$@" -out "$name.pem"
    grep -q -- '-----BEGIN TSS2 PRIVATE KEY-----' "$name.pem" ||
        flow_fail "$name.pem is not a TPM key: $(head -n 1 "$name.pem")"
    run openssl pkey "${TPM[@]}" -in "$name.pem" -pubout -out "$name.pub.pem"
}

# signatures NAME: sign with the TPM key, verify without the TPM.
signatures() {
    local name=$1
    echo "message signed by $FLOW_NAME with $name" > msg
    run openssl pkeyutl "${TPM[@]}" -sign -inkey "$name.pem" -rawin -digest sha256 \
        -in msg -out "$name.pkeyutl.sig"
    run openssl pkeyutl -verify -pubin -inkey "$name.pub.pem" -rawin -digest sha256 \
        -in msg -sigfile "$name.pkeyutl.sig"
    run openssl dgst "${TPM_DEFAULT[@]}" -sha256 -sign "$name.pem" -out "$name.dgst.sig" msg
    run openssl dgst -sha256 -verify "$name.pub.pem" -signature "$name.dgst.sig" msg
    echo "tampered" >> msg
    echo "\$ openssl dgst -verify ... (a tampered message: must fail)"
    if openssl dgst -sha256 -verify "$name.pub.pem" -signature "$name.dgst.sig" msg; then
        flow_fail "$name: a signature verified over a tampered message"
    fi
}

# certificate NAME: a self-signed certificate of the TPM key.
certificate() {
    local name=$1
    run openssl req -x509 "${TPM_DEFAULT[@]}" -key "$name.pem" -sha256 -days 1 \
        -subj "/CN=$FLOW_NAME-$name" -out "$name.crt"
    run openssl verify -CAfile "$name.crt" "$name.crt"
    run openssl x509 -in "$name.crt" -noout -subject
    openssl x509 -in "$name.crt" -noout -pubkey > "$name.crt.pub.pem"
    cmp -s "$name.crt.pub.pem" "$name.pub.pem" ||
        flow_fail "$name.crt does not carry the TPM key's public key"
}

openssl_flow() {
    export TPM2OPENSSL_TCTI=$TCTI
    keypair ec -algorithm EC -pkeyopt group:P-256
    signatures ec
    certificate ec
    keypair rsa -algorithm RSA -pkeyopt bits:2048
    signatures rsa
}

consumer_rounds openssl_flow proxy mssim

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Stock tpm2-tss tcti-cmd with socat through tpmproxyd: tpm2-tools with nothing of ours installed.
#
# Proves, with TCTI "cmd:socat - UNIX-CONNECT:SOCK", alone and two at once
# (consumerlib.sh): tpm2_getrandom answers; tpm2_createprimary makes an
# ECDSA signing key, tpm2_sign signs with it in another process, and both
# tpm2_verifysignature and plain openssl (against the public key
# tpm2_readpublic exported) accept the signature and reject a tampered
# message. Afterwards the daemon exits 0 and swtpm holds no transient
# object or session: each tool's socat is one raw-framed connection, and the
# daemon flushes what it left loaded when it goes.
# shellcheck disable=SC2119,SC2031 # require_tools takes optional arguments;
# the flows run in subshells that consumerlib.sh sets TCTI, FLOW_NAME and FLOW_MODE in
set -euo pipefail
# shellcheck source=test/integration/consumerlib.sh
. "$(dirname "$0")/consumerlib.sh"

require_tools openssl tpm2_getrandom tpm2_createprimary tpm2_readpublic tpm2_sign \
    tpm2_verifysignature

cmd_flow() {
    export TPM2TOOLS_TCTI=$TCTI
    local out
    out=$(tpm2_getrandom --hex 16)
    echo "\$ tpm2_getrandom --hex 16: $out"
    [[ $out =~ ^[0-9a-f]{32}$ ]] || flow_fail "tpm2_getrandom printed '$out'"
    run tpm2_createprimary -C o -G ecc256:ecdsa-sha256 -c primary.ctx \
        -a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign'
    run tpm2_readpublic -c primary.ctx -f pem -o primary.pub.pem
    echo "message signed by $FLOW_NAME" > msg
    run tpm2_sign -c primary.ctx -g sha256 -o msg.sig msg
    run tpm2_sign -c primary.ctx -g sha256 -f plain -o msg.der.sig msg
    run tpm2_verifysignature -c primary.ctx -g sha256 -m msg -s msg.sig
    run openssl dgst -sha256 -verify primary.pub.pem -signature msg.der.sig msg
    echo "tampered" >> msg
    echo "\$ tpm2_verifysignature and openssl dgst -verify ... (a tampered message: must fail)"
    if tpm2_verifysignature -c primary.ctx -g sha256 -m msg -s msg.sig; then
        flow_fail "tpm2_verifysignature accepted a tampered message"
    fi
    if openssl dgst -sha256 -verify primary.pub.pem -signature msg.der.sig msg; then
        flow_fail "openssl accepted a signature over a tampered message"
    fi
}

consumer_rounds cmd_flow cmd

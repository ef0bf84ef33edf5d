#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Many clients at once through one tpmproxyd: tpm2-tools loops, pytss, raw bytes, a key pipeline.
#
# Proves: 8 tpm2-tools getrandom/pcrread loops, 2 pytss ESAPI clients (one
# with an ECC key, one without objects), a raw-bytes loop and one
# createprimary -> sign -> verifysignature pipeline, all running at the same
# time, each get correct answers (one command in flight per connection, the
# TPM shared between them), and swtpm is left with no handles. Only the
# pipeline and one pytss client use object slots: swtpm has 3 and object
# swapping is not what this test is about.
# shellcheck disable=SC2119 # setup and require_tools take optional arguments
set -euo pipefail
# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"

require_tools tpm2_getrandom tpm2_pcrread tpm2_createprimary tpm2_sign tpm2_verifysignature
require_pytss
setup

LOOPS=${CONCURRENT_LOOPS:-8}
ITER=${CONCURRENT_ITERATIONS:-10}

# tools_loop N: ITER rounds of getrandom + pcrread, checking each answer.
tools_loop() {
    local n=$1 i out
    for (( i = 0; i < ITER; i++ )); do
        out=$(tpm2_getrandom --hex 8) || { echo "tools-$n: tpm2_getrandom #$i failed"; return 1; }
        [[ $out =~ ^[0-9a-f]{16}$ ]] || { echo "tools-$n: tpm2_getrandom #$i printed '$out'"; return 1; }
        out=$(tpm2_pcrread sha256:0,7) || { echo "tools-$n: tpm2_pcrread #$i failed"; return 1; }
        [[ $(grep -c ': 0x' <<<"$out") -eq 2 ]] || { echo "tools-$n: tpm2_pcrread #$i printed '$out'"; return 1; }
    done
    echo "tools-$n: $ITER x (getrandom + pcrread) ok"
}

# key_pipeline: one ECC signing primary; sign and verify ITER/2 messages.
key_pipeline() {
    local i d=$T/pipeline
    mkdir -p "$d"
    tpm2_createprimary -C o -G ecc:ecdsa-sha256 -c "$d/key.ctx" \
        -a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign' ||
        { echo "pipeline: tpm2_createprimary failed"; return 1; }
    for (( i = 0; i < ITER / 2 + 1; i++ )); do
        echo "message $i" > "$d/msg"
        tpm2_sign -c "$d/key.ctx" -g sha256 -o "$d/sig" "$d/msg" ||
            { echo "pipeline: tpm2_sign #$i failed"; return 1; }
        tpm2_verifysignature -c "$d/key.ctx" -g sha256 -m "$d/msg" -s "$d/sig" ||
            { echo "pipeline: tpm2_verifysignature #$i failed"; return 1; }
    done
    echo "pipeline: createprimary + $(( ITER / 2 + 1 )) x (sign + verifysignature) ok"
}

pids=()
for (( n = 1; n <= LOOPS; n++ )); do
    tools_loop "$n" > "$T/tools-$n.out" 2>&1 &
    pids+=("tools-$n=$!")
done
pytss_client --name pytss-1 --iterations 3 > "$T/pytss-1.out" 2>&1 &
pids+=("pytss-1=$!")
pytss_client --name pytss-2 --light --iterations "$ITER" > "$T/pytss-2.out" 2>&1 &
pids+=("pytss-2=$!")
raw loop "$ITER" > "$T/raw.out" 2>&1 &
pids+=("raw=$!")
key_pipeline > "$T/pipeline.out" 2>&1 &
pids+=("pipeline=$!")

wait_jobs "${pids[@]}"
stop_daemon
check_handles_baseline

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Resource manager: 16 concurrent clients with 4 keys each share swtpm's 3 object slots.
#
# Proves: RM_CLIENTS (16) tpm2-pytss ESAPI clients at once each create
# RM_KEYS (4) ECC signing primaries - 64 keys, while swtpm has 3 object slots
# and the proxy leaves one free - and sign RM_ROUNDS (10) rounds with every
# key; each signature verifies with the public part of the key that was
# asked for (a key mixed up while swapping would not), and each client's
# GetCapability(HANDLES) lists exactly its own keys. Each flushes 3 keys and
# leaves one for its disconnect. A raw client with 4 keys and 2 sessions
# works afterwards, and after the daemon exits swtpm holds no handles.
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/rmlib.sh
. "$(dirname "$0")/rmlib.sh"

require_tools
require_pytss
rm_setup

CLIENTS=${RM_CLIENTS:-16}
KEYS=${RM_KEYS:-4}
ROUNDS=${RM_ROUNDS:-10}

pids=()
for (( n = 1; n <= CLIENTS; n++ )); do
    "${RM_WORKER[@]}" many-keys --name "client-$n" --keys "$KEYS" --rounds "$ROUNDS" \
        > "$T/client-$n.out" 2>&1 &
    pids+=("client-$n=$!")
done
wait_jobs "${pids[@]}"
say "$CLIENTS clients x $KEYS keys x $ROUNDS rounds: all signatures verified"
rm_step "a new client afterwards" smoke
stop_daemon
check_handles_baseline

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Resource manager: one connection can neither see, use, save nor flush another's objects and sessions.
#
# Proves (raw TPM bytes, rmlib.py isolation): connection A holds an ECC key,
# a hash sequence, an HMAC and a policy session. Connection B - on the same
# socket (same client identity) and on a second socket - owns nothing, and
# for every handle A holds and every handle in 0x80000000-0x80000010,
# 0x02000000-0x02000010 and 0x03000000-0x03000010:
#   - GetCapability(HANDLES) lists none of them (transient, loaded, saved);
#   - ReadPublic, Sign, PolicyPCR, PolicyGetDigest, ContextSave, Certify
#     with it as handle 1 -> 0x000B018B; PolicySecret(owner, it),
#     StartAuthSession(bind=it) and Certify(B's key, it) as handle 2 ->
#     0x000B028B; a session handle in B's authorization area as session 1 ->
#     0x000B098B, as session 2 -> 0x000B0A8B; FlushContext -> 0x000B01C4,
# all raised by the proxy (RM layer). Afterwards A's key signs (with its
# HMAC session), its policy digest is unchanged (none of B's policy commands
# reached it), its sequence hashes correctly, and Certify(key, key) - one
# virtual handle twice in a command, also after the key was evicted - works.
# After the daemon exits swtpm holds no handles.
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/rmlib.sh
. "$(dirname "$0")/rmlib.sh"

require_tools
rm_setup

rm_step "isolation of A's handles from B" isolation
stop_daemon
check_handles_baseline

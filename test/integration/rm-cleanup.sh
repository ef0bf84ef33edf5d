#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Resource manager: sessions ended by continueSession=0, failed commands and failed SequenceComplete leak nothing.
#
# Proves (raw TPM bytes, rmlib.py):
# 1. (cleanup-continue) A Sign with continueSession=0 ends the HMAC session:
#    it leaves the owner's session lists, its handle is refused (0x000B098B,
#    FlushContext 0x000B01C4), and when another connection's new session gets
#    the same TPM handle, the first connection can neither use nor flush it
#    and its disconnect does not flush it; the same for an audit session in
#    the second slot.
# 2. (cleanup-failed) 12 rounds of failing commands - Sign with a storage
#    key, Load of garbage, ContextLoad of a garbage object blob and of a
#    session blob naming a session the client never saved (0x000B01CB),
#    CreatePrimary with an unknown curve, StartAuthSession with a short
#    nonce, PolicySecret on a key - change nobody's handle lists; the keys
#    keep signing, the client's real session blob still loads, and 3 more
#    keys than before fit (no slot leaked).
# 3. (cleanup-sequence) A SequenceComplete that fails (invalid hierarchy:
#    parameter error; wrong password: authorization error) leaves the
#    sequence loaded, as the TPM does: it is still listed and completes
#    afterwards with the digest of all its data; once completed its handle
#    is refused (0x000B018B). Sequences left after failed completes, some
#    evicted, are flushed when the connection closes.
# After the daemon exits swtpm holds no transient objects and no sessions.
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/rmlib.sh
. "$(dirname "$0")/rmlib.sh"

require_tools
rm_setup

rm_step "continueSession=0" cleanup-continue
rm_step "failed commands" cleanup-failed
rm_step "failed SequenceComplete" cleanup-sequence
rm_step "a new connection afterwards" smoke
stop_daemon
check_handles_baseline

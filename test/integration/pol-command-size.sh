#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# max-command-size is a quota answered with a TPM error; the TPM's own maximum is framing.
#
# Proves (raw TPM bytes, pollib.py command-size): with max-command-size =
# 64, a 100-byte command gets 0x000b0142 (TPM_RC_COMMAND_SIZE in the RM
# layer) and the connection keeps working; the same command passes on a
# socket without the limit; a 5000-byte frame (over swtpm's 4096) closes
# the connection without an answer.
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/pollib.sh
. "$(dirname "$0")/pollib.sh"

require_tools
pol_init

cat > "$CONF" <<CONF
[daemon]
tcti = $DTCTI

[socket "small"]
path = $T/small.sock
max-command-size = 64

[socket "big"]
path = $T/big.sock
CONF

pol_start
pol_step "max-command-size" command-size
pol_stop
check_handles_baseline

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# idle-timeout and partial-timeout close idle connections and half-sent commands, per socket; --partial-timeout overrides the file.
#
# Proves (raw TPM bytes, pollib.py timeouts; waits are bounded, durations
# are not asserted):
#   - idle-timeout = 1s: a connection idle after a command (holding a key)
#     and one that never sent anything are closed (EOF); a connection
#     sending a command every 20 ms for 3 s is not;
#   - partial-timeout = 1s on a socket: 5 bytes of a header, or 20 of a
#     64-byte command, get the connection closed without an answer;
#   - a socket without its own partial-timeout uses the daemon's, which
#     --partial-timeout 1 sets over the file's 10m: a half-sent command is
#     closed well before the client's 30 s wait;
#   - a connection on a socket without idle-timeout, idle throughout, still
#     works at the end.
# After the daemon exits swtpm holds no handles (the idle connection's key
# was flushed).
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/pollib.sh
. "$(dirname "$0")/pollib.sh"

require_tools
pol_init

cat > "$CONF" <<CONF
[daemon]
tcti = $DTCTI
partial-timeout = 10m

[socket "none"]
path = $T/none.sock

[socket "idle"]
path = $T/idle.sock
idle-timeout = 1s

[socket "part"]
path = $T/part.sock
partial-timeout = 1s
CONF

pol_start --partial-timeout 1
pol_step "idle and partial timeouts" timeouts
pol_stop
check_handles_baseline

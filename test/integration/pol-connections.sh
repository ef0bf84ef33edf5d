#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# max-connections per group (socket or pod), allow-uids, and the owner and mode of socket files.
#
# Proves (raw TPM bytes, pollib.py connections and peers):
#   - max-connections = 3: three connections of a socket work; the 4th is
#     answered 0x000B0922 (TPM_RC_RETRY, RM layer) to its first command and
#     then closed; the others are unaffected; another socket has its own 3,
#     and so do two pods sharing the socket (--proc-root); when one closes a
#     new connection is served, and the next is refused again;
#   - (as root) socket files have the configured mode and owner (0666;
#     owner = 1000:1000 with mode 0600; the default 0660); with setpriv a
#     uid outside allow-uids gets its connection closed without a byte of
#     answer, a listed uid is served, and a uid the mode excludes cannot
#     connect.
# After the daemon exits swtpm holds no handles.
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/pollib.sh
. "$(dirname "$0")/pollib.sh"

require_tools
pol_init
as_root=
if [[ $(id -u) == 0 ]] && command -v setpriv >/dev/null 2>&1; then
    as_root=1
    chmod 0711 "$T"     # other uids reach the sockets in $T
fi

cat > "$CONF" <<CONF
[daemon]
tcti = $DTCTI

[socket "c"]
path = $T/c.sock
mode = 0666
max-connections = 3

[socket "other"]
path = $T/other.sock
mode = 0666
max-connections = 3
CONF
if [[ -n $as_root ]]; then
    cat >> "$CONF" <<CONF

[socket "uids"]
path = $T/uids.sock
mode = 0666
allow-uids = 0, 4242

[socket "owned"]
path = $T/owned.sock
owner = 1000:1000
mode = 0600

[socket "dflt"]
path = $T/dflt.sock
CONF
fi

pol_start --proc-root "$PROC_ROOT"
pol_step "max-connections" connections
if [[ -n $as_root ]]; then
    pol_step "socket owner/mode and allow-uids" peers
else
    say "not root (or no setpriv): socket owner and allow-uids not tested"
fi
pol_stop
check_handles_baseline

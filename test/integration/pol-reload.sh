#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# SIGHUP reload: sockets appear and go, changed limits apply to the next command, clients of kept sockets stay, a broken file changes nothing.
#
# Proves (raw TPM bytes, pollib.py reload, which installs each version of
# the file and sends SIGHUP; waits are bounded polls):
#   - v1 has sockets steady, keep (max-objects = 4) and gone; clients hold a
#     key and an HMAC session on steady, two keys on keep, a connection on
#     gone;
#   - v2 drops gone, adds new (readonly) and lowers keep's max-objects to 2:
#     new.sock appears and serves with its profile, gone.sock disappears and
#     its connection is closed, keep's client still signs with both keys but
#     its 3rd CreatePrimary gets 0x000B0902, steady's client signs with its
#     session;
#   - a conf.d drop-in added and SIGHUP: its socket appears;
#   - v3 is broken (unknown key at a known line; it would also add a socket
#     and raise max-objects): the daemon keeps running, logs FILE:LINE,
#     every socket still serves, the new socket is not created and
#     max-objects stays 2; clients still work;
#   - v2 again reloads fine.
# At the end every socket file is removed and swtpm holds no handles.
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/pollib.sh
. "$(dirname "$0")/pollib.sh"

require_tools
pol_init

daemon_section() {
    printf '[daemon]\ntcti = %s\n' "$DTCTI"
}

{ daemon_section; cat <<CONF

[socket "steady"]
path = $T/steady.sock

[socket "keep"]
path = $T/keep.sock
max-objects = 4

[socket "gone"]
path = $T/gone.sock
CONF
} > "$CONF"

{ daemon_section; cat <<CONF

[socket "steady"]
path = $T/steady.sock

[socket "keep"]
path = $T/keep.sock
max-objects = 2

[socket "new"]
path = $T/new.sock
profile = readonly
CONF
} > "$T/etc/v2.conf"

# Line 16 is the unknown key.
{ daemon_section; cat <<CONF

[socket "steady"]
path = $T/steady.sock

[socket "keep"]
path = $T/keep.sock
max-objects = 4

[socket "bad-new"]
path = $T/bad-new.sock

[socket "new"]
path = $T/new.sock
max-objectz = 3
profile = readonly
CONF
} > "$T/etc/v3.conf"
[[ $(sed -n 16p "$T/etc/v3.conf") == "max-objectz = 3" ]] || fail "v3.conf: the bad key is not on line 16"

mkdir -p "$CONFD"
cat > "$T/etc/extra.conf.in" <<CONF
[socket "extra"]
path = $T/extra.sock
profile = readonly
CONF

pol_start
pol_step "SIGHUP reloads" reload --opt "v2=$T/etc/v2.conf" --opt "v3=$T/etc/v3.conf" \
    --opt "extra=$T/etc/extra.conf.in" --opt "extra_dst=$CONFD/50-extra.conf" \
    --opt "bad_where=$CONF:16:"
# The daemon now serves v2 plus the drop-in.
POL_SOCKETS=("$T/steady.sock" "$T/keep.sock" "$T/new.sock" "$T/extra.sock")
SOCK=$T/steady.sock
for p in "$T/gone.sock" "$T/bad-new.sock"; do
    [[ ! -e $p ]] || fail "$p exists after the reloads"
done
pol_stop
check_handles_baseline

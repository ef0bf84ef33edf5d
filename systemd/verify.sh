#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# make check: systemd-analyze verifies the generated tpmproxyd.service, and
# its hardening must keep systemd's exposure score at most 2.5 ("OK").
#
# verify wants ExecStart= to exist, so a temporary copy points at the
# daemon just built. Its warnings (an unknown or misspelt key) do not change
# its exit status, so any line it prints about the unit fails the test too;
# a deliberately broken copy must fail, proving the check is not vacuous.
set -euo pipefail

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${SYSTEMD_ANALYZE:=$(command -v systemd-analyze || true)}"
unit=$top_builddir/systemd/tpmproxyd.service
daemon=$top_builddir/src/tpmproxyd
max_exposure=25     # tenths: systemd-analyze security prints 2.5

if [[ -z $SYSTEMD_ANALYZE || ! -x $SYSTEMD_ANALYZE ]]; then
    echo "SKIP: systemd-analyze not installed (apt-get install systemd)"
    exit 77
fi
[[ -f $unit ]] || { echo "FAIL: $unit not generated (make)"; exit 1; }
[[ -x $daemon ]] || { echo "FAIL: $daemon not built (make)"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tpmproxy-verify.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# check NAME FILE: 0 if systemd-analyze finds nothing wrong with FILE.
check() {
    local name=$1 file=$2 rc=0
    "$SYSTEMD_ANALYZE" verify --man=no "$file" > "$tmp/$name.out" 2>&1 || rc=$?
    if (( rc != 0 )) || grep -q "$(basename "$file")" "$tmp/$name.out"; then
        return 1
    fi
    return 0
}

# ExecStart= must start with the installed daemon; swap in the built one.
grep -q '^ExecStart=[^ ]*/tpmproxyd ' "$unit" ||
    { echo "FAIL: $unit: ExecStart= does not run tpmproxyd"; exit 1; }
mkdir -p "$tmp/good" "$tmp/bad"
sed "s|^ExecStart=[^ ]*/tpmproxyd |ExecStart=$daemon |" "$unit" > "$tmp/good/tpmproxyd.service"

if ! check good "$tmp/good/tpmproxyd.service"; then
    echo "FAIL: systemd-analyze verify $unit:"
    cat "$tmp/good.out"
    exit 1
fi
echo "systemd-analyze verify: ok"

# The checker itself: a misspelt key must be caught.
sed 's/^ProtectHome=/ProtectHomes=/' "$tmp/good/tpmproxyd.service" > "$tmp/bad/tpmproxyd.service"
if check bad "$tmp/bad/tpmproxyd.service"; then
    echo "FAIL: a unit with a misspelt key passed systemd-analyze verify:"
    cat "$tmp/bad.out"
    exit 1
fi
echo "a broken copy is refused: $(head -n 1 "$tmp/bad.out")"

# Hardening must not regress. --offline needs systemd >= 250.
if "$SYSTEMD_ANALYZE" security --help 2>/dev/null | grep -q -- '--threshold'; then
    if ! "$SYSTEMD_ANALYZE" security --offline=yes --threshold="$max_exposure" \
            --no-pager "$tmp/good/tpmproxyd.service" > "$tmp/security.out" 2>&1; then
        echo "FAIL: exposure above $max_exposure/10:"
        grep -E '✗|Overall' "$tmp/security.out" || cat "$tmp/security.out"
        exit 1
    fi
    echo "systemd-analyze security: $(grep -o 'Overall exposure level.*' "$tmp/security.out")"
else
    echo "note: systemd-analyze security --threshold unavailable; exposure not checked"
fi

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# tpmproxyctl audit-verify on logs whose chain auditgen.py computes with
# Python's hashlib: intact ones pass, and an edited, deleted, reordered or
# truncated line, a file missing from a rotation, or a malformed prev each
# fail with exit 1 at exactly the right FILE:LINE. Also the command line:
# --help, --version, and exit 2 for a bad or missing subcommand.
# Needs no TPM.
set -euo pipefail

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${PYTHON:=/usr/bin/python3}"
CTL=${TPMPROXYCTL:-$top_builddir/src/tpmproxyctl}
NAME=audit-verify

fail() {
	echo "FAIL: $NAME: $*" >&2
	exit 1
}

[ -x "$CTL" ] || fail "$CTL not built"
command -v "$PYTHON" >/dev/null || { echo "SKIP: $NAME: no $PYTHON"; exit 77; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$PYTHON" "$top_srcdir/test/integration/auditgen.py" "$T"

# Each case: run from the directory so that FILE is printed as given.
n=0
while IFS='|' read -r name args want_status want_out; do
	status=0
	# shellcheck disable=SC2086 # ARGS are words
	out=$(cd "$T" && "$CTL" audit-verify $args 2>&1) || status=$?
	[ "$status" -eq "$want_status" ] ||
		fail "$name: exit $status, want $want_status ($out)"
	[ "$out" = "$want_out" ] ||
		fail "$name: said \"$out\", want \"$want_out\""
	echo "ok: $name: $out"
	n=$((n + 1))
done <"$T/cases"
[ "$n" -ge 15 ] || fail "only $n cases ran"

# Files given by absolute path are reported by that path.
status=0
out=$("$CTL" audit-verify "$T/deleted.log" 2>&1) || status=$?
[ "$status" -eq 1 ] && [ "$out" = "$T/deleted.log:5: prev is not the SHA-256 of the line before" ] ||
	fail "absolute path: $out"

# An unreadable file is an error, not a verified log.
status=0
"$CTL" audit-verify "$T/no-such.log" >/dev/null 2>&1 || status=$?
[ "$status" -eq 1 ] || fail "missing file: exit $status"

# The command line.
"$CTL" --help | grep -q 'audit-verify \[--from-start\] FILE' || fail "--help"
"$CTL" audit-verify --help | grep -q '^usage: tpmproxyctl audit-verify' ||
	fail "audit-verify --help"
"$CTL" --version | grep -Eq '^tpmproxyctl [0-9]+\.[0-9]+' || fail "--version"
for args in "" "no-such-command" "audit-verify" "audit-verify --bogus x" "--bogus"; do
	status=0
	# shellcheck disable=SC2086
	"$CTL" $args >/dev/null 2>&1 || status=$?
	[ "$status" -eq 2 ] || fail "\"$args\": exit $status, want 2"
done
status=0
err=$("$CTL" no-such-command 2>&1 >/dev/null) || status=$?
echo "$err" | grep -q '^usage: tpmproxyctl' || fail "unknown command: no usage"
echo "PASS: $NAME ($n cases)"

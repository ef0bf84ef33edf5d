#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# GetRandom(16) latency, direct swtpm versus through tpmproxyd, in one run
# on the same swtpm; prints both and their ratio.
set -euo pipefail
top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
n=${BENCH_ITERATIONS:-2000}
T=$(mktemp -d)
cleanup() {
	[[ -f $T/daemon.pid ]] && kill "$(cat "$T/daemon.pid")" 2>/dev/null || true
	sleep 0.2
	"$top_srcdir/swtpm-ci/swtpm-stop" "$T/swtpm" >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT
tcti=$("$top_srcdir/swtpm-ci/swtpm-start" "$T/swtpm")
bench="$top_builddir/bench/tpmbench"
export LD_LIBRARY_PATH="$top_builddir/tcti-proxy/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# swtpm serves one TCP connection at a time: measure direct first, then
# start the daemon on the same swtpm.
direct=$("$bench" -T "$tcti" -n "$n" -l direct-swtpm)
"$top_builddir/src/tpmproxyd" --tcti "$tcti" --socket "$T/tpm.sock" \
	--pid-file "$T/daemon.pid" --log-level warning
proxy=$("$bench" -T "proxy:$T/tpm.sock" -n "$n" -l tpmproxyd)
echo "$direct"
echo "$proxy"
p50() { sed -n 's/.*p50_us=\([0-9.]*\).*/\1/p' <<<"$1"; }
mean() { sed -n 's/.*mean_us=\([0-9.]*\).*/\1/p' <<<"$1"; }
awk -v a="$(p50 "$direct")" -v b="$(p50 "$proxy")" -v c="$(mean "$direct")" \
	-v d="$(mean "$proxy")" 'BEGIN {
	printf "ratio tpmproxyd/direct: p50 %.2fx, mean %.2fx\n", b / a, d / c }'

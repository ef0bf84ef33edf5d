#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Benchmarks against the anchors (issue #7): every contender in one run, on
# one swtpm, with the same load generator (bench/loadgen).
#
# Contenders
#   direct          the client's TCTI straight to swtpm (no resource manager;
#                   one client only: swtpm takes one TCP connection at a
#                   time with a listen backlog of 1, and concurrent direct
#                   clients stall for seconds in SYN retransmission)
#   relay           bench/relay, the least a proxy process can do (one
#                   thread, blocking, one client): the floor of any daemon
#                   between client and TPM, for single-client latency
#   tpmproxyd-tcti  tpmproxyd through libtss2-tcti-proxy
#   tpmproxyd-raw   tpmproxyd through a raw socket client (command bytes)
#   tpm2-abrmd      on a private session D-Bus (--session --allow-root)
#   tpmproxyd-alt   with BENCH_ALT_TPMPROXYD=PATH, another tpmproxyd build
#                   (a patched one) through tcti-proxy, beside this one
#   kernel-tpmrm    /dev/tpmrm0 versus tpmproxyd on /dev/tpm0 in one guest:
#                   not here; bench/vm-run.sh (make bench-vm) measures it
# Both daemons run for the whole benchmark, in front of the same swtpm
# (tcti-swtpm connects per command, so they and the direct clients take
# turns on it); only one contender is loaded at a time. Each daemon's
# backend TCTI is wrapped in tpm2-tss's pcap: TCTI, as is the direct
# clients' own TCTI, so every contender pays for one capture per TPM
# command, and bench/count-pcap.py counts the TPM commands of each measured
# phase independently of the daemon under test.
#
# Workloads (loadgen -w): getrandom, sign (one persistent P-256 key shared
# by all clients), sign-hmac (the same with each client's own HMAC
# session), sign-own (each client's own transient key: swapping beyond the
# TPM's 3 slots), churn (connect, GetRandom, close), idle (connections held
# by one process; daemon RSS). Rounds interleave the contenders (A B C D A
# B C D ...) so that a noisy neighbour hits all of them; the report gives
# medians. No assertion on times: this is a measurement, not a test.
#
# Writes bench/RESULTS.md, bench/RESULTS.png and the raw lines the report
# is made from, bench/RESULTS.raw.txt, in the source tree (BENCH_RESULTS=
# path.md puts all three beside path.md). Environment: BENCH_SECONDS (0.6,
# measured phase per round), BENCH_ROUNDS (5: short rounds, many of them,
# so that a median rides out a busy neighbour), BENCH_CONTENDERS,
# BENCH_CELLS ("workload:clients ..."), BENCH_ALT_TPMPROXYD, BENCH_KEEP=1
# keeps the work directory (captures, logs).
set -euo pipefail
top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
prog=${0##*/}
seconds=${BENCH_SECONDS:-0.6}
rounds=${BENCH_ROUNDS:-5}
contenders=${BENCH_CONTENDERS:-direct relay tpmproxyd-tcti tpmproxyd-raw tpm2-abrmd}
alt_tpmproxyd=${BENCH_ALT_TPMPROXYD:-}
[[ -z $alt_tpmproxyd ]] || contenders+=" tpmproxyd-alt"
cells=${BENCH_CELLS:-getrandom:1 getrandom:8 getrandom:32 sign:1 sign:8 \
sign:32 sign-hmac:1 sign-hmac:8 sign-hmac:32 sign-own:1 sign-own:8 \
sign-own:32 churn:1 churn:8 idle:256 idle:1024}
results=${BENCH_RESULTS:-$top_srcdir/bench/RESULTS.md}
loadgen=$top_builddir/bench/loadgen
tpmproxyd=$top_builddir/src/tpmproxyd
relay=$top_builddir/bench/relay
swtpm_ci=$top_srcdir/swtpm-ci
key_handle=0x81000100
# tpm2-abrmd refuses --max-connections above 100.
abrmd_max_connections=100

# shellcheck source=bench/benchlib.sh
. "$top_srcdir/bench/benchlib.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/tpmproxy-bench.XXXXXX")
daemon_pids=()
cleanup() {
	stop_daemons
	"$swtpm_ci/swtpm-stop" "$T/swtpm" >/dev/null 2>&1 || true
	if [[ -n ${BENCH_KEEP:-} ]]; then
		echo "$prog: kept $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT

[[ -x $loadgen ]] || die "$loadgen not built; run make first"
[[ -x $tpmproxyd ]] || die "$tpmproxyd not built; run make first"
[[ -x $relay ]] || die "$relay not built; run make first"
command -v python3 >/dev/null || die "python3 is needed for the report"
command -v swtpm >/dev/null ||
	die "swtpm not found; install the Debian package swtpm"
have_lib libtss2-tcti-pcap.so.0 ||
	die "the pcap TCTI is missing; install the Debian package libtss2-tcti-pcap0"
export LD_LIBRARY_PATH="$top_builddir/tcti-proxy/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PYTHONDONTWRITEBYTECODE=1
# The direct clients' own pcap: TCTI appends here (one write per block, so
# concurrent clients interleave whole blocks).
export TCTI_PCAP_FILE=$T/direct.pcap

raw=$T/raw.txt
: >"$raw"
notes=()

# Record a line for the report.
record() {
	echo "$*" >>"$raw"
}

# Start tpmproxyd binary $1 as contender $2 (socket $T/$2.sock, capture
# $T/$2.pcap); prints its pid.
start_tpmproxyd() {
	local bin=$1 name=$2
	cat >"$T/$name.conf" <<EOF
# Quotas count per socket here (no pods): room for every workload.
[daemon]
tcti = pcap:$swtpm_tcti
[socket "bench"]
path = $T/$name.sock
max-connections = 4096
max-objects = 1024
max-sessions = 1024
EOF
	TCTI_PCAP_FILE=$T/$name.pcap "$bin" --config "$T/$name.conf" \
		--pid-file "$T/$name.pid" --log-level warning 2>"$T/$name.log" ||
		{ cat "$T/$name.log" >&2; die "$bin did not start"; }
	wait_for "[[ -s $T/$name.pid && -S $T/$name.sock ]]" 100 ||
		die "$bin did not create $T/$name.sock"
	cat "$T/$name.pid"
}

# Start swtpm, the persistent key, and the daemons in front of it.
start_all() {
	local why
	swtpm_tcti=$("$swtpm_ci/swtpm-start" "$T/swtpm")
	swtpm_pid=$(cat "$T/swtpm/swtpm.pid")
	"$loadgen" -T "$swtpm_tcti" -w provision -k "$key_handle" ||
		die "cannot make the persistent key"
	if [[ " $contenders " == *" tpmproxyd-tcti "* ||
		" $contenders " == *" tpmproxyd-raw "* ]]; then
		proxy_pid=$(start_tpmproxyd "$tpmproxyd" tpmproxyd)
		daemon_pids+=("$proxy_pid")
	fi
	if [[ -n $alt_tpmproxyd ]]; then
		alt_pid=$(start_tpmproxyd "$alt_tpmproxyd" alt)
		daemon_pids+=("$alt_pid")
	fi
	if [[ " $contenders " == *" relay "* ]]; then
		TCTI_PCAP_FILE=$T/relay.pcap "$relay" -T "pcap:$swtpm_tcti" \
			-s "$T/relay.sock" -p "$T/relay.pid" 2>"$T/relay.log" &
		relay_pid=$!
		daemon_pids+=("$relay_pid")
		wait_for "[[ -s $T/relay.pid && -S $T/relay.sock ]]" 100 ||
			{ cat "$T/relay.log" >&2; die "relay did not start"; }
	fi
	if [[ " $contenders " == *" tpm2-abrmd "* ]]; then
		why=$(abrmd_missing)
		if [[ -n $why ]]; then
			echo "$prog: skipping tpm2-abrmd: $why" >&2
			notes+=("tpm2-abrmd not measured: $why")
			contenders=${contenders/tpm2-abrmd/}
		else
			start_abrmd "$T" "$T/abrmd.pcap" "$swtpm_tcti" \
				--max-connections="$abrmd_max_connections"
		fi
	fi
}

# Why contender $1 does not run workload $2 with $3 clients, or nothing.
skip_reason() {
	case $1:$2:$3 in
	direct:idle:*)
		echo "no daemon" ;;
	direct:*:1) ;;
	direct:*)
		echo "swtpm takes one TCP connection at a time (listen backlog 1): concurrent direct clients stall in SYN retransmission" ;;
	relay:getrandom:1 | relay:sign:1 | relay:sign-own:1) ;;
	relay:*)
		echo "a floor for one client's latency only" ;;
	esac
	return 0
}

# The loadgen arguments that reach contender $1, and its capture.
contender_args() {
	case $1 in
	direct)
		args=(-T "pcap:$swtpm_tcti")
		pcap=$T/direct.pcap ;;
	relay)
		args=(-T "proxy:$T/relay.sock" -R "$relay_pid")
		pcap=$T/relay.pcap ;;
	tpmproxyd-tcti)
		args=(-T "proxy:$T/tpmproxyd.sock" -R "$proxy_pid")
		pcap=$T/tpmproxyd.pcap ;;
	tpmproxyd-raw)
		args=(-S "$T/tpmproxyd.sock" -R "$proxy_pid")
		pcap=$T/tpmproxyd.pcap ;;
	tpmproxyd-alt)
		args=(-T "proxy:$T/alt.sock" -R "$alt_pid")
		pcap=$T/alt.pcap ;;
	tpm2-abrmd)
		args=(-T "tabrmd:bus_type=session" -R "$abrmd_pid")
		pcap=$T/abrmd.pcap ;;
	*) die "unknown contender $1" ;;
	esac
}

# Run contender $1 on workload $2 with $3 clients, round $4. In the first
# round the capture is sampled and its TPM commands counted.
run_one() {
	local name=$1 workload=$2 clients=$3 round=$4 line counted start end
	local args pcap
	contender_args "$name"
	args+=(-w "$workload" -c "$clients" -l "$name" -k "$key_handle" \
		-C "$swtpm_pid")
	if [[ $workload == idle ]]; then
		line=$("$loadgen" "${args[@]}" -q 300 2>>"$T/loadgen.err") || true
	else
		(( round == 1 )) && args+=(-P "$pcap")
		line=$("$loadgen" "${args[@]}" -d "$seconds" 2>>"$T/loadgen.err") || true
	fi
	[[ -n $line ]] || { tail -n 5 "$T/loadgen.err" >&2; die "loadgen failed: $name $workload $clients"; }
	start=$(field pcap_start "$line")
	end=$(field pcap_end "$line")
	if [[ -n $start ]] && (( start >= 0 && end >= start )); then
		counted=$(python3 "$top_srcdir/bench/count-pcap.py" \
			--from "$start" --to "$end" "$pcap")
		line+=" tpm_cmds=$(field commands "$counted") tpm_by_code=$(field by_code "$counted")"
	fi
	record "contender=$name round=$round $line"
	echo "  $name: $(sed 's/ pcap_[a-z]*=[^ ]*//g; s/^label=[^ ]* //' <<<"$line")"
}

# Facts about this run for the report: "meta KEY=free text" lines.
describe_run() {
	record "meta date=$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	record "meta machine=$(uname -m), $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1), $(free -m | awk '/^Mem:/ { print $2 }') MiB"
	record "meta kernel=$(uname -r)"
	record "meta swtpm=$(version swtpm --version)"
	record "meta tpm2-abrmd=$(version tpm2-abrmd --version)"
	record "meta tpmproxyd=$("$tpmproxyd" --version) (source tree $(git -C "$top_srcdir" describe --always --dirty 2>/dev/null || echo "not a git checkout"))"
	[[ -z $alt_tpmproxyd ]] ||
		record "meta tpmproxyd-alt=$("$alt_tpmproxyd" --version) ($alt_tpmproxyd)"
	record "meta tpm2-tss=$(pkg-config --modversion tss2-esys 2>/dev/null || echo unknown)"
	record "meta seconds=$seconds"
	record "meta rounds=$rounds"
}

describe_run
record "meta load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
start_all
record "meta contenders=${contenders# }"
for cell in $cells; do
	run_cell "$cell"
done
record "meta load_end=$(cut -d' ' -f1-3 /proc/loadavg)"
[[ -n ${bus_pid:-} ]] &&
	record "meta dbus_rss_kib=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$bus_pid/status")"
for n in "${notes[@]}"; do
	record "note $n"
done
stop_daemons
mkdir -p "$(dirname "$results")"
cp "$raw" "${results%.md}.raw.txt"
python3 "$top_srcdir/bench/report.py" --raw "$raw" --out "$results" \
	--plot "${results%.md}.png"
echo "written: $results"

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# TPM commands a resource manager issues per client command (issue #3).
#
# Workload (bench/signload): CLIENTS concurrent client processes, each with
# its own connection and primary ECC P-256 key, sign SIGNS times each.
# Contenders, each on its own fresh swtpm for every client count:
#   direct-swtpm  no resource manager (sanity check: must be exactly 1.00)
#   tpmproxyd     this project's daemon
#   tpm2-abrmd    on a private session D-Bus
# The TPM side is counted independently of the daemon under test: it gets
# tpm2-tss's pcap: TCTI around swtpm (TCTI_PCAP_FILE=...), and
# bench/count-pcap.py counts the command frames captured between the start
# and the end of signload's measured phase (signload samples the capture's
# size at both barriers once it stops growing). Client commands are what
# signload's clients transmitted in that phase (counted in a wrapper TCTI).
#
# Prints a table and writes it, with machine, date and versions, as markdown
# to bench/RESULTS-rm.md (BENCH_RESULTS=path overrides; BENCH_RESULTS=- only
# prints). Environment: BENCH_SIGNS (200), BENCH_CLIENTS ("1 8"),
# BENCH_CONTENDERS ("direct-swtpm tpmproxyd tpm2-abrmd").
set -euo pipefail
top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
signs=${BENCH_SIGNS:-200}
clients_list=${BENCH_CLIENTS:-1 8}
contenders=${BENCH_CONTENDERS:-direct-swtpm tpmproxyd tpm2-abrmd}
results=${BENCH_RESULTS:-$top_srcdir/bench/RESULTS-rm.md}
signload=$top_builddir/bench/signload
tpmproxyd=$top_builddir/src/tpmproxyd
count_pcap=$top_srcdir/bench/count-pcap.py
swtpm_ci=$top_srcdir/swtpm-ci
prog=${0##*/}

T=$(mktemp -d)
swtpm_dirs=()
daemon_pids=()

# shellcheck source=bench/benchlib.sh
. "$top_srcdir/bench/benchlib.sh"

# Stop what this run started: daemons first, then their swtpm.
cleanup() {
	local d
	stop_daemons
	for d in "${swtpm_dirs[@]}"; do
		"$swtpm_ci/swtpm-stop" "$d" >/dev/null 2>&1 || true
	done
	rm -rf "$T"
}
trap cleanup EXIT

[[ -x $signload ]] || die "$signload not built; run make first"
command -v python3 >/dev/null || die "python3 is needed to count the capture"
have_lib libtss2-tcti-pcap.so.0 ||
	die "the pcap TCTI is missing; install the Debian package libtss2-tcti-pcap0"
command -v swtpm >/dev/null ||
	die "swtpm not found; install the Debian package swtpm"
export LD_LIBRARY_PATH="$top_builddir/tcti-proxy/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# Why a contender cannot run here, or nothing when it can.
missing() {
	case $1 in
	direct-swtpm) ;;
	tpmproxyd)
		[[ -x $tpmproxyd ]] || echo "tpmproxyd not built ($tpmproxyd)"
		;;
	tpm2-abrmd) abrmd_missing ;;
	*) echo "unknown contender" ;;
	esac
}

# Start the contender $1 on capture $3 in run directory $2, in front of a
# fresh swtpm; sets client_tcti (and DBUS_SESSION_BUS_ADDRESS for abrmd).
# Not in a subshell: it records what it started for cleanup.
start_contender() {
	local name=$1 dir=$2 pcap=$3 tcti
	swtpm_dirs+=("$dir/swtpm")
	tcti=$("$swtpm_ci/swtpm-start" "$dir/swtpm")
	case $name in
	direct-swtpm)
		# The client's own TCTI writes the capture.
		client_tcti="pcap:$tcti"
		;;
	tpmproxyd)
		TCTI_PCAP_FILE=$pcap "$tpmproxyd" --tcti "pcap:$tcti" \
			--socket "$dir/tpm.sock" --pid-file "$dir/daemon.pid" \
			--log-level warning 2>"$dir/daemon.log" ||
			{ cat "$dir/daemon.log" >&2; die "tpmproxyd did not start"; }
		wait_for "[[ -s $dir/daemon.pid && -S $dir/tpm.sock ]]" 100 ||
			die "tpmproxyd did not create $dir/tpm.sock"
		daemon_pids+=("$(cat "$dir/daemon.pid")")
		client_tcti="proxy:$dir/tpm.sock"
		;;
	tpm2-abrmd)
		start_abrmd "$dir" "$pcap" "$tcti"
		client_tcti="tabrmd:bus_type=session"
		;;
	esac
}

rows=()
notes=()
run=0
for name in $contenders; do
	why=$(missing "$name")
	if [[ -n $why ]]; then
		echo "$prog: skipping $name: $why" >&2
		notes+=("$name skipped: $why")
		continue
	fi
	for clients in $clients_list; do
		run=$(( run + 1 ))
		dir=$T/run$run
		mkdir -p "$dir"
		pcap=$dir/tpm.pcap
		start_contender "$name" "$dir" "$pcap"
		line=$(TCTI_PCAP_FILE=$pcap "$signload" -T "$client_tcti" -c "$clients" \
			-n "$signs" -l "$name" -P "$pcap" 2>"$dir/signload.err") ||
			{ cat "$dir/signload.err" >&2; die "signload failed for $name"; }
		echo "$line"
		start=$(field pcap_start "$line")
		end=$(field pcap_end "$line")
		(( start >= 0 && end >= start )) ||
			die "$name: no usable capture offsets in: $line"
		counted=$(python3 "$count_pcap" --from "$start" --to "$end" "$pcap")
		echo "  TPM side: $counted"
		if [[ -s $dir/signload.err ]]; then
			while read -r n msg; do
				notes+=("$name, $clients clients: ${n}x $msg")
			done < <(sed 's/client [0-9]*: //; s/^signload: [^:]*: //' \
				"$dir/signload.err" | sort | uniq -c)
		fi
		cmds=$(field client_cmds "$line")
		tpm=$(field commands "$counted")
		ratio=$(awk -v a="$tpm" -v b="$cmds" \
			'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }')
		if [[ $name == direct-swtpm && $tpm != "$cmds" ]]; then
			echo "$prog: counter sanity check failed: direct swtpm" \
				"captured $tpm TPM commands for $cmds client commands" >&2
			notes+=("COUNTER SANITY CHECK FAILED: direct-swtpm, $clients clients: $tpm TPM cmds for $cmds client cmds")
		fi
		fail=$(field failures "$line")
		sfail=$(field setup_failed "$line")
		(( sfail > 0 )) && fail="$fail (setup failed: $sfail of $clients clients)"
		rows+=("| $name | $clients | $cmds | $tpm | **$ratio** | $fail \
| $(field ops_s "$line") | $(field p50_us "$line") | $(field p99_us "$line") \
| $(field by_code "$counted" | sed 's/,/, /g') |")
		# Tear this contender down before the next one starts.
		stop_daemons
		"$swtpm_ci/swtpm-stop" "$dir/swtpm" >/dev/null 2>&1 || true
		unset DBUS_SESSION_BUS_ADDRESS
	done
done

table=$(
	echo "| contender | clients | client cmds | TPM cmds | TPM cmds per client cmd | failures | ops/s | p50 µs | p99 µs | TPM cmds by code |"
	echo "|---|---:|---:|---:|---:|---|---:|---:|---:|---|"
	printf '%s\n' "${rows[@]}"
)
report=$(
	echo "# Resource manager cost: TPM commands per client command"
	echo
	echo "Generated by \`bench/rm-commands.sh\` (\`make bench\`); do not edit by hand."
	echo
	echo "Workload (\`bench/signload\`): each client is its own process with its own"
	echo "connection and primary ECC P-256 key. Setup phase, not counted: connect,"
	echo "CreatePrimary, one warm-up Sign (swtpm answers the first ECDSA Sign with"
	echo "TPM_RC_RETRY). Measured phase: $signs Esys_Sign per client. TPM commands are"
	echo "counted by \`bench/count-pcap.py\` in the capture of tpm2-tss's \`pcap:\`"
	echo "TCTI between the contender and swtpm, over the measured phase only; client"
	echo "commands are the commands the clients transmitted in that phase. Fresh"
	echo "swtpm per row; swtpm has 3 transient object slots."
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "- machine: $(uname -m), $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n1)"
	echo "- kernel: $(uname -r)"
	echo "- swtpm: $(version swtpm --version)"
	echo "- tpm2-abrmd: $(version tpm2-abrmd --version)"
	echo "- tpmproxyd: $(version "$tpmproxyd" --version) (source tree: $(git -C "$top_srcdir" describe --always --dirty 2>/dev/null || echo "not a git checkout"))"
	echo "- tpm2-tss: $(pkg-config --modversion tss2-esys 2>/dev/null || echo unknown)"
	echo
	echo "$table"
	if (( ${#notes[@]} )); then
		echo
		printf -- '- %s\n' "${notes[@]}"
	fi
)
echo
echo "$table"
(( ${#notes[@]} )) && printf -- '- %s\n' "${notes[@]}"
if [[ $results != - ]]; then
	echo "$report" >"$results"
	echo "written: $results"
fi

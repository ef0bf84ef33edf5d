#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The kernel's /dev/tpmrm0 against tpmproxyd on /dev/tpm0 in one VM guest (issue #7): boots swtpm-ci/vm/run-vm.sh with bench/vm-guest.sh, writes bench/RESULTS-tpmrm.md.
#
# The guest (Debian's kernel under QEMU TCG, swtpm as tpm-tis, see
# docs/vm.md) runs bench/loadgen against each contender in turn, rounds
# interleaved; this script gives it a shared directory for its results and
# swtpm's log at level 20 (every command the TPM receives), then counts the
# TPM commands of each measured phase and writes the report with
# bench/vm-report.py. docs/benchmarks-tpmrm.md says what the figures mean:
# under TCG only ratios within the guest do.
#
# Environment: BENCH_SECONDS (1, measured phase per round), BENCH_ROUNDS
# (3), BENCH_VM_CELLS ("workload:clients ...", default GetRandom, Sign with
# the shared persistent key and Sign with each client's own key, 1 and 8
# clients), BENCH_VM_CONTENDERS (default all: kernel-tpmrm tpmproxyd-tcti
# tpmproxyd-raw direct-tpm0 relay-tpm0), BENCH_VM_SMP (guest vCPUs, 1),
# BENCH_ALT_TPMPROXYD (another tpmproxyd build, measured beside this one
# as tpmproxyd-alt; on the host's root file system), BENCH_RESULTS (bench/RESULTS-tpmrm.md; the
# counted raw lines go beside it as .raw.txt), BENCH_VM_TIMEOUT (2400 s, the
# bound on the whole VM), BENCH_KEEP=1 (keep the shared directory: swtpm's
# log, the captures, the daemon's log). Exits 77 when run-vm.sh skips.
set -euo pipefail
top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
prog=${0##*/}
seconds=${BENCH_SECONDS:-1}
rounds=${BENCH_ROUNDS:-3}
cells=${BENCH_VM_CELLS:-getrandom:1 getrandom:8 sign:1 sign:8 sign-own:1 sign-own:8}
contenders=${BENCH_VM_CONTENDERS:-kernel-tpmrm tpmproxyd-tcti tpmproxyd-raw direct-tpm0 relay-tpm0}
results=${BENCH_RESULTS:-$top_srcdir/bench/RESULTS-tpmrm.md}
# One vCPU by default: with two, every wake-up of a process on the other
# vCPU waits for the host to schedule that vCPU's thread, which on a busy
# host costs milliseconds and swamps what is measured (docs/
# benchmarks-tpmrm.md, "Two vCPUs").
export VM_SMP=${BENCH_VM_SMP:-1}
alt_tpmproxyd=${BENCH_ALT_TPMPROXYD:-}
alt_option=
if [[ -n $alt_tpmproxyd ]]; then
	alt_tpmproxyd=$(cd "$(dirname "$alt_tpmproxyd")" && pwd)/${alt_tpmproxyd##*/}
	[[ -x $alt_tpmproxyd ]] || die "BENCH_ALT_TPMPROXYD=$alt_tpmproxyd is not executable"
	alt_option=" alt=$alt_tpmproxyd"
fi
daemon_pids=()
# shellcheck source=bench/benchlib.sh
. "$top_srcdir/bench/benchlib.sh"

[[ -x $top_builddir/bench/loadgen ]] || die "$top_builddir/bench/loadgen not built; run make first"
command -v python3 >/dev/null || die "python3 is needed for the report"
have_lib libtss2-tcti-pcap.so.0 ||
	die "the pcap TCTI is missing; install the Debian package libtss2-tcti-pcap0"
have_lib libtss2-tcti-device.so.0 ||
	die "the device TCTI is missing; install the Debian package libtss2-tcti-device0"

share=$(mktemp -d "${TMPDIR:-/tmp}/tpmproxy-bench-vm.XXXXXX")
cleanup() {
	if [[ -n ${BENCH_KEEP:-} ]]; then
		echo "$prog: kept $share"
	else
		rm -rf "$share"
	fi
}
trap cleanup EXIT

meta=$share/host.txt
{
	echo "meta date=$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "meta machine=$(uname -m), $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1), $(free -m | awk '/^Mem:/ { print $2 }') MiB"
	echo "meta host_kernel=$(uname -r)"
	echo "meta qemu=$(version "${QEMU:-qemu-system-x86_64}" --version), -accel ${VM_ACCEL:-tcg}, -smp $VM_SMP, -m ${VM_MEM:-1024}"
	echo "meta swtpm=$(version "${SWTPM:-swtpm}" --version)"
	echo "meta tpmproxyd=$("$top_builddir/src/tpmproxyd" --version) (source tree $(git -C "$top_srcdir" describe --always --dirty 2>/dev/null || echo "not a git checkout"))"
	[[ -z $alt_tpmproxyd ]] ||
		echo "meta tpmproxyd-alt=$("$alt_tpmproxyd" --version) ($alt_tpmproxyd)"
	echo "meta tpm2-tss=$(pkg-config --modversion tss2-esys 2>/dev/null || echo unknown)"
	echo "meta load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$meta"

rc=0
VM_GUEST_SCRIPT=$top_srcdir/bench/vm-guest.sh VM_SHARE=$share \
	VM_SWTPM_LOG=$share/swtpm.log VM_SWTPM_LOG_LEVEL=20 \
	VM_OPTIONS="seconds=$seconds rounds=$rounds cells=${cells// /,} contenders=${contenders// /,}$alt_option" \
	VM_TIMEOUT=${BENCH_VM_TIMEOUT:-2400} \
	"$top_srcdir/swtpm-ci/vm/run-vm.sh" "$top_builddir" || rc=$?
(( rc != 77 )) || exit 77
echo "meta load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$meta"
if (( rc != 0 )); then
	BENCH_KEEP=1
	die "the guest run failed (status $rc); its files are in $share"
fi
[[ -s $share/raw.txt ]] || die "the guest wrote no results"
mkdir -p "$(dirname "$results")"
python3 "$top_srcdir/bench/vm-report.py" --share "$share" --meta "$meta" \
	--raw "${results%.md}.raw.txt" --out "$results"
echo "written: $results"

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Inside the VM of bench/vm-run.sh: the kernel's /dev/tpmrm0 against tpmproxyd on /dev/tpm0, same guest, same TPM.
#
# Run by swtpm-ci/vm/init (VM_GUEST_SCRIPT) chrooted into the host's root,
# read-only; /run/share is the host directory bench/vm-run.sh reads back
# (VM_SHARE), and holds swtpm's log (level 20: every command the TPM
# receives, from whichever path), whose size bench/loadgen samples at the
# boundaries of each measured phase (-L).
#
# Contenders, one at a time, rounds interleaved as in bench/run.sh:
#   kernel-tpmrm    the client's device TCTI on /dev/tpmrm0 (the kernel's
#                   resource manager)
#   tpmproxyd-tcti  tpmproxyd --tcti pcap:device:/dev/tpm0, clients through
#                   libtss2-tcti-proxy
#   tpmproxyd-raw   the same daemon, command bytes on its unix socket
#   direct-tpm0     the client's device TCTI on /dev/tpm0: the physical
#                   limit, one client only (the device admits one opener),
#                   with tpmproxyd stopped for it
#   relay-tpm0      bench/relay on pcap:device:/dev/tpm0, one client, the
#                   daemon stopped: the least any process between a client
#                   and the device adds (two more process wake-ups), the
#                   floor for tpmproxyd in this guest
#   tpmproxyd-alt   with alt=PATH, another tpmproxyd build through
#                   tcti-proxy (each build stops for the other's turn)
# Every contender pays one pcap: capture per command it sends to a TPM
# device node (the direct and tpmrm0 clients wrap their own TCTI, the daemon
# its backend); the kernel's own swapping commands never pass a TCTI, so
# only swtpm's log shows them.
#
# Writes /run/share/raw.txt: "meta", "note" and bench/run.sh-style result
# lines with pcap= (the capture's name in /run/share) and log offsets;
# bench/vm-report.py counts and reports on the host. VM_OPTIONS words:
# seconds=S (1), rounds=N (3), cells=W:N,W:N (getrandom:1,getrandom:8,
# sign:1,sign:8,sign-own:1,sign-own:8), contenders=A,B (all five),
# alt=PATH.
set -uo pipefail

# shellcheck source=/dev/null
. "${1:-/run/vm.env}"
top_srcdir=$VM_TOP_SRCDIR
top_builddir=$VM_TOP_BUILDDIR
prog=vm-guest
loadgen=$top_builddir/bench/loadgen
tpmproxyd=$top_builddir/src/tpmproxyd
SHARE=/run/share
LOG=$SHARE/swtpm.log
RAW=$SHARE/raw.txt
W=/run/bench
KEY=0x81000100
WAIT=300	# seconds; bounds one loadgen run (hang detection only)
seconds=1
rounds=3
cells="getrandom:1 getrandom:8 sign:1 sign:8 sign-own:1 sign-own:8"
contenders="kernel-tpmrm tpmproxyd-tcti tpmproxyd-raw direct-tpm0 relay-tpm0"
alt_tpmproxyd=
for opt in $VM_OPTIONS; do
	case $opt in
	seconds=*) seconds=${opt#seconds=} ;;
	rounds=*) rounds=${opt#rounds=} ;;
	cells=*) cells=${opt#cells=}; cells=${cells//,/ } ;;
	contenders=*) contenders=${opt#contenders=}; contenders=${contenders//,/ } ;;
	alt=*) alt_tpmproxyd=${opt#alt=} ;;
	*) echo "$prog: unknown VM_OPTIONS word '$opt'" ;;
	esac
done

daemon_pids=()
# shellcheck source=bench/benchlib.sh
. "$top_srcdir/bench/benchlib.sh"

DAEMON_PID=
DAEMON_NAME=
RELAY_PID=
FAILED=0

record() {
	echo "$*" >>"$RAW"
}

# The ownership Debian's 60-tpm-udev.rules gives the nodes (no udev here),
# so that tpmproxyd, once it is tss, could reopen /dev/tpm0.
prepare_devices() {
	local d
	for d in /dev/tpm0 /dev/tpmrm0; do
		[[ -c $d ]] || die "$d is not a character device"
	done
	if getent passwd tss >/dev/null; then
		chown tss /dev/tpm0 && chmod 0660 /dev/tpm0
		chown tss:tss /dev/tpmrm0 && chmod 0660 /dev/tpmrm0
		chown tss: "$W"
	fi
}

# The kernel's hwrng thread reads the TPM now and then (tpm_tis registers
# one): its GetRandoms would land in swtpm's log and compete for the chip.
# Quality 0 stops the thread (hw_random core); say what was done.
quiet_hwrng() {
	local d=/sys/class/misc/hw_random
	if [[ ! -r $d/rng_current ]]; then
		record "meta hwrng=none registered"
		return
	fi
	if [[ $(cat "$d/rng_current") == tpm* && -w $d/rng_quality ]]; then
		echo 0 >"$d/rng_quality" 2>/dev/null || true
	fi
	record "meta hwrng=$(cat "$d/rng_current"), quality $(cat "$d/rng_quality" 2>/dev/null || echo '?') (0: the kernel's hwrng thread does not read the TPM)"
}

# Start daemon build $1 (tpmproxyd, or alt: the alt= build) on /dev/tpm0,
# its backend wrapped in pcap:, unless it runs; the other build stops
# first, since /dev/tpm0 admits one opener. Its socket is $W/$1.sock.
daemon_start() {
	local name=$1 bin=$tpmproxyd
	[[ $name == alt ]] && bin=$alt_tpmproxyd
	[[ -n $DAEMON_PID && $DAEMON_NAME == "$name" ]] && return 0
	daemon_stop
	relay_stop
	cat >"$W/$name.conf" <<EOF
# Quotas count per socket here (no pods): room for every workload.
[daemon]
tcti = pcap:device:/dev/tpm0
[socket "bench"]
path = $W/$name.sock
max-connections = 4096
max-objects = 1024
max-sessions = 1024
EOF
	rm -f "$W/$name.sock"
	TCTI_PCAP_FILE=$W/$name.pcap "$bin" --foreground \
		--config "$W/$name.conf" --log-level warning \
		>>"$W/$name.log" 2>&1 &
	DAEMON_PID=$!
	DAEMON_NAME=$name
	wait_for "[[ -S $W/$name.sock ]]" 600 ||
		{ tail -n 20 "$W/$name.log"; die "$bin did not create $W/$name.sock"; }
}

# Stop it (SIGTERM; it flushes what its clients left), so /dev/tpm0 is free.
daemon_stop() {
	[[ -n $DAEMON_PID ]] || return 0
	stop_pid "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
}

# Start bench/relay on /dev/tpm0 (tpmproxyd must be stopped).
relay_start() {
	[[ -z $RELAY_PID ]] || return 0
	rm -f "$W/relay.sock"
	TCTI_PCAP_FILE=$W/relay.pcap "$top_builddir/bench/relay" \
		-T pcap:device:/dev/tpm0 -s "$W/relay.sock" 2>>"$W/relay.log" &
	RELAY_PID=$!
	wait_for "[[ -S $W/relay.sock ]]" 600 ||
		{ tail -n 20 "$W/relay.log"; die "bench/relay did not create $W/relay.sock"; }
}

relay_stop() {
	[[ -n $RELAY_PID ]] || return 0
	stop_pid "$RELAY_PID"
	wait "$RELAY_PID" 2>/dev/null
	RELAY_PID=
}

# The loadgen arguments of contender $1 and its capture's name; starts
# and stops the daemon and the relay as the contender needs /dev/tpm0.
contender_args() {
	case $1 in
	kernel-tpmrm)
		args=(-T pcap:device:/dev/tpmrm0)
		pcap=tpmrm0.pcap ;;
	tpmproxyd-tcti)
		daemon_start tpmproxyd
		args=(-T "proxy:$W/tpmproxyd.sock" -R "$DAEMON_PID")
		pcap=tpmproxyd.pcap ;;
	tpmproxyd-raw)
		daemon_start tpmproxyd
		args=(-S "$W/tpmproxyd.sock" -R "$DAEMON_PID")
		pcap=tpmproxyd.pcap ;;
	tpmproxyd-alt)
		daemon_start alt
		args=(-T "proxy:$W/alt.sock" -R "$DAEMON_PID")
		pcap=alt.pcap ;;
	direct-tpm0)
		daemon_stop
		relay_stop
		args=(-T pcap:device:/dev/tpm0)
		pcap=tpm0.pcap ;;
	relay-tpm0)
		daemon_stop
		relay_start
		args=(-T "proxy:$W/relay.sock" -R "$RELAY_PID")
		pcap=relay.pcap ;;
	*) die "unknown contender $1" ;;
	esac
}

# Why contender $1 does not run workload $2 with $3 clients, or nothing.
skip_reason() {
	case $1:$3 in
	direct-tpm0:1 | relay-tpm0:1) ;;
	direct-tpm0:*)
		echo "/dev/tpm0 admits one opener: one client only" ;;
	relay-tpm0:*)
		echo "a floor for one client's latency only" ;;
	esac
}

# Run contender $1 on workload $2 with $3 clients, round $4.
run_one() {
	local name=$1 workload=$2 clients=$3 round=$4 line args pcap
	contender_args "$name"
	line=$(TCTI_PCAP_FILE=$W/$pcap timeout -k 5 "$WAIT" "$loadgen" \
		"${args[@]}" -w "$workload" -c "$clients" -l "$name" -k "$KEY" \
		-d "$seconds" -P "$W/$pcap" -L "$LOG" 2>>"$W/loadgen.err")
	if [[ -z $line ]]; then
		echo "  $name: FAILED"
		tail -n 5 "$W/loadgen.err" | sed 's/^/  | /'
		record "contender=$name round=$round label=$name workload=$workload clients=$clients setup_failed=$clients ops=0 failures=0"
		FAILED=1
		return
	fi
	record "contender=$name round=$round $line pcap=$pcap"
	echo "  $name: $(sed 's/ pcap_[a-z]*=[^ ]*//g; s/ log_[a-z]*=[^ ]*//g; s/^label=[^ ]* //' <<<"$line")"
}

# The guest's uptime on each round's progress line (run_cell, benchlib.sh).
round_note() {
	echo " (up $(cut -d' ' -f1 /proc/uptime) s)"
}

main() {
	local cell t0
	t0=$(date +%s)
	mkdir -p "$W" /run/home
	export TMPDIR=$W LD_LIBRARY_PATH=$top_builddir/tcti-proxy/.libs
	[[ -w $SHARE ]] || die "$SHARE is not writable: run by bench/vm-run.sh"
	[[ -x $loadgen && -x $tpmproxyd ]] || die "loadgen or tpmproxyd not built in $top_builddir"
	if [[ -n $alt_tpmproxyd ]]; then
		[[ -x $alt_tpmproxyd ]] || die "alt=$alt_tpmproxyd is not executable in the guest"
		[[ " $contenders " == *" tpmproxyd-alt "* ]] || contenders+=" tpmproxyd-alt"
	fi
	prepare_devices
	record "meta guest_kernel=$(uname -r), $(nproc) CPUs, $(awk '/^MemTotal/ { printf "%d MiB", $2 / 1024 }' /proc/meminfo), TPM $(cat /sys/class/tpm/tpm0/tpm_version_major 2>/dev/null) via $(basename "$(readlink /sys/class/tpm/tpm0/device/driver 2>/dev/null)")"
	record "meta seconds=$seconds"
	record "meta rounds=$rounds"
	record "meta contenders=$contenders"
	quiet_hwrng
	echo "$prog: kernel $(uname -r), $(nproc) CPUs; $rounds rounds of $seconds s; cells: $cells"
	timeout -k 5 "$WAIT" "$loadgen" -T device:/dev/tpmrm0 -w provision -k "$KEY" ||
		die "cannot make the persistent key $KEY"
	for cell in $cells; do
		run_cell "$cell"
	done
	daemon_stop
	relay_stop
	record "meta guest_seconds=$(( $(date +%s) - t0 ))"
	cp "$W"/*.pcap "$SHARE"/ 2>/dev/null
	cp "$W"/*.log "$W/loadgen.err" "$SHARE"/ 2>/dev/null
	if (( FAILED )); then
		echo "VM-RESULT: FAIL (a loadgen run failed; see loadgen.err)"
		return 1
	fi
	echo "VM-RESULT: PASS"
}

main

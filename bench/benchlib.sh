# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# Sourced by the benchmark scripts: stopping what they started, waiting,
# finding libraries, starting tpm2-abrmd on a private session bus, versions,
# running a cell's rounds.
#
# The caller sets prog (its name) and daemon_pids=() before using these.

die() {
	echo "$prog: error: $*" >&2
	exit 1
}

# Stop a process this run started, by pid: TERM, then KILL after 10 s.
stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for (( i = 0; i < 100; i++ )); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# Stop every daemon recorded in daemon_pids, newest first.
stop_daemons() {
	local pid
	for pid in "${daemon_pids[@]}"; do
		stop_pid "$pid"
	done
	daemon_pids=()
}

# Wait until $1 (a command) succeeds, at most $2 tenths of a second.
wait_for() {
	local i
	for (( i = 0; i < $2; i++ )); do
		eval "$1" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

have_lib() {
	ldconfig -p 2>/dev/null | grep -q "$1" ||
		[[ -e /usr/lib/x86_64-linux-gnu/$1 || -e /usr/lib/$1 ]]
}

# Why tpm2-abrmd cannot run here, or nothing when it can.
abrmd_missing() {
	command -v tpm2-abrmd >/dev/null ||
		{ echo "package tpm2-abrmd not installed"; return; }
	have_lib libtss2-tcti-tabrmd.so.0 ||
		{ echo "package libtss2-tcti-tabrmd0 not installed"; return; }
	command -v dbus-daemon >/dev/null && command -v dbus-send >/dev/null ||
		echo "package dbus not installed"
}

# start_abrmd DIR PCAP TCTI [ABRMD ARGS...]: a private session D-Bus and
# tpm2-abrmd on it, its backend TCTI wrapped in pcap: writing PCAP. Exports
# DBUS_SESSION_BUS_ADDRESS; sets abrmd_pid and bus_pid and records both in
# daemon_pids. Clients use the TCTI "tabrmd:bus_type=session".
start_abrmd() {
	local dir=$1 pcap=$2 tcti=$3
	shift 3
	dbus-daemon --session --fork --print-address=3 --print-pid=4 \
		3>"$dir/bus.addr" 4>"$dir/bus.pid"
	bus_pid=$(cat "$dir/bus.pid")
	daemon_pids=("$bus_pid" "${daemon_pids[@]}")
	DBUS_SESSION_BUS_ADDRESS=$(head -n1 "$dir/bus.addr")
	export DBUS_SESSION_BUS_ADDRESS
	TCTI_PCAP_FILE=$pcap tpm2-abrmd --session --allow-root \
		--tcti="pcap:$tcti" "$@" >"$dir/abrmd.log" 2>&1 &
	abrmd_pid=$!
	daemon_pids=("$abrmd_pid" "${daemon_pids[@]}")
	wait_for "dbus-send --session --print-reply \
		--dest=org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus.NameHasOwner \
		string:com.intel.tss2.Tabrmd | grep -q 'boolean true'" 100 ||
		{ cat "$dir/abrmd.log" >&2; die "tpm2-abrmd did not start"; }
}

# The first line of a program's version output, or "not installed".
version() {
	command -v "$1" >/dev/null || { echo "not installed"; return; }
	"$@" 2>&1 | head -n1
}

# The value of key $1 in the key=value line $2.
field() {
	sed -n "s/.* $1=\\([^ ]*\\).*/\\1/p" <<<" $2"
}

# All rounds of cell $1 (WORKLOAD:CLIENTS), contenders interleaved round by
# round. The caller defines skip_reason, run_one and record, sets
# contenders and rounds, and may define round_note (text after the round's
# progress line).
run_cell() {
	local workload=${1%%:*} clients=${1##*:} name why round n=$rounds note=
	[[ $workload == idle ]] && n=1	# a size, not a time: no noise to beat
	for name in $contenders; do
		why=$(skip_reason "$name" "$workload" "$clients")
		[[ -z $why ]] || record "contender=$name workload=$workload clients=$clients skipped=$why"
	done
	for (( round = 1; round <= n; round++ )); do
		declare -F round_note >/dev/null && note=$(round_note)
		echo "$workload, $clients clients, round $round of $n$note"
		for name in $contenders; do
			[[ -z $(skip_reason "$name" "$workload" "$clients") ]] || continue
			run_one "$name" "$workload" "$clients" "$round"
		done
	done
}

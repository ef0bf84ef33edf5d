#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# One entry point for a fresh Debian machine: install what is missing,
# build, run the demo or the whole test suite.
set -euo pipefail

top=$(cd "$(dirname "$0")" && pwd)
build=${TPMPROXY_BUILD:-$top/_build}

# Debian packages: build dependencies, then what the tests and demo drive.
BUILD_PACKAGES=(build-essential autoconf automake libtool pkg-config
	autoconf-archive libtss2-dev libevent-dev libseccomp-dev libssl-dev
	libcmocka-dev)
TEST_PACKAGES=(swtpm swtpm-tools tpm2-tools python3 python3-tpm2-pytss
	socat clang libclang-rt-14-dev valgrind mandoc procps yamllint
	python3-yaml qemu-system-x86 linux-image-amd64 busybox-static
	tpm2-openssl libtpm2-pkcs11-1 libtpm2-pkcs11-tools opensc clevis
	clevis-tpm2)
# Only `./dev.sh bench`: the contenders and the plot.
BENCH_PACKAGES=(tpm2-abrmd libtss2-tcti-tabrmd0 dbus libtss2-tcti-pcap0
	gnuplot-nox)
# kubectl renders the Kubernetes manifests offline; Debian's comes with
# kubernetes-client, which conflicts with a kubectl installed otherwise.
command -v kubectl >/dev/null 2>&1 || TEST_PACKAGES+=(kubernetes-client)

usage() {
	cat <<USAGE
usage: ./dev.sh COMMAND

  demo    install packages, build, and run swtpm + tpmproxyd with several
          clients through it concurrently (what the daemon does, end to end)
  test    install packages, build with ASan+UBSan, run the whole test suite
          (unit, integration against swtpm, fuzz smoke runs, man lint,
          Kubernetes manifests), make distcheck, then make check-vm
          (Debian's kernel under QEMU driving a vTPM's /dev/tpm0)
  bench   install packages (tpm2-abrmd too), build without sanitizers and
          run every contender side by side: bench/RESULTS.md and .png
  deps    only install the Debian packages
  build   only build (into \$TPMPROXY_BUILD, default ./_build)
USAGE
}

# Run as root, or through sudo when there is one.
as_root() {
	if [[ $(id -u) -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		echo "dev.sh: need root to run: $*" >&2
		exit 1
	fi
}

# Install the packages that are not installed yet (and those named).
deps() {
	local missing=() p
	for p in "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q "install ok installed" || missing+=("$p")
	done
	if ((${#missing[@]})); then
		echo "dev.sh: installing ${missing[*]}"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
		as_root env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q --no-install-recommends "${missing[@]}"
	fi
}

# Configure (once, or when asked for other options) and build out of tree.
build() {
	local options="$*" stamp="$build/.configure-options"
	[[ -x $top/configure ]] || (cd "$top" && autoreconf -fi)
	mkdir -p "$build"
	if [[ ! -f $build/Makefile || $(cat "$stamp" 2>/dev/null) != "$options" ]]; then
		(cd "$build" && "$top/configure" $options)
		echo "$options" >"$stamp"
	fi
	make -C "$build" -j"$(nproc)"
}

# The closing line CI reads: counts from automake's test-suite.log.
summary() {
	local log=$1 pass fail skip error
	[[ -f $log ]] || return 0
	pass=$(sed -n 's/^# PASS: *//p' "$log")
	fail=$(sed -n 's/^# FAIL: *//p' "$log")
	error=$(sed -n 's/^# ERROR: *//p' "$log")
	skip=$(sed -n 's/^# SKIP: *//p' "$log")
	echo "tests: ${pass:-0} passed, $((${fail:-0} + ${error:-0})) failed, ${skip:-0} skipped"
}

case ${1:-} in
demo)
	deps
	build
	"$top/swtpm-ci/demo" "$build"
	;;
test)
	deps
	build --enable-asan
	status=0
	make -C "$build" -j"$(nproc)" check || status=$?
	summary "$build/test-suite.log"
	if ((status != 0)); then
		cat "$build/test-suite.log"
		exit "$status"
	fi
	make -C "$build" -j"$(nproc)" distcheck
	# Last, alone: the kernel's /dev/tpm0 in a VM takes both cores.
	make -C "$build" check-vm
	summary "$build/test-suite.log"
	echo "check-vm: tpmproxyd on a kernel /dev/tpm0 passed (or skipped, as said above)"
	;;
bench)
	deps "${BENCH_PACKAGES[@]}"
	build
	make -C "$build" bench
	;;
deps) deps ;;
build) deps; build ;;
-h | --help | help) usage ;;
*) usage >&2; exit 2 ;;
esac

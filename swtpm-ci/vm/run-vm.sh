#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Boot Debian's kernel under QEMU with a swtpm vTPM and run tpmproxyd on the kernel's /dev/tpm0 (guest-test.sh).
set -euo pipefail

prog=${0##*/}
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/../.." && pwd)
QEMU=${QEMU:-qemu-system-x86_64}
SWTPM=${SWTPM:-swtpm}
BUSYBOX=${BUSYBOX:-}
VM_TIMEOUT=${VM_TIMEOUT:-900}
VM_MEM=${VM_MEM:-1024}
VM_SMP=${VM_SMP:-2}
VM_ACCEL=${VM_ACCEL:-tcg}
VM_OPTIONS=${VM_OPTIONS:-}
VM_GUEST_SCRIPT=${VM_GUEST_SCRIPT:-$here/guest-test.sh}
VM_SHARE=${VM_SHARE:-}
VM_SWTPM_LOG=${VM_SWTPM_LOG:-}
VM_SWTPM_LOG_LEVEL=${VM_SWTPM_LOG_LEVEL:-1}
T=
RUNNER_PID=
T0=

usage() {
    cat <<EOF
Usage: $prog [TOP_BUILDDIR]

Boot the newest Debian kernel in /boot under $QEMU (TCG) with a swtpm
vTPM (tpm-tis), the host's root shared read-only over 9p, and run
swtpm-ci/vm/guest-test.sh in it: tpmproxyd on the kernel's /dev/tpm0, the
client set through the proxy and, for comparison, on the kernel's
/dev/tpmrm0 (see docs/vm.md). TOP_BUILDDIR (default \$top_builddir or the
current directory) holds the built daemon and TCTI; it must be on the
host's root file system (the guest sees /, not /run, /dev, /proc, /sys).

Exits 0 when the guest reports PASS, 1 on failure or when the VM did not
finish within VM_TIMEOUT seconds (it is killed), 77 (skip) when qemu, a
kernel with its modules, a static busybox, swtpm or tpm2-tools is missing.

Environment:
  VM_KERNEL    kernel image (default: newest /boot/vmlinuz-* with /lib/modules)
  VM_TIMEOUT   seconds before a hung VM is killed (default 900)
  VM_MEM, VM_SMP, VM_ACCEL   guest memory in MiB (1024), CPUs (2), tcg|kvm (tcg)
  VM_OPTIONS   words for the guest test (guest-test.sh): no-integration or
               all-tests (fewer or more of the unmodified integration tests
               on /dev/tpm0), tests=A.sh,B.sh, loops=N, iterations=N
  VM_GUEST_SCRIPT  what the guest runs instead of guest-test.sh (a path on
               the host's root; bench/vm-guest.sh is the other one)
  VM_SHARE     a host directory shared read-write (9p, uncached) and
               mounted at /run/share in the guest: where a guest writes
               what the host should keep
  VM_SWTPM_LOG, VM_SWTPM_LOG_LEVEL   swtpm's log file (default in the
               temp dir) and level (1; 20 logs every command and response)
  VM_KEEP=1    keep the temp dir (console log, initramfs, swtpm state);
               also kept on failure when CI is set
  QEMU, SWTPM, BUSYBOX   programs to use
EOF
}

say() { echo "[$prog] $*"; }

die() {
    echo "$prog: error: $*" >&2
    exit 1
}

skip() {
    echo "SKIP: $prog: $*"
    exit 77
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---- prerequisites -------------------------------------------------------------

# Sets KERNEL and KVER: VM_KERNEL, or the newest /boot/vmlinuz-VER whose
# /lib/modules/VER has a modules.dep (the 9p modules come from there).
find_kernel() {
    local k ver
    if [[ -n ${VM_KERNEL:-} ]]; then
        [[ -r $VM_KERNEL ]] || skip "VM_KERNEL=$VM_KERNEL is not readable"
        KERNEL=$VM_KERNEL
        KVER=${KERNEL##*/vmlinuz-}
        [[ -r /lib/modules/$KVER/modules.dep ]] ||
            skip "no /lib/modules/$KVER/modules.dep for $KERNEL"
        return 0
    fi
    KERNEL=
    while read -r k; do
        ver=${k##*/vmlinuz-}
        [[ -r $k && -r /lib/modules/$ver/modules.dep ]] || continue
        KERNEL=$k
        KVER=$ver
    done < <(printf '%s\n' /boot/vmlinuz-* | sort -V)
    [[ -n $KERNEL ]] ||
        skip "no kernel: no readable /boot/vmlinuz-* with /lib/modules (apt-get install linux-image-amd64)"
}

# A busybox that runs without shared libraries (the initramfs has none).
find_busybox() {
    local b
    for b in "$BUSYBOX" /bin/busybox /usr/bin/busybox; do
        [[ -n $b && -x $b ]] || continue
        if ! ldd "$b" >/dev/null 2>&1; then
            BUSYBOX=$b
            return 0
        fi
    done
    skip "no statically linked busybox (apt-get install busybox-static)"
}

check_prerequisites() {
    local t
    command -v "$QEMU" >/dev/null 2>&1 ||
        skip "$QEMU not installed (apt-get install qemu-system-x86)"
    find_kernel
    find_busybox
    command -v modprobe >/dev/null 2>&1 || skip "modprobe not installed (apt-get install kmod)"
    MODULES=$(module_paths) || skip "kernel $KVER lacks the virtio-pci or 9p modules"
    command -v "$SWTPM" >/dev/null 2>&1 || skip "swtpm not installed (apt-get install swtpm)"
    for t in tpm2_getrandom tpm2_getcap tpm2_createprimary tpm2_nvdefine; do
        command -v "$t" >/dev/null 2>&1 || skip "$t not installed (apt-get install tpm2-tools)"
    done
    [[ -x $top_builddir/src/tpmproxyd ]] ||
        die "tpmproxyd not built: $top_builddir/src/tpmproxyd (run make in $top_builddir)"
    [[ -e $top_builddir/tcti-proxy/.libs/libtss2-tcti-proxy.so.0 ]] ||
        die "client TCTI not built in $top_builddir/tcti-proxy/.libs"
    case $top_builddir/ in
        /run/*|/dev/*|/proc/*|/sys/*)
            die "$top_builddir is not visible in the guest (its /run, /dev, /proc, /sys are its own)" ;;
    esac
    [[ -r $VM_GUEST_SCRIPT ]] || die "no guest script $VM_GUEST_SCRIPT"
    case $VM_GUEST_SCRIPT in
        /run/*|/dev/*|/proc/*|/sys/*)
            die "$VM_GUEST_SCRIPT is not visible in the guest" ;;
    esac
    [[ -z $VM_SHARE || -d $VM_SHARE ]] || die "VM_SHARE=$VM_SHARE is not a directory"
}

# ---- initramfs -------------------------------------------------------------------

# The virtio-pci and 9p modules of $KVER with their dependencies, in load
# order, one .ko path per line (modprobe resolves modules.dep for us).
module_paths() {
    local m
    for m in virtio_pci 9pnet_virtio 9p; do
        modprobe -S "$KVER" --show-depends "$m" || return 1
    done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }'
}

# Copy module $1 to $2 uncompressed (busybox insmod reads plain .ko only).
copy_module() {
    case $1 in
        *.ko) cp "$1" "$2" ;;
        *.ko.xz) xz -dc "$1" > "$2" ;;
        *.ko.zst) zstd -qdc "$1" > "$2" ;;
        *.ko.gz) gzip -dc "$1" > "$2" ;;
        *) die "unknown module format: $1" ;;
    esac
}

# Single-quote $1 for /bin/sh.
shquote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

make_initramfs() {
    local ir=$T/initramfs m name
    mkdir -p "$ir/bin" "$ir/lib/modules"
    cp "$BUSYBOX" "$ir/bin/busybox"
    cp "$here/init" "$ir/init"
    chmod 755 "$ir/init"
    : > "$ir/modules.list"
    while read -r m; do
        name=${m##*/}
        name=${name%%.ko*}.ko
        copy_module "$m" "$ir/lib/modules/$name"
        echo "/lib/modules/$name" >> "$ir/modules.list"
    done <<< "$MODULES"
    [[ -s $ir/modules.list ]] || die "no modules found for $KVER"
    {
        echo "VM_GUEST_SCRIPT=$(shquote "$VM_GUEST_SCRIPT")"
        echo "VM_TOP_SRCDIR=$(shquote "$top_srcdir")"
        echo "VM_TOP_BUILDDIR=$(shquote "$top_builddir")"
        echo "VM_OPTIONS=$(shquote "$VM_OPTIONS")"
        echo "VM_SHARE=$(shquote "$VM_SHARE")"
    } > "$ir/vm.env"
    (cd "$ir" && find . | "$BUSYBOX" cpio -o -H newc 2>/dev/null) > "$T/initramfs.cpio" ||
        die "cannot pack the initramfs"
}

# ---- swtpm and qemu ----------------------------------------------------------------

# swtpm for this VM only, its state in $T/swtpm; QEMU connects to the
# control socket and ends it when it exits (CMD_SHUTDOWN).
start_swtpm() {
    local i
    mkdir -p "$T/swtpm"
    "$SWTPM" socket --tpm2 \
        --tpmstate "dir=$T/swtpm" \
        --ctrl "type=unixio,path=$T/swtpm/ctrl.sock" \
        --pid "file=$T/swtpm/swtpm.pid" \
        --log "file=${VM_SWTPM_LOG:-$T/swtpm/swtpm.log},level=$VM_SWTPM_LOG_LEVEL" \
        --daemon || die "swtpm did not start"
    for (( i = 0; i < 300; i++ )); do
        [[ -S $T/swtpm/ctrl.sock ]] && return 0
        sleep 0.1
    done
    die "swtpm did not create $T/swtpm/ctrl.sock within 30 s"
}

# Runs QEMU in the background under timeout(1) (the bound on a hung guest),
# its serial console in $T/console.log, shown here as it grows.
# mitigations=off: on TCG's default CPU the guest kernel would isolate its
# page tables (KPTI), and every system call's address-space switch then
# flushes TCG's software TLB; without it a process start and a pytss
# import take half the time or less. The guest is a throw-away test VM.
run_qemu() {
    local accel=$VM_ACCEL rc=0 share=()
    [[ $accel == kvm || $accel == tcg ]] || die "VM_ACCEL must be tcg or kvm"
    [[ -z $VM_SHARE ]] ||
        share=(-virtfs "local,path=$VM_SHARE,mount_tag=share,security_model=none")
    timeout -k 10 "$VM_TIMEOUT" "$QEMU" \
        -machine q35 -accel "$accel" -smp "$VM_SMP" -m "$VM_MEM" \
        -nodefaults -no-user-config -display none -no-reboot \
        -chardev "file,id=con,path=$T/console.log" -serial chardev:con \
        -kernel "$KERNEL" -initrd "$T/initramfs.cpio" \
        -append "console=ttyS0 panic=-1 quiet mitigations=off" \
        -chardev "socket,id=chrtpm,path=$T/swtpm/ctrl.sock" \
        -tpmdev emulator,id=tpm0,chardev=chrtpm \
        -device tpm-tis,tpmdev=tpm0 \
        -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
        "${share[@]}" \
        < /dev/null > "$T/qemu.log" 2>&1 &
    RUNNER_PID=$!
    while [[ ! -e $T/console.log ]] && kill -0 "$RUNNER_PID" 2>/dev/null; do
        sleep 0.1
    done
    # The serial line ends lines with CR LF; sed -u: line by line also
    # into a pipe or file (a CI log), not in 4 KiB blocks.
    tail -n +1 -f --pid="$RUNNER_PID" "$T/console.log" 2>/dev/null | sed -u 's/\r$//' &
    wait "$RUNNER_PID" || rc=$?
    RUNNER_PID=
    wait || true
    QEMU_STATUS=$rc
}

cleanup() {
    local rc=$?
    set +e
    trap - EXIT
    if [[ -n $RUNNER_PID ]]; then
        kill -TERM "$RUNNER_PID" 2>/dev/null
        wait "$RUNNER_PID" 2>/dev/null
    fi
    [[ -n $T ]] && "$top_srcdir/swtpm-ci/swtpm-stop" "$T/swtpm" >/dev/null 2>&1
    if [[ ${VM_KEEP:-0} == 1 || ( $rc -ne 0 && $rc -ne 77 && -n ${CI:-} ) ]]; then
        [[ -n $T ]] && echo "$prog: kept $T" >&2
    elif [[ -n $T ]]; then
        rm -rf "$T"
    fi
    exit "$rc"
}

# ---- verdict ---------------------------------------------------------------------------

verdict() {
    local console result exit_line
    console=$(tr -d '\r' < "$T/console.log" 2>/dev/null || true)
    result=$(grep -a '^VM-RESULT: ' <<<"$console" | tail -n 1 || true)
    exit_line=$(grep -a '^VM-EXIT: ' <<<"$console" | tail -n 1 || true)
    echo
    say "host timings: initramfs $T_INITRAMFS s, swtpm $T_SWTPM s, VM (boot + test + power-off) $T_VM s, total $(since "$T0") s"
    if [[ $QEMU_STATUS == 124 || $QEMU_STATUS == 137 ]]; then
        say "FAIL: the VM did not finish within ${VM_TIMEOUT}s (killed); last console lines above"
        return 1
    fi
    if [[ $QEMU_STATUS != 0 ]]; then
        say "FAIL: $QEMU exited with status $QEMU_STATUS:"
        cat "$T/qemu.log"
        return 1
    fi
    if [[ $result != "VM-RESULT: PASS" || $exit_line != "VM-EXIT: 0" ]]; then
        say "FAIL: guest reported '${result:-no result}', '${exit_line:-no exit status}'"
        [[ -s ${VM_SWTPM_LOG:-$T/swtpm/swtpm.log} ]] &&
            { echo "---- swtpm log ----"; tail -n 20 "${VM_SWTPM_LOG:-$T/swtpm/swtpm.log}"; }
        return 1
    fi
    say "PASS"
}

main() {
    local t
    if [[ ${1:-} == -h || ${1:-} == --help ]]; then
        usage
        exit 0
    fi
    (( $# <= 1 )) || { usage >&2; exit 2; }
    top_builddir=$(cd "${1:-${top_builddir:-.}}" && pwd) || die "no build directory ${1:-}"
    T0=$(now)
    check_prerequisites
    local base=${TMPDIR:-/tmp}
    (( ${#base} < 60 )) || base=/tmp
    T=$(mktemp -d "$base/tpmproxy-vm.XXXXXX") || die "mktemp failed"
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    say "kernel $KERNEL, $QEMU -accel $VM_ACCEL -smp $VM_SMP, build $top_builddir, temp $T"
    t=$(now); make_initramfs; T_INITRAMFS=$(since "$t")
    t=$(now); start_swtpm; T_SWTPM=$(since "$t")
    t=$(now); run_qemu; T_VM=$(since "$t")
    verdict
}

main "$@"

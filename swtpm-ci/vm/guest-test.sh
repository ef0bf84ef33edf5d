#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Inside the test VM: tpmproxyd on the kernel's /dev/tpm0, clients through it, the same clients on /dev/tpmrm0.
#
# Run by the VM's init (swtpm-ci/vm/init) chrooted into the host's root,
# read-only, with its own /dev, /proc, /sys and a tmpfs /run. Argument: the
# env file init copied to /run (VM_TOP_SRCDIR, VM_TOP_BUILDDIR, VM_OPTIONS).
# Each phase prints "-- NAME: PASS|FAIL|SKIP (seconds)"; the last line is
# "VM-RESULT: PASS" only when no phase failed. Phases:
#   devices          /dev/tpm0 and /dev/tpmrm0 are there (tpm_tis), given
#                    the ownership Debian's udev rule gives them
#   daemon-start     tpmproxyd --tcti device:/dev/tpm0 serves, as tss,
#                    holding /dev/tpm0
#   tpm0-exclusive   a second opener of /dev/tpm0 gets EBUSY; /dev/tpmrm0
#                    works alongside
#   proxy-clients    the client set through the proxy: getrandom,
#                    createprimary/create/load/sign/verifysignature, pcrread,
#                    NV define/write/read/undefine, pytss, raw bytes
#   proxy-concurrent tools loops, two pytss clients, raw bytes and a key
#                    pipeline at once through the proxy
#   daemon-stop      SIGTERM: exit 0, socket removed
#   tpm0-handles     /dev/tpm0 opens again and holds no transient objects,
#                    loaded or saved sessions
#   tpmrm0-clients, tpmrm0-concurrent
#                    the same commands on the kernel's /dev/tpmrm0
#   tpmrm0-handles   again no handles left
#   integration:NAME some unmodified integration tests with /dev/tpm0 as
#                    their backend
#   tpm0-handles-final  and none after those
# VM_OPTIONS (words): no-integration, all-tests, tests=A.sh,B.sh (which
# integration tests), loops=N (tools loops in the concurrent phases),
# iterations=N (rounds per concurrent client).
set -uo pipefail

# shellcheck source=/dev/null
. "${1:-/run/vm.env}"
top_srcdir=$VM_TOP_SRCDIR
top_builddir=$VM_TOP_BUILDDIR
INTEG=$top_srcdir/test/integration
PYTHON=/usr/bin/python3
TPMPROXYD=$top_builddir/src/tpmproxyd
W=/run/vm
SOCK=/run/tpmproxy/tpm.sock
WAIT=120            # seconds; bounds one client command (hang detection only)
INTEG_WAIT=600      # seconds; bounds one integration test
LOOPS=4
ITER=5
# The integration tests whose backend matters most: tpm2-tools across
# processes (saved contexts), the seccomp filter around tcti-device, and
# swapping 64 keys through the TPM's 3 slots. all-tests adds the ones that
# are about the proxy's own logic (and take 7 more minutes under TCG).
INTEGRATION_TESTS=(tpm2-tools.sh sandbox.sh rm-many-keys.sh)
ALL_INTEGRATION_TESTS=(tpm2-tools.sh pytss.sh raw-client.sh concurrent.sh
    sandbox.sh rm-isolation.sh rm-many-keys.sh rm-kill.sh)
INTEGRATION=1
for opt in $VM_OPTIONS; do
    case $opt in
        no-integration) INTEGRATION=0 ;;
        all-tests) INTEGRATION_TESTS=("${ALL_INTEGRATION_TESTS[@]}") ;;
        loops=*) LOOPS=${opt#loops=} ;;
        iterations=*) ITER=${opt#iterations=} ;;
        tests=*) IFS=, read -r -a INTEGRATION_TESTS <<< "${opt#tests=}" ;;
        *) echo "guest-test: unknown VM_OPTIONS word '$opt'" ;;
    esac
done

DAEMON_PID=
PYTSS=0
RESULTS=()
FAILED=()
NOTE=

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---- helpers -------------------------------------------------------------------

# run WHAT CMD...: CMD bounded by $WAIT seconds, its output in $W/out;
# on failure shows that output and returns 1.
run() {
    local what=$1 rc=0
    shift
    timeout -k 5 "$WAIT" "$@" > "$W/out" 2>&1 || rc=$?
    if (( rc != 0 )); then
        echo "FAILED: $what: exit status $rc$( (( rc == 124 )) && echo " (timed out after ${WAIT}s)")"
        tail -n 30 "$W/out" | sed 's/^/  | /'
        return 1
    fi
}

# run_fails WHAT CMD...: CMD must fail (negative check).
run_fails() {
    local what=$1
    shift
    if timeout -k 5 "$WAIT" "$@" > "$W/out" 2>&1; then
        echo "FAILED: $what: succeeded but must fail"
        tail -n 30 "$W/out" | sed 's/^/  | /'
        return 1
    fi
}

# phase NAME FUNCTION ARGS...: run one phase, time it, record its verdict
# (function status 0 = PASS, 77 = SKIP, other = FAIL).
phase() {
    local name=$1 t0 rc=0 secs st
    shift
    echo
    echo "== $name"
    NOTE=
    t0=$(now)
    "$@" || rc=$?
    secs=$(since "$t0")
    case $rc in
        0) st=PASS ;;
        77) st=SKIP ;;
        *) st=FAIL; FAILED+=("$name") ;;
    esac
    echo "-- $name: $st ($secs s)${NOTE:+ - $NOTE}"
    RESULTS+=("$(printf '%-30s %-4s %7s s  %s' "$name" "$st" "$secs" "$NOTE")")
    daemon_died
}

# A daemon that dies while serving fails the run once, with its status and
# log, rather than only through the clients that then cannot connect.
daemon_died() {
    local rc=0
    [[ -n $DAEMON_PID ]] || return 0
    kill -0 "$DAEMON_PID" 2>/dev/null && return 0
    wait "$DAEMON_PID" || rc=$?
    DAEMON_PID=
    echo "FAILED: tpmproxyd died with status $rc$( (( rc > 128 )) && echo " (signal $(kill -l $(( rc - 128 ))))")"
    daemon_log_tail
    FAILED+=("daemon-died")
    RESULTS+=("$(printf '%-30s %-4s %7s s  %s' daemon-died FAIL - "status $rc")")
}

daemon_log_tail() {
    echo "---- tpmproxyd log (last 40 lines) ----"
    tail -n 40 "$W/daemon.log" 2>/dev/null | sed 's/^/  | /'
}

# ---- the client set, for any TCTI ---------------------------------------------

# client_set TCTI DIR NV_INDEX: one process per command, as a shell user works.
client_set() {
    local tcti=$1 d=$2 nv=$3
    export TPM2TOOLS_TCTI=$tcti
    mkdir -p "$d"
    run "tpm2_getrandom" tpm2_getrandom --hex 16 || return 1
    [[ $(cat "$W/out") =~ ^[0-9a-f]{32}$ ]] ||
        { echo "FAILED: tpm2_getrandom printed '$(cat "$W/out")'"; return 1; }
    echo "ok   getrandom: $(cat "$W/out")"

    run "tpm2_createprimary" tpm2_createprimary -C o -g sha256 -G ecc -c "$d/primary.ctx" || return 1
    run "tpm2_create" tpm2_create -C "$d/primary.ctx" -G ecc -u "$d/key.pub" -r "$d/key.priv" || return 1
    run "tpm2_load" tpm2_load -C "$d/primary.ctx" -u "$d/key.pub" -r "$d/key.priv" -c "$d/key.ctx" || return 1
    echo "message signed in the VM" > "$d/msg"
    run "tpm2_sign" tpm2_sign -c "$d/key.ctx" -g sha256 -o "$d/sig" "$d/msg" || return 1
    run "tpm2_verifysignature" tpm2_verifysignature -c "$d/key.ctx" -g sha256 -m "$d/msg" -s "$d/sig" || return 1
    echo "tampered" >> "$d/msg"
    run_fails "tpm2_verifysignature of a tampered message" \
        tpm2_verifysignature -c "$d/key.ctx" -g sha256 -m "$d/msg" -s "$d/sig" || return 1
    echo "ok   createprimary/create/load/sign/verifysignature (tampered message rejected)"

    run "tpm2_pcrread" tpm2_pcrread sha256:0,1,2 || return 1
    [[ $(grep -c '^ *[0-2] *: 0x' "$W/out") -eq 3 ]] ||
        { echo "FAILED: tpm2_pcrread did not list PCRs 0-2:"; sed 's/^/  | /' "$W/out"; return 1; }
    echo "ok   pcrread sha256:0,1,2 (PCR 0 $(awk '/^ *0 *:/ { print substr($3, 1, 18) }' "$W/out")...)"

    head -c 32 /dev/urandom > "$d/nv.in"
    run "tpm2_nvdefine $nv" tpm2_nvdefine -C o -s 32 -a "ownerread|ownerwrite" "$nv" || return 1
    run "tpm2_nvwrite" tpm2_nvwrite -C o -i "$d/nv.in" "$nv" || return 1
    run "tpm2_nvread" tpm2_nvread -C o -s 32 -o "$d/nv.out" "$nv" || return 1
    cmp -s "$d/nv.in" "$d/nv.out" || { echo "FAILED: tpm2_nvread returned other bytes"; return 1; }
    run "tpm2_nvundefine" tpm2_nvundefine -C o "$nv" || return 1
    run_fails "tpm2_nvread after nvundefine" tpm2_nvread -C o -s 32 "$nv" || return 1
    echo "ok   nvdefine/nvwrite/nvread/nvundefine $nv"

    if (( PYTSS )); then
        run "pytss client" "$PYTHON" "$INTEG/pytss-client.py" --tcti "$tcti" \
            --iterations 2 --name pytss || return 1
        echo "ok   $(cat "$W/out")"
    else
        NOTE="pytss not importable: skipped"
    fi
}

# tools_loop TCTI N: $ITER rounds of getrandom + pcrread.
tools_loop() {
    local tcti=$1 n=$2 i out
    for (( i = 0; i < ITER; i++ )); do
        out=$(timeout "$WAIT" tpm2_getrandom -T "$tcti" --hex 8) || out=failed
        [[ $out =~ ^[0-9a-f]{16}$ ]] ||
            { echo "tools-$n: tpm2_getrandom #$i failed: $out"; return 1; }
        out=$(timeout "$WAIT" tpm2_pcrread -T "$tcti" sha256:0,7) || out=failed
        [[ $(grep -c ': 0x' <<<"$out") -eq 2 ]] ||
            { echo "tools-$n: tpm2_pcrread #$i failed: $out"; return 1; }
    done
    echo "tools-$n: $ITER x (getrandom + pcrread) ok"
}

# key_pipeline TCTI DIR: an ECC signing primary, then sign + verify rounds.
key_pipeline() {
    local tcti=$1 d=$2 i
    mkdir -p "$d"
    timeout "$WAIT" tpm2_createprimary -T "$tcti" -C o -G ecc:ecdsa-sha256 -c "$d/key.ctx" \
        -a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign' > /dev/null ||
        { echo "pipeline: tpm2_createprimary failed"; return 1; }
    for (( i = 0; i < ITER; i++ )); do
        echo "message $i" > "$d/msg"
        timeout "$WAIT" tpm2_sign -T "$tcti" -c "$d/key.ctx" -g sha256 -o "$d/sig" "$d/msg" ||
            { echo "pipeline: tpm2_sign #$i failed"; return 1; }
        timeout "$WAIT" tpm2_verifysignature -T "$tcti" -c "$d/key.ctx" -g sha256 \
            -m "$d/msg" -s "$d/sig" || { echo "pipeline: tpm2_verifysignature #$i failed"; return 1; }
    done
    echo "pipeline: createprimary + $ITER x (sign + verifysignature) ok"
}

# concurrent TCTI DIR [SOCKET]: all clients at once; a raw-bytes client too
# when SOCKET (the proxy's) is given. Every client must succeed.
concurrent() {
    local tcti=$1 d=$2 sock=${3:-} n spec name pid rc ok=0 failed=()
    local jobs=()
    mkdir -p "$d"
    for (( n = 1; n <= LOOPS; n++ )); do
        tools_loop "$tcti" "$n" > "$d/tools-$n.out" 2>&1 &
        jobs+=("tools-$n=$!")
    done
    if (( PYTSS )); then
        timeout "$WAIT" "$PYTHON" "$INTEG/pytss-client.py" --tcti "$tcti" --name pytss-1 \
            --iterations 2 > "$d/pytss-1.out" 2>&1 &
        jobs+=("pytss-1=$!")
        timeout "$WAIT" "$PYTHON" "$INTEG/pytss-client.py" --tcti "$tcti" --name pytss-2 \
            --light --iterations "$ITER" > "$d/pytss-2.out" 2>&1 &
        jobs+=("pytss-2=$!")
    fi
    if [[ -n $sock ]]; then
        timeout "$WAIT" "$PYTHON" "$INTEG/raw-client.py" "$sock" loop "$ITER" > "$d/raw.out" 2>&1 &
        jobs+=("raw=$!")
    fi
    key_pipeline "$tcti" "$d/pipeline" > "$d/pipeline.out" 2>&1 &
    jobs+=("pipeline=$!")
    for spec in "${jobs[@]}"; do
        name=${spec%%=*}
        pid=${spec#*=}
        rc=0
        wait "$pid" || rc=$?
        if (( rc == 0 )); then
            ok=$(( ok + 1 ))
            echo "ok   $(tail -n 1 "$d/$name.out")"
        else
            failed+=("$name")
            echo "FAILED: $name (status $rc):"
            sed 's/^/  | /' "$d/$name.out"
        fi
    done
    NOTE="$ok of ${#jobs[@]} concurrent clients ok"
    (( ${#failed[@]} == 0 ))
}

# no_handles TCTI: the TPM holds no transient objects, loaded or saved sessions.
no_handles() {
    local kind
    for kind in handles-transient handles-loaded-session handles-saved-session; do
        run "tpm2_getcap $kind on $1" tpm2_getcap -T "$1" "$kind" || return 1
        if [[ -s $W/out ]]; then
            echo "FAILED: $1 still holds $kind: $(tr '\n' ' ' < "$W/out")"
            return 1
        fi
        echo "ok   $kind: none"
    done
}

# ---- phases ------------------------------------------------------------------------

p_devices() {
    local d
    for d in /dev/tpm0 /dev/tpmrm0; do
        [[ -c $d ]] || { echo "FAILED: $d is not a character device"; ls -l /dev/tpm* 2>&1; return 1; }
    done
    echo "TPM $(cat /sys/class/tpm/tpm0/tpm_version_major 2>/dev/null || echo '?'), driver $(basename "$(readlink /sys/class/tpm/tpm0/device/driver 2>/dev/null)")"
    dmesg | grep -i tpm | sed 's/^/  dmesg| /'
    # No udev here: give the nodes the ownership Debian's 60-tpm-udev.rules
    # gives them, so the daemon, once it is tss, could reopen /dev/tpm0.
    if getent passwd tss > /dev/null; then
        chown tss /dev/tpm0 && chmod 0660 /dev/tpm0 || return 1
        chown tss:tss /dev/tpmrm0 && chmod 0660 /dev/tpmrm0 || return 1
    fi
    ls -l /dev/tpm0 /dev/tpmrm0
}

p_daemon_start() {
    local i uid want fd held=0
    [[ -x $TPMPROXYD ]] || { echo "FAILED: $TPMPROXYD not built"; return 1; }
    mkdir -p "${SOCK%/*}"
    getent passwd tss > /dev/null && chown tss: "${SOCK%/*}"
    "$TPMPROXYD" --foreground --tcti device:/dev/tpm0 --socket "$SOCK" \
        --log-level debug > "$W/daemon.log" 2>&1 &
    DAEMON_PID=$!
    for (( i = 0; i < WAIT * 10; i++ )); do
        [[ -S $SOCK ]] && break
        if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
            wait "$DAEMON_PID"
            echo "FAILED: tpmproxyd exited with status $? before creating $SOCK"
            DAEMON_PID=
            daemon_log_tail
            return 1
        fi
        sleep 0.1
    done
    [[ -S $SOCK ]] || { echo "FAILED: no $SOCK after ${WAIT}s"; daemon_log_tail; return 1; }
    uid=$(awk '/^Uid:/ { print $2 }' "/proc/$DAEMON_PID/status")
    want=$(id -u tss 2>/dev/null || echo 0)
    [[ $uid == "$want" ]] || { echo "FAILED: tpmproxyd runs as uid $uid, expected $want (tss)"; return 1; }
    for fd in "/proc/$DAEMON_PID/fd"/*; do
        [[ $(readlink "$fd") == /dev/tpm0 ]] && held=1
    done
    (( held )) || { echo "FAILED: tpmproxyd does not hold /dev/tpm0 open"; return 1; }
    echo "ok   tpmproxyd (pid $DAEMON_PID) serves $SOCK as uid $uid, holding /dev/tpm0"
    NOTE="uid $uid"
}

p_tpm0_exclusive() {
    "$PYTHON" - <<'PY' || return 1
import errno, os, sys
try:
    fd = os.open("/dev/tpm0", os.O_RDWR)
except OSError as e:
    if e.errno == errno.EBUSY:
        print("ok   a second open(/dev/tpm0) fails with EBUSY")
        sys.exit(0)
    print(f"FAILED: a second open(/dev/tpm0) failed with {e}, expected EBUSY")
    sys.exit(1)
os.close(fd)
print("FAILED: a second open(/dev/tpm0) succeeded while tpmproxyd holds it")
sys.exit(1)
PY
    run_fails "tpm2_getrandom -T device:/dev/tpm0 beside the daemon" \
        tpm2_getrandom -T device:/dev/tpm0 --hex 8 || return 1
    echo "ok   tpm2_getrandom -T device:/dev/tpm0 fails: $(grep -m1 -o 'Device or resource busy\|EBUSY\|busy' "$W/out" || head -n 1 "$W/out")"
    run "tpm2_getrandom -T device:/dev/tpmrm0 beside the daemon" \
        tpm2_getrandom -T device:/dev/tpmrm0 --hex 8 || return 1
    echo "ok   /dev/tpmrm0 works beside the daemon: $(cat "$W/out")"
    run "tpm2_getrandom through the proxy" tpm2_getrandom -T "proxy:$SOCK" --hex 8 || return 1
    echo "ok   the proxy still serves: $(cat "$W/out")"
}

p_proxy_clients() {
    client_set "proxy:$SOCK" "$W/proxy" 0x01500020 || return 1
    run "raw client" "$PYTHON" "$INTEG/raw-client.py" "$SOCK" basic || return 1
    echo "ok   $(cat "$W/out")"
}

p_daemon_stop() {
    local i rc=0
    [[ -n $DAEMON_PID ]] || { echo "FAILED: no daemon running"; return 1; }
    kill -TERM "$DAEMON_PID"
    for (( i = 0; i < WAIT * 10; i++ )); do
        kill -0 "$DAEMON_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$DAEMON_PID" 2>/dev/null; then
        echo "FAILED: tpmproxyd still runs ${WAIT}s after SIGTERM; killing it"
        kill -KILL "$DAEMON_PID"
        wait "$DAEMON_PID"
        DAEMON_PID=
        daemon_log_tail
        return 1
    fi
    wait "$DAEMON_PID" || rc=$?
    DAEMON_PID=
    echo "tpmproxyd exited with status $rc"
    tail -n 3 "$W/daemon.log" | sed 's/^/  log| /'
    (( rc == 0 )) || { daemon_log_tail; return 1; }
    [[ ! -e $SOCK ]] || { echo "FAILED: tpmproxyd left $SOCK behind"; return 1; }
    NOTE="exit 0, socket removed"
}

p_integration() {
    local test=$1 shim=$W/srcshim rc=0 e
    if [[ ! -d $shim ]]; then
        # The tests as they are, but "start a swtpm" hands out the kernel's
        # TPM: their check_handles_baseline then asks /dev/tpm0 itself.
        mkdir -p "$shim/swtpm-ci"
        for e in "$top_srcdir"/*; do
            [[ ${e##*/} == swtpm-ci ]] || ln -s "$e" "$shim/${e##*/}"
        done
        # shellcheck disable=SC2016 # $1 is the shim's argument
        printf '#!/bin/sh\nmkdir -p "$1" && echo device:/dev/tpm0 | tee "$1/tcti"\n' \
            > "$shim/swtpm-ci/swtpm-start"
        printf '#!/bin/sh\nexit 0\n' > "$shim/swtpm-ci/swtpm-stop"
        chmod 755 "$shim/swtpm-ci/swtpm-start" "$shim/swtpm-ci/swtpm-stop"
        mkdir -p "$W/tmp"
    fi
    env top_srcdir="$shim" top_builddir="$top_builddir" TMPDIR="$W/tmp" \
        timeout -k 10 "$INTEG_WAIT" bash "$INTEG/$test" > "$W/integ.out" 2>&1 || rc=$?
    if (( rc == 0 )); then
        grep -v '^\[' "$W/integ.out" | tail -n 5 | sed 's/^/  | /'
        NOTE=$(grep '^\[' "$W/integ.out" | tail -n 1)
    else
        sed 's/^/  | /' "$W/integ.out" | tail -n 80
    fi
    return "$rc"
}

# ---- main --------------------------------------------------------------------------

main() {
    local t0 r test
    t0=$(now)
    mkdir -p "$W" /run/home
    export TMPDIR=$W PYTHONDONTWRITEBYTECODE=1
    export LD_LIBRARY_PATH=$top_builddir/tcti-proxy/.libs
    "$PYTHON" -c 'import tpm2_pytss' 2>/dev/null && PYTSS=1
    echo "guest-test: kernel $(uname -r), $(nproc) CPUs, up $(cut -d' ' -f1 /proc/uptime) s; build $top_builddir; pytss $( (( PYTSS )) && echo yes || echo no)"

    phase devices p_devices
    phase daemon-start p_daemon_start
    phase tpm0-exclusive p_tpm0_exclusive
    phase proxy-clients p_proxy_clients
    phase proxy-concurrent concurrent "proxy:$SOCK" "$W/proxy-conc" "$SOCK"
    phase daemon-stop p_daemon_stop
    phase tpm0-handles no_handles device:/dev/tpm0
    phase tpmrm0-clients client_set device:/dev/tpmrm0 "$W/tpmrm0" 0x01500021
    phase tpmrm0-concurrent concurrent device:/dev/tpmrm0 "$W/tpmrm0-conc"
    phase tpmrm0-handles no_handles device:/dev/tpm0
    if (( INTEGRATION )); then
        for test in "${INTEGRATION_TESTS[@]}"; do
            phase "integration:$test" p_integration "$test"
        done
        phase tpm0-handles-final no_handles device:/dev/tpm0
    fi
    if [[ -n $DAEMON_PID ]]; then
        kill -KILL "$DAEMON_PID" 2>/dev/null
        wait "$DAEMON_PID" 2>/dev/null
    fi

    echo
    echo "==== summary: kernel $(uname -r), /dev/tpm0 from swtpm via tpm-tis, guest time $(since "$t0") s"
    for r in "${RESULTS[@]}"; do
        echo "$r"
    done
    if (( ${#FAILED[@]} == 0 )); then
        echo "VM-RESULT: PASS"
        return 0
    fi
    echo "VM-RESULT: FAIL (${FAILED[*]})"
    return 1
}

main

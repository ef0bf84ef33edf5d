# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# Sourced by the consumer tests (consumer-*.sh): lib.sh plus one consumer flow run through each client TCTI, alone and two at once.
#
#     . "$(dirname "$0")/consumerlib.sh"
#     require_tools openssl
#     require_file tpm2-openssl "$modules/tpm2.so"
#     my_flow() {             # runs in its own directory, set -euo pipefail,
#         run openssl ...     # $TCTI is the TCTI string of this round,
#     }                       # $FLOW_MODE alone or together
#     consumer_rounds my_flow proxy mssim
#
# consumer_rounds starts swtpm and tpmproxyd once, then for each TCTI
# variant: the flow alone (the daemon must have logged its connections, and
# connections to $SOCK.ctrl for mssim only), then two copies of it at once
# (each in its own directory, so with its own key files and stores); then
# SIGTERM, the daemon must exit 0 and remove $SOCK and $SOCK.ctrl, swtpm
# must hold no transient object or session (check_handles_baseline), and
# the daemon is started again for the next variant. Each flow's output is
# in $T/VARIANT-N.out, shown on failure.
#
# Variants (their TCTI strings, as a user writes them):
#   proxy   proxy:$SOCK                      our TCTI (libtss2-tcti-proxy)
#   mssim   mssim:path=$SOCK                 stock tcti-mssim (tpm2-tss >= 3.2)
#   cmd     cmd:socat - UNIX-CONNECT:$SOCK   stock tcti-cmd, no library of ours
# CONSUMER_VARIANTS (space-separated) overrides the test's list, e.g. to run
# only proxy while developing.
# shellcheck source=test/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# require_file PACKAGE FILE: skip (77) naming PACKAGE unless FILE exists.
require_file() {
    [[ -e $2 ]] || skip "$2 not found (apt-get install $1)"
}

# require_command PACKAGE COMMAND: skip (77) naming PACKAGE unless COMMAND runs.
require_command() {
    command -v "$2" >/dev/null 2>&1 || skip "$2 not installed (apt-get install $1)"
}

# require_library PACKAGE SONAME: skip (77) naming PACKAGE unless the dynamic
# linker knows SONAME (a stock TCTI tctildr loads by name).
require_library() {
    local dir
    for dir in /usr/lib/*-linux-gnu /usr/lib64 /usr/lib /usr/local/lib; do
        [[ -e $dir/$2 ]] && return 0
    done
    ldconfig -p 2>/dev/null | grep -qF "$2 " || skip "$2 not found (apt-get install $1)"
}

# require_variants VARIANT...: skip unless each variant's TCTI is installed.
require_variants() {
    local v
    for v in "$@"; do
        case $v in
            proxy) ;;
            mssim) require_library libtss2-tcti-mssim0 libtss2-tcti-mssim.so.0 ;;
            cmd)   require_library libtss2-tcti-cmd0 libtss2-tcti-cmd.so.0
                   require_command socat socat ;;
            *)     fail "unknown TCTI variant '$v'" ;;
        esac
    done
}

# consumer_tcti VARIANT: the TCTI string a user gives for VARIANT on $SOCK.
consumer_tcti() {
    case $1 in
        proxy) echo "proxy:$SOCK" ;;
        mssim) echo "mssim:path=$SOCK" ;;
        cmd)   echo "cmd:socat - UNIX-CONNECT:$SOCK" ;;
        *)     fail "unknown TCTI variant '$1'" ;;
    esac
}

# run CMD...: in a flow, show the command, then run it (set -e stops the
# flow at the first failure, which is then the last command shown).
run() {
    echo "\$ $*"
    "$@"
}

# flow_fail MESSAGE: end a flow with an explanation.
flow_fail() {
    echo "FAILED: $*"
    exit 1
}

# daemon_connects: client connections the daemon has logged (all its runs).
daemon_connects() {
    grep -c ' info: connect id=' "$T/daemon.log" || true
}

# daemon_control_connects: connections to $SOCK.ctrl it has logged (debug).
daemon_control_connects() {
    grep -c ' debug: control connect id=' "$T/daemon.log" || true
}

# check_control_connects VARIANT BEFORE: the stock mssim TCTI opens
# $SOCK.ctrl (power-on, NV-on) beside $SOCK; the others never do.
check_control_connects() {
    local variant=$1 seen=$(( $(daemon_control_connects) - $2 ))
    if [[ $variant == mssim ]]; then
        (( seen > 0 )) || fail "$variant: no connection to $SOCK.ctrl was logged"
    else
        (( seen == 0 )) || fail "$variant: $seen connections to $SOCK.ctrl, expected none"
    fi
}

# start_flow FLOW VARIANT NAME MODE: run FLOW in $T/NAME (a fresh
# directory) in the background with TCTI set for VARIANT and FLOW_MODE to
# MODE (alone, or together when another copy runs at the same time);
# output to $T/NAME.out. Sets FLOW_PID.
start_flow() {
    local flow=$1 variant=$2 name=$3 dir=$T/$3
    mkdir -p "$dir"
    (
        set -euo pipefail
        cd "$dir"
        TCTI=$(consumer_tcti "$variant")
        FLOW_NAME=$name
        FLOW_MODE=$4
        # Programs that make temporary files (clevis) make them here.
        TMPDIR=$dir
        export TCTI FLOW_NAME FLOW_MODE TMPDIR
        "$flow"
        echo "$name: ok"
    ) > "$T/$name.out" 2>&1 &
    FLOW_PID=$!
}

# consumer_rounds FLOW VARIANT...: see the header.
consumer_rounds() {
    local flow=$1 variant before before_ctrl one two
    shift
    # shellcheck disable=SC2086 # a space-separated list
    [[ -z ${CONSUMER_VARIANTS:-} ]] || set -- $CONSUMER_VARIANTS
    require_variants "$@"
    # shellcheck disable=SC2119 # the daemon takes no extra arguments here
    setup
    for variant in "$@"; do
        [[ -n $DAEMON_PID ]] || start_daemon
        before=$(daemon_connects)
        before_ctrl=$(daemon_control_connects)
        say "$variant: TCTI '$(consumer_tcti "$variant")'"
        start_flow "$flow" "$variant" "$variant-1" alone
        wait_jobs "$variant-1=$FLOW_PID"
        (( $(daemon_connects) > before )) ||
            fail "$variant: the flow passed but no client connected to tpmproxyd"
        check_control_connects "$variant" "$before_ctrl"
        say "$variant: one flow ok ($(( $(daemon_connects) - before )) connections," \
            "$(( $(daemon_control_connects) - before_ctrl )) to SOCK.ctrl)"
        start_flow "$flow" "$variant" "$variant-2" together
        one=$FLOW_PID
        start_flow "$flow" "$variant" "$variant-3" together
        two=$FLOW_PID
        wait_jobs "$variant-2=$one" "$variant-3=$two"
        say "$variant: two flows at once ok"
        stop_daemon
        [[ ! -e $SOCK.ctrl ]] || fail "tpmproxyd left $SOCK.ctrl behind"
        check_handles_baseline
    done
}

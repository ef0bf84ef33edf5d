# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# Sourced by the resource-manager tests (rm-*.sh): lib.sh plus a second socket and the rmlib.py/pytss worker helpers.
#
#     . "$(dirname "$0")/rmlib.sh"
#     require_tools
#     rm_setup                     # like setup, plus a second socket $SOCK2
#     rm_step "isolation" isolation    # rmlib.py scenario on $SOCK/$SOCK2
#     stop_daemon
#     check_handles_baseline
# shellcheck source=test/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SOCK2=

# rm_setup [DAEMON ARGS...]: setup (lib.sh) with the daemon listening on a
# second socket $SOCK2 too: another client identity (socket + uid) of the
# same daemon.
rm_setup() {
    local i
    make_test_dir 60
    SOCK=$T/tpm.sock
    SOCK2=$T/tpm2.sock
    start_swtpm swtpm
    # shellcheck disable=SC2034 # used by lib.sh
    BACKEND_TCTI=$SWTPM_TCTI
    client_env
    if [[ $TPMPROXY_STANDIN == socat ]]; then
        start_daemon "$@"
        SOCK2=      # the socat stand-in serves one socket: no second identity
        return 0
    fi
    start_daemon --socket "$SOCK2" "$@"
    for (( i = 0; i < WAIT * 10; i++ )); do
        [[ -S $SOCK2 ]] && return 0
        sleep 0.1
    done
    fail "tpmproxyd did not create its second socket $SOCK2 within ${WAIT}s"
}

# rmc SCENARIO [ARGS...]: an rmlib.py raw-protocol scenario on $SOCK (and $SOCK2).
rmc() {
    local scenario=$1
    shift
    "$PYTHON" "$INTEG/rmlib.py" "$scenario" --sock "$SOCK" ${SOCK2:+--sock2 "$SOCK2"} "$@"
}

# rm_step DESCRIPTION SCENARIO [ARGS...]: run the scenario as a step and
# show its summary line.
rm_step() {
    local what=$1
    shift
    step "$what" rmc "$@"
    say "$(tail -n 1 "$T/step.out")"
}

# rm_worker ARGS...: the pytss ESAPI worker (rm-pytss-worker.py) on $CLIENT_TCTI.
# To start one in the background that may be killed, run
# "${RM_WORKER[@]}" ARGS... & instead: then $! is the python process itself,
# not a subshell whose death would leave the worker running.
RM_WORKER=("$PYTHON" "$INTEG/rm-pytss-worker.py")
rm_worker() { "${RM_WORKER[@]}" "$@"; }

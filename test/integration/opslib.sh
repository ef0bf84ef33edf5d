# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# Sourced by the operator tests (ops-*.sh): pollib.sh (a daemon from a configuration file) plus tpmproxyctl, curl over the metrics socket and opslib.py.
#
#     . "$(dirname "$0")/opslib.sh"
#     require_tools; ops_require_ctl
#     pol_init; cat > "$CONF" ...; pol_start
#     CTL_SOCK=$T/ctl.sock
#     ctl_expect 0 "status" status --json   # $T/ctl.out, $T/ctl.err
#     ops_step "what" COMMAND [ARGS...]     # an opslib.py command as a step
#     pol_stop; check_handles_baseline
# shellcheck source=test/integration/pollib.sh
. "$(dirname "${BASH_SOURCE[0]}")/pollib.sh"

: "${TPMPROXYCTL:=$top_builddir/src/tpmproxyctl}"
CTL_SOCK=

ops_require_ctl() {
    [[ -x $TPMPROXYCTL ]] || fail "tpmproxyctl not built: $TPMPROXYCTL"
}

# opsc COMMAND [ARGS...]: an opslib.py command.
opsc() {
    "$PYTHON" "$INTEG/opslib.py" "$@"
}

# ops_step DESCRIPTION COMMAND [ARGS...]: opslib.py as a step, its output shown.
ops_step() {
    local what=$1 line
    shift
    step "$what" opsc "$@"
    while IFS= read -r line; do
        say "$line"
    done < "$T/step.out"
}

# soft_fail MESSAGE: a problem that does not stop the test; ops_done fails
# listing them all. For checks of output whose failure leaves the daemon
# in a known state, so that one run shows every problem.
OPS_PROBLEMS=()
soft_fail() {
    echo "PROBLEM: $TEST_NAME: $*" >&2
    OPS_PROBLEMS+=("$*")
}

# ops_done: fail if soft_fail was called.
ops_done() {
    local p
    if (( ${#OPS_PROBLEMS[@]} )); then
        for p in "${OPS_PROBLEMS[@]}"; do
            echo "  - $p" >&2
        done
        fail "${#OPS_PROBLEMS[@]} problems (listed above)"
    fi
    say "PASS"
}

# ctl_expect STATUS DESCRIPTION ARGS...: tpmproxyctl -c $CTL_SOCK ARGS must
# exit STATUS (else soft_fail); its output is left in $T/ctl.out and
# $T/ctl.err.
ctl_expect() {
    local want=$1 what=$2 rc=0
    shift 2
    "$TPMPROXYCTL" -c "$CTL_SOCK" "$@" > "$T/ctl.out" 2> "$T/ctl.err" || rc=$?
    if [[ $rc != "$want" ]]; then
        echo "---- tpmproxyctl -c $CTL_SOCK $* (stdout, stderr) ----" >&2
        cat "$T/ctl.out" "$T/ctl.err" >&2
        soft_fail "$what: tpmproxyctl $* exited $rc, expected $want"
        return 1
    fi
}

# ops_soft_step DESCRIPTION COMMAND [ARGS...]: ops_step, but a failure is a
# soft_fail.
ops_soft_step() {
    local what=$1 line rc=0
    shift
    opsc "$@" > "$T/step.out" 2>&1 || rc=$?
    while IFS= read -r line; do
        say "$line"
    done < "$T/step.out"
    if (( rc != 0 )); then
        soft_fail "$what: $(sed -n '/^opslib/,$p' "$T/step.out" | tr '\n' ' ' | cut -c 1-600)"
    fi
    return 0
}

# ctl_save NAME ARGS...: tpmproxyctl ARGS must succeed (fatal); output kept
# in $T/NAME.
ctl_save() {
    local name=$1
    shift
    ctl_expect 0 "tpmproxyctl $*" "$@" || fail "tpmproxyctl $* failed"
    cp "$T/ctl.out" "$T/$name"
}

# compare A OP B: OP is == or >=.
compare() {
    case $2 in
        '==') (( $1 == $3 )) ;;
        '>=') (( $1 >= $3 )) ;;
        *) fail "compare: unknown operator $2" ;;
    esac
}

# random_hex N: N random bytes as hex.
random_hex() {
    od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

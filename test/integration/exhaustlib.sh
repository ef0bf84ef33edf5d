# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# Sourced by fault-slow-clients.sh and fault-exhaustion.sh: opslib.sh (a daemon from a configuration file, tpmproxyctl) plus exhaustlib.py.
#
#     . "$(dirname "$0")/exhaustlib.sh"
#     require_tools; ops_require_ctl
#     pol_init; cat > "$CONF" ...   # control-socket = $T/ctl.sock,
#     pol_start                     # audit-log = $T/audit.log
#     exhaust_step "what" SCENARIO [ARGS...]
#     pol_stop; check_handles_baseline
# shellcheck source=test/integration/opslib.sh
. "$(dirname "${BASH_SOURCE[0]}")/opslib.sh"

# exhaustc SCENARIO [ARGS...]: an exhaustlib.py scenario with the test's paths.
exhaustc() {
    local scenario=$1
    shift
    "$PYTHON" "$INTEG/exhaustlib.py" "$scenario" --dir "$T" --log "$T/daemon.log" \
        --ctl "$T/ctl.sock" --tpmproxyctl "$TPMPROXYCTL" --audit "$T/audit.log" \
        --proc-root "$PROC_ROOT" ${DAEMON_PID:+--daemon-pid "$DAEMON_PID"} "$@"
}

# exhaust_step DESCRIPTION SCENARIO [ARGS...]: run it as a step, show its
# output (details, then the summary line).
exhaust_step() {
    local what=$1 line
    shift
    step "$what" exhaustc "$@"
    while IFS= read -r line; do
        say "$line"
    done < "$T/step.out"
}

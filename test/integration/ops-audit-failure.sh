#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# An audit log that cannot be written: reported loudly, records dropped beyond 1 MiB and the loss written into the chain (audit-failure = continue), or commands refused without reaching the TPM (audit-failure = refuse).
#
# Proves (raw clients; a directory put in the log's place makes the reopen
# on SIGHUP fail, as a removed or full file system would; the TPM tap shows
# what reached the TPM; waits are bounded, no duration is asserted):
#   - continue: the failure is logged at once; 6000 pipelined GetRandom are
#     all served while the records pile up in memory and the oldest are
#     dropped (logged); once the path is writable again the first line of
#     the new file is one audit-error "N records lost", chained, N matching
#     the daemon log, and the flood's logged commands plus N account for
#     all 6000;
#   - refuse (set by tpmproxyctl reload): while the log cannot be written a
#     command is answered 0x000B0101 and never reaches the TPM; once it
#     can, commands are served again;
#   - tpmproxyctl audit-verify --from-start passes over the three files.
# After the daemon exits swtpm holds no handles.
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/opslib.sh
. "$(dirname "$0")/opslib.sh"

require_tools
ops_require_ctl
pol_init --tap
mkdir -p "$T/log"
give_to_daemon "$T/log"
LOG=$T/log/audit.log
CTL_SOCK=$T/ctl.sock
FLOOD=6000

write_conf() {   # write_conf continue|refuse
    cat > "$CONF" <<CONF
[daemon]
tcti = $DTCTI
audit-log = $LOG
audit-failure = $1
control-socket = $CTL_SOCK

[socket "main"]
path = $T/main.sock

[socket "flood"]
path = $T/flood.sock
CONF
}
# unwritable: the log moved away (to $1) and a directory in its place,
# then SIGHUP: the reopen fails.
unwritable() {
    local off
    off=$(stat -c %s "$T/daemon.log")
    mv "$LOG" "$1"
    mkdir "$LOG"
    kill -HUP "$DAEMON_PID"
    wait_until "the failed reopen of $LOG was not logged" \
        sh -c "tail -c +$(( off + 1 )) '$T/daemon.log' | grep -q 'audit: cannot reopen $LOG: Is a directory'"
}

write_conf continue
pol_start
ops_step "GetRandom" getrandom --sock "$T/main.sock"

# ---- continue: serve, drop the oldest records, then write the loss -----------------------
unwritable "$LOG.1"
ops_step "$FLOOD GetRandom while the log cannot be written" \
    getrandom --sock "$T/flood.sock" --count "$FLOOD" --pipeline 50
grep -q "audit: $LOG: dropped the [0-9]* oldest records" "$T/daemon.log" ||
    fail "no 'dropped the N oldest records' in the daemon log after $FLOOD commands"
rmdir "$LOG"
wait_until "the daemon did not write $LOG again" test -s "$LOG"
wait_until "the daemon did not log that it writes $LOG again" \
    grep -q "audit: writing $LOG again" "$T/daemon.log"
say "continue: served $FLOOD commands while the log was unwritable; writing again"

# ---- refuse ------------------------------------------------------------------------------------
write_conf refuse
ctl_expect 0 "reload to audit-failure = refuse" reload || fail "reload failed"
unwritable "$LOG.2"
ops_step "audit-failure = refuse: a command while the log cannot be written" \
    getrandom --sock "$T/main.sock" --expect-rc 0x000b0101 --tap-log "$TAP_LOG"
rmdir "$LOG"
served() { opsc getrandom --sock "$T/main.sock" > /dev/null 2>&1; }
wait_until "commands were not served again once the log could be written" served
say "refuse: 0x000b0101 without reaching the TPM while unwritable; served again after"
pol_stop

ops_step "the loss in the chain" audit-lost --files "$LOG.1" "$LOG.2" "$LOG" \
    --socket-name flood --count "$FLOOD" --daemon-log "$T/daemon.log"
n=$(( $(wc -l < "$LOG.1") + $(wc -l < "$LOG.2") + $(wc -l < "$LOG") ))
step "audit-verify --from-start over the three files" \
    "$TPMPROXYCTL" audit-verify --from-start "$LOG.1" "$LOG.2" "$LOG"
[[ $(cat "$T/step.out") == "$n lines in 3 files verified" ]] ||
    fail "audit-verify said '$(cat "$T/step.out")', expected '$n lines in 3 files verified'"
say "audit-verify: $(cat "$T/step.out")"
check_handles_baseline
ops_done

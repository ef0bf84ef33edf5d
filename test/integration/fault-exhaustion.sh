#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Exhaustion: 1000 connections at once over max-connections, and a daemon short of file descriptors, are refused or kept waiting cleanly while the daemon keeps serving.
#
# Proves (raw TPM bytes, exhaustlib.py storm and emfile; waits are bounded,
# what is asserted is counted):
#   - storm.sock (max-connections = 10), twice: 1000 connections opened at
#     once, then a GetRandom on each: exactly the first 10 are served (and
#     serve a second command), the other 990 are answered 0x000b0922
#     (TPM_RC_RETRY, RM layer) and closed; tpmproxyctl stats counts 2000
#     connections, 1980 over quota and 2020 commands, the log 1980 "over
#     max-connections" lines; a client on steady.sock completes its
#     GetRandom with the 1000 open and right behind their commands; the
#     daemon's descriptors return to their count before, and its RSS grows
#     by less than 64 MiB a storm;
#   - a daemon started with ulimit -n 64: 100 connections from a pod
#     (--proc-root) on fd.sock, more than it may accept. It accepts until
#     RLIMIT_NOFILE less a reserve for itself, logs one line saying so and
#     stops accepting; while saturated it uses under a tenth of the elapsed
#     CPU ticks and logs nothing, the held connections are served again (the
#     TPM backend, which connects once per command, still has descriptors)
#     and tpmproxyctl clients lists them; once they close, accepting resumes
#     and every waiting connection is served. No "Too many open files", no
#     backend failure, and all 100 are identified as the pod's;
#   - the same limit, 100 idle connections to the metrics socket, then to
#     the control socket: each listener pauses (one log line) instead of
#     spinning on EMFILE (under a tenth of the CPU ticks, a few lines at
#     most), both answer again once the connections close, and a TPM client
#     keeps working.
# Each daemon exits 0 and swtpm holds no handles afterwards.
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/exhaustlib.sh
. "$(dirname "$0")/exhaustlib.sh"

require_tools
ops_require_ctl
# 1000 connections: this shell, the client and the daemon need descriptors.
nofile=$(ulimit -S -n)
if (( nofile < 1200 )); then
    ulimit -S -n 1200 2>/dev/null || ulimit -n 1200 2>/dev/null ||
        skip "cannot raise the file descriptor limit to 1200 (ulimit -n is $nofile)"
    nofile=1200
fi
pol_init

cat > "$CONF" <<CONF
[daemon]
tcti = $DTCTI
control-socket = $T/ctl.sock
audit-log = $T/audit.log
metrics-listen = unix:$T/metrics.sock

[socket "storm"]
path = $T/storm.sock
max-connections = 10

[socket "steady"]
path = $T/steady.sock

[socket "fd"]
path = $T/fd.sock
max-connections = 1000
CONF

pol_start --proc-root "$PROC_ROOT"
exhaust_step "1000 connections at once over max-connections" storm --count 1000 --max 10
pol_stop

# Short of descriptors: the daemon starts with a soft limit of 64.
ulimit -S -n 64
pol_start --proc-root "$PROC_ROOT"
ulimit -S -n "$nofile"
exhaust_step "a daemon short of file descriptors" emfile --count 100
pol_stop

ulimit -S -n 64
pol_start --proc-root "$PROC_ROOT"
ulimit -S -n "$nofile"
exhaust_step "control and metrics sockets short of file descriptors" \
    emfile-side --count 100 --metrics "$T/metrics.sock"
pol_stop

check_handles_baseline
say "PASS"

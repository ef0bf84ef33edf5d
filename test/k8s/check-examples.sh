#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# make check: the example workloads of k8s/ work through a tpmproxyd set up
# by the k8s ConfigMaps, run as their pods would run.
#
# For the shared socket (k8s/base + k8s/examples) and for a socket per
# workload (k8s/overlays/per-pod-sockets): tpmproxyd starts as root on the
# rendered ConfigMap's tpmproxy.conf (TPM, /run/tpmproxy, /var/log/tpmproxy
# and metrics moved into the test's directory; it drops to tss as in the
# pod), then the tpm2-tools pod and the keylime-agent-style pod run at
# the same time, each container with its manifest's command, env, uid and
# gid, no supplementary groups, no capabilities, no_new_privs, a read-only
# root file system, an empty /tmp, and nothing of the host under /run but
# its socket directory, if it mounts one, read-only at the manifest's
# mountPath (examples.py). The agent's pod runs its two containers in one
# network namespace of their own: the agent reaches the TPM with
# TCTI=swtpm:host=127.0.0.1,port=2321 through the tpmproxy-bridge sidecar,
# which the daemon must log as the peer and which must exit 0 on SIGTERM.
# Each must do its work: random bytes, PCRs 0-7 and the clock; EK, AK and
# ten quotes checked with tpm2_checkquote.
#
# With sockets per workload it also checks what the stricter set-up
# refuses: tpm2_createek from the tpm2-tools pod (profile readonly) gets
# TPM2_RC_COMMAND_CODE in the resource-manager layer, and the tpm2-tools
# uid cannot open the agent's socket. The audit log the configuration
# names verifies, with records of every socket.
#
# Overrides, besides --set QUOTE_COUNT=10 QUOTE_INTERVAL=0: "sleep" on the
# PATH ends "sleep infinity" at once (the pod would keep running).
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/pollib.sh
. "$(dirname "$0")/../integration/pollib.sh"

: "${KUBECTL:=$(command -v kubectl || true)}"
K8S=$top_srcdir/k8s
EX=$top_srcdir/test/k8s/examples.py

require_tools tpm2_createek tpm2_createak tpm2_quote tpm2_checkquote \
    tpm2_readclock tpm2_pcrread
[[ -n $KUBECTL && -x $KUBECTL ]] ||
    skip "kubectl not installed (apt-get install kubernetes-client)"
"$PYTHON" -c 'import yaml' 2>/dev/null ||
    skip "PyYAML not importable by $PYTHON (apt-get install python3-yaml)"
[[ $(id -u) == 0 ]] || skip "needs root: a mount namespace and the pods' uids"
{ command -v unshare && command -v setpriv; } >/dev/null ||
    skip "unshare and setpriv not installed (apt-get install util-linux)"
unshare --mount true 2>/dev/null || skip "cannot create a mount namespace here"

pol_init
# As the kubelet makes it (DirectoryOrCreate): root's, 0755.
mkdir -p "$T/run/tpmproxy" "$T/log" "$T/bin"
chmod 0755 "$T/run" "$T/run/tpmproxy"
give_to_daemon "$T/log"
LIB=$top_builddir/tcti-proxy/.libs
[[ -e $LIB/libtss2-tcti-proxy.so.0 ]] || fail "TCTI not built: $LIB"
# The bridge sidecar's command, as the daemon's image has it on PATH.
[[ -x $top_builddir/src/tpmproxy-bridge ]] ||
    fail "tpmproxy-bridge not built: $top_builddir/src/tpmproxy-bridge"
cp "$top_builddir/src/tpmproxy-bridge" "$T/bin/"
cat > "$T/bin/sleep" <<'EOF'
#!/bin/sh
[ "$1" = infinity ] && exit 0
exec /bin/sleep "$@"
EOF
chmod 0755 "$T/bin" "$T/bin/sleep"

for kz in base examples overlays/per-pod-sockets; do
    out=$T/$(basename "$kz").yaml
    "$KUBECTL" kustomize "$K8S/$kz" > "$out" 2> "$T/kustomize.err" ||
        fail "kubectl kustomize k8s/$kz: $(cat "$T/kustomize.err")"
done

# ex_run RENDERING NAME OUT [examples.py run options...]: a workload, as its
# pod would run it; its output in OUT. The bound only detects a hang.
ex_run() {
    local rendering=$1 name=$2 out=$3
    shift 3
    timeout -k 5 $(( WAIT * 4 )) "$PYTHON" "$EX" run "$T/$rendering.yaml" "$name" \
        --root "$T" --lib "$LIB" --bin "$T/bin" "$@" > "$out" 2>&1
}

# ex_pod RENDERING POD DIR [examples.py pod options...]: every container of
# a pod at once, sharing a network namespace; DIR/CONTAINER.out each, and
# DIR/pod.out their exit statuses. The bound only detects a hang.
ex_pod() {
    local rendering=$1 pod=$2 dir=$3
    shift 3
    mkdir -p "$dir"
    timeout -k 5 $(( WAIT * 4 )) "$PYTHON" "$EX" pod "$T/$rendering.yaml" "$pod" \
        --root "$T" --lib "$LIB" --bin "$T/bin" --out "$dir" "$@" > "$dir/pod.out" 2>&1
}

# start_from RENDERING: tpmproxyd on that rendering's ConfigMap.
start_from() {
    "$PYTHON" "$EX" config "$T/$1.yaml" --root "$T" --tcti "$DTCTI" > "$CONF"
    pol_start
    say "tpmproxyd serves $(pol_socket_paths | sed "s|$T||" | tr '\n' ' ')"
}

# More quotes than the agent's own socket allows objects (max-objects 8):
# through the bridge, what tcti-swtpm clients load belongs to the bridge's
# process until it exits, so a quote loop that left its AK loaded each
# time would run out (it flushes, as the manifest says).
QUOTES=10

# both_workloads RENDERING: the two examples at once; both must succeed.
# The agent's pod runs with its tpmproxy-bridge sidecar, which the daemon
# must see as the peer; the bridge must exit 0 on SIGTERM at the end.
both_workloads() {
    local r=$1 tools_rc=0 agent_rc=0 tools_pid agent_pid agent=$T/$1-agent
    ex_run "$r" tpm2-tools/tpm2-tools "$T/tools.out" & tools_pid=$!
    ex_pod "$r" keylime-agent "$agent" \
        --set QUOTE_COUNT="$QUOTES" --set QUOTE_INTERVAL=0 & agent_pid=$!
    wait "$tools_pid" || tools_rc=$?
    wait "$agent_pid" || agent_rc=$?
    cp "$agent/agent.out" "$T/agent.out" 2>/dev/null || true
    (( tools_rc == 0 )) || fail "$r: the tpm2-tools pod failed ($tools_rc): $(cat "$T/tools.out")"
    (( agent_rc == 0 )) || fail "$r: the agent's pod failed ($agent_rc): $(cat "$agent"/*.out)"
    grep -q '^tpmproxy-bridge: exit 0 after SIGTERM$' "$agent/pod.out" ||
        fail "$r: the bridge sidecar did not exit 0: $(cat "$agent/pod.out")"
    bridge_pid=$(sed -n 's/.*tpmproxy-bridge info: pid \([0-9]*\) listening on 127\.0\.0\.1:2321 .*/\1/p' \
        "$agent/tpmproxy-bridge.out")
    [[ -n $bridge_pid ]] ||
        fail "$r: the bridge did not listen on 127.0.0.1:2321: $(cat "$agent/tpmproxy-bridge.out")"
    grep -qE "tpmproxyd info: connect id=[0-9]+ .*uid=490 .*pid=$bridge_pid( |$)" "$T/daemon.log" ||
        fail "$r: the daemon did not see the bridge (pid $bridge_pid, uid 490) as the agent's peer"
    grep -qE '^[0-9a-f]{32}$' "$T/tools.out" ||
        fail "$r: tpm2-tools printed no 16 random bytes: $(cat "$T/tools.out")"
    (( $(grep -cE '^ +[0-7] *: 0x' "$T/tools.out") == 8 )) ||
        fail "$r: tpm2_pcrread did not list PCRs 0-7: $(cat "$T/tools.out")"
    { grep -q 'clock_info' "$T/tools.out" && grep -q '^tpm2-tools ready$' "$T/tools.out"; } ||
        fail "$r: tpm2_readclock or the end missing: $(cat "$T/tools.out")"
    { grep -q '^EK and AK ready$' "$T/agent.out" &&
        grep -q "^quote $QUOTES verified\$" "$T/agent.out"; } ||
        fail "$r: the agent did not verify $QUOTES quotes: $(cat "$T/agent.out")"
    say "$r: tpm2-tools read random, 8 PCRs and the clock; the agent made EK, AK and $QUOTES checked quotes through tpmproxy-bridge (pid $bridge_pid, the daemon's peer)"
}

# Audit records per socket in the audit log (verified first).
audit_sockets() {
    "$top_builddir/src/tpmproxyctl" audit-verify "$T/log/audit.log" > "$T/verify.out" 2>&1 ||
        fail "audit-verify: $(cat "$T/verify.out")"
    "$PYTHON" - "$T/log/audit.log" <<'PY'
import collections, json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
n = collections.Counter(r.get("socket") for r in recs)
d = sum(1 for r in recs if r.get("event") == "denied" and r.get("socket") == "tpm2-tools")
print(" ".join("%s=%d" % (k, n[k]) for k in sorted(k for k in n if k)), "denied@tpm2-tools=%d" % d)
PY
}

# ---- one shared socket -------------------------------------------------------------
start_from base
both_workloads examples
daemon_terminate
[[ -z $(daemon_status_problem) ]] || fail "$(daemon_status_problem)"

# ---- a socket per workload ---------------------------------------------------------
start_from per-pod-sockets
both_workloads per-pod-sockets

if ex_run per-pod-sockets tpm2-tools/tpm2-tools "$T/deny.out" -- \
        tpm2_createek -c /tmp/ek.ctx -G rsa -u /tmp/ek.pub; then
    fail "tpm2_createek succeeded through the readonly socket: $(cat "$T/deny.out")"
fi
grep -qi '0xb0143' "$T/deny.out" ||
    fail "tpm2_createek through the readonly socket: no 0xb0143: $(cat "$T/deny.out")"
say "readonly socket: tpm2_createek refused with $(grep -oi '0xb0143' "$T/deny.out" | head -n 1)"

if ex_run per-pod-sockets tpm2-tools/tpm2-tools "$T/other.out" \
        --host-dir /run/tpmproxy/keylime-agent -- tpm2_getrandom --hex 8; then
    fail "uid 10001 used the agent's socket: $(cat "$T/other.out")"
fi
# The TCTI does not say why; connect(2) does.
ex_run per-pod-sockets tpm2-tools/tpm2-tools "$T/connect.out" \
    --host-dir /run/tpmproxy/keylime-agent -- "$PYTHON" -c \
    'import socket; socket.socket(socket.AF_UNIX).connect("/run/tpmproxy/tpm.sock")' || true
grep -q 'PermissionError' "$T/connect.out" ||
    fail "uid 10001 on the agent's socket: no EACCES: $(cat "$T/connect.out")"
say "uid 10001 cannot open the agent's socket: $(grep -o 'PermissionError.*' "$T/connect.out")"
# The same directory and command as the agent's uid works: the refusal was the uid.
ex_run per-pod-sockets tpm2-tools/tpm2-tools "$T/own.out" --as 490:490 \
    --host-dir /run/tpmproxy/keylime-agent -- tpm2_getrandom --hex 8 ||
    fail "uid 490 could not use its own socket: $(cat "$T/own.out")"

daemon_terminate
[[ -z $(daemon_status_problem) ]] || fail "$(daemon_status_problem)"
counts=$(audit_sockets)
for s in shared tpm2-tools keylime-agent; do
    [[ " $counts " == *" $s="* ]] || fail "no audit record of socket $s: $counts"
done
[[ " $counts " != *" denied@tpm2-tools=0 "* ]] ||
    fail "the refused tpm2_createek left no 'denied' audit record: $counts"
say "audit log verifies; records per socket: $counts"
check_handles_baseline

# SPDX-License-Identifier: BSD-2-Clause
# Integration suite: real clients through tpmproxyd to swtpm; each test skips (77) without swtpm/tpm2-tools.
INTEGRATION_TESTS = \
	test/integration/tpm2-tools.sh \
	test/integration/pytss.sh \
	test/integration/raw-client.sh \
	test/integration/concurrent.sh \
	test/integration/bad-input.sh \
	test/integration/signals.sh \
	test/integration/sandbox.sh \
	test/integration/demo.sh
TESTS += $(INTEGRATION_TESTS)
dist_check_SCRIPTS += $(INTEGRATION_TESTS) \
	test/integration/raw-client.py \
	test/integration/pytss-client.py
dist_check_DATA += test/integration/lib.sh

# Resource-manager suite (issue #3): virtual handles, ownership, LRU residency,
# context gap, GetCapability filtering, clean-up. Longest (context gap) first
# so that `make -j check` starts it early.
RM_INTEGRATION_TESTS = \
	test/integration/rm-context-gap.sh \
	test/integration/rm-many-keys.sh \
	test/integration/rm-kill.sh \
	test/integration/rm-isolation.sh \
	test/integration/rm-stale-and-context.sh \
	test/integration/rm-getcap-paging.sh \
	test/integration/rm-cleanup.sh \
	test/integration/rm-retry.sh \
	test/integration/rm-resident-first.sh
INTEGRATION_TESTS += $(RM_INTEGRATION_TESTS)
dist_check_SCRIPTS += \
	test/integration/rmlib.py \
	test/integration/rm-pytss-worker.py \
	test/integration/rm-resident-first.py
dist_check_DATA += test/integration/rmlib.sh

# Policy suite (issue #4): configuration files, command profiles, quotas,
# connections, rate limits, fairness, timeouts and reload, each against a
# daemon started with --config. Longest first for `make -j check`.
POL_INTEGRATION_TESTS = \
	test/integration/pol-fairness.sh \
	test/integration/pol-profiles.sh \
	test/integration/pol-quotas.sh \
	test/integration/pol-config.sh \
	test/integration/pol-rate.sh \
	test/integration/pol-reload.sh \
	test/integration/pol-timeouts.sh \
	test/integration/pol-connections.sh \
	test/integration/pol-command-size.sh
INTEGRATION_TESTS += $(POL_INTEGRATION_TESTS)
dist_check_SCRIPTS += test/integration/pollib.py
dist_check_DATA += test/integration/pollib.sh

# Audit log (issue #5): tpmproxyctl audit-verify on chains computed by
# Python, intact and tampered with; needs no TPM.
AUDIT_INTEGRATION_TESTS = test/integration/audit-verify.sh
INTEGRATION_TESTS += $(AUDIT_INTEGRATION_TESTS)
dist_check_SCRIPTS += test/integration/auditgen.py

# Operator tests (issue #5): the audit log over a run of mixed clients
# (every event type, rotation, restarts, tampering) and when it cannot be
# written (audit-failure continue and refuse), tpmproxyctl's tables
# and JSON with clients connected, and /metrics (a strict text-format
# check), /healthz and /readyz. Longest first for `make -j check`.
OPS_INTEGRATION_TESTS = \
	test/integration/ops-metrics.sh \
	test/integration/ops-audit.sh \
	test/integration/ops-audit-failure.sh \
	test/integration/ops-ctl.sh
INTEGRATION_TESTS += $(OPS_INTEGRATION_TESTS)
dist_check_SCRIPTS += test/integration/opslib.py
dist_check_DATA += test/integration/opslib.sh

# Client faults (issue #6): slow clients (one that never reads, one that
# sends a byte a second) and exhaustion (a storm of connections over
# max-connections, a daemon out of file descriptors).
EXHAUST_INTEGRATION_TESTS = \
	test/integration/fault-exhaustion.sh \
	test/integration/fault-slow-clients.sh
INTEGRATION_TESTS += $(EXHAUST_INTEGRATION_TESTS)
dist_check_SCRIPTS += test/integration/exhaustlib.py
dist_check_DATA += test/integration/exhaustlib.sh

# Faults (issue #6): the TPM lost under a busy daemon (swtpm killed and
# restarted, left down, reset, restarted while the daemon is idle) and back.
FAULT_BACKEND_INTEGRATION_TESTS = test/integration/fault-backend-loss.sh
INTEGRATION_TESTS += $(FAULT_BACKEND_INTEGRATION_TESTS)
dist_check_SCRIPTS += test/integration/fault-backend-loss.py

# Kubernetes (issue #8): every kustomization of k8s/ renders with kubectl
# kustomize, lints with yamllint, and check-manifests.py asserts the security
# properties of the rendered objects (and catches each of its mutations);
# check-examples.sh runs the example workloads, as their pods would, through
# a tpmproxyd set up by the rendered ConfigMaps. Both skip (77) without
# kubectl (Debian: kubernetes-client).
K8S_TESTS = \
	test/k8s/check-examples.sh \
	test/k8s/check-manifests.sh
TESTS += $(K8S_TESTS)
dist_check_SCRIPTS += $(K8S_TESTS) \
	test/k8s/check-manifests.py \
	test/k8s/examples.py
EXTRA_DIST += .yamllint docs/kubernetes.md \
	k8s/Dockerfile \
	k8s/Dockerfile.dockerignore \
	k8s/base/kustomization.yaml \
	k8s/base/namespace.yaml \
	k8s/base/serviceaccount.yaml \
	k8s/base/daemonset.yaml \
	k8s/base/networkpolicy.yaml \
	k8s/base/tpmproxy.conf \
	k8s/examples/kustomization.yaml \
	k8s/examples/namespace.yaml \
	k8s/examples/tpm2-tools-pod.yaml \
	k8s/examples/keylime-agent-daemonset.yaml \
	k8s/overlays/per-pod-sockets/kustomization.yaml \
	k8s/overlays/per-pod-sockets/tpmproxy.conf \
	k8s/overlays/per-pod-sockets/tpm2-tools-socket.yaml \
	k8s/overlays/per-pod-sockets/keylime-agent-socket.yaml

# Fault tests (issue #6): clients killed with kill -9 at random moments,
# many times over, leave no handle, quota count or memory behind.
FAULT_INTEGRATION_TESTS = test/integration/fault-kill-soak.sh
INTEGRATION_TESTS += $(FAULT_INTEGRATION_TESTS)
dist_check_SCRIPTS += test/integration/soak-worker.py

# Simulator protocols (issue #11): stock tcti-mssim and tcti-swtpm
# (tpm2-tools, tpm2-pytss) through the socket and its SOCK.ctrl, one owner
# per process for tcti-swtpm, every control command leaving the TPM
# untouched, bad input in both framings. Longest first for `make -j check`.
SIM_INTEGRATION_TESTS = \
	test/integration/sim-pytss.sh \
	test/integration/sim-bad-input.sh \
	test/integration/sim-tools.sh \
	test/integration/sim-control.sh
INTEGRATION_TESTS += $(SIM_INTEGRATION_TESTS)
dist_check_SCRIPTS += \
	test/integration/simlib.py \
	test/integration/sim-pytss-worker.py
dist_check_DATA += test/integration/simlib.sh

# tpmproxy-bridge (issue #11): loopback TCP to the daemon's socket and
# SOCKET.ctrl, raw and through tpm2-tools' mssim and swtpm TCTIs.
BRIDGE_INTEGRATION_TESTS = test/integration/bridge.sh
INTEGRATION_TESTS += $(BRIDGE_INTEGRATION_TESTS)
dist_check_SCRIPTS += test/integration/bridge-client.py

# Consumers people deploy (issue #11), from Debian's packages, each run as a
# user runs it through tpmproxyd, through our proxy: TCTI and the stock
# mssim:path= TCTI, alone and two at once: the tpm2-openssl provider,
# tpm2-pkcs11 (tpm2_ptool, pkcs11-tool), clevis's tpm2 pin, and tpm2-tools
# over the stock cmd: TCTI with socat. Each skips (77), naming the package,
# when its consumer is not installed.
CONSUMER_INTEGRATION_TESTS = \
	test/integration/consumer-pkcs11.sh \
	test/integration/consumer-clevis.sh \
	test/integration/consumer-openssl.sh \
	test/integration/consumer-cmd.sh
INTEGRATION_TESTS += $(CONSUMER_INTEGRATION_TESTS)
dist_check_DATA += test/integration/consumerlib.sh

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Quotas exactly at their limits: objects, sessions, saved sessions, NV indices; per socket or per pod, shared by a group's connections.
#
# Proves (raw TPM bytes, pollib.py quota-*; a relay in front of swtpm logs
# every command that reaches the TPM):
#   - max-objects = 4: two connections of one socket create 4 objects
#     between them (keys and a hash sequence); the 5th - CreatePrimary,
#     HashSequenceStart, LoadExternal, or ContextLoad of a saved key - gets
#     0x000B0902 and never reaches the TPM; another socket (another group)
#     still creates its own 4; the objects at the quota keep working; one
#     FlushContext makes room for exactly one; a closed connection's
#     objects leave the count;
#   - max-sessions = 2: likewise with StartAuthSession (0x000B0903), room
#     made by FlushContext and by a session ended with continueSession=0;
#   - max-saved-contexts = 2: the group's 3rd session ContextSave, on either
#     of its connections, gets 0x000B0903 and the session stays loaded and
#     usable; another socket saves its own 2; saving a key is not limited;
#     ContextLoad or FlushContext of a saved session makes room;
#   - max-nv-indices = 2: the 3rd NV_DefineSpace gets 0x000B014B without
#     reaching the TPM, also after the defining connection closed (indices
#     outlive it); another socket defines its own; NV_UndefineSpace makes
#     room; a socket without max-nv-indices (default 0) defines none;
#   - pods (--proc-root): two pods sharing one socket (systemd/cgroup v2 and
#     cgroupfs/cgroup v1 paths) get max-objects = 2 each, a process outside
#     pods another 2 (the socket's group); a second process of a pod shares
#     its pod's count, which its exit frees.
# After the daemon exits swtpm holds no handles.
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/pollib.sh
. "$(dirname "$0")/pollib.sh"

require_tools
pol_init --tap

cat > "$CONF" <<CONF
[daemon]
tcti = $DTCTI

[socket "q"]
path = $T/q.sock
max-objects = 4
max-sessions = 2
max-nv-indices = 2

[socket "q2"]
path = $T/q2.sock
max-objects = 4
max-sessions = 2
max-nv-indices = 2

[socket "s"]
path = $T/s.sock
max-sessions = 8
max-saved-contexts = 2

[socket "s2"]
path = $T/s2.sock
max-sessions = 8
max-saved-contexts = 2

[socket "nv0"]
path = $T/nv0.sock

[socket "pods"]
path = $T/pods.sock
max-objects = 2
CONF

pol_start --proc-root "$PROC_ROOT"
pol_step "max-objects" quota-objects
pol_step "max-sessions" quota-sessions
pol_step "max-saved-contexts" quota-saved
pol_step "max-nv-indices" quota-nv
pol_step "per-pod quotas on a shared socket" quota-pods
pol_stop
check_handles_baseline

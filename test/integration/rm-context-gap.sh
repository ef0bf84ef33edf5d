#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Resource manager: an idle client's sessions survive more than CONTEXT_GAP_MAX (0xFFFF) session saves by others.
#
# Proves (raw TPM bytes, rmlib.py context-gap): client A authorizes a Sign
# with an HMAC session, runs PolicyPCR on a policy session and saves a third
# session with ContextSave, then idles. Another client uses three sessions
# (A's are evicted from swtpm's slots) and then saves and loads two of its
# own sessions until it made RM_GAP_SAVES (default 70000) session
# ContextSaves, pipelined to keep it quick; every one must succeed (without
# re-gapping by the proxy the TPM answers TPM_RC_CONTEXT_GAP near 65535).
# Then A's HMAC session authorizes another Sign, its policy session keeps
# its digest and takes another PolicyPCR, and the blob A saved before the
# churn loads and works. After the daemon exits swtpm holds no handles.
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/rmlib.sh
. "$(dirname "$0")/rmlib.sh"

require_tools
rm_setup

rm_step "context gap" context-gap --count "${RM_GAP_SAVES:-70000}"
stop_daemon
check_handles_baseline

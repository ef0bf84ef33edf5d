#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Resource manager: GetCapability(TPM_CAP_HANDLES) lists only the caller's own handles, paged correctly.
#
# Proves (raw TPM bytes, rmlib.py getcap-paging): a connection with 5
# transient objects (4 hash sequences and a key, more than swtpm's slots) and
# 3 sessions:
#   - the transient list read 2 at a time (next property = last handle + 1)
#     gives all 5 virtual handles, ascending, with moreData 1, 1, 0; counts
#     5, 4, 1 and 1000 set moreData exactly when handles remain; a start at a
#     listed handle, between two, at the last and after the last works;
#   - the loaded-session list is exactly its 3 sessions (count 1: one of them,
#     moreData 1); after ContextSave of one, that one is in the saved list
#     and not in the loaded list, and back after ContextLoad;
#   - other capabilities pass through (the permanent list has TPM_RH_OWNER);
#   - another connection on the same socket lists no transient or loaded
#     session, one on a second socket no saved session either, and each
#     lists just its own new object.
# After the daemon exits swtpm holds no handles.
# shellcheck disable=SC2119 # require_tools takes optional arguments
set -euo pipefail
# shellcheck source=test/integration/rmlib.sh
. "$(dirname "$0")/rmlib.sh"

require_tools
rm_setup

rm_step "GetCapability(HANDLES) paging and filtering" getcap-paging
stop_daemon
check_handles_baseline

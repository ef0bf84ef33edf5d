#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The README's demo keeps working: every demo client succeeds through one daemon.
set -euo pipefail
command -v "${SWTPM:-swtpm}" >/dev/null || { echo "SKIP: no swtpm"; exit 77; }
command -v tpm2_getrandom >/dev/null || { echo "SKIP: no tpm2-tools"; exit 77; }
exec "$top_srcdir/swtpm-ci/demo" "$top_builddir"

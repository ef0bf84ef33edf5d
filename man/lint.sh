#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Lint every man page (make check): mandoc -T lint, else man --warnings.
set -eu
status=0
for page in "$top_srcdir"/man/*.[0-9]; do
	if command -v mandoc >/dev/null 2>&1; then
		out=$(mandoc -T lint -W warning "$page" 2>&1) || true
	elif command -v man >/dev/null 2>&1; then
		out=$(LC_ALL=C.UTF-8 MANROFFSEQ='' man --warnings -l "$page" 2>&1 >/dev/null) || true
	else
		echo "SKIP: neither mandoc nor man is installed"
		exit 77
	fi
	if [ -n "$out" ]; then
		echo "$out"
		status=1
	else
		echo "ok: ${page##*/}"
	fi
done
exit $status

#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Run each libFuzzer harness briefly from its committed corpus (make check);
# `make fuzz` runs them for longer. Any crash fails the test.
set -eu
seconds=${FUZZ_SECONDS:-5}
status=0
# Every harness with a committed corpus (test/fuzz/corpus/NAME).
for name in ${FUZZERS:-$(cd "$top_srcdir/test/fuzz/corpus" && ls)}; do
	bin="$top_builddir/test/fuzz/fuzz-$name"
	corpus="$top_srcdir/test/fuzz/corpus/$name"
	[ -x "$bin" ] || { echo "SKIP: $bin not built"; exit 77; }
	work=$(mktemp -d)
	cp "$corpus"/* "$work"/ 2>/dev/null || true
	echo "fuzz-$name: ${seconds}s from $(ls "$corpus" | wc -l) seeds"
	if ! "$bin" -max_total_time="$seconds" -print_final_stats=1 \
	    -artifact_prefix="$work/" "$work" 2>"$work.log"; then
		tail -40 "$work.log"
		echo "FAIL: fuzz-$name found a crash; input kept in $work"
		status=1
		continue
	fi
	grep -E 'stat::number_of_executed_units|Done' "$work.log" || true
	rm -rf "$work" "$work.log"
done
exit $status

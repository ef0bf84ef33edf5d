# SPDX-License-Identifier: BSD-2-Clause
# libFuzzer harnesses for every parser of untrusted bytes (needs clang).
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	-include $(top_builddir)/config.h -I$(top_srcdir)/src
EXTRA_DIST += test/fuzz/fuzz-frame.c test/fuzz/run-fuzzers.sh \
	test/fuzz/corpus
if HAVE_CLANG
FUZZ_BINARIES = test/fuzz/fuzz-frame
check_SCRIPTS += $(FUZZ_BINARIES)
CLEANFILES += $(FUZZ_BINARIES)
TESTS += test/fuzz/run-fuzzers.sh

FUZZ_FRAME_INPUTS = $(srcdir)/test/fuzz/fuzz-frame.c $(srcdir)/src/frame.c
test/fuzz/fuzz-frame: $(FUZZ_FRAME_INPUTS) config.h
	$(AM_V_CC)$(MKDIR_P) test/fuzz && \
	$(CLANG) $(FUZZ_FLAGS) -o $@ $(FUZZ_FRAME_INPUTS)

endif

# Long runs: make fuzz FUZZ_SECONDS=600
fuzz: $(FUZZ_BINARIES)
	top_builddir=$(abs_top_builddir) top_srcdir=$(abs_top_srcdir) \
	FUZZ_SECONDS=$${FUZZ_SECONDS:-300} $(srcdir)/test/fuzz/run-fuzzers.sh
.PHONY: fuzz

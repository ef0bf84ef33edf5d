# SPDX-License-Identifier: BSD-2-Clause
# libFuzzer harnesses for every parser of untrusted bytes (needs clang).
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	-include $(top_builddir)/config.h -I$(top_srcdir)/src
EXTRA_DIST += test/fuzz/fuzz-frame.c test/fuzz/fuzz-config.c \
	test/fuzz/run-fuzzers.sh \
	test/fuzz/corpus
if HAVE_CLANG
FUZZ_BINARIES = test/fuzz/fuzz-frame test/fuzz/fuzz-config
check_SCRIPTS += $(FUZZ_BINARIES)
CLEANFILES += $(FUZZ_BINARIES)
TESTS += test/fuzz/run-fuzzers.sh

FUZZ_FRAME_INPUTS = $(srcdir)/test/fuzz/fuzz-frame.c $(srcdir)/src/frame.c
test/fuzz/fuzz-frame: $(FUZZ_FRAME_INPUTS) config.h
	$(AM_V_CC)$(MKDIR_P) test/fuzz && \
	$(CLANG) $(FUZZ_FLAGS) -o $@ $(FUZZ_FRAME_INPUTS)

FUZZ_CONFIG_INPUTS = $(srcdir)/test/fuzz/fuzz-config.c $(srcdir)/src/config.c \
	$(srcdir)/src/ccnames.c $(srcdir)/src/log.c
test/fuzz/fuzz-config: $(FUZZ_CONFIG_INPUTS) $(srcdir)/src/config.h config.h
	$(AM_V_CC)$(MKDIR_P) test/fuzz && \
	$(CLANG) $(FUZZ_FLAGS) -I$(top_srcdir) -o $@ $(FUZZ_CONFIG_INPUTS)

endif

# Long runs: make fuzz FUZZ_SECONDS=600
fuzz: $(FUZZ_BINARIES)
	top_builddir=$(abs_top_builddir) top_srcdir=$(abs_top_srcdir) \
	FUZZ_SECONDS=$${FUZZ_SECONDS:-300} $(srcdir)/test/fuzz/run-fuzzers.sh
.PHONY: fuzz

# Pod identity and command profiles (src/cgroup.c, src/profile.c).
EXTRA_DIST += test/fuzz/fuzz-cgroup.c test/fuzz/fuzz-profile.c
if HAVE_CLANG
FUZZ_BINARIES += test/fuzz/fuzz-cgroup test/fuzz/fuzz-profile

FUZZ_CGROUP_INPUTS = $(srcdir)/test/fuzz/fuzz-cgroup.c $(srcdir)/src/cgroup.c
test/fuzz/fuzz-cgroup: $(FUZZ_CGROUP_INPUTS) $(srcdir)/src/cgroup.h config.h
	$(AM_V_CC)$(MKDIR_P) test/fuzz && \
	$(CLANG) $(FUZZ_FLAGS) -o $@ $(FUZZ_CGROUP_INPUTS)

FUZZ_PROFILE_INPUTS = $(srcdir)/test/fuzz/fuzz-profile.c \
	$(srcdir)/src/profile.c $(srcdir)/src/frame.c
test/fuzz/fuzz-profile: $(FUZZ_PROFILE_INPUTS) $(srcdir)/src/profile.h config.h
	$(AM_V_CC)$(MKDIR_P) test/fuzz && \
	$(CLANG) $(FUZZ_FLAGS) -o $@ $(FUZZ_PROFILE_INPUTS)
endif

# The resource manager's parsing and rewriting of client commands, against
# a fake backend (in the harness).
EXTRA_DIST += test/fuzz/fuzz-resmgr.c
if HAVE_CLANG
FUZZ_BINARIES += test/fuzz/fuzz-resmgr
FUZZ_RESMGR_INPUTS = $(srcdir)/test/fuzz/fuzz-resmgr.c \
	$(srcdir)/src/resmgr.c $(srcdir)/src/resmgr-commands.c \
	$(srcdir)/src/resmgr-context.c $(srcdir)/src/resmgr-entries.c \
	$(srcdir)/src/resmgr-quota.c $(srcdir)/src/cmdattrs.c \
	$(srcdir)/src/tpmcmd.c $(srcdir)/src/frame.c $(srcdir)/src/log.c
test/fuzz/fuzz-resmgr: $(FUZZ_RESMGR_INPUTS) config.h
	$(AM_V_CC)$(MKDIR_P) test/fuzz && \
	$(CLANG) $(FUZZ_FLAGS) -o $@ $(FUZZ_RESMGR_INPUTS) $(TSS2_MU_LIBS)
endif

# The audit chain verifier (src/auditverify.c), and the audit writer's
# escaping (src/audit.c): what the writer makes must verify.
EXTRA_DIST += test/fuzz/fuzz-auditverify.c
if HAVE_CLANG
FUZZ_BINARIES += test/fuzz/fuzz-auditverify
FUZZ_AUDITVERIFY_INPUTS = $(srcdir)/test/fuzz/fuzz-auditverify.c \
	$(srcdir)/src/auditverify.c $(srcdir)/src/audit.c \
	$(srcdir)/src/ccnames.c $(srcdir)/src/log.c
test/fuzz/fuzz-auditverify: $(FUZZ_AUDITVERIFY_INPUTS) \
		$(srcdir)/src/audit.h $(srcdir)/src/auditverify.h config.h
	$(AM_V_CC)$(MKDIR_P) test/fuzz && \
	$(CLANG) $(FUZZ_FLAGS) $(LIBCRYPTO_CFLAGS) $(TSS2_RC_CFLAGS) -o $@ \
	$(FUZZ_AUDITVERIFY_INPUTS) $(LIBCRYPTO_LIBS) $(TSS2_RC_LIBS)
endif

# The simulator framing of a data socket (src/simframe.c).
EXTRA_DIST += test/fuzz/fuzz-simframe.c
if HAVE_CLANG
FUZZ_BINARIES += test/fuzz/fuzz-simframe
FUZZ_SIMFRAME_INPUTS = $(srcdir)/test/fuzz/fuzz-simframe.c \
	$(srcdir)/src/simframe.c $(srcdir)/src/frame.c
test/fuzz/fuzz-simframe: $(FUZZ_SIMFRAME_INPUTS) $(srcdir)/src/simframe.h config.h
	$(AM_V_CC)$(MKDIR_P) test/fuzz && \
	$(CLANG) $(FUZZ_FLAGS) -o $@ $(FUZZ_SIMFRAME_INPUTS)
endif

# /proc text the daemon parses: peers' start times, its own limits.
EXTRA_DIST += test/fuzz/fuzz-procstat.c
if HAVE_CLANG
FUZZ_BINARIES += test/fuzz/fuzz-procstat
FUZZ_PROCSTAT_INPUTS = $(srcdir)/test/fuzz/fuzz-procstat.c \
	$(srcdir)/src/procstat.c
test/fuzz/fuzz-procstat: $(FUZZ_PROCSTAT_INPUTS) $(srcdir)/src/procstat.h config.h
	$(AM_V_CC)$(MKDIR_P) test/fuzz && \
	$(CLANG) $(FUZZ_FLAGS) -o $@ $(FUZZ_PROCSTAT_INPUTS)
endif

# The simulator control channel SOCK.ctrl (src/simctrl.c).
EXTRA_DIST += test/fuzz/fuzz-simctrl.c
if HAVE_CLANG
FUZZ_BINARIES += test/fuzz/fuzz-simctrl
FUZZ_SIMCTRL_INPUTS = $(srcdir)/test/fuzz/fuzz-simctrl.c \
	$(srcdir)/src/simctrl.c $(srcdir)/src/frame.c
test/fuzz/fuzz-simctrl: $(FUZZ_SIMCTRL_INPUTS) $(srcdir)/src/simctrl.h config.h
	$(AM_V_CC)$(MKDIR_P) test/fuzz && \
	$(CLANG) $(FUZZ_FLAGS) -o $@ $(FUZZ_SIMCTRL_INPUTS)
endif

# SPDX-License-Identifier: BSD-2-Clause
# Unit tests of the daemon's modules: one cmocka binary per module.
if UNIT
check_PROGRAMS += test/unit/test-frame
TESTS += test/unit/test-frame
test_unit_test_frame_SOURCES = test/unit/test-frame.c src/frame.c src/frame.h
test_unit_test_frame_CFLAGS = $(UNIT_CFLAGS)
test_unit_test_frame_LDFLAGS = $(UNIT_LINK_FLAGS)
test_unit_test_frame_LDADD = $(CMOCKA_LIBS)
endif

if UNIT
check_PROGRAMS += test/unit/test-resmgr
TESTS += test/unit/test-resmgr
test_unit_test_resmgr_SOURCES = test/unit/test-resmgr.c \
	src/resmgr.c src/resmgr-commands.c src/resmgr-context.c \
	src/resmgr-entries.c src/resmgr-quota.c src/cmdattrs.c src/tpmcmd.c \
	src/frame.c src/log.c
test_unit_test_resmgr_CFLAGS = $(UNIT_CFLAGS) $(TSS2_MU_CFLAGS)
test_unit_test_resmgr_LDFLAGS = $(UNIT_LINK_FLAGS)
test_unit_test_resmgr_LDADD = $(CMOCKA_LIBS) $(TSS2_MU_LIBS)
endif

if UNIT
check_PROGRAMS += test/unit/test-config
TESTS += test/unit/test-config
test_unit_test_config_SOURCES = test/unit/test-config.c \
	src/config.c src/config.h src/ccnames.c src/ccnames.h \
	src/log.c src/log.h
test_unit_test_config_CFLAGS = $(UNIT_CFLAGS)
test_unit_test_config_LDFLAGS = $(UNIT_LINK_FLAGS)
test_unit_test_config_LDADD = $(CMOCKA_LIBS)
endif

if UNIT
check_PROGRAMS += test/unit/test-fairq
TESTS += test/unit/test-fairq
test_unit_test_fairq_SOURCES = test/unit/test-fairq.c src/fairq.c
test_unit_test_fairq_CFLAGS = $(UNIT_CFLAGS)
test_unit_test_fairq_LDFLAGS = $(UNIT_LINK_FLAGS)
test_unit_test_fairq_LDADD = $(CMOCKA_LIBS)
endif

# Command profiles; the test also reads man/profiles.inc.txt.
EXTRA_DIST += man/profiles.inc.txt
if UNIT
check_PROGRAMS += test/unit/test-profile
TESTS += test/unit/test-profile
test_unit_test_profile_SOURCES = test/unit/test-profile.c \
	src/profile.c src/profile.h src/ccnames.c src/ccnames.h \
	src/frame.c src/frame.h
test_unit_test_profile_CFLAGS = $(UNIT_CFLAGS) $(TSS2_MU_CFLAGS)
test_unit_test_profile_LDFLAGS = $(UNIT_LINK_FLAGS)
test_unit_test_profile_LDADD = $(CMOCKA_LIBS)
endif

if UNIT
check_PROGRAMS += test/unit/test-ratelimit
TESTS += test/unit/test-ratelimit
test_unit_test_ratelimit_SOURCES = test/unit/test-ratelimit.c \
	src/ratelimit.c src/ratelimit.h
test_unit_test_ratelimit_CFLAGS = $(UNIT_CFLAGS)
test_unit_test_ratelimit_LDFLAGS = $(UNIT_LINK_FLAGS)
test_unit_test_ratelimit_LDADD = $(CMOCKA_LIBS)
endif

if UNIT
check_PROGRAMS += test/unit/test-cgroup
TESTS += test/unit/test-cgroup
test_unit_test_cgroup_SOURCES = test/unit/test-cgroup.c \
	src/cgroup.c src/cgroup.h
test_unit_test_cgroup_CFLAGS = $(UNIT_CFLAGS)
test_unit_test_cgroup_LDFLAGS = $(UNIT_LINK_FLAGS)
test_unit_test_cgroup_LDADD = $(CMOCKA_LIBS)
endif

# The audit log (src/audit.c) on real files, write() and ftruncate()
# replaced to play a full disk; each log is checked by src/auditverify.c.
if UNIT
check_PROGRAMS += test/unit/test-audit
TESTS += test/unit/test-audit
test_unit_test_audit_SOURCES = test/unit/test-audit.c \
	src/audit.c src/audit.h src/auditverify.c src/auditverify.h \
	src/ccnames.c src/ccnames.h src/log.c src/log.h
test_unit_test_audit_CFLAGS = $(UNIT_CFLAGS) $(LIBCRYPTO_CFLAGS) \
	$(TSS2_RC_CFLAGS)
test_unit_test_audit_LDFLAGS = $(UNIT_LINK_FLAGS) \
	-Wl,--wrap=write,--wrap=ftruncate
test_unit_test_audit_LDADD = $(CMOCKA_LIBS) $(LIBCRYPTO_LIBS) \
	$(TSS2_RC_LIBS)
endif

# The audit chain verifier behind tpmproxyctl audit-verify.
if UNIT
check_PROGRAMS += test/unit/test-auditverify
TESTS += test/unit/test-auditverify
test_unit_test_auditverify_SOURCES = test/unit/test-auditverify.c \
	src/auditverify.c src/auditverify.h
test_unit_test_auditverify_CFLAGS = $(UNIT_CFLAGS) $(LIBCRYPTO_CFLAGS)
test_unit_test_auditverify_LDFLAGS = $(UNIT_LINK_FLAGS)
test_unit_test_auditverify_LDADD = $(CMOCKA_LIBS) $(LIBCRYPTO_LIBS)
endif

# The daemon's lock-down (src/sandbox.c): seccomp in a forked child, and
# privilege dropping. Not wired into tpmproxyd yet (issue #6).
if UNIT
check_PROGRAMS += test/unit/test-sandbox
TESTS += test/unit/test-sandbox
test_unit_test_sandbox_SOURCES = test/unit/test-sandbox.c \
	src/sandbox.c src/sandbox.h
test_unit_test_sandbox_CFLAGS = $(UNIT_CFLAGS) $(PTHREAD_CFLAGS) $(LIBSECCOMP_CFLAGS)
test_unit_test_sandbox_LDFLAGS = $(UNIT_LINK_FLAGS)
test_unit_test_sandbox_LDADD = $(CMOCKA_LIBS) $(LIBSECCOMP_LIBS) $(PTHREAD_LIBS)
endif

# The daemon's own process figures (src/procstat.c).
if UNIT
check_PROGRAMS += test/unit/test-procstat
TESTS += test/unit/test-procstat
test_unit_test_procstat_SOURCES = test/unit/test-procstat.c \
	src/procstat.c src/procstat.h
test_unit_test_procstat_CFLAGS = $(UNIT_CFLAGS)
test_unit_test_procstat_LDFLAGS = $(UNIT_LINK_FLAGS)
test_unit_test_procstat_LDADD = $(CMOCKA_LIBS)
endif

# Identities and groups: kept while anything depends on their ids.
if UNIT
check_PROGRAMS += test/unit/test-identity
TESTS += test/unit/test-identity
test_unit_test_identity_SOURCES = test/unit/test-identity.c \
	src/identity.c src/identity.h src/ratelimit.c src/ratelimit.h
test_unit_test_identity_CFLAGS = $(UNIT_CFLAGS)
test_unit_test_identity_LDFLAGS = $(UNIT_LINK_FLAGS)
test_unit_test_identity_LDADD = $(CMOCKA_LIBS)
endif

if UNIT
check_PROGRAMS += test/unit/test-simframe
TESTS += test/unit/test-simframe
test_unit_test_simframe_SOURCES = test/unit/test-simframe.c \
	src/simframe.c src/simframe.h src/frame.c src/frame.h
test_unit_test_simframe_CFLAGS = $(UNIT_CFLAGS)
test_unit_test_simframe_LDFLAGS = $(UNIT_LINK_FLAGS)
test_unit_test_simframe_LDADD = $(CMOCKA_LIBS)
endif

# The simulator control channel SOCK.ctrl (src/simctrl.c), pure protocol.
if UNIT
check_PROGRAMS += test/unit/test-simctrl
TESTS += test/unit/test-simctrl
test_unit_test_simctrl_SOURCES = test/unit/test-simctrl.c \
	src/simctrl.c src/simctrl.h src/frame.c src/frame.h
test_unit_test_simctrl_CFLAGS = $(UNIT_CFLAGS)
test_unit_test_simctrl_LDFLAGS = $(UNIT_LINK_FLAGS)
test_unit_test_simctrl_LDADD = $(CMOCKA_LIBS)
endif

# Processes owning TPM resources (src/procown.c), with real children.
if UNIT
check_PROGRAMS += test/unit/test-procown
TESTS += test/unit/test-procown
test_unit_test_procown_SOURCES = test/unit/test-procown.c \
	src/procown.c src/procown.h src/procstat.c src/procstat.h \
	src/identity.c src/identity.h src/ratelimit.c src/ratelimit.h \
	src/log.c src/log.h
test_unit_test_procown_CFLAGS = $(UNIT_CFLAGS) $(LIBEVENT_CFLAGS)
test_unit_test_procown_LDFLAGS = $(UNIT_LINK_FLAGS)
test_unit_test_procown_LDADD = $(CMOCKA_LIBS) $(LIBEVENT_LIBS)
endif

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
check_PROGRAMS += test/unit/test-fairq
TESTS += test/unit/test-fairq
test_unit_test_fairq_SOURCES = test/unit/test-fairq.c src/fairq.c
test_unit_test_fairq_CFLAGS = $(UNIT_CFLAGS)
test_unit_test_fairq_LDFLAGS = $(UNIT_LINK_FLAGS)
test_unit_test_fairq_LDADD = $(CMOCKA_LIBS)
endif

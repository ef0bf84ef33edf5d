# SPDX-License-Identifier: BSD-2-Clause
# tpmproxyctl: the operator's tool (audit-verify; control-socket commands to come).
bin_PROGRAMS += src/tpmproxyctl

src_tpmproxyctl_SOURCES = src/tpmproxyctl.c \
	src/auditverify.c src/auditverify.h
src_tpmproxyctl_CFLAGS = $(AM_CFLAGS) $(LIBCRYPTO_CFLAGS)
src_tpmproxyctl_LDADD = $(LIBCRYPTO_LIBS)

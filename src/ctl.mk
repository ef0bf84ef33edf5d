# SPDX-License-Identifier: BSD-2-Clause
# tpmproxyctl: the operator's tool (audit-verify and the control-socket requests).
bin_PROGRAMS += src/tpmproxyctl

src_tpmproxyctl_SOURCES = src/tpmproxyctl.c \
	src/auditverify.c src/auditverify.h
src_tpmproxyctl_CFLAGS = $(AM_CFLAGS) $(LIBCRYPTO_CFLAGS)
src_tpmproxyctl_LDADD = $(LIBCRYPTO_LIBS)

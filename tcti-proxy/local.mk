# SPDX-License-Identifier: BSD-2-Clause
# libtss2-tcti-proxy: the TCTI for tpmproxyd, its header, .pc and unit test.
lib_LTLIBRARIES += tcti-proxy/libtss2-tcti-proxy.la
tcti_proxy_libtss2_tcti_proxy_la_SOURCES = \
	tcti-proxy/tcti-proxy.c \
	tcti-proxy/tcti-proxy.h
tcti_proxy_libtss2_tcti_proxy_la_CPPFLAGS = -I$(top_srcdir)/tcti-proxy \
	$(TSS2_TCTILDR_CFLAGS)
# tctildr dlopen()s libtss2-tcti-proxy.so.0; only Init and Info are exported.
tcti_proxy_libtss2_tcti_proxy_la_LDFLAGS = -version-info 0:0:0 -no-undefined \
	-export-symbols $(top_srcdir)/tcti-proxy/libtss2-tcti-proxy.sym
EXTRA_tcti_proxy_libtss2_tcti_proxy_la_DEPENDENCIES = \
	tcti-proxy/libtss2-tcti-proxy.sym

tss2includedir = $(includedir)/tss2
tss2include_HEADERS = tcti-proxy/tss2_tcti_proxy.h
pkgconfig_DATA += tcti-proxy/tss2-tcti-proxy.pc
EXTRA_DIST += \
	tcti-proxy/libtss2-tcti-proxy.sym \
	tcti-proxy/tss2-tcti-proxy.pc.in

if UNIT
# Links tcti-proxy.c itself, with the socket calls wrapped (see the test).
check_PROGRAMS += test/unit/test-tcti-proxy
TESTS += test/unit/test-tcti-proxy
test_unit_test_tcti_proxy_SOURCES = \
	test/unit/test-tcti-proxy.c \
	tcti-proxy/tcti-proxy.c
test_unit_test_tcti_proxy_CPPFLAGS = -I$(top_srcdir)/tcti-proxy \
	$(TSS2_TCTILDR_CFLAGS)
test_unit_test_tcti_proxy_CFLAGS = $(UNIT_CFLAGS)
test_unit_test_tcti_proxy_LDFLAGS = $(UNIT_LINK_FLAGS) \
	-Wl,--wrap=socket,--wrap=connect,--wrap=send,--wrap=recv \
	-Wl,--wrap=poll,--wrap=close
test_unit_test_tcti_proxy_LDADD = $(CMOCKA_LIBS)
endif

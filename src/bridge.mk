# SPDX-License-Identifier: BSD-2-Clause
# tpmproxy-bridge: loopback TCP (data port N, control port N + 1) to the
# daemon's socket and SOCKET.ctrl, for clients that can only say host and
# port (tpmproxy-bridge(8)).
bin_PROGRAMS += src/tpmproxy-bridge

# Everything but main, for the unit tests.
TPMPROXY_BRIDGE_CORE = \
	src/bridge.c src/bridge.h \
	src/bridge-addr.c src/bridge-addr.h \
	src/bridge-options.c src/bridge-options.h \
	src/bridge-relay.c src/bridge-relay.h \
	src/acceptguard.c src/acceptguard.h \
	src/log.c src/log.h

src_tpmproxy_bridge_SOURCES = src/bridge-main.c $(TPMPROXY_BRIDGE_CORE)
src_tpmproxy_bridge_CFLAGS = $(AM_CFLAGS) $(DAEMON_SANITIZE_CFLAGS) \
	$(LIBEVENT_CFLAGS)
src_tpmproxy_bridge_LDFLAGS = $(DAEMON_SANITIZE_CFLAGS)
src_tpmproxy_bridge_LDADD = $(LIBEVENT_LIBS)

# SPDX-License-Identifier: BSD-2-Clause
# tpmproxyd: the daemon.
sbin_PROGRAMS += src/tpmproxyd

# Everything but main.c, so unit tests and fuzzers can link single modules.
TPMPROXYD_CORE = \
	src/audit.c src/audit.h \
	src/backend.c src/backend.h \
	src/ccnames.c src/ccnames.h \
	src/cgroup.c src/cgroup.h \
	src/config.c src/config.h \
	src/cmdattrs.c src/cmdattrs.h \
	src/conn.c src/conn.h \
	src/control.c src/control.h \
	src/ctrlconn.c src/ctrlconn.h \
	src/acceptguard.c src/acceptguard.h \
	src/procstat.c src/procstat.h \
	src/procown.c src/procown.h \
	src/daemon.h \
	src/frame.c src/frame.h \
	src/identity.c src/identity.h \
	src/listener.c src/listener.h \
	src/log.c src/log.h \
	src/metrics.c src/metrics.h \
	src/options.c src/options.h \
	src/policy.c src/policy.h \
	src/profile.c src/profile.h \
	src/ratelimit.c src/ratelimit.h \
	src/proxyrc.h \
	src/resmgr.c src/resmgr.h src/resmgr-internal.h \
	src/resmgr-commands.c src/resmgr-context.c src/resmgr-entries.c \
	src/resmgr-quota.c \
	src/sandbox.c src/sandbox.h \
	src/simframe.c src/simframe.h \
	src/simctrl.c src/simctrl.h \
	src/fairq.c src/fairq.h \
	src/stats.c src/stats.h \
	src/tpmcmd.c src/tpmcmd.h \
	src/worker.c src/worker.h

src_tpmproxyd_SOURCES = src/main.c $(TPMPROXYD_CORE)
src_tpmproxyd_CFLAGS = $(AM_CFLAGS) $(PTHREAD_CFLAGS) $(DAEMON_SANITIZE_CFLAGS) \
	$(TSS2_TCTILDR_CFLAGS) $(TSS2_MU_CFLAGS) $(TSS2_RC_CFLAGS) $(LIBEVENT_CFLAGS) $(LIBSECCOMP_CFLAGS) \
	$(LIBCRYPTO_CFLAGS)
src_tpmproxyd_LDFLAGS = $(DAEMON_SANITIZE_CFLAGS)
src_tpmproxyd_LDADD = $(TSS2_TCTILDR_LIBS) $(TSS2_MU_LIBS) $(TSS2_RC_LIBS) \
	$(LIBEVENT_LIBS) $(LIBCRYPTO_LIBS) $(LIBSECCOMP_LIBS) $(PTHREAD_LIBS) -lm

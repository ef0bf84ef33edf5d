# SPDX-License-Identifier: BSD-2-Clause
# systemd/: the hardened unit, tmpfiles.d and sysusers.d files, with paths
# substituted at build time; systemd-analyze checks the unit in make check.
SYSTEMD_IN = systemd/tpmproxyd.service.in systemd/tpmproxy.tmpfiles.in \
	systemd/tpmproxy.sysusers.in
# Generated under their installed names: tmpfiles.d and sysusers.d both
# want tpmproxy.conf.
SYSTEMD_GENERATED = systemd/tpmproxyd.service \
	systemd/tmpfiles.d/tpmproxy.conf systemd/sysusers.d/tpmproxy.conf
EXTRA_DIST += $(SYSTEMD_IN) systemd/verify.sh
CLEANFILES += $(SYSTEMD_GENERATED)
noinst_DATA = $(SYSTEMD_GENERATED)

if HAVE_SYSTEMDSYSTEMUNITDIR
systemdsystemunit_DATA = systemd/tpmproxyd.service
endif
if HAVE_TMPFILESDIR
tmpfiles_DATA = systemd/tmpfiles.d/tpmproxy.conf
endif
if HAVE_SYSUSERSDIR
sysusers_DATA = systemd/sysusers.d/tpmproxy.conf
endif

# At build time, so that make prefix=... and DESTDIR installs see the
# final paths (configure would leave ${exec_prefix} unexpanded).
systemd_subst = $(AM_V_GEN)$(MKDIR_P) $(@D) && $(SED) \
	-e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g'

systemd/tpmproxyd.service: $(srcdir)/systemd/tpmproxyd.service.in Makefile
	$(systemd_subst) $(srcdir)/systemd/tpmproxyd.service.in > $@.tmp && \
	mv -f $@.tmp $@
systemd/tmpfiles.d/tpmproxy.conf: $(srcdir)/systemd/tpmproxy.tmpfiles.in Makefile
	$(systemd_subst) $(srcdir)/systemd/tpmproxy.tmpfiles.in > $@.tmp && \
	mv -f $@.tmp $@
systemd/sysusers.d/tpmproxy.conf: $(srcdir)/systemd/tpmproxy.sysusers.in Makefile
	$(systemd_subst) $(srcdir)/systemd/tpmproxy.sysusers.in > $@.tmp && \
	mv -f $@.tmp $@

TESTS += systemd/verify.sh
AM_TESTS_ENVIRONMENT += SYSTEMD_ANALYZE='$(SYSTEMD_ANALYZE)'; \
	export SYSTEMD_ANALYZE;

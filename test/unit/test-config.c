/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of src/config.c: every key, every error with its FILE:LINE,
 * and conf.d/ merging on a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

/* By path: the build directory holds autoconf's config.h as well. */
#include "src/config.h"

#define ERRLEN 512

/* The example of the issue and of tpmproxy.conf(5). */
static const char example[] =
	"[daemon]\n"
	"tcti = device:/dev/tpm0\n"
	"audit-log = /var/log/tpmproxy/audit.log\n"
	"reserve-object-slots = 1\n"
	"reserve-session-slots = 1\n"
	"\n"
	"[socket \"keylime\"]          # one section per socket\n"
	"path = /run/tpmproxy/keylime/tpm.sock\n"
	"owner = 490:490            # uid:gid or names; mode below\n"
	"mode = 0660\n"
	"profile = attest           # full | attest | crypto | readonly\n"
	"max-connections = 8\n"
	"max-objects = 16           # per pod\n"
	"max-sessions = 4\n"
	"max-nv-indices = 2\n"
	"max-saved-contexts = 8\n"
	"rate = 200/s               # token bucket per pod/socket\n"
	"burst = 50\n"
	"allow-uids = 490           # optional\n"
	"idle-timeout = 300s\n"
	"partial-timeout = 10s\n"
	"max-command-size = 4096\n"
	"\n"
	"[profile \"custom\"]\n"
	"inherit = attest\n"
	"allow = TPM2_CC_Sign TPM2_CC_VerifySignature\n"
	"deny = TPM2_CC_NV_DefineSpace\n";

/* Parse text as "t.conf" into a fresh config and check it, like one file
 * read by config_load(); the config is returned even on failure. */
static int
parse(const char *text, struct config **out, char *err)
{
	struct config *c = config_new_defaults();
	int r;

	assert_non_null(c);
	err[0] = '\0';
	r = config_parse_buffer("t.conf", text, strlen(text), c, err, ERRLEN);
	if (r == 0)
		r = config_check(c, err, ERRLEN);
	*out = c;
	return r;
}

/* Parse text that must be valid. */
static struct config *
parse_ok(const char *text)
{
	char err[ERRLEN];
	struct config *c;
	int r = parse(text, &c, err);

	if (r != 0)
		fail_msg("unexpected error: %s", err);
	return c;
}

/* Parse text that must fail with exactly this message. */
static void
expect_error(const char *text, const char *message)
{
	char err[ERRLEN];
	struct config *c;

	assert_int_equal(parse(text, &c, err), -EINVAL);
	assert_string_equal(err, message);
	config_free(c);
}

/* A one-socket file with extra lines in the socket section. */
static void
expect_socket_error(const char *lines, const char *message)
{
	char text[8192];

	snprintf(text, sizeof(text), "[socket \"s\"]\npath = /run/s.sock\n%s",
	    lines);
	expect_error(text, message);
}

/* Parse a socket section with one extra line; returns the config. */
static struct config *
parse_socket(const char *line)
{
	char text[8192];

	snprintf(text, sizeof(text), "[socket \"s\"]\npath = /run/s.sock\n%s\n",
	    line);
	return parse_ok(text);
}

static void
config_parse_buffer_example(void **state)
{
	struct config *c = parse_ok(example);
	const struct config_socket *s = config_find_socket(c, "keylime");
	const struct config_profile *pr = config_find_profile(c, "custom");

	assert_string_equal(c->tcti, "device:/dev/tpm0");
	assert_string_equal(c->audit_log, "/var/log/tpmproxy/audit.log");
	assert_int_equal(c->reserve_object_slots, 1);
	assert_int_equal(c->reserve_session_slots, 1);
	assert_int_equal(c->set[CONFIG_KEY_TCTI].line, 2);
	assert_null(c->set[CONFIG_KEY_USER].file);
	assert_int_equal(c->nsockets, 1);
	assert_non_null(s);
	assert_string_equal(s->path, "/run/tpmproxy/keylime/tpm.sock");
	assert_true(s->has_owner);
	assert_int_equal(s->uid, 490);
	assert_int_equal(s->gid, 490);
	assert_int_equal(s->mode, 0660);
	assert_string_equal(s->profile, "attest");
	assert_int_equal(s->profile_line, 11);
	assert_int_equal(s->max_connections, 8);
	assert_int_equal(s->max_objects, 16);
	assert_int_equal(s->max_sessions, 4);
	assert_int_equal(s->max_nv_indices, 2);
	assert_int_equal(s->max_saved_contexts, 8);
	assert_true(s->rate == 200.0);
	assert_int_equal(s->burst, 50);
	assert_int_equal(s->nallow_uids, 1);
	assert_int_equal(s->allow_uids[0], 490);
	assert_int_equal(s->idle_timeout_ms, 300000);
	assert_int_equal(s->partial_timeout_ms, 10000);
	assert_int_equal(s->max_command_size, 4096);
	assert_string_equal(s->file, "t.conf");
	assert_int_equal(s->line, 7);
	assert_non_null(pr);
	assert_string_equal(pr->inherit, "attest");
	assert_int_equal(pr->inherit_line, 25);
	assert_int_equal(pr->nallow, 2);
	assert_int_equal(pr->allow[0], 0x15d); /* Sign */
	assert_int_equal(pr->allow[1], 0x177); /* VerifySignature */
	assert_int_equal(pr->ndeny, 1);
	assert_int_equal(pr->deny[0], 0x12a); /* NV_DefineSpace */
	assert_string_equal(pr->file, "t.conf");
	assert_int_equal(pr->line, 24);
	config_free(c);
}

static void
config_new_defaults_values(void **state)
{
	struct config *c = config_new_defaults();

	assert_non_null(c);
	assert_string_equal(c->tcti, CONFIG_DEFAULT_TCTI);
	assert_null(c->audit_log);
	assert_null(c->user);
	assert_null(c->group);
	assert_null(c->control_socket);
	assert_null(c->metrics_listen);
	assert_int_equal(c->log_level, LOG_LEVEL_INFO);
	assert_int_equal(c->partial_timeout_ms, 10000);
	assert_int_equal(c->shutdown_grace_ms, 30000);
	assert_int_equal(c->reserve_object_slots, 1);
	assert_int_equal(c->reserve_session_slots, 1);
	assert_int_equal(c->max_saved_contexts, 8);
	assert_int_equal(c->audit_failure, CONFIG_AUDIT_CONTINUE);
	assert_int_equal(c->schedule, CONFIG_SCHEDULE_RESIDENT_FIRST);
	assert_int_equal(c->nsockets, 0);
	assert_int_equal(c->nprofiles, 0);
	config_free(c);
	config_free(NULL);
}

static void
config_parse_buffer_socket_defaults(void **state)
{
	struct config *c = parse_ok("[daemon]\nmax-saved-contexts = 3\n"
	    "[socket \"a\"]\npath = /run/a.sock\n");
	const struct config_socket *s = &c->sockets[0];

	assert_string_equal(s->name, "a");
	assert_false(s->has_owner);
	assert_int_equal(s->gid, (gid_t)-1);
	assert_int_equal(s->mode, 0660);
	assert_string_equal(s->profile, "full");
	assert_int_equal(s->profile_line, 0);
	assert_int_equal(s->max_connections, 64);
	assert_int_equal(s->max_objects, 16);
	assert_int_equal(s->max_sessions, 8);
	assert_int_equal(s->max_nv_indices, 0);
	/* Taken from [daemon] by config_check(). */
	assert_int_equal(s->max_saved_contexts, 3);
	assert_true(s->rate == 0);
	assert_int_equal(s->burst, 0);
	assert_int_equal(s->nallow_uids, 0);
	assert_null(s->allow_uids);
	assert_int_equal(s->idle_timeout_ms, 0);
	assert_int_equal(s->partial_timeout_ms, 0);
	assert_int_equal(s->max_command_size, 0);
	config_free(c);
}

static void
config_parse_buffer_daemon_keys(void **state)
{
	struct config *c = parse_ok("[daemon]\n"
	    "tcti = swtpm:host=127.0.0.1,port=2321\n"
	    "log-level = debug\n"
	    "user = root\n"
	    "group = 0\n"
	    "control-socket = /run/tpmproxy/control.sock\n"
	    "partial-timeout = 250ms\n"
	    "shutdown-grace = 0\n"
	    "max-saved-contexts = 0\n"
	    "audit-failure = refuse\n"
	    "metrics-listen = 127.0.0.1:9464\n"
	    "reserve-object-slots = 0\n"
	    "reserve-session-slots = 64\n"
	    "schedule = fifo\n");

	assert_string_equal(c->tcti, "swtpm:host=127.0.0.1,port=2321");
	assert_int_equal(c->log_level, LOG_LEVEL_DEBUG);
	assert_string_equal(c->user, "root");
	assert_int_equal(c->uid, 0);
	assert_string_equal(c->group, "0");
	assert_int_equal(c->gid, 0);
	assert_string_equal(c->control_socket, "/run/tpmproxy/control.sock");
	assert_int_equal(c->partial_timeout_ms, 250);
	assert_int_equal(c->shutdown_grace_ms, 0);
	assert_int_equal(c->max_saved_contexts, 0);
	assert_int_equal(c->audit_failure, CONFIG_AUDIT_REFUSE);
	assert_string_equal(c->metrics_listen, "127.0.0.1:9464");
	assert_int_equal(c->reserve_object_slots, 0);
	assert_int_equal(c->reserve_session_slots, 64);
	assert_int_equal(c->schedule, CONFIG_SCHEDULE_FIFO);
	config_free(c);
	c = parse_ok("[daemon]\nschedule = resident-first\n");
	assert_int_equal(c->schedule, CONFIG_SCHEDULE_RESIDENT_FIRST);
	config_free(c);
}

static void
config_parse_buffer_daemon_bad_values(void **state)
{
	expect_error("[daemon]\nlog-level = loud\n", "t.conf:2: log-level: "
	    "unknown level \"loud\" (error, warning, info, debug)");
	expect_error("[daemon]\naudit-failure = maybe\n", "t.conf:2: "
	    "audit-failure: \"maybe\" is neither continue nor refuse");
	/* Names are exact: no case folding, no prefixes, no underscores. */
	expect_error("[daemon]\nschedule = FIFO\n", "t.conf:2: schedule: "
	    "\"FIFO\" is neither resident-first nor fifo");
	expect_error("[daemon]\nschedule = resident\n", "t.conf:2: schedule: "
	    "\"resident\" is neither resident-first nor fifo");
	expect_error("[daemon]\nschedule = resident_first\n", "t.conf:2: "
	    "schedule: \"resident_first\" is neither resident-first nor "
	    "fifo");
	expect_error("[daemon]\n\nschedule = fifo fifo\n", "t.conf:3: "
	    "schedule: \"fifo fifo\" is neither resident-first nor fifo");
	expect_error("[daemon]\nschedule =\n",
	    "t.conf:2: schedule: missing value");
	expect_error("[daemon]\nschedule = \x01\n", "t.conf:2: schedule: "
	    "\"?\" is neither resident-first nor fifo");
	expect_error("[daemon]\nschedule = fifo\nschedule = fifo\n",
	    "t.conf:3: schedule: already set at t.conf:2");
	expect_error("[socket \"s\"]\npath = /s\nschedule = fifo\n",
	    "t.conf:3: unknown key \"schedule\" in [socket]");
	expect_error("[daemon]\nuser = no-such-user-tpmproxy\n",
	    "t.conf:2: user: unknown user \"no-such-user-tpmproxy\"");
	expect_error("[daemon]\ngroup = no-such-group-tpmproxy\n",
	    "t.conf:2: group: unknown group \"no-such-group-tpmproxy\"");
	expect_error("[daemon]\nreserve-object-slots = 65\n",
	    "t.conf:2: reserve-object-slots: 65 is out of range (0 to 64)");
	expect_error("[daemon]\npartial-timeout = 0\n", "t.conf:2: "
	    "partial-timeout: 0 is out of range (1ms to 86400000ms)");
	expect_error("[daemon]\naudit-log = audit.log\n", "t.conf:2: "
	    "audit-log: \"audit.log\" is not an absolute path");
	expect_error("[daemon]\ncontrol-socket = run/ctl\n", "t.conf:2: "
	    "control-socket: \"run/ctl\" is not an absolute path");
}

static void
config_parse_buffer_comments(void **state)
{
	struct config *c = parse_ok("# whole line\r\n"
	    "; also whole line\n"
	    "   \t\n"
	    "  [ socket   \"a\" ]   ; trailing\r\n"
	    "\tpath=/run/a#b.sock\t# '#' inside a word is kept\n"
	    "mode = 600 ; trailing\n"
	    "[daemon]\n"
	    "tcti = mssim:host=localhost;port=2321 # comment\n");

	assert_string_equal(c->sockets[0].path, "/run/a#b.sock");
	assert_int_equal(c->sockets[0].mode, 0600);
	assert_string_equal(c->tcti, "mssim:host=localhost;port=2321");
	config_free(c);
	/* No newline at the end of the file. */
	c = parse_ok("[socket \"a\"]\npath = /run/a.sock");
	assert_string_equal(c->sockets[0].path, "/run/a.sock");
	config_free(c);
	c = parse_ok("");
	assert_int_equal(c->nsockets, 0);
	config_free(c);
}

static void
config_parse_buffer_unknown_section(void **state)
{
	expect_error("[daemon]\n\n[sockets \"a\"]\n", "t.conf:3: unknown "
	    "section [sockets] (daemon, socket, profile)");
	expect_error("[]\n", "t.conf:1: unknown section [] (daemon, socket, "
	    "profile)");
}

static void
config_parse_buffer_bad_header(void **state)
{
	expect_error("[socket \"a\"\n", "t.conf:1: section header without "
	    "closing ']'");
	expect_error("[socket]\n", "t.conf:1: [socket] needs a name: "
	    "[socket \"NAME\"]");
	expect_error("[profile]\n", "t.conf:1: [profile] needs a name: "
	    "[profile \"NAME\"]");
	expect_error("[daemon \"x\"]\n", "t.conf:1: [daemon] takes no name");
	expect_error("[socket a]\n", "t.conf:1: section name must be in "
	    "double quotes: [socket \"NAME\"]");
	expect_error("[socket \"a]\n", "t.conf:1: section name must be in "
	    "double quotes: [socket \"NAME\"]");
	expect_error("[socket \"\"]\n", "t.conf:1: socket: empty name");
	expect_error("[socket \"a b\"]\n", "t.conf:1: socket: name \"a b\" may "
	    "only use letters, digits, '.', '_' and '-'");
	expect_error("[profile \"a\\\"b\"]\n", "t.conf:1: profile: name "
	    "\"a\\\"b\" may only use letters, digits, '.', '_' and '-'");
	expect_error("[socket \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaa\"]\n", "t.conf:1: socket: name longer than 64 "
	    "bytes");
}

static void
config_parse_buffer_header_without_blank(void **state)
{
	struct config *c = parse_ok("[socket\"a\"]\npath = /run/a.sock\n"
	    "[profile\"p-1.x_y\"]\n");

	assert_non_null(config_find_socket(c, "a"));
	assert_non_null(config_find_profile(c, "p-1.x_y"));
	config_free(c);
}

static void
config_parse_buffer_unknown_key(void **state)
{
	expect_error("[daemon]\ntcti = device:/dev/tpm0\nsocket = /x\n",
	    "t.conf:3: unknown key \"socket\" in [daemon]");
	expect_socket_error("max_objects = 1\n",
	    "t.conf:3: unknown key \"max_objects\" in [socket]");
	expect_error("[profile \"p\"]\nallow = Sign\nmax-objects = 1\n",
	    "t.conf:3: unknown key \"max-objects\" in [profile]");
	/* Keys are case-sensitive. */
	expect_socket_error("Mode = 0600\n",
	    "t.conf:3: unknown key \"Mode\" in [socket]");
}

static void
config_parse_buffer_missing_equals(void **state)
{
	expect_socket_error("mode 0600\n",
	    "t.conf:3: missing '=' in \"mode 0600\"");
	expect_socket_error(" = 0600\n", "t.conf:3: missing key before '='");
	expect_socket_error("mode =   # nothing\n", "t.conf:3: mode: missing "
	    "value");
}

static void
config_parse_buffer_outside_section(void **state)
{
	expect_error("# top\ntcti = device:/dev/tpm0\n",
	    "t.conf:2: \"tcti\" is outside any section");
}

static void
config_parse_buffer_bad_number(void **state)
{
	expect_socket_error("max-objects = many\n",
	    "t.conf:3: max-objects: \"many\" is not a number");
	expect_socket_error("max-objects = -1\n",
	    "t.conf:3: max-objects: \"-1\" is not a number");
	expect_socket_error("max-objects = +1\n",
	    "t.conf:3: max-objects: \"+1\" is not a number");
	expect_socket_error("max-objects = 0x10\n",
	    "t.conf:3: max-objects: \"0x10\" is not a number");
	expect_socket_error("max-objects = 1 2\n",
	    "t.conf:3: max-objects: \"1 2\" is not a number");
}

static void
config_parse_buffer_out_of_range(void **state)
{
	expect_socket_error("max-connections = 0\n",
	    "t.conf:3: max-connections: 0 is out of range (1 to 65536)");
	expect_socket_error("max-objects = 1025\n",
	    "t.conf:3: max-objects: 1025 is out of range (0 to 1024)");
	/* Far past 2^64: capped, never wrapped. */
	/* 2^64 + 5: would be 5 if the digits were allowed to wrap. */
	expect_socket_error("max-sessions = 18446744073709551621\n",
	    "t.conf:3: max-sessions: 18446744073709551621 is out of "
	    "range (0 to 1024)");
	expect_socket_error("max-sessions = 99999999999999999999999999\n",
	    "t.conf:3: max-sessions: 99999999999999999999999999 is out of "
	    "range (0 to 1024)");
	expect_socket_error("burst = 0\n",
	    "t.conf:3: burst: 0 is out of range (1 to 1000000)");
	expect_socket_error("max-command-size = 9\n",
	    "t.conf:3: max-command-size: 9 is out of range (10 to 65536)");
	expect_socket_error("max-command-size = 65537\n",
	    "t.conf:3: max-command-size: 65537 is out of range (10 to 65536)");
}

static void
config_parse_buffer_limits_at_bounds(void **state)
{
	struct config *c = parse_socket("max-connections = 65536\n"
	    "max-objects = 0\nmax-sessions = 1024\nmax-nv-indices = 1024\n"
	    "max-saved-contexts = 0\nburst = 1000000\n"
	    "max-command-size = 10");
	const struct config_socket *s = &c->sockets[0];

	assert_int_equal(s->max_connections, 65536);
	assert_int_equal(s->max_objects, 0);
	assert_int_equal(s->max_sessions, 1024);
	assert_int_equal(s->max_nv_indices, 1024);
	assert_int_equal(s->max_saved_contexts, 0);
	assert_int_equal(s->burst, 1000000);
	assert_int_equal(s->max_command_size, 10);
	config_free(c);
}

static void
config_parse_buffer_durations(void **state)
{
	static const struct {
		const char *text;
		unsigned ms;
	} ok[] = {
		{ "300s", 300000 }, { "300", 300000 }, { "500ms", 500 },
		{ "5m", 300000 }, { "0", 0 }, { "1440m", 86400000 },
		{ "86400000ms", 86400000 },
	};
	char line[64];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct config *c;

		snprintf(line, sizeof(line), "idle-timeout = %s", ok[i].text);
		c = parse_socket(line);
		assert_int_equal(c->sockets[0].idle_timeout_ms, ok[i].ms);
		config_free(c);
	}
	expect_socket_error("idle-timeout = 5h\n", "t.conf:3: idle-timeout: "
	    "\"5h\" is not a duration (such as 30s, 500ms or 5m)");
	expect_socket_error("idle-timeout = 1.5s\n", "t.conf:3: idle-timeout: "
	    "\"1.5s\" is not a duration (such as 30s, 500ms or 5m)");
	expect_socket_error("idle-timeout = s\n", "t.conf:3: idle-timeout: "
	    "\"s\" is not a duration (such as 30s, 500ms or 5m)");
	expect_socket_error("idle-timeout = -1s\n", "t.conf:3: idle-timeout: "
	    "\"-1s\" is not a duration (such as 30s, 500ms or 5m)");
	expect_socket_error("idle-timeout = 1441m\n", "t.conf:3: idle-timeout: "
	    "1441m is out of range (0ms to 86400000ms)");
	expect_socket_error("idle-timeout = 99999999999999999999m\n",
	    "t.conf:3: idle-timeout: 99999999999999999999m is out of range "
	    "(0ms to 86400000ms)");
	expect_socket_error("partial-timeout = 0ms\n", "t.conf:3: "
	    "partial-timeout: 0ms is out of range (1ms to 86400000ms)");
}

static void
config_parse_buffer_rates(void **state)
{
	static const struct {
		const char *text;
		double rate;
	} ok[] = {
		{ "200/s", 200 }, { "200", 200 }, { "30/m", 0.5 }, { "0", 0 },
		{ "unlimited", 0 }, { "2.5/s", 2.5 }, { "0.25", 0.25 },
		{ "1000000/s", 1000000 }, { "60000000/m", 1000000 },
	};
	char line[64];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct config *c;

		snprintf(line, sizeof(line), "rate = %s", ok[i].text);
		c = parse_socket(line);
		assert_true(c->sockets[0].rate == ok[i].rate);
		config_free(c);
	}
	expect_socket_error("rate = fast\n", "t.conf:3: rate: \"fast\" is not "
	    "a rate (such as 200/s, 30/m or unlimited)");
	expect_socket_error("rate = 5/h\n", "t.conf:3: rate: \"5/h\" is not "
	    "a rate (such as 200/s, 30/m or unlimited)");
	expect_socket_error("rate = -5\n", "t.conf:3: rate: \"-5\" is not "
	    "a rate (such as 200/s, 30/m or unlimited)");
	expect_socket_error("rate = 1.\n", "t.conf:3: rate: \"1.\" is not "
	    "a rate (such as 200/s, 30/m or unlimited)");
	expect_socket_error("rate = 1.1234567\n", "t.conf:3: rate: "
	    "\"1.1234567\" is not a rate (such as 200/s, 30/m or unlimited)");
	expect_socket_error("rate = 1000001/s\n", "t.conf:3: rate: 1000001/s "
	    "is above 1000000 per second");
	/* Capped above the per-minute limit, so /m cannot wrap it back. */
	expect_socket_error("rate = 6000000000000/m\n", "t.conf:3: rate: "
	    "6000000000000/m is above 1000000 per second");
}

static void
config_parse_buffer_mode(void **state)
{
	struct config *c = parse_socket("mode = 600");

	assert_int_equal(c->sockets[0].mode, 0600);
	config_free(c);
	c = parse_socket("mode = 0");
	assert_int_equal(c->sockets[0].mode, 0);
	config_free(c);
	expect_socket_error("mode = 0968\n", "t.conf:3: mode: \"0968\" is not "
	    "an octal mode (such as 0660)");
	expect_socket_error("mode = rw\n", "t.conf:3: mode: \"rw\" is not an "
	    "octal mode (such as 0660)");
	expect_socket_error("mode = 00660\n", "t.conf:3: mode: \"00660\" is "
	    "not an octal mode (such as 0660)");
	expect_socket_error("mode = 4660\n", "t.conf:3: mode: 4660 has bits "
	    "beyond 0777");
}

static void
config_parse_buffer_owner(void **state)
{
	struct config *c = parse_socket("owner = 490:491");

	assert_true(c->sockets[0].has_owner);
	assert_int_equal(c->sockets[0].uid, 490);
	assert_int_equal(c->sockets[0].gid, 491);
	config_free(c);
	c = parse_socket("owner = root:root");
	assert_int_equal(c->sockets[0].uid, 0);
	assert_int_equal(c->sockets[0].gid, 0);
	config_free(c);
	/* Without a group the socket's group is left alone. */
	c = parse_socket("owner = root");
	assert_true(c->sockets[0].has_owner);
	assert_int_equal(c->sockets[0].uid, 0);
	assert_int_equal(c->sockets[0].gid, (gid_t)-1);
	config_free(c);
	c = parse_socket("owner = 7:root");
	assert_int_equal(c->sockets[0].uid, 7);
	assert_int_equal(c->sockets[0].gid, 0);
	config_free(c);
	expect_socket_error("owner = nosuchuser-tpmproxy:0\n", "t.conf:3: "
	    "owner: unknown user \"nosuchuser-tpmproxy\"");
	expect_socket_error("owner = 0:nosuchgroup-tpmproxy\n", "t.conf:3: "
	    "owner: unknown group \"nosuchgroup-tpmproxy\"");
	expect_socket_error("owner = :0\n", "t.conf:3: owner: missing user "
	    "before ':'");
	expect_socket_error("owner = 0:\n", "t.conf:3: owner: missing group "
	    "after ':'");
	expect_socket_error("owner = 4294967295\n", "t.conf:3: owner: uid "
	    "4294967295 is out of range");
	expect_socket_error("owner = 0:4294967295\n", "t.conf:3: owner: gid "
	    "4294967295 is out of range");
}

static void
config_parse_buffer_allow_uids(void **state)
{
	struct config *c = parse_socket("allow-uids = 490, 491 root,,7");
	const struct config_socket *s = &c->sockets[0];

	assert_int_equal(s->nallow_uids, 4);
	assert_int_equal(s->allow_uids[0], 490);
	assert_int_equal(s->allow_uids[1], 491);
	assert_int_equal(s->allow_uids[2], 0);
	assert_int_equal(s->allow_uids[3], 7);
	config_free(c);
	expect_socket_error("allow-uids = , ,\n", "t.conf:3: allow-uids: "
	    "empty list");
	expect_socket_error("allow-uids = 1 nosuchuser-tpmproxy\n", "t.conf:3: "
	    "allow-uids: unknown user \"nosuchuser-tpmproxy\"");
}

static void
config_parse_buffer_allow_uids_too_many(void **state)
{
	char line[4096];
	size_t n = 0;

	n += (size_t)snprintf(line, sizeof(line), "allow-uids =");
	for (int i = 0; i <= CONFIG_MAX_ALLOW_UIDS; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %d", i);
	snprintf(line + n, sizeof(line) - n, "\n");
	expect_socket_error(line, "t.conf:3: allow-uids: more than 256 users");
}

static void
config_parse_buffer_command_names(void **state)
{
	struct config *c = parse_ok("[profile \"p\"]\n"
	    "allow = TPM2_CC_Sign, Sign quote 0x20000001 0X2000000a\n"
	    "deny = tpm2_cc_nv_definespace\n");
	const struct config_profile *pr = &c->profiles[0];

	assert_int_equal(pr->nallow, 5);
	assert_int_equal(pr->allow[0], 0x15d);
	assert_int_equal(pr->allow[1], 0x15d);
	assert_int_equal(pr->allow[2], 0x158); /* Quote */
	assert_int_equal(pr->allow[3], 0x20000001);
	assert_int_equal(pr->allow[4], 0x2000000a);
	assert_int_equal(pr->ndeny, 1);
	assert_int_equal(pr->deny[0], 0x12a);
	assert_null(pr->inherit);
	config_free(c);
}

static void
config_parse_buffer_unknown_command(void **state)
{
	expect_error("[profile \"p\"]\nallow = Sign\ndeny = Sign TPM2_CC_Sing\n",
	    "t.conf:3: deny: unknown command \"TPM2_CC_Sing\"");
	expect_error("[profile \"p\"]\nallow = 0x1000000000\n",
	    "t.conf:2: allow: unknown command \"0x1000000000\"");
	expect_error("[profile \"p\"]\nallow = 0x12g\n",
	    "t.conf:2: allow: \"0x12g\" is not a command code");
	expect_error("[profile \"p\"]\nallow = ,\n",
	    "t.conf:2: allow: empty list");
}

static void
config_parse_buffer_duplicate_key(void **state)
{
	expect_socket_error("mode = 0600\n\nmode = 0660\n",
	    "t.conf:5: mode: already set at line 3");
	expect_error("[socket \"s\"]\npath = /a\npath = /b\n",
	    "t.conf:3: path: already set at line 2");
	expect_error("[profile \"p\"]\nallow = Sign\nallow = Quote\n",
	    "t.conf:3: allow: already set at line 2");
	/* [daemon] is one section even when split. */
	expect_error("[daemon]\ntcti = a\n[socket \"s\"]\npath = /s\n"
	    "[daemon]\ntcti = b\n", "t.conf:6: tcti: already set at t.conf:2");
}

static void
config_parse_buffer_same_key_two_sockets(void **state)
{
	struct config *c = parse_ok("[socket \"a\"]\npath = /run/a\nmode = 0600\n"
	    "[socket \"b\"]\npath = /run/b\nmode = 0666\n");

	assert_int_equal(c->nsockets, 2);
	assert_int_equal(c->sockets[0].mode, 0600);
	assert_int_equal(c->sockets[1].mode, 0666);
	config_free(c);
}

static void
config_parse_buffer_socket_without_path(void **state)
{
	/* Reported at the section header, whether the file or the section
	 * ends. */
	expect_error("[daemon]\n[socket \"a\"]\nmode = 0600\n",
	    "t.conf:2: socket \"a\" has no path");
	expect_error("[socket \"a\"]\nmode = 0600\n[daemon]\n",
	    "t.conf:1: socket \"a\" has no path");
}

static void
config_parse_buffer_relative_path(void **state)
{
	expect_error("[socket \"a\"]\npath = run/a.sock\n",
	    "t.conf:2: path: \"run/a.sock\" is not an absolute path");
	expect_error("[socket \"a\"]\npath = ./a.sock\n",
	    "t.conf:2: path: \"./a.sock\" is not an absolute path");
}

static void
config_parse_buffer_path_too_long(void **state)
{
	char path[CONFIG_SOCKET_PATH_MAX + 2], text[256];
	struct config *c;

	memset(path, 'p', sizeof(path) - 1);
	path[0] = '/';
	path[CONFIG_SOCKET_PATH_MAX] = '\0';
	snprintf(text, sizeof(text), "[socket \"a\"]\npath = %s\n", path);
	c = parse_ok(text);
	assert_int_equal(strlen(c->sockets[0].path), CONFIG_SOCKET_PATH_MAX);
	config_free(c);
	path[CONFIG_SOCKET_PATH_MAX] = 'p';
	path[CONFIG_SOCKET_PATH_MAX + 1] = '\0';
	snprintf(text, sizeof(text), "[socket \"a\"]\npath = %s\n", path);
	expect_error(text, "t.conf:2: path: path longer than 90 bytes");
	snprintf(text, sizeof(text), "[daemon]\ncontrol-socket = %s\n", path);
	expect_error(text, "t.conf:2: control-socket: path longer than 90 "
	    "bytes");
}

static void
config_parse_buffer_long_line(void **state)
{
	char *text = malloc(CONFIG_LINE_MAX + 64);
	struct config *c;
	size_t n;

	assert_non_null(text);
	/* Exactly 4096 bytes before the newline: accepted. */
	n = (size_t)sprintf(text, "[daemon]\n# ");
	memset(text + n, 'x', CONFIG_LINE_MAX - 2);
	n += CONFIG_LINE_MAX - 2;
	strcpy(text + n, "\r\n[socket \"a\"]\npath = /a\n");
	c = parse_ok(text);
	assert_int_equal(c->nsockets, 1);
	config_free(c);
	/* One more: refused, on line 2. */
	n = (size_t)sprintf(text, "[daemon]\n# ");
	memset(text + n, 'x', CONFIG_LINE_MAX - 1);
	n += CONFIG_LINE_MAX - 1;
	strcpy(text + n, "\n");
	expect_error(text, "t.conf:2: line longer than 4096 bytes");
	/* And without a final newline. */
	text[n] = '\0';
	expect_error(text, "t.conf:2: line longer than 4096 bytes");
	free(text);
}

static void
config_parse_buffer_nul_byte(void **state)
{
	static const char text[] = "[daemon]\ntcti = a\0b\n";
	struct config *c = config_new_defaults();
	char err[ERRLEN];

	assert_int_equal(config_parse_buffer("t.conf", text, sizeof(text) - 1,
	    c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.conf:2: NUL byte in line");
	config_free(c);
}

static void
config_parse_buffer_too_large(void **state)
{
	struct config *c = config_new_defaults();
	char err[ERRLEN];

	/* The length is checked before a byte is read. */
	assert_int_equal(config_parse_buffer("t.conf", "", CONFIG_FILE_MAX + 1,
	    c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.conf: larger than 1048576 bytes");
	config_free(c);
}

static void
config_parse_buffer_control_bytes_masked(void **state)
{
	expect_error("[daemon]\n\x1b[31mtcti\x7f = a\n",
	    "t.conf:2: unknown key \"?[31mtcti?\" in [daemon]");
}

static void
config_parse_buffer_small_err_buffer(void **state)
{
	struct config *c = config_new_defaults();
	char err[8];

	assert_int_equal(config_parse_buffer("t.conf", "x", 1, c, err,
	    sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.conf:");
	assert_int_equal(config_parse_buffer("t.conf", "x", 1, c, NULL, 0),
	    -EINVAL);
	config_free(c);
}

static void
config_parse_buffer_builtin_profile(void **state)
{
	expect_error("[profile \"attest\"]\nallow = Sign\n", "t.conf:1: "
	    "profile \"attest\" is built in and cannot be redefined");
	expect_error("\n[profile \"full\"]\n", "t.conf:2: "
	    "profile \"full\" is built in and cannot be redefined");
	expect_error("[profile \"crypto\"]\n", "t.conf:1: "
	    "profile \"crypto\" is built in and cannot be redefined");
	expect_error("[profile \"readonly\"]\n", "t.conf:1: "
	    "profile \"readonly\" is built in and cannot be redefined");
}

static void
config_parse_buffer_redefined_in_other_file(void **state)
{
	struct config *c = config_new_defaults();
	static const char a[] = "[socket \"s\"]\npath = /a\n[profile \"p\"]\n";
	static const char b[] = "\n[profile \"p\"]\n";
	static const char d[] = "[socket \"s\"]\npath = /b\n";
	char err[ERRLEN];

	assert_int_equal(config_parse_buffer("a.conf", a, strlen(a), c, err,
	    sizeof(err)), 0);
	assert_int_equal(config_parse_buffer("b.conf", b, strlen(b), c, err,
	    sizeof(err)), -EINVAL);
	assert_string_equal(err, "b.conf:2: profile \"p\" is already defined "
	    "at a.conf:3");
	assert_int_equal(config_parse_buffer("d.conf", d, strlen(d), c, err,
	    sizeof(err)), -EINVAL);
	assert_string_equal(err, "d.conf:1: socket \"s\" is already defined "
	    "at a.conf:1");
	config_free(c);
}

static void
config_check_unknown_profile(void **state)
{
	expect_error("[socket \"a\"]\npath = /a\n\nprofile = atest\n",
	    "t.conf:4: socket \"a\": unknown profile \"atest\"");
	expect_error("[socket \"a\"]\npath = /a\nprofile = bad name\n",
	    "t.conf:3: profile: name \"bad name\" may only use letters, "
	    "digits, '.', '_' and '-'");
}

static void
config_check_profile_defined_later(void **state)
{
	struct config *c = parse_ok("[socket \"a\"]\npath = /a\nprofile = p\n"
	    "[profile \"p\"]\ninherit = q\n[profile \"q\"]\ninherit = crypto\n");

	assert_string_equal(c->sockets[0].profile, "p");
	assert_string_equal(config_find_profile(c, "p")->inherit, "q");
	/* Built-in names are not [profile]s. */
	assert_null(config_find_profile(c, "crypto"));
	assert_true(config_profile_is_builtin("crypto"));
	assert_false(config_profile_is_builtin("p"));
	assert_null(config_find_socket(c, "b"));
	config_free(c);
}

static void
config_check_unknown_inherit(void **state)
{
	expect_error("[profile \"p\"]\nallow = Sign\ninherit = nope\n",
	    "t.conf:3: profile \"p\": inherit names unknown profile \"nope\"");
}

static void
config_check_inherit_cycle(void **state)
{
	expect_error("[profile \"a\"]\ninherit = a\n",
	    "t.conf:2: profile \"a\": inherit cycle a -> a");
	expect_error("[profile \"c\"]\ninherit = a\n"
	    "[profile \"a\"]\ninherit = b\n"
	    "[profile \"b\"]\n\ninherit = a\n",
	    "t.conf:4: profile \"a\": inherit cycle a -> b -> a");
}

static void
config_check_duplicate_path(void **state)
{
	expect_error("[socket \"a\"]\npath = /run/x\n"
	    "[socket \"b\"]\npath = /run/x\n",
	    "t.conf:3: socket \"b\": path /run/x clashes with socket \"a\" at "
	    "t.conf:1");
	/* PATH.ctrl is the simulator control companion of PATH. */
	expect_error("[socket \"a\"]\npath = /run/x.ctrl\n"
	    "[socket \"b\"]\npath = /run/x\n",
	    "t.conf:3: socket \"b\": path /run/x clashes with socket \"a\" at "
	    "t.conf:1");
	expect_error("[daemon]\ncontrol-socket = /run/c\n"
	    "[socket \"a\"]\npath = /run/c\n",
	    "t.conf:3: socket \"a\": path /run/c clashes with control-socket "
	    "at t.conf:2");
}

/* A scratch directory for config_load() tests. */
struct tmpdir {
	char path[64];
};

/* Write text to dir/name. */
static void
write_file(const struct tmpdir *t, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", t->path, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Remove the scratch directory and what the tests put in it. */
static void
tmpdir_remove(struct tmpdir *t)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->path);
	assert_int_equal(system(cmd), 0);
}

/* Make the scratch directory with a conf.d inside. */
static void
tmpdir_make(struct tmpdir *t)
{
	char path[128];

	snprintf(t->path, sizeof(t->path), "/tmp/test-config.XXXXXX");
	assert_non_null(mkdtemp(t->path));
	snprintf(path, sizeof(path), "%s/conf.d", t->path);
	assert_int_equal(mkdir(path, 0755), 0);
}

/* config_load() dir/tpmproxy.conf. */
static int
load(const struct tmpdir *t, struct config **c, char *err)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/tpmproxy.conf", t->path);
	return config_load(path, c, err, ERRLEN);
}

static void
config_load_conf_d_merge(void **state)
{
	struct tmpdir t;
	struct config *c;
	char err[ERRLEN];

	tmpdir_make(&t);
	write_file(&t, "tpmproxy.conf", "[daemon]\ntcti = mssim:\n"
	    "[socket \"main\"]\npath = /run/main.sock\nprofile = late\n");
	/* Read in byte order, whatever order the directory lists them. */
	write_file(&t, "conf.d/20-b.conf", "[socket \"b\"]\npath = /run/b\n"
	    "[daemon]\nmax-saved-contexts = 2\n");
	write_file(&t, "conf.d/10-a.conf", "[profile \"late\"]\ninherit = "
	    "attest\n[socket \"a\"]\npath = /run/a\n");
	/* More than a few, so a directory order that happens to be sorted
	 * cannot pass for sorting. */
	for (int i = 9; i >= 0; i--) {
		char name[32], text[64];

		snprintf(name, sizeof(name), "conf.d/3%d-c.conf", i);
		snprintf(text, sizeof(text), "[socket \"c%d\"]\npath = /run/c%d\n",
		    i, i);
		write_file(&t, name, text);
	}
	write_file(&t, "conf.d/.hidden.conf", "garbage\n");
	write_file(&t, "conf.d/README", "garbage\n");
	write_file(&t, "conf.d/x.conf.disabled", "garbage\n");
	assert_int_equal(load(&t, &c, err), 0);
	assert_non_null(c);
	assert_string_equal(c->tcti, "mssim:");
	assert_int_equal(c->nsockets, 13);
	assert_string_equal(c->sockets[0].name, "main");
	assert_string_equal(c->sockets[1].name, "a");
	assert_string_equal(c->sockets[2].name, "b");
	for (int i = 0; i < 10; i++) {
		char name[8];

		snprintf(name, sizeof(name), "c%d", i);
		assert_string_equal(c->sockets[3 + i].name, name);
	}
	assert_int_equal(c->sockets[2].max_saved_contexts, 2);
	assert_int_equal(c->nprofiles, 1);
	assert_string_equal(c->sockets[0].profile, "late");
	assert_non_null(strstr(c->sockets[1].file, "/conf.d/10-a.conf"));
	config_free(c);
	tmpdir_remove(&t);
}

static void
config_load_conf_d_duplicates(void **state)
{
	struct tmpdir t;
	struct config *c;
	char err[ERRLEN], want[ERRLEN];

	tmpdir_make(&t);
	write_file(&t, "tpmproxy.conf", "[socket \"s\"]\npath = /run/s\n");
	write_file(&t, "conf.d/a.conf", "\n\n[socket \"s\"]\npath = /run/t\n");
	assert_int_equal(load(&t, &c, err), -EINVAL);
	assert_null(c);
	snprintf(want, sizeof(want), "%s/conf.d/a.conf:3: socket \"s\" is "
	    "already defined at %s/tpmproxy.conf:1", t.path, t.path);
	assert_string_equal(err, want);

	write_file(&t, "conf.d/a.conf", "[socket \"t\"]\npath = /run/s\n");
	assert_int_equal(load(&t, &c, err), -EINVAL);
	snprintf(want, sizeof(want), "%s/conf.d/a.conf:1: socket \"t\": path "
	    "/run/s clashes with socket \"s\" at %s/tpmproxy.conf:1", t.path,
	    t.path);
	assert_string_equal(err, want);

	write_file(&t, "tpmproxy.conf", "[daemon]\ntcti = a\n");
	write_file(&t, "conf.d/a.conf", "[daemon]\ntcti = b\n");
	assert_int_equal(load(&t, &c, err), -EINVAL);
	snprintf(want, sizeof(want), "%s/conf.d/a.conf:2: tcti: already set "
	    "at %s/tpmproxy.conf:2", t.path, t.path);
	assert_string_equal(err, want);
	tmpdir_remove(&t);
}

static void
config_load_error_in_dropin(void **state)
{
	struct tmpdir t;
	struct config *c;
	char err[ERRLEN], want[ERRLEN];

	tmpdir_make(&t);
	write_file(&t, "tpmproxy.conf", "[socket \"s\"]\npath = /run/s\n"
	    "profile = p\n");
	write_file(&t, "conf.d/a.conf", "[profile \"p\"]\n# ok\nallow = Bogus\n");
	assert_int_equal(load(&t, &c, err), -EINVAL);
	snprintf(want, sizeof(want), "%s/conf.d/a.conf:3: allow: unknown "
	    "command \"Bogus\"", t.path);
	assert_string_equal(err, want);
	/* Cross-file checks run after every file: unknown profile is
	 * reported in the main file once conf.d is gone. */
	write_file(&t, "conf.d/a.conf", "# nothing\n");
	assert_int_equal(load(&t, &c, err), -EINVAL);
	snprintf(want, sizeof(want), "%s/tpmproxy.conf:3: socket \"s\": "
	    "unknown profile \"p\"", t.path);
	assert_string_equal(err, want);
	tmpdir_remove(&t);
}

static void
config_load_no_conf_d(void **state)
{
	struct tmpdir t;
	struct config *c;
	char err[ERRLEN], path[128];

	tmpdir_make(&t);
	snprintf(path, sizeof(path), "%s/conf.d", t.path);
	assert_int_equal(rmdir(path), 0);
	write_file(&t, "tpmproxy.conf", "[socket \"s\"]\npath = /run/s\n");
	assert_int_equal(load(&t, &c, err), 0);
	assert_int_equal(c->nsockets, 1);
	config_free(c);
	/* conf.d that is not a directory is an error, not ignored. */
	write_file(&t, "conf.d", "");
	assert_int_equal(load(&t, &c, err), -ENOTDIR);
	assert_non_null(strstr(err, "/conf.d: Not a directory"));
	tmpdir_remove(&t);
}

static void
config_load_missing_file(void **state)
{
	struct tmpdir t;
	struct config *c = (struct config *)&t;
	char err[ERRLEN], want[ERRLEN];

	tmpdir_make(&t);
	assert_int_equal(load(&t, &c, err), -ENOENT);
	assert_null(c);
	snprintf(want, sizeof(want), "%s/tpmproxy.conf: No such file or "
	    "directory", t.path);
	assert_string_equal(err, want);
	/* A directory named like a drop-in is not silently skipped. */
	write_file(&t, "tpmproxy.conf", "");
	snprintf(want, sizeof(want), "%s/conf.d/d.conf", t.path);
	assert_int_equal(mkdir(want, 0755), 0);
	assert_int_equal(load(&t, &c, err), -EINVAL);
	strcat(want, ": not a regular file");
	assert_string_equal(err, want);
	tmpdir_remove(&t);
}

static void
config_load_relative_path(void **state)
{
	struct tmpdir t;
	struct config *c;
	char err[ERRLEN], cwd[PATH_MAX];

	tmpdir_make(&t);
	write_file(&t, "tpmproxy.conf", "[socket \"s\"]\npath = /run/s\n");
	write_file(&t, "conf.d/a.conf", "[socket \"t\"]\npath = /run/t\n");
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(t.path), 0);
	assert_int_equal(config_load("tpmproxy.conf", &c, err, ERRLEN), 0);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(c->nsockets, 2);
	assert_string_equal(c->sockets[1].file, "conf.d/a.conf");
	config_free(c);
	tmpdir_remove(&t);
}

static void
config_load_example_file(void **state)
{
	const char *srcdir = getenv("top_srcdir");
	struct config *c;
	char err[ERRLEN], path[PATH_MAX];

	if (srcdir == NULL)
		skip();
	snprintf(path, sizeof(path), "%s/etc/tpmproxy.conf.example", srcdir);
	if (config_load(path, &c, err, ERRLEN) != 0)
		fail_msg("%s", err);
	assert_int_equal(c->nsockets, 2);
	assert_string_equal(config_find_socket(c, "signer")->profile, "signer");
	assert_non_null(config_find_profile(c, "signer"));
	config_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_parse_buffer_example),
		cmocka_unit_test(config_new_defaults_values),
		cmocka_unit_test(config_parse_buffer_socket_defaults),
		cmocka_unit_test(config_parse_buffer_daemon_keys),
		cmocka_unit_test(config_parse_buffer_daemon_bad_values),
		cmocka_unit_test(config_parse_buffer_comments),
		cmocka_unit_test(config_parse_buffer_unknown_section),
		cmocka_unit_test(config_parse_buffer_bad_header),
		cmocka_unit_test(config_parse_buffer_header_without_blank),
		cmocka_unit_test(config_parse_buffer_unknown_key),
		cmocka_unit_test(config_parse_buffer_missing_equals),
		cmocka_unit_test(config_parse_buffer_outside_section),
		cmocka_unit_test(config_parse_buffer_bad_number),
		cmocka_unit_test(config_parse_buffer_out_of_range),
		cmocka_unit_test(config_parse_buffer_limits_at_bounds),
		cmocka_unit_test(config_parse_buffer_durations),
		cmocka_unit_test(config_parse_buffer_rates),
		cmocka_unit_test(config_parse_buffer_mode),
		cmocka_unit_test(config_parse_buffer_owner),
		cmocka_unit_test(config_parse_buffer_allow_uids),
		cmocka_unit_test(config_parse_buffer_allow_uids_too_many),
		cmocka_unit_test(config_parse_buffer_command_names),
		cmocka_unit_test(config_parse_buffer_unknown_command),
		cmocka_unit_test(config_parse_buffer_duplicate_key),
		cmocka_unit_test(config_parse_buffer_same_key_two_sockets),
		cmocka_unit_test(config_parse_buffer_socket_without_path),
		cmocka_unit_test(config_parse_buffer_relative_path),
		cmocka_unit_test(config_parse_buffer_path_too_long),
		cmocka_unit_test(config_parse_buffer_long_line),
		cmocka_unit_test(config_parse_buffer_nul_byte),
		cmocka_unit_test(config_parse_buffer_too_large),
		cmocka_unit_test(config_parse_buffer_control_bytes_masked),
		cmocka_unit_test(config_parse_buffer_small_err_buffer),
		cmocka_unit_test(config_parse_buffer_builtin_profile),
		cmocka_unit_test(config_parse_buffer_redefined_in_other_file),
		cmocka_unit_test(config_check_unknown_profile),
		cmocka_unit_test(config_check_profile_defined_later),
		cmocka_unit_test(config_check_unknown_inherit),
		cmocka_unit_test(config_check_inherit_cycle),
		cmocka_unit_test(config_check_duplicate_path),
		cmocka_unit_test(config_load_conf_d_merge),
		cmocka_unit_test(config_load_conf_d_duplicates),
		cmocka_unit_test(config_load_error_in_dropin),
		cmocka_unit_test(config_load_no_conf_d),
		cmocka_unit_test(config_load_missing_file),
		cmocka_unit_test(config_load_relative_path),
		cmocka_unit_test(config_load_example_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

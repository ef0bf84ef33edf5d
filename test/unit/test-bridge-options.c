/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of tpmproxy-bridge's command line: src/bridge-addr.c (the
 * --listen address) and src/bridge-options.c, good and bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "bridge-addr.h"
#include "bridge-options.h"

/* Parse text; assert it is refused with a message containing want. */
static void
refused(const char *text, const char *want)
{
	struct bridge_addr a;
	char err[256] = "";

	if (bridge_addr_parse(text, &a, err, sizeof(err)) != -EINVAL)
		fail_msg("\"%s\" was accepted", text ? text : "(null)");
	if (strstr(err, want) == NULL)
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"",
		    text ? text : "(null)", err, want);
}

static void
bridge_addr_parse_ipv4(void **state)
{
	struct bridge_addr a;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a.ss;
	char err[256], text[BRIDGE_ADDR_TEXT_MAX];

	assert_int_equal(bridge_addr_parse("127.0.0.1:2321", &a, err,
	    sizeof(err)), 0);
	assert_int_equal(sin->sin_family, AF_INET);
	assert_int_equal(ntohs(sin->sin_port), 2321);
	assert_int_equal(ntohl(sin->sin_addr.s_addr), 0x7f000001);
	assert_int_equal(a.port, 2321);
	assert_int_equal(a.len, sizeof(struct sockaddr_in));
	assert_true(a.loopback);
	bridge_addr_format((const struct sockaddr *)&a.ss, text, sizeof(text));
	assert_string_equal(text, "127.0.0.1:2321");

	/* All of 127.0.0.0/8 is loopback; the ends of the port range. */
	assert_int_equal(bridge_addr_parse("127.255.0.9:1", &a, err,
	    sizeof(err)), 0);
	assert_true(a.loopback);
	assert_int_equal(a.port, 1);
	assert_int_equal(bridge_addr_parse("127.0.0.1:65534", &a, err,
	    sizeof(err)), 0);
	assert_int_equal(a.port, 65534);
	assert_int_equal(bridge_addr_parse("127.0.0.1:02321", &a, err,
	    sizeof(err)), 0);
	assert_int_equal(a.port, 2321);
}

static void
bridge_addr_parse_ipv6(void **state)
{
	struct bridge_addr a;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a.ss;
	char err[256], text[BRIDGE_ADDR_TEXT_MAX];

	assert_int_equal(bridge_addr_parse("[::1]:2321", &a, err,
	    sizeof(err)), 0);
	assert_int_equal(sin6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(sin6->sin6_port), 2321);
	assert_true(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));
	assert_int_equal(a.len, sizeof(struct sockaddr_in6));
	assert_true(a.loopback);
	bridge_addr_format((const struct sockaddr *)&a.ss, text, sizeof(text));
	assert_string_equal(text, "[::1]:2321");
	assert_int_equal(bridge_addr_parse("[0:0:0:0:0:0:0:1]:7", &a, err,
	    sizeof(err)), 0);
	assert_true(a.loopback);
}

static void
bridge_addr_parse_not_loopback(void **state)
{
	static const char *const others[] = {
		"0.0.0.0:2321", "10.0.0.1:2321", "128.0.0.1:2321",
		"126.255.255.255:2321", "255.255.255.255:2321", "[::]:2321",
		"[fe80::1]:2321", "[::2]:2321", "[::ffff:127.0.0.1]:2321",
	};
	struct bridge_addr a;
	char err[256];

	/* Parsed (--allow-non-loopback may use them), but not loopback. */
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		assert_int_equal(bridge_addr_parse(others[i], &a, err,
		    sizeof(err)), 0);
		if (a.loopback)
			fail_msg("%s taken for loopback", others[i]);
	}
}

static void
bridge_addr_parse_bad_port(void **state)
{
	refused("127.0.0.1:", "no port");
	refused("127.0.0.1:0", "port 0");
	refused("127.0.0.1:00000", "port 0");
	refused("127.0.0.1:65535", "no room for the control port");
	refused("127.0.0.1:65536", "out of range");
	refused("127.0.0.1:99999", "out of range");
	refused("127.0.0.1:123456", "out of range");
	refused("127.0.0.1:4294967297", "out of range");
	refused("127.0.0.1:-1", "not a decimal number");
	refused("127.0.0.1:+2321", "not a decimal number");
	refused("127.0.0.1: 2321", "not a decimal number");
	refused("127.0.0.1:2321 ", "not a decimal number");
	refused("127.0.0.1:0x10", "not a decimal number");
	refused("127.0.0.1:mssim", "not a decimal number");
	refused("[::1]:", "no port");
	refused("[::1]:abc", "not a decimal number");
	refused("[::1]:65535", "no room");
}

static void
bridge_addr_parse_bad_host(void **state)
{
	refused(NULL, "empty");
	refused("", "empty");
	refused(":2321", "no host");
	refused("[]:2321", "no host");
	refused("127.0.0.1", "no ':PORT'");
	refused("2321", "no ':PORT'");
	refused("localhost:2321", "not a numeric IPv4 address");
	refused("127.1:2321", "not a numeric IPv4 address");
	refused("127.0.0.256:2321", "not a numeric IPv4 address");
	refused(" 127.0.0.1:2321", "not a numeric IPv4 address");
	refused("127.0.0.1.:2321", "not a numeric IPv4 address");
	refused("::1:2321", "needs brackets");
	refused("::1", "needs brackets");
	refused("[::1]2321", "no ':PORT' after ']'");
	refused("[::1]", "no ':PORT' after ']'");
	refused("[::1:2321", "no ']'");
	refused("[127.0.0.1]:2321", "not a numeric IPv6 address");
	refused("[::1%lo]:2321", "not a numeric IPv6 address");
	refused("[::1]]:2321", "no ':PORT' after ']'");
	refused("[[::1]]:2321", "no ':PORT' after ']'");
	refused("tcp://127.0.0.1:2321", "more than one ':'");
}

static void
bridge_addr_parse_garbage(void **state)
{
	char big[300];

	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	refused(big, "longer than");
	refused("\x01\x02:\xff", "not a decimal number");
	refused("127.0.0.1:23\n21", "not a decimal number");
	refused("\xc3\xa9:1", "not a numeric IPv4 address");
	refused(":", "no host");
	refused("[", "no ']'");
	refused("]:1", "not a numeric IPv4 address");
}

/* A short error buffer truncates, and an empty one is never written. */
static void
bridge_addr_parse_small_error_buffer(void **state)
{
	struct bridge_addr a;
	char err[8];

	memset(err, 'x', sizeof(err));
	assert_int_equal(bridge_addr_parse("", &a, err, 0), -EINVAL);
	assert_int_equal(err[0], 'x');
	assert_int_equal(bridge_addr_parse("", &a, err, sizeof(err)),
	    -EINVAL);
	assert_int_equal(strlen(err), sizeof(err) - 1);
}

/* Parse an argv (NULL-terminated list); returns bridge_options_parse's
 * result. */
static int
parse(struct bridge_options *o, enum bridge_options_action *action,
    char *err, size_t errlen, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	argv[argc++] = "tpmproxy-bridge";
	va_start(ap, errlen);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	return bridge_options_parse(argc, argv, o, action, err, errlen);
}

#define PARSE(o, action, err, ...) \
	parse(o, action, err, sizeof(err), __VA_ARGS__, (char *)NULL)

/* argv refused with a message containing want. */
#define REFUSED(want, ...)                                                \
	do {                                                              \
		struct bridge_options o_;                                 \
		enum bridge_options_action a_;                            \
		char e_[512] = "";                                        \
		assert_int_equal(PARSE(&o_, &a_, e_, __VA_ARGS__),        \
		    -EINVAL);                                             \
		if (strstr(e_, want) == NULL)                             \
			fail_msg("message \"%s\" lacks \"%s\"", e_, want); \
	} while (0)

static void
bridge_options_parse_defaults(void **state)
{
	struct bridge_options o;
	enum bridge_options_action action;
	char err[512];

	assert_int_equal(parse(&o, &action, err, sizeof(err), (char *)NULL),
	    0);
	assert_int_equal(action, BRIDGE_OPTIONS_RUN);
	assert_int_equal(o.listen.port, 2321);
	assert_true(o.listen.loopback);
	assert_string_equal(o.socket_path, "/run/tpmproxy/tpm.sock");
	assert_string_equal(o.ctrl_path, "/run/tpmproxy/tpm.sock.ctrl");
	assert_int_equal(o.max_connections, BRIDGE_DEFAULT_MAX_CONNECTIONS);
	assert_false(o.allow_non_loopback);
	assert_int_equal(o.log_level, LOG_LEVEL_INFO);
}

static void
bridge_options_parse_all(void **state)
{
	struct bridge_options o;
	enum bridge_options_action action;
	char err[512];

	assert_int_equal(PARSE(&o, &action, err, "--listen", "[::1]:4000",
	    "--socket", "/tmp/a.sock", "--max-connections", "3",
	    "--log-level", "debug"), 0);
	assert_int_equal(action, BRIDGE_OPTIONS_RUN);
	assert_int_equal(o.listen.port, 4000);
	assert_int_equal(o.listen.ss.ss_family, AF_INET6);
	assert_string_equal(o.socket_path, "/tmp/a.sock");
	assert_string_equal(o.ctrl_path, "/tmp/a.sock.ctrl");
	assert_int_equal(o.max_connections, 3);
	assert_int_equal(o.log_level, LOG_LEVEL_DEBUG);

	/* Short options, --opt=value, an explicit control socket. */
	assert_int_equal(PARSE(&o, &action, err, "-l", "127.0.0.2:9",
	    "-s", "rel.sock", "--ctrl-socket=/c", "--max-connections=16384"),
	    0);
	assert_int_equal(o.listen.port, 9);
	assert_string_equal(o.socket_path, "rel.sock");
	assert_string_equal(o.ctrl_path, "/c");
	assert_int_equal(o.max_connections, 16384);

	/* Refused without the flag, taken with it. */
	assert_int_equal(PARSE(&o, &action, err, "--listen", "0.0.0.0:2321",
	    "--allow-non-loopback"), 0);
	assert_false(o.listen.loopback);
	assert_true(o.allow_non_loopback);
}

static void
bridge_options_parse_help_version(void **state)
{
	struct bridge_options o;
	enum bridge_options_action action;
	char err[512];

	assert_int_equal(PARSE(&o, &action, err, "--help"), 0);
	assert_int_equal(action, BRIDGE_OPTIONS_HELP);
	assert_int_equal(PARSE(&o, &action, err, "-V"), 0);
	assert_int_equal(action, BRIDGE_OPTIONS_VERSION);
	/* Help wins over a bad option before it is reached. */
	assert_int_equal(PARSE(&o, &action, err, "-h", "--bogus"), 0);
	assert_int_equal(action, BRIDGE_OPTIONS_HELP);
}

static void
bridge_options_parse_bad_listen(void **state)
{
	REFUSED("not a loopback address", "--listen", "0.0.0.0:2321");
	REFUSED("not a loopback address", "--listen", "[::]:2321");
	REFUSED("not a loopback address", "--listen", "192.168.1.4:2321");
	REFUSED("--allow-non-loopback", "--listen", "10.1.1.1:2321");
	REFUSED("empty address", "--listen", "");
	REFUSED("no ':PORT'", "--listen", "127.0.0.1");
	REFUSED("port 0", "--listen", "127.0.0.1:0");
	REFUSED("no room for the control port", "--listen", "127.0.0.1:65535");
	REFUSED("out of range", "--listen", "127.0.0.1:65536");
	REFUSED("needs brackets", "--listen", "::1:2321");
	/* A bad address is refused even with the flag. */
	REFUSED("not a decimal number", "--allow-non-loopback", "--listen",
	    "0.0.0.0:x");
}

static void
bridge_options_parse_bad_paths(void **state)
{
	char longest[BRIDGE_PATH_MAX], too_long[BRIDGE_PATH_MAX + 1];
	struct bridge_options o;
	enum bridge_options_action action;
	char err[512];

	REFUSED("--socket: empty path", "--socket", "");
	REFUSED("--ctrl-socket: empty path", "--ctrl-socket", "");
	/* 107 bytes fit sun_path, but SOCKET.ctrl does not. */
	memset(longest, 'a', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	REFUSED("longer than a unix socket path", "--socket", longest);
	assert_int_equal(PARSE(&o, &action, err, "--socket", longest,
	    "--ctrl-socket", "/c"), 0);
	assert_string_equal(o.socket_path, longest);
	memset(too_long, 'a', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';
	REFUSED("longer than a unix socket path", "--socket", too_long,
	    "--ctrl-socket", "/c");
	REFUSED("longer than a unix socket path", "--ctrl-socket", too_long);
	longest[sizeof(longest) - 6] = '\0';  /* + ".ctrl" = 107: fits */
	assert_int_equal(PARSE(&o, &action, err, "--socket", longest), 0);
	assert_int_equal(strlen(o.ctrl_path), BRIDGE_PATH_MAX - 1);
}

static void
bridge_options_parse_bad_values(void **state)
{
	REFUSED("not a number from 1 to 16384", "--max-connections", "0");
	REFUSED("not a number from 1 to 16384", "--max-connections", "16385");
	REFUSED("not a number from 1 to 16384", "--max-connections", "-1");
	REFUSED("not a number from 1 to 16384", "--max-connections", "");
	REFUSED("not a number from 1 to 16384", "--max-connections", "1e3");
	REFUSED("not a number from 1 to 16384", "--max-connections",
	    "99999999999999999999");
	REFUSED("not a number from 1 to 16384", "--max-connections", " 5");
	REFUSED("--log-level", "--log-level", "loud");
	REFUSED("unknown option --bogus", "--bogus");
	REFUSED("unknown option -x", "-x");
	REFUSED("--listen needs a value", "--listen");
	REFUSED("-s needs a value", "-s");
	REFUSED("unexpected argument \"extra\"", "--socket", "/a", "extra");
	REFUSED("--allow-non-loopback", "--allow-non-loopback=yes");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bridge_addr_parse_ipv4),
		cmocka_unit_test(bridge_addr_parse_ipv6),
		cmocka_unit_test(bridge_addr_parse_not_loopback),
		cmocka_unit_test(bridge_addr_parse_bad_port),
		cmocka_unit_test(bridge_addr_parse_bad_host),
		cmocka_unit_test(bridge_addr_parse_garbage),
		cmocka_unit_test(bridge_addr_parse_small_error_buffer),
		cmocka_unit_test(bridge_options_parse_defaults),
		cmocka_unit_test(bridge_options_parse_all),
		cmocka_unit_test(bridge_options_parse_help_version),
		cmocka_unit_test(bridge_options_parse_bad_listen),
		cmocka_unit_test(bridge_options_parse_bad_paths),
		cmocka_unit_test(bridge_options_parse_bad_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

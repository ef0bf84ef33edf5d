/* SPDX-License-Identifier: BSD-2-Clause */
/* tpmproxy-bridge's --listen address. Numeric only (no resolver, so the
 * address bound is exactly the one written): 127.0.0.1:2321 or
 * [::1]:2321. PORT is the data port and PORT + 1 the control port, as
 * tcti-mssim and tcti-swtpm expect of a TCP server, so PORT runs from 1
 * to 65534. Whether a non-loopback address may be used is the caller's
 * decision; this only tells which it is. */
#include "bridge-addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Longer than any valid address: refuse before copying. */
#define BRIDGE_ADDR_INPUT_MAX 64

/* Write a message to err; always -EINVAL. For the options too. */
int
bridge_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* PORT: 1 to 5 decimal digits, nothing else, 1 to 65534. */
static int
bridge_addr_port(const char *s, uint16_t *port, char *err, size_t errlen)
{
	unsigned long v = 0;
	size_t n;

	if (*s == '\0')
		return bridge_error(err, errlen, "no port after ':'");
	for (n = 0; s[n] != '\0'; n++) {
		if (s[n] < '0' || s[n] > '9')
			return bridge_error(err, errlen,
			    "port \"%s\" is not a decimal number", s);
		if (n == 5)
			return bridge_error(err, errlen,
			    "port %s is out of range (1-65534)", s);
		v = v * 10 + (unsigned long)(s[n] - '0');
	}
	if (v == 0)
		return bridge_error(err, errlen,
		    "port 0 is not allowed: clients need a fixed port N "
		    "and N + 1");
	if (v == 65535)
		return bridge_error(err, errlen,
		    "port 65535 leaves no room for the control port N + 1");
	if (v > 65535)
		return bridge_error(err, errlen,
		    "port %s is out of range (1-65534)", s);
	*port = (uint16_t)v;
	return 0;
}

/* Split text into host and port strings (copied into buf); bracketed
 * says whether the host was written as [IPV6]. */
static int
bridge_addr_split(const char *text, char *buf, const char **host,
    const char **port, bool *bracketed, char *err, size_t errlen)
{
	char *colon, *close;

	memcpy(buf, text, strlen(text) + 1);
	/* Set on every path: the caller reads them only on success, but
	 * the compiler cannot tell. */
	*host = buf;
	*port = buf;
	*bracketed = buf[0] == '[';
	if (*bracketed) {
		close = strchr(buf, ']');
		if (close == NULL)
			return bridge_error(err, errlen,
			    "no ']' after the IPv6 address");
		if (close[1] != ':')
			return bridge_error(err, errlen,
			    "no ':PORT' after ']'");
		*close = '\0';
		*host = buf + 1;
		*port = close + 2;
		return 0;
	}
	colon = strrchr(buf, ':');
	if (colon == NULL)
		return bridge_error(err, errlen,
		    "no ':PORT' (want HOST:PORT, e.g. 127.0.0.1:2321)");
	if (memchr(buf, ':', (size_t)(colon - buf)) != NULL)
		return bridge_error(err, errlen,
		    "more than one ':' (an IPv6 address needs brackets: "
		    "[::1]:PORT)");
	*colon = '\0';
	*host = buf;
	*port = colon + 1;
	return 0;
}

/* Parse --listen's value into out; -EINVAL with a message in err. */
int
bridge_addr_parse(const char *text, struct bridge_addr *out, char *err,
    size_t errlen)
{
	char buf[BRIDGE_ADDR_INPUT_MAX + 1];
	const char *host, *port_text;
	struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;
	bool bracketed;
	uint16_t port = 0;
	int r;

	if (text == NULL || *text == '\0')
		return bridge_error(err, errlen,
		    "empty address (want HOST:PORT, e.g. 127.0.0.1:2321)");
	if (strlen(text) > BRIDGE_ADDR_INPUT_MAX)
		return bridge_error(err, errlen, "longer than %d bytes",
		    BRIDGE_ADDR_INPUT_MAX);
	r = bridge_addr_split(text, buf, &host, &port_text, &bracketed, err,
	    errlen);
	if (r != 0)
		return r;
	if (*host == '\0')
		return bridge_error(err, errlen,
		    "no host before the port (e.g. 127.0.0.1:2321)");
	r = bridge_addr_port(port_text, &port, err, errlen);
	if (r != 0)
		return r;
	memset(out, 0, sizeof(*out));
	if (bracketed) {
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return bridge_error(err, errlen,
			    "\"%s\" is not a numeric IPv6 address", host);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		out->len = sizeof(*sin6);
		out->loopback = IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
	} else {
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return bridge_error(err, errlen,
			    "\"%s\" is not a numeric IPv4 address "
			    "(e.g. 127.0.0.1)", host);
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		out->len = sizeof(*sin);
		out->loopback = (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	out->port = port;
	return 0;
}

/* The same address with another port (the control port). */
void
bridge_addr_with_port(const struct bridge_addr *a, uint16_t port,
    struct sockaddr_storage *ss, socklen_t *len)
{
	*ss = a->ss;
	*len = a->len;
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

/* "127.0.0.1:2321" or "[::1]:2321", for log lines and messages. */
void
bridge_addr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 =
		    (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host,
		    (unsigned)ntohs(sin6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host,
		    (unsigned)ntohs(sin->sin_port));
	} else {
		snprintf(buf, len, "(address family %d)", sa->sa_family);
	}
}

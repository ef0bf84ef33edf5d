/* SPDX-License-Identifier: BSD-2-Clause */
/* tpmproxy-bridge's --listen address: HOST:PORT or [IPV6]:PORT, numeric,
 * where PORT and PORT + 1 are the data and control ports. */
#ifndef TPMPROXY_BRIDGE_ADDR_H
#define TPMPROXY_BRIDGE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Longest text bridge_addr_format() writes, with its NUL:
 * "[" + 45 (INET6_ADDRSTRLEN - 1) + "]:" + 5 + NUL. */
#define BRIDGE_ADDR_TEXT_MAX 56

struct bridge_addr {
	struct sockaddr_storage ss; /* the address with the data port */
	socklen_t len;
	uint16_t port;              /* data port; control port is port + 1 */
	bool loopback;              /* 127.0.0.0/8 or ::1 */
};

int bridge_addr_parse(const char *text, struct bridge_addr *out, char *err,
    size_t errlen);
void bridge_addr_with_port(const struct bridge_addr *a, uint16_t port,
    struct sockaddr_storage *ss, socklen_t *len);
void bridge_addr_format(const struct sockaddr *sa, char *buf, size_t len);
int bridge_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* One relayed connection of tpmproxy-bridge: bytes copied both ways
 * between two sockets, unchanged, with bounded buffers. */
#ifndef TPMPROXY_BRIDGE_RELAY_H
#define TPMPROXY_BRIDGE_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

struct bridge_relay;

/* Called once, from the loop, when both directions have ended (err 0)
 * or one side failed (err: its errno); the owner then frees the relay. */
typedef void (*bridge_relay_done_cb)(struct bridge_relay *r, int err,
    void *arg);

int bridge_relay_new(struct event_base *base, int client_fd, int server_fd,
    size_t bound, bridge_relay_done_cb done, void *arg,
    struct bridge_relay **out);
void bridge_relay_free(struct bridge_relay *r);
size_t bridge_relay_buffered(const struct bridge_relay *r);
void bridge_relay_counts(const struct bridge_relay *r, uint64_t *to_server,
    uint64_t *to_client);

#endif

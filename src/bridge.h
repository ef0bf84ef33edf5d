/* SPDX-License-Identifier: BSD-2-Clause */
/* tpmproxy-bridge: the data and control listeners and their relays. */
#ifndef TPMPROXY_BRIDGE_H
#define TPMPROXY_BRIDGE_H

#include <stddef.h>

#include <event2/event.h>

#include "bridge-options.h"

/* Bytes buffered per direction of a relay before the sender is paused:
 * far more than a TPM command or response (TPM2 Part 2, MAX_COMMAND_SIZE
 * is 4096 on common TPMs), so only a peer that stops reading meets it. */
#define BRIDGE_RELAY_BOUND (64 * 1024)

struct bridge;

int bridge_new(struct event_base *base, const struct bridge_options *o,
    struct bridge **out, char *err, size_t errlen);
void bridge_free(struct bridge *b);
unsigned bridge_connections(const struct bridge *b);

#endif

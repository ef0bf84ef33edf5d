/* SPDX-License-Identifier: BSD-2-Clause */
/* Out of descriptors on a listener: pause instead of spinning. */
#ifndef TPMPROXY_ACCEPTGUARD_H
#define TPMPROXY_ACCEPTGUARD_H

#include <stdbool.h>

#include <event2/event.h>
#include <event2/listener.h>

struct accept_guard;

bool accept_error_is_exhaustion(int err);
int accept_guard_new(struct event_base *base, struct evconnlistener *evl,
    const char *what, struct accept_guard **out);
void accept_guard_free(struct accept_guard *g);

#endif

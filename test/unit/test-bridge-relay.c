/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of src/bridge-relay.c on real socket pairs and a real event
 * loop: bytes unchanged both ways, half-close passed on, both sides closed
 * together, a failing side ending the relay, and bounded buffers when one
 * side stops reading. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "bridge-relay.h"

/* Loop turns before a wait is taken for a hang (each turn does all that
 * is ready; socket pairs are ready at once). */
#define PUMP_TURNS 100000
#define BOUND 4096

struct fixture {
	struct event_base *base;
	struct bridge_relay *relay;
	int client;      /* the TCP client's end */
	int server;      /* the daemon's end */
	int done;        /* times the done callback ran */
	int err;
};

static void
done_cb(struct bridge_relay *r, int err, void *arg)
{
	struct fixture *f = arg;

	f->done++;
	f->err = err;
	bridge_relay_free(r);
	f->relay = NULL;
}

static void
nonblocking(int fd)
{
	assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK),
	    0);
}

static int
setup(void **state)
{
	static struct fixture f;
	int c[2], s[2];

	memset(&f, 0, sizeof(f));
	signal(SIGPIPE, SIG_IGN);
	f.base = event_base_new();
	assert_non_null(f.base);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, c), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
	for (int i = 0; i < 2; i++) {
		nonblocking(c[i]);
		nonblocking(s[i]);
	}
	f.client = c[0];
	f.server = s[1];
	assert_int_equal(bridge_relay_new(f.base, c[1], s[0], BOUND, done_cb,
	    &f, &f.relay), 0);
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	bridge_relay_free(f->relay);
	if (f->client >= 0)
		close(f->client);
	if (f->server >= 0)
		close(f->server);
	event_base_free(f->base);
	return 0;
}

/* Run the loop a turn at a time until done says so; false on a hang. */
static bool
pump_until(struct fixture *f, bool (*done)(struct fixture *))
{
	for (int i = 0; i < PUMP_TURNS; i++) {
		if (done(f))
			return true;
		event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	}
	return done(f);
}

static bool
relay_done(struct fixture *f)
{
	return f->done > 0;
}

/* Read exactly n bytes from fd into buf, running the loop meanwhile. */
static void
read_all(struct fixture *f, int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;

	for (int i = 0; i < PUMP_TURNS && got < n; i++) {
		ssize_t r = read(fd, buf + got, n - got);

		if (r > 0)
			got += (size_t)r;
		else if (r == 0)
			fail_msg("EOF after %zu of %zu bytes", got, n);
		else if (errno != EAGAIN)
			fail_msg("read: %s", strerror(errno));
		event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	}
	assert_int_equal(got, n);
}

/* Whether fd reads EOF (0), running the loop until it does or data or
 * an error comes; -1 on a hang. */
static int
read_eof(struct fixture *f, int fd)
{
	uint8_t byte;

	for (int i = 0; i < PUMP_TURNS; i++) {
		ssize_t r = read(fd, &byte, 1);

		if (r == 0)
			return 1;
		if (r > 0 || errno != EAGAIN)
			return 0;
		event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	}
	return -1;
}

static void
write_all(int fd, const uint8_t *buf, size_t n)
{
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
}

static void
bridge_relay_new_copies_both_ways(void **state)
{
	struct fixture *f = *state;
	uint8_t cmd[256], rsp[256], got[256];
	uint64_t up, down;

	for (int i = 0; i < 256; i++) {
		cmd[i] = (uint8_t)i;
		rsp[i] = (uint8_t)(255 - i);
	}
	write_all(f->client, cmd, sizeof(cmd));
	read_all(f, f->server, got, sizeof(got));
	assert_memory_equal(got, cmd, sizeof(cmd));
	write_all(f->server, rsp, sizeof(rsp));
	read_all(f, f->client, got, sizeof(got));
	assert_memory_equal(got, rsp, sizeof(rsp));
	bridge_relay_counts(f->relay, &up, &down);
	assert_int_equal(up, 256);
	assert_int_equal(down, 256);
	assert_int_equal(bridge_relay_buffered(f->relay), 0);
	assert_int_equal(f->done, 0);
}

/* A client that sends, shuts down its sending side and then reads: the
 * daemon sees EOF after the command, and its answer still arrives. */
static void
bridge_relay_half_close_by_client(void **state)
{
	struct fixture *f = *state;
	uint8_t cmd[12] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 1, 0x7b, 0, 8 };
	uint8_t rsp[20] = { 0x80, 0x01, 0, 0, 0, 20 };
	uint8_t got[20];

	write_all(f->client, cmd, sizeof(cmd));
	assert_int_equal(shutdown(f->client, SHUT_WR), 0);
	read_all(f, f->server, got, sizeof(cmd));
	assert_memory_equal(got, cmd, sizeof(cmd));
	assert_int_equal(read_eof(f, f->server), 1);
	assert_int_equal(f->done, 0);
	write_all(f->server, rsp, sizeof(rsp));
	read_all(f, f->client, got, sizeof(rsp));
	assert_memory_equal(got, rsp, sizeof(rsp));
	/* The daemon closes: the client sees EOF, the relay ends cleanly. */
	close(f->server);
	f->server = -1;
	assert_int_equal(read_eof(f, f->client), 1);
	assert_true(pump_until(f, relay_done));
	assert_int_equal(f->done, 1);
	assert_int_equal(f->err, 0);
}

/* The daemon closes first (a policy refusal, a restart): the client sees
 * EOF after the last bytes; the relay ends when the client closes too. */
static void
bridge_relay_close_by_server(void **state)
{
	struct fixture *f = *state;
	uint8_t rsp[10] = { 0x80, 0x01, 0, 0, 0, 10, 0, 0, 1, 1 };
	uint8_t got[10];

	write_all(f->server, rsp, sizeof(rsp));
	close(f->server);
	f->server = -1;
	read_all(f, f->client, got, sizeof(got));
	assert_memory_equal(got, rsp, sizeof(rsp));
	assert_int_equal(read_eof(f, f->client), 1);
	close(f->client);
	f->client = -1;
	assert_true(pump_until(f, relay_done));
	assert_int_equal(f->done, 1);
	assert_int_equal(f->err, 0);
}

/* The client closes: the daemon sees EOF, closes, and both are gone. */
static void
bridge_relay_close_by_client(void **state)
{
	struct fixture *f = *state;

	close(f->client);
	f->client = -1;
	assert_int_equal(read_eof(f, f->server), 1);
	assert_int_equal(f->done, 0);
	close(f->server);
	f->server = -1;
	assert_true(pump_until(f, relay_done));
	assert_int_equal(f->err, 0);
}

/* Writing to a daemon that has gone away ends the relay at once, with
 * the error, and the client's connection is closed. */
static void
bridge_relay_server_gone_while_writing(void **state)
{
	struct fixture *f = *state;
	uint8_t cmd[64] = { 0 };

	close(f->server);
	f->server = -1;
	/* The relay passes the EOF on; a client that writes anyway... */
	assert_int_equal(read_eof(f, f->client), 1);
	write_all(f->client, cmd, sizeof(cmd));
	/* ...makes the relay write to a closed socket: EPIPE. */
	assert_true(pump_until(f, relay_done));
	assert_int_equal(f->err, EPIPE);
	assert_int_equal(write(f->client, cmd, sizeof(cmd)), -1);
	assert_int_equal(errno, EPIPE);
}

/* A daemon that does not read: the client's writes stop being taken
 * while the relay holds at most about its bound; once the daemon reads,
 * every byte arrives in order. */
static void
bridge_relay_backpressure(void **state)
{
	struct fixture *f = *state;
	/* Far beyond the kernel's buffers of both pairs: reaching it means
	 * the relay kept reading. */
	const size_t budget = 64u << 20;
	size_t written = 0, most = 0, received = 0;
	uint8_t buf[4096];
	int idle = 0;

	while (written < budget && idle < 1000) {
		ssize_t n;

		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)((written + i) % 251);
		n = write(f->client, buf, sizeof(buf));
		if (n > 0) {
			written += (size_t)n;
			idle = 0;
		} else {
			assert_int_equal(errno, EAGAIN);
			idle++;
		}
		event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		if (bridge_relay_buffered(f->relay) > most)
			most = bridge_relay_buffered(f->relay);
	}
	if (written >= budget)
		fail_msg("the relay took %zu bytes the daemon never read",
		    written);
	/* Half the bound can be waiting while the other half is read in. */
	if (most > 2 * BOUND)
		fail_msg("the relay buffered %zu bytes (bound %d)", most, BOUND);
	for (int i = 0; i < PUMP_TURNS && received < written; i++) {
		ssize_t n = read(f->server, buf, sizeof(buf));

		if (n > 0) {
			for (ssize_t j = 0; j < n; j++)
				if (buf[j] != (uint8_t)((received + (size_t)j) %
				    251))
					fail_msg("byte %zu changed",
					    received + (size_t)j);
			received += (size_t)n;
		}
		event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	}
	assert_int_equal(received, written);
	assert_int_equal(bridge_relay_buffered(f->relay), 0);
	print_message("%zu bytes held back by a daemon that did not read; "
	    "relay buffered at most %zu\n", written, most);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    bridge_relay_new_copies_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    bridge_relay_half_close_by_client, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    bridge_relay_close_by_server, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    bridge_relay_close_by_client, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    bridge_relay_server_gone_while_writing, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    bridge_relay_backpressure, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

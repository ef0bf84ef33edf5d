/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for tcti-proxy.c: scripted socket calls, then a real socket. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tcti-proxy.h"
#include "tss2_tcti_proxy.h"

/*
 * The socket calls of tcti-proxy.c are linked with -Wl,--wrap. While a test
 * arms the wraps they take their results from cmocka's will_return() queue
 * and a fake peer; otherwise they pass through to the real calls, so the
 * real-socket tests below need no special casing.
 */
int	__real_socket(int, int, int);
int	__real_connect(int, const struct sockaddr *, socklen_t);
ssize_t	__real_send(int, const void *, size_t, int);
ssize_t	__real_recv(int, void *, size_t, int);
int	__real_poll(struct pollfd *, nfds_t, int);
int	__real_close(int);
int	__wrap_socket(int, int, int);
int	__wrap_connect(int, const struct sockaddr *, socklen_t);
ssize_t	__wrap_send(int, const void *, size_t, int);
ssize_t	__wrap_recv(int, void *, size_t, int);
int	__wrap_poll(struct pollfd *, nfds_t, int);
int	__wrap_close(int);

#define FAKE_FD 4242
#define SEND_ALL 100000

/* What the wrapped calls saw and what the fake peer has to say. */
static struct {
	bool armed;
	char connect_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int connects;
	uint8_t sent[8192];
	size_t nsent;
	int send_flags;
	int closes;
	int poll_timeout;
	int poll_events;
	const uint8_t *peer;
	size_t peer_len;
	size_t peer_off;
} fake;

/* TPM2_GetRandom(8), and its 20-byte answer. */
static const uint8_t cmd_getrandom[] = {
	0x80, 0x01, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x01, 0x7b, 0x00, 0x08,
};
static const uint8_t rsp_getrandom[] = {
	0x80, 0x01, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x08, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
};
/* A header-only response: TPM_RC_INITIALIZE. */
static const uint8_t rsp_header_only[] = {
	0x80, 0x01, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x00,
};

/* A scripted result: a value >= 0 is returned, a negative one is -errno. */
static long
wrap_result(long v)
{
	if (v < 0) {
		errno = (int)-v;
		return -1;
	}
	return v;
}

/* socket(): scripted fd or -errno. */
int
__wrap_socket(int domain, int type, int protocol)
{
	if (!fake.armed)
		return __real_socket(domain, type, protocol);
	assert_int_equal(domain, AF_UNIX);
	assert_true((type & SOCK_STREAM) == SOCK_STREAM);
	return (int)wrap_result(mock_type(long));
}

/* connect(): records the path, scripted 0 or -errno. */
int
__wrap_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;

	if (!fake.armed)
		return __real_connect(fd, sa, len);
	assert_int_equal(sun->sun_family, AF_UNIX);
	memcpy(fake.connect_path, sun->sun_path, sizeof fake.connect_path);
	fake.connects++;
	return (int)wrap_result(mock_type(long));
}

/* send(): accepts up to the scripted byte count, or fails with -errno. */
ssize_t
__wrap_send(int fd, const void *buf, size_t len, int flags)
{
	long v;
	size_t n;

	if (!fake.armed)
		return __real_send(fd, buf, len, flags);
	assert_int_equal(fd, FAKE_FD);
	fake.send_flags = flags;
	v = mock_type(long);
	if (v < 0)
		return wrap_result(v);
	n = (size_t)v < len ? (size_t)v : len;
	assert_true(fake.nsent + n <= sizeof fake.sent);
	memcpy(fake.sent + fake.nsent, buf, n);
	fake.nsent += n;
	return (ssize_t)n;
}

/* recv(): up to the scripted chunk from the fake peer, 0 for EOF, or -errno. */
ssize_t
__wrap_recv(int fd, void *buf, size_t len, int flags)
{
	long v;
	size_t n;

	if (!fake.armed)
		return __real_recv(fd, buf, len, flags);
	assert_int_equal(fd, FAKE_FD);
	v = mock_type(long);
	if (v <= 0)
		return wrap_result(v);
	n = fake.peer_len - fake.peer_off;
	if ((size_t)v < n)
		n = (size_t)v;
	if (len < n)
		n = len;
	memcpy(buf, fake.peer + fake.peer_off, n);
	fake.peer_off += n;
	return (ssize_t)n;
}

/* poll(): scripted ready count (then POLLIN), 0 for timeout, or -errno. */
int
__wrap_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	long v;

	if (!fake.armed)
		return __real_poll(fds, nfds, timeout);
	assert_int_equal(nfds, 1);
	assert_int_equal(fds[0].fd, FAKE_FD);
	fake.poll_timeout = timeout;
	fake.poll_events = fds[0].events;
	v = mock_type(long);
	if (v > 0)
		fds[0].revents = POLLIN;
	return (int)wrap_result(v);
}

/* close(): counts closes of the fake fd. */
int
__wrap_close(int fd)
{
	if (!fake.armed || fd != FAKE_FD)
		return __real_close(fd);
	fake.closes++;
	return 0;
}

/* Script one poll that finds data and one recv of up to chunk bytes. */
static void
expect_read(long chunk)
{
	will_return(__wrap_poll, 1);
	will_return(__wrap_recv, chunk);
}

/* Give the fake peer a response to send. */
static void
peer_set(const uint8_t *data, size_t len)
{
	fake.peer = data;
	fake.peer_len = len;
	fake.peer_off = 0;
}

/* Arm the wraps and return a context connected to the fake peer. */
static int
setup_ctx(void **state)
{
	TSS2_TCTI_CONTEXT *tcti;
	size_t size = 0;

	memset(&fake, 0, sizeof fake);
	fake.armed = true;
	assert_int_equal(Tss2_Tcti_Proxy_Init(NULL, &size, NULL),
	    TSS2_RC_SUCCESS);
	tcti = calloc(1, size);
	assert_non_null(tcti);
	will_return(__wrap_socket, FAKE_FD);
	will_return(__wrap_connect, 0);
	assert_int_equal(Tss2_Tcti_Proxy_Init(tcti, &size, "/tmp/t.sock"),
	    TSS2_RC_SUCCESS);
	*state = tcti;
	return 0;
}

/* Finalize and free the context, then disarm the wraps. */
static int
teardown_ctx(void **state)
{
	Tss2_Tcti_Finalize((TSS2_TCTI_CONTEXT *)*state);
	free(*state);
	fake.armed = false;
	return 0;
}

/* Arm the wraps for tests that build their own context. */
static int
setup_armed(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof fake);
	fake.armed = true;
	return 0;
}

/* Disarm the wraps. */
static int
teardown_armed(void **state)
{
	(void)state;
	fake.armed = false;
	return 0;
}

/* The context as the TCTI sees it. */
static struct tcti_proxy_context *
proxy(void **state)
{
	return (struct tcti_proxy_context *)*state;
}

/* Send GetRandom successfully, leaving the context in RECEIVE. */
static void
transmit_ok(void **state)
{
	will_return(__wrap_send, SEND_ALL);
	assert_int_equal(Tss2_Tcti_Transmit((TSS2_TCTI_CONTEXT *)*state,
	    sizeof cmd_getrandom, cmd_getrandom), TSS2_RC_SUCCESS);
}

/* A context whose magic is wrong, e.g. another TCTI's. */
static void
ctx_spoil_magic(void **state, uint64_t *saved)
{
	*saved = TSS2_TCTI_MAGIC(*state);
	TSS2_TCTI_MAGIC(*state) = 0x1234;
}

/* ---- Init and Info ---- */

/* ctx == NULL reports the context size. */
static void
tcti_proxy_init_size_query(void **state)
{
	size_t size = 0;

	(void)state;
	assert_int_equal(Tss2_Tcti_Proxy_Init(NULL, &size, "/x"),
	    TSS2_RC_SUCCESS);
	assert_int_equal(size, sizeof(struct tcti_proxy_context));
}

/* Neither a context nor a size pointer is BAD_VALUE. */
static void
tcti_proxy_init_null_both(void **state)
{
	(void)state;
	assert_int_equal(Tss2_Tcti_Proxy_Init(NULL, NULL, NULL),
	    TSS2_TCTI_RC_BAD_VALUE);
}

/* A size below the context size is refused before anything is written. */
static void
tcti_proxy_init_small_size(void **state)
{
	struct tcti_proxy_context ctx;
	size_t size = sizeof ctx - 1;

	(void)state;
	memset(&ctx, 0xa5, sizeof ctx);
	assert_int_equal(Tss2_Tcti_Proxy_Init((TSS2_TCTI_CONTEXT *)&ctx,
	    &size, "/x"), TSS2_TCTI_RC_INSUFFICIENT_BUFFER);
	assert_int_equal(ctx.fd, (int)0xa5a5a5a5);
}

/* Init with a given conf against a fake daemon; returns the TSS2_RC. */
static TSS2_RC
init_with(struct tcti_proxy_context *ctx, const char *conf)
{
	size_t size = sizeof *ctx;

	return Tss2_Tcti_Proxy_Init((TSS2_TCTI_CONTEXT *)ctx, &size, conf);
}

/* NULL conf connects to the default path and sets up the whole context. */
static void
tcti_proxy_init_default_path(void **state)
{
	struct tcti_proxy_context ctx;
	TSS2_TCTI_CONTEXT *tcti = (TSS2_TCTI_CONTEXT *)&ctx;

	(void)state;
	will_return(__wrap_socket, FAKE_FD);
	will_return(__wrap_connect, 0);
	assert_int_equal(init_with(&ctx, NULL), TSS2_RC_SUCCESS);
	assert_string_equal(fake.connect_path, TSS2_TCTI_PROXY_DEFAULT_PATH);
	assert_string_equal(ctx.path, TSS2_TCTI_PROXY_DEFAULT_PATH);
	assert_true(TSS2_TCTI_MAGIC(tcti) == TCTI_PROXY_MAGIC);
	assert_int_equal(TSS2_TCTI_VERSION(tcti), 2);
	assert_ptr_equal(TSS2_TCTI_TRANSMIT(tcti), tcti_proxy_transmit);
	assert_ptr_equal(TSS2_TCTI_RECEIVE(tcti), tcti_proxy_receive);
	assert_ptr_equal(TSS2_TCTI_FINALIZE(tcti), tcti_proxy_finalize);
	assert_ptr_equal(TSS2_TCTI_CANCEL(tcti), tcti_proxy_cancel);
	assert_ptr_equal(TSS2_TCTI_GET_POLL_HANDLES(tcti),
	    tcti_proxy_get_poll_handles);
	assert_ptr_equal(TSS2_TCTI_SET_LOCALITY(tcti), tcti_proxy_set_locality);
	assert_ptr_equal(TSS2_TCTI_MAKE_STICKY(tcti), tcti_proxy_make_sticky);
	assert_int_equal(ctx.state, TCTI_PROXY_STATE_TRANSMIT);
	assert_int_equal(ctx.fd, FAKE_FD);
	tcti_proxy_finalize(tcti);
	assert_int_equal(fake.closes, 1);
}

/* An empty conf means the default path too. */
static void
tcti_proxy_init_empty_conf(void **state)
{
	struct tcti_proxy_context ctx;

	(void)state;
	will_return(__wrap_socket, FAKE_FD);
	will_return(__wrap_connect, 0);
	assert_int_equal(init_with(&ctx, ""), TSS2_RC_SUCCESS);
	assert_string_equal(fake.connect_path, TSS2_TCTI_PROXY_DEFAULT_PATH);
	tcti_proxy_finalize((TSS2_TCTI_CONTEXT *)&ctx);
}

/* A plain path and the path=PATH form both name the socket. */
static void
tcti_proxy_init_path_forms(void **state)
{
	struct tcti_proxy_context ctx;

	(void)state;
	will_return(__wrap_socket, FAKE_FD);
	will_return(__wrap_connect, 0);
	assert_int_equal(init_with(&ctx, "/run/x/pod.sock"), TSS2_RC_SUCCESS);
	assert_string_equal(fake.connect_path, "/run/x/pod.sock");
	tcti_proxy_finalize((TSS2_TCTI_CONTEXT *)&ctx);

	will_return(__wrap_socket, FAKE_FD);
	will_return(__wrap_connect, 0);
	assert_int_equal(init_with(&ctx, "path=/run/y.sock"), TSS2_RC_SUCCESS);
	assert_string_equal(fake.connect_path, "/run/y.sock");
	assert_string_equal(ctx.path, "/run/y.sock");
	tcti_proxy_finalize((TSS2_TCTI_CONTEXT *)&ctx);
}

/* A path that does not fit sun_path, or an empty path=, is BAD_VALUE. */
static void
tcti_proxy_init_bad_conf(void **state)
{
	struct tcti_proxy_context ctx;
	char longest[sizeof ctx.path];
	char toolong[sizeof ctx.path + 1];

	(void)state;
	memset(toolong, 'a', sizeof toolong - 1);
	toolong[0] = '/';
	toolong[sizeof toolong - 1] = '\0';
	assert_int_equal(init_with(&ctx, toolong), TSS2_TCTI_RC_BAD_VALUE);
	assert_int_equal(init_with(&ctx, "path="), TSS2_TCTI_RC_BAD_VALUE);
	assert_int_equal(fake.connects, 0);

	/* sizeof sun_path - 1 characters still fit, with the NUL. */
	memcpy(longest, toolong, sizeof longest - 1);
	longest[sizeof longest - 1] = '\0';
	will_return(__wrap_socket, FAKE_FD);
	will_return(__wrap_connect, 0);
	assert_int_equal(init_with(&ctx, longest), TSS2_RC_SUCCESS);
	assert_string_equal(fake.connect_path, longest);
	tcti_proxy_finalize((TSS2_TCTI_CONTEXT *)&ctx);
}

/* socket() failing is IO_ERROR, and the context stays unusable. */
static void
tcti_proxy_init_socket_fails(void **state)
{
	struct tcti_proxy_context ctx;

	(void)state;
	will_return(__wrap_socket, -EMFILE);
	assert_int_equal(init_with(&ctx, "/x"), TSS2_TCTI_RC_IO_ERROR);
	assert_int_equal(tcti_proxy_transmit((TSS2_TCTI_CONTEXT *)&ctx,
	    sizeof cmd_getrandom, cmd_getrandom), TSS2_TCTI_RC_BAD_CONTEXT);
}

/* connect() failing is IO_ERROR, and the socket is closed. */
static void
tcti_proxy_init_connect_fails(void **state)
{
	struct tcti_proxy_context ctx;

	(void)state;
	will_return(__wrap_socket, FAKE_FD);
	will_return(__wrap_connect, -ECONNREFUSED);
	assert_int_equal(init_with(&ctx, "/x"), TSS2_TCTI_RC_IO_ERROR);
	assert_int_equal(fake.closes, 1);
	tcti_proxy_finalize((TSS2_TCTI_CONTEXT *)&ctx);
	assert_int_equal(fake.closes, 1);
}

/* An interrupted connect() is retried on a fresh socket. */
static void
tcti_proxy_init_connect_eintr(void **state)
{
	struct tcti_proxy_context ctx;

	(void)state;
	will_return(__wrap_socket, FAKE_FD);
	will_return(__wrap_connect, -EINTR);
	will_return(__wrap_socket, FAKE_FD);
	will_return(__wrap_connect, 0);
	assert_int_equal(init_with(&ctx, "/x"), TSS2_RC_SUCCESS);
	assert_int_equal(fake.connects, 2);
	assert_int_equal(fake.closes, 1);
	tcti_proxy_finalize((TSS2_TCTI_CONTEXT *)&ctx);
	assert_int_equal(fake.closes, 2);
}

/* Tss2_Tcti_Info names the TCTI and points at its Init. */
static void
tcti_proxy_info_fields(void **state)
{
	const TSS2_TCTI_INFO *info = Tss2_Tcti_Info();

	(void)state;
	assert_non_null(info);
	assert_int_equal(info->version, 2);
	assert_string_equal(info->name, "tcti-proxy");
	assert_non_null(info->description);
	assert_non_null(strstr(info->config_help, "path="));
	assert_ptr_equal(info->init, Tss2_Tcti_Proxy_Init);
}

/* ---- transmit ---- */

/* The command goes out whole, without SIGPIPE, and the state is RECEIVE. */
static void
tcti_proxy_transmit_success(void **state)
{
	transmit_ok(state);
	assert_int_equal(fake.nsent, sizeof cmd_getrandom);
	assert_memory_equal(fake.sent, cmd_getrandom, sizeof cmd_getrandom);
	assert_true(fake.send_flags & MSG_NOSIGNAL);
	assert_int_equal(proxy(state)->state, TCTI_PROXY_STATE_RECEIVE);
}

/* NULL context or command buffer is BAD_REFERENCE. */
static void
tcti_proxy_transmit_null_args(void **state)
{
	assert_int_equal(tcti_proxy_transmit(NULL, sizeof cmd_getrandom,
	    cmd_getrandom), TSS2_TCTI_RC_BAD_REFERENCE);
	assert_int_equal(Tss2_Tcti_Transmit((TSS2_TCTI_CONTEXT *)*state,
	    sizeof cmd_getrandom, NULL), TSS2_TCTI_RC_BAD_REFERENCE);
}

/* A foreign context is BAD_CONTEXT. */
static void
tcti_proxy_transmit_bad_magic(void **state)
{
	uint64_t magic;

	ctx_spoil_magic(state, &magic);
	assert_int_equal(Tss2_Tcti_Transmit((TSS2_TCTI_CONTEXT *)*state,
	    sizeof cmd_getrandom, cmd_getrandom), TSS2_TCTI_RC_BAD_CONTEXT);
	TSS2_TCTI_MAGIC(*state) = magic;
}

/* A second transmit before the receive is BAD_SEQUENCE. */
static void
tcti_proxy_transmit_twice(void **state)
{
	transmit_ok(state);
	assert_int_equal(Tss2_Tcti_Transmit((TSS2_TCTI_CONTEXT *)*state,
	    sizeof cmd_getrandom, cmd_getrandom), TSS2_TCTI_RC_BAD_SEQUENCE);
	assert_int_equal(fake.nsent, sizeof cmd_getrandom);
}

/* A size below a header, or not matching the header, is BAD_VALUE. */
static void
tcti_proxy_transmit_bad_size(void **state)
{
	TSS2_TCTI_CONTEXT *tcti = *state;

	assert_int_equal(Tss2_Tcti_Transmit(tcti, 9, cmd_getrandom),
	    TSS2_TCTI_RC_BAD_VALUE);
	assert_int_equal(Tss2_Tcti_Transmit(tcti, sizeof cmd_getrandom - 1,
	    cmd_getrandom), TSS2_TCTI_RC_BAD_VALUE);
	assert_int_equal(fake.nsent, 0);
	assert_int_equal(proxy(state)->state, TCTI_PROXY_STATE_TRANSMIT);
}

/* Short writes and EINTR are resumed until the whole command is out. */
static void
tcti_proxy_transmit_short_write_eintr(void **state)
{
	will_return(__wrap_send, 3);
	will_return(__wrap_send, -EINTR);
	will_return(__wrap_send, 1);
	will_return(__wrap_send, SEND_ALL);
	assert_int_equal(Tss2_Tcti_Transmit((TSS2_TCTI_CONTEXT *)*state,
	    sizeof cmd_getrandom, cmd_getrandom), TSS2_RC_SUCCESS);
	assert_int_equal(fake.nsent, sizeof cmd_getrandom);
	assert_memory_equal(fake.sent, cmd_getrandom, sizeof cmd_getrandom);
}

/*
 * A send error is IO_ERROR and closes the socket; the next transmit
 * connects again, and one that cannot connect is IO_ERROR too.
 */
static void
tcti_proxy_transmit_io_error_reconnects(void **state)
{
	TSS2_TCTI_CONTEXT *tcti = *state;

	will_return(__wrap_send, 4);
	will_return(__wrap_send, -EPIPE);
	assert_int_equal(Tss2_Tcti_Transmit(tcti, sizeof cmd_getrandom,
	    cmd_getrandom), TSS2_TCTI_RC_IO_ERROR);
	assert_int_equal(fake.closes, 1);
	assert_int_equal(proxy(state)->fd, -1);
	assert_int_equal(proxy(state)->state, TCTI_PROXY_STATE_TRANSMIT);

	will_return(__wrap_socket, FAKE_FD);
	will_return(__wrap_connect, -ENOENT);
	assert_int_equal(Tss2_Tcti_Transmit(tcti, sizeof cmd_getrandom,
	    cmd_getrandom), TSS2_TCTI_RC_IO_ERROR);
	assert_int_equal(proxy(state)->fd, -1);

	fake.nsent = 0;
	will_return(__wrap_socket, FAKE_FD);
	will_return(__wrap_connect, 0);
	transmit_ok(state);
	assert_string_equal(fake.connect_path, "/tmp/t.sock");
	assert_int_equal(fake.nsent, sizeof cmd_getrandom);
	assert_int_equal(proxy(state)->fd, FAKE_FD);
}

/*
 * A connection the daemon closed while we were idle refuses the first byte:
 * the command goes out once more on a new connection.
 */
static void
tcti_proxy_transmit_idle_close_retries(void **state)
{
	will_return(__wrap_send, -EPIPE);
	will_return(__wrap_socket, FAKE_FD);
	will_return(__wrap_connect, 0);
	transmit_ok(state);
	assert_int_equal(fake.connects, 2);
	assert_int_equal(fake.closes, 1);
	assert_int_equal(fake.nsent, sizeof cmd_getrandom);
	assert_int_equal(proxy(state)->state, TCTI_PROXY_STATE_RECEIVE);
}

/* The retry happens once: a new connection that fails too is IO_ERROR. */
static void
tcti_proxy_transmit_idle_close_retry_fails(void **state)
{
	TSS2_TCTI_CONTEXT *tcti = *state;

	will_return(__wrap_send, -ECONNRESET);
	will_return(__wrap_socket, FAKE_FD);
	will_return(__wrap_connect, 0);
	will_return(__wrap_send, -EPIPE);
	assert_int_equal(Tss2_Tcti_Transmit(tcti, sizeof cmd_getrandom,
	    cmd_getrandom), TSS2_TCTI_RC_IO_ERROR);
	assert_int_equal(fake.closes, 2);

	/* No retry for other errors, nor when the reconnect fails. */
	will_return(__wrap_socket, FAKE_FD);
	will_return(__wrap_connect, 0);
	will_return(__wrap_send, -EIO);
	assert_int_equal(Tss2_Tcti_Transmit(tcti, sizeof cmd_getrandom,
	    cmd_getrandom), TSS2_TCTI_RC_IO_ERROR);
	will_return(__wrap_socket, FAKE_FD);
	will_return(__wrap_connect, 0);
	transmit_ok(state);
	expect_read(0);
	{
		size_t size = 0;

		assert_int_equal(Tss2_Tcti_Receive(tcti, &size, NULL, -1),
		    TSS2_TCTI_RC_NO_CONNECTION);
	}
	will_return(__wrap_socket, -EMFILE);
	assert_int_equal(Tss2_Tcti_Transmit(tcti, sizeof cmd_getrandom,
	    cmd_getrandom), TSS2_TCTI_RC_IO_ERROR);
	assert_int_equal(proxy(state)->fd, -1);
	assert_int_equal(proxy(state)->state, TCTI_PROXY_STATE_TRANSMIT);
}

/* ---- receive ---- */

/* A blocking receive returns the whole response and goes back to TRANSMIT. */
static void
tcti_proxy_receive_success(void **state)
{
	uint8_t buf[4096];
	size_t size = sizeof buf;

	transmit_ok(state);
	peer_set(rsp_getrandom, sizeof rsp_getrandom);
	expect_read(4096);
	expect_read(4096);
	assert_int_equal(Tss2_Tcti_Receive((TSS2_TCTI_CONTEXT *)*state, &size,
	    buf, TSS2_TCTI_TIMEOUT_BLOCK), TSS2_RC_SUCCESS);
	assert_int_equal(size, sizeof rsp_getrandom);
	assert_memory_equal(buf, rsp_getrandom, sizeof rsp_getrandom);
	assert_int_equal(fake.poll_timeout, -1);
	assert_int_equal(fake.poll_events, POLLIN);
	assert_int_equal(proxy(state)->state, TCTI_PROXY_STATE_TRANSMIT);
	assert_null(proxy(state)->response);
	/* A second receive has nothing to wait for. */
	assert_int_equal(Tss2_Tcti_Receive((TSS2_TCTI_CONTEXT *)*state, &size,
	    buf, TSS2_TCTI_TIMEOUT_BLOCK), TSS2_TCTI_RC_BAD_SEQUENCE);
}

/* A receive before any transmit is BAD_SEQUENCE. */
static void
tcti_proxy_receive_before_transmit(void **state)
{
	uint8_t buf[64];
	size_t size = sizeof buf;

	assert_int_equal(Tss2_Tcti_Receive((TSS2_TCTI_CONTEXT *)*state, &size,
	    buf, TSS2_TCTI_TIMEOUT_BLOCK), TSS2_TCTI_RC_BAD_SEQUENCE);
}

/* NULL context or size is BAD_REFERENCE, a foreign one BAD_CONTEXT. */
static void
tcti_proxy_receive_bad_args(void **state)
{
	uint8_t buf[64];
	size_t size = sizeof buf;
	uint64_t magic;

	transmit_ok(state);
	assert_int_equal(tcti_proxy_receive(NULL, &size, buf, -1),
	    TSS2_TCTI_RC_BAD_REFERENCE);
	assert_int_equal(Tss2_Tcti_Receive((TSS2_TCTI_CONTEXT *)*state, NULL,
	    buf, -1), TSS2_TCTI_RC_BAD_REFERENCE);
	ctx_spoil_magic(state, &magic);
	assert_int_equal(tcti_proxy_receive(*state, &size, buf, -1),
	    TSS2_TCTI_RC_BAD_CONTEXT);
	TSS2_TCTI_MAGIC(*state) = magic;
	assert_int_equal(proxy(state)->state, TCTI_PROXY_STATE_RECEIVE);
}

/* A timeout below TSS2_TCTI_TIMEOUT_BLOCK is BAD_VALUE. */
static void
tcti_proxy_receive_bad_timeout(void **state)
{
	uint8_t buf[64];
	size_t size = sizeof buf;

	transmit_ok(state);
	assert_int_equal(Tss2_Tcti_Receive((TSS2_TCTI_CONTEXT *)*state, &size,
	    buf, -2), TSS2_TCTI_RC_BAD_VALUE);
	assert_int_equal(proxy(state)->state, TCTI_PROXY_STATE_RECEIVE);
}

/* A response trickling in, with EINTR from poll and recv, is put together. */
static void
tcti_proxy_receive_short_reads_eintr(void **state)
{
	uint8_t buf[64];
	size_t size = sizeof buf;

	transmit_ok(state);
	peer_set(rsp_getrandom, sizeof rsp_getrandom);
	will_return(__wrap_poll, -EINTR);
	expect_read(1);
	expect_read(4);
	expect_read(-EINTR);
	expect_read(-EAGAIN);
	expect_read(7);		/* 5 of the header, then a new read */
	expect_read(3);
	expect_read(SEND_ALL);
	assert_int_equal(Tss2_Tcti_Receive((TSS2_TCTI_CONTEXT *)*state, &size,
	    buf, TSS2_TCTI_TIMEOUT_BLOCK), TSS2_RC_SUCCESS);
	assert_int_equal(size, sizeof rsp_getrandom);
	assert_memory_equal(buf, rsp_getrandom, sizeof rsp_getrandom);
	assert_int_equal(fake.peer_off, sizeof rsp_getrandom);
}

/* A timeout is TRY_AGAIN; a later receive gets the whole response. */
static void
tcti_proxy_receive_timeout_then_success(void **state)
{
	uint8_t buf[64];
	size_t size = sizeof buf;
	TSS2_TCTI_CONTEXT *tcti = *state;

	transmit_ok(state);
	peer_set(rsp_getrandom, sizeof rsp_getrandom);
	will_return(__wrap_poll, 0);
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, buf, 0),
	    TSS2_TCTI_RC_TRY_AGAIN);
	assert_int_equal(fake.poll_timeout, 0);
	assert_int_equal(proxy(state)->state, TCTI_PROXY_STATE_RECEIVE);

	expect_read(SEND_ALL);
	expect_read(SEND_ALL);
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, buf, 100),
	    TSS2_RC_SUCCESS);
	assert_in_range(fake.poll_timeout, 0, 100);
	assert_int_equal(size, sizeof rsp_getrandom);
	assert_memory_equal(buf, rsp_getrandom, sizeof rsp_getrandom);
}

/* Bytes read before a timeout are kept for the next receive. */
static void
tcti_proxy_receive_timeout_mid_response(void **state)
{
	uint8_t buf[64];
	size_t size = sizeof buf;
	TSS2_TCTI_CONTEXT *tcti = *state;

	transmit_ok(state);
	peer_set(rsp_getrandom, sizeof rsp_getrandom);
	expect_read(6);
	will_return(__wrap_poll, 0);
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, buf, 0),
	    TSS2_TCTI_RC_TRY_AGAIN);
	assert_int_equal(proxy(state)->received, 6);

	expect_read(SEND_ALL);
	expect_read(5);
	will_return(__wrap_poll, 0);
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, buf, 0),
	    TSS2_TCTI_RC_TRY_AGAIN);
	assert_int_equal(proxy(state)->received, 15);

	expect_read(SEND_ALL);
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, buf,
	    TSS2_TCTI_TIMEOUT_BLOCK), TSS2_RC_SUCCESS);
	assert_int_equal(size, sizeof rsp_getrandom);
	assert_memory_equal(buf, rsp_getrandom, sizeof rsp_getrandom);
}

/* response == NULL answers the size; a second call gets the response. */
static void
tcti_proxy_receive_partial_size_query(void **state)
{
	uint8_t *buf;
	size_t size = 0;
	TSS2_TCTI_CONTEXT *tcti = *state;

	transmit_ok(state);
	peer_set(rsp_getrandom, sizeof rsp_getrandom);
	expect_read(SEND_ALL);
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, NULL, -1),
	    TSS2_RC_SUCCESS);
	assert_int_equal(size, sizeof rsp_getrandom);
	assert_int_equal(fake.peer_off, TCTI_PROXY_HEADER_SIZE);
	/* Asking again reads nothing more. */
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, NULL, -1),
	    TSS2_RC_SUCCESS);
	assert_int_equal(size, sizeof rsp_getrandom);

	buf = malloc(size);
	assert_non_null(buf);
	expect_read(SEND_ALL);
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, buf, -1),
	    TSS2_RC_SUCCESS);
	assert_int_equal(size, sizeof rsp_getrandom);
	assert_memory_equal(buf, rsp_getrandom, sizeof rsp_getrandom);
	free(buf);
}

/* A header-only response needs no read after the size query. */
static void
tcti_proxy_receive_partial_size_header_only(void **state)
{
	uint8_t buf[TCTI_PROXY_HEADER_SIZE];
	size_t size = 0;
	TSS2_TCTI_CONTEXT *tcti = *state;

	transmit_ok(state);
	peer_set(rsp_header_only, sizeof rsp_header_only);
	expect_read(SEND_ALL);
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, NULL, -1),
	    TSS2_RC_SUCCESS);
	assert_int_equal(size, TCTI_PROXY_HEADER_SIZE);
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, buf, 0),
	    TSS2_RC_SUCCESS);
	assert_memory_equal(buf, rsp_header_only, sizeof rsp_header_only);
	assert_int_equal(proxy(state)->state, TCTI_PROXY_STATE_TRANSMIT);
}

/* Too small a buffer is INSUFFICIENT_BUFFER with the size; a retry works. */
static void
tcti_proxy_receive_insufficient_buffer(void **state)
{
	uint8_t buf[64];
	size_t size = 12;
	TSS2_TCTI_CONTEXT *tcti = *state;

	transmit_ok(state);
	peer_set(rsp_getrandom, sizeof rsp_getrandom);
	expect_read(SEND_ALL);
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, buf, -1),
	    TSS2_TCTI_RC_INSUFFICIENT_BUFFER);
	assert_int_equal(size, sizeof rsp_getrandom);
	assert_int_equal(proxy(state)->state, TCTI_PROXY_STATE_RECEIVE);

	size = sizeof rsp_getrandom;
	expect_read(SEND_ALL);
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, buf, -1),
	    TSS2_RC_SUCCESS);
	assert_memory_equal(buf, rsp_getrandom, sizeof rsp_getrandom);
}

/*
 * A peer closing mid-response is IO_ERROR: the socket is closed, the
 * partial response dropped, and the next transmit connects again.
 */
static void
tcti_proxy_receive_peer_closed_mid_response(void **state)
{
	uint8_t buf[64];
	size_t size = sizeof buf;
	TSS2_TCTI_CONTEXT *tcti = *state;

	transmit_ok(state);
	peer_set(rsp_getrandom, 13);
	expect_read(SEND_ALL);
	expect_read(SEND_ALL);
	expect_read(0);
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, buf, -1),
	    TSS2_TCTI_RC_IO_ERROR);
	assert_int_equal(fake.closes, 1);
	assert_int_equal(proxy(state)->fd, -1);
	assert_null(proxy(state)->response);
	assert_int_equal(proxy(state)->state, TCTI_PROXY_STATE_TRANSMIT);
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, buf, -1),
	    TSS2_TCTI_RC_BAD_SEQUENCE);

	will_return(__wrap_socket, FAKE_FD);
	will_return(__wrap_connect, 0);
	transmit_ok(state);
	peer_set(rsp_getrandom, sizeof rsp_getrandom);
	expect_read(SEND_ALL);
	expect_read(SEND_ALL);
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, buf, -1),
	    TSS2_RC_SUCCESS);
}

/* A peer closing mid-header is IO_ERROR as well. */
static void
tcti_proxy_receive_peer_closed_mid_header(void **state)
{
	size_t size = 0;

	transmit_ok(state);
	peer_set(rsp_getrandom, 4);
	expect_read(SEND_ALL);
	expect_read(0);
	assert_int_equal(Tss2_Tcti_Receive((TSS2_TCTI_CONTEXT *)*state, &size,
	    NULL, -1), TSS2_TCTI_RC_IO_ERROR);
	assert_int_equal(proxy(state)->fd, -1);
}

/* EOF before any response byte is NO_CONNECTION, as tcti-device says. */
static void
tcti_proxy_receive_peer_closed_before_response(void **state)
{
	uint8_t buf[64];
	size_t size = sizeof buf;

	transmit_ok(state);
	expect_read(0);
	assert_int_equal(Tss2_Tcti_Receive((TSS2_TCTI_CONTEXT *)*state, &size,
	    buf, -1), TSS2_TCTI_RC_NO_CONNECTION);
	assert_int_equal(proxy(state)->fd, -1);
	assert_int_equal(proxy(state)->state, TCTI_PROXY_STATE_TRANSMIT);
}

/* A size field below a header or above the limit is MALFORMED_RESPONSE. */
static void
tcti_proxy_receive_malformed_size(void **state)
{
	static const uint8_t small[] = { 0x80, 0x01, 0, 0, 0, 9, 0, 0, 0, 0 };
	static const uint8_t huge[] = { 0x80, 0x01, 0xff, 0xff, 0xff, 0xff,
	    0, 0, 0, 0 };
	uint8_t buf[64];
	size_t size = sizeof buf;
	TSS2_TCTI_CONTEXT *tcti = *state;

	transmit_ok(state);
	peer_set(small, sizeof small);
	expect_read(SEND_ALL);
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, buf, -1),
	    TSS2_TCTI_RC_MALFORMED_RESPONSE);
	assert_int_equal(proxy(state)->fd, -1);

	will_return(__wrap_socket, FAKE_FD);
	will_return(__wrap_connect, 0);
	transmit_ok(state);
	peer_set(huge, sizeof huge);
	expect_read(SEND_ALL);
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, NULL, -1),
	    TSS2_TCTI_RC_MALFORMED_RESPONSE);
	assert_int_equal(proxy(state)->state, TCTI_PROXY_STATE_TRANSMIT);
}

/* poll() and recv() errors are IO_ERROR and close the socket. */
static void
tcti_proxy_receive_io_errors(void **state)
{
	uint8_t buf[64];
	size_t size = sizeof buf;
	TSS2_TCTI_CONTEXT *tcti = *state;

	transmit_ok(state);
	will_return(__wrap_poll, -EFAULT);
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, buf, -1),
	    TSS2_TCTI_RC_IO_ERROR);
	assert_int_equal(fake.closes, 1);

	will_return(__wrap_socket, FAKE_FD);
	will_return(__wrap_connect, 0);
	transmit_ok(state);
	expect_read(-ECONNRESET);
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, buf, -1),
	    TSS2_TCTI_RC_IO_ERROR);
	assert_int_equal(fake.closes, 2);
	assert_int_equal(proxy(state)->state, TCTI_PROXY_STATE_TRANSMIT);
}

/* ---- finalize ---- */

/* Finalize closes the socket once, and later calls are BAD_SEQUENCE. */
static void
tcti_proxy_finalize_closes(void **state)
{
	TSS2_TCTI_CONTEXT *tcti = *state;
	uint8_t buf[64];
	size_t size = sizeof buf;

	Tss2_Tcti_Finalize(tcti);
	assert_int_equal(fake.closes, 1);
	assert_int_equal(proxy(state)->state, TCTI_PROXY_STATE_FINAL);
	assert_int_equal(Tss2_Tcti_Transmit(tcti, sizeof cmd_getrandom,
	    cmd_getrandom), TSS2_TCTI_RC_BAD_SEQUENCE);
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, buf, -1),
	    TSS2_TCTI_RC_BAD_SEQUENCE);
	Tss2_Tcti_Finalize(tcti);
	assert_int_equal(fake.closes, 1);
}

/* Finalize mid-response frees the partial response (ASan checks leaks). */
static void
tcti_proxy_finalize_mid_response(void **state)
{
	size_t size = 0;

	transmit_ok(state);
	peer_set(rsp_getrandom, sizeof rsp_getrandom);
	expect_read(SEND_ALL);
	expect_read(3);
	will_return(__wrap_poll, 0);
	assert_int_equal(Tss2_Tcti_Receive((TSS2_TCTI_CONTEXT *)*state, &size,
	    NULL, 0), TSS2_RC_SUCCESS);
	size = sizeof rsp_getrandom;
	{
		uint8_t buf[sizeof rsp_getrandom];

		assert_int_equal(Tss2_Tcti_Receive((TSS2_TCTI_CONTEXT *)*state,
		    &size, buf, 0), TSS2_TCTI_RC_TRY_AGAIN);
	}
	assert_non_null(proxy(state)->response);
	tcti_proxy_finalize(*state);
	assert_null(proxy(state)->response);
	assert_int_equal(fake.closes, 1);
}

/* NULL and foreign contexts are ignored. */
static void
tcti_proxy_finalize_bad_context(void **state)
{
	uint64_t magic;

	tcti_proxy_finalize(NULL);
	ctx_spoil_magic(state, &magic);
	tcti_proxy_finalize(*state);
	assert_int_equal(fake.closes, 0);
	TSS2_TCTI_MAGIC(*state) = magic;
}

/* ---- getPollHandles ---- */

/* A count query says 1; a real query gives the socket and POLLIN. */
static void
tcti_proxy_get_poll_handles_count(void **state)
{
	TSS2_TCTI_POLL_HANDLE handles[2];
	size_t n = 0;
	TSS2_TCTI_CONTEXT *tcti = *state;

	assert_int_equal(Tss2_Tcti_GetPollHandles(tcti, NULL, &n),
	    TSS2_RC_SUCCESS);
	assert_int_equal(n, 1);
	n = 2;
	memset(handles, 0xff, sizeof handles);
	assert_int_equal(Tss2_Tcti_GetPollHandles(tcti, handles, &n),
	    TSS2_RC_SUCCESS);
	assert_int_equal(n, 1);
	assert_int_equal(handles[0].fd, FAKE_FD);
	assert_int_equal(handles[0].events, POLLIN);
	assert_int_equal(handles[0].revents, 0);
	assert_int_equal(handles[1].fd, -1);
}

/* Room for no handle is INSUFFICIENT_BUFFER; bad pointers are caught. */
static void
tcti_proxy_get_poll_handles_bad_args(void **state)
{
	TSS2_TCTI_POLL_HANDLE handle;
	size_t n = 0;
	uint64_t magic;

	assert_int_equal(Tss2_Tcti_GetPollHandles((TSS2_TCTI_CONTEXT *)*state,
	    &handle, &n), TSS2_TCTI_RC_INSUFFICIENT_BUFFER);
	assert_int_equal(Tss2_Tcti_GetPollHandles((TSS2_TCTI_CONTEXT *)*state,
	    &handle, NULL), TSS2_TCTI_RC_BAD_REFERENCE);
	assert_int_equal(tcti_proxy_get_poll_handles(NULL, &handle, &n),
	    TSS2_TCTI_RC_BAD_REFERENCE);
	ctx_spoil_magic(state, &magic);
	assert_int_equal(tcti_proxy_get_poll_handles(*state, &handle, &n),
	    TSS2_TCTI_RC_BAD_CONTEXT);
	TSS2_TCTI_MAGIC(*state) = magic;
}

/* ---- cancel, setLocality, makeSticky ---- */

/* All three are NOT_IMPLEMENTED, after the usual context checks. */
static void
tcti_proxy_not_implemented_entry_points(void **state)
{
	TSS2_TCTI_CONTEXT *tcti = *state;
	TPM2_HANDLE handle = 0x80000000;
	uint64_t magic;

	assert_int_equal(Tss2_Tcti_Cancel(tcti), TSS2_TCTI_RC_NOT_IMPLEMENTED);
	assert_int_equal(Tss2_Tcti_SetLocality(tcti, 1),
	    TSS2_TCTI_RC_NOT_IMPLEMENTED);
	assert_int_equal(Tss2_Tcti_MakeSticky(tcti, &handle, 1),
	    TSS2_TCTI_RC_NOT_IMPLEMENTED);
	assert_int_equal(tcti_proxy_cancel(NULL), TSS2_TCTI_RC_BAD_REFERENCE);
	assert_int_equal(tcti_proxy_set_locality(NULL, 0),
	    TSS2_TCTI_RC_BAD_REFERENCE);
	assert_int_equal(tcti_proxy_make_sticky(NULL, &handle, 0),
	    TSS2_TCTI_RC_BAD_REFERENCE);
	ctx_spoil_magic(state, &magic);
	assert_int_equal(tcti_proxy_cancel(tcti), TSS2_TCTI_RC_BAD_CONTEXT);
	assert_int_equal(tcti_proxy_set_locality(tcti, 0),
	    TSS2_TCTI_RC_BAD_CONTEXT);
	assert_int_equal(tcti_proxy_make_sticky(tcti, &handle, 0),
	    TSS2_TCTI_RC_BAD_CONTEXT);
	TSS2_TCTI_MAGIC(tcti) = magic;
	assert_int_equal(proxy(state)->state, TCTI_PROXY_STATE_TRANSMIT);
}

/* ---- a real unix socket, wraps passing through ---- */

/* A listening socket in a fresh temporary directory. */
struct real_server {
	char dir[64];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int lfd;
};

/* Listen on DIR/sock. */
static void
server_start(struct real_server *srv)
{
	struct sockaddr_un sun;

	strcpy(srv->dir, "/tmp/test-tcti-proxy.XXXXXX");
	assert_non_null(mkdtemp(srv->dir));
	snprintf(srv->path, sizeof srv->path, "%s/sock", srv->dir);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, srv->path);
	srv->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(srv->lfd >= 0);
	assert_int_equal(bind(srv->lfd, (struct sockaddr *)&sun, sizeof sun),
	    0);
	assert_int_equal(listen(srv->lfd, 4), 0);
}

/* Stop listening and remove the directory. */
static void
server_stop(struct real_server *srv)
{
	close(srv->lfd);
	unlink(srv->path);
	rmdir(srv->dir);
}

/* Read one command from the client and check it is GetRandom. */
static void
server_expect_command(int cfd)
{
	uint8_t cmd[sizeof cmd_getrandom];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof cmd) {
		n = read(cfd, cmd + got, sizeof cmd - got);
		assert_true(n > 0);
		got += (size_t)n;
	}
	assert_memory_equal(cmd, cmd_getrandom, sizeof cmd);
}

/* Write all of buf to the client. */
static void
server_write(int cfd, const uint8_t *buf, size_t len)
{
	assert_int_equal(write(cfd, buf, len), (ssize_t)len);
}

/*
 * Against a real listening socket: a response split in two, a timed-out
 * poll in between, a real timeout, a peer closing mid-response, and the
 * reconnect on the next transmit.
 */
static void
tcti_proxy_receive_real_socket(void **state)
{
	struct real_server srv;
	TSS2_TCTI_CONTEXT *tcti;
	TSS2_TCTI_POLL_HANDLE handle;
	uint8_t buf[64];
	size_t size = 0, n = 1;
	int cfd;

	(void)state;
	server_start(&srv);
	assert_int_equal(Tss2_Tcti_Proxy_Init(NULL, &size, NULL),
	    TSS2_RC_SUCCESS);
	tcti = calloc(1, size);
	assert_non_null(tcti);
	assert_int_equal(Tss2_Tcti_Proxy_Init(tcti, &size, srv.path),
	    TSS2_RC_SUCCESS);
	cfd = accept(srv.lfd, NULL, NULL);
	assert_true(cfd >= 0);

	assert_int_equal(Tss2_Tcti_Transmit(tcti, sizeof cmd_getrandom,
	    cmd_getrandom), TSS2_RC_SUCCESS);
	server_expect_command(cfd);
	size = sizeof buf;
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, buf, 0),
	    TSS2_TCTI_RC_TRY_AGAIN);
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, buf, 20),
	    TSS2_TCTI_RC_TRY_AGAIN);
	server_write(cfd, rsp_getrandom, 7);
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, buf, 0),
	    TSS2_TCTI_RC_TRY_AGAIN);
	server_write(cfd, rsp_getrandom + 7, sizeof rsp_getrandom - 7);
	assert_int_equal(Tss2_Tcti_GetPollHandles(tcti, &handle, &n),
	    TSS2_RC_SUCCESS);
	assert_int_equal(poll(&handle, 1, 1000), 1);
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, buf,
	    TSS2_TCTI_TIMEOUT_BLOCK), TSS2_RC_SUCCESS);
	assert_int_equal(size, sizeof rsp_getrandom);
	assert_memory_equal(buf, rsp_getrandom, sizeof rsp_getrandom);

	/* The daemon goes away halfway through the next response. */
	assert_int_equal(Tss2_Tcti_Transmit(tcti, sizeof cmd_getrandom,
	    cmd_getrandom), TSS2_RC_SUCCESS);
	server_expect_command(cfd);
	server_write(cfd, rsp_getrandom, 12);
	close(cfd);
	size = sizeof buf;
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, buf,
	    TSS2_TCTI_TIMEOUT_BLOCK), TSS2_TCTI_RC_IO_ERROR);

	/* The next command goes out on a new connection. */
	assert_int_equal(Tss2_Tcti_Transmit(tcti, sizeof cmd_getrandom,
	    cmd_getrandom), TSS2_RC_SUCCESS);
	cfd = accept(srv.lfd, NULL, NULL);
	assert_true(cfd >= 0);
	server_expect_command(cfd);
	server_write(cfd, rsp_getrandom, sizeof rsp_getrandom);
	size = sizeof buf;
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, buf, 1000),
	    TSS2_RC_SUCCESS);
	assert_memory_equal(buf, rsp_getrandom, sizeof rsp_getrandom);

	/* A daemon that closes without answering: NO_CONNECTION. */
	assert_int_equal(Tss2_Tcti_Transmit(tcti, sizeof cmd_getrandom,
	    cmd_getrandom), TSS2_RC_SUCCESS);
	server_expect_command(cfd);
	close(cfd);
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, buf, 1000),
	    TSS2_TCTI_RC_NO_CONNECTION);

	/* The daemon closes an idle connection: the next command reconnects. */
	assert_int_equal(Tss2_Tcti_Transmit(tcti, sizeof cmd_getrandom,
	    cmd_getrandom), TSS2_RC_SUCCESS);
	cfd = accept(srv.lfd, NULL, NULL);
	assert_true(cfd >= 0);
	server_expect_command(cfd);
	server_write(cfd, rsp_getrandom, sizeof rsp_getrandom);
	size = sizeof buf;
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, buf, 1000),
	    TSS2_RC_SUCCESS);
	close(cfd);
	assert_int_equal(Tss2_Tcti_Transmit(tcti, sizeof cmd_getrandom,
	    cmd_getrandom), TSS2_RC_SUCCESS);
	cfd = accept(srv.lfd, NULL, NULL);
	assert_true(cfd >= 0);
	server_expect_command(cfd);
	server_write(cfd, rsp_getrandom, sizeof rsp_getrandom);
	size = sizeof buf;
	assert_int_equal(Tss2_Tcti_Receive(tcti, &size, buf, 1000),
	    TSS2_RC_SUCCESS);
	assert_memory_equal(buf, rsp_getrandom, sizeof rsp_getrandom);
	close(cfd);

	Tss2_Tcti_Finalize(tcti);
	free(tcti);
	server_stop(&srv);
}

/* Init on a path where nothing listens is IO_ERROR. */
static void
tcti_proxy_init_real_no_listener(void **state)
{
	struct real_server srv;
	struct tcti_proxy_context ctx;

	(void)state;
	server_start(&srv);
	server_stop(&srv);
	assert_int_equal(init_with(&ctx, srv.path), TSS2_TCTI_RC_IO_ERROR);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_ctx, teardown_ctx)
#define A(f) cmocka_unit_test_setup_teardown(f, setup_armed, teardown_armed)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tcti_proxy_init_size_query),
		cmocka_unit_test(tcti_proxy_init_null_both),
		cmocka_unit_test(tcti_proxy_init_small_size),
		A(tcti_proxy_init_default_path),
		A(tcti_proxy_init_empty_conf),
		A(tcti_proxy_init_path_forms),
		A(tcti_proxy_init_bad_conf),
		A(tcti_proxy_init_socket_fails),
		A(tcti_proxy_init_connect_fails),
		A(tcti_proxy_init_connect_eintr),
		cmocka_unit_test(tcti_proxy_init_real_no_listener),
		cmocka_unit_test(tcti_proxy_info_fields),
		T(tcti_proxy_transmit_success),
		T(tcti_proxy_transmit_null_args),
		T(tcti_proxy_transmit_bad_magic),
		T(tcti_proxy_transmit_twice),
		T(tcti_proxy_transmit_bad_size),
		T(tcti_proxy_transmit_short_write_eintr),
		T(tcti_proxy_transmit_io_error_reconnects),
		T(tcti_proxy_transmit_idle_close_retries),
		T(tcti_proxy_transmit_idle_close_retry_fails),
		T(tcti_proxy_receive_success),
		T(tcti_proxy_receive_before_transmit),
		T(tcti_proxy_receive_bad_args),
		T(tcti_proxy_receive_bad_timeout),
		T(tcti_proxy_receive_short_reads_eintr),
		T(tcti_proxy_receive_timeout_then_success),
		T(tcti_proxy_receive_timeout_mid_response),
		T(tcti_proxy_receive_partial_size_query),
		T(tcti_proxy_receive_partial_size_header_only),
		T(tcti_proxy_receive_insufficient_buffer),
		T(tcti_proxy_receive_peer_closed_mid_response),
		T(tcti_proxy_receive_peer_closed_mid_header),
		T(tcti_proxy_receive_peer_closed_before_response),
		T(tcti_proxy_receive_malformed_size),
		T(tcti_proxy_receive_io_errors),
		cmocka_unit_test(tcti_proxy_receive_real_socket),
		T(tcti_proxy_finalize_closes),
		T(tcti_proxy_finalize_mid_response),
		T(tcti_proxy_finalize_bad_context),
		T(tcti_proxy_get_poll_handles_count),
		T(tcti_proxy_get_poll_handles_bad_args),
		T(tcti_proxy_not_implemented_entry_points),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

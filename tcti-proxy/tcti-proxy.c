/* SPDX-License-Identifier: BSD-2-Clause */
/* tpm2-tss TCTI (v2): raw TPM 2.0 commands to tpmproxyd over a unix socket. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tss2/tss2_common.h>
#include <tss2/tss2_tcti.h>

#include "tcti-proxy.h"
#include "tss2_tcti_proxy.h"

static const TSS2_TCTI_INFO tcti_proxy_info = {
	.version = TCTI_PROXY_VERSION,
	.name = "tcti-proxy",
	.description = "TCTI for the tpmproxyd TPM 2.0 resource manager: "
	    "raw TPM commands over a unix stream socket.",
	.config_help = "Path of the tpmproxyd socket, as PATH or path=PATH. "
	    "Default: " TSS2_TCTI_PROXY_DEFAULT_PATH,
	.init = Tss2_Tcti_Proxy_Init,
};

/* Big-endian 32-bit load: TPM integers are big-endian (Part 1, 18.2). */
static uint32_t
tcti_proxy_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Turn the opaque context into ours, rejecting NULL and foreign contexts. */
static TSS2_RC
tcti_proxy_context_get(TSS2_TCTI_CONTEXT *tcti, struct tcti_proxy_context **ctx)
{
	if (tcti == NULL)
		return TSS2_TCTI_RC_BAD_REFERENCE;
	if (TSS2_TCTI_MAGIC(tcti) != TCTI_PROXY_MAGIC)
		return TSS2_TCTI_RC_BAD_CONTEXT;
	*ctx = (struct tcti_proxy_context *)tcti;
	return TSS2_RC_SUCCESS;
}

/* Take the socket path out of the configuration string. */
static int
tcti_proxy_parse_conf(const char *conf, char *path, size_t len)
{
	const char *p = conf;
	size_t n;

	if (p == NULL || *p == '\0')
		p = TSS2_TCTI_PROXY_DEFAULT_PATH;
	else if (strncmp(p, "path=", 5) == 0)
		p += 5;
	n = strnlen(p, len);
	if (n == 0)
		return -EINVAL;
	/* sun_path needs room for the terminating NUL as well. */
	if (n == len)
		return -ENAMETOOLONG;
	memcpy(path, p, n + 1);
	return 0;
}

/* Connect a new stream socket to path; returns the fd or -errno. */
static int
tcti_proxy_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd, error;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strncpy(sun.sun_path, path, sizeof sun.sun_path - 1);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd == -1)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0)
			return fd;
		error = errno;
		close(fd);
		/*
		 * An interrupted connect() goes on in the background and cannot
		 * simply be called again (EALREADY); a fresh socket is simpler.
		 */
		if (error != EINTR)
			return -error;
	}
}

/* Close the socket, if any, so that the next transmit connects again. */
static void
tcti_proxy_disconnect(struct tcti_proxy_context *ctx)
{
	if (ctx->fd != -1) {
		/* No retry on EINTR: Linux has closed the fd even then. */
		close(ctx->fd);
		ctx->fd = -1;
	}
}

/* Forget the response being received. */
static void
tcti_proxy_response_reset(struct tcti_proxy_context *ctx)
{
	free(ctx->response);
	ctx->response = NULL;
	ctx->response_size = 0;
	ctx->received = 0;
}

/* Send all of buf, resuming after short writes and signals; *sent counts. */
static int
tcti_proxy_send_all(int fd, const uint8_t *buf, size_t len, size_t *sent)
{
	ssize_t n;

	*sent = 0;
	while (*sent < len) {
		/* MSG_NOSIGNAL: a daemon gone away must not SIGPIPE us. */
		n = send(fd, buf + *sent, len - *sent, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		*sent += (size_t)n;
	}
	return 0;
}

/*
 * Send a command, connecting first if the last connection broke. A
 * connection the daemon closed while we were idle (restart, idle timeout)
 * refuses the first byte with EPIPE or ECONNRESET: nothing reached the
 * daemon then, so the command is sent once more on a new connection.
 */
static int
tcti_proxy_send_command(struct tcti_proxy_context *ctx, const uint8_t *command,
    size_t size)
{
	bool fresh = false;
	size_t sent;
	int error, fd;

	for (;;) {
		if (ctx->fd == -1) {
			if ((fd = tcti_proxy_connect(ctx->path)) < 0)
				return fd;
			ctx->fd = fd;
			fresh = true;
		}
		error = tcti_proxy_send_all(ctx->fd, command, size, &sent);
		if (error == 0)
			return 0;
		/* Part of a command may be out: the stream is unusable. */
		tcti_proxy_disconnect(ctx);
		if (fresh || sent != 0 ||
		    (error != -EPIPE && error != -ECONNRESET))
			return error;
	}
}

/* Milliseconds left before the caller's timeout, -1 for no limit. */
static int
tcti_proxy_time_left(int32_t timeout, const struct timespec *start)
{
	struct timespec now;
	int64_t elapsed;

	if (timeout == TSS2_TCTI_TIMEOUT_BLOCK)
		return -1;
	if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
		return 0;
	elapsed = ((int64_t)(now.tv_sec - start->tv_sec) * 1000000000 +
	    (now.tv_nsec - start->tv_nsec)) / 1000000;
	if (elapsed >= timeout)
		return 0;
	return (int)(timeout - elapsed);
}

/*
 * Read until `want` response bytes are in or the timeout passes
 * (-ETIMEDOUT, bytes kept). Reads never go past `want`: the next
 * response's bytes stay in the socket, where poll() can see them.
 */
static int
tcti_proxy_fill(struct tcti_proxy_context *ctx, size_t want, int32_t timeout,
    const struct timespec *start)
{
	struct pollfd pfd;
	uint8_t *dst;
	ssize_t n;
	int ready;

	while (ctx->received < want) {
		pfd.fd = ctx->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		ready = poll(&pfd, 1, tcti_proxy_time_left(timeout, start));
		if (ready == -1) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (ready == 0)
			return -ETIMEDOUT;
		/* POLLHUP, POLLERR too: recv() tells EOF or the error. */
		dst = ctx->response != NULL ? ctx->response : ctx->header;
		n = recv(ctx->fd, dst + ctx->received, want - ctx->received,
		    MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == EWOULDBLOCK)
				continue;
			return -errno;
		}
		if (n == 0)
			return ctx->received == 0 ? -ENOTCONN : -ECONNRESET;
		ctx->received += (size_t)n;
	}
	return 0;
}

/* Check the size field of a complete header and make room for the response. */
static int
tcti_proxy_header_parse(struct tcti_proxy_context *ctx)
{
	uint32_t size;

	size = tcti_proxy_get_u32(ctx->header + 2);
	if (size < TCTI_PROXY_HEADER_SIZE || size > TCTI_PROXY_RESPONSE_MAX)
		return -EBADMSG;
	ctx->response = malloc(size);
	if (ctx->response == NULL)
		return -ENOMEM;
	memcpy(ctx->response, ctx->header, TCTI_PROXY_HEADER_SIZE);
	ctx->response_size = size;
	return 0;
}

/* Map a receive failure to a TSS2_RC; all but a timeout end the connection. */
static TSS2_RC
tcti_proxy_receive_fail(struct tcti_proxy_context *ctx, int error)
{
	if (error == -ETIMEDOUT)
		return TSS2_TCTI_RC_TRY_AGAIN;
	tcti_proxy_disconnect(ctx);
	tcti_proxy_response_reset(ctx);
	ctx->state = TCTI_PROXY_STATE_TRANSMIT;
	switch (error) {
	case -ENOTCONN:
		/* EOF before any byte: closed by the daemon (tcti-device). */
		return TSS2_TCTI_RC_NO_CONNECTION;
	case -EBADMSG:
		return TSS2_TCTI_RC_MALFORMED_RESPONSE;
	case -ENOMEM:
		return TSS2_TCTI_RC_MEMORY;
	default:
		return TSS2_TCTI_RC_IO_ERROR;
	}
}

/* Send one command; the size argument must match the header's size field. */
TSS2_RC
tcti_proxy_transmit(TSS2_TCTI_CONTEXT *tcti, size_t size,
    const uint8_t *command)
{
	struct tcti_proxy_context *ctx;
	TSS2_RC rc;

	if ((rc = tcti_proxy_context_get(tcti, &ctx)) != TSS2_RC_SUCCESS)
		return rc;
	if (ctx->state != TCTI_PROXY_STATE_TRANSMIT)
		return TSS2_TCTI_RC_BAD_SEQUENCE;
	if (command == NULL)
		return TSS2_TCTI_RC_BAD_REFERENCE;
	/*
	 * The daemon frames by the size field and closes a connection whose
	 * framing is broken, so a mismatch is refused here, before any byte.
	 */
	if (size < TCTI_PROXY_HEADER_SIZE ||
	    tcti_proxy_get_u32(command + 2) != size)
		return TSS2_TCTI_RC_BAD_VALUE;
	if (tcti_proxy_send_command(ctx, command, size) != 0)
		return TSS2_TCTI_RC_IO_ERROR;
	tcti_proxy_response_reset(ctx);
	ctx->state = TCTI_PROXY_STATE_RECEIVE;
	return TSS2_RC_SUCCESS;
}

/*
 * Receive the response to the last command. With response == NULL, return
 * its size once the header is in, so the caller can allocate and call again.
 */
TSS2_RC
tcti_proxy_receive(TSS2_TCTI_CONTEXT *tcti, size_t *size, uint8_t *response,
    int32_t timeout)
{
	struct tcti_proxy_context *ctx;
	struct timespec start = { 0, 0 };
	TSS2_RC rc;
	int error;

	if ((rc = tcti_proxy_context_get(tcti, &ctx)) != TSS2_RC_SUCCESS)
		return rc;
	if (ctx->state != TCTI_PROXY_STATE_RECEIVE)
		return TSS2_TCTI_RC_BAD_SEQUENCE;
	if (size == NULL)
		return TSS2_TCTI_RC_BAD_REFERENCE;
	if (timeout < TSS2_TCTI_TIMEOUT_BLOCK)
		return TSS2_TCTI_RC_BAD_VALUE;
	if (timeout != TSS2_TCTI_TIMEOUT_BLOCK)
		(void)clock_gettime(CLOCK_MONOTONIC, &start);

	if (ctx->response == NULL) {
		error = tcti_proxy_fill(ctx, TCTI_PROXY_HEADER_SIZE, timeout,
		    &start);
		if (error == 0)
			error = tcti_proxy_header_parse(ctx);
		if (error != 0)
			return tcti_proxy_receive_fail(ctx, error);
	}
	if (response == NULL) {
		*size = ctx->response_size;
		return TSS2_RC_SUCCESS;
	}
	/* As tcti-mssim: report the size, keep the response for a retry. */
	if (*size < ctx->response_size) {
		*size = ctx->response_size;
		return TSS2_TCTI_RC_INSUFFICIENT_BUFFER;
	}
	error = tcti_proxy_fill(ctx, ctx->response_size, timeout, &start);
	if (error != 0)
		return tcti_proxy_receive_fail(ctx, error);

	memcpy(response, ctx->response, ctx->response_size);
	*size = ctx->response_size;
	tcti_proxy_response_reset(ctx);
	ctx->state = TCTI_PROXY_STATE_TRANSMIT;
	return TSS2_RC_SUCCESS;
}

/* Close the connection; the caller frees the context memory itself. */
void
tcti_proxy_finalize(TSS2_TCTI_CONTEXT *tcti)
{
	struct tcti_proxy_context *ctx;

	if (tcti_proxy_context_get(tcti, &ctx) != TSS2_RC_SUCCESS)
		return;
	tcti_proxy_disconnect(ctx);
	tcti_proxy_response_reset(ctx);
	ctx->state = TCTI_PROXY_STATE_FINAL;
}

/* The socket protocol, like /dev/tpmrm0, has no way to cancel a command. */
TSS2_RC
tcti_proxy_cancel(TSS2_TCTI_CONTEXT *tcti)
{
	struct tcti_proxy_context *ctx;
	TSS2_RC rc;

	if ((rc = tcti_proxy_context_get(tcti, &ctx)) != TSS2_RC_SUCCESS)
		return rc;
	return TSS2_TCTI_RC_NOT_IMPLEMENTED;
}

/* Hand out the socket, so an event loop can wait for the response. */
TSS2_RC
tcti_proxy_get_poll_handles(TSS2_TCTI_CONTEXT *tcti,
    TSS2_TCTI_POLL_HANDLE *handles, size_t *num_handles)
{
	struct tcti_proxy_context *ctx;
	TSS2_RC rc;

	if ((rc = tcti_proxy_context_get(tcti, &ctx)) != TSS2_RC_SUCCESS)
		return rc;
	if (num_handles == NULL)
		return TSS2_TCTI_RC_BAD_REFERENCE;
	if (handles != NULL && *num_handles < 1)
		return TSS2_TCTI_RC_INSUFFICIENT_BUFFER;
	*num_handles = 1;
	if (handles != NULL) {
		handles->fd = ctx->fd;
		/*
		 * POLLIN only: a socket is nearly always writable, so POLLOUT
		 * (as tcti-device sets it) would wake the caller at once.
		 */
		handles->events = POLLIN;
		handles->revents = 0;
	}
	return TSS2_RC_SUCCESS;
}

/* The daemon decides the locality; clients cannot choose it. */
TSS2_RC
tcti_proxy_set_locality(TSS2_TCTI_CONTEXT *tcti, uint8_t locality)
{
	struct tcti_proxy_context *ctx;
	TSS2_RC rc;

	(void)locality;
	if ((rc = tcti_proxy_context_get(tcti, &ctx)) != TSS2_RC_SUCCESS)
		return rc;
	return TSS2_TCTI_RC_NOT_IMPLEMENTED;
}

/* Sticky handles are a tpm2-abrmd feature with no equivalent here. */
TSS2_RC
tcti_proxy_make_sticky(TSS2_TCTI_CONTEXT *tcti, TPM2_HANDLE *handle,
    uint8_t sticky)
{
	struct tcti_proxy_context *ctx;
	TSS2_RC rc;

	(void)handle;
	(void)sticky;
	if ((rc = tcti_proxy_context_get(tcti, &ctx)) != TSS2_RC_SUCCESS)
		return rc;
	return TSS2_TCTI_RC_NOT_IMPLEMENTED;
}

/* Fill in a context and connect it, so a wrong path fails here, early. */
TSS2_RC
Tss2_Tcti_Proxy_Init(TSS2_TCTI_CONTEXT *tcti, size_t *size, const char *conf)
{
	struct tcti_proxy_context *ctx = (struct tcti_proxy_context *)tcti;
	char path[sizeof ctx->path] = { 0 };
	int fd;

	if (tcti == NULL) {
		if (size == NULL)
			return TSS2_TCTI_RC_BAD_VALUE;
		*size = sizeof *ctx;
		return TSS2_RC_SUCCESS;
	}
	if (size != NULL && *size < sizeof *ctx)
		return TSS2_TCTI_RC_INSUFFICIENT_BUFFER;
	if (tcti_proxy_parse_conf(conf, path, sizeof path) != 0)
		return TSS2_TCTI_RC_BAD_VALUE;
	/* A context that failed to initialise has no magic: BAD_CONTEXT. */
	memset(ctx, 0, sizeof *ctx);
	ctx->fd = -1;
	if ((fd = tcti_proxy_connect(path)) < 0)
		return TSS2_TCTI_RC_IO_ERROR;

	TSS2_TCTI_MAGIC(tcti) = TCTI_PROXY_MAGIC;
	TSS2_TCTI_VERSION(tcti) = TCTI_PROXY_VERSION;
	TSS2_TCTI_TRANSMIT(tcti) = tcti_proxy_transmit;
	TSS2_TCTI_RECEIVE(tcti) = tcti_proxy_receive;
	TSS2_TCTI_FINALIZE(tcti) = tcti_proxy_finalize;
	TSS2_TCTI_CANCEL(tcti) = tcti_proxy_cancel;
	TSS2_TCTI_GET_POLL_HANDLES(tcti) = tcti_proxy_get_poll_handles;
	TSS2_TCTI_SET_LOCALITY(tcti) = tcti_proxy_set_locality;
	TSS2_TCTI_MAKE_STICKY(tcti) = tcti_proxy_make_sticky;
	ctx->state = TCTI_PROXY_STATE_TRANSMIT;
	ctx->fd = fd;
	memcpy(ctx->path, path, sizeof path);
	return TSS2_RC_SUCCESS;
}

/* Describe this TCTI to tctildr, which finds it by this symbol. */
const TSS2_TCTI_INFO *
Tss2_Tcti_Info(void)
{
	return &tcti_proxy_info;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Load generator: the counting TCTI, the raw socket TCTI and raw I/O. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <tss2/tss2_tcti.h>

#include "loadgen.h"

/* Big-endian 32-bit load (TPM 2.0 Part 1, 18.2). */
static uint32_t
lg_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static struct lg_count_tcti *
lg_count_cast(TSS2_TCTI_CONTEXT *ctx)
{
	return (struct lg_count_tcti *)(void *)ctx;
}

static TSS2_RC
lg_count_transmit(TSS2_TCTI_CONTEXT *ctx, size_t size, const uint8_t *cmd)
{
	struct lg_count_tcti *t = lg_count_cast(ctx);

	(*t->sent)++;
	return Tss2_Tcti_Transmit(t->child, size, cmd);
}

static TSS2_RC
lg_count_receive(TSS2_TCTI_CONTEXT *ctx, size_t *size, uint8_t *rsp,
    int32_t timeout)
{
	return Tss2_Tcti_Receive(lg_count_cast(ctx)->child, size, rsp, timeout);
}

static void
lg_count_finalize(TSS2_TCTI_CONTEXT *ctx)
{
	(void)ctx;	/* the child is finalized by its owner */
}

static TSS2_RC
lg_count_cancel(TSS2_TCTI_CONTEXT *ctx)
{
	return Tss2_Tcti_Cancel(lg_count_cast(ctx)->child);
}

static TSS2_RC
lg_count_poll(TSS2_TCTI_CONTEXT *ctx, TSS2_TCTI_POLL_HANDLE *handles,
    size_t *num)
{
	return Tss2_Tcti_GetPollHandles(lg_count_cast(ctx)->child, handles, num);
}

static TSS2_RC
lg_count_locality(TSS2_TCTI_CONTEXT *ctx, uint8_t locality)
{
	return Tss2_Tcti_SetLocality(lg_count_cast(ctx)->child, locality);
}

static TSS2_RC
lg_count_sticky(TSS2_TCTI_CONTEXT *ctx, TPM2_HANDLE *handle, uint8_t sticky)
{
	return Tss2_Tcti_MakeSticky(lg_count_cast(ctx)->child, handle, sticky);
}

/* Make t a counting wrapper around child, so an Esys call that ESAPI
 * resends (TPM_RC_RETRY) counts as the commands it really sent. */
void
lg_count_tcti_init(struct lg_count_tcti *t, TSS2_TCTI_CONTEXT *child,
    unsigned long *sent)
{
	memset(t, 0, sizeof(*t));
	t->common.v1.magic = 0x6c6f616467656e31ULL;	/* "loadgen1" */
	t->common.v1.version = 2;
	t->common.v1.transmit = lg_count_transmit;
	t->common.v1.receive = lg_count_receive;
	t->common.v1.finalize = lg_count_finalize;
	t->common.v1.cancel = lg_count_cancel;
	t->common.v1.getPollHandles = lg_count_poll;
	t->common.v1.setLocality = lg_count_locality;
	t->common.makeSticky = lg_count_sticky;
	t->child = child;
	t->sent = sent;
}

/* Connect to a unix stream socket; the fd or -errno. */
int
lg_sock_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, e;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

/* Write all of buf; 0 or -errno. */
static int
lg_write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read one response, framed by its header's size field; its size or
 * -errno. One read() usually brings it all: the daemon writes it whole. */
static int
lg_read_response(int fd, uint8_t *rsp, size_t cap)
{
	size_t have = 0, want = 10;

	while (have < want) {
		ssize_t n = read(fd, rsp + have, cap - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		have += (size_t)n;
		if (have >= 10) {
			want = lg_get_u32(rsp + 2);
			if (want < 10 || want > cap)
				return -EBADMSG;
		}
	}
	return (int)have;
}

/* Send a command on a raw connection and read its response: the
 * response's size, or -errno. */
int
lg_sock_roundtrip(int fd, const uint8_t *cmd, size_t len, uint8_t *rsp,
    size_t cap)
{
	int r = lg_write_all(fd, cmd, len);

	return r != 0 ? r : lg_read_response(fd, rsp, cap);
}

static struct lg_sock_tcti *
lg_sock_cast(TSS2_TCTI_CONTEXT *ctx)
{
	return (struct lg_sock_tcti *)(void *)ctx;
}

static TSS2_RC
lg_sock_transmit(TSS2_TCTI_CONTEXT *ctx, size_t size, const uint8_t *cmd)
{
	struct lg_sock_tcti *t = lg_sock_cast(ctx);

	t->have = 0;
	return lg_write_all(t->fd, cmd, size) == 0 ? TSS2_RC_SUCCESS :
	    TSS2_TCTI_RC_IO_ERROR;
}

/* Receive; with rsp NULL, only the size (the response stays buffered). */
static TSS2_RC
lg_sock_receive(TSS2_TCTI_CONTEXT *ctx, size_t *size, uint8_t *rsp,
    int32_t timeout)
{
	struct lg_sock_tcti *t = lg_sock_cast(ctx);
	int n;

	(void)timeout;	/* always blocks: fine for a benchmark */
	if (t->have == 0) {
		n = lg_read_response(t->fd, t->rsp, sizeof(t->rsp));
		if (n < 0)
			return TSS2_TCTI_RC_IO_ERROR;
		t->have = (size_t)n;
	}
	if (rsp == NULL) {
		*size = t->have;
		return TSS2_RC_SUCCESS;
	}
	if (*size < t->have) {
		*size = t->have;
		return TSS2_TCTI_RC_INSUFFICIENT_BUFFER;
	}
	memcpy(rsp, t->rsp, t->have);
	*size = t->have;
	t->have = 0;
	return TSS2_RC_SUCCESS;
}

static void
lg_sock_finalize(TSS2_TCTI_CONTEXT *ctx)
{
	(void)ctx;	/* the fd belongs to the client */
}

static TSS2_RC
lg_sock_not_implemented(TSS2_TCTI_CONTEXT *ctx)
{
	(void)ctx;
	return TSS2_TCTI_RC_NOT_IMPLEMENTED;
}

static TSS2_RC
lg_sock_poll(TSS2_TCTI_CONTEXT *ctx, TSS2_TCTI_POLL_HANDLE *handles,
    size_t *num)
{
	(void)ctx;
	(void)handles;
	(void)num;
	return TSS2_TCTI_RC_NOT_IMPLEMENTED;
}

static TSS2_RC
lg_sock_locality(TSS2_TCTI_CONTEXT *ctx, uint8_t locality)
{
	(void)ctx;
	(void)locality;
	return TSS2_TCTI_RC_NOT_IMPLEMENTED;
}

static TSS2_RC
lg_sock_sticky(TSS2_TCTI_CONTEXT *ctx, TPM2_HANDLE *handle, uint8_t sticky)
{
	(void)ctx;
	(void)handle;
	(void)sticky;
	return TSS2_TCTI_RC_NOT_IMPLEMENTED;
}

/* Make t a TCTI over the connected socket fd. */
void
lg_sock_tcti_init(struct lg_sock_tcti *t, int fd)
{
	memset(t, 0, sizeof(*t));
	t->common.v1.magic = 0x6c6f616467656e32ULL;	/* "loadgen2" */
	t->common.v1.version = 2;
	t->common.v1.transmit = lg_sock_transmit;
	t->common.v1.receive = lg_sock_receive;
	t->common.v1.finalize = lg_sock_finalize;
	t->common.v1.cancel = lg_sock_not_implemented;
	t->common.v1.getPollHandles = lg_sock_poll;
	t->common.v1.setLocality = lg_sock_locality;
	t->common.makeSticky = lg_sock_sticky;
	t->fd = fd;
}

/* Load the TCTI libraries a conf string names (pcap:swtpm:... names two)
 * and never unload them, so that connection churn measures connections,
 * not tctildr's dlopen and dlclose of a library nobody else holds. */
void
lg_tcti_preload(const char *conf)
{
	const char *p = conf;

	for (;;) {
		const char *colon = strchr(p, ':');
		size_t n = colon != NULL ? (size_t)(colon - p) : strlen(p);
		char lib[96];

		if (n == 0 || n > 32)
			return;
		snprintf(lib, sizeof(lib), "libtss2-tcti-%.*s.so.0", (int)n, p);
		(void)dlopen(lib, RTLD_NOW | RTLD_GLOBAL);
		if (colon == NULL || strncmp(p, "pcap:", 5) != 0)
			return;
		p = colon + 1;
	}
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* The least a proxy process can do: one thread, blocking I/O, one client at
 * a time, each TPM command read from a unix socket, sent through a TCTI,
 * and its response written back; no resource manager, no policy. bench/
 * run.sh measures it beside tpmproxyd as the floor of putting any process
 * between a client and the TPM. Not for use with more than one client. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#define RELAY_MAX 4096

/* Read exactly len bytes; 0, or -1 on EOF or error. */
static int
relay_read(int fd, uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = read(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write all of buf; 0 or -1. */
static int
relay_write(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Serve one connection until it closes or breaks its framing. */
static void
relay_serve(int fd, TSS2_TCTI_CONTEXT *tcti)
{
	uint8_t cmd[RELAY_MAX], rsp[RELAY_MAX];

	for (;;) {
		size_t size, rsp_size = sizeof(rsp);
		TSS2_RC rc;

		if (relay_read(fd, cmd, 10) != 0)
			return;
		size = (size_t)cmd[2] << 24 | (size_t)cmd[3] << 16 |
		    (size_t)cmd[4] << 8 | cmd[5];
		if (size < 10 || size > sizeof(cmd) ||
		    relay_read(fd, cmd + 10, size - 10) != 0)
			return;
		rc = Tss2_Tcti_Transmit(tcti, size, cmd);
		if (rc == TSS2_RC_SUCCESS)
			rc = Tss2_Tcti_Receive(tcti, &rsp_size, rsp,
			    TSS2_TCTI_TIMEOUT_BLOCK);
		if (rc != TSS2_RC_SUCCESS) {
			fprintf(stderr, "relay: %s\n", Tss2_RC_Decode(rc));
			return;
		}
		if (relay_write(fd, rsp, rsp_size) != 0)
			return;
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *conf = NULL, *path = NULL, *pidfile = NULL;
	TSS2_TCTI_CONTEXT *tcti = NULL;
	TSS2_RC rc;
	FILE *f;
	int ch, lfd;

	while ((ch = getopt(argc, argv, "T:s:p:")) != -1) {
		switch (ch) {
		case 'T': conf = optarg; break;
		case 's': path = optarg; break;
		case 'p': pidfile = optarg; break;
		default: conf = NULL; optind = argc; break;
		}
	}
	if (conf == NULL || path == NULL || strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: relay -T TCTI -s SOCKET [-p PIDFILE]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	rc = Tss2_TctiLdr_Initialize(conf, &tcti);
	if (rc != TSS2_RC_SUCCESS) {
		fprintf(stderr, "relay: %s: %s\n", conf, Tss2_RC_Decode(rc));
		return 1;
	}
	strcpy(sun.sun_path, path);
	unlink(path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(lfd, 64) != 0) {
		perror("relay");
		return 1;
	}
	if (pidfile != NULL && (f = fopen(pidfile, "w")) != NULL) {
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
	}
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("relay: accept");
			return 1;
		}
		relay_serve(fd, tcti);
		close(fd);
	}
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness for src/frame.c: framing and bounded reads of the
 * handle and authorization areas, as the daemon applies them to client
 * bytes. */
#include <stddef.h>
#include <stdint.h>

#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Walk a command's authorization area the way the resource manager does. */
static void
fuzz_walk_auth_area(const uint8_t *data, size_t size, unsigned handles)
{
	struct frame_reader r;
	uint32_t auth_size, session;
	uint8_t attrs;
	size_t end;

	frame_reader_init(&r, data, size);
	if (frame_skip(&r, FRAME_HEADER_SIZE + 4 * (size_t)handles) != 0 ||
	    frame_read_u32(&r, &auth_size) != 0 || auth_size > size - r.off)
		return;
	end = r.off + auth_size;
	while (r.off < end) {
		if (frame_read_u32(&r, &session) != 0 ||
		    frame_skip_sized(&r) != 0 || frame_read_u8(&r, &attrs) != 0 ||
		    frame_skip_sized(&r) != 0)
			return;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_header hdr;
	uint8_t rsp[FRAME_HEADER_SIZE];

	/* Pipelined input: consume frames as the connection layer does. */
	while (frame_check(data, size, 4096, &hdr) == FRAME_READY) {
		for (unsigned h = 0; h <= 3; h++)
			fuzz_walk_auth_area(data, hdr.size, h);
		data += hdr.size;
		size -= hdr.size;
	}
	frame_error_response(rsp, sizeof(rsp), hdr.code);
	return 0;
}

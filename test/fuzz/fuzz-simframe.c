/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness for src/simframe.c: a stream of simulator frames cut
 * the way the daemon cuts a connection's input. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "simframe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct simframe sf;
	size_t off = 0;

	while (off < size) {
		switch (simframe_check(data + off, size - off, 4096, &sf)) {
		case SIMFRAME_COMMAND:
			assert(sf.length >= FRAME_HEADER_SIZE &&
			    sf.length <= 4096 &&
			    SIMFRAME_PREFIX_SIZE + (size_t)sf.length <=
			    size - off);
			assert(frame_get_u32(data + off +
			    SIMFRAME_PREFIX_SIZE + 2) == sf.length);
			off += SIMFRAME_PREFIX_SIZE + sf.length;
			break;
		default:
			return 0;
		}
	}
	return 0;
}

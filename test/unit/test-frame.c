/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of src/frame.c: header parsing, size checks, bounded reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "frame.h"

/* A GetRandom(8) command: tag 8001, size 12, code 0x17b, bytesRequested. */
static const uint8_t get_random[] = {
	0x80, 0x01, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x01, 0x7b, 0x00, 0x08,
};

static void
frame_check_ready(void **state)
{
	struct frame_header hdr;

	assert_int_equal(frame_check(get_random, sizeof(get_random), 4096,
	    &hdr), FRAME_READY);
	assert_int_equal(hdr.tag, 0x8001);
	assert_int_equal(hdr.size, 12);
	assert_int_equal(hdr.code, 0x17b);
}

static void
frame_check_truncated_header(void **state)
{
	struct frame_header hdr;

	for (size_t n = 0; n < FRAME_HEADER_SIZE; n++)
		assert_int_equal(frame_check(get_random, n, 4096, &hdr),
		    FRAME_INCOMPLETE);
}

static void
frame_check_truncated_body(void **state)
{
	struct frame_header hdr;

	assert_int_equal(frame_check(get_random, 11, 4096, &hdr),
	    FRAME_INCOMPLETE);
	assert_int_equal(hdr.size, 12);
}

static void
frame_check_size_below_header(void **state)
{
	uint8_t buf[sizeof(get_random)];
	struct frame_header hdr;

	memcpy(buf, get_random, sizeof(buf));
	for (uint32_t size = 0; size < FRAME_HEADER_SIZE; size++) {
		frame_put_u32(buf + 2, size);
		assert_int_equal(frame_check(buf, sizeof(buf), 4096, &hdr),
		    FRAME_TOO_SMALL);
	}
}

static void
frame_check_size_above_max(void **state)
{
	uint8_t buf[sizeof(get_random)];
	struct frame_header hdr;

	memcpy(buf, get_random, sizeof(buf));
	frame_put_u32(buf + 2, 4097);
	assert_int_equal(frame_check(buf, sizeof(buf), 4096, &hdr),
	    FRAME_TOO_LARGE);
	frame_put_u32(buf + 2, 0xffffffff);
	assert_int_equal(frame_check(buf, sizeof(buf), 4096, &hdr),
	    FRAME_TOO_LARGE);
	/* Exactly the maximum is fine, it is just not all here yet. */
	frame_put_u32(buf + 2, 4096);
	assert_int_equal(frame_check(buf, sizeof(buf), 4096, &hdr),
	    FRAME_INCOMPLETE);
}

static void
frame_check_extra_bytes(void **state)
{
	uint8_t buf[sizeof(get_random) * 2];
	struct frame_header hdr;

	/* Pipelined commands: the first is ready, its size says where the
	 * next begins. */
	memcpy(buf, get_random, sizeof(get_random));
	memcpy(buf + sizeof(get_random), get_random, sizeof(get_random));
	assert_int_equal(frame_check(buf, sizeof(buf), 4096, &hdr),
	    FRAME_READY);
	assert_int_equal(hdr.size, sizeof(get_random));
}

static void
frame_error_response_layout(void **state)
{
	uint8_t buf[16];

	assert_int_equal(frame_error_response(buf, sizeof(buf), 0x000b0101),
	    FRAME_HEADER_SIZE);
	assert_int_equal(frame_get_u16(buf), 0x8001);
	assert_int_equal(frame_get_u32(buf + 2), 10);
	assert_int_equal(frame_get_u32(buf + 6), 0x000b0101);
	assert_int_equal(frame_error_response(buf, 9, 0), 0);
}

static void
frame_reader_bounds(void **state)
{
	static const uint8_t bytes[] = { 0x00, 0x02, 0xaa, 0xbb, 0x01 };
	struct frame_reader r;
	uint32_t v32;
	uint16_t v16;
	uint8_t v8;

	frame_reader_init(&r, bytes, sizeof(bytes));
	assert_int_equal(frame_skip_sized(&r), 0);
	assert_int_equal(r.off, 4);
	assert_int_equal(frame_read_u8(&r, &v8), 0);
	assert_int_equal(v8, 1);
	assert_int_equal(frame_read_u8(&r, &v8), -EBADMSG);
	assert_int_equal(frame_read_u16(&r, &v16), -EBADMSG);
	assert_int_equal(frame_read_u32(&r, &v32), -EBADMSG);
	assert_int_equal(frame_skip(&r, 1), -EBADMSG);
	assert_int_equal(frame_skip(&r, 0), 0);

	/* A TPM2B that claims more than there is. */
	frame_reader_init(&r, bytes + 1, 3);
	assert_int_equal(frame_skip_sized(&r), -EBADMSG);
	/* A skip large enough to wrap an unchecked addition. */
	frame_reader_init(&r, bytes, sizeof(bytes));
	assert_int_equal(frame_skip(&r, 2), 0);
	assert_int_equal(frame_skip(&r, SIZE_MAX), -EBADMSG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(frame_check_ready),
		cmocka_unit_test(frame_check_truncated_header),
		cmocka_unit_test(frame_check_truncated_body),
		cmocka_unit_test(frame_check_size_below_header),
		cmocka_unit_test(frame_check_size_above_max),
		cmocka_unit_test(frame_check_extra_bytes),
		cmocka_unit_test(frame_error_response_layout),
		cmocka_unit_test(frame_reader_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

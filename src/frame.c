/* SPDX-License-Identifier: BSD-2-Clause */
/* TPM 2.0 command/response framing: header parsing and size checks (pure). */
#include "frame.h"

#include <errno.h>

/* Big-endian 16-bit load (TPM2 Part 1, 18.2: all integers are big-endian). */
uint16_t
frame_get_u16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

/* Big-endian 32-bit load. */
uint32_t
frame_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Big-endian 16-bit store. */
void
frame_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Big-endian 32-bit store. */
void
frame_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Decode the 10-byte header; buf must hold at least FRAME_HEADER_SIZE bytes. */
void
frame_header_decode(const uint8_t *buf, struct frame_header *hdr)
{
	hdr->tag = frame_get_u16(buf);
	hdr->size = frame_get_u32(buf + 2);
	hdr->code = frame_get_u32(buf + 6);
}

/* Decide whether avail bytes hold a whole, acceptable frame. */
enum frame_status
frame_check(const uint8_t *buf, size_t avail, uint32_t max_size,
    struct frame_header *hdr)
{
	if (avail < FRAME_HEADER_SIZE)
		return FRAME_INCOMPLETE;
	frame_header_decode(buf, hdr);
	if (hdr->size < FRAME_HEADER_SIZE)
		return FRAME_TOO_SMALL;
	if (hdr->size > max_size)
		return FRAME_TOO_LARGE;
	if (avail < hdr->size)
		return FRAME_INCOMPLETE;
	return FRAME_READY;
}

/* Write a header-only TPM response carrying rc; returns its size or 0. */
size_t
frame_error_response(uint8_t *buf, size_t cap, uint32_t rc)
{
	if (cap < FRAME_HEADER_SIZE)
		return 0;
	frame_put_u16(buf, FRAME_TAG_NO_SESSIONS);
	frame_put_u32(buf + 2, FRAME_HEADER_SIZE);
	frame_put_u32(buf + 6, rc);
	return FRAME_HEADER_SIZE;
}

/* Start reading len bytes at buf. */
void
frame_reader_init(struct frame_reader *r, const uint8_t *buf, size_t len)
{
	r->buf = buf;
	r->len = len;
	r->off = 0;
}

/* Whether n more bytes are available. */
static int
frame_need(const struct frame_reader *r, size_t n)
{
	return r->off <= r->len && n <= r->len - r->off ? 0 : -EBADMSG;
}

/* Read one byte; -EBADMSG past the end. */
int
frame_read_u8(struct frame_reader *r, uint8_t *v)
{
	if (frame_need(r, 1) != 0)
		return -EBADMSG;
	*v = r->buf[r->off++];
	return 0;
}

/* Read a big-endian 16-bit value; -EBADMSG past the end. */
int
frame_read_u16(struct frame_reader *r, uint16_t *v)
{
	if (frame_need(r, 2) != 0)
		return -EBADMSG;
	*v = frame_get_u16(r->buf + r->off);
	r->off += 2;
	return 0;
}

/* Read a big-endian 32-bit value; -EBADMSG past the end. */
int
frame_read_u32(struct frame_reader *r, uint32_t *v)
{
	if (frame_need(r, 4) != 0)
		return -EBADMSG;
	*v = frame_get_u32(r->buf + r->off);
	r->off += 4;
	return 0;
}

/* Skip n bytes; -EBADMSG past the end. */
int
frame_skip(struct frame_reader *r, size_t n)
{
	if (frame_need(r, n) != 0)
		return -EBADMSG;
	r->off += n;
	return 0;
}

/* Skip a TPM2B (16-bit size, then that many bytes). */
int
frame_skip_sized(struct frame_reader *r)
{
	uint16_t n;

	if (frame_read_u16(r, &n) != 0)
		return -EBADMSG;
	return frame_skip(r, n);
}

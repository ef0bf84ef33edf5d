/* SPDX-License-Identifier: BSD-2-Clause */
/* TPM 2.0 command/response framing: header parsing and size checks (pure). */
#ifndef TPMPROXY_FRAME_H
#define TPMPROXY_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HEADER_SIZE 10
/* Never trust a TPM that reports less; TPM2 Part 2 requires 1024 at least. */
#define FRAME_MIN_MAX_SIZE 1024

#define FRAME_TAG_NO_SESSIONS 0x8001
#define FRAME_TAG_SESSIONS 0x8002

/* Header fields shared by commands (code = command code) and responses
 * (code = response code). */
struct frame_header {
	uint16_t tag;
	uint32_t size;
	uint32_t code;
};

enum frame_status {
	FRAME_INCOMPLETE,   /* need more bytes; hdr valid once avail >= 10 */
	FRAME_READY,        /* a whole frame of hdr.size bytes is available */
	FRAME_TOO_SMALL,    /* declared size < 10: framing is broken */
	FRAME_TOO_LARGE,    /* declared size > the allowed maximum */
};

/* Bounds-checked reader over untrusted bytes. */
struct frame_reader {
	const uint8_t *buf;
	size_t len;
	size_t off;
};

uint16_t frame_get_u16(const uint8_t *p);
uint32_t frame_get_u32(const uint8_t *p);
void frame_put_u16(uint8_t *p, uint16_t v);
void frame_put_u32(uint8_t *p, uint32_t v);

void frame_header_decode(const uint8_t *buf, struct frame_header *hdr);
enum frame_status frame_check(const uint8_t *buf, size_t avail,
    uint32_t max_size, struct frame_header *hdr);
size_t frame_error_response(uint8_t *buf, size_t cap, uint32_t rc);

void frame_reader_init(struct frame_reader *r, const uint8_t *buf, size_t len);
int frame_read_u8(struct frame_reader *r, uint8_t *v);
int frame_read_u16(struct frame_reader *r, uint16_t *v);
int frame_read_u32(struct frame_reader *r, uint32_t *v);
int frame_skip(struct frame_reader *r, size_t n);
int frame_skip_sized(struct frame_reader *r);

#endif

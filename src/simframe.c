/* SPDX-License-Identifier: BSD-2-Clause */
/* The TPM simulator protocol on a data socket (pure).
 *
 * tcti-mssim wraps each command as u32 TPM_SEND_COMMAND (8), a locality
 * byte and a u32 length, and reads back u32 length, the response and a
 * u32 0 (the simulator's TpmTcpProtocol.h; big-endian like the TPM's own
 * integers). A raw TPM command starts with its tag (80 01 or 80 02), a
 * simulator frame with the high byte of a small code (00): the first byte
 * of a connection tells the two apart. The length must agree with the
 * size in the command's own header, or the stream cannot be trusted to
 * stay in step. */
#include "simframe.h"

#include "frame.h"

/* Whether a connection whose first byte is this speaks the simulator
 * protocol (else raw TPM commands). */
bool
simframe_is_simulator(uint8_t first_byte)
{
	return first_byte == 0x00;
}

/* Decide whether avail bytes at buf start with a whole, acceptable
 * simulator frame; out is filled as far as the bytes go. */
enum simframe_status
simframe_check(const uint8_t *buf, size_t avail, uint32_t max_size,
    struct simframe *out)
{
	uint32_t inner;

	out->code = 0;
	out->locality = 0;
	out->length = 0;
	if (avail < 4)
		return SIMFRAME_INCOMPLETE;
	out->code = frame_get_u32(buf);
	if (out->code == SIMFRAME_CODE_SESSION_END)
		return SIMFRAME_SESSION_END;
	if (out->code != SIMFRAME_CODE_SEND)
		return SIMFRAME_UNKNOWN_CODE;
	if (avail < SIMFRAME_PREFIX_SIZE)
		return SIMFRAME_INCOMPLETE;
	out->locality = buf[4];
	out->length = frame_get_u32(buf + 5);
	if (out->length < FRAME_HEADER_SIZE || out->length > max_size)
		return SIMFRAME_BAD_LENGTH;
	if (avail < SIMFRAME_PREFIX_SIZE + FRAME_HEADER_SIZE)
		return SIMFRAME_INCOMPLETE;
	inner = frame_get_u32(buf + SIMFRAME_PREFIX_SIZE + 2);
	if (inner != out->length)
		return SIMFRAME_LENGTH_MISMATCH;
	if (avail - SIMFRAME_PREFIX_SIZE < out->length)
		return SIMFRAME_INCOMPLETE;
	return SIMFRAME_COMMAND;
}

/* The u32 length a simulator response starts with. */
void
simframe_response_prefix(uint8_t out[4], size_t response_len)
{
	frame_put_u32(out, (uint32_t)response_len);
}

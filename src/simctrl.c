/* SPDX-License-Identifier: BSD-2-Clause */
/* The simulator control channel SOCK.ctrl: MS-simulator platform and swtpm
 * control commands, answered from memory without touching the TPM (pure). */
#include "simctrl.h"

#include <stdio.h>
#include <string.h>

#include "frame.h"

/*
 * What was checked, and where:
 * - MS simulator codes: ms-tpm-20-ref
 *   TPMCmd/Simulator/include/TpmTcpProtocol.h.
 *   Its platform port (TcpServer.c, PlatformServer) answers every signal it
 *   knows with u32 0, returns without an answer on TPM_SESSION_END and
 *   TPM_STOP, and answers anything else with u32 1 and closes. The hash
 *   signals, TPM_SEND_COMMAND, TPM_REMOTE_HANDSHAKE and
 *   TPM_SET_ALTERNATIVE_RESULT belong to its TPM port, so on the platform
 *   port they are unknown commands too.
 * - tpm2-tss src/tss2-tcti/tcti-mssim.c: tcti_platform_command() writes the
 *   u32 code and wants exactly u32 0 back; simulator_setup() sends POWER_ON
 *   then NV_ON; cancel sends CANCEL_ON, the next receive CANCEL_OFF;
 *   finalize means to send SESSION_END, but send_sim_session_end() returns
 *   before writing once the code is marshalled, so it just closes (seen
 *   with 3.2.1 on Debian 12: POWER_ON, NV_ON, close).
 * - swtpm include/swtpm/tpm_ioctl.h (CMD_* codes, request and response
 *   structs, PTM_CAP_* bits) and src/swtpm/ctrlchannel.c: every answer
 *   starts with a u32 ptm_res; GET_CAPABILITY answers 8 bytes, a big-endian
 *   u64 caps whose high half is zero, which newer swtpm and QEMU name
 *   ptm_cap_n: ptm_res 0 then u32 caps;
 *   GET_TPMESTABLISHED answers sizeof(ptm_est.u.resp) = 8 bytes: ptm_res, the
 *   bit, 3 zero bytes of padding; SET_LOCALITY takes one byte and answers
 *   TPM_BAD_LOCALITY for a locality it refuses; HASH_DATA takes a u32 length
 *   and at most 4096 bytes; unknown codes get TPM_BAD_ORDINAL.
 * - libtpms include/libtpms/tpm_error.h: TPM_BAD_PARAMETER 3,
 *   TPM_BAD_ORDINAL 10 (0x0a), TPM_BAD_LOCALITY 61 (0x3d).
 * - tpm2-tss src/tss2-tcti/tcti-swtpm.c: tcti_control_command() connects
 *   to the control socket for each command, writes it, read()s the answer
 *   once (at most 64 bytes) and closes; Init and set_locality send only
 *   CMD_SET_LOCALITY; Tss2_Tcti_Swtpm_Reset sends CMD_INIT.
 */

/* MS simulator platform commands (TpmTcpProtocol.h). */
#define MSSIM_POWER_ON 1
#define MSSIM_POWER_OFF 2
#define MSSIM_PHYS_PRES_ON 3
#define MSSIM_PHYS_PRES_OFF 4
#define MSSIM_HASH_START 5
#define MSSIM_HASH_DATA 6
#define MSSIM_HASH_END 7
#define MSSIM_SEND_COMMAND 8
#define MSSIM_CANCEL_ON 9
#define MSSIM_CANCEL_OFF 10
#define MSSIM_NV_ON 11
#define MSSIM_NV_OFF 12
#define MSSIM_KEY_CACHE_ON 13
#define MSSIM_KEY_CACHE_OFF 14
#define MSSIM_REMOTE_HANDSHAKE 15
#define MSSIM_SET_ALTERNATIVE_RESULT 16
#define MSSIM_RESET 17
#define MSSIM_RESTART 18
#define MSSIM_SESSION_END 20
#define MSSIM_STOP 21
#define MSSIM_GET_COMMAND_RESPONSE_SIZES 25
#define MSSIM_TEST_FAILURE_MODE 30

/* The simulator's answer to a platform command it does not know. */
#define MSSIM_RC_UNKNOWN 1

/* swtpm control commands (tpm_ioctl.h, "Commands used by the non-CUSE
 * TPMs"). */
#define SWTPM_GET_CAPABILITY 0x01
#define SWTPM_INIT 0x02
#define SWTPM_SHUTDOWN 0x03
#define SWTPM_GET_TPMESTABLISHED 0x04
#define SWTPM_SET_LOCALITY 0x05
#define SWTPM_HASH_START 0x06
#define SWTPM_HASH_DATA 0x07
#define SWTPM_HASH_END 0x08
#define SWTPM_CANCEL_TPM_CMD 0x09
#define SWTPM_STORE_VOLATILE 0x0a
#define SWTPM_RESET_TPMESTABLISHED 0x0b
#define SWTPM_GET_STATEBLOB 0x0c
#define SWTPM_SET_STATEBLOB 0x0d
#define SWTPM_STOP 0x0e
#define SWTPM_GET_CONFIG 0x0f
#define SWTPM_SET_DATAFD 0x10
#define SWTPM_SET_BUFFERSIZE 0x11
#define SWTPM_GET_INFO 0x12
#define SWTPM_LOCK_STORAGE 0x13

/* ptm_res values swtpm answers with (libtpms tpm_error.h, TPM 1.2 codes). */
#define PTM_RES_SUCCESS 0
#define PTM_RES_BAD_PARAMETER 0x03
#define PTM_RES_BAD_ORDINAL 0x0a
#define PTM_RES_BAD_LOCALITY 0x3d

/* PTM_CAP_* bits (tpm_ioctl.h) of the commands answered with success. */
#define PTM_CAP_INIT (1u << 0)
#define PTM_CAP_SHUTDOWN (1u << 1)
#define PTM_CAP_GET_TPMESTABLISHED (1u << 2)
#define PTM_CAP_SET_LOCALITY (1u << 3)
#define PTM_CAP_CANCEL_TPM_CMD (1u << 5)
#define PTM_CAP_STOP (1u << 10)
#define SIMCTRL_SWTPM_CAPS (PTM_CAP_INIT | PTM_CAP_SHUTDOWN | \
	PTM_CAP_GET_TPMESTABLISHED | PTM_CAP_SET_LOCALITY | \
	PTM_CAP_CANCEL_TPM_CMD | PTM_CAP_STOP)

#define CODE_SIZE 4

enum mssim_action {
	MSSIM_DO_REFUSE = 0,    /* u32 1, then close, as the simulator does */
	MSSIM_DO_NOOP,          /* u32 0 */
	MSSIM_DO_END,           /* close without an answer: the normal end */
};

struct mssim_command {
	const char *name;
	enum mssim_action action;
	const char *why;    /* with MSSIM_DO_REFUSE */
};

static const struct mssim_command mssim_commands[] = {
	[MSSIM_POWER_ON] = { "power-on", MSSIM_DO_NOOP, NULL },
	[MSSIM_POWER_OFF] = { "power-off", MSSIM_DO_NOOP, NULL },
	[MSSIM_PHYS_PRES_ON] = { "phys-pres-on", MSSIM_DO_NOOP, NULL },
	[MSSIM_PHYS_PRES_OFF] = { "phys-pres-off", MSSIM_DO_NOOP, NULL },
	[MSSIM_HASH_START] = { "hash-start", MSSIM_DO_REFUSE,
	    "hash signals are refused" },
	[MSSIM_HASH_DATA] = { "hash-data", MSSIM_DO_REFUSE,
	    "hash signals are refused" },
	[MSSIM_HASH_END] = { "hash-end", MSSIM_DO_REFUSE,
	    "hash signals are refused" },
	[MSSIM_SEND_COMMAND] = { "send-command", MSSIM_DO_REFUSE,
	    "TPM commands go to the data socket" },
	[MSSIM_CANCEL_ON] = { "cancel-on", MSSIM_DO_NOOP, NULL },
	[MSSIM_CANCEL_OFF] = { "cancel-off", MSSIM_DO_NOOP, NULL },
	[MSSIM_NV_ON] = { "nv-on", MSSIM_DO_NOOP, NULL },
	[MSSIM_NV_OFF] = { "nv-off", MSSIM_DO_NOOP, NULL },
	[MSSIM_KEY_CACHE_ON] = { "key-cache-on", MSSIM_DO_NOOP, NULL },
	[MSSIM_KEY_CACHE_OFF] = { "key-cache-off", MSSIM_DO_NOOP, NULL },
	[MSSIM_REMOTE_HANDSHAKE] = { "remote-handshake", MSSIM_DO_REFUSE,
	    "not a platform command" },
	[MSSIM_SET_ALTERNATIVE_RESULT] = { "set-alternative-result",
	    MSSIM_DO_REFUSE, "not a platform command" },
	[MSSIM_RESET] = { "reset", MSSIM_DO_NOOP, NULL },
	[MSSIM_RESTART] = { "restart", MSSIM_DO_NOOP, NULL },
	[MSSIM_SESSION_END] = { "session-end", MSSIM_DO_END, NULL },
	[MSSIM_STOP] = { "stop", MSSIM_DO_END, NULL },
	[MSSIM_GET_COMMAND_RESPONSE_SIZES] = { "get-command-response-sizes",
	    MSSIM_DO_REFUSE, "not supported" },
	[MSSIM_TEST_FAILURE_MODE] = { "test-failure-mode", MSSIM_DO_REFUSE,
	    "would put the TPM in failure mode" },
};

enum swtpm_action {
	SWTPM_DO_REFUSE_CLOSE = 0, /* TPM_BAD_ORDINAL, close: payload unknown */
	SWTPM_DO_OK,            /* ptm_res 0 after a fixed payload */
	SWTPM_DO_CAPS,          /* ptm_res 0, u32 capability mask */
	SWTPM_DO_ESTABLISHED,   /* ptm_res 0, bit 0, 3 bytes of padding */
	SWTPM_DO_LOCALITY,      /* 1-byte locality: 0 is fine, others refused */
	SWTPM_DO_REFUSE,        /* TPM_BAD_ORDINAL, connection kept */
	SWTPM_DO_HASH_DATA,     /* u32 length + data, consumed, then refused */
	SWTPM_DO_END,           /* ptm_res 0, then close */
};

struct swtpm_command {
	const char *name;
	enum swtpm_action action;
	size_t payload;         /* fixed request bytes after the code */
	const char *why;        /* with a refusal */
};

static const struct swtpm_command swtpm_commands[] = {
	[SWTPM_GET_CAPABILITY] = { "get-capability", SWTPM_DO_CAPS, 0, NULL },
	[SWTPM_INIT] = { "init", SWTPM_DO_OK, 4, NULL },
	[SWTPM_SHUTDOWN] = { "shutdown", SWTPM_DO_OK, 0, NULL },
	[SWTPM_GET_TPMESTABLISHED] = { "get-tpmestablished",
	    SWTPM_DO_ESTABLISHED, 0, NULL },
	[SWTPM_SET_LOCALITY] = { "set-locality", SWTPM_DO_LOCALITY, 1, NULL },
	[SWTPM_HASH_START] = { "hash-start", SWTPM_DO_REFUSE, 0,
	    "hashing is refused" },
	[SWTPM_HASH_DATA] = { "hash-data", SWTPM_DO_HASH_DATA, 4,
	    "hashing is refused" },
	[SWTPM_HASH_END] = { "hash-end", SWTPM_DO_REFUSE, 0,
	    "hashing is refused" },
	[SWTPM_CANCEL_TPM_CMD] = { "cancel-tpm-cmd", SWTPM_DO_OK, 0, NULL },
	[SWTPM_STORE_VOLATILE] = { "store-volatile", SWTPM_DO_REFUSE_CLOSE, 0,
	    "not supported" },
	[SWTPM_RESET_TPMESTABLISHED] = { "reset-tpmestablished",
	    SWTPM_DO_REFUSE_CLOSE, 0, "not supported" },
	[SWTPM_GET_STATEBLOB] = { "get-stateblob", SWTPM_DO_REFUSE_CLOSE, 0,
	    "not supported" },
	[SWTPM_SET_STATEBLOB] = { "set-stateblob", SWTPM_DO_REFUSE_CLOSE, 0,
	    "not supported" },
	[SWTPM_STOP] = { "stop", SWTPM_DO_END, 0, NULL },
	[SWTPM_GET_CONFIG] = { "get-config", SWTPM_DO_REFUSE_CLOSE, 0,
	    "not supported" },
	[SWTPM_SET_DATAFD] = { "set-datafd", SWTPM_DO_REFUSE_CLOSE, 0,
	    "not supported" },
	[SWTPM_SET_BUFFERSIZE] = { "set-buffersize", SWTPM_DO_REFUSE_CLOSE, 0,
	    "not supported" },
	[SWTPM_GET_INFO] = { "get-info", SWTPM_DO_REFUSE_CLOSE, 0,
	    "not supported" },
	[SWTPM_LOCK_STORAGE] = { "lock-storage", SWTPM_DO_REFUSE_CLOSE, 0,
	    "not supported" },
};

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Name a dialect for the log. */
const char *
simctrl_dialect_name(enum simctrl_dialect dialect)
{
	switch (dialect) {
	case SIMCTRL_MSSIM:
		return "mssim";
	case SIMCTRL_SWTPM:
		return "swtpm";
	default:
		return "unknown";
	}
}

/* Set the answer to one big-endian u32 (a ptm_res or a simulator status). */
static void
simctrl_answer_u32(struct simctrl_step *out, uint32_t v)
{
	frame_put_u32(out->answer, v);
	out->answer_len = 4;
}

/* Mark the step refused, with a fixed reason. */
static void
simctrl_refuse(struct simctrl_step *out, const char *why)
{
	out->refused = true;
	out->why = why;
}

/* Mark the step refused, with a reason that names the command code. */
static void
simctrl_refuse_unknown(struct simctrl_step *out)
{
	snprintf(out->why_buf, sizeof(out->why_buf),
	    "unknown command 0x%08x", (unsigned)out->code);
	simctrl_refuse(out, out->why_buf);
}

/* One MS-simulator platform command: a u32 code and nothing else, since
 * every command that would carry a payload is refused by closing. */
static enum simctrl_result
simctrl_mssim(struct simctrl_step *out)
{
	const struct mssim_command *cmd = NULL;

	if (out->code < NELEMS(mssim_commands) &&
	    mssim_commands[out->code].name != NULL)
		cmd = &mssim_commands[out->code];
	out->consumed = CODE_SIZE;
	if (cmd == NULL) {
		simctrl_answer_u32(out, MSSIM_RC_UNKNOWN);
		simctrl_refuse_unknown(out);
		return SIMCTRL_CLOSE;
	}
	out->name = cmd->name;
	switch (cmd->action) {
	case MSSIM_DO_NOOP:
		simctrl_answer_u32(out, 0);
		return SIMCTRL_ANSWER;
	case MSSIM_DO_END:
		return SIMCTRL_CLOSE;
	case MSSIM_DO_REFUSE:
	default:
		simctrl_answer_u32(out, MSSIM_RC_UNKNOWN);
		simctrl_refuse(out, cmd->why);
		return SIMCTRL_CLOSE;
	}
}

/* swtpm HASH_DATA: u32 length, then that many bytes, consumed exactly so
 * the connection stays in step; a length beyond swtpm's own buffer is a
 * peer out of step, so it is closed rather than buffered. */
static enum simctrl_result
simctrl_swtpm_hash_data(const uint8_t *in, size_t len,
    const struct swtpm_command *cmd, struct simctrl_step *out)
{
	uint32_t data_len;

	if (len < CODE_SIZE + 4)
		return SIMCTRL_NEED_MORE;
	data_len = frame_get_u32(in + CODE_SIZE);
	if (data_len > SIMCTRL_HASH_DATA_MAX) {
		out->consumed = CODE_SIZE + 4;
		simctrl_answer_u32(out, PTM_RES_BAD_PARAMETER);
		snprintf(out->why_buf, sizeof(out->why_buf),
		    "hash-data length %u over %u", (unsigned)data_len,
		    (unsigned)SIMCTRL_HASH_DATA_MAX);
		simctrl_refuse(out, out->why_buf);
		return SIMCTRL_CLOSE;
	}
	if (len - (CODE_SIZE + 4) < data_len)
		return SIMCTRL_NEED_MORE;
	out->consumed = CODE_SIZE + 4 + data_len;
	simctrl_answer_u32(out, PTM_RES_BAD_ORDINAL);
	simctrl_refuse(out, cmd->why);
	return SIMCTRL_ANSWER;
}

/* One swtpm control command: a u32 code and its request payload. */
static enum simctrl_result
simctrl_swtpm(const uint8_t *in, size_t len, struct simctrl_step *out)
{
	const struct swtpm_command *cmd = NULL;
	uint8_t locality;

	if (out->code < NELEMS(swtpm_commands) &&
	    swtpm_commands[out->code].name != NULL)
		cmd = &swtpm_commands[out->code];
	if (cmd == NULL) {
		/* Without its payload length the stream cannot be followed. */
		out->consumed = CODE_SIZE;
		simctrl_answer_u32(out, PTM_RES_BAD_ORDINAL);
		simctrl_refuse_unknown(out);
		return SIMCTRL_CLOSE;
	}
	out->name = cmd->name;
	if (cmd->action == SWTPM_DO_HASH_DATA)
		return simctrl_swtpm_hash_data(in, len, cmd, out);
	if (cmd->action == SWTPM_DO_REFUSE_CLOSE) {
		out->consumed = CODE_SIZE;
		simctrl_answer_u32(out, PTM_RES_BAD_ORDINAL);
		simctrl_refuse(out, cmd->why);
		return SIMCTRL_CLOSE;
	}
	if (len - CODE_SIZE < cmd->payload)
		return SIMCTRL_NEED_MORE;
	out->consumed = CODE_SIZE + cmd->payload;
	switch (cmd->action) {
	case SWTPM_DO_CAPS:
		frame_put_u32(out->answer, PTM_RES_SUCCESS);
		frame_put_u32(out->answer + 4, SIMCTRL_SWTPM_CAPS);
		out->answer_len = 8;
		return SIMCTRL_ANSWER;
	case SWTPM_DO_ESTABLISHED:
		/* ptm_res, the established bit (never set: no DRTM here),
		 * then the struct's padding, as swtpm sends it. */
		memset(out->answer, 0, 8);
		out->answer_len = 8;
		return SIMCTRL_ANSWER;
	case SWTPM_DO_LOCALITY:
		/* A pod must never move the host's TPM off locality 0. */
		locality = in[CODE_SIZE];
		if (locality == 0) {
			simctrl_answer_u32(out, PTM_RES_SUCCESS);
			return SIMCTRL_ANSWER;
		}
		simctrl_answer_u32(out, PTM_RES_BAD_LOCALITY);
		snprintf(out->why_buf, sizeof(out->why_buf),
		    "locality %u refused", (unsigned)locality);
		simctrl_refuse(out, out->why_buf);
		return SIMCTRL_ANSWER;
	case SWTPM_DO_REFUSE:
		simctrl_answer_u32(out, PTM_RES_BAD_ORDINAL);
		simctrl_refuse(out, cmd->why);
		return SIMCTRL_ANSWER;
	case SWTPM_DO_END:
		simctrl_answer_u32(out, PTM_RES_SUCCESS);
		return SIMCTRL_CLOSE;
	case SWTPM_DO_OK:
	default:
		simctrl_answer_u32(out, PTM_RES_SUCCESS);
		return SIMCTRL_ANSWER;
	}
}

/*
 * The dialect of a connection is fixed by its first command. Both protocols
 * put a big-endian u32 code first, but reuse the same numbers for different
 * commands with different payloads and answers: 1 is the simulator's
 * POWER_ON (no payload, answered by 4 zero bytes) and swtpm's
 * CMD_GET_CAPABILITY (answered by 8 bytes); 5 is the simulator's HASH_START
 * (no payload) and swtpm's CMD_SET_LOCALITY (a 1-byte payload). Each
 * connection of tcti-swtpm carries one command and the only one it sends
 * unasked is CMD_SET_LOCALITY, while tcti-mssim always starts with POWER_ON,
 * and HASH_START is not even a platform-port command of the simulator: so a
 * first code 5 means swtpm and anything else means the simulator. A swtpm
 * client that starts with another command (QEMU starts with
 * CMD_GET_CAPABILITY) is taken for the simulator: not supported.
 */
static enum simctrl_dialect
simctrl_dialect_of(const struct simctrl *st, uint32_t first_code)
{
	if (st->dialect != SIMCTRL_UNKNOWN)
		return st->dialect;
	return first_code == SWTPM_SET_LOCALITY ? SIMCTRL_SWTPM : SIMCTRL_MSSIM;
}

/* Decide what to do with the bytes buffered on a .ctrl connection. Nothing
 * but memory is touched: no command here ever reaches the TPM. */
enum simctrl_result
simctrl_step(struct simctrl *st, const uint8_t *in, size_t len,
    struct simctrl_step *out)
{
	enum simctrl_dialect dialect;
	enum simctrl_result result;

	memset(out, 0, sizeof(*out));
	out->name = "";
	if (len < CODE_SIZE)
		return SIMCTRL_NEED_MORE;
	out->code = frame_get_u32(in);
	out->name = "unknown";
	dialect = simctrl_dialect_of(st, out->code);
	if (dialect == SIMCTRL_SWTPM)
		result = simctrl_swtpm(in, len, out);
	else
		result = simctrl_mssim(out);
	if (result == SIMCTRL_NEED_MORE) {
		/* Nothing is decided until the whole command is here. */
		out->consumed = 0;
		out->answer_len = 0;
		out->refused = false;
		out->why = NULL;
		return result;
	}
	st->dialect = dialect;
	return result;
}

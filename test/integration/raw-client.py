#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# Raw TPM 2.0 byte client for the tpmproxyd socket (stdlib only): well-formed and broken-framing scenarios.
"""Usage: raw-client.py SOCKET SCENARIO [ARG]

Each scenario prints one line on success and exits 0; on failure it prints
'raw-client: SCENARIO: what failed' on stderr and exits 1.
Run with --list to see the scenarios.
"""

import os
import socket
import struct
import sys
import time

TIMEOUT = float(os.environ.get("RAW_CLIENT_TIMEOUT", "30"))

TPM_ST_NO_SESSIONS = 0x8001
TPM_ST_SESSIONS = 0x8002
TPM_CC_CREATE_PRIMARY = 0x131
TPM_CC_GET_CAPABILITY = 0x17A
TPM_CC_GET_RANDOM = 0x17B
TPM_CAP_COMMANDS = 2
TPM_CAP_TPM_PROPERTIES = 6
TPM_PT_FIXED = 0x100
TPM_PT_MAX_COMMAND_SIZE = 0x11E
TPM_RH_OWNER = 0x40000001
TPM_RS_PW = 0x40000009


class Failure(Exception):
    pass


# ---- command builders -------------------------------------------------------

def command(cc, body, tag=TPM_ST_NO_SESSIONS):
    return struct.pack(">HII", tag, 10 + len(body), cc) + body


def get_random(n):
    return command(TPM_CC_GET_RANDOM, struct.pack(">H", n))


def get_capability(cap, prop, count):
    return command(TPM_CC_GET_CAPABILITY, struct.pack(">III", cap, prop, count))


def create_primary_rsa2048():
    """TPM2_CreatePrimary(owner, RSA-2048 restricted decrypt, random unique)."""
    auth = struct.pack(">IHBH", TPM_RS_PW, 0, 0, 0)
    sensitive = struct.pack(">HHH", 4, 0, 0)
    attrs = (1 << 1) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 16) | (1 << 17)
    unique = os.urandom(32)  # a fresh key every time, no derivation cache
    public = struct.pack(">HHIH", 0x0001, 0x000B, attrs, 0)
    public += struct.pack(">HHHHHI", 0x0006, 128, 0x0043, 0x0010, 2048, 0)
    public += struct.pack(">H", len(unique)) + unique
    body = struct.pack(">I", TPM_RH_OWNER)
    body += struct.pack(">I", len(auth)) + auth
    body += sensitive
    body += struct.pack(">H", len(public)) + public
    body += struct.pack(">H", 0)  # outsideInfo
    body += struct.pack(">I", 0)  # creationPCR
    return command(TPM_CC_CREATE_PRIMARY, body, tag=TPM_ST_SESSIONS)


# ---- socket helpers ---------------------------------------------------------

def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    try:
        s.connect(path)
    except OSError as e:
        raise Failure(f"cannot connect to {path}: {e}")
    return s


def recv_exact(s, n, what):
    buf = b""
    while len(buf) < n:
        try:
            chunk = s.recv(n - len(buf))
        except socket.timeout:
            raise Failure(f"{what}: no data within {TIMEOUT:.0f}s "
                          f"(got {len(buf)} of {n} bytes)")
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            raise Failure(f"{what}: connection closed after {len(buf)} of {n} bytes")
        buf += chunk
    return buf


def recv_response(s, what="response"):
    """Read one framed response; check tag and size; return (rc, body)."""
    hdr = recv_exact(s, 10, what + " header")
    tag, size, rc = struct.unpack(">HII", hdr)
    if tag not in (TPM_ST_NO_SESSIONS, TPM_ST_SESSIONS):
        raise Failure(f"{what}: bad response tag 0x{tag:04x}")
    if size < 10 or size > 65536:
        raise Failure(f"{what}: bad response size {size}")
    body = recv_exact(s, size - 10, what + " body")
    if rc != 0 and size != 10:
        raise Failure(f"{what}: error response rc=0x{rc:08x} has size {size}, expected 10")
    return rc, tag, body


def transact(s, cmd, what):
    """Send one command, return (rc, body) of its response."""
    s.sendall(cmd)
    rc, _tag, body = recv_response(s, what)
    return rc, body


def wait_closed(s, what):
    """Wait until the peer closes. Returns (bytes received before EOF, seconds)."""
    start = time.monotonic()
    got = b""
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            raise Failure(f"{what}: connection still open after {TIMEOUT:.0f}s")
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            return got, time.monotonic() - start
        got += chunk


def send_ignoring_close(s, data):
    """Send; a peer that closed meanwhile (EPIPE/ECONNRESET) is fine."""
    try:
        s.sendall(data)
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False


def check_random(rc, body, n, what):
    if rc != 0:
        raise Failure(f"{what}: GetRandom rc=0x{rc:08x}")
    (size,) = struct.unpack(">H", body[:2])
    if size != n or len(body) != 2 + n:
        raise Failure(f"{what}: GetRandom({n}) returned {size} bytes in a {len(body)}-byte body")
    return body[2:]


def check_capability(rc, body, cap, what):
    if rc != 0:
        raise Failure(f"{what}: GetCapability rc=0x{rc:08x}")
    more, got_cap, count = struct.unpack(">BII", body[:9])
    if more not in (0, 1) or got_cap != cap:
        raise Failure(f"{what}: GetCapability answered moreData={more} capability={got_cap}")
    per_item = {TPM_CAP_COMMANDS: 4, TPM_CAP_TPM_PROPERTIES: 8}[cap]
    if len(body) != 9 + count * per_item:
        raise Failure(f"{what}: GetCapability lists {count} items in a {len(body)}-byte body")
    return [body[9 + i * per_item: 9 + (i + 1) * per_item] for i in range(count)]


def alive(path, what="new client"):
    """A fresh connection gets a GetRandom answered."""
    with connect(path) as s:
        rc, body = transact(s, get_random(8), what)
        check_random(rc, body, 8, what)


def expect_closed_without_response(s, what):
    got, secs = wait_closed(s, what)
    if got:
        raise Failure(f"{what}: expected the connection closed silently, got "
                      f"{len(got)} bytes: {got[:16].hex()}")
    return secs


# ---- scenarios --------------------------------------------------------------

def sc_basic(path, _arg):
    with connect(path) as s:
        rnd = check_random(*transact(s, get_random(16), "GetRandom"), 16, "GetRandom")
        props = check_capability(*transact(
            s, get_capability(TPM_CAP_TPM_PROPERTIES, TPM_PT_FIXED, 64),
            "GetCapability(properties)"), TPM_CAP_TPM_PROPERTIES, "GetCapability(properties)")
        cmds = check_capability(*transact(
            s, get_capability(TPM_CAP_COMMANDS, 0, 256), "GetCapability(commands)"),
            TPM_CAP_COMMANDS, "GetCapability(commands)")
    values = {struct.unpack(">I", p[:4])[0]: struct.unpack(">I", p[4:])[0] for p in props}
    maxcmd = values.get(TPM_PT_MAX_COMMAND_SIZE, "?")
    print(f"raw: GetRandom(16)={rnd.hex()}; {len(props)} fixed properties "
          f"(MAX_COMMAND_SIZE={maxcmd}); {len(cmds)} commands")


def sc_loop(path, arg):
    n = int(arg or 20)
    with connect(path) as s:
        for i in range(n):
            check_random(*transact(s, get_random(32), f"GetRandom #{i}"), 32, f"GetRandom #{i}")
    for i in range(n):
        alive(path, f"GetRandom on connection #{i}")
    print(f"raw: {n} GetRandom on one connection + {n} on fresh connections ok")


def sc_truncated_header(path, _arg):
    with connect(path) as s:
        s.sendall(get_random(8)[:5])
    alive(path)
    print("raw: 5-byte header then close; daemon still serves")


def sc_size_too_small(path, _arg):
    with connect(path) as s:
        bad = struct.pack(">HII", TPM_ST_NO_SESSIONS, 9, TPM_CC_GET_RANDOM)
        send_ignoring_close(s, bad)
        expect_closed_without_response(s, "size 9")
    alive(path)
    print("raw: size 9 -> connection closed; daemon still serves")


def sc_size_too_big(path, arg):
    size = int(arg or 4097)
    with connect(path) as s:
        frame = struct.pack(">HII", TPM_ST_NO_SESSIONS, size, TPM_CC_GET_RANDOM)
        frame += struct.pack(">H", 8) + b"\0" * (size - 12)
        send_ignoring_close(s, frame)
        expect_closed_without_response(s, f"size {size}")
    alive(path)
    print(f"raw: size {size} -> connection closed; daemon still serves")


def sc_size_max(path, arg):
    """A frame of exactly the max command size is passed to the TPM."""
    size = int(arg or 4096)
    with connect(path) as s:
        frame = struct.pack(">HII", TPM_ST_NO_SESSIONS, size, TPM_CC_GET_RANDOM)
        frame += struct.pack(">H", 8) + b"\0" * (size - 12)
        rc, _ = transact(s, frame, f"size {size}")
        if rc == 0:
            raise Failure(f"size {size}: GetRandom with trailing bytes succeeded")
        check_random(*transact(s, get_random(8), "GetRandom after it"), 8, "GetRandom after it")
    print(f"raw: size {size} (max) -> TPM error 0x{rc:x}, connection still usable")


def sc_partial(path, arg):
    min_secs = float(arg or 0)
    with connect(path) as s:
        s.sendall(get_random(8)[:10] + b"\x00")  # declares 12 bytes, sends 11
        secs = expect_closed_without_response(s, "partial frame")
    if secs < min_secs:
        raise Failure(f"partial frame: closed after {secs:.2f}s, before the "
                      f"{min_secs:.1f}s partial timeout could have expired")
    alive(path)
    print(f"raw: partial frame -> connection closed after {secs:.1f}s; daemon still serves")


def sc_pipelined(path, _arg):
    sizes = [4, 16, 8]
    with connect(path) as s:
        s.sendall(b"".join(get_random(n) for n in sizes))
        for i, n in enumerate(sizes):
            rc, _tag, body = recv_response(s, f"pipelined response #{i}")
            check_random(rc, body, n,
                         f"pipelined response #{i}")
    print("raw: 3 pipelined GetRandom(4,16,8) in one write -> 3 responses in order")


def sc_mid_command(path, _arg):
    with connect(path) as s:
        cmd = get_capability(TPM_CAP_COMMANDS, 0, 256)
        s.sendall(cmd[:len(cmd) // 2])
    alive(path)
    print("raw: half a command then close; daemon still serves")


def sc_mid_response(path, arg):
    n = int(arg or 20)
    with connect(path) as s:
        s.sendall(get_capability(TPM_CAP_COMMANDS, 0, 256) * n)
        # close without reading: the daemon's writes hit a closed peer
    alive(path)
    with connect(path) as s:
        s.sendall(get_capability(TPM_CAP_COMMANDS, 0, 256))
        hdr = s.recv(5)  # read part of the header, then close
        if not hdr:
            raise Failure("mid-response: connection closed before any response byte")
    alive(path)
    print(f"raw: {n} pipelined GetCapability then close unread, and a response "
          "abandoned after 5 bytes; daemon still serves")


def sc_bad_tag(path, _arg):
    with connect(path) as s:
        check_random(*transact(s, get_random(8), "GetRandom before"), 8, "GetRandom before")
        bad = bytearray(get_random(8))
        bad[0:2] = b"\x80\x03"
        s.sendall(bytes(bad))
        rc, tag, _ = recv_response(s, "tag 0x8003")
        if rc == 0:
            raise Failure("tag 0x8003: command succeeded")
        # The TPM decides the code (libtpms answers TPM_RC_VALUE, 0x084;
        # the spec suggests TPM_RC_BAD_TAG); a TSS2 RM-layer code is fine too.
        if tag != TPM_ST_NO_SESSIONS:
            raise Failure(f"tag 0x8003: error response tag 0x{tag:04x}, expected 0x8001")
        check_random(*transact(s, get_random(8), "GetRandom after"), 8, "GetRandom after")
    layer = "RM" if (rc & 0xFF0000) == (11 << 16) else "TPM"
    print(f"raw: tag 0x8003 -> {layer} error rc=0x{rc:03x}, connection still usable")


def sc_create_primary(path, _arg):
    """Send an RSA-2048 CreatePrimary, say 'sent', then wait for its answer."""
    with connect(path) as s:
        s.sendall(create_primary_rsa2048())
        print("sent", flush=True)
        rc, _, body = recv_response(s, "CreatePrimary")
        if rc != 0:
            raise Failure(f"CreatePrimary rc=0x{rc:08x}")
        (handle,) = struct.unpack(">I", body[:4])
    print(f"raw: CreatePrimary(RSA-2048) -> handle 0x{handle:08x}")


def sc_hold(path, _arg):
    """Keep one connection open across other clients' misbehaviour: GetRandom,
    wait for a line on stdin, GetRandom again on the same connection."""
    with connect(path) as s:
        check_random(*transact(s, get_random(8), "GetRandom before"), 8, "GetRandom before")
        print("connected", flush=True)
        sys.stdin.readline()
        check_random(*transact(s, get_random(8), "GetRandom after"), 8, "GetRandom after")
    print("raw: a connection held open meanwhile still works")


def sc_alive(path, _arg):
    alive(path)
    print("raw: GetRandom on a new connection ok")


SCENARIOS = {
    "basic": sc_basic,
    "loop": sc_loop,
    "alive": sc_alive,
    "hold": sc_hold,
    "truncated-header": sc_truncated_header,
    "size-too-small": sc_size_too_small,
    "size-too-big": sc_size_too_big,
    "size-max": sc_size_max,
    "partial": sc_partial,
    "pipelined": sc_pipelined,
    "mid-command": sc_mid_command,
    "mid-response": sc_mid_response,
    "bad-tag": sc_bad_tag,
    "create-primary": sc_create_primary,
}


def main(argv):
    if len(argv) == 2 and argv[1] == "--list":
        print("\n".join(SCENARIOS))
        return 0
    if len(argv) not in (3, 4) or argv[2] not in SCENARIOS:
        sys.stderr.write(__doc__)
        return 2
    path, name = argv[1], argv[2]
    arg = argv[3] if len(argv) == 4 else None
    try:
        SCENARIOS[name](path, arg)
    except Failure as e:
        print(f"raw-client: {name}: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"raw-client: {name}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

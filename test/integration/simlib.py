#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# Simulator-protocol tests (sim-*.sh): the mssim framing, the SOCK.ctrl control channel and per-process ownership, spoken with raw sockets; stdlib only.
"""Usage: simlib.py SCENARIO --sock SOCK [--tap-log FILE] [--ctl SOCKET]
                  [--tpmproxyctl PATH] [--audit FILE] [options]

SOCK is a socket of tpmproxyd (simlib.sh), SOCK.ctrl its control channel.
Each scenario prints details and then one summary line and exits 0; on
failure it prints 'simlib: SCENARIO: what failed' on stderr and exits 1.
Waits are bounded by TPMPROXY_TEST_WAIT (they only detect hangs).

  intrude        --handles H,... [--session-handles H,...] [--per-command]: another
                 process's objects and sessions are refused (TPM_RC_HANDLE
                 from the proxy) for ReadPublic, Sign, ContextSave,
                 PolicyGetDigest and FlushContext; with --per-command each
                 command goes as tcti-swtpm sends it (set-locality 0 on
                 SOCK.ctrl, then a fresh connection for the command)
  quota-probe    --expect full|free [--objects N] [--sessions N]: the
                 socket's quota (max-objects, max-sessions) is used up by
                 someone else (full), or, within the wait, N objects and
                 N sessions can be had again (free)
  many-owners    --count N processes talking as tcti-swtpm own resources at
                 once, more than get a pidfd; two of them hold the socket's
                 2 objects, exit, and their keys are freed
  audit-connects --pid P --min N [--max N]: the audit log shows between N
                 and N connections of process P (waits for --min)
  control        a raw client holds a key and PCR 16; every MS-simulator
                 platform command and swtpm control command on SOCK.ctrl;
                 none reaches the TPM, which keeps its state
  bad-data       lying simulator frames, unknown codes, mixed framings,
                 localities on SOCK: each answered with a TPM error or
                 closed, none reaching the TPM
  partial        --timeout S: frames cut off on SOCK (a socket with
                 partial-timeout S) are closed after about S; cut off and
                 closed by the peer
  bad-ctrl       garbage and huge HASH_DATA lengths on SOCK.ctrl
  ctrl-flood     --count N connections to SOCK.ctrl sending garbage, 50 at
                 a time; the daemon's descriptors come back
  ctrl-noread    --mib N of POWER_ON to SOCK.ctrl from a peer that never
                 reads: the daemon grows by at most 64 MiB
"""

import sys

sys.dont_write_bytecode = True

import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import selectors  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from exhaustlib import ctl_json  # noqa: E402
from pollib import (  # noqa: E402
    CC, RC_OBJECT_QUOTA, RC_SESSION_QUOTA, WAIT, Child, Tap, call, pcr_extend, read_clock)
from rmlib import (  # noqa: E402
    ALG_SHA256, HR_LOADED_SESSION, HR_TRANSIENT, RM_LAYER, Conn, Failure,
    context_save, create_primary, flush, get_random, handles, must, policy_get_digest,
    rcstr, read_public, scenario_main, sign, sign_and_verify, start_session, u8, u16, u32)

# ---- the simulator protocols -------------------------------------------------------

SEND_COMMAND = 8
SESSION_END = 20

# MS-simulator platform commands (ms-tpm-20-ref TpmTcpProtocol.h).
MSSIM = dict(power_on=1, power_off=2, phys_pres_on=3, phys_pres_off=4, hash_start=5,
             hash_data=6, hash_end=7, send_command=8, cancel_on=9, cancel_off=10,
             nv_on=11, nv_off=12, key_cache_on=13, key_cache_off=14,
             remote_handshake=15, set_alternative_result=16, reset=17, restart=18,
             session_end=20, stop=21, get_command_response_sizes=25,
             act_get_signaled=26, test_failure_mode=30)

# swtpm control commands (swtpm tpm_ioctl.h, the socket interface).
SWTPM = dict(get_capability=1, init=2, shutdown=3, get_tpmestablished=4, set_locality=5,
             hash_start=6, hash_data=7, hash_end=8, cancel_tpm_cmd=9, store_volatile=10,
             reset_tpmestablished=11, get_stateblob=12, set_stateblob=13, stop=14,
             get_config=15, set_datafd=16, set_buffersize=17, get_info=18,
             lock_storage=19)

MSSIM_UNKNOWN = [0, 19, 22, 27, 31, 99, 0x100, 0x12345678, 0x7FFFFFFF, 0xFFFFFFFF]
SWTPM_UNKNOWN = [0, 20, 21, 99, 0x100, 0x12345678, 0x7FFFFFFF, 0xFFFFFFFF]


def sim_frame(cmd, locality=0, length=None, code=SEND_COMMAND):
    """A command as tcti-mssim sends it: code, locality, length, command."""
    return u32(code) + u8(locality) + u32(len(cmd) if length is None else length) + cmd


def tpm_cmd(cc, params=b"", tag=0x8001):
    return struct.pack(">HII", tag, 10 + len(params), cc) + params


GET_RANDOM = tpm_cmd(CC["GetRandom"], u16(8))
SHUTDOWN_CLEAR = tpm_cmd(CC["Shutdown"], u16(0))
STARTUP_CLEAR = tpm_cmd(CC["Startup"], u16(0))


def is_handle_error(rc):
    """A format-1 TPM_RC_HANDLE (any handle or session number) from the
    proxy's resource-manager layer: 0x000B..8B."""
    return rc & 0xFFFF0000 == RM_LAYER and rc & 0xBF == 0x8B


def connect(path, what):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(WAIT)
    try:
        s.connect(path)
    except OSError as e:
        s.close()
        raise Failure(f"{what}: cannot connect to {path}: {e}")
    return s


def send_all(s, data):
    """Send; False if the peer closed first (it may refuse before the end)."""
    try:
        s.sendall(data)
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False


def recv_upto(s, n, what, timeout=WAIT):
    """Up to n bytes: fewer only at EOF. Failure if nothing happens."""
    s.settimeout(timeout)
    got = b""
    try:
        while len(got) < n:
            chunk = s.recv(n - len(got))
            if not chunk:
                break
            got += chunk
    except ConnectionResetError:
        pass
    except socket.timeout:
        raise Failure(f"{what}: neither an answer nor a close within {timeout:.0f}s "
                      f"({len(got)} bytes: {got.hex()})")
    return got


def at_eof(s, what, timeout=WAIT):
    """True at EOF; Failure if more bytes come or the connection stays open."""
    extra = recv_upto(s, 64, what, timeout)
    if extra:
        raise Failure(f"{what}: unexpected bytes where a close was due: {extra.hex()}")
    return True


class SimConn(Conn):
    """A data connection framed as tcti-mssim frames it: each answer is a
    u32 length, the response, u32 0."""

    locality = 0

    def send(self, data):
        self.sock.sendall(sim_frame(data, self.locality))

    def receive(self, what, auths=(), rhandles=0):
        n = struct.unpack(">I", self._recv(4, what))[0]
        if not 10 <= n <= 65536:
            raise Failure(f"{self.name}: {what}: simulator answer length {n}")
        body = self._recv(n, what)
        trailer = self._recv(4, what)
        if trailer != b"\0\0\0\0":
            raise Failure(f"{self.name}: {what}: answer trailer {trailer.hex()}, expected 00000000")
        size = struct.unpack(">I", body[2:6])[0]
        if size != n:
            raise Failure(f"{self.name}: {what}: framed length {n}, response size {size}")
        self.rbuf = body + self.rbuf
        return super().receive(what, auths, rhandles)


def ctrl_call(path, data, want, what):
    """One exchange on a fresh SOCK.ctrl connection: returns the answer
    bytes (fewer than want if it closed)."""
    s = connect(path, what)
    try:
        send_all(s, data)
        return recv_upto(s, want, what)
    finally:
        s.close()


class PerCommandConn(Conn):
    """As tcti-swtpm talks: before each command CMD_SET_LOCALITY(0) on
    SOCK.ctrl (its own connection), then one connection for the command and
    its answer."""

    def __init__(self, path, name="per-command"):
        self.path, self.name, self.names, self.rbuf, self.sock = path, name, {}, b"", None
        self.connections = 0

    def close(self):
        pass

    def call(self, cc, handles=(), params=b"", auths=(), rhandles=0, what=None):
        what = what or f"command 0x{cc:03x}"
        got = ctrl_call(self.path + ".ctrl", u32(SWTPM["set_locality"]) + u8(0), 4,
                        f"{self.name}: set-locality 0 before {what}")
        if got != b"\0\0\0\0":
            raise Failure(f"{self.name}: set-locality 0 on SOCK.ctrl answered {got.hex()!r}, "
                          "expected 00000000")
        self.sock = connect(self.path, f"{self.name}: {what}")
        self.rbuf = b""
        self.connections += 1
        try:
            return super().call(cc, handles, params, auths, rhandles, what)
        finally:
            self.sock.close()
            self.sock = None


# ---- what reached the TPM, the daemon's numbers -------------------------------------------

class Watch:
    """The TPM tap and the daemon's own count of TPM commands: between
    mark() and quiet(), nothing may reach the TPM."""

    def __init__(self, args):
        self.args = args
        self.tap = Tap(args.tap_log)
        self.mark()

    def mark(self):
        self.tap_mark = self.tap.mark()
        self.tpm_commands = ctl_json(self.args, "status")["tpm_commands"]

    def quiet(self, what):
        codes = self.tap.codes_since(self.tap_mark)
        if codes:
            raise Failure(f"{what}: {len(codes)} commands reached the TPM: "
                          + ", ".join(f"0x{c:x}" for c in codes[:10]))
        n = ctl_json(self.args, "status")["tpm_commands"] - self.tpm_commands
        if n:
            raise Failure(f"{what}: the daemon counted {n} TPM commands")


def daemon_status(args):
    return ctl_json(args, "status")


# ---- TPM state that a reset, restart or power cycle would change -------------------

PCR16_SHA256 = u32(1) + u16(ALG_SHA256) + u8(3) + bytes([0, 0, 1])


def pcr16(c):
    r = must(call(c, "PCR_Read", [], PCR16_SHA256), f"{c.name}: PCR_Read(16)").reader("PCR_Read")
    r.u32()                                       # updateCounter
    for _ in range(r.u32()):                      # pcrSelectionOut
        r.u16()
        r.take(r.u8())
    if r.u32() != 1:
        raise Failure(f"{c.name}: PCR_Read(16) returned no digest")
    return r.b2()


def clock_counts(c):
    """(resetCount, restartCount, clock) from TPM2_ReadClock."""
    r = must(read_clock(c), f"{c.name}: ReadClock").reader("ReadClock")
    r.u64()                                       # time
    clock = r.u64()
    return r.u32(), r.u32(), clock


class TpmState:
    """A client's key, PCR 16 and the reset/restart counts: a TPM that was
    reset, restarted or powered off loses or changes them."""

    def __init__(self, c):
        self.c = c
        self.key = must(create_primary(c), f"{c.name}: CreatePrimary").handle
        sign_and_verify(c, self.key, what=f"{c.name}: Sign")
        must(pcr_extend(c, 16), f"{c.name}: PCR_Extend(16)")
        self.pcr16 = pcr16(c)
        self.reset, self.restart, self.clock = clock_counts(c)

    def unchanged(self, what):
        c = self.c
        try:
            sign_and_verify(c, self.key, what=f"{c.name}: Sign with its key after {what}")
        except Failure as e:
            raise Failure(f"the key loaded before {what} no longer signs: {e}")
        if pcr16(c) != self.pcr16:
            raise Failure(f"PCR 16 changed across {what}: the TPM was reset or restarted")
        reset, restart, clock = clock_counts(c)
        if (reset, restart) != (self.reset, self.restart):
            raise Failure(f"TPM resetCount/restartCount went from {self.reset}/{self.restart} "
                          f"to {reset}/{restart} across {what}")
        if clock < self.clock:
            raise Failure(f"the TPM clock went back across {what}")
        return f"key signs, PCR 16 kept, resetCount {reset} restartCount {restart}"


# ---- scenario: intrude --------------------------------------------------------------

def foreign_checks(c, objects, sessions):
    """Everything c may not do with another owner's handles; the wrong
    answers."""
    wrong = []

    def want_handle_error(resp, what, also=()):
        if not is_handle_error(resp.rc) and resp.rc not in also:
            wrong.append(f"{what}: {rcstr(resp.rc)}, expected TPM_RC_HANDLE from the proxy")

    for first in (HR_TRANSIENT, HR_LOADED_SESSION):
        got = handles(c, first)
        if got:
            wrong.append(f"GetCapability(HANDLES, 0x{first:08x}) lists "
                         f"{[hex(h) for h in got]} to a client that owns nothing")
    for h in objects:
        n = f"0x{h:08x}"
        want_handle_error(read_public(c, h), f"ReadPublic({n})")
        want_handle_error(sign(c, h), f"Sign({n})")
        want_handle_error(context_save(c, h), f"ContextSave({n})")
    for h in sessions:
        n = f"0x{h:08x}"
        want_handle_error(policy_get_digest(c, h), f"PolicyGetDigest({n})")
        want_handle_error(context_save(c, h), f"ContextSave({n})")
    for h in objects + sessions:
        # The proxy answers a FlushContext of a handle it does not give
        # this client TPM_RC_VALUE + P + 1 (rmlib.RC_FLUSH_NOT_OWNED).
        want_handle_error(flush(c, h), f"FlushContext(0x{h:08x})", also=(RM_LAYER | 0x1C4,))
    return wrong


def hexes(text):
    return [int(x, 0) for x in text.split(",") if x] if text else []


def sc_intrude(args):
    objects, sessions = hexes(args.handles), hexes(args.session_handles)
    if args.per_command:
        c = PerCommandConn(args.sock, "intruder (as tcti-swtpm)")
    else:
        c = Conn(args.sock, "intruder (raw)")
    with c:
        wrong = foreign_checks(c, objects, sessions)
    if wrong:
        raise Failure(f"{c.name}: {len(wrong)} wrong answers:\n    " + "\n    ".join(wrong))
    extra = f" over {c.connections} connections" if args.per_command else ""
    print(f"{c.name}: {len(objects)} objects and {len(sessions)} sessions of another process "
          f"refused (ReadPublic, Sign, ContextSave, PolicyGetDigest, FlushContext){extra}")


# ---- scenario: quota-probe ----------------------------------------------------------------

def quota_try(path, nobj, nsess):
    """Create nobj primaries and nsess sessions on one connection: None
    if all worked (then flushed), else the quota rc that stopped it."""
    with Conn(path, "quota probe") as c:
        held = []
        try:
            for _ in range(nobj):
                r = create_primary(c)
                if r.rc in (RC_OBJECT_QUOTA,):
                    return r.rc
                held.append(must(r, "quota probe: CreatePrimary").handle)
            for _ in range(nsess):
                r = start_session(c)
                if r.rc in (RC_SESSION_QUOTA,):
                    return r.rc
                held.append(must(r, "quota probe: StartAuthSession").handles[0])
            return None
        finally:
            for h in held:
                must(flush(c, h), f"quota probe: FlushContext(0x{h:08x})")


def sc_quota_probe(args):
    if args.expect == "full":
        rc = quota_try(args.sock, 1, 0) if args.objects else None
        if args.objects and rc != RC_OBJECT_QUOTA:
            raise Failure("a CreatePrimary while the other process holds the socket's "
                          f"objects: {rcstr(rc or 0)}, expected {rcstr(RC_OBJECT_QUOTA)}")
        rc = quota_try(args.sock, 0, 1) if args.sessions else None
        if args.sessions and rc != RC_SESSION_QUOTA:
            raise Failure("a StartAuthSession while the other process holds the socket's "
                          f"sessions: {rcstr(rc or 0)}, expected {rcstr(RC_SESSION_QUOTA)}")
        print("quota in use by the other process: CreatePrimary and StartAuthSession refused")
        return
    t0, tries = time.monotonic(), 0
    while True:
        tries += 1
        rc = quota_try(args.sock, args.objects, args.sessions)
        if rc is None:
            break
        if time.monotonic() - t0 > WAIT:
            raise Failure(f"{args.objects} objects and {args.sessions} sessions still refused "
                          f"({rcstr(rc)}) {WAIT:.0f}s after their owner was gone: its "
                          "objects or sessions were never freed")
        time.sleep(0.1)
    print(f"{args.objects} objects and {args.sessions} sessions to be had again "
          f"(attempt {tries}): the owner's were freed")


# ---- scenario: many-owners -----------------------------------------------------------------

def owner_child(ctl, path, hold):
    """A process talking as tcti-swtpm: one command makes it an owner; a
    holder also keeps a key. Then it waits to be told to exit."""
    c = PerCommandConn(path, ctl.label)
    must(get_random(c), f"{ctl.label}: GetRandom")
    if hold:
        must(create_primary(c), f"{ctl.label}: CreatePrimary")
    ctl.say("ready")
    ctl.hear("go")


def sc_many_owners(args):
    """--count processes own resources at once, more than the daemon
    watches with pidfds (256): the last two each hold a key (the socket's
    max-objects = 2); once they exit (the others still running), their
    keys are freed: the sweep finds exits that no pidfd reports."""
    fds0 = daemon_status(args)["open_fds"]
    children = []
    try:
        for i in range(args.count):
            hold = i >= args.count - 2
            ch = Child(f"owner {i + 1}", owner_child, args.sock, hold)
            children.append(ch)
            ch.hear("ready")
        st = daemon_status(args)
        print(f"{args.count} owner processes at once: the daemon has {st['open_fds']} "
              f"descriptors open (had {fds0}), owner_processes {st.get('owner_processes')}")
        if quota_try(args.sock, 1, 0) != RC_OBJECT_QUOTA:
            raise Failure("the last two processes' keys do not hold the socket's quota")
        for ch in children[-2:]:
            ch.finish()
        t0, tries = time.monotonic(), 0
        while quota_try(args.sock, 2, 0) is not None:
            tries += 1
            if time.monotonic() - t0 > WAIT:
                raise Failure(f"the keys of two exited processes (of {args.count} owners) "
                              f"were not freed within {WAIT:.0f}s")
            time.sleep(0.1)
        print(f"the two exited holders' keys freed (attempt {tries + 1}) while "
              f"{args.count - 2} owners still run")
    finally:
        for ch in children:
            if ch.pid:
                ch.say("go")
        for ch in children:
            if ch.pid:
                ch.join()
    t0 = time.monotonic()
    while (st := daemon_status(args))["open_fds"] > fds0 or st.get("owner_processes", 0):
        if time.monotonic() - t0 > WAIT:
            raise Failure(f"{WAIT:.0f}s after {args.count} owner processes exited the daemon "
                          f"has {st['open_fds']} descriptors open (had {fds0}) and "
                          f"{st.get('owner_processes')} owner processes")
        time.sleep(0.2)
    print(f"all {args.count} exited: descriptors back to {st['open_fds']}, no owner process left")


# ---- scenario: audit-connects -------------------------------------------------------------

def audit_connects(path, pid):
    n = 0
    with open(path) as f:
        for line in f:
            if not line.endswith("\n"):
                break
            rec = json.loads(line)
            if rec.get("event") == "connect" and rec.get("pid") == pid:
                n += 1
    return n


def sc_audit_connects(args):
    t0 = time.monotonic()
    while (n := audit_connects(args.audit, args.pid)) < args.min:
        if time.monotonic() - t0 > WAIT:
            raise Failure(f"the audit log shows {n} connections of pid {args.pid}, "
                          f"expected at least {args.min}")
        time.sleep(0.2)
    if args.max is not None and n > args.max:
        raise Failure(f"the audit log shows {n} connections of pid {args.pid}, "
                      f"expected at most {args.max}")
    print(f"the audit log shows {n} connections of pid {args.pid}")


# ---- scenario: control ----------------------------------------------------------------------

class CtrlSession:
    """SOCK.ctrl connections in one dialect, each opened as its TCTI opens
    it (tcti-mssim: POWER_ON; tcti-swtpm: SET_LOCALITY 0, answered 0), a
    new one whenever the daemon closed the last."""

    def __init__(self, path, dialect):
        self.path, self.dialect, self.sock = path, dialect, None

    def open(self):
        self.sock = connect(self.path, f"{self.dialect} control connection")
        if self.dialect == "mssim":
            self.sock.sendall(u32(MSSIM["power_on"]))
        else:
            self.sock.sendall(u32(SWTPM["set_locality"]) + u8(0))
        got = recv_upto(self.sock, 4, f"{self.dialect}: first command")
        if got != b"\0\0\0\0":
            raise Failure(f"{self.dialect}: the opening command (as the TCTI sends it) "
                          f"answered {got.hex()!r}, expected 00000000")

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None

    def exchange(self, data, want, what):
        """Send data: ('answer', bytes) when want bytes came, ('closed',
        bytes) when the daemon closed after fewer."""
        if self.sock is None:
            self.open()
        send_all(self.sock, data)
        got = recv_upto(self.sock, want, what)
        if len(got) < want:
            self.close()
            return "closed", got
        return "answer", got


def mssim_barrage(path):
    """Every platform command (and unknown codes) in the simulator dialect.
    An answer is u32 0 (connection kept) or a close, possibly after a
    non-zero status (then the close must follow). POWER_ON, POWER_OFF,
    NV_ON, CANCEL_ON/OFF must be answered 0 (tcti-mssim sends them and
    wants 0); SESSION_END and STOP close; SEND_COMMAND is no way to the TPM."""
    must_ok = {"power_on", "power_off", "nv_on", "cancel_on", "cancel_off"}
    closes = {"session_end", "stop"}
    payload = {"hash_data": u32(8) + b"hashdata", "send_command": sim_frame(SHUTDOWN_CLEAR)[4:],
               "remote_handshake": u32(1), "set_alternative_result": u32(0),
               "act_get_signaled": u32(0)}
    cs = CtrlSession(path, "mssim")
    seen, wrong = [], []
    items = list(MSSIM.items()) + [(f"0x{c:08x}", c) for c in MSSIM_UNKNOWN]
    kept_open = False
    for name, code in items:
        what = f"mssim {name}"
        try:
            kind, got = cs.exchange(u32(code) + payload.get(name, b""), 4, what)
            # Once a refusal left the connection open, one wait (to
            # detect that) is enough: the other refusals are not waited on.
            if kind == "answer" and got != b"\0\0\0\0" and not kept_open:
                kept_open = True
                at_eof(cs.sock, f"{what}: answered {got.hex()}, then (a simulator client "
                                "wants 4 zero bytes or a close)")
                kept_open = False
        except Failure as e:
            wrong.append(str(e))
            cs.close()
            seen.append(f"{name}=?")
            continue
        if kind == "answer" and got == b"\0\0\0\0":
            outcome = "0"
        elif kind == "answer":
            cs.close()
            outcome = f"{struct.unpack('>I', got)[0]}+close"
        else:
            outcome = "close" + (f"({got.hex()})" if got else "")
        if name in must_ok and outcome != "0":
            wrong.append(f"{what}: {outcome}, expected 00000000 (tcti-mssim needs it)")
        if name in closes and not outcome.startswith("close"):
            wrong.append(f"{what}: {outcome}, expected the connection closed")
        if name == "send_command" and outcome == "0":
            wrong.append(f"{what}: a TPM command on SOCK.ctrl answered 0")
        seen.append(f"{name}={outcome}")
    cs.close()
    return seen, wrong


def swtpm_barrage(path):
    """Every swtpm control command (and unknown codes) in the swtpm
    dialect, each on its own connection after SET_LOCALITY 0 (as
    tcti-swtpm does). Answers start with ptm_res. GET_CAPABILITY (8 bytes),
    INIT and SHUTDOWN (no-ops) succeed; other localities, the hash
    commands and the state blobs are refused (non-zero ptm_res or close)."""
    # (name, request after the code, answer bytes wanted, ok|refused|any)
    cases = [
        ("set_locality 0", u8(0), 4, "ok"),
        ("get_capability", b"", 8, "ok"),
        ("get_tpmestablished", b"", 8, "any"),
        ("init", u32(0), 4, "ok"),
        ("init (delete volatile)", u32(1), 4, "ok"),
        ("shutdown", b"", 4, "ok"),
        ("set_locality 1", u8(1), 4, "refused"),
        ("set_locality 3", u8(3), 4, "refused"),
        ("set_locality 4", u8(4), 4, "refused"),
        ("set_locality 255", u8(255), 4, "refused"),
        ("hash_start", b"", 4, "refused"),
        ("hash_data", u32(8) + b"hashdata", 4, "refused"),
        ("hash_end", b"", 4, "refused"),
        ("cancel_tpm_cmd", b"", 4, "any"),
        ("store_volatile", b"", 4, "any"),
        ("reset_tpmestablished", u8(3), 4, "refused"),
        ("get_stateblob", u32(0) + u32(1) + u32(0), 4, "refused"),
        ("set_stateblob", u32(0) + u32(1) + u32(4) + b"\0" * 4, 4, "refused"),
        ("get_config", b"", 4, "any"),
        ("set_datafd", b"", 4, "refused"),
        ("set_buffersize", u32(0), 4, "any"),
        ("get_info", u32(0) + u32(0) + u32(0), 4, "any"),
        ("lock_storage", u32(0), 4, "any"),
        ("stop", b"", 4, "any"),
    ]
    cases += [(f"0x{c:08x}", b"", 4, "refused") for c in SWTPM_UNKNOWN]
    cs = CtrlSession(path, "swtpm")
    seen, wrong = [], []
    for name, payload, want, expect in cases:
        what = f"swtpm {name}"
        code = SWTPM.get(name.split()[0])
        code = int(name, 16) if code is None else code
        try:
            kind, got = cs.exchange(u32(code) + payload, want, what)
        except Failure as e:
            wrong.append(str(e))
            seen.append(f"{name}=?")
            continue
        finally:
            cs.close()
        if kind == "answer":
            outcome = str(struct.unpack(">I", got[:4])[0])
        else:
            outcome = "close" + (f"({got.hex()})" if got else "")
        if expect == "ok" and outcome != "0":
            wrong.append(f"{what}: {outcome}, expected ptm_res 0")
        if expect == "refused" and outcome == "0":
            wrong.append(f"{what}: answered success, expected a refusal (non-zero ptm_res or "
                         "a close)")
        seen.append(f"{name}={outcome}")
    return seen, wrong


def sc_control(args):
    ctrl = args.sock + ".ctrl"
    # The holder connects before this process ever touches SOCK.ctrl: a raw
    # connection with per-connection ownership, like any other client's.
    with Conn(args.sock, "holder") as holder:
        state = TpmState(holder)
        watch = Watch(args)
        mseen, wrong = mssim_barrage(ctrl)
        sseen, swrong = swtpm_barrage(ctrl)
        wrong += swrong
        # A TPM command framed for the data socket but sent to SOCK.ctrl,
        # in both dialects' clothing: refused, never forwarded.
        for label, data in (("mssim send-command Startup", sim_frame(STARTUP_CLEAR)),
                            ("raw Shutdown bytes", SHUTDOWN_CLEAR)):
            s = connect(ctrl, label)
            send_all(s, data)
            try:
                got = recv_upto(s, 64, label)
            except Failure as e:
                wrong.append(str(e))
                continue
            finally:
                s.close()
            if got[:4] == b"\0\0\0\0":
                wrong.append(f"{label} on SOCK.ctrl: answered {got.hex()}, expected a refusal")
        print("mssim dialect: " + " ".join(mseen))
        print("swtpm dialect: " + " ".join(sseen))
        # Every problem is reported, the TPM's state first.
        problems = []

        def attempt(check):
            try:
                return check()
            except Failure as e:
                problems.append(str(e))

        attempt(lambda: watch.quiet("the control commands"))
        after = attempt(lambda: state.unchanged("the control commands"))
        attempt(lambda: must(get_random(holder), "holder: GetRandom afterwards"))
        if wrong:
            problems.append(f"{len(wrong)} wrong control answers:\n    " + "\n    ".join(wrong))
        if problems:
            raise Failure("\n  ".join(problems))
    print(f"{len(mseen)} simulator and {len(sseen)} swtpm control commands answered "
          f"without touching the TPM (tap and daemon: 0 TPM commands); {after}")


# ---- scenario: bad-data --------------------------------------------------------------------

def data_answer(s, what):
    """What the daemon did with a bad frame: ('closed', None), or
    ('raw'|'framed', rc) for a TPM response, bare or in simulator framing."""
    head = recv_upto(s, 4, what)
    if not head:
        return "closed", None
    if len(head) < 4:
        raise Failure(f"{what}: {len(head)} bytes and a close: {head.hex()}")
    if head[:2] in (b"\x80\x01", b"\x80\x02"):
        rest = recv_upto(s, 6, what)
        if len(rest) < 6:
            raise Failure(f"{what}: a response header cut short: {(head + rest).hex()}")
        _, size, rc = struct.unpack(">HII", head + rest)
        if not 10 <= size <= 4096:
            raise Failure(f"{what}: a raw answer of size {size}")
        if len(recv_upto(s, size - 10, what)) < size - 10:
            raise Failure(f"{what}: a response cut short")
        return "raw", rc
    n = struct.unpack(">I", head)[0]
    if not 10 <= n <= 4096:
        raise Failure(f"{what}: answered {head.hex()}...: neither a TPM response nor a "
                      "simulator-framed one")
    resp = recv_upto(s, n, what)
    trailer = recv_upto(s, 4, what)
    if len(resp) < n or trailer != b"\0\0\0\0":
        raise Failure(f"{what}: a framed answer cut short or without its u32 0 "
                      f"({resp.hex()} {trailer.hex()})")
    tag, size, rc = struct.unpack(">HII", resp[:10])
    if tag not in (0x8001, 0x8002) or size != n:
        raise Failure(f"{what}: framed answer with tag 0x{tag:04x} size {size} in {n} bytes")
    return "framed", rc


def expect_refusal(args, watch, data, what, then=None):
    """Send data on a fresh SOCK connection: a TPM error or a close, and
    nothing reaching the TPM. then: bytes sent after a (non-closing) error
    answer, also refused. Returns a short outcome for the report."""
    watch.mark()
    s = connect(args.sock, what)
    try:
        send_all(s, data)
        kind, rc = data_answer(s, what)
        if kind != "closed" and rc == 0:
            raise Failure(f"{what}: answered success ({kind})")
        outcome = kind if kind == "closed" else f"{kind} {rc:#010x}"
    finally:
        s.close()
    watch.quiet(what)
    return outcome


def good_then(args, watch, first, then, what):
    """A valid command in one framing, then bytes of another framing on
    the same connection: the first answered, the second refused."""
    s = connect(args.sock, what)
    try:
        send_all(s, first)
        kind, rc = data_answer(s, f"{what}: the valid command")
        if kind == "closed" or rc != 0:
            raise Failure(f"{what}: the valid first command got {kind} {rc}")
        watch.mark()
        send_all(s, then)
        kind, rc = data_answer(s, f"{what}: the other framing")
        if kind != "closed" and rc == 0:
            raise Failure(f"{what}: the second framing was answered success ({kind})")
    finally:
        s.close()
    watch.quiet(what)
    return "closed" if kind == "closed" else f"{kind} {rc:#010x}"


def sc_bad_data(args):
    watch = Watch(args)
    out = []
    gr = GET_RANDOM
    cases = [
        # Codes the data socket does not take (platform commands belong on
        # SOCK.ctrl) and codes nobody defined.
        *[(f"code {c}", u32(c) + u8(0) + u32(len(gr)) + gr)
          for c in (0, 1, 2, 5, 7, 9, 11, 15, 17, 18, 19, 21, 25, 30, 99, 0x00FFFFFF)],
        *[(f"code 0x{c:08x}", u32(c) + u8(0) + u32(len(gr)) + gr)
          for c in (0x12345678, 0x7FFFFFFF, 0xFFFFFFFF)],
        # A length that lies about the command that follows.
        ("length 10 < command size 12", sim_frame(gr, length=10)),
        ("length 11 < command size 12", sim_frame(gr, length=11)),
        ("length 20 > command size 12", sim_frame(gr + b"\0" * 8, length=20)),
        ("length 13 > command size 12", sim_frame(gr + b"\0", length=13)),
        ("length 0", sim_frame(b"", length=0)),
        ("length 5", sim_frame(gr[:5], length=5)),
        ("length 9", sim_frame(gr[:9], length=9)),
        ("length 0xffffffff", sim_frame(gr, length=0xFFFFFFFF)),
        ("length 0x80000000", sim_frame(gr, length=0x80000000)),
        ("length 65536", sim_frame(gr, length=65536)),
        ("length and size 4097", sim_frame(tpm_cmd(CC["GetRandom"], u16(8) + b"\0" * 4085))),
        ("size field 0xffffffff", sim_frame(gr[:2] + u32(0xFFFFFFFF) + gr[6:])),
        # The locality byte: the daemon never changes the TPM's locality.
        *[(f"locality {loc}", sim_frame(gr, locality=loc)) for loc in (1, 2, 3, 4, 0x80, 0xFF)],
        # A TPM command in a data frame that the proxy answers itself.
        ("Shutdown (framed)", sim_frame(SHUTDOWN_CLEAR)),
    ]
    for what, data in cases:
        if what == "Shutdown (framed)":
            # Answered by the proxy (success, as for raw clients): it must
            # not reach the TPM, whatever the answer.
            watch.mark()
            s = connect(args.sock, what)
            send_all(s, data)
            kind, rc = data_answer(s, what)
            s.close()
            watch.quiet(what)
            out.append(f"{what}: {kind} {rc}")
            continue
        out.append(f"{what}: {expect_refusal(args, watch, data, what)}")
    # One framing per connection: mssim then raw, raw then mssim.
    out.append("mssim then raw bytes: "
               + good_then(args, watch, sim_frame(gr), gr, "mssim then raw"))
    out.append("raw then mssim frame: "
               + good_then(args, watch, gr, sim_frame(gr), "raw then mssim"))
    # SESSION_END first: closed, nothing answered.
    s = connect(args.sock, "SESSION_END")
    send_all(s, u32(SESSION_END) + sim_frame(gr))
    at_eof(s, "SESSION_END as the first command")
    s.close()
    out.append("SESSION_END: closed")
    # After SESSION_END nothing more is taken.
    with SimConn(args.sock, "session") as c:
        must(get_random(c), "mssim GetRandom")
        c.sock.sendall(u32(SESSION_END) + sim_frame(gr))
        at_eof(c.sock, "SESSION_END after a command")
    out.append("command, SESSION_END, command: closed after SESSION_END")
    for line in out:
        print(line)
    print(f"{len(out)} bad data-socket inputs: each a TPM error or a close, none reached the TPM")


# ---- scenario: partial ---------------------------------------------------------------------

def sc_partial(args):
    gr = GET_RANDOM
    frame = sim_frame(gr)
    out = []
    for what, data in (("3 bytes of a code", frame[:3]),
                       ("the 9-byte prefix", frame[:9]),
                       ("the prefix and half the command", frame[:15]),
                       ("the prefix of a 4096-byte command",
                        sim_frame(tpm_cmd(CC["GetRandom"], u16(8) + b"\0" * 4084))[:100])):
        s = connect(args.sock, what)
        send_all(s, data)
        t0 = time.monotonic()
        at_eof(s, f"{what}, then silence")
        dt = time.monotonic() - t0
        s.close()
        if dt < args.timeout / 2:
            raise Failure(f"{what}: closed after {dt:.2f}s, before the "
                          f"{args.timeout:.0f}s partial-timeout")
        out.append(f"{what}: closed after {dt:.1f}s")
    # The control channel too: a swtpm SET_LOCALITY without its byte, a
    # HASH_DATA with fewer bytes than it announced.
    ctrl = args.sock + ".ctrl"
    for what, data in (("SOCK.ctrl: set-locality without its byte", u32(SWTPM["set_locality"])),
                       ("SOCK.ctrl: hash-data short of its length",
                        u32(SWTPM["set_locality"]) + u8(0) + u32(SWTPM["hash_data"]) + u32(100)
                        + b"x" * 10)):
        s = connect(ctrl, what)
        send_all(s, data)
        t0 = time.monotonic()
        if data[4:5] == b"\0":
            if recv_upto(s, 4, what) != b"\0\0\0\0":
                raise Failure(f"{what}: set-locality 0 first was not answered 00000000")
        at_eof(s, f"{what}, then silence")
        dt = time.monotonic() - t0
        s.close()
        if dt < args.timeout / 2:
            raise Failure(f"{what}: closed after {dt:.2f}s, before the "
                          f"{args.timeout:.0f}s partial-timeout")
        out.append(f"{what}: closed after {dt:.1f}s")
    # Cut off, then the peer closes.
    for n in (3, 9, 15):
        s = connect(args.sock, "cut off")
        send_all(s, frame[:n])
        s.close()
    out.append("cut off after 3, 9, 15 bytes and closed by the client")
    with SimConn(args.sock, "after") as c:
        must(get_random(c), "mssim GetRandom after the cut-off frames")
    for line in out:
        print(line)
    print(f"frames cut off: closed after the {args.timeout:.0f}s partial-timeout; "
          "the socket still serves")


# ---- scenarios: bad-ctrl, ctrl-flood ----------------------------------------------------------

def ctrl_garbage(path, data, what):
    """Garbage on a fresh SOCK.ctrl connection: some answer or a close,
    then (bounded) a close; returns what came back."""
    s = connect(path, what)
    try:
        send_all(s, data)
        got = b""
        s.settimeout(WAIT)
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
                if len(got) > 64:
                    raise Failure(f"{what}: {len(got)} bytes of answer to garbage")
        except ConnectionResetError:
            pass
        except socket.timeout:
            raise Failure(f"{what}: the connection is still open {WAIT:.0f}s later "
                          f"(answered {got.hex()})")
        return got
    finally:
        s.close()


def sc_bad_ctrl(args):
    ctrl = args.sock + ".ctrl"
    watch = Watch(args)
    rss0 = daemon_status(args)["rss_bytes"]
    out = []
    rnd = random.Random(11)
    garbage = [
        ("64 random bytes", b"\xa5" + bytes(rnd.randrange(256) for _ in range(63))),
        ("64 zero bytes", b"\0" * 64),
        ("all ones", b"\xff" * 16),
        ("an HTTP request", b"GET / HTTP/1.0\r\n\r\n"),
        ("a raw TPM command", GET_RANDOM),
    ]
    for what, data in garbage:
        got = ctrl_garbage(ctrl, data, what)
        out.append(f"{what}: {got.hex() or '-'} then close")
    # Lengths that would have a naive reader wait for or allocate gigabytes.
    huge = [
        ("swtpm HASH_DATA length 0xffffffff",
         u32(SWTPM["set_locality"]) + u8(0) + u32(SWTPM["hash_data"]) + u32(0xFFFFFFFF)),
        ("swtpm HASH_DATA length 0x80000000 with data",
         u32(SWTPM["set_locality"]) + u8(0) + u32(SWTPM["hash_data"]) + u32(0x80000000)
         + b"x" * 4096),
        ("swtpm HASH_DATA length 4097",
         u32(SWTPM["set_locality"]) + u8(0) + u32(SWTPM["hash_data"]) + u32(4097)),
        ("mssim HASH_DATA length 0xffffffff",
         u32(MSSIM["power_on"]) + u32(MSSIM["hash_data"]) + u32(0xFFFFFFFF)),
        ("swtpm SET_STATEBLOB length 0xffffffff",
         u32(SWTPM["set_locality"]) + u8(0) + u32(SWTPM["set_stateblob"]) + u32(0) + u32(1)
         + u32(0xFFFFFFFF)),
    ]
    for what, data in huge:
        got = ctrl_garbage(ctrl, data, what)
        # The set-locality/power-on before it is answered 0; the rest is a
        # refusal or nothing, and a close, without waiting for the data.
        if got[:4] != b"\0\0\0\0" or got[4:8] == b"\0\0\0\0":
            raise Failure(f"{what}: answered {got.hex()}, expected 00000000 for the opening "
                          "command, then a refusal or nothing")
        out.append(f"{what}: {got[4:].hex() or '-'} then close")
    # A HASH_DATA within bounds is consumed exactly: the stream stays in
    # step (the next command is understood).
    s = connect(ctrl, "HASH_DATA 4096")
    send_all(s, u32(SWTPM["set_locality"]) + u8(0) + u32(SWTPM["hash_data"]) + u32(4096)
             + b"h" * 4096 + u32(SWTPM["set_locality"]) + u8(0))
    got = recv_upto(s, 12, "HASH_DATA 4096 then set-locality")
    s.close()
    if len(got) >= 8 and got[:4] == b"\0" * 4 and got[4:8] != b"\0" * 4 and len(got) == 12:
        if got[8:12] != b"\0" * 4:
            raise Failure(f"set-locality 0 after a 4096-byte HASH_DATA answered {got[8:].hex()}")
        out.append("HASH_DATA 4096: refused, the next command understood")
    elif len(got) <= 8 and got[:4] == b"\0" * 4 and got[4:8] != b"\0" * 4:
        out.append("HASH_DATA 4096: refused and closed")
    else:
        raise Failure(f"HASH_DATA 4096 then set-locality: answered {got.hex()}")
    watch.quiet("garbage on SOCK.ctrl")
    rss = daemon_status(args)["rss_bytes"]
    if rss - rss0 > 64 * 1024 * 1024:
        raise Failure(f"the daemon grew by {(rss - rss0) >> 20} MiB on huge lengths")
    for line in out:
        print(line)
    print(f"{len(out)} kinds of garbage on SOCK.ctrl: refused or closed, nothing reached the "
          f"TPM, daemon RSS {rss0 >> 20} -> {rss >> 20} MiB")


def sc_ctrl_noread(args):
    """A SOCK.ctrl peer that sends commands without ever reading the
    answers: the daemon must stop reading (or drop it) rather than queue
    answers without bound."""
    ctrl = args.sock + ".ctrl"
    rss0 = daemon_status(args)["rss_bytes"]
    total = args.mib << 20
    s = connect(ctrl, "a control peer that never reads")
    s.setblocking(False)
    chunk = u32(MSSIM["power_on"]) * 16384       # 64 KiB of POWER_ON
    sent, stopped = 0, "sent all"
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_WRITE)
    while sent < total:
        try:
            sent += s.send(chunk)
            continue
        except BlockingIOError:
            pass
        except (BrokenPipeError, ConnectionResetError):
            stopped = "closed by the daemon"
            break
        # Only decides when to stop pushing: both outcomes are judged by
        # the daemon's memory below.
        if not sel.select(1.0):
            stopped = "the daemon stopped reading"
            break
    sel.close()
    rss = daemon_status(args)["rss_bytes"]
    s.close()
    grew = (rss - rss0) >> 20
    if grew > 64:
        raise Failure(f"{sent >> 20} MiB of POWER_ON sent to SOCK.ctrl by a peer that never "
                      f"reads ({stopped}): the daemon grew by {grew} MiB "
                      f"({rss0 >> 20} -> {rss >> 20} MiB) queueing answers")
    print(f"a control peer that never reads: {sent >> 20} MiB of POWER_ON sent ({stopped}), "
          f"the daemon grew by {grew} MiB")


def sc_ctrl_flood(args):
    ctrl = args.sock + ".ctrl"
    watch = Watch(args)
    rnd = random.Random(1000)
    batch, done, answered, vanished = 50, 0, 0, 0
    while done < args.count:
        n = min(batch, args.count - done)
        sel = selectors.DefaultSelector()
        socks = []
        for i in range(n):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(ctrl)
            # A non-zero first byte: a code no dialect has, so every
            # connection that sent a whole code is refused at once (a code
            # below 32 could be a real command waiting for its payload).
            vanishes = (done + i) % 4 == 3
            size = rnd.randrange(1 if vanishes else 4, 65)
            data = bytes([rnd.randrange(1, 256)]) + bytes(
                rnd.randrange(256) for _ in range(size - 1))
            send_all(s, data)
            if vanishes:
                s.close()          # a client that vanishes without reading
                vanished += 1
                continue
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ)
            socks.append(s)
        deadline = time.monotonic() + WAIT
        open_ = len(socks)
        while open_:
            events = sel.select(max(0.0, deadline - time.monotonic()))
            if not events:
                raise Failure(f"{open_} of {len(socks)} garbage connections still open "
                              f"{WAIT:.0f}s after they sent their bytes")
            for key, _ in events:
                try:
                    chunk = key.fileobj.recv(4096)
                except ConnectionResetError:
                    chunk = b""
                if chunk:
                    answered += 1
                    continue
                sel.unregister(key.fileobj)
                key.fileobj.close()
                open_ -= 1
        sel.close()
        done += n
    watch.quiet(f"{args.count} garbage connections on SOCK.ctrl")
    print(f"{args.count} connections sent garbage to SOCK.ctrl ({vanished} vanished without "
          f"reading): every one closed by the daemon, {answered} answers seen, "
          "nothing reached the TPM")


SCENARIOS = {
    "intrude": sc_intrude,
    "quota-probe": sc_quota_probe,
    "audit-connects": sc_audit_connects,
    "many-owners": sc_many_owners,
    "control": sc_control,
    "bad-data": sc_bad_data,
    "partial": sc_partial,
    "bad-ctrl": sc_bad_ctrl,
    "ctrl-flood": sc_ctrl_flood,
    "ctrl-noread": sc_ctrl_noread,
}


def main(argv):
    def options(ap):
        ap.add_argument("--sock", required=True)
        ap.add_argument("--tap-log")
        ap.add_argument("--ctl")
        ap.add_argument("--tpmproxyctl")
        ap.add_argument("--audit")
        ap.add_argument("--handles")
        ap.add_argument("--session-handles")
        ap.add_argument("--sessions", type=int, default=0)
        ap.add_argument("--per-command", action="store_true")
        ap.add_argument("--expect", choices=["full", "free"])
        ap.add_argument("--objects", type=int, default=0)
        ap.add_argument("--pid", type=int)
        ap.add_argument("--min", type=int, default=1)
        ap.add_argument("--max", type=int)
        ap.add_argument("--timeout", type=float, default=1.0)
        ap.add_argument("--count", type=int, default=1000)
        ap.add_argument("--mib", type=int, default=128)

    return scenario_main("simlib", __doc__, SCENARIOS, argv, options)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

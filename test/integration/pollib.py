#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# Policy tests (pol-*.sh): a TPM command tap, pod identities and the raw-protocol scenarios of issue #4; stdlib only.
"""Usage: pollib.py SCENARIO --dir T [--conf FILE] [--tap-log FILE]
                  [--proc-root DIR] [--daemon-pid PID] [--log FILE] [--opt K=V]...
       pollib.py tap --upstream TCTI --tap-log FILE --ready FILE
       pollib.py probe --path SOCKET --expect ok|closed|eacces|retry|denied

Scenarios talk raw TPM 2.0 bytes (rmlib.py's Conn) to a tpmproxyd started
from a configuration file (pollib.sh): the socket named NAME is T/NAME.sock.
Each prints details and then one summary line and exits 0; on failure it
prints 'pollib: SCENARIO: what failed' on stderr and exits 1.

tap: a TCP relay in front of swtpm (server and control ports, N and N+1)
that appends one line per TPM command it forwards to the TPM,
'SEQ MONOTONIC_NS CODE SIZE', flushed before the command is forwarded, so a
client holding its answer knows whether its command reached the TPM.

--proc-root DIR is the daemon's --proc-root: a client process enters a pod
by writing DIR/<its pid>/cgroup before it connects.
"""

import sys

sys.dont_write_bytecode = True

import os  # noqa: E402
import pwd  # noqa: E402
import random  # noqa: E402
import selectors  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import stat  # noqa: E402
import statistics  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rmlib  # noqa: E402
from rmlib import (  # noqa: E402
    ALG_ECC, ALG_ECDSA, ALG_NULL, ALG_SHA256, ECC_NIST_P256, OA_SIGN, OA_USER_WITH_AUTH,
    PCR0_SHA256, PW, RH_NULL, RH_OWNER, RM_LAYER, Conn, Failure, Mismatches, b2, context_load,
    context_save, create_primary, ecc_signing_template, expect_rc, flush, get_random,
    hash_sequence_start, key, must, policy_get_digest, policy_pcr, policy_secret, rcstr,
    read_public, scenario_main, session, sign, sign_and_verify, start_session, u8, u16, u32,
    verify_signature)

WAIT = float(os.environ.get("TPMPROXY_TEST_WAIT", "30"))

# ---- constants ----------------------------------------------------------------

RC_DENIED = RM_LAYER | 0x143       # TPM_RC_COMMAND_CODE: not in the socket's profile
RC_OBJECT_QUOTA = RM_LAYER | 0x902  # TPM_RC_OBJECT_MEMORY
RC_SESSION_QUOTA = RM_LAYER | 0x903  # TPM_RC_SESSION_MEMORY
RC_NV_QUOTA = RM_LAYER | 0x14B     # TPM_RC_NV_SPACE
RC_RETRY = RM_LAYER | 0x922        # TPM_RC_RETRY: over the rate, or max-connections
RC_INITIALIZE = 0x100              # TPM_RC_INITIALIZE (TPM layer): answer to Startup

RH_LOCKOUT = 0x4000000A
RH_ENDORSEMENT = 0x4000000B
RH_PLATFORM = 0x4000000C
HIERARCHIES = {RH_OWNER: "owner", RH_ENDORSEMENT: "endorsement", RH_PLATFORM: "platform",
               RH_NULL: "null", RH_LOCKOUT: "lockout"}

CAP_COMMANDS = 2
CAP_TPM_PROPERTIES = 6
PT_FIXED = 0x100

# TPM2_CC_* (TPM 2.0 Part 2, table 12; tss2_tpm2_types.h).
CC = dict(
    NV_UndefineSpaceSpecial=0x11F, EvictControl=0x120, HierarchyControl=0x121,
    NV_UndefineSpace=0x122, ChangeEPS=0x124, ChangePPS=0x125, Clear=0x126, ClearControl=0x127,
    ClockSet=0x128, HierarchyChangeAuth=0x129, NV_DefineSpace=0x12A, PCR_Allocate=0x12B,
    PCR_SetAuthPolicy=0x12C, PP_Commands=0x12D, SetPrimaryPolicy=0x12E,
    FieldUpgradeStart=0x12F, ClockRateAdjust=0x130, CreatePrimary=0x131,
    NV_GlobalWriteLock=0x132, GetCommandAuditDigest=0x133, NV_Increment=0x134,
    NV_SetBits=0x135, NV_Extend=0x136, NV_Write=0x137, NV_WriteLock=0x138,
    DictionaryAttackLockReset=0x139, DictionaryAttackParameters=0x13A, NV_ChangeAuth=0x13B,
    PCR_Event=0x13C, PCR_Reset=0x13D, SequenceComplete=0x13E, SetAlgorithmSet=0x13F,
    SetCommandCodeAuditStatus=0x140, FieldUpgradeData=0x141, IncrementalSelfTest=0x142,
    SelfTest=0x143, Startup=0x144, Shutdown=0x145, StirRandom=0x146,
    ActivateCredential=0x147, Certify=0x148, PolicyNV=0x149, CertifyCreation=0x14A,
    Duplicate=0x14B, GetTime=0x14C, GetSessionAuditDigest=0x14D, NV_Read=0x14E,
    NV_ReadLock=0x14F, ObjectChangeAuth=0x150, PolicySecret=0x151, Rewrap=0x152,
    Create=0x153, ECDH_ZGen=0x154, HMAC=0x155, Import=0x156, Load=0x157, Quote=0x158,
    RSA_Decrypt=0x159, HMAC_Start=0x15B, SequenceUpdate=0x15C, Sign=0x15D, Unseal=0x15E,
    PolicySigned=0x160, ContextLoad=0x161, ContextSave=0x162, ECDH_KeyGen=0x163,
    EncryptDecrypt=0x164, FlushContext=0x165, LoadExternal=0x167, MakeCredential=0x168,
    NV_ReadPublic=0x169, PolicyAuthorize=0x16A, PolicyAuthValue=0x16B,
    PolicyCommandCode=0x16C, PolicyCounterTimer=0x16D, PolicyCpHash=0x16E,
    PolicyLocality=0x16F, PolicyNameHash=0x170, PolicyOR=0x171, PolicyTicket=0x172,
    ReadPublic=0x173, RSA_Encrypt=0x174, StartAuthSession=0x176, VerifySignature=0x177,
    ECC_Parameters=0x178, FirmwareRead=0x179, GetCapability=0x17A, GetRandom=0x17B,
    GetTestResult=0x17C, Hash=0x17D, PCR_Read=0x17E, PolicyPCR=0x17F, PolicyRestart=0x180,
    ReadClock=0x181, PCR_Extend=0x182, PCR_SetAuthValue=0x183, NV_Certify=0x184,
    EventSequenceComplete=0x185, HashSequenceStart=0x186, PolicyPhysicalPresence=0x187,
    PolicyDuplicationSelect=0x188, PolicyGetDigest=0x189, TestParms=0x18A, Commit=0x18B,
    PolicyPassword=0x18C, ZGen_2Phase=0x18D, EC_Ephemeral=0x18E, PolicyNvWritten=0x18F,
    PolicyTemplate=0x190, CreateLoaded=0x191, PolicyAuthorizeNV=0x192,
    EncryptDecrypt2=0x193, AC_GetCapability=0x194, AC_Send=0x195,
    Policy_AC_SendSelect=0x196, CertifyX509=0x197, ACT_SetTimeout=0x198)
CC_NAME = {v: k for k, v in CC.items()}


def ccname(code):
    return f"TPM2_CC_{CC_NAME[code]}" if code in CC_NAME else f"command 0x{code:08x}"


# ---- the TPM tap --------------------------------------------------------------

def parse_tcti(tcti):
    """host and port of a swtpm:/mssim: TCTI string."""
    conf = tcti.split(":", 1)[1] if ":" in tcti else tcti
    kv = dict(p.split("=", 1) for p in conf.split(",") if "=" in p)
    return kv.get("host", "127.0.0.1"), int(kv.get("port", "2321"))


class TapServer:
    def __init__(self, upstream, log_path):
        self.host, self.port = upstream
        self.log = open(log_path, "a", buffering=1)
        self.lock = threading.Lock()
        self.seq = 0

    def record(self, code, size):
        with self.lock:
            self.seq += 1
            self.log.write(f"{self.seq} {time.monotonic_ns()} 0x{code:x} {size}\n")
            self.log.flush()

    @staticmethod
    def pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def commands(self, src, dst):
        """Client to TPM: forward whole commands, each logged first."""
        buf = b""
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                buf += data
                while len(buf) >= 10:
                    size = struct.unpack(">I", buf[2:6])[0]
                    if size < 10:          # not a TPM command: pass it on raw
                        dst.sendall(buf)
                        buf = b""
                        break
                    if len(buf) < size:
                        break
                    self.record(struct.unpack(">I", buf[6:10])[0], size)
                    dst.sendall(buf[:size])
                    buf = buf[size:]
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def serve(self, lsock, offset, parse):
        while True:
            client, _ = lsock.accept()
            try:
                up = socket.create_connection((self.host, self.port + offset))
            except OSError:
                client.close()
                continue
            fwd = self.commands if parse else self.pump
            threading.Thread(target=fwd, args=(client, up), daemon=True).start()
            threading.Thread(target=self.pump, args=(up, client), daemon=True).start()


def listen_port_pair(port=None):
    """Listening sockets on loopback port and port + 1 (swtpm's command and
    control ports): (port, [sock, sock]), or None if one is taken. A random
    even port when port is None."""
    if port is None:
        port = 20000 + random.randrange(6000) * 2
    socks = []
    try:
        for p in (port, port + 1):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            socks.append(s)
            s.bind(("127.0.0.1", p))
            s.listen(64)
    except OSError:
        for s in socks:
            s.close()
        return None
    return port, socks


def sc_tap(args):
    tap = TapServer(parse_tcti(args.upstream), args.tap_log)
    for _ in range(200):
        pair = listen_port_pair()
        if pair is not None:
            break
    else:
        raise Failure("no free port pair for the tap")
    port, socks = pair
    threading.Thread(target=tap.serve, args=(socks[1], 1, False), daemon=True).start()
    tmp = args.ready + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"swtpm:host=127.0.0.1,port={port}\n")
    os.replace(tmp, args.ready)
    tap.serve(socks[0], 0, True)


class Tap:
    """Reads the tap's log: which commands reached the TPM, and when."""

    def __init__(self, path):
        if not path:
            raise Failure("this scenario needs the TPM tap (pol_init --tap)")
        self.path = path

    def entries(self):
        out = []
        with open(self.path) as f:
            for line in f:
                if not line.endswith("\n"):
                    break
                seq, t, code, size = line.split()
                out.append((int(seq), int(t), int(code, 16), int(size)))
        return out

    def mark(self):
        return len(self.entries())

    def codes_since(self, mark):
        return [e[2] for e in self.entries()[mark:]]

    def count_since(self, mark, code):
        return self.codes_since(mark).count(code)


# ---- commands rmlib.py has no helper for -----------------------------------------

def sock(args, name):
    return os.path.join(args.dir, name + ".sock")


def p256_public():
    """A TPMT_PUBLIC holding the P-256 generator point: a valid public key
    for LoadExternal (no fixedTPM/fixedParent)."""
    gx = bytes.fromhex("6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296")
    gy = bytes.fromhex("4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5")
    return (u16(ALG_ECC) + u16(ALG_SHA256) + u32(OA_USER_WITH_AUTH | OA_SIGN) + b2(b"")
            + u16(ALG_NULL) + u16(ALG_ECDSA) + u16(ALG_SHA256) + u16(ECC_NIST_P256)
            + u16(ALG_NULL) + b2(gx) + b2(gy))


def call(c, name, handles=(), params=b"", auths=(), rhandles=0):
    return c.call(CC[name], handles, params, auths, rhandles=rhandles, what=name)


def create_loaded(c, parent, template=None):
    template = ecc_signing_template() if template is None else template
    r = call(c, "CreateLoaded", [parent], b2(b2(b"") + b2(b"")) + b2(template), [PW()], 1)
    if r.rc == 0:
        r.handle = r.handles[0]
    return r


def load_external(c):
    r = call(c, "LoadExternal", [], b2(b"") + b2(p256_public()) + u32(RH_NULL), rhandles=1)
    if r.rc == 0:
        r.handle = r.handles[0]
    return r


def quote(c, k):
    return call(c, "Quote", [k], b2(b"") + u16(ALG_NULL) + PCR0_SHA256, [PW()])


def get_time(c, k):
    return call(c, "GetTime", [RH_ENDORSEMENT, k], b2(b"") + u16(ALG_NULL), [PW(), PW()])


def activate_credential(c, k):
    return call(c, "ActivateCredential", [k, k], b2(b"\0" * 20) + b2(b"\0" * 32), [PW(), PW()])


def hmac_start(c, k):
    return call(c, "HMAC_Start", [k], b2(b"") + u16(ALG_SHA256), [PW()], 1)


def encrypt_decrypt(c, k):
    return call(c, "EncryptDecrypt", [k], u8(0) + u16(ALG_NULL) + b2(b"") + b2(b"x" * 16), [PW()])


def unseal(c, k):
    return call(c, "Unseal", [k], b"", [PW()])


def fake_signature():
    return u16(ALG_ECDSA) + u16(ALG_SHA256) + b2(b"\1" * 32) + b2(b"\1" * 32)


def get_cap_props(c):
    return call(c, "GetCapability", [], u32(CAP_TPM_PROPERTIES) + u32(PT_FIXED) + u32(1))


def pcr_read(c):
    return call(c, "PCR_Read", [], PCR0_SHA256)


def pcr_extend(c, pcr=16, auths=(PW(),)):
    return call(c, "PCR_Extend", [pcr], u32(1) + u16(ALG_SHA256) + os.urandom(32), list(auths))


def read_clock(c):
    return call(c, "ReadClock")


def tpm_hash(c):
    return call(c, "Hash", [], b2(b"abc") + u16(ALG_SHA256) + u32(RH_NULL))


def test_parms(c):
    return call(c, "TestParms", [], u16(ALG_ECC) + u16(ALG_NULL) + u16(ALG_ECDSA)
                + u16(ALG_SHA256) + u16(ECC_NIST_P256) + u16(ALG_NULL))


def stir_random(c):
    return call(c, "StirRandom", [], b2(os.urandom(16)))


def startup(c):
    return call(c, "Startup", [], u16(0))     # TPM_SU_CLEAR


def shutdown(c):
    return call(c, "Shutdown", [], u16(0))


NV_ATTRS = (1 << 1) | (1 << 2) | (1 << 17) | (1 << 18)   # OWNERWRITE AUTHWRITE OWNERREAD AUTHREAD


def nv_define(c, index, auths=(PW(),)):
    public = u32(index) + u16(ALG_SHA256) + u32(NV_ATTRS) + b2(b"") + u16(8)
    return call(c, "NV_DefineSpace", [RH_OWNER], b2(b"") + b2(public), list(auths))


def nv_undefine(c, index):
    return call(c, "NV_UndefineSpace", [RH_OWNER, index], b"", [PW()])


def evict_control(c, obj, persistent, auths=(PW(),)):
    return call(c, "EvictControl", [RH_OWNER, obj], u32(persistent), list(auths))


def tpm_commands(c):
    """The command codes the TPM implements (GetCapability(TPM_CAP_COMMANDS))."""
    codes, first = set(), CC["NV_UndefineSpaceSpecial"]
    while True:
        r = must(call(c, "GetCapability", [], u32(CAP_COMMANDS) + u32(first) + u32(256)),
                 f"{c.name}: GetCapability(COMMANDS)")
        rd = r.reader("GetCapability(COMMANDS)")
        more = rd.u8()
        rd.u32()
        got = [rd.u32() & 0xFFFF for _ in range(rd.u32())]
        codes.update(got)
        if not more or not got:
            return codes
        first = max(got) + 1


def rc_closed(c, what, timeout=WAIT):
    """Wait for EOF on c (bounded); Failure if bytes arrive or it stays open."""
    c.sock.settimeout(timeout)
    got = b""
    try:
        while True:
            chunk = c.sock.recv(65536)
            if not chunk:
                break
            got += chunk
    except socket.timeout:
        raise Failure(f"{what}: still open {timeout:.0f}s later"
                      + (f" ({len(got)} bytes received)" if got else ""))
    except ConnectionResetError:
        pass
    finally:
        c.sock.settimeout(rmlib.TIMEOUT)
    if got:
        raise Failure(f"{what}: {len(got)} unexpected bytes before the close: {got[:16].hex()}")


def send_quietly(c, data):
    """Send; a peer that closed already is not an error here."""
    try:
        c.send(data)
        return True
    except OSError:
        return False


# ---- pods and child processes -------------------------------------------------------

POD_UIDS = ["1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e", "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
            "0f0e0d0c-0b0a-4909-8807-060504030201"]


def pod_cgroup(uid, style):
    """A /proc/PID/cgroup of a process in Kubernetes pod uid: the systemd
    driver with cgroup v2, or the cgroupfs driver with cgroup v1."""
    cid = "3f2e" * 16
    if style == "systemd":
        u = uid.replace("-", "_")
        return ("0::/kubepods.slice/kubepods-besteffort.slice/"
                f"kubepods-besteffort-pod{u}.slice/cri-containerd-{cid}.scope\n")
    return "".join(f"{n}:{ctl}:/kubepods/burstable/pod{uid}/{cid}\n"
                   for n, ctl in ((12, "pids"), (7, "memory"), (3, "cpu,cpuacct"))) + "0::/\n"


def enter_pod(proc_root, uid, style="systemd"):
    """Make this process a member of pod uid, as the daemon sees it."""
    d = os.path.join(proc_root, str(os.getpid()))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "cgroup"), "w") as f:
        f.write(pod_cgroup(uid, style))


class Child:
    """fn(ctl, *args) in a forked process, which the daemon sees as another
    peer (and, with enter_pod, another pod). Lines go both ways: the child
    calls ctl.say()/ctl.hear(), the parent child.say()/child.hear()."""

    def __init__(self, label, fn, *args, proc_root=None):
        self.label, self.proc_root, self.buf = label, proc_root, b""
        up_r, up_w = os.pipe()
        down_r, down_w = os.pipe()
        sys.stdout.flush()
        self.pid = os.fork()
        if self.pid == 0:
            os.close(up_r)
            os.close(down_w)
            self.rfd, self.wfd = down_r, up_w
            rc = 0
            try:
                fn(self, *args)
                self.say("done")
            except Failure as e:
                self.say(f"FAIL {e}")
                rc = 1
            except Exception as e:  # noqa: BLE001 - reported to the parent
                self.say(f"FAIL {type(e).__name__}: {e}")
                rc = 1
            os._exit(rc)
        os.close(up_w)
        os.close(down_r)
        self.rfd, self.wfd = up_r, down_w

    def say(self, msg):
        try:
            os.write(self.wfd, (msg.replace("\n", " | ") + "\n").encode())
        except BrokenPipeError:
            pass

    def readable(self):
        """Read what is there (call when the fd is readable); False at EOF."""
        data = os.read(self.rfd, 65536)
        self.buf += data
        return bool(data)

    def line(self):
        """A complete line already read, or None."""
        if b"\n" not in self.buf:
            return None
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace")

    def hear(self, want=None):
        deadline = time.monotonic() + WAIT * 2
        while (line := self.line()) is None:
            sel = selectors.DefaultSelector()
            sel.register(self.rfd, selectors.EVENT_READ)
            ok = sel.select(max(0.0, deadline - time.monotonic()))
            sel.close()
            if not ok:
                raise Failure(f"{self.label}: no word from the other side within "
                              f"{WAIT * 2:.0f}s")
            if not self.readable():
                raise Failure(f"{self.label}: the other side exited without a word")
        if line.startswith("FAIL "):
            self.join()
            raise Failure(f"{self.label}: {line[5:]}")
        if want is not None and line != want:
            raise Failure(f"{self.label}: said '{line}', expected '{want}'")
        return line

    def join(self):
        if self.pid:
            os.waitpid(self.pid, 0)
            if self.proc_root:
                d = os.path.join(self.proc_root, str(self.pid))
                try:
                    os.unlink(os.path.join(d, "cgroup"))
                    os.rmdir(d)
                except OSError:
                    pass
            self.pid = 0

    def finish(self):
        """Let the child run to its end and require that it succeeded."""
        self.say("go")
        self.hear("done")
        self.join()


# ---- scenario: probe (one connection, one command; used with setpriv) ---------------

def probe(path, cmd="getrandom"):
    """What one connection gets: ok, closed (no answer bytes), eacces,
    enoent, denied, retry or 'rc 0x...'."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(WAIT)
    try:
        s.connect(path)
    except PermissionError:
        return "eacces"
    except FileNotFoundError:
        return "enoent"
    except ConnectionRefusedError:
        return "refused"
    c = Conn.__new__(Conn)
    c.name, c.sock, c.names, c.rbuf = "probe", s, {}, b""
    if cmd == "primary":
        data = c.build(CC["CreatePrimary"], [RH_OWNER],
                       b2(b2(b"") + b2(b"")) + b2(ecc_signing_template()) + b2(b"") + u32(0),
                       [PW()])
    elif cmd == "stirrandom":
        data = c.build(CC["StirRandom"], [], b2(b"x" * 8))
    else:
        data = c.build(CC["GetRandom"], [], u16(8))
    send_quietly(c, data)
    got = b""
    try:
        while len(got) < 10:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except ConnectionResetError:
        pass
    except socket.timeout:
        return "no answer"
    finally:
        s.close()
    if not got:
        return "closed"
    if len(got) < 10:
        return f"{len(got)} bytes then closed"
    rc = struct.unpack(">I", got[6:10])[0]
    return {0: "ok", RC_DENIED: "denied", RC_RETRY: "retry"}.get(rc, f"rc 0x{rc:08x}")


def sc_probe(args):
    got = probe(args.path, args.cmd)
    who = f"uid {os.getuid()}"
    if got != args.expect:
        raise Failure(f"{who} on {args.path}: {got}, expected {args.expect}")
    print(f"{who} on {os.path.basename(args.path)}: {got}")


def probe_as(uid, path, expect, cmd="getrandom"):
    """probe as another uid; Failure naming what it got. A forked child
    drops to uid (groups cleared, gid = uid, as setpriv would) and probes,
    so nothing in the source tree (which may be 0700) needs to be
    readable by that uid."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        status = 1
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            got = probe(path, cmd)
            msg = f"{got}\n" if got == expect else \
                f"uid {uid} on {path}: {got}, expected {expect}\n"
            status = 0 if got == expect else 1
        except BaseException as e:  # anything, reported to the parent
            msg = f"uid {uid} on {path}: {type(e).__name__}: {e}\n"
        os.write(wfd, msg.encode())
        os._exit(status)
    os.close(wfd)
    out = b""
    while True:
        chunk = os.read(rfd, 4096)
        if not chunk:
            break
        out += chunk
    os.close(rfd)
    _, st = os.waitpid(pid, 0)
    text = out.decode(errors="replace").strip()
    if os.waitstatus_to_exitcode(st) != 0:
        raise Failure(text or f"probe as uid {uid} exited {st}")
    return text


# ---- scenario: profiles ---------------------------------------------------------------

class ProfileChecks:
    """Allowed and denied commands on one socket, each judged by its answer
    and by whether the tap saw it reach the TPM."""

    def __init__(self, args, tap, tpm_cmds, name, profile, probe_fn=get_random):
        self.tap, self.tpm_cmds, self.profile = tap, tpm_cmds, profile
        self.c = Conn(sock(args, name), f"{name} ({profile})")
        self.m = Mismatches(f"socket {name}, profile {profile}")
        self.probe_fn = probe_fn
        self.skipped, self.n_allowed, self.n_denied = [], 0, 0

    def _run(self, code, fn):
        mark = self.tap.mark()
        r = fn()
        return r, code in self.tap.codes_since(mark)

    def allowed(self, code, what, fn, succeed=True):
        """The command must pass the proxy and reach the TPM; with succeed,
        the TPM must accept it too."""
        self.m.checked += 1
        self.n_allowed += 1
        r, reached = self._run(code, fn)
        if r.rc == RC_DENIED:
            self.m.items.append(f"{what}: refused by the proxy ({rcstr(r.rc)}) but the "
                                f"{self.profile} profile allows {ccname(code)}")
        elif not reached:
            self.m.items.append(f"{what}: answered {rcstr(r.rc)} without reaching the TPM")
        elif succeed and r.rc != 0:
            self.m.items.append(f"{what}: reached the TPM but failed with {rcstr(r.rc)}")
        return r if r.rc == 0 else None

    def denied(self, code, what, fn):
        """The proxy must answer 0x000B0143 and the TPM never see it; the
        connection stays usable."""
        if code not in self.tpm_cmds:
            # The proxy answers any command the TPM lacks with the same code,
            # so such a check would prove nothing about the profile.
            self.skipped.append(what)
            return
        self.m.checked += 1
        self.n_denied += 1
        r, reached = self._run(code, fn)
        if reached:
            self.m.items.append(f"{what}: denied command reached the TPM (answered {rcstr(r.rc)})")
        elif r.rc != RC_DENIED:
            self.m.items.append(f"{what}: answered {rcstr(r.rc)}, expected {rcstr(RC_DENIED)}")
        p = self.probe_fn(self.c)
        if p.rc != 0:
            self.m.items.append(f"after the denied {what}: the connection's next allowed "
                                f"command failed with {rcstr(p.rc)}")

    def startup_shutdown(self):
        """Startup and Shutdown are the proxy's to answer, whatever the profile."""
        for name, fn, want in (("Startup", startup, RC_INITIALIZE),
                               ("Shutdown", shutdown, 0)):
            self.m.checked += 1
            r, reached = self._run(CC[name], lambda: fn(self.c))
            if reached:
                self.m.items.append(f"TPM2_{name}(CLEAR) reached the TPM")
            elif r.rc != want:
                self.m.items.append(f"TPM2_{name}(CLEAR): answered {rcstr(r.rc)}, expected "
                                    f"{rcstr(want)} from the proxy")

    def done(self):
        self.c.close()
        self.m.done()
        note = f"; skipped (the TPM lacks them): {', '.join(self.skipped)}" if self.skipped else ""
        return f"{self.profile}: {self.n_allowed} allowed, {self.n_denied} denied ok{note}"


def primary_under(pc, hierarchy, allowed, via="CreatePrimary"):
    """CreatePrimary (or CreateLoaded) under a hierarchy, allowed or denied."""
    c = pc.c
    what = f"{via}({HIERARCHIES[hierarchy]})"
    fn = (lambda: create_primary(c, hierarchy=hierarchy)) if via == "CreatePrimary" \
        else (lambda: create_loaded(c, hierarchy))
    if allowed:
        r = pc.allowed(CC[via], what, fn)
        return r.handle if r else None
    pc.denied(CC[via], what, fn)
    return None


def no_auth(*_):
    """An empty authorization list: commands that need one are sent without,
    so if the proxy wrongly forwarded them the TPM would refuse them
    (TPM_RC_AUTH_MISSING) and nothing would change."""
    return ()


def denied_dangerous(pc, names):
    """Commands that change the TPM for everyone, sent without authorization
    (harmless should one get through; the tap still sees it)."""
    c = pc.c
    forms = {
        "Clear": ([RH_PLATFORM], b""),
        "ClearControl": ([RH_PLATFORM], u8(1)),
        "HierarchyControl": ([RH_PLATFORM], u32(RH_OWNER) + u8(0)),
        "HierarchyChangeAuth": ([RH_OWNER], b2(b"stolen")),
        "SetPrimaryPolicy": ([RH_OWNER], b2(b"\0" * 32) + u16(ALG_SHA256)),
        "ChangeEPS": ([RH_PLATFORM], b""),
        "ChangePPS": ([RH_PLATFORM], b""),
        "DictionaryAttackParameters": ([RH_LOCKOUT], u32(1) + u32(1) + u32(1)),
        "FieldUpgradeStart": ([RH_PLATFORM, RH_PLATFORM], b2(b"") + u16(ALG_NULL)),
        "FirmwareRead": ([], u32(0)),
        "NV_DefineSpace": ([RH_OWNER], b2(b"") + b2(u32(0x01500100) + u16(ALG_SHA256)
                                                     + u32(NV_ATTRS) + b2(b"") + u16(8))),
        "PCR_Extend": ([16], u32(1) + u16(ALG_SHA256) + b"\x11" * 32),
        "EvictControl": ([RH_OWNER, 0x80000000], u32(0x81000100)),
        "StirRandom": ([], b2(b"stir")),
    }
    for name in names:
        handles, params = forms[name]
        pc.denied(CC[name], f"{name} (no authorization)",
                  lambda h=handles, p=params, n=name: call(c, n, h, p))


def profile_readonly(pc):
    c = pc.c
    pc.allowed(CC["GetRandom"], "GetRandom", lambda: get_random(c))
    pc.allowed(CC["GetCapability"], "GetCapability(TPM_PROPERTIES)", lambda: get_cap_props(c))
    pc.allowed(CC["PCR_Read"], "PCR_Read", lambda: pcr_read(c))
    pc.allowed(CC["ReadClock"], "ReadClock", lambda: read_clock(c))
    pc.allowed(CC["Hash"], "Hash", lambda: tpm_hash(c))
    pc.allowed(CC["TestParms"], "TestParms(ECC P-256)", lambda: test_parms(c))
    pc.allowed(CC["HashSequenceStart"], "HashSequenceStart", lambda: hash_sequence_start(c))
    r = pc.allowed(CC["StartAuthSession"], "StartAuthSession(policy)",
                   lambda: start_session(c, policy=True))
    ps = r.session.handle if r else 0x03000000
    if r:
        pc.allowed(CC["PolicyPCR"], "PolicyPCR on its own session", lambda: policy_pcr(c, ps))
    primary_under(pc, RH_OWNER, False)
    primary_under(pc, RH_ENDORSEMENT, False)
    pc.denied(CC["LoadExternal"], "LoadExternal", lambda: load_external(c))
    pc.denied(CC["PolicySecret"], "PolicySecret(endorsement, own session)",
              lambda: policy_secret(c, RH_ENDORSEMENT, ps))
    pc.denied(CC["Sign"], "Sign", lambda: sign(c, 0x80000001))
    denied_dangerous(pc, ["StirRandom", "PCR_Extend", "NV_DefineSpace", "EvictControl",
                          "Clear", "HierarchyChangeAuth"])


def profile_attest(pc):
    c = pc.c
    pc.allowed(CC["GetRandom"], "GetRandom", lambda: get_random(c))
    k = primary_under(pc, RH_ENDORSEMENT, True)
    primary_under(pc, RH_ENDORSEMENT, True, via="CreateLoaded")
    if k is None:
        raise Failure(f"{c.name}: no key under the endorsement hierarchy; "
                      f"{pc.m.items[-1] if pc.m.items else ''}")
    pc.allowed(CC["ReadPublic"], "ReadPublic(own key)", lambda: read_public(c, k))
    pc.allowed(CC["Certify"], "Certify(own key, own key)", lambda: rmlib.certify(c, k, k))
    pc.allowed(CC["Quote"], "Quote(own key, PCR0)", lambda: quote(c, k))
    r = pc.allowed(CC["StartAuthSession"], "StartAuthSession(policy)",
                   lambda: start_session(c, policy=True))
    if r:
        pc.allowed(CC["PolicySecret"], "PolicySecret(endorsement, own session)",
                   lambda: policy_secret(c, RH_ENDORSEMENT, r.session.handle))
    pc.allowed(CC["LoadExternal"], "LoadExternal(P-256 public)", lambda: load_external(c),
               succeed=False)
    primary_under(pc, RH_OWNER, False)
    primary_under(pc, RH_NULL, False)
    primary_under(pc, RH_OWNER, False, via="CreateLoaded")
    pc.denied(CC["Sign"], "Sign(own key)", lambda: sign(c, k))
    pc.denied(CC["VerifySignature"], "VerifySignature(own key)",
              lambda: verify_signature(c, k, b"\0" * 32, fake_signature()))
    pc.denied(CC["EncryptDecrypt"], "EncryptDecrypt(own key)", lambda: encrypt_decrypt(c, k))
    pc.denied(CC["HMAC_Start"], "HMAC_Start(own key)", lambda: hmac_start(c, k))
    pc.denied(CC["Unseal"], "Unseal(own key)", lambda: unseal(c, k))
    denied_dangerous(pc, ["EvictControl", "NV_DefineSpace", "StirRandom", "PCR_Extend", "Clear"])


def profile_crypto(pc):
    c = pc.c
    pc.allowed(CC["GetRandom"], "GetRandom", lambda: get_random(c))
    k = primary_under(pc, RH_OWNER, True)
    primary_under(pc, RH_NULL, True)
    primary_under(pc, RH_OWNER, True, via="CreateLoaded")
    if k is None:
        raise Failure(f"{c.name}: no key under the owner hierarchy; "
                      f"{pc.m.items[-1] if pc.m.items else ''}")
    r = pc.allowed(CC["Sign"], "Sign(own key)", lambda: sign(c, k))
    if r:
        pc.allowed(CC["VerifySignature"], "VerifySignature(own key)",
                   lambda: verify_signature(c, k, r.digest, r.signature))
    pc.allowed(CC["StirRandom"], "StirRandom", lambda: stir_random(c))
    # Wrong key types for these: the TPM refuses them, but they got there.
    pc.allowed(CC["HMAC_Start"], "HMAC_Start(own signing key)", lambda: hmac_start(c, k),
               succeed=False)
    pc.allowed(CC["EncryptDecrypt"], "EncryptDecrypt(own signing key)",
               lambda: encrypt_decrypt(c, k), succeed=False)
    r = pc.allowed(CC["StartAuthSession"], "StartAuthSession(policy)",
                   lambda: start_session(c, policy=True))
    if r:
        pc.allowed(CC["PolicySecret"], "PolicySecret(owner, own session)",
                   lambda: policy_secret(c, RH_OWNER, r.session.handle))
    primary_under(pc, RH_ENDORSEMENT, False)
    primary_under(pc, RH_ENDORSEMENT, False, via="CreateLoaded")
    pc.denied(CC["Quote"], "Quote(own key)", lambda: quote(c, k))
    pc.denied(CC["Certify"], "Certify(own key, own key)", lambda: rmlib.certify(c, k, k))
    pc.denied(CC["ActivateCredential"], "ActivateCredential(own key, own key)",
              lambda: activate_credential(c, k))
    pc.denied(CC["GetTime"], "GetTime(endorsement, own key)", lambda: get_time(c, k))
    denied_dangerous(pc, ["NV_DefineSpace", "EvictControl", "PCR_Extend", "Clear",
                          "HierarchyControl"])


def profile_full(pc):
    c = pc.c
    keys = {}
    for h in (RH_OWNER, RH_ENDORSEMENT, RH_NULL, RH_PLATFORM):
        keys[h] = primary_under(pc, h, True)
    k = keys[RH_OWNER]
    if k is None:
        raise Failure(f"{c.name}: no key under the owner hierarchy")
    pc.allowed(CC["Sign"], "Sign(own key)", lambda: sign(c, k))
    pc.allowed(CC["Quote"], "Quote(own key)", lambda: quote(c, k))
    pc.allowed(CC["StirRandom"], "StirRandom", lambda: stir_random(c))
    pc.allowed(CC["PCR_Extend"], "PCR_Extend(16)", lambda: pcr_extend(c))
    pc.allowed(CC["DictionaryAttackLockReset"], "DictionaryAttackLockReset(lockout)",
               lambda: call(c, "DictionaryAttackLockReset", [RH_LOCKOUT], b"", [PW()]))
    index = 0x01500042
    if pc.allowed(CC["NV_DefineSpace"], "NV_DefineSpace(owner)", lambda: nv_define(c, index)):
        pc.allowed(CC["NV_UndefineSpace"], "NV_UndefineSpace", lambda: nv_undefine(c, index))
    persistent = 0x81000142
    if pc.allowed(CC["EvictControl"], "EvictControl(owner, own key)",
                  lambda: evict_control(c, k, persistent), succeed=False):
        evict_control(c, persistent, persistent)     # and remove it again
    denied_dangerous(pc, ["Clear", "ClearControl", "HierarchyControl", "HierarchyChangeAuth",
                          "SetPrimaryPolicy", "ChangeEPS", "ChangePPS",
                          "DictionaryAttackParameters", "FieldUpgradeStart", "FirmwareRead"])


def profile_signer(pc):
    """[profile "signer"]: inherit = attest; allow = TPM2_CC_Sign, verifysignature
    0x00000146 HMAC_Start; deny = Quote TPM2_CC_Certify hmac_start."""
    c = pc.c
    pc.allowed(CC["GetRandom"], "GetRandom (from readonly, through attest)",
               lambda: get_random(c))
    k = primary_under(pc, RH_ENDORSEMENT, True)
    if k is None:
        raise Failure(f"{c.name}: no key under the endorsement hierarchy")
    r = pc.allowed(CC["Sign"], "Sign (allow, by name)", lambda: sign(c, k))
    if r:
        pc.allowed(CC["VerifySignature"], "VerifySignature (allow, lower case without prefix)",
                   lambda: verify_signature(c, k, r.digest, r.signature))
    pc.allowed(CC["StirRandom"], "StirRandom (allow, as 0x00000146)", lambda: stir_random(c))
    r = pc.allowed(CC["StartAuthSession"], "StartAuthSession(policy)",
                   lambda: start_session(c, policy=True))
    if r:
        pc.allowed(CC["PolicySecret"], "PolicySecret(endorsement) (from attest)",
                   lambda: policy_secret(c, RH_ENDORSEMENT, r.session.handle))
    pc.denied(CC["Quote"], "Quote (attest has it; deny)", lambda: quote(c, k))
    pc.denied(CC["Certify"], "Certify (attest has it; deny)", lambda: rmlib.certify(c, k, k))
    pc.denied(CC["HMAC_Start"], "HMAC_Start (in allow and deny: deny wins)",
              lambda: hmac_start(c, k))
    primary_under(pc, RH_OWNER, False)     # attest's hierarchy rule is inherited
    denied_dangerous(pc, ["NV_DefineSpace", "Clear"])


def profile_tiny(pc):
    """[profile "tiny"]: no inherit; allow = GetRandom CreatePrimary."""
    c = pc.c
    pc.allowed(CC["GetRandom"], "GetRandom", lambda: get_random(c))
    k = None
    for h in (RH_OWNER, RH_ENDORSEMENT, RH_NULL, RH_PLATFORM):
        k = primary_under(pc, h, True) or k    # naming CreatePrimary: no hierarchy rule
    pc.denied(CC["GetCapability"], "GetCapability", lambda: get_cap_props(c))
    pc.denied(CC["PCR_Read"], "PCR_Read", lambda: pcr_read(c))
    pc.denied(CC["ReadClock"], "ReadClock", lambda: read_clock(c))
    pc.denied(CC["HashSequenceStart"], "HashSequenceStart", lambda: hash_sequence_start(c))
    pc.denied(CC["StartAuthSession"], "StartAuthSession", lambda: start_session(c))
    if k is not None:
        pc.denied(CC["Sign"], "Sign(own key)", lambda: sign(c, k))


def profile_tiny2(pc):
    """[profile "tiny2"]: inherit = tiny; allow = StirRandom; deny = GetRandom."""
    c = pc.c
    pc.allowed(CC["StirRandom"], "StirRandom (allow)", lambda: stir_random(c))
    primary_under(pc, RH_ENDORSEMENT, True)
    primary_under(pc, RH_PLATFORM, True)
    pc.denied(CC["GetRandom"], "GetRandom (tiny has it; deny)", lambda: get_random(c))
    pc.denied(CC["GetCapability"], "GetCapability", lambda: get_cap_props(c))
    pc.denied(CC["PCR_Read"], "PCR_Read", lambda: pcr_read(c))


PROFILE_SOCKETS = [
    ("ro", "readonly", profile_readonly, get_random),
    ("at", "attest", profile_attest, get_random),
    ("cr", "crypto", profile_crypto, get_random),
    ("fu", "full", profile_full, get_random),
    ("cu", "signer", profile_signer, get_random),
    ("ti", "tiny", profile_tiny, get_random),
    ("t2", "tiny2", profile_tiny2, stir_random),
]


def sc_profiles(args):
    tap = Tap(args.tap_log)
    with Conn(sock(args, "fu"), "fu") as c:
        tpm_cmds = tpm_commands(c)
    failures, lines = [], []
    for name, profile, fn, probe_fn in PROFILE_SOCKETS:
        try:
            pc = ProfileChecks(args, tap, tpm_cmds, name, profile, probe_fn)
            pc.startup_shutdown()
            fn(pc)
            pc.startup_shutdown()
            lines.append(pc.done())
        except Failure as e:
            failures.append(str(e))
    for line in lines:
        print(line)
    if failures:
        raise Failure("\n  ".join(failures))
    print(f"profiles: {len(lines)} profiles checked; denied commands never reached the TPM, "
          "Startup/Shutdown answered by the proxy on each")


# ---- scenarios: quotas -------------------------------------------------------------------

def over_quota(tap, c, code, rc, what, fn):
    """fn() must be refused with rc, and the command not reach the TPM."""
    mark = tap.mark()
    r = fn()
    if code in tap.codes_since(mark):
        raise Failure(f"{c.name}: {what}: over-quota command reached the TPM "
                      f"(answered {rcstr(r.rc)})")
    expect_rc(r, rc, f"{c.name}: {what}")


def sc_quota_objects(args):
    """Socket q: max-objects = 4, two connections; q2 another group with
    the same limit."""
    tap = Tap(args.tap_log)
    cp = CC["CreatePrimary"]
    with Conn(sock(args, "q"), "A") as a, Conn(sock(args, "q"), "B") as b, \
            Conn(sock(args, "q2"), "C") as c2:
        ka = [key(a), key(a)]
        seq = must(hash_sequence_start(b), "B: HashSequenceStart (object 3 of 4)").handle
        kb = key(b, "B: CreatePrimary (object 4 of 4)")
        over_quota(tap, b, cp, RC_OBJECT_QUOTA, "CreatePrimary as the group's 5th object",
                   lambda: create_primary(b))
        over_quota(tap, a, CC["HashSequenceStart"], RC_OBJECT_QUOTA,
                   "HashSequenceStart as the 5th object", lambda: hash_sequence_start(a))
        over_quota(tap, a, CC["LoadExternal"], RC_OBJECT_QUOTA, "LoadExternal as the 5th object",
                   lambda: load_external(a))
        blob = must(context_save(a, ka[0]), "A: ContextSave(key)").blob
        over_quota(tap, a, CC["ContextLoad"], RC_OBJECT_QUOTA,
                   "ContextLoad of a saved key (a 5th object)", lambda: context_load(a, blob))
        # Another group: its own 4.
        kc = [key(c2, f"C (socket q2): CreatePrimary {i + 1} of 4 while q is full")
              for i in range(4)]
        over_quota(tap, c2, cp, RC_OBJECT_QUOTA, "CreatePrimary as q2's 5th object",
                   lambda: create_primary(c2))
        # The objects in quota still work (also those swapped out meanwhile).
        for h in ka:
            sign_and_verify(a, h, what="Sign at the quota")
        sign_and_verify(b, kb, what="Sign at the quota")
        # Freeing one makes room for exactly one, on either connection.
        must(flush(a, ka.pop()), "A: FlushContext")
        ka2 = key(b, "B: CreatePrimary after A flushed one")
        over_quota(tap, a, cp, RC_OBJECT_QUOTA, "CreatePrimary after the room was used",
                   lambda: create_primary(a))
        must(flush(b, seq), "B: FlushContext(sequence)")
        got = must(context_load(a, blob), "A: ContextLoad after B flushed its sequence")
        must(flush(a, got.handle), "A: FlushContext(loaded copy)")
        # A connection's objects leave the count when it closes.
        a.close()
        more = [key(b, f"B: CreatePrimary {i + 1} of 2 after A closed") for i in range(2)]
        over_quota(tap, b, cp, RC_OBJECT_QUOTA, "CreatePrimary beyond 4 after A closed",
                   lambda: create_primary(b))
        del kc, more, ka2
    print("objects: max-objects=4 shared by two connections (CreatePrimary, HashSequenceStart, "
          "LoadExternal, ContextLoad refused at the 5th, never reaching the TPM); another "
          "socket has its own 4; a flush or a close makes room")


def sc_quota_sessions(args):
    """Socket q: max-sessions = 2."""
    tap = Tap(args.tap_log)
    sa = CC["StartAuthSession"]
    with Conn(sock(args, "q"), "A") as a, Conn(sock(args, "q"), "B") as b, \
            Conn(sock(args, "q2"), "C") as c2:
        s1 = session(a)
        s2 = session(b, policy=True)
        over_quota(tap, a, sa, RC_SESSION_QUOTA, "StartAuthSession as the group's 3rd",
                   lambda: start_session(a))
        over_quota(tap, b, sa, RC_SESSION_QUOTA, "StartAuthSession(policy) as the 3rd",
                   lambda: start_session(b, policy=True))
        cs = [session(c2), session(c2)]
        over_quota(tap, c2, sa, RC_SESSION_QUOTA, "q2's 3rd StartAuthSession",
                   lambda: start_session(c2))
        must(policy_pcr(b, s2.handle), "B: PolicyPCR at the quota")
        must(flush(b, s2.handle), "B: FlushContext(session)")
        s3 = session(a, policy=True)
        over_quota(tap, b, sa, RC_SESSION_QUOTA, "StartAuthSession after the room was used",
                   lambda: start_session(b))
        # A session ended by continueSession=0 leaves the count too.
        k = key(a)
        s1.attrs = 0
        must(sign(a, k, auths=[s1]), "A: Sign with its HMAC session, continueSession=0")
        session(b)
        del s3, cs
    print("sessions: max-sessions=2 shared by two connections; the 3rd refused (never reaching "
          "the TPM); another socket has its own; FlushContext or continueSession=0 makes room")


def sc_quota_saved(args):
    """Sockets s and s2: max-saved-contexts = 2 (max-sessions = 8)."""
    with Conn(sock(args, "s"), "A") as a, Conn(sock(args, "s"), "B") as b:
        ss = [session(a, policy=True) for _ in range(3)]
        blobs = [must(context_save(a, s.handle), f"A: ContextSave(session {i + 1} of 2)").blob
                 for i, s in enumerate(ss[:2])]
        expect_rc(context_save(a, ss[2].handle), RC_SESSION_QUOTA,
                  "A: ContextSave of a 3rd session")
        # The refused session stays loaded and usable.
        must(policy_pcr(a, ss[2].handle), "A: PolicyPCR on the session whose save was refused")
        if ss[2].handle not in rmlib.handles(a, rmlib.HR_LOADED_SESSION):
            raise Failure("A: the session whose ContextSave was refused is not listed as loaded")
        sb = session(b, policy=True)
        expect_rc(context_save(b, sb.handle), RC_SESSION_QUOTA,
                  "B (same group): ContextSave while the group has 2 saved")
        with Conn(sock(args, "s2"), "C") as c2:     # another group: its own 2
            for i in range(2):
                must(context_save(c2, session(c2).handle),
                     f"C (socket s2): ContextSave {i + 1} of 2 while s has 2 saved")
            expect_rc(context_save(c2, session(c2).handle), RC_SESSION_QUOTA,
                      "C (socket s2): a 3rd ContextSave")
        # Saving objects is not limited by it.
        k = key(a)
        must(context_save(a, k), "A: ContextSave of a key at the saved-session quota")
        # Loading one back makes room; so does flushing a saved one.
        must(context_load(a, blobs[0]), "A: ContextLoad(saved session 1)")
        must(context_save(b, sb.handle), "B: ContextSave after A loaded one back")
        expect_rc(context_save(a, ss[2].handle), RC_SESSION_QUOTA,
                  "A: ContextSave while the group again has 2 saved")
        must(flush(a, ss[1].handle), "A: FlushContext(saved session 2)")
        must(context_save(a, ss[2].handle), "A: ContextSave after flushing a saved session")
    print("saved contexts: max-saved-contexts=2 per group, shared by its connections, another "
          "socket its own; a 3rd session save refused with 0x000b0903 and the session kept; "
          "ContextLoad or FlushContext of a saved one makes room")


def sc_quota_nv(args):
    """Socket q: max-nv-indices = 2; q2 the same; nv0 the default (0)."""
    tap = Tap(args.tap_log)
    nd = CC["NV_DefineSpace"]
    base = 0x01500010
    idx = [base + i for i in range(5)]
    with Conn(sock(args, "q"), "A") as a, Conn(sock(args, "q"), "B") as b:
        must(nv_define(a, idx[0]), "A: NV_DefineSpace 1 of 2")
        must(nv_define(b, idx[1]), "B: NV_DefineSpace 2 of 2")
        over_quota(tap, a, nd, RC_NV_QUOTA, "NV_DefineSpace as the group's 3rd index",
                   lambda: nv_define(a, idx[2]))
        with Conn(sock(args, "q2"), "C") as c2:
            must(nv_define(c2, idx[3]), "C (socket q2): NV_DefineSpace while q is full")
            must(nv_undefine(c2, idx[3]), "C: NV_UndefineSpace")
        with Conn(sock(args, "nv0"), "D") as d:
            over_quota(tap, d, nd, RC_NV_QUOTA,
                       "NV_DefineSpace on a socket without max-nv-indices (default 0)",
                       lambda: nv_define(d, idx[4]))
        # Indices outlive their connection: the count stays after A closes.
        a.close()
        over_quota(tap, b, nd, RC_NV_QUOTA, "NV_DefineSpace after the definer closed",
                   lambda: nv_define(b, idx[2]))
        must(nv_undefine(b, idx[0]), "B: NV_UndefineSpace of A's index")
        must(nv_define(b, idx[2]), "B: NV_DefineSpace after one was undefined")
        over_quota(tap, b, nd, RC_NV_QUOTA, "NV_DefineSpace after the room was used",
                   lambda: nv_define(b, idx[0]))
        for i in (idx[1], idx[2]):
            must(nv_undefine(b, i), f"B: NV_UndefineSpace(0x{i:08x})")
    print("NV indices: max-nv-indices=2 per group, kept after the defining connection closed; "
          "the 3rd refused with 0x000b014b never reaching the TPM; the default 0 refuses all")


def pod_holder(ctl, path, proc_root, uid, style, n_ok, label):
    """In a pod: create n_ok keys, see the next refused, hold them until told."""
    if uid:
        enter_pod(proc_root, uid, style)
    with Conn(path, label) as c:
        for i in range(n_ok):
            key(c, f"CreatePrimary {i + 1} of {n_ok}")
        expect_rc(create_primary(c), RC_OBJECT_QUOTA,
                  f"CreatePrimary beyond the group's max-objects")
        ctl.say("held")
        ctl.hear("go")


def sc_quota_pods(args):
    """Socket pods: max-objects = 2, per pod; clients outside pods count as
    the socket."""
    path = sock(args, "pods")
    x = Child("pod X", pod_holder, path, args.proc_root, POD_UIDS[0], "systemd", 2, "X",
              proc_root=args.proc_root)
    x.hear("held")
    y = Child("pod Y", pod_holder, path, args.proc_root, POD_UIDS[1], "cgroupfs", 2, "Y",
              proc_root=args.proc_root)
    y.hear("held")
    # Not in a pod (no cgroup file under --proc-root): the socket's group.
    with Conn(path, "host") as h:
        key(h, "host process: CreatePrimary 1 of 2 while pods X and Y are full")
        key(h, "host process: CreatePrimary 2 of 2")
        expect_rc(create_primary(h), RC_OBJECT_QUOTA, "host process: a 3rd CreatePrimary")
    # Another process of pod X shares X's quota.
    x2 = Child("pod X, 2nd process", pod_holder, path, args.proc_root, POD_UIDS[0], "systemd",
               0, "X2", proc_root=args.proc_root)
    x2.hear("held")
    x2.finish()
    x.finish()
    # X's objects are gone with its process: pod X can create again.
    x3 = Child("pod X, 3rd process", pod_holder, path, args.proc_root, POD_UIDS[0], "cgroupfs",
               2, "X3", proc_root=args.proc_root)
    x3.hear("held")
    x3.finish()
    y.finish()
    print("pods: two pods sharing a socket (systemd and cgroupfs cgroup paths) each get "
          "max-objects=2, a host process another 2; a 2nd process of a pod shares its pod's")


# ---- scenario: connections -----------------------------------------------------------------

def refused_connection(path, label):
    """A connection over max-connections: its first command is answered
    0x000b0922 and then it is closed."""
    c = Conn(path, label)
    try:
        send_quietly(c, c.build(CC["GetRandom"], [], u16(8)))
        expect_rc(c.receive("GetRandom"), RC_RETRY, f"{label}: its first command")
        rc_closed(c, f"{label}: after its 0x000b0922 answer")
    finally:
        c.close()


def open_group(path, n, label):
    conns = []
    for i in range(n):
        c = Conn(path, f"{label}{i + 1}")
        must(get_random(c), f"{label}{i + 1}: GetRandom (connection {i + 1} of {n})")
        conns.append(c)
    return conns


def pod_connections(ctl, path, proc_root, uid, n, label):
    enter_pod(proc_root, uid)
    conns = open_group(path, n, label)
    refused_connection(path, f"{label}{n + 1}")
    ctl.say("held")
    ctl.hear("go")
    for c in conns:
        must(get_random(c), f"{c.name}: GetRandom")
        c.close()


def sc_connections(args):
    path = sock(args, "c")
    host = open_group(path, 3, "c")
    refused_connection(path, "c4")
    refused_connection(path, "c4 again")
    must(get_random(host[0]), "c1: GetRandom after the refusals")
    other = open_group(sock(args, "other"), 3, "other")   # another group, its own 3
    # Two pods on the same socket: 3 each besides the host's 3.
    x = Child("pod X", pod_connections, path, args.proc_root, POD_UIDS[0], 3, "x",
              proc_root=args.proc_root)
    x.hear("held")
    y = Child("pod Y", pod_connections, path, args.proc_root, POD_UIDS[1], 3, "y",
              proc_root=args.proc_root)
    y.hear("held")
    x.finish()
    y.finish()
    # One closes: a new one is served once the daemon saw the close. (Not
    # a probe first: the daemon may not have seen the probe's own close
    # when the next connection comes.)
    host.pop().close()
    deadline = time.monotonic() + WAIT
    while True:
        c3 = Conn(path, "c3 again")
        got = get_random(c3)
        if got.rc == 0:
            break
        c3.close()
        if got.rc != RC_RETRY or time.monotonic() > deadline:
            raise Failure(f"a new connection after one of 3 closed: {rcstr(got.rc)}")
        time.sleep(0.05)
    host.append(c3)
    refused_connection(path, "c4 after the replacement")
    for c in host + other:
        must(get_random(c), f"{c.name}: GetRandom at the end")
        c.close()
    print("connections: max-connections=3 per group: the 4th answered 0x000b0922 then closed; "
          "another socket and two pods on the same socket have their own 3; a close makes room")


def daemon_uid():
    """The user a daemon these tests start becomes (lib.sh's DAEMON_USER):
    tss when started as root and tss exists, else the tests' own user."""
    if os.geteuid() == 0:
        try:
            return pwd.getpwnam("tss").pw_uid
        except KeyError:
            pass
    return os.geteuid()


def sc_peers(args):
    """Socket modes and owners, allow-uids (as root, with setpriv)."""
    def mode_of(name):
        st = os.stat(sock(args, name))
        if not stat.S_ISSOCK(st.st_mode):
            raise Failure(f"{name}.sock is not a socket")
        return stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid

    # Without owner= a socket belongs to the user the daemon becomes.
    dflt = daemon_uid()
    checks = []
    for name, want in (("c", (0o666, dflt, None)), ("dflt", (0o660, dflt, None)),
                       ("owned", (0o600, 1000, 1000))):
        mode, uid, gid = mode_of(name)
        if mode != want[0] or uid != want[1] or (want[2] is not None and gid != want[2]):
            raise Failure(f"{name}.sock: mode {mode:04o} owner {uid}:{gid}, expected mode "
                          f"{want[0]:04o} owner {want[1]}" + (f":{want[2]}" if want[2] else ""))
        checks.append(f"{name} {mode:04o} {uid}:{gid}")
    results = [
        probe_as(1000, sock(args, "c"), "ok"),           # the client itself works
        probe_as(1000, sock(args, "uids"), "closed"),    # not in allow-uids
        probe_as(4242, sock(args, "uids"), "ok"),        # in allow-uids
        probe_as(1000, sock(args, "owned"), "ok"),       # owner
        probe_as(1001, sock(args, "owned"), "eacces"),   # mode 0600
        probe_as(1000, sock(args, "dflt"), "eacces"),    # default 0660, the daemon's
    ]
    if probe(sock(args, "uids")) != "ok":
        raise Failure("root (uid 0, in allow-uids) on uids.sock: not served")
    for r in results:
        print(r)
    print(f"peers: socket files {', '.join(checks)}; allow-uids closes an unlisted uid's "
          "connection without an answer and serves listed ones")


# ---- scenario: rate limits ----------------------------------------------------------------

def burst_run(path, nconn, per_conn, label):
    """nconn connections each pipelining per_conn GetRandom at once; returns
    (t0, [(t_answer, rc)]) on the client's monotonic clock."""
    conns = [Conn(path, f"{label}{i}") for i in range(nconn)]
    cmd = conns[0].build(CC["GetRandom"], [], u16(8))
    results, errors, lock = [], [], threading.Lock()

    def reader(c):
        try:
            for _ in range(per_conn):
                r = c.receive("GetRandom")
                with lock:
                    results.append((time.monotonic(), r.rc))
        except (Failure, OSError) as e:
            with lock:
                errors.append(str(e))

    threads = [threading.Thread(target=reader, args=(c,)) for c in conns]
    t0 = time.monotonic()
    for c in conns:
        c.send(cmd * per_conn)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in conns:
        c.close()
    if errors:
        raise Failure(f"{label}: {errors[0]}" + (f" (and {len(errors) - 1} more)"
                                                 if len(errors) > 1 else ""))
    return t0, results


def judge_rate(label, rate, burst, t0, results, want_retry=True):
    """Count checks of one group's token bucket (no timing assertion: the
    elapsed time only widens the bound)."""
    bad = [rc for _, rc in results if rc not in (0, RC_RETRY)]
    if bad:
        raise Failure(f"{label}: answers other than success or 0x000b0922: "
                      f"{', '.join(rcstr(rc) for rc in bad[:5])}")
    ok = sorted(t for t, rc in results if rc == 0)
    refused = len(results) - len(ok)
    elapsed = (ok[-1] - t0) if ok else 0.0
    # At most the full bucket plus what refilled since the first command
    # arrived (which is after t0), plus 2 for rounding.
    bound = burst + rate * elapsed + 2
    summary = (f"{label}: {len(ok)} succeeded, {refused} got 0x000b0922 in {elapsed:.2f}s "
               f"(rate {rate:g}/s, burst {burst}: bound {bound:.1f})")
    if len(ok) > bound:
        raise Failure(f"{summary}: more succeeded than the bucket allows")
    if len(ok) < burst:
        raise Failure(f"{summary}: fewer than the burst succeeded")
    if want_retry and refused == 0:
        raise Failure(f"{summary}: no command was refused, so some waited longer than 1 s")
    return len(ok), refused, summary


def sc_rate(args):
    out = []
    # Control: an unlimited socket serves everything.
    t0, res = burst_run(sock(args, "free"), 16, 3, "free")
    if any(rc != 0 for _, rc in res):
        raise Failure("free (no rate): some commands failed")
    out.append(f"free: all {len(res)} succeeded")
    # rate 1/m, burst 3: exactly 3 succeed, later ones would wait ~20 s and
    # are refused at once; one group's bucket is shared by its connections
    # and separate from another socket's and another pod's.
    slow = 1 / 60
    for name in ("slow1", "slow2"):
        t0, res = burst_run(sock(args, name), 2, 4, name)
        ok, refused, s = judge_rate(name, slow, 3, t0, res)
        out.append(s)
    # Two pods and the host on one socket: 3 each.
    for label, uid in (("pod X", POD_UIDS[0]), ("pod Y", POD_UIDS[1]), ("host", None)):
        def run(ctl, uid=uid, label=label):
            if uid:
                enter_pod(args.proc_root, uid)
            t0, res = burst_run(sock(args, "slowpods"), 2, 3, label)
            ctl.say(judge_rate(f"slowpods/{label}", slow, 3, t0, res)[2])
            ctl.hear("go")
        ch = Child(label, run, proc_root=args.proc_root)
        out.append(ch.hear())
        ch.finish()
    # rate 5/s, burst 5, 16 connections x 3 pipelined: the first ones pass,
    # the next are delayed (so more than the burst succeed), and with 16
    # waiting at 5/s some would wait over 1 s: those get 0x000b0922.
    t0, res = burst_run(sock(args, "fast"), 16, 3, "fast")
    ok, refused, s = judge_rate("fast", 5, 5, t0, res)
    out.append(s)
    if ok < 6:
        raise Failure(f"{s}: no command was delayed instead of refused (a 6th waits 0.2 s)")
    for line in out:
        print(line)
    print("rate: token bucket per group (socket, pod) counted exactly at the burst; over-rate "
          "commands delayed, then refused with 0x000b0922")


# ---- scenario: fairness ------------------------------------------------------------------

def flooder(ctl, path, proc_root, uid, nconn, depth, label):
    """nconn connections each keeping depth GetRandom pipelined, until the
    parent says stop; then says how many were answered."""
    if uid:
        enter_pod(proc_root, uid)
    conns = [Conn(path, f"{label}{i}") for i in range(nconn)]
    cmd = conns[0].build(CC["GetRandom"], [], u16(16))
    sel = selectors.DefaultSelector()
    pending = {}
    for c in conns:
        c.send(cmd * depth)
        c.sock.setblocking(False)
        pending[c] = depth
        sel.register(c.sock, selectors.EVENT_READ, c)
    sel.register(ctl.rfd, selectors.EVENT_READ, None)
    answered, stopping, said = 0, False, False
    while any(pending.values()):
        events = sel.select(WAIT)
        if not events:
            raise Failure(f"{label}: no answer within {WAIT:.0f}s")
        for k, _ in events:
            c = k.data
            if c is None:
                if not ctl.readable() or ctl.line() == "stop":
                    stopping = True
                    sel.unregister(ctl.rfd)
                continue
            try:
                chunk = c.sock.recv(65536)
            except BlockingIOError:
                continue
            if not chunk:
                raise Failure(f"{c.name}: connection closed")
            c.rbuf += chunk
            while len(c.rbuf) >= 10:
                size, rc = struct.unpack(">II", c.rbuf[2:10])
                if len(c.rbuf) < size:
                    break
                c.rbuf = c.rbuf[size:]
                if rc != 0:
                    raise Failure(f"{c.name}: GetRandom answered {rcstr(rc)}")
                answered += 1
                pending[c] -= 1
                if not stopping:
                    c.sock.setblocking(True)
                    c.sock.sendall(cmd)
                    c.sock.setblocking(False)
                    pending[c] += 1
        if not said and answered >= nconn * depth:
            ctl.say("flooding")
            said = True
    if not said:
        ctl.say("flooding")
    for c in conns:
        c.close()
    ctl.say(f"{answered}")


def victim_run(path, n, label, tap, uid=None, proc_root=None):
    """n ReadClock one at a time; for each, how many GetRandom reached the TPM
    between the victim's send and its own command reaching the TPM."""
    if uid:
        enter_pod(proc_root, uid)
    sends, lat = [], []
    with Conn(path, label) as c:
        data = c.build(CC["ReadClock"])
        mark = tap.mark()
        for i in range(n):
            t = time.monotonic_ns()
            c.send(data)
            must(c.receive("ReadClock"), f"{label}: ReadClock {i + 1} of {n}")
            lat.append(time.monotonic_ns() - t)
            sends.append(t)
    entries = tap.entries()[mark:]
    mine = [e for e in entries if e[2] == CC["ReadClock"]]
    if len(mine) != n:
        raise Failure(f"{label}: the tap saw {len(mine)} ReadClock, expected {n}")
    counts = []
    for t_send, (_, t_tpm, _, _) in zip(sends, mine):
        counts.append(sum(1 for e in entries
                          if e[2] == CC["GetRandom"] and t_send < e[1] < t_tpm))
    return counts, lat


def fairness_round(args, tap, flood_path, victim_path, nconn, label, flood_uid=None,
                   victim_uid=None):
    n = 40
    _, idle_lat = victim_run(victim_path, 10, "idle victim", tap)
    fl = Child(f"flood {label}", flooder, flood_path, args.proc_root, flood_uid, nconn, 2,
               "flood", proc_root=args.proc_root)
    fl.hear("flooding")
    if victim_uid:
        res = {}

        def run(ctl):
            counts, lat = victim_run(victim_path, n, "victim", tap, victim_uid, args.proc_root)
            ctl.say(" ".join(map(str, counts)) + "/" + " ".join(map(str, lat)))
            ctl.hear("go")
        v = Child("victim pod", run, proc_root=args.proc_root)
        a, b = v.hear().split("/")
        res["counts"], res["lat"] = [int(x) for x in a.split()], [int(x) for x in b.split()]
        v.finish()
        counts, lat = res["counts"], res["lat"]
    else:
        counts, lat = victim_run(victim_path, n, "victim", tap)
    fl.say("stop")
    flood_total = int(fl.hear())
    fl.hear("done")
    fl.join()
    med = statistics.median(counts)
    ratio = statistics.median(lat) / max(1, statistics.median(idle_lat))
    summary = (f"{label}: {n} victim commands all succeeded; flood commands run between a "
               f"victim's send and its execution: median {med:g}, max {max(counts)} "
               f"(flood: {nconn} connections, {flood_total} commands); victim latency "
               f"p50 x{ratio:.1f} of idle")
    # Round-robin across groups lets at most about one flood command (the
    # one in the TPM) run first; FIFO or per-connection round-robin lets
    # about one per flood connection run. The median is robust to the odd
    # scheduling hiccup; nconn / 3 keeps far from both.
    if med > nconn / 3:
        raise Failure(f"{summary}: the victim waited behind the flood (median above "
                      f"{nconn / 3:g})")
    if flood_total < n:
        raise Failure(f"{summary}: the flood did not run alongside the victim")
    return summary


def sc_fairness(args):
    tap = Tap(args.tap_log)
    out = [fairness_round(args, tap, sock(args, "flood"), sock(args, "victim"), 24,
                          "socket vs socket"),
           fairness_round(args, tap, sock(args, "shared"), sock(args, "shared"), 24,
                          "pod vs pod on one socket", POD_UIDS[0], POD_UIDS[1])]
    for line in out:
        print(line)
    print("fairness: a victim's command waits behind about one flood command, not the flood's "
          "24 connections, for sockets and for pods sharing a socket")


# ---- scenario: timeouts -------------------------------------------------------------------

def sc_timeouts(args):
    keep = Conn(sock(args, "none"), "keep (no idle-timeout)")
    must(get_random(keep), "keep: GetRandom")
    # Idle after a command (holding a key, flushed when closed).
    c = Conn(sock(args, "idle"), "idle1")
    key(c)
    must(get_random(c), "idle1: GetRandom")
    rc_closed(c, "idle1: a connection idle past idle-timeout=1s")
    c.close()
    # Idle from the start.
    c = Conn(sock(args, "idle"), "idle2")
    rc_closed(c, "idle2: a connection that never sent anything, idle-timeout=1s")
    c.close()
    # Busy for 3 s (a command every 20 ms, 1/50 of the timeout): never idle.
    c = Conn(sock(args, "idle"), "busy")
    n, end = 0, time.monotonic() + 3
    while time.monotonic() < end:
        must(get_random(c), f"busy: GetRandom {n + 1} (a busy connection was closed)")
        n += 1
        time.sleep(0.02)
    c.close()
    # Half-sent commands.
    hdr = struct.pack(">HII", 0x8001, 12, CC["GetRandom"]) + u16(8)
    c = Conn(sock(args, "part"), "part1")
    c.send(hdr[:5])
    rc_closed(c, "part1: 5 bytes of a header, partial-timeout=1s")
    c.close()
    c = Conn(sock(args, "part"), "part2")
    c.send(struct.pack(">HII", 0x8001, 64, CC["GetRandom"]) + b"\0" * 10)
    rc_closed(c, "part2: 20 of 64 bytes, partial-timeout=1s")
    c.close()
    # A socket without its own: [daemon] partial-timeout = 10m, --partial-timeout 1.
    c = Conn(sock(args, "none"), "part3")
    c.send(hdr[:7])
    rc_closed(c, "part3: 7 bytes on a socket using the daemon's partial-timeout "
                 "(file 10m, --partial-timeout 1 on the command line)")
    c.close()
    # The idle socket's connection and the untouched one still work.
    must(get_random(keep), "keep: GetRandom after more than 1 s idle on a socket without "
                           "idle-timeout")
    keep.close()
    print(f"timeouts: idle-timeout=1s closed an idle connection (with a key) and a silent "
          f"one, not a busy one ({n} commands in 3 s); partial-timeout closed half-sent "
          "commands (socket key, and --partial-timeout over the file's); others unaffected")


# ---- scenario: reload -------------------------------------------------------------------

def install(src, dst):
    tmp = dst + ".new"
    with open(src) as f, open(tmp, "w") as g:
        g.write(f.read())
    os.replace(tmp, dst)


def wait_for(what, cond, timeout=WAIT):
    """Poll cond until true; Failure after timeout (hang detection only)."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise Failure(f"{what} (waited {timeout:.0f}s)")
        time.sleep(0.05)



def log_size(args):
    return os.path.getsize(args.log)


def log_since(args, offset):
    with open(args.log, errors="replace") as f:
        f.seek(offset)
        return f.read()


def hup(args):
    if not args.daemon_pid:
        raise Failure("--daemon-pid is required")
    os.kill(args.daemon_pid, signal.SIGHUP)


def sc_reload(args):
    opt = dict(o.split("=", 1) for o in args.opt)
    exists = lambda n: os.path.exists(sock(args, n))          # noqa: E731
    serves = lambda n: probe(sock(args, n)) == "ok"            # noqa: E731
    s1 = Conn(sock(args, "steady"), "S1 (steady)")
    ks = key(s1)
    hs = session(s1)
    sign_and_verify(s1, ks, [hs], "S1: Sign with its HMAC session")
    k1 = Conn(sock(args, "keep"), "K1 (keep)")
    kk = [key(k1), key(k1)]
    g1 = Conn(sock(args, "gone"), "G1 (gone)")
    must(get_random(g1), "G1: GetRandom")

    # v2: "gone" removed, "new" added (readonly), keep's max-objects 4 -> 2.
    install(opt["v2"], args.conf)
    hup(args)
    wait_for("after SIGHUP, new.sock did not appear", lambda: exists("new") and serves("new"))
    wait_for("after SIGHUP, gone.sock was not removed", lambda: not exists("gone"))
    send_quietly(g1, g1.build(CC["GetRandom"], [], u16(8)))
    rc_closed(g1, "G1: connection of the removed socket after the reload")
    g1.close()
    for k in kk:
        sign_and_verify(k1, k, what="K1: Sign with a key made before the reload")
    expect_rc(create_primary(k1), RC_OBJECT_QUOTA,
              "K1: a 3rd CreatePrimary after max-objects went from 4 to 2")
    must(flush(k1, kk.pop()), "K1: FlushContext")
    kk.append(key(k1, "K1: CreatePrimary after the flush"))
    sign_and_verify(s1, ks, [hs], "S1: Sign with its session after the reload")
    with Conn(sock(args, "new"), "N1 (new)") as n1:
        must(get_random(n1), "N1: GetRandom")
        expect_rc(create_primary(n1), RC_DENIED, "N1: CreatePrimary on the new readonly socket")

    # conf.d: a drop-in added.
    install(opt["extra"], opt["extra_dst"])
    hup(args)
    wait_for("after SIGHUP, the conf.d socket extra.sock did not appear",
             lambda: exists("extra") and serves("extra"))

    # v3: broken (and would add a socket and raise keep's max-objects).
    off = log_size(args)
    install(opt["v3"], args.conf)
    hup(args)
    where = opt["bad_where"]
    wait_for(f"after SIGHUP with a broken file, no '{where}' in the daemon log",
             lambda: where in log_since(args, off))
    try:
        os.kill(args.daemon_pid, 0)
    except ProcessLookupError:
        raise Failure("the daemon exited on a reload with a broken file")
    for n in ("steady", "keep", "new", "extra"):
        if not serves(n):
            raise Failure(f"after the broken reload, {n}.sock does not serve")
    if exists("bad-new"):
        raise Failure("the broken file's new socket bad-new.sock was created")
    expect_rc(create_primary(k1), RC_OBJECT_QUOTA,
              "K1: CreatePrimary after the broken reload (its max-objects=4 must not apply)")
    sign_and_verify(s1, ks, [hs], "S1: Sign after the broken reload")
    for k in kk:
        sign_and_verify(k1, k, what="K1: Sign after the broken reload")
    line = [ln for ln in log_since(args, off).splitlines() if where in ln][0]

    # Fixed again: v2 plus the drop-in; still the same clients.
    install(opt["v2"], args.conf)
    hup(args)
    wait_for("after fixing the file, steady.sock does not serve", lambda: serves("steady"))
    sign_and_verify(s1, ks, [hs], "S1: Sign after the last reload")
    s1.close()
    k1.close()
    print(f"broken reload logged: {line.strip()}")
    print("reload: sockets added (file and conf.d) and removed (its connection closed); "
          "max-objects 4->2 applied to the next command; clients of kept sockets keep their "
          "keys and sessions; a broken file keeps the old configuration")


# ---- scenario: command-size ---------------------------------------------------

def sc_command_size(args):
    """max-command-size = 64 on "small": a 100-byte command is read and
    answered TPM_RC_COMMAND_SIZE (RM layer) without the TPM, the connection
    stays usable; one above the TPM's own maximum breaks the framing and
    closes the connection without an answer."""
    c = Conn(sock(args, "small"), "small")
    must(get_random(c), "small: GetRandom (12 bytes)")
    resp = call(c, "Hash", [], b2(b"x" * 80) + u16(ALG_SHA256) + u32(RH_NULL))
    expect_rc(resp, RM_LAYER | 0x142, "small: a 100-byte TPM2_Hash over max-command-size 64")
    must(get_random(c), "small: GetRandom after the refused command")
    big = Conn(sock(args, "big"), "big")
    must(call(big, "Hash", [], b2(b"x" * 80) + u16(ALG_SHA256) + u32(RH_NULL)),
         "big: the same TPM2_Hash where no limit is set")
    c.send(struct.pack(">HII", 0x8001, 5000, CC["Hash"]))
    rc_closed(c, "small: a 5000-byte command (over the TPM's 4096)")
    c.close()
    big.close()
    print("command-size: over max-command-size answered 0x000b0142 and the connection "
          "kept; over the TPM's maximum closed")


SCENARIOS = {
    "command-size": sc_command_size,
    "tap": sc_tap,
    "probe": sc_probe,
    "profiles": sc_profiles,
    "quota-objects": sc_quota_objects,
    "quota-sessions": sc_quota_sessions,
    "quota-saved": sc_quota_saved,
    "quota-nv": sc_quota_nv,
    "quota-pods": sc_quota_pods,
    "connections": sc_connections,
    "peers": sc_peers,
    "rate": sc_rate,
    "fairness": sc_fairness,
    "timeouts": sc_timeouts,
    "reload": sc_reload,
}


def main(argv):
    def options(ap):
        ap.add_argument("--dir")
        ap.add_argument("--conf")
        ap.add_argument("--tap-log")
        ap.add_argument("--proc-root")
        ap.add_argument("--daemon-pid", type=int)
        ap.add_argument("--log")
        ap.add_argument("--opt", action="append", default=[])
        ap.add_argument("--upstream")
        ap.add_argument("--ready")
        ap.add_argument("--path")
        ap.add_argument("--cmd", default="getrandom")
        ap.add_argument("--expect")

    return scenario_main("pollib", __doc__, SCENARIOS, argv, options)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

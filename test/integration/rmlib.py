#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# Raw TPM 2.0 client library and scenarios for the resource-manager tests (rm-*.sh): stdlib only.
"""Usage: rmlib.py SCENARIO --sock PATH [--sock2 PATH] [--count N]

Each scenario talks raw TPM 2.0 bytes to tpmproxyd (one or more connections),
prints one summary line and exits 0; on failure it prints
'rmlib: SCENARIO: what failed' on stderr and exits 1. --list names them.

--sock2 is a second socket of the same daemon (another client identity).
As a module: Conn (one connection), PW/Session (authorizations) and one
function per command (create_primary, start_session, sign, ...), each
returning a Resp whose .rc is the response code; must()/expect_rc() assert.
"""

import argparse
import hashlib
import hmac
import os
import socket
import struct
import sys

TIMEOUT = float(os.environ.get("RAW_CLIENT_TIMEOUT", "30"))

# ---- TPM constants ------------------------------------------------------------

ST_NO_SESSIONS = 0x8001
ST_SESSIONS = 0x8002
ST_HASHCHECK = 0x8024

CC_SEQUENCE_COMPLETE = 0x13E
CC_CREATE_PRIMARY = 0x131
CC_POLICY_SECRET = 0x151
CC_CERTIFY = 0x148
CC_LOAD = 0x157
CC_SEQUENCE_UPDATE = 0x15C
CC_CONTEXT_LOAD = 0x161
CC_CONTEXT_SAVE = 0x162
CC_FLUSH_CONTEXT = 0x165
CC_READ_PUBLIC = 0x173
CC_START_AUTH_SESSION = 0x176
CC_VERIFY_SIGNATURE = 0x177
CC_GET_CAPABILITY = 0x17A
CC_GET_RANDOM = 0x17B
CC_POLICY_PCR = 0x17F
CC_HASH_SEQUENCE_START = 0x186
CC_POLICY_GET_DIGEST = 0x189
CC_SIGN = 0x15D

RH_OWNER = 0x40000001
RH_NULL = 0x40000007
RS_PW = 0x40000009

ALG_RSA = 0x0001
ALG_SHA256 = 0x000B
ALG_AES = 0x0006
ALG_NULL = 0x0010
ALG_ECDSA = 0x0018
ALG_ECC = 0x0023
ALG_CFB = 0x0043
ECC_NIST_P256 = 0x0003

SE_HMAC = 0x00
SE_POLICY = 0x01

CAP_HANDLES = 1
HR_TRANSIENT = 0x80000000
HR_LOADED_SESSION = 0x02000000
HR_SAVED_SESSION = 0x03000000
HR_PERMANENT = 0x40000000

ATTR_CONTINUE = 0x01
ATTR_AUDIT = 0x80

OA_FIXED_TPM = 1 << 1
OA_FIXED_PARENT = 1 << 4
OA_SENSITIVE_DATA_ORIGIN = 1 << 5
OA_USER_WITH_AUTH = 1 << 6
OA_RESTRICTED = 1 << 16
OA_DECRYPT = 1 << 17
OA_SIGN = 1 << 18

# Response codes the proxy raises (TSS2 resource-manager layer 0x000B0000).
RM_LAYER = 11 << 16
RC_HANDLE_H1 = RM_LAYER | 0x18B     # TPM_RC_HANDLE + TPM_RC_H + TPM_RC_1
RC_HANDLE_H2 = RM_LAYER | 0x28B     # TPM_RC_HANDLE + TPM_RC_H + TPM_RC_2
RC_HANDLE_S1 = RM_LAYER | 0x98B     # TPM_RC_HANDLE + TPM_RC_S + TPM_RC_1
RC_HANDLE_S2 = RM_LAYER | 0xA8B     # TPM_RC_HANDLE + TPM_RC_S + TPM_RC_2
RC_FLUSH_NOT_OWNED = RM_LAYER | 0x1C4   # TPM_RC_VALUE + TPM_RC_P + TPM_RC_1
RC_LOAD_NOT_OWNED = RM_LAYER | 0x1CB    # TPM_RC_HANDLE + TPM_RC_P + TPM_RC_1
RC_CONTEXT_GAP = 0x901


class Failure(Exception):
    pass


def rcstr(rc):
    layer = "RM " if rc & 0xFF0000 == RM_LAYER else ("" if rc & 0xFF0000 == 0 else "layer? ")
    return f"0x{rc:08x} ({layer}TPM code 0x{rc & 0xFFFF:03x})" if rc else "0 (success)"


# ---- marshalling ------------------------------------------------------------

def u8(v):
    return struct.pack(">B", v)


def u16(v):
    return struct.pack(">H", v)


def u32(v):
    return struct.pack(">I", v)


def b2(data):
    """A TPM2B: 16-bit size, then the bytes."""
    return u16(len(data)) + data


class Reader:
    def __init__(self, data, what="response"):
        self.data, self.pos, self.what = data, 0, what

    def take(self, n):
        if self.pos + n > len(self.data):
            raise Failure(f"{self.what}: truncated at byte {self.pos} "
                          f"(wanted {n} of {len(self.data)})")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def u64(self):
        return struct.unpack(">Q", self.take(8))[0]

    def b2(self):
        return self.take(self.u16())

    def rest(self):
        return self.take(len(self.data) - self.pos)


# ---- authorizations ---------------------------------------------------------

class PW:
    """The password session TPM_RS_PW with an empty password (or a given one)."""
    handle = RS_PW

    def __init__(self, password=b""):
        self.password = password

    def area(self, _cc, _names, _params):
        return u32(RS_PW) + b2(b"") + u8(ATTR_CONTINUE) + b2(self.password)

    def response(self, _nonce, _attrs):
        pass


class Session:
    """An unbound, unsalted session (HMAC or policy, SHA-256). Its session key
    is empty and so are the authValues of the objects here, so the command
    HMAC key is empty: HMAC(cpHash || nonceCaller || nonceTPM || attrs)."""

    def __init__(self, handle, nonce_tpm, policy):
        self.handle, self.nonce_tpm, self.policy = handle, nonce_tpm, policy
        self.attrs = ATTR_CONTINUE

    def area(self, cc, names, params, attrs=None):
        attrs = self.attrs if attrs is None else attrs
        nonce = os.urandom(16)
        cp_hash = hashlib.sha256(u32(cc) + b"".join(names) + params).digest()
        mac = hmac.new(b"", cp_hash + nonce + self.nonce_tpm + u8(attrs), hashlib.sha256).digest()
        return u32(self.handle) + b2(nonce) + u8(attrs) + b2(mac)

    def response(self, nonce, _attrs):
        self.nonce_tpm = nonce

    def __repr__(self):
        return f"{'policy' if self.policy else 'HMAC'} session 0x{self.handle:08x}"


class Foreign:
    """A session handle this client does not own: a well-formed area with a
    made-up nonce and HMAC (the proxy must refuse it before the TPM sees it)."""

    def __init__(self, handle, attrs=ATTR_CONTINUE):
        self.handle, self.attrs = handle, attrs

    def area(self, _cc, _names, _params):
        return u32(self.handle) + b2(b"\x55" * 16) + u8(self.attrs) + b2(b"\xaa" * 32)

    def response(self, _nonce, _attrs):
        pass


# ---- connection -------------------------------------------------------------

class Resp:
    def __init__(self, rc, handles=(), params=b""):
        self.rc, self.handles, self.params = rc, list(handles), params

    def reader(self, what):
        return Reader(self.params, what)


class Conn:
    """One connection to the daemon: raw TPM 2.0 commands, one at a time,
    or pipelined with send()/receive()."""

    def __init__(self, path, name="conn"):
        self.name = name
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT)
        try:
            self.sock.connect(path)
        except OSError as e:
            raise Failure(f"{name}: cannot connect to {path}: {e}")
        self.names = {}      # handle -> TPM name (for cpHash)
        self.rbuf = b""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()

    def name_of(self, handle):
        return self.names.get(handle, u32(handle))

    def build(self, cc, handles=(), params=b"", auths=()):
        body = b"".join(u32(h) for h in handles)
        if auths:
            names = [self.name_of(h) for h in handles]
            area = b"".join(a.area(cc, names, params) for a in auths)
            body += u32(len(area)) + area
        tag = ST_SESSIONS if auths else ST_NO_SESSIONS
        return struct.pack(">HII", tag, 10 + len(body) + len(params), cc) + body + params

    def _recv(self, n, what):
        while len(self.rbuf) < n:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise Failure(f"{self.name}: {what}: no answer within {TIMEOUT:.0f}s")
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise Failure(f"{self.name}: {what}: connection closed")
            self.rbuf += chunk
        out, self.rbuf = self.rbuf[:n], self.rbuf[n:]
        return out

    def send(self, data):
        self.sock.sendall(data)

    def receive(self, what, auths=(), rhandles=0):
        tag, size, rc = struct.unpack(">HII", self._recv(10, what))
        if tag not in (ST_NO_SESSIONS, ST_SESSIONS) or size < 10 or size > 65536:
            raise Failure(f"{self.name}: {what}: bad response header tag=0x{tag:04x} size={size}")
        body = self._recv(size - 10, what)
        if rc != 0:
            if size != 10:
                raise Failure(f"{self.name}: {what}: error {rcstr(rc)} with a {size}-byte response")
            return Resp(rc)
        r = Reader(body, f"{self.name}: {what}")
        handles = [r.u32() for _ in range(rhandles)]
        if tag == ST_SESSIONS:
            params = r.take(r.u32())
            for a in auths:
                nonce = r.b2()
                attrs = r.u8()
                r.b2()  # response HMAC, not checked
                a.response(nonce, attrs)
        else:
            params = r.rest()
        return Resp(0, handles, params)

    def call(self, cc, handles=(), params=b"", auths=(), rhandles=0, what=None):
        self.send(self.build(cc, handles, params, auths))
        return self.receive(what or f"command 0x{cc:03x}", auths, rhandles)


def must(resp, what):
    if resp.rc != 0:
        raise Failure(f"{what}: failed with {rcstr(resp.rc)}")
    return resp


def expect_rc(resp, rc, what):
    if resp.rc != rc:
        raise Failure(f"{what}: answered {rcstr(resp.rc)}, expected {rcstr(rc)}")
    return resp


# ---- commands ---------------------------------------------------------------

def ecc_signing_template(unique=None):
    """TPMT_PUBLIC: ECC P-256 ECDSA-SHA256 signing key, empty auth, userWithAuth."""
    attrs = OA_FIXED_TPM | OA_FIXED_PARENT | OA_SENSITIVE_DATA_ORIGIN | OA_USER_WITH_AUTH | OA_SIGN
    x = os.urandom(32) if unique is None else unique
    return (u16(ALG_ECC) + u16(ALG_SHA256) + u32(attrs) + b2(b"")
            + u16(ALG_NULL)                          # symmetric
            + u16(ALG_ECDSA) + u16(ALG_SHA256)       # scheme
            + u16(ECC_NIST_P256) + u16(ALG_NULL)     # curve, kdf
            + b2(x) + b2(b""))                       # unique


def ecc_storage_template():
    """TPMT_PUBLIC: ECC P-256 restricted decryption (storage) key, AES-128-CFB."""
    attrs = (OA_FIXED_TPM | OA_FIXED_PARENT | OA_SENSITIVE_DATA_ORIGIN | OA_USER_WITH_AUTH
             | OA_RESTRICTED | OA_DECRYPT)
    return (u16(ALG_ECC) + u16(ALG_SHA256) + u32(attrs) + b2(b"")
            + u16(ALG_AES) + u16(128) + u16(ALG_CFB)
            + u16(ALG_NULL) + u16(ECC_NIST_P256) + u16(ALG_NULL)
            + b2(os.urandom(32)) + b2(b""))


def create_primary(c, template=None, hierarchy=RH_OWNER):
    """TPM2_CreatePrimary; on success resp.handle, resp.public, resp.name."""
    template = ecc_signing_template() if template is None else template
    params = (b2(b2(b"") + b2(b""))    # inSensitive: userAuth, data
              + b2(template) + b2(b"") + u32(0))
    resp = c.call(CC_CREATE_PRIMARY, [hierarchy], params, [PW()], rhandles=1,
                  what="CreatePrimary")
    if resp.rc == 0:
        r = resp.reader("CreatePrimary")
        resp.handle = resp.handles[0]
        resp.public = r.b2()
        r.b2()
        r.b2()
        r.u16(); r.u32(); r.b2()     # creationTicket
        resp.name = r.b2()
        c.names[resp.handle] = resp.name
    return resp


def key(c, what="CreatePrimary(ECC signing)"):
    """A new ECC signing primary; returns its handle."""
    return must(create_primary(c), f"{c.name}: {what}").handle


def start_session(c, policy=False, tpm_key=RH_NULL, bind=RH_NULL, nonce_len=16):
    params = (b2(os.urandom(nonce_len)) + b2(b"") + u8(SE_POLICY if policy else SE_HMAC)
              + u16(ALG_NULL) + u16(ALG_SHA256))
    resp = c.call(CC_START_AUTH_SESSION, [tpm_key, bind], params, rhandles=1,
                  what="StartAuthSession")
    if resp.rc == 0:
        resp.session = Session(resp.handles[0], resp.reader("StartAuthSession").b2(), policy)
    return resp


def session(c, policy=False):
    kind = "policy" if policy else "HMAC"
    return must(start_session(c, policy), f"{c.name}: StartAuthSession({kind})").session


def hashcheck_null():
    return u16(ST_HASHCHECK) + u32(RH_NULL) + b2(b"")


def sign(c, handle, digest=None, auths=None):
    digest = hashlib.sha256(os.urandom(8)).digest() if digest is None else digest
    resp = c.call(CC_SIGN, [handle], b2(digest) + u16(ALG_NULL) + hashcheck_null(),
                  auths or [PW()], what="Sign")
    if resp.rc == 0:
        resp.signature = resp.params
        resp.digest = digest
    return resp


def verify_signature(c, handle, digest, signature):
    return c.call(CC_VERIFY_SIGNATURE, [handle], b2(digest) + signature,
                  what="VerifySignature")


def read_public(c, handle):
    resp = c.call(CC_READ_PUBLIC, [handle], what="ReadPublic")
    if resp.rc == 0:
        r = resp.reader("ReadPublic")
        resp.public = r.b2()
        resp.name = r.b2()
    return resp


def flush(c, handle):
    return c.call(CC_FLUSH_CONTEXT, [], u32(handle), what="FlushContext")


def context_save(c, handle):
    resp = c.call(CC_CONTEXT_SAVE, [handle], what="ContextSave")
    if resp.rc == 0:
        resp.blob = resp.params
    return resp


def context_load(c, blob):
    resp = c.call(CC_CONTEXT_LOAD, [], blob, rhandles=1, what="ContextLoad")
    if resp.rc == 0:
        resp.handle = resp.handles[0]
    return resp


PCR0_SHA256 = u32(1) + u16(ALG_SHA256) + u8(3) + bytes([1, 0, 0])


def policy_pcr(c, handle):
    return c.call(CC_POLICY_PCR, [handle], b2(b"") + PCR0_SHA256, what="PolicyPCR")


def policy_get_digest(c, handle):
    resp = c.call(CC_POLICY_GET_DIGEST, [handle], what="PolicyGetDigest")
    if resp.rc == 0:
        resp.digest = resp.reader("PolicyGetDigest").b2()
    return resp


def policy_secret(c, auth_handle, policy_handle):
    return c.call(CC_POLICY_SECRET, [auth_handle, policy_handle],
                  b2(b"") + b2(b"") + b2(b"") + u32(0), [PW()], what="PolicySecret")


def certify(c, obj, signer, auths=None):
    return c.call(CC_CERTIFY, [obj, signer], b2(b"") + u16(ALG_NULL),
                  auths or [PW(), PW()], what="Certify")


def get_random(c, n=8, auths=()):
    return c.call(CC_GET_RANDOM, [], u16(n), auths, what="GetRandom")


def get_handles(c, first, count):
    """GetCapability(TPM_CAP_HANDLES): resp.more, resp.list."""
    resp = c.call(CC_GET_CAPABILITY, [], u32(CAP_HANDLES) + u32(first) + u32(count),
                  what=f"GetCapability(HANDLES, 0x{first:08x}, {count})")
    if resp.rc == 0:
        r = resp.reader("GetCapability")
        resp.more = r.u8()
        cap = r.u32()
        if cap != CAP_HANDLES:
            raise Failure(f"{c.name}: GetCapability(HANDLES) answered capability {cap}")
        resp.list = [r.u32() for _ in range(r.u32())]
        if r.pos != len(r.data):
            raise Failure(f"{c.name}: GetCapability(HANDLES): {len(r.data) - r.pos} trailing bytes")
    return resp


def handles(c, first, count=64):
    """The handle list from first (one page; fails if moreData is set)."""
    resp = must(get_handles(c, first, count), f"{c.name}: GetCapability(HANDLES, 0x{first:08x})")
    if resp.more:
        raise Failure(f"{c.name}: GetCapability(HANDLES, 0x{first:08x}, {count}) set moreData "
                      f"with {len(resp.list)} handles")
    return resp.list


def hash_sequence_start(c, auth=b""):
    resp = c.call(CC_HASH_SEQUENCE_START, [], b2(auth) + u16(ALG_SHA256), rhandles=1,
                  what="HashSequenceStart")
    if resp.rc == 0:
        resp.handle = resp.handles[0]
    return resp


def sequence_update(c, handle, data, auth=b""):
    return c.call(CC_SEQUENCE_UPDATE, [handle], b2(data), [PW(auth)], what="SequenceUpdate")


def sequence_complete(c, handle, data, hierarchy=RH_NULL, auth=b""):
    resp = c.call(CC_SEQUENCE_COMPLETE, [handle], b2(data) + u32(hierarchy), [PW(auth)],
                  what="SequenceComplete")
    if resp.rc == 0:
        resp.digest = resp.reader("SequenceComplete").b2()
    return resp


def load(c, parent, private, public):
    resp = c.call(CC_LOAD, [parent], b2(private) + b2(public), [PW()], rhandles=1, what="Load")
    if resp.rc == 0:
        resp.handle = resp.handles[0]
    return resp


def hexlist(hs):
    return "[" + ", ".join(f"0x{h:08x}" for h in hs) + "]"


def check_list(c, first, expected, what):
    got = handles(c, first)
    if sorted(got) != sorted(expected):
        raise Failure(f"{c.name}: {what}: GetCapability(HANDLES, 0x{first:08x}) lists "
                      f"{hexlist(got)}, expected {hexlist(sorted(expected, key=by_index))}")
    if got != sorted(got, key=by_index):
        raise Failure(f"{c.name}: {what}: GetCapability(HANDLES, 0x{first:08x}) is not "
                      f"in ascending order of handle index: {hexlist(got)}")


def by_index(h):
    """The TPM's order within a handle list: by index (the low 24 bits), so
    a policy session 0x03000000 comes before an HMAC session 0x02000001."""
    return h & 0xFFFFFF


def sign_and_verify(c, handle, auths=None, what="Sign"):
    """Sign a fresh digest with handle and have the TPM verify it with the same key."""
    resp = must(sign(c, handle, auths=auths), f"{c.name}: {what} with 0x{handle:08x}")
    must(verify_signature(c, handle, resp.digest, resp.signature),
         f"{c.name}: VerifySignature of the {what} signature")
    return resp


def in_child(fn, *args):
    """Run fn(*args) in a forked child (another peer process for the daemon);
    raise Failure with its message when it fails."""
    rfd, wfd = os.pipe()
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        rc = 0
        try:
            msg = fn(*args) or ""
        except Failure as e:
            msg, rc = str(e), 1
        except Exception as e:  # noqa: BLE001 - reported to the parent
            msg, rc = f"{type(e).__name__}: {e}", 1
        os.write(wfd, msg.encode())
        os._exit(rc)
    os.close(wfd)
    chunks = []
    while True:
        chunk = os.read(rfd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(rfd)
    _, status = os.waitpid(pid, 0)
    msg = b"".join(chunks).decode(errors="replace")
    if status != 0:
        raise Failure(msg or f"child exited with status {status}")
    return msg


class Mismatches:
    """Collects wrong answers so that one run reports all of them."""

    def __init__(self, who):
        self.who, self.items, self.checked = who, [], 0

    def expect(self, resp, rc, what):
        self.checked += 1
        if resp.rc != rc:
            self.items.append(f"{what}: {rcstr(resp.rc)}, expected {rcstr(rc)}")

    def done(self):
        if self.items:
            shown = "\n    ".join(self.items[:25])
            more = f"\n    ... and {len(self.items) - 25} more" if len(self.items) > 25 else ""
            raise Failure(f"{self.who}: {len(self.items)} of {self.checked} checks wrong:\n"
                          f"    {shown}{more}")
        return self.checked


# ---- scenario: isolation ----------------------------------------------------

PROBE_RANGES = (list(range(HR_TRANSIENT, HR_TRANSIENT + 0x11))
                + list(range(HR_LOADED_SESSION, HR_LOADED_SESSION + 0x11))
                + list(range(HR_SAVED_SESSION, HR_SAVED_SESSION + 0x11)))


def is_session(h):
    return h >> 24 in (0x02, 0x03)


def intruder(path, label, a_handles, a_sessions, same_identity):
    """Connection B: may not see, use, save or flush any of A's handles, nor
    any other handle it does not own."""
    m = Mismatches(label)
    with Conn(path, label) as b:
        lists = [HR_TRANSIENT, HR_LOADED_SESSION]
        if not same_identity:
            lists.append(HR_SAVED_SESSION)
        for first in lists:
            got = handles(b, first)
            if got:
                m.items.append(f"GetCapability(HANDLES, 0x{first:08x}) lists {hexlist(got)} "
                               "to a connection that owns nothing")
            m.checked += 1
        probes = sorted(set(PROBE_RANGES) | set(a_handles) | set(a_sessions))
        # B owns nothing yet: every probe is foreign.
        for h in probes:
            n = f"0x{h:08x}"
            m.expect(read_public(b, h), RC_HANDLE_H1, f"ReadPublic({n})")
            m.expect(sign(b, h), RC_HANDLE_H1, f"Sign(key={n})")
            m.expect(policy_pcr(b, h), RC_HANDLE_H1, f"PolicyPCR({n})")
            m.expect(policy_get_digest(b, h), RC_HANDLE_H1, f"PolicyGetDigest({n})")
            m.expect(context_save(b, h), RC_HANDLE_H1, f"ContextSave({n})")
            m.expect(certify(b, h, h), RC_HANDLE_H1, f"Certify({n}, {n})")
            m.expect(policy_secret(b, RH_OWNER, h), RC_HANDLE_H2,
                     f"PolicySecret(owner, policySession={n})")
            m.expect(start_session(b, True, RH_NULL, h), RC_HANDLE_H2,
                     f"StartAuthSession(tpmKey=null, bind={n})")
            if is_session(h):
                m.expect(get_random(b, 8, [Foreign(h, ATTR_CONTINUE | ATTR_AUDIT)]),
                         RC_HANDLE_S1, f"GetRandom with session 1 = {n}")
        for h in probes:
            m.expect(flush(b, h), RC_FLUSH_NOT_OWNED, f"FlushContext(0x{h:08x})")
        # Now B owns a key: A's sessions in its authorization area, A's
        # handles as the second handle of a command on B's key.
        kb = key(b, "B's own CreatePrimary")
        sign_and_verify(b, kb, what="B's Sign with its own key")
        for h in probes:
            n = f"0x{h:08x}"
            if h != kb:
                m.expect(certify(b, kb, h), RC_HANDLE_H2, f"Certify(B's key, signHandle={n})")
            if is_session(h):
                m.expect(sign(b, kb, auths=[Foreign(h)]), RC_HANDLE_S1,
                         f"Sign(B's key) with session 1 = {n}")
                m.expect(sign(b, kb, auths=[PW(), Foreign(h, ATTR_CONTINUE | ATTR_AUDIT)]),
                         RC_HANDLE_S2, f"Sign(B's key) with session 2 = {n}")
        got = handles(b, HR_TRANSIENT)
        if got != [kb]:
            m.items.append(f"B's transient list is {hexlist(got)}, "
                           f"expected only its key 0x{kb:08x}")
        m.checked += 1
        must(flush(b, kb), f"{label}: FlushContext of its own key")
        checked = m.done()
    return f"{label}: {checked} checks on {len(probes)} foreign handles ok"


def sc_isolation(args):
    with Conn(args.sock, "A") as a:
        ka = key(a, "A's CreatePrimary")
        seq = must(hash_sequence_start(a), "A: HashSequenceStart").handle
        hs = session(a)
        ps = session(a, policy=True)
        must(policy_pcr(a, ps.handle), "A: PolicyPCR")
        d0 = must(policy_get_digest(a, ps.handle), "A: PolicyGetDigest").digest
        name = must(read_public(a, ka), "A: ReadPublic").name
        check_list(a, HR_TRANSIENT, [ka, seq], "A's own objects")
        check_list(a, HR_LOADED_SESSION, [hs.handle, ps.handle], "A's own sessions")
        a_handles, a_sessions = [ka, seq], [hs.handle, ps.handle]
        out = [in_child(intruder, args.sock, "B (same socket)", a_handles, a_sessions, True)]
        if args.sock2:
            out.append(in_child(intruder, args.sock2, "B (second socket)", a_handles,
                                a_sessions, False))
        # A's handles are intact and B's attempts never reached them.
        if must(read_public(a, ka), "A: ReadPublic after B").name != name:
            raise Failure("A: its key's name changed after B's attempts")
        d1 = must(policy_get_digest(a, ps.handle), "A: PolicyGetDigest after B").digest
        if d1 != d0:
            raise Failure("A: its policy session's digest changed: B's PolicyPCR or "
                          "PolicySecret reached it")
        must(policy_pcr(a, ps.handle), "A: PolicyPCR after B")
        sign_and_verify(a, ka, [hs], "A's Sign with its HMAC session after B")
        # The same virtual handle twice in one command, also after the key
        # was evicted to make room (two more sequences than free slots).
        extra = [must(hash_sequence_start(a), "A: HashSequenceStart").handle for _ in range(2)]
        must(certify(a, ka, ka), "A: Certify(key, key) (same virtual handle twice)")
        must(certify(a, ka, ka, [hs, PW()]), "A: Certify(key, key) with its HMAC session")
        must(sequence_update(a, seq, b"isolation"), "A: SequenceUpdate after B")
        dg = must(sequence_complete(a, seq, b" test"), "A: SequenceComplete after B").digest
        if dg != hashlib.sha256(b"isolation test").digest():
            raise Failure("A: its hash sequence gave a wrong digest after B's attempts")
        check_list(a, HR_TRANSIENT, [ka] + extra, "A's objects after B")
        check_list(a, HR_LOADED_SESSION, [hs.handle, ps.handle], "A's sessions after B")
        for h in [ka, hs.handle, ps.handle] + extra:
            must(flush(a, h), f"A: FlushContext(0x{h:08x})")
        check_list(a, HR_TRANSIENT, [], "A after flushing everything")
    print("; ".join(out) + "; A's key, sequence and sessions intact; same handle twice ok")


# ---- scenario: context gap --------------------------------------------------

def churn(c, sessions, count):
    """count session ContextSaves: pipelined ContextSave of every session,
    then pipelined ContextLoad of every blob; returns saves done."""
    done = 0
    handles_ = [s.handle for s in sessions]
    saves = b"".join(c.build(CC_CONTEXT_SAVE, [h]) for h in handles_)
    while done < count:
        c.send(saves)
        blobs = []
        for h in handles_:
            resp = c.receive("ContextSave")
            if resp.rc != 0:
                raise Failure(f"{c.name}: ContextSave(0x{h:08x}) after {done} session saves: "
                              f"{rcstr(resp.rc)}")
            blobs.append(resp.params)
            done += 1
        c.send(b"".join(c.build(CC_CONTEXT_LOAD, [], blob) for blob in blobs))
        for h in handles_:
            resp = c.receive("ContextLoad", rhandles=1)
            if resp.rc != 0:
                raise Failure(f"{c.name}: ContextLoad of session 0x{h:08x} after {done} "
                              f"session saves: {rcstr(resp.rc)}")
            if resp.handles[0] != h:
                raise Failure(f"{c.name}: ContextLoad of session 0x{h:08x} returned "
                              f"0x{resp.handles[0]:08x}")
    return done


def sc_context_gap(args):
    count = args.count or 70000
    with Conn(args.sock, "A") as a:
        ka = key(a, "A's CreatePrimary")
        hs = session(a)
        ps = session(a, policy=True)
        sign_and_verify(a, ka, [hs], "A's HMAC-authorized Sign")
        must(policy_pcr(a, ps.handle), "A: PolicyPCR")
        d0 = must(policy_get_digest(a, ps.handle), "A: PolicyGetDigest").digest
        saved = session(a, policy=True)
        must(policy_pcr(a, saved.handle), "A: PolicyPCR on the session it then saves")
        ds = must(policy_get_digest(a, saved.handle), "A: PolicyGetDigest").digest
        blob = must(context_save(a, saved.handle), "A: ContextSave of its session").blob
        # A is idle now. Another client uses more sessions than the TPM has
        # slots (A's are evicted), then saves sessions count times.
        with Conn(args.sock, "churn") as c:
            cs = [session(c, policy=True) for _ in range(3)]
            for s in cs:
                must(policy_get_digest(c, s.handle), "churn: PolicyGetDigest")
            must(flush(c, cs[2].handle), "churn: FlushContext")
            done = churn(c, cs[:2], count)
            for s in cs[:2]:
                must(flush(c, s.handle), "churn: FlushContext")
        d1 = must(policy_get_digest(a, ps.handle), "A: PolicyGetDigest on its idle session "
                  f"after {done} saves by another client").digest
        if d1 != d0:
            raise Failure("A: its idle policy session's digest changed across the churn")
        must(policy_pcr(a, ps.handle), "A: PolicyPCR on its idle session after the churn")
        sign_and_verify(a, ka, [hs], "A's HMAC-authorized Sign after the churn")
        loaded = must(context_load(a, blob),
                      "A: ContextLoad of the session blob it saved before the churn").handle
        if loaded != saved.handle:
            raise Failure(f"A: its saved session came back as 0x{loaded:08x}, "
                          f"expected 0x{saved.handle:08x}")
        if must(policy_get_digest(a, loaded),
                "A: PolicyGetDigest on the reloaded session").digest != ds:
            raise Failure("A: the reloaded session's policy digest changed")
        must(policy_pcr(a, loaded), "A: PolicyPCR on the reloaded session")
        for h in (ka, hs.handle, ps.handle, loaded):
            must(flush(a, h), f"A: FlushContext(0x{h:08x})")
    print(f"context gap: {done} session saves by another client; A's idle HMAC and policy "
          "sessions and its saved session blob still work")


def sc_churn(args):
    """Developer aid: time ContextSave/ContextLoad of two sessions."""
    with Conn(args.sock, "churn") as c:
        cs = [session(c, policy=True) for _ in range(2)]
        done = churn(c, cs, args.count or 1000)
        for s in cs:
            must(flush(c, s.handle), "churn: FlushContext")
    print(f"churn: {done} session saves")


# ---- scenario: stale handles ------------------------------------------------

def sc_stale(args):
    with Conn(args.sock, "A") as a:
        flushed, live = [], []

        def fresh(h, what):
            if h in flushed:
                raise Failure(f"A: {what} got virtual handle 0x{h:08x}, which a flushed "
                              "object had earlier on this connection")
            if h in live:
                raise Failure(f"A: {what} got virtual handle 0x{h:08x}, which a live object has")
            live.append(h)
            return h

        def gone(h, via_flush=True):
            live.remove(h)
            flushed.append(h)
            n = f"0x{h:08x}"
            expect_rc(read_public(a, h), RC_HANDLE_H1, f"A: ReadPublic(stale {n})")
            expect_rc(sign(a, h), RC_HANDLE_H1, f"A: Sign(stale {n})")
            expect_rc(context_save(a, h), RC_HANDLE_H1, f"A: ContextSave(stale {n})")
            expect_rc(flush(a, h), RC_FLUSH_NOT_OWNED, f"A: FlushContext(stale {n})")

        k1 = fresh(key(a), "CreatePrimary")
        must(flush(a, k1), "A: FlushContext(key)")
        gone(k1)
        # Keys and sequences come and go, some while evicted from the TPM.
        for rnd in range(4):
            ks = [fresh(key(a), "CreatePrimary") for _ in range(3)]
            seqs = [fresh(must(hash_sequence_start(a), "A: HashSequenceStart").handle,
                          "HashSequenceStart") for _ in range(2)]
            blob = must(context_save(a, ks[0]), "A: ContextSave(key)").blob
            kl = fresh(must(context_load(a, blob), "A: ContextLoad(key)").handle, "ContextLoad")
            sign_and_verify(a, kl, what="Sign with the reloaded key")
            must(flush(a, ks[0]), "A: FlushContext of the least recently used key")
            gone(ks[0])
            dg = must(sequence_complete(a, seqs[0], b"x"), "A: SequenceComplete").digest
            if dg != hashlib.sha256(b"x").digest():
                raise Failure("A: SequenceComplete returned a wrong digest")
            gone(seqs[0])        # the TPM flushed it
            for h in (ks[1], ks[2], kl, seqs[1]):
                must(flush(a, h), f"A: FlushContext(0x{h:08x})")
                gone(h)
            check_list(a, HR_TRANSIENT, live, f"round {rnd}: A's objects")
        for h in flushed:
            expect_rc(read_public(a, h), RC_HANDLE_H1, f"A: ReadPublic(stale 0x{h:08x}) at the end")
    print(f"stale: {len(flushed)} flushed/completed virtual handles answer 0x{RC_HANDLE_H1:08x} "
          f"(flush 0x{RC_FLUSH_NOT_OWNED:08x}); none was handed out again")


# ---- scenario: ContextSave/ContextLoad round trips ---------------------------

def sc_ctx_object(args):
    a = Conn(args.sock, "A")
    k = key(a)
    name = must(read_public(a, k), "A: ReadPublic").name
    blob = must(context_save(a, k), "A: ContextSave(key)").blob
    k2 = must(context_load(a, blob), "A: ContextLoad(key) on the same connection").handle
    if k2 == k:
        raise Failure(f"A: ContextLoad returned the live virtual handle 0x{k:08x} again")
    if must(read_public(a, k2), "A: ReadPublic(reloaded)").name != name:
        raise Failure("A: the reloaded key has another name")
    with Conn(args.sock, "B") as b:
        kb = must(context_load(b, blob), "B: ContextLoad of A's object blob").handle
        b.names[kb] = name
        if must(read_public(b, kb), "B: ReadPublic").name != name:
            raise Failure("B: the key loaded from A's blob has another name")
        sig = must(sign(b, kb), "B: Sign with the loaded key")
        must(verify_signature(a, k, sig.digest, sig.signature),
             "A: VerifySignature of B's signature with the original key")
        check_list(b, HR_TRANSIENT, [kb], "B's objects")
        check_list(a, HR_TRANSIENT, [k, k2], "A's objects")
        must(flush(a, k), "A: FlushContext")
        must(flush(a, k2), "A: FlushContext")
        sign_and_verify(b, kb, what="B's Sign after A flushed its copies")
        a.close()
        sign_and_verify(b, kb, what="B's Sign after A disconnected")
        # Loaded again (third time) on B while B holds a copy.
        kb2 = must(context_load(b, blob), "B: second ContextLoad of the blob").handle
        if kb2 == kb:
            raise Failure("B: a second ContextLoad returned the same virtual handle")
        sign_and_verify(b, kb2, what="B's Sign with the second copy")
        check_list(b, HR_TRANSIENT, [kb, kb2], "B's objects")
    print("object context: saved on A, loaded on A (new handle) and twice on B; "
          "signatures verify with A's key; B's copies outlive A")


def sc_ctx_session(args):
    # A policy session saved on A, loaded and used on B (same socket, same uid).
    with Conn(args.sock, "A") as a, Conn(args.sock, "B") as b:
        ps = session(a, policy=True)
        must(policy_pcr(a, ps.handle), "A: PolicyPCR")
        d0 = must(policy_get_digest(a, ps.handle), "A: PolicyGetDigest").digest
        blob = must(context_save(a, ps.handle), "A: ContextSave(policy session)").blob
        h = must(context_load(b, blob), "B: ContextLoad of A's saved policy session").handle
        if h != ps.handle:
            raise Failure(f"B: the session came back as 0x{h:08x}, expected 0x{ps.handle:08x}")
        if must(policy_get_digest(b, h), "B: PolicyGetDigest").digest != d0:
            raise Failure("B: the loaded session's policy digest differs from A's")
        must(policy_pcr(b, h), "B: PolicyPCR on the loaded session")
        check_list(b, HR_LOADED_SESSION, [h], "B's sessions")
        expect_rc(policy_pcr(a, h), RC_HANDLE_H1, "A: PolicyPCR on the session B loaded")
        must(flush(b, h), "B: FlushContext")
    # An HMAC session and a key, both saved by A, which then disconnects
    # (as tpm2-tools does between processes); C loads both and signs.
    with Conn(args.sock, "A2") as a:
        k = key(a)
        name = a.names[k]
        hs = session(a)
        sign_and_verify(a, k, [hs], "A2's HMAC-authorized Sign")
        kblob = must(context_save(a, k), "A2: ContextSave(key)").blob
        sblob = must(context_save(a, hs.handle), "A2: ContextSave(HMAC session)").blob
        check_list(a, HR_LOADED_SESSION, [], "A2's loaded sessions after saving its session")
    with Conn(args.sock, "C") as c:
        kc = must(context_load(c, kblob), "C: ContextLoad(key)").handle
        c.names[kc] = name
        sh = must(context_load(c, sblob), "C: ContextLoad(HMAC session)").handle
        if sh != hs.handle:
            raise Failure(f"C: the HMAC session came back as 0x{sh:08x}, "
                          f"expected 0x{hs.handle:08x}")
        sign_and_verify(c, kc, [hs], "C's Sign with A2's HMAC session")
        sign_and_verify(c, kc, [hs], "C's second Sign with it")
        must(flush(c, sh), "C: FlushContext(session)")
    # Another client identity (second socket) may not load a saved session.
    if args.sock2:
        with Conn(args.sock, "A3") as a, Conn(args.sock2, "D") as d:
            ps = session(a, policy=True)
            blob = must(context_save(a, ps.handle), "A3: ContextSave(policy session)").blob
            expect_rc(context_load(d, blob), RC_LOAD_NOT_OWNED,
                      "D (second socket): ContextLoad of A3's saved session")
            check_list(d, HR_LOADED_SESSION, [], "D's sessions")
            h = must(context_load(a, blob),
                     "A3: ContextLoad of its own blob after D's attempt").handle
            must(policy_pcr(a, h), "A3: PolicyPCR on it")
            must(flush(a, h), "A3: FlushContext")
    print("session context: a policy session saved on A is used on B; an HMAC session and "
          "key saved by a closed connection sign on C"
          + ("; another socket's ContextLoad refused" if args.sock2 else ""))


# ---- scenario: GetCapability paging -----------------------------------------

def sc_getcap_paging(args):
    with Conn(args.sock, "A") as a:
        objs = [must(hash_sequence_start(a), "A: HashSequenceStart").handle for _ in range(4)]
        objs.append(key(a))
        srt = sorted(objs)
        sess = [session(a), session(a), session(a, policy=True)]
        sh = [s.handle for s in sess]
        if len(set(objs)) != 5:
            raise Failure(f"A: 5 objects got only {len(set(objs))} distinct handles: "
                          f"{hexlist(objs)}")

        def page(first, count, want, more, what):
            resp = must(get_handles(a, first, count), f"A: {what}")
            if resp.list != want or resp.more != more:
                raise Failure(f"A: {what}: GetCapability(HANDLES, 0x{first:08x}, {count}) -> "
                              f"moreData={resp.more} {hexlist(resp.list)}, expected "
                              f"moreData={more} {hexlist(want)}")
            return resp.list

        got, first, flags = [], HR_TRANSIENT, []
        while True:
            resp = must(get_handles(a, first, 2), "A: paging the transient list by 2")
            got += resp.list
            flags.append(resp.more)
            if not resp.more or not resp.list or len(flags) > 5:
                break
            first = resp.list[-1] + 1
        if got != srt or flags != [1, 1, 0]:
            raise Failure(f"A: paging by 2 gave {hexlist(got)} with moreData={flags}, "
                          f"expected {hexlist(srt)} with moreData=[1, 1, 0]")
        page(HR_TRANSIENT, 5, srt, 0, "all 5 in one page")
        page(HR_TRANSIENT, 4, srt[:4], 1, "4 of 5")
        page(HR_TRANSIENT, 1, srt[:1], 1, "1 of 5")
        page(HR_TRANSIENT, 1000, srt, 0, "count above the TPM's maximum")
        page(srt[2], 10, srt[2:], 0, "from the third handle")
        page(srt[1] + 1, 2, srt[2:4], 1, "from just after the second handle")
        page(srt[4], 1, srt[4:], 0, "from the last handle")
        page(srt[4] + 1, 10, [], 0, "after the last handle")
        check_list(a, HR_LOADED_SESSION, sh, "A's 3 sessions")
        resp = must(get_handles(a, HR_LOADED_SESSION, 1), "A: loaded sessions, count 1")
        if len(resp.list) != 1 or resp.list[0] not in sh or resp.more != 1:
            raise Failure(f"A: loaded sessions with count 1 -> moreData={resp.more} "
                          f"{hexlist(resp.list)}, expected one of {hexlist(sh)} and moreData=1")
        check_list(a, HR_SAVED_SESSION, [], "A's saved sessions (none yet)")
        blob = must(context_save(a, sh[1]), "A: ContextSave(session)").blob
        check_list(a, HR_SAVED_SESSION, [sh[1]], "A's saved sessions after ContextSave")
        check_list(a, HR_LOADED_SESSION, [sh[0], sh[2]], "A's loaded sessions after ContextSave")
        # Other capabilities pass through: the permanent handles include owner.
        if RH_OWNER not in handles(a, HR_PERMANENT, 128):
            raise Failure("A: GetCapability(HANDLES, permanent) does not list TPM_RH_OWNER")

        def other(path, label, same_identity):
            with Conn(path, label) as b:
                check_list(b, HR_TRANSIENT, [], f"{label}'s objects")
                check_list(b, HR_LOADED_SESSION, [], f"{label}'s loaded sessions")
                if not same_identity:
                    check_list(b, HR_SAVED_SESSION, [], f"{label}'s saved sessions")
                seq = must(hash_sequence_start(b), f"{label}: HashSequenceStart").handle
                check_list(b, HR_TRANSIENT, [seq], f"{label}'s one object")
                must(flush(b, seq), f"{label}: FlushContext")
            return ""

        in_child(other, args.sock, "B", True)
        if args.sock2:
            in_child(other, args.sock2, "B2", False)
        check_list(a, HR_TRANSIENT, objs, "A's objects after B")
        if must(context_load(a, blob), "A: ContextLoad(session)").handle != sh[1]:
            raise Failure("A: its saved session came back with another handle")
        check_list(a, HR_LOADED_SESSION, sh, "A's sessions after ContextLoad")
        check_list(a, HR_SAVED_SESSION, [], "A's saved sessions after ContextLoad")
        for x in objs + sh:
            must(flush(a, x), f"A: FlushContext(0x{x:08x})")
        for first in (HR_TRANSIENT, HR_LOADED_SESSION, HR_SAVED_SESSION):
            check_list(a, first, [], "A after flushing everything")
    print("getcap paging: 5 objects paged by 2 (moreData 1,1,0) and from any start; "
          "sessions listed as loaded/saved; other connections see none of them")


# ---- scenarios: clean-up ----------------------------------------------------

def sc_cleanup_continue(args):
    with Conn(args.sock, "A") as a:
        ka = key(a)
        hs = session(a)
        keep = session(a, policy=True)
        sign_and_verify(a, ka, [hs], "Sign with the HMAC session")
        hs.attrs = 0        # continueSession clear: the TPM ends the session
        must(sign(a, ka, auths=[hs]), "A: Sign with continueSession=0")
        check_list(a, HR_LOADED_SESSION, [keep.handle], "A's sessions after continueSession=0")
        check_list(a, HR_SAVED_SESSION, [], "A's saved sessions after continueSession=0")
        hs.attrs = ATTR_CONTINUE
        expect_rc(sign(a, ka, auths=[hs]), RC_HANDLE_S1, "A: Sign with the ended session")
        expect_rc(flush(a, hs.handle), RC_FLUSH_NOT_OWNED, "A: FlushContext(ended session)")
        # B's new HMAC session may get the same TPM handle: A must not reach
        # it, nor flush it when A disconnects.
        with Conn(args.sock, "B") as b:
            kb = key(b)
            bs = [session(b) for _ in range(2)]
            reused = [s for s in bs if s.handle == hs.handle]
            expect_rc(get_random(a, 8, [Foreign(hs.handle, ATTR_CONTINUE | ATTR_AUDIT)]),
                      RC_HANDLE_S1, "A: its ended session's handle in its auth area")
            expect_rc(flush(a, hs.handle), RC_FLUSH_NOT_OWNED,
                      "A: FlushContext of its ended session's handle")
            a.close()
            for s in bs:
                sign_and_verify(b, kb, [s], f"B's Sign with {s} after A disconnected")
            # And continueSession=0 in the second slot (an audit session).
            bs[1].attrs = ATTR_AUDIT
            must(sign(b, kb, auths=[PW(), bs[1]]),
                 "B: Sign with an audit session, continueSession=0")
            check_list(b, HR_LOADED_SESSION, [bs[0].handle], "B's sessions after it")
            for h in (kb, bs[0].handle):
                must(flush(b, h), "B: FlushContext")
    print("continueSession=0 ends the session for its owner (listed no more, handle refused); "
          + ("B got the same TPM handle and kept it" if reused else "B's sessions unaffected"))


def sc_cleanup_failed(args):
    with Conn(args.sock, "A") as a:
        store = must(create_primary(a, ecc_storage_template()), "A: CreatePrimary(storage)").handle
        keys = [key(a) for _ in range(3)]
        own = [store] + keys
        ps = session(a, policy=True)
        fails = 0

        def failing(resp, what):
            nonlocal fails
            if resp.rc == 0:
                raise Failure(f"A: {what} succeeded but must fail")
            fails += 1

        for i in range(12):
            failing(sign(a, store), "Sign with a storage (decrypt) key")
            failing(load(a, store, os.urandom(64), ecc_signing_template()), "Load of garbage")
            failing(context_load(a, os.urandom(8) + u32(0x80000000) + u32(RH_OWNER)
                                 + b2(os.urandom(200))), "ContextLoad of a garbage blob")
            bad = bytearray(ecc_signing_template())
            bad[16:18] = u16(0x0099)        # curveID: no such curve
            failing(create_primary(a, bytes(bad)), "CreatePrimary with an unknown curve")
            failing(start_session(a, nonce_len=8), "StartAuthSession with an 8-byte nonce")
            failing(policy_secret(a, RH_OWNER, keys[i % 3]), "PolicySecret on a key handle")
            blob = must(context_save(a, ps.handle), "A: ContextSave(policy session)").blob
            # A session blob naming a session this client never saved.
            other = ps.handle ^ (0x10 + i)
            expect_rc(context_load(a, blob[:8] + u32(other) + blob[12:]), RC_LOAD_NOT_OWNED,
                      f"A: ContextLoad of a blob naming session 0x{other:08x}, not its own")
            fails += 1
            if must(context_load(a, blob), "A: ContextLoad of the intact blob").handle != ps.handle:
                raise Failure("A: its saved session came back with another handle")
            check_list(a, HR_LOADED_SESSION, [ps.handle], f"round {i}: A's sessions")
            check_list(a, HR_TRANSIENT, own, f"round {i}: A's objects after failed commands")
            for k in keys:
                sign_and_verify(a, k, what="Sign between failures")
        # A slot leaked by any of those would now be missing: use more keys.
        more = [key(a) for _ in range(3)]
        for k in keys + more:
            sign_and_verify(a, k, what="Sign after the failures")
        check_list(a, HR_TRANSIENT, own + more, "A's objects at the end")
    print(f"failed commands: {fails} failures (wrong key type, garbage Load/ContextLoad, bad "
          "template, bad nonce, foreign session blob) left no object or session behind")


def sc_cleanup_sequence(args):
    with Conn(args.sock, "A") as a:
        seq = must(hash_sequence_start(a, b"pw"), "A: HashSequenceStart").handle
        must(sequence_update(a, seq, b"part1,", b"pw"), "A: SequenceUpdate")
        resp = sequence_complete(a, seq, b"part2", 0x40000099, b"pw")
        if resp.rc == 0:
            raise Failure("A: SequenceComplete with an invalid hierarchy succeeded")
        bad_hierarchy = resp.rc
        resp = sequence_complete(a, seq, b"part2", RH_NULL, b"wrong")
        if resp.rc == 0:
            raise Failure("A: SequenceComplete with a wrong password succeeded")
        bad_auth = resp.rc
        # The TPM keeps a sequence whose SequenceComplete failed: still usable.
        check_list(a, HR_TRANSIENT, [seq], "A's objects after failed SequenceCompletes")
        dg = must(sequence_complete(a, seq, b"part2", RH_NULL, b"pw"),
                  "A: SequenceComplete after the failures").digest
        if dg != hashlib.sha256(b"part1,part2").digest():
            raise Failure("A: the sequence lost data across the failed SequenceCompletes")
        check_list(a, HR_TRANSIENT, [], "A's objects after SequenceComplete")
        expect_rc(sequence_update(a, seq, b"more", b"pw"), RC_HANDLE_H1,
                  "A: SequenceUpdate on the completed sequence")
        # Failed completes on sequences left to the disconnect, some evicted.
        left = [must(hash_sequence_start(a), "A: HashSequenceStart").handle for _ in range(4)]
        for h in left:
            must(sequence_update(a, h, b"left behind"), "A: SequenceUpdate")
            if sequence_complete(a, h, b"", 0x40000099).rc == 0:
                raise Failure("A: SequenceComplete with an invalid hierarchy succeeded")
        check_list(a, HR_TRANSIENT, left, "A's sequences left for the disconnect")
    print(f"sequences: failed SequenceComplete (hierarchy {rcstr(bad_hierarchy)}, password "
          f"{rcstr(bad_auth)}) keeps the sequence usable; 4 failed ones left to the disconnect")


# ---- scenario: first-sign ---------------------------------------------------

def sc_first_sign(args):
    # A fresh swtpm answers its first ECDSA Sign with TPM_RC_RETRY (0x922).
    # The proxy resends it, so even a raw client that does not retry gets
    # its signature on the first try.
    with Conn(args.sock, "first") as c:
        k = key(c)
        resp = sign(c, k)
        if resp.rc != 0:
            raise Failure(f"first Sign answered {rcstr(resp.rc)}, not success: "
                          "the proxy did not retry TPM_RC_RETRY")
    print("first ECDSA Sign on a fresh TPM succeeded without a client retry")


# ---- scenario: smoke --------------------------------------------------------

def sc_smoke(args):
    with Conn(args.sock, "smoke") as c:
        ks = [key(c) for _ in range(4)]
        hs = session(c)
        ps = session(c, policy=True)
        for k in ks:
            sign_and_verify(c, k, [hs], "HMAC-authorized Sign")
        must(policy_pcr(c, ps.handle), "PolicyPCR")
        check_list(c, HR_TRANSIENT, ks, "own objects")
        check_list(c, HR_LOADED_SESSION, [hs.handle, ps.handle], "own sessions")
    print("smoke: 4 keys, an HMAC and a policy session on a new connection ok")


SCENARIOS = {
    "isolation": sc_isolation,
    "context-gap": sc_context_gap,
    "churn": sc_churn,
    "stale": sc_stale,
    "ctx-object": sc_ctx_object,
    "ctx-session": sc_ctx_session,
    "getcap-paging": sc_getcap_paging,
    "cleanup-continue": sc_cleanup_continue,
    "cleanup-failed": sc_cleanup_failed,
    "cleanup-sequence": sc_cleanup_sequence,
    "smoke": sc_smoke,
    "first-sign": sc_first_sign,
}


def run_scenario(prog, scenarios, args):
    """Run scenarios[args.scenario]: 0, or 1 with the reason on stderr."""
    try:
        scenarios[args.scenario](args)
    except Failure as e:
        print(f"{prog}: {args.scenario}: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"{prog}: {args.scenario}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


def scenario_main(prog, doc, scenarios, argv, options):
    """A scenario runner's command line: --list, or SCENARIO with the
    options options(parser) adds; the scenario's status."""
    if len(argv) == 2 and argv[1] == "--list":
        print("\n".join(scenarios))
        return 0
    ap = argparse.ArgumentParser(usage=doc)
    ap.add_argument("scenario", choices=sorted(scenarios))
    options(ap)
    return run_scenario(prog, scenarios, ap.parse_args(argv[1:]))


def main(argv):
    def options(ap):
        ap.add_argument("--sock", required=True)
        ap.add_argument("--sock2")
        ap.add_argument("--count", type=int)

    return scenario_main("rmlib", __doc__, SCENARIOS, argv, options)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

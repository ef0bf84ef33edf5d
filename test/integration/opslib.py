#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# Operator-facing tests (ops-*.sh): audit-log checks, tpmproxyctl table and JSON checks, a strict Prometheus text-format checker, and the clients that drive them.
"""Usage: opslib.py COMMAND [ARGS]

Clients (raw TPM bytes through rmlib.py, or tpm2-pytss ESAPI):
  events --dir T [--as-root]      provoke denied, quota, rate-limited,
                                  malformed, timeout (and, as root, refused)
                                  on the sockets T/NAME.sock of ops-audit.sh
  drop-socket --dir T --ctl CTL --conf F --new F
                                  hold a connection on T/gone.sock, install F
                                  (without that socket), tpmproxyctl reload:
                                  the connection must be closed
  getrandom --sock P [--count N] [--pipeline K] [--expect-rc RC] [--tap-log F]
  denied --sock P                 CreatePrimary answered 0x000b0143
  key-sign --sock P               CreatePrimary, Sign, VerifySignature, flush
  raw-hold --sock P --ready F --go F
  pytss-work --tcti T --secret-pw S --secret-data S
  pytss-hold --tcti T --ready F --go F   2 keys and an HMAC session, held

Checks (each prints a summary line; a failure prints 'opslib: COMMAND: why'
on stderr and exits 1):
  audit-check --files F... --secrets F --conf F [--as-root] [--log F...]
  audit-fragment FILE --at N          line N is a kept fragment, N+1 the
                                      audit-error line chained to it
  audit-lost --files F... --socket-name S --count N --daemon-log F
                                      the audit-error line for records lost
                                      while N commands flooded socket S
  tamper --src F --next F --out DIR   tampered copies and their expected
                                      FILE:LINE, in DIR/cases
  table --kind status|clients|stats|sockets FILE
  json --kind status|clients|stats|sockets|reload FILE [--expect PATH=V]...
       [--get PATH [--default V]]   PATH: a.b, [KEY=VALUE] picks from a list;
                                      also PATH>=N, PATH<=N
  promcheck FILE                      strict text format 0.0.4
  promcheck-selftest                  the checker rejects known violations
  promget FILE SERIES                 the value of one series, e.g.
                                      'tpmproxy_commands_total{socket="a"}'
"""

import sys

sys.dont_write_bytecode = True

import argparse  # noqa: E402
import base64  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pollib  # noqa: E402
from pollib import (  # noqa: E402
    CC, RC_DENIED, RC_OBJECT_QUOTA, RC_RETRY, RC_SESSION_QUOTA, probe_as, rc_closed,
    send_quietly)
from rmlib import (  # noqa: E402
    Conn, Failure, create_primary, expect_rc, flush, get_random, key, must, rcstr, session,
    sign_and_verify, start_session, u16)

WAIT = float(os.environ.get("TPMPROXY_TEST_WAIT", "30"))
ZEROS = "0" * 64


def sock(d, name):
    return os.path.join(d, name + ".sock")


def wait_file(path, what):
    deadline = time.monotonic() + WAIT * 2
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise Failure(f"{what}: {path} did not appear within {WAIT * 2:.0f}s")
        time.sleep(0.05)


def write_atomic(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


# ---- raw clients ---------------------------------------------------------------------

def sc_events(a):
    """The security events of ops-audit.sh's configuration, each checked by
    what the client sees (the audit log is checked later)."""
    done = []
    # denied: the readonly profile.
    with Conn(sock(a.dir, "ro"), "ro") as c:
        must(get_random(c), "ro: GetRandom")
        expect_rc(create_primary(c), RC_DENIED, "ro: CreatePrimary on a readonly socket")
        must(get_random(c), "ro: GetRandom after the denied command")
    done.append("denied")
    # quota: max-objects = 1, max-sessions = 1, max-connections = 2.
    with Conn(sock(a.dir, "q"), "q1") as c1, Conn(sock(a.dir, "q"), "q2") as c2:
        k = key(c1, "q1: CreatePrimary (the group's only object)")
        expect_rc(create_primary(c2), RC_OBJECT_QUOTA, "q2: CreatePrimary over max-objects=1")
        s = session(c1)
        expect_rc(start_session(c2), RC_SESSION_QUOTA,
                  "q2: StartAuthSession over max-sessions=1")
        pollib.refused_connection(sock(a.dir, "q"), "q3 (over max-connections=2)")
        must(flush(c1, k), "q1: FlushContext(key)")
        must(flush(c1, s.handle), "q1: FlushContext(session)")
    done.append("quota (objects, sessions, connections)")
    # rate-limited: rate = 1/m, burst = 1.
    with Conn(sock(a.dir, "rate"), "rate") as c:
        must(get_random(c), "rate: the bucket's one GetRandom")
        expect_rc(get_random(c), RC_RETRY, "rate: a 2nd GetRandom at 1/m, burst 1")
    done.append("rate-limited")
    # malformed: a 10-byte header saying 9 bytes, and one over the maximum.
    for what, size in (("size 9", 9), ("size 16 MiB", 1 << 24)):
        c = Conn(sock(a.dir, "main"), f"malformed ({what})")
        send_quietly(c, struct.pack(">HII", 0x8001, size, CC["GetRandom"]))
        rc_closed(c, f"a command header with {what}")
        c.close()
    done.append("malformed")
    # timeout: idle-timeout = 1s after a command; partial-timeout = 1s.
    c = Conn(sock(a.dir, "idle"), "idle")
    must(get_random(c), "idle: GetRandom")
    rc_closed(c, "idle: a connection idle past idle-timeout=1s")
    c.close()
    c = Conn(sock(a.dir, "part"), "part")
    c.send(struct.pack(">HII", 0x8001, 12, CC["GetRandom"])[:5])
    rc_closed(c, "part: 5 bytes of a header, partial-timeout=1s")
    c.close()
    done.append("timeout (idle, partial)")
    # refused: a uid outside allow-uids (needs root and setpriv).
    if a.as_root:
        got = probe_as(4242, sock(a.dir, "uids"), "closed")
        done.append(f"refused ({got})")
    print("events: " + ", ".join(done))


def sc_drop_socket(a):
    """A client of a socket that a reload removes is closed (and its
    disconnect audited once)."""
    c = Conn(sock(a.dir, "gone"), "gone")
    must(get_random(c), "gone: GetRandom")
    with open(a.new) as f:
        write_atomic(a.conf, f.read())
    p = subprocess.run([a.ctl_bin, "-c", a.ctl, "reload"], capture_output=True, text=True,
                       timeout=WAIT)
    if p.returncode != 0:
        raise Failure(f"tpmproxyctl reload exited {p.returncode}: {p.stdout}{p.stderr}")
    send_quietly(c, c.build(CC["GetRandom"], [], u16(8)))
    rc_closed(c, "gone: the connection of a socket the reload removed")
    c.close()
    if os.path.exists(sock(a.dir, "gone")):
        raise Failure("gone.sock is still there after the reload removed it")
    print("drop-socket: the reload removed gone.sock and closed its connection")


def sc_getrandom(a):
    """a.count GetRandom on one connection, a.pipeline at a time; each
    must be answered a.expect_rc. With a.tap_log, none may reach the TPM
    when a.expect_rc is an error the proxy raises."""
    tap = pollib.Tap(a.tap_log) if a.tap_log else None
    mark = tap.mark() if tap else 0
    with Conn(a.sock, "getrandom") as c:
        cmd, i = c.build(CC["GetRandom"], [], u16(8)), 0
        while i < a.count:
            n = min(a.pipeline, a.count - i)
            c.send(cmd * n)
            for _ in range(n):
                i += 1
                expect_rc(c.receive("GetRandom"), a.expect_rc, f"GetRandom {i} of {a.count}")
    if tap and a.expect_rc and CC["GetRandom"] in tap.codes_since(mark):
        raise Failure(f"GetRandom answered {rcstr(a.expect_rc)} reached the TPM")
    print(f"getrandom: {a.count} answered {rcstr(a.expect_rc)}"
          + (" without reaching the TPM" if tap and a.expect_rc else ""))


def sc_denied(a):
    with Conn(a.sock, "denied") as c:
        expect_rc(create_primary(c), RC_DENIED, "CreatePrimary on a readonly socket")
    print("denied: CreatePrimary answered 0x000b0143")


def sc_key_sign(a):
    with Conn(a.sock, "key-sign") as c:
        k = key(c)
        sign_and_verify(c, k)
        must(flush(c, k), "FlushContext")
    print("key-sign: CreatePrimary, Sign, VerifySignature, FlushContext ok")


def sc_raw_hold(a):
    with Conn(a.sock, "raw-hold") as c:
        must(get_random(c), "raw-hold: GetRandom")
        write_atomic(a.ready, f"{os.getpid()}\n")
        wait_file(a.go, "raw-hold")
        must(get_random(c), "raw-hold: GetRandom at the end")
    print("raw-hold: held a connection")


# ---- tpm2-pytss clients ---------------------------------------------------------------

def pytss():
    os.environ.setdefault("TSS2_LOG", "all+none")
    import tpm2_pytss
    from tpm2_pytss import constants, types
    return tpm2_pytss, constants, types


def pytss_ctx(tcti):
    tss, _, _ = pytss()
    name, _, conf = tcti.partition(":")
    return tss.ESAPI(tss.TCTILdr(name, conf or None))


def pytss_key(e, auth=b""):
    _, C, T = pytss()
    attrs = (C.TPMA_OBJECT.SIGN_ENCRYPT | C.TPMA_OBJECT.FIXEDTPM | C.TPMA_OBJECT.FIXEDPARENT
             | C.TPMA_OBJECT.SENSITIVEDATAORIGIN | C.TPMA_OBJECT.USERWITHAUTH)
    template = T.TPM2B_PUBLIC.parse("ecc256:ecdsa-sha256", objectAttributes=attrs)
    template.publicArea.unique.ecc.x = os.urandom(32)
    sens = T.TPM2B_SENSITIVE_CREATE(T.TPMS_SENSITIVE_CREATE(userAuth=T.TPM2B_AUTH(auth)))
    handle = e.create_primary(sens, template)[0]
    e.tr_set_auth(handle, T.TPM2B_AUTH(auth))
    return handle


def pytss_session(e):
    _, C, T = pytss()
    return e.start_auth_session(tpm_key=C.ESYS_TR.NONE, bind=C.ESYS_TR.NONE,
                                session_type=C.TPM2_SE.HMAC,
                                symmetric=T.TPMT_SYM_DEF(algorithm=C.TPM2_ALG.NULL),
                                auth_hash=C.TPM2_ALG.SHA256)


def pytss_sign(e, k, data):
    _, C, T = pytss()
    digest, ticket = e.hash(data, C.TPM2_ALG.SHA256, C.ESYS_TR.OWNER)
    sig = e.sign(k, digest, T.TPMT_SIG_SCHEME(scheme=C.TPM2_ALG.NULL), ticket)
    e.verify_signature(k, digest, sig)


def sc_pytss_work(a):
    """A key whose authValue is the secret password, used with a password
    session; the secret data hashed and signed."""
    with pytss_ctx(a.tcti) as e:
        k = pytss_key(e, a.secret_pw.encode())
        pytss_sign(e, k, a.secret_data.encode())
        s = pytss_session(e)
        e.flush_context(s)
        e.flush_context(k)
    print("pytss-work: key with a password, hash, sign, verify, session, flush ok")


def sc_pytss_hold(a):
    with pytss_ctx(a.tcti) as e:
        keys = [pytss_key(e), pytss_key(e)]
        s = pytss_session(e)
        write_atomic(a.ready, f"{os.getpid()}\n")
        wait_file(a.go, "pytss-hold")
        for k in keys:      # still there after the reloads
            pytss_sign(e, k, b"after the reloads")
        e.flush_context(s)
        for k in keys:
            e.flush_context(k)
    print("pytss-hold: held 2 keys and an HMAC session; they still signed at the end")


# ---- the audit log --------------------------------------------------------------------

FIELDS = ["prev", "time", "event", "socket", "pod", "uid", "gid", "pid", "conn", "command",
          "cc", "handles", "rhandle", "rc", "rc_text", "duration_us", "queued_us", "bytes_in",
          "bytes_out", "objects", "sessions", "saved", "nv_indices", "detail"]
EVENTS = {"start", "stop", "command", "connect", "disconnect", "denied", "quota",
          "rate-limited", "malformed", "timeout", "refused", "reload", "backend", "audit-error"}
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
HEX32_RE = re.compile(r"^0x[0-9a-f]{8}$")


def no_constant(name):
    raise ValueError(f"{name} is not JSON")


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise ValueError(f"duplicate keys {sorted(dup)}")
    return dict(pairs)


def strict_json(text):
    return json.loads(text, parse_constant=no_constant, object_pairs_hook=no_duplicates)


def read_log(path):
    """The lines of an audit file (bytes, without newlines); it must end in one."""
    with open(path, "rb") as f:
        data = f.read()
    if data and not data.endswith(b"\n"):
        raise Failure(f"{path}: does not end in a newline")
    return data.split(b"\n")[:-1] if data else []


def check_record(where, line, m):
    """One line: JSON, the documented fields in the documented order, their
    formats. Returns the object (or None)."""
    if not line.startswith(b'{"prev":"'):
        m.append(f"{where}: does not begin with {{\"prev\":\"")
    try:
        rec = strict_json(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        m.append(f"{where}: not JSON: {e}")
        return None
    if not isinstance(rec, dict):
        m.append(f"{where}: not a JSON object")
        return None
    keys = list(rec)
    unknown = [k for k in keys if k not in FIELDS]
    if unknown:
        m.append(f"{where}: fields the audit log does not document: {unknown}")
    known = [k for k in keys if k in FIELDS]
    if known != sorted(known, key=FIELDS.index):
        m.append(f"{where}: fields out of the documented order: {known}")
    if not re.fullmatch(r"[0-9a-f]{64}", str(rec.get("prev"))):
        m.append(f"{where}: prev is not 64 lowercase hex digits")
    if not TIME_RE.match(str(rec.get("time"))):
        m.append(f"{where}: time {rec.get('time')!r} is not RFC 3339 UTC with microseconds")
    if rec.get("event") not in EVENTS:
        m.append(f"{where}: unknown event {rec.get('event')!r}")
    for k in ("uid", "gid", "pid", "conn", "duration_us", "queued_us", "bytes_in", "bytes_out",
              "objects", "sessions", "saved", "nv_indices"):
        if k in rec and (not isinstance(rec[k], int) or isinstance(rec[k], bool) or rec[k] < 0):
            m.append(f"{where}: {k} is not a non-negative integer: {rec[k]!r}")
    for k in ("cc", "rc", "rhandle"):
        if k in rec and not HEX32_RE.match(str(rec[k])):
            m.append(f"{where}: {k} {rec[k]!r} is not 0x and 8 lowercase hex digits")
    if "handles" in rec and not (isinstance(rec["handles"], list) and
                                 all(HEX32_RE.match(str(h)) for h in rec["handles"])):
        m.append(f"{where}: handles {rec['handles']!r} is not a list of 0x%08x strings")
    return rec


def load_chain(files, m, from_start=True):
    """Every line of the files in order, checked and chained: a list of
    (FILE:LINE, record, raw line)."""
    out, prev = [], ZEROS if from_start else None
    for path in files:
        for i, line in enumerate(read_log(path), 1):
            where = f"{os.path.basename(path)}:{i}"
            rec = check_record(where, line, m)
            if rec is not None and prev is not None and rec.get("prev") != prev:
                m.append(f"{where}: prev {rec.get('prev')} is not the SHA-256 of the line "
                         f"before ({prev})")
            prev = hashlib.sha256(line).hexdigest()
            if rec is not None:
                out.append((where, rec, line))
    return out


def encodings(secret):
    b = secret.encode()
    return {"text": b, "hex": b.hex().encode(), "HEX": b.hex().upper().encode(),
            "base64": base64.b64encode(b).rstrip(b"=")}


def secrets_absent(paths, secrets, m):
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        for s in secrets:
            for how, enc in encodings(s).items():
                if enc in data:
                    m.append(f"{os.path.basename(path)}: contains a command parameter "
                             f"({how} of {s!r})")


def sc_audit_check(a):
    m = []
    recs = load_chain(a.files, m)
    if not recs:
        raise Failure("the audit log is empty")
    by = {}
    for where, rec, _ in recs:
        by.setdefault(rec.get("event"), []).append((where, rec))

    def find(event, what, pred=lambda r: True):
        hits = [(w, r) for w, r in by.get(event, []) if pred(r)]
        if not hits:
            m.append(f"no {event} record {what}")
        return hits

    want = ["start", "stop", "connect", "disconnect", "command", "denied", "quota",
            "rate-limited", "malformed", "timeout", "reload"] + (["refused"] if a.as_root else [])
    missing = [e for e in want if e not in by]
    if missing:
        m.append(f"event types missing from the log: {missing}")
    first, last = recs[0][1], recs[-1][1]
    if first.get("event") != "start" or first.get("prev") != ZEROS:
        m.append(f"{recs[0][0]}: the first line ever is not a start with prev 0...0: {first}")
    if last.get("event") != "stop":
        m.append(f"{recs[-1][0]}: the last line is not the stop record: {last}")

    # Who: every client record names socket, uid, gid, pid and conn.
    for ev in ("connect", "disconnect", "command", "denied", "quota", "rate-limited",
               "malformed", "timeout"):
        for w, r in by.get(ev, []):
            lacking = [k for k in ("socket", "uid", "gid", "pid", "conn") if k not in r]
            if lacking:
                m.append(f"{w}: {ev} record without {lacking}")
    # Every connection that connected disconnected exactly once, after.
    conns, run = {}, 0
    for w, r, _ in recs:
        if r.get("event") == "start":     # a restarted daemon numbers afresh
            run += 1
        if r.get("event") in ("connect", "disconnect"):
            conns.setdefault((run, r.get("conn")), []).append((r["event"], w))
    for (_, cid), evs in conns.items():
        if [e for e, _ in evs] != ["connect", "disconnect"]:
            m.append(f"conn {cid}: {', '.join(f'{e} at {w}' for e, w in evs)} "
                     "(expected one connect, then one disconnect)")
    # Commands: what, result, sizes, and the group's counts after it.
    for w, r in by.get("command", []):
        lacking = [k for k in ("cc", "rc", "rc_text", "bytes_in", "bytes_out", "objects",
                               "sessions", "saved", "nv_indices") if k not in r]
        if lacking:
            m.append(f"{w}: command record without {lacking}")
        if r.get("rc") == "0x00000000" and r.get("rc_text") != "tpm:success":
            m.append(f"{w}: rc 0 decoded as {r.get('rc_text')!r}")
    names = {r.get("command") for _, r in by.get("command", [])}
    for n in ("TPM2_CC_GetRandom", "TPM2_CC_Hash", "TPM2_CC_CreatePrimary", "TPM2_CC_Create",
              "TPM2_CC_Sign", "TPM2_CC_NV_DefineSpace", "TPM2_CC_NV_Write", "TPM2_CC_NV_Read",
              "TPM2_CC_StartAuthSession", "TPM2_CC_FlushContext"):
        if n not in names:
            m.append(f"no command record names {n} (tpm2-tools, pytss and raw clients sent it)")
    find("command", "of a CreatePrimary with rhandle 0x80...... and objects >= 1",
         lambda r: r.get("command") == "TPM2_CC_CreatePrimary" and r.get("rc") == "0x00000000"
         and str(r.get("rhandle", "")).startswith("0x80") and r.get("objects", 0) >= 1)
    find("command", "of a Sign naming a virtual handle 0x80......",
         lambda r: r.get("command") == "TPM2_CC_Sign"
         and any(h.startswith("0x80") for h in r.get("handles", [])))
    find("command", "of NV_DefineSpace leaving nv_indices = 1",
         lambda r: r.get("command") == "TPM2_CC_NV_DefineSpace" and r.get("nv_indices") == 1)
    find("command", "of StartAuthSession leaving sessions >= 1 with rhandle 0x02/0x03......",
         lambda r: r.get("command") == "TPM2_CC_StartAuthSession" and r.get("sessions", 0) >= 1
         and str(r.get("rhandle", ""))[:4] in ("0x02", "0x03"))
    # The security events, each as provoked.
    find("denied", "for CreatePrimary on the readonly socket",
         lambda r: r.get("socket") == "ro" and r.get("command") == "TPM2_CC_CreatePrimary"
         and r.get("rc") == "0x000b0143" and r.get("detail") == "profile readonly")
    find("quota", "for the objects quota (0x000b0902)",
         lambda r: r.get("socket") == "q" and r.get("rc") == "0x000b0902")
    find("quota", "for the sessions quota (0x000b0903)",
         lambda r: r.get("socket") == "q" and r.get("rc") == "0x000b0903")
    find("quota", "for max-connections (0x000b0922, detail max-connections 2)",
         lambda r: r.get("socket") == "q" and r.get("rc") == "0x000b0922"
         and r.get("detail") == "max-connections 2")
    find("rate-limited", "on the rate socket (0x000b0922)",
         lambda r: r.get("socket") == "rate" and r.get("rc") == "0x000b0922"
         and r.get("command") == "TPM2_CC_GetRandom")
    find("malformed", "for a size-9 frame",
         lambda r: r.get("socket") == "main" and "below 10" in r.get("detail", ""))
    find("malformed", "for a frame over the maximum size",
         lambda r: r.get("socket") == "main" and "larger" in r.get("detail", ""))
    find("timeout", "for idle-timeout", lambda r: r.get("socket") == "idle"
         and "idle" in r.get("detail", ""))
    find("timeout", "for partial-timeout", lambda r: r.get("socket") == "part"
         and "partial" in r.get("detail", ""))
    if a.as_root:
        find("refused", "for uid 4242 on the allow-uids socket",
             lambda r: r.get("socket") == "uids" and r.get("uid") == 4242)
    ok_reloads = [w for w, r in by.get("reload", []) if r.get("detail") == "configuration reloaded"]
    if len(ok_reloads) < 3:
        m.append(f"{len(ok_reloads)} successful reload records, expected 3 (SIGHUP, "
                 f"tpmproxyctl reload twice): {ok_reloads}")
    conf = os.path.basename(a.conf)
    find("reload", f"for the failed reload naming {conf}:LINE",
         lambda r: re.search(re.escape(conf) + r":\d+:", r.get("detail", "")))
    # What a client sent never shows: the secrets, in any of the files.
    with open(a.secrets) as f:
        secrets = [s for s in f.read().split() if s]
    secrets_absent(list(a.files) + list(a.log or []), secrets, m)
    if m:
        raise Failure(f"{len(m)} problems:\n  " + "\n  ".join(m))
    counts = ", ".join(f"{e} {len(by[e])}" for e in sorted(by))
    print(f"audit-check: {len(recs)} lines in {len(a.files)} files, chained; every line "
          f"strict JSON with the documented fields; {counts}; none of {len(secrets)} "
          "secrets (text, hex, base64) in the logs")


def sc_audit_fragment(a):
    """Line a.at is the fragment a killed writer left; the daemon ended it
    and chained an audit-error line to it."""
    lines = read_log(a.file)
    n = a.at
    if not n:
        raise Failure("--at LINE is required")
    if len(lines) < n + 2:
        raise Failure(f"{a.file}: {len(lines)} lines, expected the fragment at {n} and more")
    frag, err = lines[n - 1], lines[n]
    if frag != a.fragment.encode():
        raise Failure(f"line {n} is {frag[:80]!r}, expected the fragment {a.fragment!r} kept")
    m = []
    rec = check_record(f"line {n + 1}", err, m)
    if m:
        raise Failure("; ".join(m))
    if rec.get("event") != "audit-error" or "incomplete" not in rec.get("detail", ""):
        raise Failure(f"line {n + 1} is not an audit-error about the incomplete line: {rec}")
    if rec["prev"] != hashlib.sha256(frag).hexdigest():
        raise Failure(f"line {n + 1}: prev is not the SHA-256 of the fragment")
    nxt = strict_json(lines[n + 1].decode())
    if nxt.get("event") != "start":
        raise Failure(f"line {n + 2}: expected the restarted daemon's start record: {nxt}")
    print(f"audit-fragment: the fragment at line {n} was kept and ended; line {n + 1} is "
          f"audit-error ({rec['detail']}), chained to it; then start")


def sc_audit_lost(a):
    """Records dropped while the log could not be written: one audit-error
    line saying how many, the first line of the file written once it
    could, in the chain; with the flood's records written, they account
    for every command of the flood."""
    m = []
    recs = load_chain(a.files, m)
    if m:
        raise Failure("the chain over the files is broken:\n  " + "\n  ".join(m))
    lost = [(w, r) for w, r, _ in recs if r.get("event") == "audit-error"]
    if len(lost) != 1:
        raise Failure(f"{len(lost)} audit-error records, expected 1: {lost}")
    where, rec = lost[0]
    mt = re.fullmatch(r"(\d+) records lost: the log could not be written", rec.get("detail", ""))
    if not mt or int(mt.group(1)) == 0:
        raise Failure(f"{where}: audit-error detail {rec.get('detail')!r}")
    n = int(mt.group(1))
    if not where.endswith(":1"):
        raise Failure(f"the audit-error line is at {where}, not the first line written again")
    flood = sum(1 for _, r, _ in recs
                if r.get("event") == "command" and r.get("socket") == a.socket_name)
    extra = n - (a.count - flood)
    if not 0 <= extra <= 3:
        raise Failure(f"{flood} of the flood's {a.count} commands were logged and {n} records "
                      "lost: they do not add up (the rest should be the reload and connect)")
    with open(a.daemon_log, errors="replace") as f:
        text = f.read()
    if not re.search(rf"writing \S+ again \({n} records lost in all\)", text):
        raise Failure(f"the daemon log does not say 'writing ... again ({n} records lost in all)'")
    print(f"audit-lost: {n} records lost, said by one audit-error line at {where} (chained); "
          f"{flood} of {a.count} flood commands logged, the rest among the lost")


def sc_tamper(a):
    """Copies of a.src (the older file; a.next follows it) with one line
    edited, deleted or swapped; DIR/cases holds 'NAME|FILES|FILE:LINE'."""
    lines = read_log(a.src)
    n = len(lines)
    if n < 8:
        raise Failure(f"{a.src}: only {n} lines; need at least 8 to tamper in the middle")
    k = n // 2                        # 1-based line number in the middle
    src, nxt = os.path.basename(a.src), os.path.abspath(a.next)
    cases = []

    def write(name, new, expect_line, file_expected=None):
        path = os.path.join(a.out, name)
        with open(path, "wb") as f:
            f.write(b"".join(line + b"\n" for line in new))
        cases.append(f"{name}|{path} {nxt}|{file_expected or path}:{expect_line}")

    def edit(line, old, new):
        if old not in line:
            raise Failure(f"{src}: line has no {old!r} to edit: {line[:100]!r}")
        return line.replace(old, new, 1)

    # An edited value (still valid JSON, prev intact): breaks at the next line.
    t = list(lines)
    t[k - 1] = edit(t[k - 1], b'"time":"2', b'"time":"1')
    write("edited-value", t, k + 1)
    # An edited prev: breaks at that line.
    t = list(lines)
    h = t[k - 1][9:10]
    t[k - 1] = t[k - 1][:9] + (b"0" if h != b"0" else b"1") + t[k - 1][10:]
    write("edited-prev", t, k)
    # A line that is no longer JSON: breaks at that line.
    t = list(lines)
    t[k - 1] = t[k - 1][:-1]
    write("edited-not-json", t, k)
    # A deleted line: breaks at the line that took its place.
    t = lines[:k - 1] + lines[k:]
    write("deleted", t, k)
    # Two lines swapped: breaks at the first of them.
    t = list(lines)
    t[k - 1], t[k] = t[k], t[k - 1]
    write("swapped", t, k)
    # The last line of the older file edited: shows at line 1 of the next.
    t = list(lines)
    t[-1] = edit(t[-1], b'"time":"2', b'"time":"1')
    write("edited-last-of-rotated", t, 1, nxt)
    with open(os.path.join(a.out, "cases"), "w") as f:
        f.write("\n".join(cases) + "\n")
    print(f"tamper: {len(cases)} tampered copies of {src} ({n} lines, line {k} and after)")


# ---- tpmproxyctl output --------------------------------------------------------------

def table_rows(text, what, m):
    """A header and its rows (up to a blank line): every row has the
    header's number of fields and each column lines up with its header,
    by its left edge (text) or its right edge (numbers) in every row."""
    lines = text.split("\n")
    header = lines[0]
    rows = []
    for line in lines[1:]:
        if not line.strip():
            break
        rows.append(line)
    cols = [(mt.start(), mt.end(), mt.group()) for mt in re.finditer(r"\S+", header)]
    parsed = []
    for r in rows:
        fields = list(re.finditer(r"\S+", r))
        if len(fields) != len(cols):
            m.append(f"{what}: row has {len(fields)} fields, the header {len(cols)}: {r!r}")
            continue
        parsed.append(fields)
    for i, (hs, he, name) in enumerate(cols):
        if not parsed:
            break
        left = all(f[i].start() == hs for f in parsed)
        right = all(f[i].end() == he for f in parsed)
        if not (left or right):
            # The rows that line up with neither edge of the header.
            bad = [fs for fs in parsed if fs[i].start() != hs and fs[i].end() != he]
            bad = bad or [fs for fs in parsed if fs[i].start() != hs]
            shown = ", ".join(f"{fs[0].group()}: {fs[i].group()!r} at {fs[i].start()}-"
                              f"{fs[i].end()}" for fs in bad[:3])
            m.append(f"{what}: column {name} (header at {hs}-{he}) not aligned in "
                     f"{len(bad)} of {len(parsed)} rows ({shown})")
    return header, [[f.group() for f in fs] for fs in parsed], [c[2] for c in cols]


def sc_table(a):
    with open(a.file) as f:
        text = f.read()
    m = []
    if not text.endswith("\n"):
        m.append(f"{a.kind}: output does not end in a newline")
    if a.kind == "status":
        starts = set()
        keys = []
        for line in text.splitlines():
            mt = re.match(r"^(\S+(?: \S+)*)( {2,})(\S.*)$", line)
            if not mt:
                m.append(f"status: line is not 'key   value': {line!r}")
                continue
            keys.append(mt.group(1))
            starts.add(mt.start(3))
        if len(starts) > 1:
            m.append(f"status: values start at different columns {sorted(starts)}")
        for k in ("version", "backend", "tpm", "uptime", "connections", "objects loaded",
                  "sessions loaded", "tpm commands"):
            if k not in keys:
                m.append(f"status: no '{k}' line")
        summary = f"{len(keys)} aligned key/value lines"
    else:
        header, rows, cols = table_rows(text, a.kind, m)
        want = {"clients": ["ID", "SOCKET", "POD", "UID", "GID", "PID", "OBJECTS", "SESSIONS",
                            "COMMANDS"],
                "stats": ["SOCKET", "COMMANDS", "DENIED", "QUOTA"],
                "sockets": ["SOCKET", "PROFILE", "MODE", "PATH"]}[a.kind]
        lacking = [c for c in want if c not in cols]
        if lacking:
            m.append(f"{a.kind}: header {header!r} lacks {lacking}")
        if len(rows) < a.min_rows:
            m.append(f"{a.kind}: {len(rows)} rows, expected at least {a.min_rows}")
        for spec in a.expect_row or []:
            # COLUMN=VALUE,COLUMN=VALUE: some row has all of them.
            conds = [c.split("=", 1) for c in spec.split(",")]
            if not any(all(c in cols and r[cols.index(c)] == v for c, v in conds)
                       for r in rows):
                m.append(f"{a.kind}: no row with {spec}")
        summary = f"header and {len(rows)} rows, {len(cols)} aligned columns"
    if m:
        raise Failure(f"{a.kind} table:\n  " + "\n  ".join(m))
    print(f"table {a.kind}: {summary}")


def get_path(obj, path):
    """a.b[KEY=VALUE].c: dicts by key, lists by the element whose KEY is VALUE."""
    for part in re.findall(r"[^.\[\]]+|\[[^\]]*\]", path):
        if part.startswith("["):
            k, v = part[1:-1].split("=", 1)
            hits = [e for e in obj if isinstance(e, dict) and str(e.get(k)) == v]
            if len(hits) != 1:
                raise KeyError(f"{len(hits)} elements with {k}={v}")
            obj = hits[0]
        else:
            obj = obj[part]
    return obj


def sc_json(a):
    with open(a.file) as f:
        text = f.read()
    try:
        doc = strict_json(text)
    except ValueError as e:
        raise Failure(f"{a.kind} --json: not JSON ({e}): {text[:200]!r}")
    if text.count("\n") != 1 or not text.endswith("\n"):
        raise Failure(f"{a.kind} --json: not one JSON document on one line: {text[:200]!r}")
    shape = {"status": dict, "clients": list, "stats": dict, "sockets": list, "reload": dict}
    if not isinstance(doc, shape[a.kind]):
        raise Failure(f"{a.kind} --json: a {type(doc).__name__}, expected a "
                      f"{shape[a.kind].__name__}")
    m = []
    for spec in a.expect or []:
        path, op, want = re.match(r"^((?:[^\[=<>]|\[[^\]]*\])*)(>=|<=|=)(.*)$",
                                  spec).groups()
        try:
            got = get_path(doc, path)
        except (KeyError, IndexError, TypeError) as e:
            m.append(f"{path}: not found ({e})")
            continue
        if op == "=":
            ok = str(got).lower() == want.lower() if isinstance(got, bool) else str(got) == want
        else:
            ok = isinstance(got, (int, float)) and (got >= float(want) if op == ">=" else
                                                    got <= float(want))
        if not ok:
            m.append(f"{path} is {got!r}, expected {op} {want}")
    if m:
        raise Failure(f"{a.kind} --json:\n  " + "\n  ".join(m))
    if a.get:
        try:
            print(get_path(doc, a.get))
        except (KeyError, IndexError, TypeError) as e:
            if a.default is None:
                raise Failure(f"{a.kind} --json: no {a.get} ({e})")
            print(a.default)
    else:
        print(f"json {a.kind}: valid; {len(a.expect or [])} expectations hold")


# ---- Prometheus text exposition format 0.0.4 ------------------------------------------

NAME_RE = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL_RE = r"[a-zA-Z_][a-zA-Z0-9_]*"
FLOAT_RE = re.compile(r"^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)$")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


def prom_float(s):
    if not FLOAT_RE.match(s):
        raise ValueError(f"{s!r} is not a float")
    return float(s.replace("Inf", "inf").replace("NaN", "nan"))


def parse_labels(s, where):
    """'{a="x",b="y"}' at the start of s: (dict, rest)."""
    assert s[0] == "{"
    i, labels = 1, {}
    while True:
        while i < len(s) and s[i] in " \t":
            i += 1
        if i < len(s) and s[i] == "}":
            return labels, s[i + 1:]
        mt = re.compile(LABEL_RE).match(s, i)
        if not mt:
            raise ValueError(f"{where}: bad label name at {s[i:i + 20]!r}")
        name = mt.group()
        if name.startswith("__"):
            raise ValueError(f"{where}: reserved label name {name}")
        if name in labels:
            raise ValueError(f"{where}: label {name} twice")
        i = mt.end()
        if s[i:i + 2] != '="':
            raise ValueError(f"{where}: label {name} not followed by =\"")
        i += 2
        val = []
        while True:
            if i >= len(s):
                raise ValueError(f"{where}: unterminated value of label {name}")
            ch = s[i]
            if ch == "\\":
                esc = s[i + 1:i + 2]
                if esc not in ("\\", '"', "n"):
                    raise ValueError(f"{where}: bad escape \\{esc} in label {name}")
                val.append("\n" if esc == "n" else esc)
                i += 2
            elif ch == '"':
                i += 1
                break
            elif ch == "\n":
                raise ValueError(f"{where}: newline in label {name}")
            else:
                val.append(ch)
                i += 1
        labels[name] = "".join(val)
        if i < len(s) and s[i] == ",":
            i += 1
        elif i < len(s) and s[i] == "}":
            continue
        else:
            raise ValueError(f"{where}: expected , or }} after label {name}")


def prom_parse(text):
    """Strict parse: (families {name: type}, samples [(name, labels, value, family)]);
    ValueError at the first violation."""
    if not text.endswith("\n"):
        raise ValueError("the exposition does not end in a newline")
    types, helps, samples = {}, {}, []
    seen_families, current = set(), None
    series = set()

    def family_of(name):
        if name in types:
            return name
        for suffix, kinds in (("_bucket", ("histogram",)), ("_sum", ("histogram", "summary")),
                              ("_count", ("histogram", "summary"))):
            base = name[:-len(suffix)]
            if name.endswith(suffix) and types.get(base) in kinds:
                return base
        return None

    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = f"line {n}"
        if line == "":
            continue
        if line.startswith("#"):
            mt = re.match(r"^# (HELP|TYPE) (\S+)(?: (.*))?$", line)
            if not mt:
                if re.match(r"^#\s*(HELP|TYPE)\b", line):
                    raise ValueError(f"{where}: malformed {line!r}")
                continue              # a comment
            kind, name, rest = mt.group(1), mt.group(2), mt.group(3) or ""
            if not re.fullmatch(NAME_RE, name):
                raise ValueError(f"{where}: bad metric name {name!r}")
            if name in seen_families:
                raise ValueError(f"{where}: {kind} for {name} after its samples")
            if kind == "HELP":
                if name in helps:
                    raise ValueError(f"{where}: second HELP for {name}")
                if re.search(r"\\[^\\n]", rest) or rest.endswith("\\"):
                    raise ValueError(f"{where}: bad escape in HELP of {name}")
                helps[name] = rest
            else:
                if name in types:
                    raise ValueError(f"{where}: second TYPE for {name}")
                if rest not in TYPES:
                    raise ValueError(f"{where}: unknown type {rest!r} for {name}")
                types[name] = rest
            continue
        mt = re.match(r"^(" + NAME_RE + r")", line)
        if not mt:
            raise ValueError(f"{where}: not a sample: {line!r}")
        name, rest = mt.group(1), line[mt.end():]
        labels = {}
        if rest.startswith("{"):
            labels, rest = parse_labels(rest, where)
        parts = rest.split()
        if not rest[:1] in (" ", "\t") or len(parts) not in (1, 2):
            raise ValueError(f"{where}: expected ' VALUE [TIMESTAMP]' after {name}: {line!r}")
        value = prom_float(parts[0])
        if len(parts) == 2 and not re.fullmatch(r"-?\d+", parts[1]):
            raise ValueError(f"{where}: bad timestamp {parts[1]!r}")
        fam = family_of(name)
        if fam is None:
            raise ValueError(f"{where}: sample {name} of no family declared by TYPE")
        if fam != current:
            if fam in seen_families:
                raise ValueError(f"{where}: samples of {fam} are not one group")
            seen_families.add(fam)
            current = fam
        key = (name, tuple(sorted(labels.items())))
        if key in series:
            raise ValueError(f"{where}: {name}{labels} twice")
        series.add(key)
        t = types[fam]
        if "le" in labels and not (t == "histogram" and name == fam + "_bucket"):
            raise ValueError(f"{where}: label le outside a histogram's buckets")
        if t == "counter" and not (value >= 0):
            raise ValueError(f"{where}: counter {name} is {parts[0]}")
        samples.append((name, labels, value, fam, where))
    return types, helps, samples


def prom_histograms(types, samples):
    """Buckets cumulative, ending in +Inf equal to _count; _sum present."""
    for fam, t in types.items():
        if t != "histogram":
            continue
        groups = {}
        for name, labels, value, f, where in samples:
            if f != fam:
                continue
            rest = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
            g = groups.setdefault(rest, {"buckets": [], "sum": None, "count": None})
            if name == fam + "_bucket":
                if "le" not in labels:
                    raise ValueError(f"{where}: bucket without le")
                g["buckets"].append((prom_float(labels["le"]), value, labels["le"], where))
            elif name == fam + "_sum":
                g["sum"] = value
            elif name == fam + "_count":
                g["count"] = value
            else:
                raise ValueError(f"{where}: {name} in histogram {fam}")
        for rest, g in groups.items():
            what = f"{fam}{dict(rest)}"
            b = g["buckets"]
            if not b:
                raise ValueError(f"{what}: no buckets")
            les = [x[0] for x in b]
            if les != sorted(les) or len(set(les)) != len(les):
                raise ValueError(f"{what}: le bounds not strictly increasing: "
                                 f"{[x[2] for x in b]}")
            if not math.isinf(les[-1]) or b[-1][2] != "+Inf":
                raise ValueError(f"{what}: the last bucket is le={b[-1][2]!r}, not +Inf")
            for (_, c1, l1, _), (_, c2, l2, w2) in zip(b, b[1:]):
                if c2 < c1:
                    raise ValueError(f"{w2}: {what}: bucket le={l2} ({c2}) below le={l1} "
                                     f"({c1}): not cumulative")
            if g["count"] is None or g["sum"] is None:
                raise ValueError(f"{what}: _sum or _count missing")
            if g["count"] != b[-1][1]:
                raise ValueError(f"{what}: _count {g['count']} != +Inf bucket {b[-1][1]}")
            if g["sum"] < 0:
                raise ValueError(f"{what}: negative _sum of durations")
    return True


def sc_promcheck(a):
    with open(a.file, encoding="utf-8") as f:
        text = f.read()
    try:
        types, helps, samples = prom_parse(text)
        prom_histograms(types, samples)
    except ValueError as e:
        raise Failure(f"{a.file}: {e}")
    undocumented = sorted(set(types) - set(helps))
    if undocumented:
        raise Failure(f"{a.file}: families without HELP: {undocumented}")
    for want in a.family or []:
        name, _, t = want.partition(":")
        if types.get(name) != t:
            raise Failure(f"{a.file}: family {name} is {types.get(name)!r}, expected {t}")
    print(f"promcheck: {len(types)} families, {len(samples)} samples; valid text format "
          "0.0.4, histograms cumulative")


PROM_GOOD = [
    "# HELP a_total A counter.\n# TYPE a_total counter\na_total{x=\"1\",y=\"q\\\"\\\\\\n\"} 3\n",
    "# TYPE g gauge\ng NaN\ng{a=\"b\",} -1.5e-3 1700000000000\n# just a comment\n",
    "# TYPE h histogram\nh_bucket{le=\"0.1\"} 1\nh_bucket{le=\"1e+00\"} 2\n"
    "h_bucket{le=\"+Inf\"} 3\nh_sum 1.5\nh_count 3\n",
]
PROM_BAD = {
    "no TYPE": "a 1\n",
    "bad name": "# TYPE 1a gauge\n1a 1\n",
    "bad label name": "# TYPE a gauge\na{b-c=\"1\"} 1\n",
    "bad escape": "# TYPE a gauge\na{b=\"\\x\"} 1\n",
    "bad value": "# TYPE a gauge\na one\n",
    "no newline at the end": "# TYPE a gauge\na 1",
    "two groups": "# TYPE a gauge\n# TYPE b gauge\na{x=\"1\"} 1\nb 1\na{x=\"2\"} 1\n",
    "TYPE after samples": "a_total 1\n# TYPE a_total counter\n",
    "duplicate series": "# TYPE a gauge\na{x=\"1\"} 1\na{x=\"1\"} 2\n",
    "second TYPE": "# TYPE a gauge\n# TYPE a gauge\na 1\n",
    "unknown type": "# TYPE a meter\na 1\n",
    "negative counter": "# TYPE a counter\na -1\n",
    "le outside buckets": "# TYPE a gauge\na{le=\"1\"} 1\n",
    "not cumulative": "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
                      "h_sum 1\nh_count 1\n",
    "no +Inf": "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
    "+Inf != count": "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
    "no _count": "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\n",
    "le not increasing": "# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\n"
                         "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
    "junk after value": "# TYPE a gauge\na 1 2 3\n",
    "no space before value": "# TYPE a gauge\na{x=\"1\"}1\n",
}


def sc_promcheck_selftest(_a):
    """The checker accepts valid expositions and rejects each violation."""
    m = []
    for text in PROM_GOOD:
        try:
            types, _, samples = prom_parse(text)
            prom_histograms(types, samples)
        except ValueError as e:
            m.append(f"rejected a valid exposition ({e}): {text!r}")
    for what, text in PROM_BAD.items():
        try:
            types, _, samples = prom_parse(text)
            prom_histograms(types, samples)
            m.append(f"accepted an exposition with {what}: {text!r}")
        except ValueError:
            pass
    if m:
        raise Failure("\n  ".join(m))
    print(f"promcheck-selftest: {len(PROM_GOOD)} valid expositions accepted, "
          f"{len(PROM_BAD)} violations rejected")


def sc_promget(a):
    with open(a.file, encoding="utf-8") as f:
        _, _, samples = prom_parse(f.read())
    mt = re.match(r"^(" + NAME_RE + r")(.*)$", a.series)
    name, rest = mt.group(1), mt.group(2)
    labels = parse_labels(rest, "query")[0] if rest else {}
    hits = [v for n, lb, v, _, _ in samples if n == name and lb == labels]
    if len(hits) != 1:
        raise Failure(f"{a.file}: {len(hits)} samples of {a.series}")
    v = hits[0]
    print(int(v) if v == int(v) else v)


# ---- main -----------------------------------------------------------------------------

COMMANDS = {
    "events": sc_events, "drop-socket": sc_drop_socket, "getrandom": sc_getrandom,
    "denied": sc_denied, "key-sign": sc_key_sign, "raw-hold": sc_raw_hold,
    "pytss-work": sc_pytss_work, "pytss-hold": sc_pytss_hold,
    "audit-check": sc_audit_check, "audit-fragment": sc_audit_fragment,
    "audit-lost": sc_audit_lost, "tamper": sc_tamper,
    "table": sc_table, "json": sc_json, "promcheck": sc_promcheck, "promget": sc_promget,
    "promcheck-selftest": sc_promcheck_selftest,
}


def main(argv):
    ap = argparse.ArgumentParser(usage=__doc__, allow_abbrev=False)
    ap.add_argument("command", choices=sorted(COMMANDS))
    ap.add_argument("file", nargs="?")
    ap.add_argument("series", nargs="?")
    ap.add_argument("--dir")
    ap.add_argument("--as-root", action="store_true")
    ap.add_argument("--sock")
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--pipeline", type=int, default=1)
    ap.add_argument("--tap-log")
    ap.add_argument("--expect-rc", type=lambda s: int(s, 0), default=0)
    ap.add_argument("--ready")
    ap.add_argument("--go")
    ap.add_argument("--tcti", default=os.environ.get("CLIENT_TCTI"))
    ap.add_argument("--secret-pw")
    ap.add_argument("--secret-data")
    ap.add_argument("--files", nargs="+")
    ap.add_argument("--log", nargs="*")
    ap.add_argument("--secrets")
    ap.add_argument("--conf")
    ap.add_argument("--new")
    ap.add_argument("--ctl")
    ap.add_argument("--ctl-bin")
    ap.add_argument("--at", type=int)
    ap.add_argument("--daemon-log")
    ap.add_argument("--socket-name")
    ap.add_argument("--fragment")
    ap.add_argument("--src")
    ap.add_argument("--next")
    ap.add_argument("--out")
    ap.add_argument("--kind")
    ap.add_argument("--min-rows", type=int, default=1)
    ap.add_argument("--expect-row", action="append")
    ap.add_argument("--expect", action="append")
    ap.add_argument("--get")
    ap.add_argument("--default")
    ap.add_argument("--family", action="append")
    a = ap.parse_intermixed_args(argv[1:])
    try:
        COMMANDS[a.command](a)
    except Failure as e:
        print(f"opslib: {a.command}: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"opslib: {a.command}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - pytss errors and the like, with their type
        print(f"opslib: {a.command}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

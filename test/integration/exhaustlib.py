#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# Client-fault tests (fault-slow-clients.sh, fault-exhaustion.sh): slow clients, connection storms and descriptor exhaustion against tpmproxyd; stdlib only.
"""Usage: exhaustlib.py SCENARIO --dir T --log FILE [--ctl SOCKET]
                      [--tpmproxyctl PATH] [--audit FILE] [--daemon-pid PID]
                      [--proc-root DIR] [--count N] [--max N]

Scenarios talk raw TPM 2.0 bytes (rmlib.py's Conn, pollib.py's helpers) to
a tpmproxyd started from a configuration file (pollib.sh): the socket named
NAME is T/NAME.sock. Each prints details and then one summary line and
exits 0; on failure it prints 'exhaustlib: SCENARIO: what failed' on stderr
and exits 1. Waits are bounded by TPMPROXY_TEST_WAIT (hang detection);
what is asserted is counted, never timed.

  slow     a client that pipelines commands and never reads (noread.sock)
           and one that sends a command a byte a second (trickle.sock),
           while a normal client works on busy.sock
  storm    --count N connections at once on storm.sock (max-connections
           --max), a normal client on steady.sock throughout
  emfile   a daemon short of descriptors: --count N connections on fd.sock
           from a pod (--proc-root), more than it can accept
"""

import sys

sys.dont_write_bytecode = True

import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import select  # noqa: E402
import selectors  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pollib import (  # noqa: E402
    CAP_TPM_PROPERTIES, CC, POD_UIDS, PT_FIXED, RC_RETRY, WAIT, Failure, enter_pod,
    get_random, log_since, log_size, must, rcstr, scenario_main, sock, u16, u32, wait_for)
from rmlib import Conn  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
RSS_STORM_KIB = 64 * 1024  # what one storm may add to the daemon (ASan included)
PAUSE_LINE = r'socket "fd": clients hold every file descriptor below \d+'
PLATEAU_S = 2.5    # longer than the daemon's 1 s accept pause: no answer, none coming
SATURATED_S = 3    # how long the CPU use of a saturated daemon is measured
STEADY_K = 20      # commands of the normal client at each point of a storm
# A loop that waited on a slow client would let busy complete none while
# both are stuck (about 2 s, a GetRandom taking well under 1 ms): 10 leaves
# room for a loaded machine.
MIN_BUSY = 10


# ---- the daemon from outside: tpmproxyctl, its log, its audit log, /proc --------------------

def ctl_json(args, what):
    p = subprocess.run([args.tpmproxyctl, "-c", args.ctl, what, "--json"],
                       capture_output=True, text=True, timeout=WAIT)
    if p.returncode != 0:
        raise Failure(f"tpmproxyctl {what} --json exited {p.returncode}: {p.stderr.strip()}")
    return json.loads(p.stdout)


def clients_on(args, name):
    """tpmproxyctl clients: the connections of socket name."""
    return [c for c in ctl_json(args, "clients") if c["socket"] == name]


def one_client(args, name):
    got = clients_on(args, name)
    if len(got) != 1:
        raise Failure(f"tpmproxyctl clients lists {len(got)} connections on {name}, expected 1")
    return got[0]


def stats_of(args, name):
    for row in ctl_json(args, "stats")["sockets"]:
        if row["socket"] == name:
            return row
    raise Failure(f"tpmproxyctl stats has no socket {name}")


def log_lines(args, pattern, since=0):
    """Lines of the daemon log from byte offset since matching pattern."""
    rx = re.compile(pattern)
    return [line for line in log_since(args, since).splitlines() if rx.search(line)]


def audit_records(args, conn):
    """The audit records of daemon connection id conn (the log is written
    in batches: callers wait for the one they need)."""
    out = []
    try:
        with open(args.audit) as f:
            for line in f:
                r = json.loads(line)
                if r.get("conn") == conn:
                    out.append(r)
    except FileNotFoundError:
        pass
    return out


def cpu_ticks(pid):
    """utime + stime of a process, in clock ticks (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise Failure(f"no VmRSS in /proc/{pid}/status")


def open_fds(args):
    """The daemon's open descriptors, as it counts them (tpmproxyctl
    status): it runs as tss, not dumpable, so /proc/PID/fd is closed to
    root without CAP_SYS_PTRACE. Includes tpmproxyctl's own connection."""
    return ctl_json(args, "status")["open_fds"]


def nofile_soft(args):
    return ctl_json(args, "status")["max_fds"]


def raise_nofile(want):
    """This process opens many sockets: lift its own descriptor limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return
    if hard != resource.RLIM_INFINITY and hard < want and os.geteuid() == 0:
        hard = want
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard) if hard !=
                                                resource.RLIM_INFINITY else want, hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < want:
        raise Failure(f"cannot raise RLIMIT_NOFILE to {want}")


# ---- raw commands and connection states ---------------------------------------------------

def getrandom_cmd(n=8):
    return struct.pack(">HII", 0x8001, 12, CC["GetRandom"]) + u16(n)


def getcap_cmd():
    """GetCapability(TPM_PROPERTIES, PT_FIXED, 256): 22 bytes in, several
    hundred out."""
    return (struct.pack(">HII", 0x8001, 22, CC["GetCapability"]) + u32(CAP_TPM_PROPERTIES)
            + u32(PT_FIXED) + u32(256))


def conn_of(s, name):
    """rmlib's Conn around a socket already connected."""
    c = Conn.__new__(Conn)
    c.name, c.sock, c.names, c.rbuf = name, s, {}, b""
    return c


def hung_up(s, timeout):
    """True once the peer closed s, without reading what it sent."""
    p = select.poll()
    p.register(s, select.POLLRDHUP)
    return any(ev & (select.POLLRDHUP | select.POLLHUP | select.POLLERR)
               for _, ev in p.poll(timeout * 1000))


def read_to_eof(s):
    """Everything still readable on s, up to its end (bounded)."""
    s.setblocking(True)
    s.settimeout(WAIT)
    got = b""
    try:
        while True:
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            got += chunk
    except ConnectionResetError:
        pass
    except socket.timeout:
        raise Failure(f"no end of stream within {WAIT:.0f}s ({len(got)} bytes read)")
    return got


def split_responses(data):
    """Whole responses in data: [(rc, size)], and the bytes left over."""
    out, off = [], 0
    while len(data) - off >= 10:
        _tag, size, rc = struct.unpack(">HII", data[off:off + 10])
        if size < 10 or len(data) - off < size:
            break
        out.append((rc, size))
        off += size
    return out, len(data) - off


# ---- scenario: slow clients ---------------------------------------------------------------

class Busy(threading.Thread):
    """A normal client: GetRandom after GetRandom, each completion's time
    noted, until stopped."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.conn = Conn(path, "busy")
        self.done, self.error = [], None
        self.halt = threading.Event()

    def run(self):
        try:
            while not self.halt.is_set():
                must(get_random(self.conn), f"busy: GetRandom {len(self.done) + 1}")
                self.done.append(time.monotonic())
        except Failure as e:
            self.error = e

    def between(self, t0, t1):
        return sum(1 for t in self.done if t0 <= t <= t1)

    def stop(self):
        self.halt.set()
        self.join(WAIT)
        if self.error:
            raise self.error
        must(get_random(self.conn), "busy: GetRandom at the end")
        self.conn.close()


class NonReader:
    """Pipelines GetCapability as fast as the daemon takes it and never
    reads a response."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.sock.setblocking(False)
        self.cmd = getcap_cmd()
        self.sent = 0          # bytes
        self.t_stuck = None

    def commands_sent(self):
        return self.sent // len(self.cmd)

    def fill(self, args, quiet=0.4):
        """Send whatever the daemon takes until its count of commands
        answered (tpmproxyctl clients) stays the same over two looks
        `quiet` seconds apart; Failure if it still grows after WAIT.
        Returns that count."""
        batch, pending = self.cmd * 64, b""
        deadline = time.monotonic() + WAIT
        seen = []
        while True:
            try:
                while True:
                    pending = pending or batch
                    n = self.sock.send(pending)
                    self.sent += n
                    pending = pending[n:]
            except BlockingIOError:
                pass
            except (BrokenPipeError, ConnectionResetError) as e:
                raise Failure(f"noread: closed while the daemon still took its commands "
                              f"({self.commands_sent()} sent): {e}")
            answered = one_client(args, "noread")["commands"]
            seen = (seen + [answered])[-3:]
            if len(seen) == 3 and len(set(seen)) == 1:
                self.t_stuck = time.monotonic()
                return answered
            if time.monotonic() > deadline:
                raise Failure(f"noread: the daemon kept answering a client that never reads: "
                              f"{self.commands_sent()} commands sent, {answered} answered in "
                              f"{WAIT:.0f}s (tpmproxyctl clients); it buffers every response")
            time.sleep(quiet)


def trickle(path, out):
    """A GetRandom a byte a second; out gets the bytes sent, the time of
    the first and of the close (or a Failure)."""
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        cmd = getrandom_cmd()
        for i, b in enumerate(cmd):
            try:
                s.send(bytes([b]))
            except (BrokenPipeError, ConnectionResetError):
                break
            out["bytes"] = i + 1
            out.setdefault("t_first", time.monotonic())
            if hung_up(s, 1.0):
                break
        else:
            out["error"] = Failure(f"trickle: all {len(cmd)} bytes sent a byte a second and "
                                   "the connection still open")
            return
        out["t_closed"] = time.monotonic()
        out["after_close"] = read_to_eof(s)
        s.close()
    except (Failure, OSError) as e:
        out["error"] = e


def sc_slow(args):
    busy = Busy(sock(args, "busy"))
    busy.start()
    wait_for("busy: a first GetRandom", lambda: busy.done)
    tr = {}
    tr_thread = threading.Thread(target=trickle, args=(sock(args, "trickle"), tr), daemon=True)
    tr_thread.start()
    wait_for("trickle: its first byte", lambda: "t_first" in tr or "error" in tr)
    nr = NonReader(sock(args, "noread"))
    t_nr0 = time.monotonic()
    answered = nr.fill(args)
    # Both are stuck now: the daemon holds them, answers nothing more to
    # the non-reader, and keeps serving busy.
    nrc, trc = one_client(args, "noread"), one_client(args, "trickle")
    if nrc["commands"] != answered:
        raise Failure(f"noread: the daemon answered more after it stopped taking commands: "
                      f"{answered} then {nrc['commands']} (tpmproxyctl clients)")
    if trc["commands"] != 0:
        raise Failure(f"trickle: {trc['commands']} commands answered, expected 0")
    if not hung_up(nr.sock, WAIT):
        raise Failure(f"noread: still open {WAIT:.0f}s after the daemon stopped reading it")
    t_nr_closed = time.monotonic()
    tr_thread.join(WAIT + 15)
    if tr_thread.is_alive():
        raise Failure("trickle: did not finish")
    if "error" in tr:
        raise tr["error"]
    window = (max(nr.t_stuck, tr["t_first"]), min(t_nr_closed, tr["t_closed"]))
    served = busy.between(*window)
    busy.stop()

    # What the non-reader was sent: every answer the daemon counted is in
    # its socket but at most one (the daemon held no more than that).
    data = read_to_eof(nr.sock)
    nr.sock.close()
    rsps, partial = split_responses(data)
    bad = [rc for rc, _ in rsps if rc != 0]
    if bad:
        raise Failure(f"noread: {len(bad)} responses failed, first {rcstr(bad[0])}")
    if not rsps:
        raise Failure("noread: not one response reached its socket")
    if answered > len(rsps) + 1:
        raise Failure(f"noread: the daemon answered {answered} commands but only {len(rsps)} "
                      "responses reached the socket: it buffered more than one")
    if answered >= nr.commands_sent():
        raise Failure(f"noread: {answered} answered of {nr.commands_sent()} sent: the daemon "
                      "did not stop reading")
    if tr.get("after_close"):
        raise Failure(f"trickle: {len(tr['after_close'])} bytes of answer to a half-sent command")
    if served < MIN_BUSY:
        raise Failure(f"busy: {served} commands while both slow clients were stuck, "
                      f"expected at least {MIN_BUSY}")

    # Why they were closed: the daemon log, the audit log, tpmproxyctl.
    nid, tid = nrc["id"], trc["id"]
    why = {}
    for cid, name in ((nid, "noread"), (tid, "trickle")):
        closing = rf"closing id={cid} socket={name} "
        wait_for(f"{name}: a 'closing id={cid}' line in the daemon log",
                 lambda: log_lines(args, closing))
        lines = log_lines(args, closing)
        why[name] = lines[0].split(": ", 2)[-1]
        disc = log_lines(args, rf"disconnect id={cid} socket={name} ")
        if len(disc) != 1:
            raise Failure(f"{name}: {len(disc)} disconnect lines for id={cid}")
        if name == "noread" and f"commands={answered} " not in disc[0] + " ":
            raise Failure(f"noread: disconnect line says {disc[0]!r}, expected "
                          f"commands={answered}")
    if "response not read" not in why["noread"]:
        raise Failure(f"noread: closed for '{why['noread']}', expected a response not read "
                      "(partial-timeout)")
    if "partial-read timeout" not in why["trickle"]:
        raise Failure(f"trickle: closed for '{why['trickle']}', expected the partial-read "
                      "timeout")
    for cid, name in ((nid, "noread"), (tid, "trickle")):
        # The disconnect record is written after the timeout record.
        wait_for(f"{name}: a disconnect record for conn {cid} in the audit log",
                 lambda: any(r["event"] == "disconnect" for r in audit_records(args, cid)))
        rec = [r for r in audit_records(args, cid) if r["event"] == "timeout"]
        disc = [r for r in audit_records(args, cid) if r["event"] == "disconnect"]
        if len(rec) != 1 or rec[0].get("detail") != why[name] or \
                disc[0].get("detail") != why[name]:
            raise Failure(f"{name}: audit records {rec + disc}, expected one timeout and "
                          f"the disconnect, detail '{why[name]}'")
    left = [c for c in ctl_json(args, "clients") if c["socket"] in ("noread", "trickle")]
    if left:
        raise Failure(f"tpmproxyctl clients still lists {left}")
    print(f"noread: {nr.commands_sent()} GetCapability sent, {answered} answered, "
          f"{len(rsps)} responses ({rsps[0][1]} bytes each) and {partial} bytes in its socket; "
          f"connected to stuck {nr.t_stuck - t_nr0:.2f}s, stuck to closed "
          f"{t_nr_closed - nr.t_stuck:.2f}s: {why['noread']}")
    print(f"trickle: {tr['bytes']} of 12 bytes sent a byte a second, closed "
          f"{tr['t_closed'] - tr['t_first']:.2f}s after the first: {why['trickle']}")
    print(f"busy: {served} GetRandom completed while both were stuck "
          f"({window[1] - window[0]:.2f}s), {len(busy.done)} in all")
    print(f"slow: a client that never reads is held to one buffered response and closed "
          f"({why['noread']}), one sending a byte a second is closed ({why['trickle']}); "
          f"a normal client completed {served} commands meanwhile")


# ---- scenario: a storm of connections over max-connections ---------------------------------

def connect_blocking(path):
    """A connection; connect() waits while the listen backlog is full."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
    except OSError:
        s.close()
        raise
    return s


def collect(socks, want_eof, timeout=WAIT, quiet=None):
    """Read the answer to one command on each of socks (a dict index ->
    socket): returns index -> (rc, eof) once every one answered (and, for
    the refused, hung up when want_eof), or, with quiet, once nothing new
    arrived for quiet seconds."""
    sel = selectors.DefaultSelector()
    bufs, done = {}, {}
    for i, s in socks.items():
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
    deadline = time.monotonic() + timeout
    last_new = time.monotonic()
    try:
        while len(done) < len(socks):
            now = time.monotonic()
            if quiet is not None and now - last_new >= quiet:
                break
            if now > deadline:
                raise Failure(f"{len(socks) - len(done)} of {len(socks)} connections neither "
                              f"answered nor closed within {timeout:.0f}s")
            for key, _ in sel.select(0.1):
                i, s = key.data, key.fileobj
                try:
                    chunk = s.recv(4096)
                except ConnectionResetError:
                    chunk = b""
                buf = bufs.setdefault(i, b"")
                if chunk:
                    bufs[i] = buf + chunk
                    if len(bufs[i]) >= 10 and (not want_eof or
                                               struct.unpack(">I", bufs[i][6:10])[0] == 0):
                        done[i] = (struct.unpack(">I", bufs[i][6:10])[0], False)
                        sel.unregister(s)
                        last_new = time.monotonic()
                    continue
                rc = struct.unpack(">I", buf[6:10])[0] if len(buf) >= 10 else None
                done[i] = (rc, True)
                sel.unregister(s)
                last_new = time.monotonic()
    finally:
        sel.close()
    for s in socks.values():
        s.setblocking(True)
        s.settimeout(WAIT)
    return done


def steady_run(c, k, what):
    for j in range(k):
        must(get_random(c), f"steady: GetRandom {j + 1} of {k} {what}")
    return k


def storm_round(args, n, limit, label, steady):
    """n connections at once on storm.sock, then a GetRandom on each: the
    first limit are served, the others answered 0x000b0922 and closed.
    steady (a connection on steady.sock) works all along. Returns the
    counts served, refused and of steady's commands meanwhile."""
    path = sock(args, "storm")
    socks = {}
    k = 0
    try:
        for i in range(n):
            socks[i] = connect_blocking(path)
        k += steady_run(steady, STEADY_K, f"with {n} storm connections open")
        for s in socks.values():
            s.sendall(getrandom_cmd())
        # Its commands queue behind (or between) the storm's.
        k += steady_run(steady, STEADY_K, f"just after {n} storm commands")
        got = collect(socks, want_eof=True)
        served = sorted(i for i, (rc, eof) in got.items() if rc == 0 and not eof)
        refused = [i for i, (rc, eof) in got.items() if rc == RC_RETRY and eof]
        other = {i: v for i, v in got.items() if i not in served and i not in refused}
        if other:
            i, (rc, eof) = next(iter(other.items()))
            raise Failure(f"{label}: {len(other)} connections neither served nor refused, "
                          f"e.g. #{i + 1}: rc {rcstr(rc) if rc is not None else 'none'}, "
                          f"{'closed' if eof else 'open'}")
        if served != list(range(limit)):
            raise Failure(f"{label}: served connections {[i + 1 for i in served][:20]}, "
                          f"expected the first {limit} (max-connections = {limit})")
        for i in served:   # still usable
            c = conn_of(socks[i], f"{label} #{i + 1}")
            must(get_random(c), f"{c.name}: a second GetRandom")
        return len(served), len(refused), k
    finally:
        for s in socks.values():
            s.close()


def sc_storm(args):
    n, limit, pid = args.count, args.max, args.daemon_pid
    raise_nofile(n + 100)
    if nofile_soft(args) < n + 100:   # it holds all of them for a moment
        raise Failure(f"the daemon may open {nofile_soft(args)} descriptors, fewer than "
                      f"{n + 100}: start it with a higher ulimit -n")
    steady = Conn(sock(args, "steady"), "steady")
    must(get_random(steady), "steady: GetRandom before the storm")
    rss = [rss_kib(pid)]
    fds = open_fds(args)
    rounds = []
    for r in (1, 2):
        t0 = time.monotonic()
        served, refused, k = storm_round(args, n, limit, f"storm {r}", steady)
        t1 = time.monotonic()
        wait_for(f"storm {r}: every storm connection closed (tpmproxyctl clients)",
                 lambda: not clients_on(args, "storm"))
        rounds.append((served, refused, k, t1 - t0))
        rss.append(rss_kib(pid))
        # tpmproxyctl's own connection may not be closed yet.
        wait_for(f"storm {r}: the daemon's descriptors back to {fds} "
                 f"(it holds {open_fds(args)})", lambda: open_fds(args) <= fds)
    must(get_random(steady), "steady: GetRandom after the storms")
    steady.close()
    for r, (served, refused, k, secs) in enumerate(rounds, 1):
        print(f"storm {r}: {n} connections opened at once, {served} served, {refused} refused "
              f"0x000b0922 and closed, in {secs:.2f}s; steady completed {k} GetRandom "
              "meanwhile")
    st = stats_of(args, "storm")
    want = dict(connections=2 * n, over_quota=2 * (n - limit), commands=2 * (n + limit))
    got = {k: st[k] for k in want}
    if got != want:
        raise Failure(f"tpmproxyctl stats for storm: {got}, expected {want}")
    warned = len(log_lines(args, r"socket=storm: over max-connections"))
    if warned != 2 * (n - limit):
        raise Failure(f"{warned} 'over max-connections' log lines, expected {2 * (n - limit)}")
    print(f"daemon: RSS {rss[0]} KiB before, {rss[1]} after one storm, {rss[2]} after two; "
          f"{fds} descriptors open before and after")
    if rss[1] - rss[0] > RSS_STORM_KIB or rss[2] - rss[1] > RSS_STORM_KIB:
        raise Failure(f"RSS grew by more than {RSS_STORM_KIB} KiB in a storm: {rss}")
    print(f"storm: {n} connections at once, twice: max-connections={limit} served, "
          f"{n - limit} refused cleanly each time (stats and log agree), a normal client "
          "served throughout, descriptors back to where they were, RSS bounded")


# ---- scenario: out of file descriptors ------------------------------------------------------

def sc_emfile(args):
    n, pid = args.count, args.daemon_pid
    limit, used = nofile_soft(args), open_fds(args)
    if not used < limit < used + n or n - (limit - used) > 100:
        raise Failure(f"the daemon has {used} of {limit} descriptors open: {n} connections "
                      "must be more than it can take and fit its listen backlog")
    raise_nofile(n + 100)
    # From a pod, so that each connection's identity needs /proc/PID/cgroup
    # read (here --proc-root's file) after accept() took a descriptor.
    pod = POD_UIDS[0]
    enter_pod(args.proc_root, pod)
    path = sock(args, "fd")
    log0 = log_size(args)
    socks = {i: connect_blocking(path) for i in range(n)}
    for s in socks.values():
        s.sendall(getrandom_cmd())
    # The daemon takes what it can; the rest wait in the listen backlog.
    got = collect(socks, want_eof=False, quiet=PLATEAU_S)
    held = sorted(i for i, (rc, eof) in got.items() if rc == 0 and not eof)
    odd = {i: v for i, v in got.items() if i not in held}
    if odd:
        i, (rc, eof) = next(iter(odd.items()))
        raise Failure(f"saturated: {len(odd)} connections not served, e.g. #{i + 1}: "
                      f"rc {rcstr(rc) if rc is not None else 'none'}, "
                      f"{'closed' if eof else 'open'}")
    if not 0 < len(held) < n:
        raise Failure(f"saturated: {len(held)} of {n} connections served, expected some but "
                      f"not all (the daemon may open {limit} descriptors)")
    # Saturated: the listener paused. The loop must sleep, not spin.
    pause = log_lines(args, PAUSE_LINE, log0)
    if len(pause) != 1:
        raise Failure(f"saturated: {len(pause)} lines saying fd.sock stopped accepting, "
                      "expected 1")
    log1 = log_size(args)
    ticks0, t0 = cpu_ticks(pid), time.monotonic()
    time.sleep(SATURATED_S)
    ticks1, t1 = cpu_ticks(pid), time.monotonic()
    elapsed = (t1 - t0) * CLK_TCK
    if ticks1 - ticks0 > elapsed / 10:
        raise Failure(f"saturated: the daemon used {ticks1 - ticks0} CPU ticks in "
                      f"{elapsed:.0f} ({SATURATED_S}s): it spins on a listener it cannot "
                      "accept from")
    quiet = log_since(args, log1).splitlines()
    if quiet:
        raise Failure(f"saturated: {len(quiet)} log lines in {SATURATED_S}s while nothing "
                      f"happened, e.g. {quiet[0]!r}")
    # Held connections keep working (the TPM backend still has descriptors),
    # tpmproxyctl too (the control socket); the waiting ones stay unanswered.
    for i in held:
        c = conn_of(socks[i], f"held #{i + 1}")
        must(get_random(c), f"{c.name}: a second GetRandom while saturated")
    listed = len(clients_on(args, "fd"))
    if listed != len(held):
        raise Failure(f"saturated: tpmproxyctl clients lists {listed} connections on fd, "
                      f"expected the {len(held)} held")
    fds_full = open_fds(args)
    # Close the held ones: accepting resumes (within the second's pause)
    # and the rest are served, closing each as it is answered.
    for i in held:
        socks.pop(i).close()
    waiting = len(socks)
    later = {}
    while socks:
        batch = collect(socks, want_eof=False, quiet=PLATEAU_S)
        if not batch:
            raise Failure(f"after the held connections closed: {len(socks)} of {waiting} "
                          f"waiting connections still unanswered ({PLATEAU_S}s without one)")
        for i, v in batch.items():
            later[i] = v
            socks.pop(i).close()
    bad = {i: v for i, v in later.items() if v != (0, False)}
    if bad:
        i, (rc, eof) = next(iter(bad.items()))
        raise Failure(f"after saturation: {len(bad)} connections not served, e.g. #{i + 1}: "
                      f"rc {rcstr(rc) if rc is not None else 'none'}")
    # Every connection was seen as the pod's (its cgroup file read with
    # a descriptor of the reserve), and the daemon never ran out.
    trouble = log_lines(args, r"Too many open files|TPM backend|cannot read the cgroup", log0)
    if trouble:
        raise Failure(f"{len(trouble)} log lines of descriptor trouble, e.g. {trouble[0]!r}")
    resumed = log_lines(args, r'socket "fd": accepting again', log0)
    paused = log_lines(args, PAUSE_LINE, log0)
    if not resumed or len(paused) != len(resumed):
        raise Failure(f"fd.sock paused {len(paused)} times and resumed {len(resumed)} times")
    connects = [line for line in log_since(args, log0).splitlines()
                if re.search(r"connect id=\d+ socket=fd ", line) and "disconnect" not in line]
    podless = [line for line in connects if f"pod={pod}" not in line]
    if len(connects) != n or podless:
        raise Failure(f"{len(connects)} connect lines for fd.sock ({n} expected), "
                      f"{len(podless)} without pod={pod}: {podless[:2]}")
    print(f"emfile: daemon limit {limit} descriptors, {used} open at rest; {n} connections "
          f"opened: {len(held)} accepted and served ({fds_full} descriptors open then), "
          f"{waiting} waited in the backlog")
    print(f"emfile: saturated {t1 - t0:.1f}s: {ticks1 - ticks0} CPU ticks of "
          f"{elapsed:.0f} elapsed, no log line; held connections and tpmproxyctl served "
          "meanwhile")
    print(f"emfile: after the {len(held)} held closed, the {waiting} waiting were accepted "
          f"and served ({len(paused)} pauses, each resumed); all {n} identified as pod {pod}")
    print("emfile: short of descriptors the daemon pauses accept (no spin, no EMFILE), "
          "keeps descriptors for itself, serves what it holds, and accepts again once "
          "some are free")


# ---- scenario: the control and metrics sockets out of descriptors -----------------------

def metrics_get(path):
    """GET /metrics over the metrics unix socket: the HTTP status code,
    0 while its backlog is full."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(WAIT)
        try:
            s.connect(path)
        except BlockingIOError:
            return 0
        s.sendall(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0


def ctl_answers(args):
    try:
        nofile_soft(args)
    except Failure:
        return False
    return True


def flood_side(args, what, path, n):
    """Open n idle connections to path, more than the daemon has
    descriptors for: it must pause that listener, not spin on it."""
    pid = args.daemon_pid
    log0 = log_size(args)
    socks = []
    # A full backlog refuses a unix connect at once (EAGAIN) before the
    # daemon is out of descriptors: retry until it has accepted none for
    # over a second, which means that it stopped.
    stalled = time.monotonic() + 1.5
    while len(socks) < n and time.monotonic() < stalled:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(path)
        except BlockingIOError:
            s.close()
            time.sleep(0.02)
            continue
        socks.append(s)
        stalled = time.monotonic() + 1.5
    wait_for(f"{what}: the daemon logged a pause",
             lambda: log_lines(args, rf"{what}: accept: Too many open files; pausing", log0))
    t0, ticks0 = time.monotonic(), cpu_ticks(pid)
    time.sleep(SATURATED_S)
    t1, ticks1 = time.monotonic(), cpu_ticks(pid)
    elapsed = (t1 - t0) * CLK_TCK
    for s in socks:
        s.close()
    spin = log_lines(args, r"Error from accept|accept: Too many open files", log0)
    if ticks1 - ticks0 > elapsed / 10:
        raise Failure(f"{what}: {ticks1 - ticks0} CPU ticks of {elapsed:.0f} while out of "
                      "descriptors: the loop spins")
    if len(spin) > 2 * SATURATED_S:
        raise Failure(f"{what}: {len(spin)} accept error lines in {SATURATED_S}s, "
                      f"e.g. {spin[0]!r}")
    return ticks1 - ticks0, elapsed, len(spin)


def sc_emfile_side(args):
    n = args.count
    raise_nofile(n + 100)
    limit = nofile_soft(args)
    if limit >= n:
        raise Failure(f"the daemon may open {limit} descriptors: start it with fewer than {n}")
    steady = Conn(sock(args, "steady"), "steady")
    for what, path in (("metrics", args.metrics), ("control socket", args.ctl)):
        ticks, elapsed, lines = flood_side(args, what, path, n)
        print(f"emfile-side: {n} idle connections to the {what} (limit {limit}): "
              f"{ticks} CPU ticks of {elapsed:.0f}, {lines} log lines")
        wait_for(f"{what}: /metrics answers again", lambda: metrics_get(args.metrics) == 200)
        wait_for(f"{what}: tpmproxyctl answers again", lambda: ctl_answers(args))
        must(get_random(steady), f"steady: GetRandom after flooding the {what}")
    steady.close()
    print("emfile-side: the control and metrics listeners pause when descriptors run out "
          "and serve again once they are free; TPM clients kept working")


SCENARIOS = {
    "slow": sc_slow,
    "storm": sc_storm,
    "emfile": sc_emfile,
    "emfile-side": sc_emfile_side,
}


def main(argv):
    def options(ap):
        ap.add_argument("--dir", required=True)
        ap.add_argument("--log", required=True)
        ap.add_argument("--ctl")
        ap.add_argument("--tpmproxyctl")
        ap.add_argument("--audit")
        ap.add_argument("--daemon-pid", type=int)
        ap.add_argument("--proc-root")
        ap.add_argument("--metrics")
        ap.add_argument("--count", type=int, default=1000)
        ap.add_argument("--max", type=int, default=10)

    return scenario_main("exhaustlib", __doc__, SCENARIOS, argv, options)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# fault-backend-loss.sh's relay and clients: the TPM lost under a busy daemon, and back; stdlib only.
"""Usage: fault-backend-loss.py relay --upstream TCTI --swtpm-dir DIR --tap-log FILE
                             --ready FILE
       fault-backend-loss.py run --sock PATH --swtpm-dir DIR --swtpm-tcti TCTI
                             --tap-log FILE --relay-pid PID --ready FILE
                             --log FILE --daemon-pid PID [--loaders N]
                             [--keys N] [--down-seconds S]

relay: pollib.py's tap (a relay in front of swtpm that logs each command
reaching the TPM) that on SIGUSR1 closes its ports and kills swtpm (pid in
DIR/swtpm.pid) with SIGKILL, and opens them again on SIGUSR2, so that they
refuse connections while swtpm is down, as swtpm's own would, and commands
in flight meet swtpm's death; writes its state (open, killed) to
READY.state.

run: client A holds keys (more than the TPM has slots, so some are swapped
out), an HMAC and a policy session, and a session it saved; N loader
connections loop on GetRandom and Sign. Four losses of the TPM follow:
  1. swtpm killed with SIGKILL and started again at once (swtpm-start, which
     sends TPM2_Startup itself);
  2. swtpm killed and left down for S seconds while the loaders go on, then
     started without Startup (the daemon has to send it);
  3. swtpm reset under the daemon through its control channel
     (swtpm_ioctl -i): the connection stays, the TPM answers
     TPM_RC_INITIALIZE;
  4. swtpm killed and started again while the daemon is idle: the TCTI
     (which connects anew for each command) cannot see it, and the first
     handle the new TPM gives out that the daemon records as held must be
     taken as the TPM lost, before a stale handle reaches a new object.
Each time: every answer is a TPM response (no closed connection, no hang;
errors in the resource-manager layer), the daemon stays up and logs one
"TPM lost" and one "TPM back" line, loaders succeed again once the TPM is
back, A's old handles, sessions and saved blob get a clean error without
any command reaching the TPM (counted by the relay), and no ContextLoad
reaches the new TPM. While swtpm is down, the reconnect attempts logged are
counted against the errors answered. Prints details, then one summary line;
exits 1 with 'fault-backend-loss: what failed' on stderr.
"""

import sys

sys.dont_write_bytecode = True

import argparse  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pollib import (  # noqa: E402
    CC, Tap, TapServer, ccname, listen_port_pair, parse_tcti, wait_for)
from rmlib import (  # noqa: E402
    HR_LOADED_SESSION, HR_SAVED_SESSION, HR_TRANSIENT, RC_FLUSH_NOT_OWNED, RC_HANDLE_H1,
    RC_HANDLE_S1, RC_LOAD_NOT_OWNED, RM_LAYER, Conn, Failure, PW, check_list, context_load,
    context_save, create_primary, ecc_signing_template, flush, get_random, must, policy_pcr,
    rcstr, read_public, session, sign, sign_and_verify, u32)

WAIT = float(os.environ.get("TPMPROXY_TEST_WAIT", "30"))
TOP = os.environ.get("top_srcdir", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                 "..", ".."))
SWTPM = os.environ.get("SWTPM", "swtpm")

RC_IO_ERROR = RM_LAYER | 0x101      # TPM_RC_FAILURE: the proxy lost the TPM
ATTEMPT_LINE = re.compile(r"TPM still unreachable")
LOST_LINE = re.compile(r"TPM lost")
BACK_LINE = re.compile(r"TPM back")
SUCCESSES = 20       # each loader's successes that show the TPM works (again)
OA_NO_DA = 1 << 10


def no_da_key(c, what="CreatePrimary(ECC signing, noDA)"):
    """A signing primary exempt from dictionary-attack lockout: each loss
    here is a non-orderly shutdown, which counts as a failed authorization
    (TPM2 Part 1, 19.8.6), and swtpm locks out after three."""
    return must(create_primary(c, no_da_template()), f"{c.name}: {what}").handle


def no_da_template():
    t = ecc_signing_template()
    return t[:4] + u32(int.from_bytes(t[4:8], "big") | OA_NO_DA) + t[8:]


def say(msg):
    print(msg, flush=True)


# ---- the relay ---------------------------------------------------------------------

class Relay(TapServer):
    """pollib.py's tap with ports that close when swtpm is killed and open
    again. A tap that accepts while swtpm is down and then hangs up makes
    tcti-swtpm's initialisation fail halfway (its control channel), where
    tpm2-tss 3.2 leaks its copy of the configuration string: ASan would
    fail the daemon for a leak that swtpm's own closed ports never cause."""

    def __init__(self, upstream, log_path, ready, swtpm_dir):
        super().__init__(upstream, log_path)
        self.ready, self.listen_port, self.socks = ready, None, []
        self.swtpm_dir = swtpm_dir

    def state(self, what):
        with open(self.ready + ".state.tmp", "w") as f:
            f.write(what + "\n")
        os.replace(self.ready + ".state.tmp", self.ready + ".state")

    def listen(self):
        for _ in range(200):
            pair = listen_port_pair(self.listen_port)
            if pair is None:
                if self.listen_port:
                    time.sleep(0.05)
                continue
            self.listen_port, self.socks = pair
            for offset, s in enumerate(self.socks):
                threading.Thread(target=self.accept_loop, args=(s, offset),
                                 daemon=True).start()
            self.state("open")
            return
        raise Failure("no free port pair for the relay")

    def kill(self):
        """Close the ports, then kill swtpm at once: connections open
        through the relay see it die."""
        for s in self.socks:
            try:
                s.shutdown(socket.SHUT_RDWR)   # wakes accept() up
            except OSError:
                pass
            s.close()
        self.socks = []
        pid = swtpm_pid(self.swtpm_dir)
        os.kill(pid, signal.SIGKILL)
        wait_for(f"swtpm (pid {pid}) ending after SIGKILL", lambda: not alive(pid))
        self.state("killed")

    def accept_loop(self, lsock, offset):
        while True:
            try:
                client, _ = lsock.accept()
            except OSError:
                return
            try:
                up = socket.create_connection((self.host, self.port + offset))
            except OSError:
                client.close()
                continue
            fwd = self.commands if offset == 0 else self.pump
            threading.Thread(target=fwd, args=(client, up), daemon=True).start()
            threading.Thread(target=self.pump, args=(up, client), daemon=True).start()


def relay_main(args):
    # Blocked here and so in every thread the relay starts: sigwait below
    # takes them, whichever thread the kernel would have chosen.
    signals = {signal.SIGUSR1, signal.SIGUSR2}
    signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    relay = Relay(parse_tcti(args.upstream), args.tap_log, args.ready, args.swtpm_dir)
    relay.listen()
    with open(args.ready + ".tmp", "w") as f:
        f.write(f"swtpm:host=127.0.0.1,port={relay.listen_port}\n")
    os.replace(args.ready + ".tmp", args.ready)
    while True:
        if signal.sigwait(signals) == signal.SIGUSR1:
            relay.kill()
        else:
            relay.listen()


class RelayControl:
    def __init__(self, pid, ready):
        self.pid, self.state_file = pid, ready + ".state"

    def _set(self, sig, want):
        os.kill(self.pid, sig)

        def done():
            with open(self.state_file) as f:
                return f.read().strip() == want
        wait_for(f"the relay {want}", done)

    def kill_swtpm(self):
        self._set(signal.SIGUSR1, "killed")

    def open(self):
        self._set(signal.SIGUSR2, "open")


# ---- swtpm -----------------------------------------------------------------------

def swtpm_pid(directory):
    with open(os.path.join(directory, "swtpm.pid")) as f:
        return int(f.read().split()[0])


class Swtpm:
    """The test's swtpm: killed (by the relay), started again on the same
    ports and state, then reachable through the relay again."""

    def __init__(self, directory, tcti, relay):
        self.dir, self.relay = directory, relay
        self.host, self.port = parse_tcti(tcti)

    def kill(self):
        self.relay.kill_swtpm()

    def start_with_startup(self):
        """swtpm-start on the same port: it sends TPM2_Startup(CLEAR) itself."""
        env = dict(os.environ, SWTPM_PORT=str(self.port), SWTPM_START_TRIES="1")
        self._retry(lambda: subprocess.run(
            [os.path.join(TOP, "swtpm-ci", "swtpm-start"), self.dir], env=env,
            capture_output=True, text=True))
        self.relay.open()

    def start_without_startup(self):
        """swtpm powered on but not started: the daemon must send Startup."""
        def run():
            return subprocess.run(
                [SWTPM, "socket", "--tpm2", "--tpmstate", f"dir={self.dir}",
                 "--server", f"type=tcp,port={self.port},bindaddr=127.0.0.1",
                 "--ctrl", f"type=tcp,port={self.port + 1},bindaddr=127.0.0.1",
                 "--flags", "not-need-init", "--pid", f"file={self.dir}/swtpm.pid",
                 "--log", f"file={self.dir}/swtpm.log,level=1", "--daemon"],
                capture_output=True, text=True)
        self._retry(run)
        # Open the relay only once swtpm listens (see Relay).
        wait_for("swtpm listening", lambda: listens(self.host, self.port) and
                 listens(self.host, self.port + 1))
        self.relay.open()

    def _retry(self, run):
        # The ports may still be held for a moment after the kill.
        end = time.monotonic() + WAIT
        while True:
            p = run()
            if p.returncode == 0:
                return
            if time.monotonic() > end:
                raise Failure(f"cannot start swtpm again on port {self.port}: "
                              f"{p.stdout}{p.stderr}")
            time.sleep(0.2)

    def reset(self):
        """TPM_Init through the control channel: not started afterwards."""
        p = subprocess.run(["swtpm_ioctl", "--tcp", f"{self.host}:{self.port + 1}", "-i"],
                           capture_output=True, text=True, timeout=WAIT)
        if p.returncode != 0:
            raise Failure(f"swtpm_ioctl -i failed: {p.stdout}{p.stderr}")


def listens(host, port):
    try:
        socket.create_connection((host, port), timeout=WAIT).close()
        return True
    except OSError:
        return False


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# ---- loaders ---------------------------------------------------------------------

class Loader(threading.Thread):
    """One connection looping GetRandom (and Sign with its own key when
    signer): counts answers per phase; any closed connection, hang or
    response outside {success, the proxy's TPM-lost error, the handle error
    for its lost key} ends it with a failure."""

    def __init__(self, path, name, signer, phase):
        super().__init__(daemon=True)
        self.path, self.name, self.signer, self.phase = path, name, signer, phase
        self.counts = {}       # phase -> {"ok": n, rc: n}
        self.error = None
        self.stop = threading.Event()
        self.paused = threading.Event()
        self.idle = threading.Event()
        self.lock = threading.Lock()

    def count(self, what):
        with self.lock:
            c = self.counts.setdefault(self.phase[0], {})
            c[what] = c.get(what, 0) + 1

    def get(self, phase, what="ok"):
        with self.lock:
            return self.counts.get(phase, {}).get(what, 0)

    def errors(self, phase):
        with self.lock:
            return sum(n for k, n in self.counts.get(phase, {}).items() if k != "ok")

    def answer(self, resp, allowed):
        if resp.rc == 0:
            self.count("ok")
        elif resp.rc in allowed:
            self.count(resp.rc)
        else:
            raise Failure(f"{self.name}: answered {rcstr(resp.rc)} during phase {self.phase[0]}")

    def run(self):
        try:
            with Conn(self.path, self.name) as c:
                k = None
                while not self.stop.is_set():
                    if self.paused.is_set():
                        self.idle.set()
                        time.sleep(0.01)
                        continue
                    self.idle.clear()
                    self.answer(get_random(c), (RC_IO_ERROR,))
                    if not self.signer:
                        continue
                    if k is None:
                        r = create_primary(c, no_da_template())
                        self.answer(r, (RC_IO_ERROR,))
                        k = r.handle if r.rc == 0 else None
                        continue
                    r = sign(c, k)
                    self.answer(r, (RC_IO_ERROR, RC_HANDLE_H1))
                    if r.rc == RC_HANDLE_H1:
                        k = None        # lost with the TPM: make a new one
        except (Failure, OSError) as e:
            self.error = f"{self.name}: {e}"
        self.idle.set()


class Loaders:
    def __init__(self, path, n):
        self.phase = ["before"]
        self.all = [Loader(path, f"loader{i}", i == 0, self.phase) for i in range(n)]

    def start(self):
        for t in self.all:
            t.start()

    def check(self):
        for t in self.all:
            if t.error:
                raise Failure(t.error)
            if not t.is_alive() and not t.stop.is_set():
                raise Failure(f"{t.name} ended")

    def set_phase(self, phase):
        self.phase[0] = phase

    def wait_each(self, what, cond):
        def done():
            self.check()
            return all(cond(t) for t in self.all)
        wait_for(what, done)

    def pause(self):
        for t in self.all:
            t.paused.set()
        self.wait_each("loaders pausing", lambda t: t.idle.is_set())

    def resume(self):
        for t in self.all:
            t.paused.clear()

    def finish(self):
        for t in self.all:
            t.stop.set()
        for t in self.all:
            t.join(WAIT)
        self.check()

    def total(self, phase, what=None):
        return sum(t.errors(phase) if what is None else t.get(phase, what) for t in self.all)


# ---- client A --------------------------------------------------------------------

class Holder:
    """Client A: what it holds in the TPM when the TPM is lost."""

    def __init__(self, path):
        self.c = Conn(path, "A")
        self.keys, self.hs, self.ps, self.blob = [], None, None, None

    def load_up(self, nkeys):
        c = self.c
        self.keys = [no_da_key(c) for _ in range(nkeys)]
        self.hs = session(c)
        self.ps = session(c, policy=True)
        saved = session(c)
        self.blob = must(context_save(c, saved.handle), "A: ContextSave of a session").blob
        # Use every key twice in turn: with more keys than slots, some are
        # swapped out and in again, so the proxy holds saved contexts.
        for _ in range(2):
            for k in self.keys:
                sign_and_verify(c, k, [self.hs], "HMAC-authorized Sign")
        must(policy_pcr(c, self.ps.handle), "A: PolicyPCR")

    def check_stale(self, tap):
        """Everything A held is gone for it, answered by the proxy alone."""
        c, mark = self.c, tap.mark()
        for k in self.keys:
            expect(sign(c, k), RC_HANDLE_H1, f"A: Sign with lost key 0x{k:08x}")
            expect(read_public(c, k), RC_HANDLE_H1, f"A: ReadPublic of lost key 0x{k:08x}")
        expect(get_random(c, auths=[self.hs]), RC_HANDLE_S1,
               f"A: GetRandom with lost {self.hs}")
        expect(policy_pcr(c, self.ps.handle), RC_HANDLE_H1, f"A: PolicyPCR on lost {self.ps}")
        expect(context_load(c, self.blob), RC_LOAD_NOT_OWNED,
               "A: ContextLoad of a session saved before the loss")
        expect(flush(c, self.keys[0]), RC_FLUSH_NOT_OWNED,
               f"A: FlushContext of lost key 0x{self.keys[0]:08x}")
        check_list(c, HR_TRANSIENT, [], "A's objects after the loss")
        check_list(c, HR_LOADED_SESSION, [], "A's sessions after the loss")
        check_list(c, HR_SAVED_SESSION, [], "A's saved sessions after the loss")
        reached = tap.codes_since(mark)
        if reached:
            raise Failure("A's commands on lost handles reached the TPM: "
                          + ", ".join(ccname(x) for x in reached))
        return 2 * len(self.keys) + 4


def expect(resp, rc, what):
    if resp.rc != rc:
        raise Failure(f"{what}: answered {rcstr(resp.rc)}, expected {rcstr(rc)}")


# ---- the scenario ------------------------------------------------------------------

class Log:
    def __init__(self, path):
        self.path = path

    def mark(self):
        return os.path.getsize(self.path)

    def lines_since(self, mark, pattern):
        with open(self.path, errors="replace") as f:
            f.seek(mark)
            return [ln for ln in f.read().splitlines() if pattern.search(ln)]


def lose_and_recover(args, n, how, loaders, a, tap, log, swtpm):
    """One loss of the TPM; returns the errors answered while it was away
    and the reconnect attempts logged meanwhile."""
    down, up = f"down{n}", f"up{n}"
    lmark, tmark = log.mark(), tap.mark()
    loaders.set_phase(down)
    if how == "reset":
        # The connection stays: the command that meets the reset TPM gets
        # the error, and the next one the TPM again.
        swtpm.reset()
        wait_for(f"loss {n}: a loader answered an error",
                 lambda: loaders.check() or loaders.total(down) > 0)
    else:
        # Every loader gets a TPM-format error (its Loader fails otherwise).
        swtpm.kill()
        loaders.wait_each(f"loss {n}: every loader answered an error",
                          lambda t: t.errors(down) > 0)
    if not alive(args.daemon_pid):
        raise Failure(f"loss {n}: tpmproxyd died")
    if how == "down":
        # Not a bound on anything: how long the TPM stays away.
        time.sleep(args.down_seconds)
    errors = loaders.total(down)
    loaders.set_phase(up)
    if how == "restart":
        swtpm.start_with_startup()
    elif how == "down":
        swtpm.start_without_startup()
    loaders.wait_each(f"loss {n}: loaders succeeding again",
                      lambda t: t.get(up) >= SUCCESSES)
    attempts = len(log.lines_since(lmark, ATTEMPT_LINE))
    for pattern, what in ((LOST_LINE, "TPM lost"), (BACK_LINE, "TPM back")):
        got = log.lines_since(lmark, pattern)
        if len(got) != 1:
            raise Failure(f"loss {n}: the daemon log has {len(got)} '{what}' lines, not 1")
        say(f"  log: {got[0]}")
    loaders.pause()
    stale = a.check_stale(tap)
    startups = tap.count_since(tmark, CC["Startup"])
    loads = tap.count_since(tmark, CC["ContextLoad"])
    if loads:
        raise Failure(f"loss {n}: {loads} ContextLoad commands reached the new TPM")
    # Once per reconnect: a TPM started already answers TPM_RC_INITIALIZE;
    # after loss 2 and 3 nothing works without it.
    if startups != 1:
        raise Failure(f"loss {n}: {startups} TPM2_Startup commands reached the TPM after it came "
                      "back, expected 1")
    loaders.resume()
    say(f"loss {n} ({how}): {errors} errors answered while the TPM was away, {attempts} "
        f"reconnect attempts logged, {loaders.total(up, 'ok')} successes after; A's {stale} "
        f"commands on lost handles refused without the TPM; {startups} Startup and no "
        "ContextLoad reached the new TPM")
    return errors, attempts


def idle_restart(args, a, tap, log, swtpm):
    """swtpm killed and started again while the daemon sends nothing: the
    TCTI (which connects anew for each command) cannot see it. A's keys are
    still recorded as loaded; B's new keys get the same TPM handles. The
    first such reuse must be taken as the TPM lost (B's command answers the
    proxy's error) before A's stale handle could reach B's object."""
    lmark, tmark = log.mark(), tap.mark()
    swtpm.kill()
    swtpm.start_with_startup()
    with Conn(args.sock, "B") as b:
        before, errors = [], 0
        # Within the TPM's 3 object slots one of B's keys gets a handle
        # A's keys had; bounded so that a missed reuse fails below.
        for _ in range(4):
            r = create_primary(b, no_da_template())
            if r.rc == RC_IO_ERROR:
                errors += 1
                break
            must(r, "B: CreatePrimary after the unseen restart")
            before.append(r.handle)
        for k in a.keys:
            r = sign(a.c, k)
            if r.rc == 0:
                raise Failure(f"A's key 0x{k:08x} from before the unseen restart signed: "
                              "its stale TPM handle reached another client's object")
        if errors != 1:
            raise Failure(f"B created {len(before)} keys after the unseen restart and none was "
                          "answered as the TPM lost: the reuse of A's TPM handles went unseen")
        stale = a.check_stale(tap)
        for k in before:
            expect(sign(b, k), RC_HANDLE_H1, f"B: Sign with 0x{k:08x}, lost with the tables")
        for _ in range(2):
            sign_and_verify(b, no_da_key(b), [PW()], "B: Sign with a new key")
    for pattern, what in ((LOST_LINE, "TPM lost"), (BACK_LINE, "TPM back")):
        got = log.lines_since(lmark, pattern)
        if len(got) != 1:
            raise Failure(f"unseen restart: the daemon log has {len(got)} '{what}' lines, not 1")
        say(f"  log: {got[0]}")
    loads = tap.count_since(tmark, CC["ContextLoad"])
    if loads:
        raise Failure(f"unseen restart: {loads} ContextLoad commands reached the new TPM")
    say(f"loss 4 (restart while idle): B's key {len(before) + 1} reused a TPM handle A held and "
        f"was answered as the TPM lost; A's {stale} commands on lost handles refused without "
        "the TPM, no ContextLoad reached it")


def scenario(args):
    tap, log = Tap(args.tap_log), Log(args.log)
    swtpm = Swtpm(args.swtpm_dir, args.swtpm_tcti, RelayControl(args.relay_pid, args.ready))
    a = Holder(args.sock)
    loaders = Loaders(args.sock, args.loaders)
    loads_before = tap.mark()
    a.load_up(args.keys)
    swapped = tap.count_since(loads_before, CC["ContextLoad"])
    if swapped == 0:
        raise Failure(f"A's {args.keys} keys were never swapped out and in: the test cannot "
                      "tell whether saved contexts are replayed")
    say(f"A holds {args.keys} keys ({swapped} context loads so far), 2 sessions and a saved one")
    loaders.start()
    loaders.wait_each("loaders working", lambda t: t.get("before") >= SUCCESSES)
    if loaders.total("before"):
        raise Failure(f"{loaders.total('before')} errors before the TPM was lost")
    lose_and_recover(args, 1, "restart", loaders, a, tap, log, swtpm)
    a.load_up(2)
    errors, attempts = lose_and_recover(args, 2, "down", loaders, a, tap, log, swtpm)
    # Commands answered while the TPM is down do not each cost a reconnect:
    # the daemon tries again on a backoff, not per command (nor in a loop).
    if attempts < 1 or errors < 10 * attempts:
        raise Failure(f"loss 2: {attempts} reconnect attempts logged for {errors} commands "
                      "answered while swtpm was down (expected at least one, and at most "
                      "one per 10 commands)")
    a.load_up(2)
    lose_and_recover(args, 3, "reset", loaders, a, tap, log, swtpm)
    loaders.finish()
    a.load_up(2)
    idle_restart(args, a, tap, log, swtpm)
    k = no_da_key(a.c, "CreatePrimary after the losses")
    sign_and_verify(a.c, k, [PW()], "Sign after the losses")
    a.c.close()
    if not alive(args.daemon_pid):
        raise Failure("tpmproxyd died")
    print(f"TPM lost 4 times (killed and restarted, down {args.down_seconds:g}s, reset, "
          "restarted unseen): "
          f"every answer a TPM response, {attempts} reconnect attempts for {errors} commands "
          "while down, lost handles refused, none reloaded, daemon up")


def main(argv):
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("mode", choices=("relay", "run"))
    ap.add_argument("--upstream")
    ap.add_argument("--ready")
    ap.add_argument("--sock")
    ap.add_argument("--swtpm-dir", required=True)
    ap.add_argument("--swtpm-tcti")
    ap.add_argument("--tap-log", required=True)
    ap.add_argument("--relay-pid", type=int)
    ap.add_argument("--log")
    ap.add_argument("--daemon-pid", type=int)
    ap.add_argument("--loaders", type=int, default=4)
    ap.add_argument("--keys", type=int, default=5)
    ap.add_argument("--down-seconds", type=float, default=3)
    args = ap.parse_args(argv[1:])
    try:
        if args.mode == "relay":
            relay_main(args)
        else:
            scenario(args)
    except (Failure, OSError, subprocess.SubprocessError) as e:
        print(f"fault-backend-loss: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# Kill soak driver: many tpm2-pytss and raw clients doing random valid commands, SIGKILLed at random moments and replaced.
"""Usage: soak-worker.py soak --sock PATH [--sock PATH ...] --kills N [options]
       soak-worker.py quota --sock PATH --objects N --sessions M

soak: keeps --parallel (16) clients running, each a forked child of this
process (tpm2_pytss is imported once, here, so a client costs a fork, not
a Python start-up), half of them tpm2-pytss ESAPI clients (TCTI
proxy:PATH), half raw clients (rmlib.py), spread evenly over the --sock
paths. A client repeats random valid commands until it is killed:
CreatePrimary (signing and storage keys), Create+Load of a child key, Sign
(password or HMAC session, some verified), StartAuthSession (HMAC,
policy), PolicyPCR, ContextSave+ContextLoad of sessions and keys,
FlushContext, hash sequences, GetRandom, GetCapability (its own handle
list must be exactly what it holds), NV_Read of --nv-index; raw clients
also pipeline commands and split commands across writes. With --ctl, one
client in ten talks to the control socket instead (status, clients,
stats, sockets as JSON, and now and then a reload). With --proc-root, one
of the others in four is in a Kubernetes pod of its own (a fresh pod UID
in DIR/<pid>/cgroup, as pollib.py's pods), as each run of a CronJob is.

Each client is given a number of operations after which it is killed
(kill -9) a random 0-2 ms later, mostly while a command is in flight; one
in five is killed at a random moment of its start-up instead. Each killed
client is replaced at once, until N kills; then the clients left are killed
too. A client that fails (a wrong answer, an error, a closed connection)
or stops making progress fails the run.

Prints one summary line (kills, of them during start-up, inside an
operation, and while holding handles; operations done; clients started).

quota: on a socket whose group holds nothing, exactly N objects (hash
sequences) and M sessions fit, and one more of either is refused with the
resource-manager layer's OBJECT_MEMORY / SESSION_MEMORY: the kills left
nothing counted against the group.

Exits 0; on failure prints what failed on stderr and exits 1.
"""

import argparse
import hashlib
import mmap
import os
import json
import random
import shutil
import signal
import socket
import struct
import sys
import time
import uuid

os.environ.setdefault("TSS2_LOG", "all+none")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pollib  # noqa: E402
import rmlib  # noqa: E402
from rmlib import (HR_LOADED_SESSION, HR_TRANSIENT, PW, RM_LAYER, Conn, Failure,  # noqa: E402
                   b2, expect_rc, must, u16, u32)

from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, utils  # noqa: E402
from tpm2_pytss import ESAPI, TCTILdr  # noqa: E402
from tpm2_pytss.constants import (ESYS_TR, TPM2_ALG, TPM2_CAP, TPM2_PT, TPM2_RH,  # noqa: E402
                                  TPM2_SE, TPM2_ST, TPMA_OBJECT, TPMA_SESSION)
from tpm2_pytss.types import (TPM2B_DIGEST, TPM2B_PUBLIC, TPML_PCR_SELECTION,  # noqa: E402
                              TPMT_SIG_SCHEME, TPMT_SYM_DEF, TPMT_TK_HASHCHECK)

CC_NV_READ = 0x14E
NV_SIZE = 32

# Per-client slot in memory shared with the children: operations done,
# whether one is under way, handles held (read racily: statistics only).
SLOT = struct.Struct("=IBB")


class Slot:
    def __init__(self, shm, index):
        self.shm, self.off = shm, index * SLOT.size

    def set(self, ops, busy, held):
        SLOT.pack_into(self.shm, self.off, ops, busy, held)

    def get(self):
        return SLOT.unpack_from(self.shm, self.off)


# ---- raw clients ---------------------------------------------------------------

class RawClient:
    """Raw TPM 2.0 bytes through rmlib.Conn."""

    def __init__(self, rng, sock, nv_index, name):
        self.rng, self.nv_index, self.name = rng, nv_index, name
        self.c = Conn(sock, name)
        self.keys, self.seqs, self.sessions = [], [], []

    def held(self):
        return len(self.keys) + len(self.seqs) + len(self.sessions)

    def new_key(self):
        if len(self.keys) >= 3:
            self.flush(self.keys.pop(0))
        self.keys.append(rmlib.key(self.c))

    def flush(self, h):
        must(rmlib.flush(self.c, h), f"{self.name}: FlushContext(0x{h:08x})")

    def new_session(self):
        if len(self.sessions) >= 2:
            self.flush(self.sessions.pop(0).handle)
        self.sessions.append(rmlib.session(self.c, policy=self.rng.random() < 0.5))

    def sign(self):
        if not self.keys:
            return self.new_key()
        k = self.rng.choice(self.keys)
        hmacs = [s for s in self.sessions if not s.policy]
        auths = [self.rng.choice(hmacs)] if hmacs and self.rng.random() < 0.5 else None
        if self.rng.random() < 0.3:
            rmlib.sign_and_verify(self.c, k, auths)
        else:
            must(rmlib.sign(self.c, k, auths=auths), f"{self.name}: Sign")

    def policy(self):
        ps = [s for s in self.sessions if s.policy]
        if not ps:
            return self.new_session()
        must(rmlib.policy_pcr(self.c, self.rng.choice(ps).handle), f"{self.name}: PolicyPCR")

    def save_load_session(self):
        if not self.sessions:
            return self.new_session()
        s = self.rng.choice(self.sessions)
        blob = must(rmlib.context_save(self.c, s.handle), f"{self.name}: ContextSave({s})").blob
        h = must(rmlib.context_load(self.c, blob), f"{self.name}: ContextLoad({s})").handle
        if h != s.handle:
            raise Failure(f"{self.name}: {s} came back from ContextLoad as 0x{h:08x}")

    def save_load_key(self):
        if not self.keys:
            return self.new_key()
        k = self.rng.choice(self.keys)
        blob = must(rmlib.context_save(self.c, k), f"{self.name}: ContextSave(key)").blob
        h = must(rmlib.context_load(self.c, blob), f"{self.name}: ContextLoad(key)").handle
        self.c.names[h] = self.c.names.get(k, u32(h))
        self.keys.remove(k)
        self.keys.append(h)
        self.flush(k)    # the copy stays, the original goes

    def sequence(self):
        if len(self.seqs) >= 1:
            h = self.seqs.pop()
            dg = must(rmlib.sequence_complete(self.c, h, b"end"),
                      f"{self.name}: SequenceComplete").digest
            if dg != hashlib.sha256(b"start,end").digest():
                raise Failure(f"{self.name}: hash sequence 0x{h:08x} gave a wrong digest")
            return
        h = must(rmlib.hash_sequence_start(self.c), f"{self.name}: HashSequenceStart").handle
        self.seqs.append(h)
        must(rmlib.sequence_update(self.c, h, b"start,"), f"{self.name}: SequenceUpdate")

    def own_handles(self):
        rmlib.check_list(self.c, HR_TRANSIENT, self.keys + self.seqs, "its own objects")

    def get_random(self):
        resp = must(rmlib.get_random(self.c, 16), f"{self.name}: GetRandom")
        if len(resp.reader("GetRandom").b2()) != 16:
            raise Failure(f"{self.name}: GetRandom(16) answered another size")

    def nv_read(self):
        if not self.nv_index:
            return self.get_random()
        resp = self.c.call(CC_NV_READ, [self.nv_index, self.nv_index],
                           u16(NV_SIZE) + u16(0), [PW()], what="NV_Read")
        data = must(resp, f"{self.name}: NV_Read").reader("NV_Read").b2()
        if data != NV_DATA:
            raise Failure(f"{self.name}: NV_Read answered {data.hex()}, not the index's data")

    def pipelined(self):
        """GetRandom, and Sign if it has a key, in one write."""
        cmds = [self.c.build(rmlib.CC_GET_RANDOM, [], u16(8))]
        if self.keys:
            digest = hashlib.sha256(os.urandom(8)).digest()
            cmds.append(self.c.build(rmlib.CC_SIGN, [self.keys[-1]],
                                     b2(digest) + u16(rmlib.ALG_NULL) + rmlib.hashcheck_null(),
                                     [PW()]))
        self.c.send(b"".join(cmds))
        for i in range(len(cmds)):
            must(self.c.receive(f"pipelined command {i + 1} of {len(cmds)}", [PW()]),
                 f"{self.name}: pipelined command {i + 1}")

    def split(self):
        """A command written in two parts with a pause between them."""
        cmd = self.c.build(rmlib.CC_GET_RANDOM, [], u16(8))
        cut = self.rng.randrange(1, len(cmd))
        self.c.send(cmd[:cut])
        time.sleep(self.rng.random() * 0.003)
        self.c.send(cmd[cut:])
        must(self.c.receive("split GetRandom"), f"{self.name}: split GetRandom")

    def ops(self):
        return [(self.new_key, 3), (self.sign, 6), (self.new_session, 2), (self.policy, 2),
                (self.save_load_session, 2), (self.save_load_key, 1), (self.sequence, 2),
                (self.own_handles, 1), (self.get_random, 1), (self.nv_read, 1),
                (self.pipelined, 1), (self.split, 1)]


# ---- tpm2-pytss clients --------------------------------------------------------

SCHEME = TPMT_SIG_SCHEME(scheme=TPM2_ALG.NULL)
TICKET = TPMT_TK_HASHCHECK(tag=TPM2_ST.HASHCHECK, hierarchy=TPM2_RH.NULL)
SIGN_ATTRS = (TPMA_OBJECT.SIGN_ENCRYPT | TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT
              | TPMA_OBJECT.SENSITIVEDATAORIGIN | TPMA_OBJECT.USERWITHAUTH)
PCRS = TPML_PCR_SELECTION.parse("sha256:0")
NO_SYM = TPMT_SYM_DEF(algorithm=TPM2_ALG.NULL)


class PytssKey:
    def __init__(self, handle, public):
        self.handle = handle
        self.pub = serialization.load_pem_public_key(public.to_pem())


class PytssClient:
    """tpm2-pytss ESAPI through the proxy TCTI."""

    def __init__(self, rng, sock, nv_index, name):
        self.rng, self.nv_index, self.name = rng, nv_index, name
        self.ectx = ESAPI(TCTILdr("proxy", sock))
        self.keys, self.sessions, self.storage, self.nv = [], [], None, None

    def held(self):
        return len(self.keys) + len(self.sessions) + (self.storage is not None)

    def template(self, spec, attrs):
        t = TPM2B_PUBLIC.parse(spec, objectAttributes=attrs)
        t.publicArea.unique.ecc.x = os.urandom(32)   # a distinct key each time
        return t

    def flush_key(self):
        self.ectx.flush_context(self.keys.pop(0).handle)

    def new_key(self):
        if len(self.keys) >= 2:
            self.flush_key()
        h, public, _, _, _ = self.ectx.create_primary(
            None, self.template("ecc256:ecdsa-sha256", SIGN_ATTRS))
        self.keys.append(PytssKey(h, public))

    def child_key(self):
        if self.storage is None:
            attrs = (TPMA_OBJECT.RESTRICTED | TPMA_OBJECT.DECRYPT | TPMA_OBJECT.FIXEDTPM
                     | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.SENSITIVEDATAORIGIN
                     | TPMA_OBJECT.USERWITHAUTH)
            self.storage, _, _, _, _ = self.ectx.create_primary(
                None, self.template("ecc256:aes128cfb", attrs))
            return
        if len(self.keys) >= 2:
            self.flush_key()
        priv, public, _, _, _ = self.ectx.create(
            self.storage, None, TPM2B_PUBLIC.parse("ecc256:ecdsa-sha256",
                                                   objectAttributes=SIGN_ATTRS))
        self.keys.append(PytssKey(self.ectx.load(self.storage, priv, public), public))

    def new_session(self):
        if len(self.sessions) >= 2:
            self.ectx.flush_context(self.sessions.pop(0)[0])
        kind = TPM2_SE.POLICY if self.rng.random() < 0.5 else TPM2_SE.HMAC
        s = self.ectx.start_auth_session(tpm_key=ESYS_TR.NONE, bind=ESYS_TR.NONE,
                                         session_type=kind, symmetric=NO_SYM,
                                         auth_hash=TPM2_ALG.SHA256)
        self.ectx.trsess_set_attributes(s, TPMA_SESSION.CONTINUESESSION)
        self.sessions.append((s, kind))

    def sign(self):
        if not self.keys:
            return self.new_key()
        k = self.rng.choice(self.keys)
        hmacs = [s for s, kind in self.sessions if kind == TPM2_SE.HMAC]
        session = self.rng.choice(hmacs) if hmacs and self.rng.random() < 0.5 else ESYS_TR.PASSWORD
        digest = hashlib.sha256(os.urandom(8)).digest()
        sig = self.ectx.sign(k.handle, TPM2B_DIGEST(digest), SCHEME, TICKET, session1=session)
        if self.rng.random() < 0.3:
            r = int.from_bytes(bytes(sig.signature.ecdsa.signatureR), "big")
            s = int.from_bytes(bytes(sig.signature.ecdsa.signatureS), "big")
            try:
                k.pub.verify(utils.encode_dss_signature(r, s), digest,
                             ec.ECDSA(utils.Prehashed(hashes.SHA256())))
            except InvalidSignature:
                raise Failure(f"{self.name}: a signature does not verify with the key's "
                              "own public part: the TPM signed with another key")

    def policy(self):
        ps = [s for s, kind in self.sessions if kind == TPM2_SE.POLICY]
        if not ps:
            return self.new_session()
        self.ectx.policy_pcr(self.rng.choice(ps), TPM2B_DIGEST(), PCRS)

    def save_load_session(self):
        if not self.sessions:
            return self.new_session()
        i = self.rng.randrange(len(self.sessions))
        s, kind = self.sessions[i]
        self.sessions[i] = (self.ectx.context_load(self.ectx.context_save(s)), kind)

    def save_load_key(self):
        if not self.keys:
            return self.new_key()
        k = self.rng.choice(self.keys)
        ctx = self.ectx.context_save(k.handle)
        self.ectx.flush_context(k.handle)
        k.handle = self.ectx.context_load(ctx)

    def own_handles(self):
        more, data = self.ectx.get_capability(TPM2_CAP.HANDLES, HR_TRANSIENT, 64)
        listed = sorted(int(h) for h in data.data.handles)
        mine = sorted(int(self.ectx.tr_get_tpm_handle(h)) for h in
                      [k.handle for k in self.keys] + ([self.storage] if self.storage else []))
        if more or listed != mine:
            raise Failure(f"{self.name}: GetCapability(HANDLES) lists "
                          f"{[hex(h) for h in listed]} (moreData {int(more)}), "
                          f"it holds {[hex(h) for h in mine]}")

    def properties(self):
        self.ectx.get_capability(TPM2_CAP.TPM_PROPERTIES, TPM2_PT.FIXED, 8)

    def get_random(self):
        if len(bytes(self.ectx.get_random(16))) != 16:
            raise Failure(f"{self.name}: GetRandom(16) answered another size")

    def nv_read(self):
        if not self.nv_index:
            return self.properties()
        if self.nv is None:
            self.nv = self.ectx.tr_from_tpmpublic(self.nv_index)
        data = bytes(self.ectx.nv_read(self.nv, NV_SIZE))
        if data != NV_DATA:
            raise Failure(f"{self.name}: NV_Read answered {data.hex()}, not the index's data")

    def ops(self):
        return [(self.new_key, 2), (self.child_key, 2), (self.sign, 6), (self.new_session, 2),
                (self.policy, 2), (self.save_load_session, 2), (self.save_load_key, 1),
                (self.own_handles, 1), (self.properties, 1), (self.get_random, 1),
                (self.nv_read, 1)]


# ---- control clients -----------------------------------------------------------

class CtlClient:
    """tpmproxyctl's protocol on the control socket: one request line, the
    answer, then the daemon closes; every --json answer must parse. An
    occasional reload re-reads the unchanged configuration under load."""

    REQUESTS = [("status --json", 3), ("clients --json", 3), ("stats --json", 2),
                ("sockets --json", 1), ("reload --json", 1)]

    def __init__(self, rng, sock, nv_index, name):
        self.rng, self.path, self.name = rng, sock, name

    def held(self):
        return 0

    def request(self):
        line = self.rng.choices([r for r, _ in self.REQUESTS],
                                [w for _, w in self.REQUESTS])[0]
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(rmlib.TIMEOUT)
        try:
            s.connect(self.path)
            s.sendall(line.encode() + b"\n")
            out = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        finally:
            s.close()
        try:
            answer = json.loads(out)
        except ValueError:
            raise Failure(f"{self.name}: '{line}' answered {out[:200]!r}, not JSON")
        if line.startswith("reload") and answer != {"reloaded": True}:
            raise Failure(f"{self.name}: reload of the unchanged configuration: {answer}")

    def ops(self):
        return [(self.request, 1)]


NV_DATA = bytes(range(NV_SIZE))
CLIENTS = {"pytss": PytssClient, "raw": RawClient, "ctl": CtlClient}


def client_main(kind, sock, nv_index, name, seed, slot, errfd, pod):
    """A child: random operations until killed; exits 1 on a failure."""
    rng = random.Random(seed)
    slot.set(0, 1, 0)
    try:
        if pod:
            pollib.enter_pod(pod[0], pod[1])
        cl = CLIENTS[kind](rng, sock, nv_index, name)
        ops = cl.ops()
        fns = [f for f, _ in ops]
        weights = [w for _, w in ops]
        n = 0
        while True:
            slot.set(n, 1, cl.held())
            rng.choices(fns, weights)[0]()
            n += 1
            slot.set(n, 0, cl.held())
    except Exception as e:  # noqa: BLE001 - every failure is reported
        msg = f"{name} ({kind} on {os.path.basename(sock)}, seed {seed}): " \
              f"{type(e).__name__}: {e}"
        os.write(errfd, msg.encode(errors="replace")[:3000] + b"\n")
        os._exit(1)


# ---- the driver ----------------------------------------------------------------

class Child:
    def __init__(self, pid, name, kind, target):
        self.pid, self.name, self.kind = pid, name, kind
        self.pod = None
        self.target = target          # operations before the kill; None: at start-up
        self.progress = (0, time.monotonic())   # operations done, since when


class Driver:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.shm = mmap.mmap(-1, SLOT.size * args.parallel)
        self.errr, self.errw = os.pipe()
        os.set_blocking(self.errr, False)
        self.children = {}            # slot -> Child
        self.started = 0
        self.kills = {"total": 0, "start-up": 0, "in an operation": 0, "holding handles": 0}
        self.ops = 0
        self.pods = 0
        self.errors = b""

    def spawn(self, index):
        self.started += 1
        kind = "pytss" if self.rng.random() < 0.5 else "raw"
        # By slot, so that each socket's group has its share of clients and
        # what they hold stays within its quotas.
        sock = self.args.sock[index % len(self.args.sock)]
        pod = None
        if self.args.ctl and self.rng.random() < 0.1:
            kind, sock = "ctl", self.args.ctl
        elif self.args.proc_root and self.rng.random() < 0.25:
            # A pod of its own, as each run of a CronJob is.
            pod = (self.args.proc_root, str(uuid.UUID(int=self.rng.getrandbits(128), version=4)))
        name = f"c{self.started}"
        seed = self.rng.getrandbits(32)
        target = None if self.rng.random() < 0.2 else self.rng.randint(1, self.args.max_ops)
        slot = Slot(self.shm, index)
        slot.set(0, 1, 0)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os.close(self.errr)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            client_main(kind, sock, self.args.nv_index, name, seed, slot, self.errw, pod)
            os._exit(2)   # not reached
        self.children[index] = Child(pid, name, kind, target)
        if pod:
            self.children[index].pod = os.path.join(pod[0], str(pid))
            self.pods += 1
        if target is None:
            # Killed at a random moment of its start-up: before it has
            # connected, while connecting or inside its first command.
            self.kill(index, self.rng.random() * 0.02)

    def kill(self, index, delay):
        ch = self.children.pop(index)
        time.sleep(delay)
        ops, busy, held = Slot(self.shm, index).get()
        os.kill(ch.pid, signal.SIGKILL)
        _, status = os.waitpid(ch.pid, 0)
        if ch.pod:
            shutil.rmtree(ch.pod, ignore_errors=True)   # before its pid is reused
        self.drain_errors()
        if not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL):
            raise Failure(f"{ch.name} ({ch.kind}) ended by itself (status {status}) "
                          f"before it was killed:\n{self.errors.decode(errors='replace')}")
        self.ops += ops
        self.kills["total"] += 1
        if self.args.rss_pid and self.kills["total"] % self.args.rss_every == 0:
            print(f"after {self.kills['total']} kills: VmRSS {rss_kib(self.args.rss_pid)} KiB",
                  flush=True)
        if ch.target is None:
            self.kills["start-up"] += 1
        elif busy:
            self.kills["in an operation"] += 1
        if held:
            self.kills["holding handles"] += 1

    def drain_errors(self):
        try:
            while True:
                chunk = os.read(self.errr, 65536)
                if not chunk:
                    break
                self.errors += chunk
        except BlockingIOError:
            pass

    def check_exited(self):
        """A client that ended by itself failed: report it."""
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            return
        time.sleep(0.05)
        self.drain_errors()
        who = next((c for c in self.children.values() if c.pid == pid), None)
        name = f"{who.name} ({who.kind})" if who else f"pid {pid}"
        raise Failure(f"{name} ended by itself with status {status}:\n"
                      + self.errors.decode(errors="replace"))

    def check_progress(self, now):
        for index, ch in self.children.items():
            ops = Slot(self.shm, index).get()[0]
            if ops != ch.progress[0]:
                ch.progress = (ops, now)
            elif now - ch.progress[1] > self.args.hang:
                raise Failure(f"{ch.name} ({ch.kind}) made no progress for "
                              f"{self.args.hang:.0f}s after {ops} operations: "
                              "the daemon does not answer")

    def run(self):
        t0 = time.monotonic()
        for i in range(self.args.parallel):
            if self.kills["total"] < self.args.kills:
                self.spawn(i)
        while self.kills["total"] < self.args.kills:
            for index in list(self.children):
                ch = self.children[index]
                if (self.kills["total"] < self.args.kills
                        and Slot(self.shm, index).get()[0] >= ch.target):
                    # Mostly lands inside the next operation's command.
                    self.kill(index, self.rng.random() * 0.002)
                    if self.kills["total"] < self.args.kills:
                        self.spawn(index)
            for index in range(self.args.parallel):
                if index not in self.children and self.kills["total"] < self.args.kills:
                    self.spawn(index)
            self.check_exited()
            self.check_progress(time.monotonic())
            time.sleep(0.002)
        planned = dict(self.kills)
        for index in list(self.children):
            self.kill(index, 0)
        self.drain_errors()
        if self.errors:
            raise Failure(self.errors.decode(errors="replace"))
        took = time.monotonic() - t0
        print(f"{planned['total']} clients killed ({planned['start-up']} during start-up, "
              f"{planned['in an operation']} inside an operation, "
              f"{planned['holding handles']} holding handles), "
              f"{self.kills['total'] - planned['total']} more at the end; "
              f"{self.ops} operations by {self.started} clients ({self.pods} in pods of "
              f"their own) in {took:.0f}s")

    def stop(self):
        for ch in self.children.values():
            try:
                os.kill(ch.pid, signal.SIGKILL)
                os.waitpid(ch.pid, 0)
            except OSError:
                pass
        self.children.clear()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def quota(args):
    """Exactly the group's quotas fit, and not one more."""
    with Conn(args.sock[0], "quota") as c:
        seqs = [must(rmlib.hash_sequence_start(c), f"quota: HashSequenceStart {i + 1} of "
                     f"{args.objects}").handle for i in range(args.objects)]
        expect_rc(rmlib.hash_sequence_start(c), RM_LAYER | 0x902,
                  f"quota: HashSequenceStart {args.objects + 1} (over max-objects)")
        sessions = [must(rmlib.start_session(c), f"quota: StartAuthSession {i + 1} of "
                         f"{args.sessions}").session.handle for i in range(args.sessions)]
        expect_rc(rmlib.start_session(c), RM_LAYER | 0x903,
                  f"quota: StartAuthSession {args.sessions + 1} (over max-sessions)")
        rmlib.check_list(c, HR_TRANSIENT, seqs, "quota: its sequences")
        rmlib.check_list(c, HR_LOADED_SESSION, sessions, "quota: its sessions")
    print(f"quota on {os.path.basename(args.sock[0])}: exactly {args.objects} objects and "
          f"{args.sessions} sessions fit, one more of each is refused")


def main(argv):
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("mode", choices=["soak", "quota"])
    ap.add_argument("--sock", action="append", required=True)
    ap.add_argument("--kills", type=int, default=100)
    ap.add_argument("--objects", type=int, default=16)
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--parallel", type=int, default=16)
    ap.add_argument("--max-ops", type=int, default=30,
                    help="a client is killed after 1 to this many operations")
    ap.add_argument("--nv-index", type=lambda s: int(s, 0), default=0)
    ap.add_argument("--ctl", help="the control socket: one client in ten uses it")
    ap.add_argument("--proc-root", help="the daemon's --proc-root: one client in four is "
                    "in a pod of its own")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--rss-pid", type=int, help="print this process's VmRSS every --rss-every kills")
    ap.add_argument("--rss-every", type=int, default=100)
    ap.add_argument("--hang", type=float, default=float(os.environ.get("TPMPROXY_TEST_WAIT", 30)))
    args = ap.parse_args(argv[1:])
    if args.mode == "quota":
        try:
            quota(args)
        except Failure as e:
            print(f"soak-worker: FAILED: {e}", file=sys.stderr)
            return 1
        return 0
    if args.seed is None:
        args.seed = random.SystemRandom().getrandbits(32)
    print(f"seed {args.seed}", flush=True)
    d = Driver(args)
    # Stopped from outside (the test's clean-up): take the clients along.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        d.run()
    except Failure as e:
        d.stop()
        print(f"soak-worker: FAILED: {e}", file=sys.stderr)
        return 1
    except BaseException:
        d.stop()
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

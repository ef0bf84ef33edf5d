#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# tpm2-pytss ESAPI clients for sim-pytss.sh: a key holder over TCTILdr("swtpm"/"mssim", "path=SOCK") and an intruder using its handles.
"""Usage: sim-pytss-worker.py owner --tcti NAME:CONF [--signs N] [--ready FILE]
                             [--go FILE] [--loop] [--name NAME]
       sim-pytss-worker.py intruder --tcti NAME:CONF --handles H,H,... [--name NAME]

owner     in one ESAPI context: an ECC storage primary, an ECC signing key
          created and loaded under it, an HMAC session; --signs (5)
          signatures with the same three handles, each verified with the
          key's public part. Then writes --ready FILE (JSON: pid and the
          three TPM handles), waits for --go FILE to exist, signs --signs
          times more with the same handles and exits without flushing
          anything. With --loop it signs forever after --ready (until
          killed), printing 'iteration N'.
intruder  in one ESAPI context: Esys_TR_FromTPMPublic (TPM2_ReadPublic) on
          each object handle of --handles must fail with TPM_RC_HANDLE
          from the proxy (0x000B..8B): another process's objects are
          invisible to it.

Prints a summary line; exits 1 with a message on failure.
"""

import argparse
import hashlib
import json
import os
import sys
import time

os.environ.setdefault("TSS2_LOG", "all+none")

from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, utils  # noqa: E402
from tpm2_pytss import ESAPI, TCTILdr, TSS2_Exception  # noqa: E402
from tpm2_pytss.constants import (ESYS_TR, TPM2_ALG, TPM2_RH, TPM2_SE, TPM2_ST,  # noqa: E402
                                  TPMA_OBJECT, TPMA_SESSION)
from tpm2_pytss.types import (TPM2B_DIGEST, TPM2B_PUBLIC, TPMT_SIG_SCHEME,  # noqa: E402
                              TPMT_SYM_DEF, TPMT_TK_HASHCHECK)

WAIT = float(os.environ.get("TPMPROXY_TEST_WAIT", "30"))
RM_LAYER = 11 << 16
SCHEME = TPMT_SIG_SCHEME(scheme=TPM2_ALG.NULL)
TICKET = TPMT_TK_HASHCHECK(tag=TPM2_ST.HASHCHECK, hierarchy=TPM2_RH.NULL)
BASE = TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.SENSITIVEDATAORIGIN \
    | TPMA_OBJECT.USERWITHAUTH


class Failure(Exception):
    pass


def is_handle_error(rc):
    """A format-1 TPM_RC_HANDLE (any handle or session number) raised by
    the proxy (resource-manager layer)."""
    return rc & 0xFFFF0000 == RM_LAYER and rc & 0xBF == 0x8B


class Holder:
    def __init__(self, ectx):
        self.ectx = ectx
        storage = TPM2B_PUBLIC.parse(
            "ecc256:aes128cfb",
            objectAttributes=BASE | TPMA_OBJECT.RESTRICTED | TPMA_OBJECT.DECRYPT)
        self.primary, _, _, _, _ = ectx.create_primary(None, storage)
        signing = TPM2B_PUBLIC.parse("ecc256:ecdsa-sha256",
                                     objectAttributes=BASE | TPMA_OBJECT.SIGN_ENCRYPT)
        priv, pub, _, _, _ = ectx.create(self.primary, None, signing)
        self.key = ectx.load(self.primary, priv, pub)
        self.pub = serialization.load_pem_public_key(pub.to_pem())
        self.session = ectx.start_auth_session(
            tpm_key=ESYS_TR.NONE, bind=ESYS_TR.NONE, session_type=TPM2_SE.HMAC,
            symmetric=TPMT_SYM_DEF(algorithm=TPM2_ALG.NULL), auth_hash=TPM2_ALG.SHA256)
        ectx.trsess_set_attributes(self.session, TPMA_SESSION.CONTINUESESSION)
        self.signed = 0

    def handles(self):
        return {name: int(self.ectx.tr_get_tpm_handle(h)) for name, h in
                (("primary", self.primary), ("key", self.key), ("session", self.session))}

    def sign(self, what):
        digest = hashlib.sha256(f"{what} {self.signed}".encode()).digest()
        sig = self.ectx.sign(self.key, TPM2B_DIGEST(digest), SCHEME, TICKET,
                             session1=self.session)
        r = int.from_bytes(bytes(sig.signature.ecdsa.signatureR), "big")
        s = int.from_bytes(bytes(sig.signature.ecdsa.signatureS), "big")
        try:
            self.pub.verify(utils.encode_dss_signature(r, s), digest,
                            ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        except InvalidSignature:
            raise Failure(f"signature {self.signed} does not verify with the key's public "
                          "part: the TPM signed with another key")
        self.signed += 1


def write_ready(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.replace(tmp, path)


def wait_for_file(path):
    # Only detects a test that forgot its client: the shell decides when.
    deadline = time.monotonic() + WAIT * 4
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise Failure(f"{path} did not appear within {WAIT * 4:.0f}s")
        time.sleep(0.05)


def owner(ectx, args):
    h = Holder(ectx)
    for _ in range(args.signs):
        h.sign(args.name)
    if args.ready:
        write_ready(args.ready, dict(pid=os.getpid(), signed=h.signed, **h.handles()))
    if args.loop:
        i = 0
        while True:
            h.sign(args.name)
            i += 1
            print(f"iteration {i}", flush=True)
    if args.go:
        wait_for_file(args.go)
        for _ in range(args.signs):
            h.sign(args.name)
    hs = ", ".join(f"{k} 0x{v:08x}" for k, v in h.handles().items())
    return f"{h.signed} signatures with the same handles ({hs}), left for the daemon to free"


def intruder(ectx, args):
    seen = []
    for text in args.handles.split(","):
        handle = int(text, 0)
        try:
            tr = ectx.tr_from_tpmpublic(handle)
        except TSS2_Exception as e:
            if not is_handle_error(e.rc):
                raise Failure(f"TPM2_ReadPublic(0x{handle:08x}) of another process's object "
                              f"failed with 0x{e.rc:08x} ({e}), expected TPM_RC_HANDLE "
                              "from the proxy (0x000B..8B)")
            seen.append(f"0x{handle:08x}: 0x{e.rc:08x}")
            continue
        ectx.tr_close(tr)
        raise Failure(f"TPM2_ReadPublic(0x{handle:08x}) of another process's object succeeded")
    return "another process's objects refused: " + ", ".join(seen)


def main(argv):
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("mode", choices=["owner", "intruder"])
    ap.add_argument("--tcti", required=True)
    ap.add_argument("--name", default="pytss")
    ap.add_argument("--signs", type=int, default=5)
    ap.add_argument("--ready")
    ap.add_argument("--go")
    ap.add_argument("--loop", action="store_true")
    ap.add_argument("--handles")
    args = ap.parse_args(argv[1:])
    name, _, conf = args.tcti.partition(":")
    try:
        with ESAPI(TCTILdr(name, conf or None)) as ectx:
            out = owner(ectx, args) if args.mode == "owner" else intruder(ectx, args)
    except (Failure, TSS2_Exception) as e:
        print(f"{args.name}: FAILED: {e}", file=sys.stderr)
        return 1
    print(f"{args.name}: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

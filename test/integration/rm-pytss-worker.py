#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# tpm2-pytss ESAPI workloads for the resource-manager tests: many keys per client; a loop to be killed.
"""Usage: rm-pytss-worker.py MODE [--tcti NAME:CONF] [--name NAME] [options]

many-keys   create --keys ECC signing primaries (4), sign --rounds (10) times
            with each, verifying every signature locally with the key's
            public part (a key mixed up by the proxy signs with the wrong
            key), check that GetCapability(HANDLES) lists exactly its own
            keys, flush them (all but one, left for the disconnect).
kill-loop   --keys keys (2), an HMAC session (authorizes the signatures), a
            policy session (PolicyPCR); print 'ready', then loop: sign with
            every key, PolicyPCR, and now and then replace a key, replace
            the HMAC session, ContextSave/ContextLoad the policy session.
            Runs until killed, or --iterations loops (0: forever).

--tcti defaults to $CLIENT_TCTI. Prints a summary line; exits 1 with a
message on failure.
"""

import argparse
import hashlib
import os
import sys

os.environ.setdefault("TSS2_LOG", "all+none")

from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, utils  # noqa: E402
from tpm2_pytss import ESAPI, TCTILdr, TSS2_Exception  # noqa: E402
from tpm2_pytss.constants import (ESYS_TR, TPM2_ALG, TPM2_CAP, TPM2_RH, TPM2_SE,  # noqa: E402
                                  TPM2_ST, TPMA_OBJECT, TPMA_SESSION)
from tpm2_pytss.types import (TPM2B_DIGEST, TPM2B_PUBLIC, TPML_PCR_SELECTION,  # noqa: E402
                              TPMT_SIG_SCHEME, TPMT_SYM_DEF, TPMT_TK_HASHCHECK)


class Failure(Exception):
    pass


SCHEME = TPMT_SIG_SCHEME(scheme=TPM2_ALG.NULL)
TICKET = TPMT_TK_HASHCHECK(tag=TPM2_ST.HASHCHECK, hierarchy=TPM2_RH.NULL)


class Key:
    def __init__(self, ectx):
        attrs = (TPMA_OBJECT.SIGN_ENCRYPT | TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT
                 | TPMA_OBJECT.SENSITIVEDATAORIGIN | TPMA_OBJECT.USERWITHAUTH)
        template = TPM2B_PUBLIC.parse("ecc256:ecdsa-sha256", objectAttributes=attrs)
        template.publicArea.unique.ecc.x = os.urandom(32)  # a distinct key each time
        self.handle, public, _, _, _ = ectx.create_primary(None, template)
        self.pub = serialization.load_pem_public_key(public.to_pem())

    def sign(self, ectx, msg, session=ESYS_TR.PASSWORD):
        digest = hashlib.sha256(msg).digest()
        sig = ectx.sign(self.handle, TPM2B_DIGEST(digest), SCHEME, TICKET, session1=session)
        r = int.from_bytes(bytes(sig.signature.ecdsa.signatureR), "big")
        s = int.from_bytes(bytes(sig.signature.ecdsa.signatureS), "big")
        der = utils.encode_dss_signature(r, s)
        try:
            self.pub.verify(der, digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        except InvalidSignature:
            raise Failure(f"the signature of {msg!r} does not verify with the key's own "
                          "public part: the TPM signed with another key")


def own_transient(ectx):
    more, data = ectx.get_capability(TPM2_CAP.HANDLES, 0x80000000, 64)
    handles = sorted(int(h) for h in data.data.handles)
    if more:
        raise Failure(f"GetCapability(HANDLES) set moreData with {len(handles)} handles")
    return handles


def many_keys(ectx, args):
    keys = [Key(ectx) for _ in range(args.keys)]
    mine = sorted(int(ectx.tr_get_tpm_handle(k.handle)) for k in keys)
    listed = own_transient(ectx)
    if listed != mine:
        raise Failure(f"GetCapability(HANDLES) lists {[hex(h) for h in listed]}, "
                      f"its keys are {[hex(h) for h in mine]}")
    for r in range(args.rounds):
        for i, k in enumerate(keys):
            k.sign(ectx, f"{args.name} round {r} key {i}".encode())
    for k in keys[1:]:
        ectx.flush_context(k.handle)
    return f"{args.keys} keys x {args.rounds} rounds signed and verified"


def hmac_session(ectx):
    s = ectx.start_auth_session(tpm_key=ESYS_TR.NONE, bind=ESYS_TR.NONE,
                                session_type=TPM2_SE.HMAC,
                                symmetric=TPMT_SYM_DEF(algorithm=TPM2_ALG.NULL),
                                auth_hash=TPM2_ALG.SHA256)
    ectx.trsess_set_attributes(s, TPMA_SESSION.CONTINUESESSION)
    return s


def kill_loop(ectx, args):
    keys = [Key(ectx) for _ in range(args.keys)]
    hs = hmac_session(ectx)
    ps = ectx.start_auth_session(tpm_key=ESYS_TR.NONE, bind=ESYS_TR.NONE,
                                 session_type=TPM2_SE.POLICY,
                                 symmetric=TPMT_SYM_DEF(algorithm=TPM2_ALG.NULL),
                                 auth_hash=TPM2_ALG.SHA256)
    pcrs = TPML_PCR_SELECTION.parse("sha256:0")
    print("ready", flush=True)
    i = 0
    while args.iterations == 0 or i < args.iterations:
        for n, k in enumerate(keys):
            k.sign(ectx, f"{args.name} {i} {n}".encode(), hs)
        ectx.policy_pcr(ps, TPM2B_DIGEST(), pcrs)
        if i % 3 == 1:
            ectx.flush_context(keys[0].handle)
            keys = keys[1:] + [Key(ectx)]
        if i % 4 == 2:
            ectx.flush_context(hs)
            hs = hmac_session(ectx)
        if i % 5 == 3:
            ps = ectx.context_load(ectx.context_save(ps))
            ectx.policy_get_digest(ps)
        i += 1
        print(f"iteration {i}", flush=True)
    return f"{i} iterations with {args.keys} keys, an HMAC and a policy session"


def main(argv):
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("mode", choices=["many-keys", "kill-loop"])
    ap.add_argument("--tcti", default=os.environ.get("CLIENT_TCTI"))
    ap.add_argument("--name", default="worker")
    ap.add_argument("--keys", type=int)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--iterations", type=int, default=0)
    args = ap.parse_args(argv[1:])
    if not args.tcti:
        print(f"{args.name}: no TCTI: pass --tcti or set CLIENT_TCTI", file=sys.stderr)
        return 2
    name, _, conf = args.tcti.partition(":")
    try:
        with ESAPI(TCTILdr(name, conf or None)) as ectx:
            if args.mode == "many-keys":
                args.keys = args.keys or 4
                out = many_keys(ectx, args)
            else:
                args.keys = args.keys or 2
                out = kill_loop(ectx, args)
    except (Failure, TSS2_Exception) as e:
        print(f"{args.name}: FAILED: {e}", file=sys.stderr)
        return 1
    print(f"{args.name}: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

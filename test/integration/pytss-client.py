#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# tpm2-pytss ESAPI client for the integration suite and demo: random, ECC sign/verify, hash, PCRs, sessions.
"""Usage: pytss-client.py [--tcti NAME:CONF] [--light] [--iterations N] [--name NAME]

--tcti        TCTI to use (default $CLIENT_TCTI, else $TPM2TOOLS_TCTI)
--light       skip the ECC primary key (no transient object slot used)
--iterations  repeat the whole sequence N times (default 1)
--keep-key    do not flush the primary key (the proxy must flush it at exit)

Prints one summary line; exits 0 on success, 1 with a message on failure.
"""

import argparse
import os
import sys

# The expected failure (tampered signature) would log ESYS warnings; errors
# still surface as exceptions. TSS2_LOG from the caller wins.
os.environ.setdefault("TSS2_LOG", "all+none")

from tpm2_pytss import ESAPI, TCTILdr, TSS2_Exception
from tpm2_pytss.constants import ESYS_TR, TPM2_ALG, TPM2_RC, TPM2_SE, TPMA_OBJECT
from tpm2_pytss.types import TPM2B_PUBLIC, TPMT_SIG_SCHEME, TPMT_SYM_DEF


class Failure(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Failure(what)


def signing_key(ectx):
    attrs = (TPMA_OBJECT.SIGN_ENCRYPT | TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT
             | TPMA_OBJECT.SENSITIVEDATAORIGIN | TPMA_OBJECT.USERWITHAUTH)
    public = TPM2B_PUBLIC.parse("ecc256:ecdsa-sha256", objectAttributes=attrs)
    handle, pub, _, _, _ = ectx.create_primary(None, public)
    expect(pub.publicArea.type == TPM2_ALG.ECC, "create_primary did not return an ECC key")
    return handle


def sign_and_verify(ectx, key):
    digest, ticket = ectx.hash(b"signed through tpmproxyd", TPM2_ALG.SHA256, ESYS_TR.OWNER)
    expect(len(bytes(digest)) == 32, f"hash returned {len(bytes(digest))} bytes")
    scheme = TPMT_SIG_SCHEME(scheme=TPM2_ALG.NULL)
    signature = ectx.sign(key, digest, scheme, ticket)
    ectx.verify_signature(key, digest, signature)
    tampered = bytes([bytes(digest)[0] ^ 1]) + bytes(digest)[1:]
    try:
        ectx.verify_signature(key, tampered, signature)
    except TSS2_Exception as e:
        expect(e.error == TPM2_RC.SIGNATURE,
               f"verify of a tampered digest failed with {e}, expected TPM_RC_SIGNATURE")
    else:
        raise Failure("verify_signature accepted a tampered digest")


def policy_session(ectx):
    session = ectx.start_auth_session(
        tpm_key=ESYS_TR.NONE, bind=ESYS_TR.NONE, session_type=TPM2_SE.POLICY,
        symmetric=TPMT_SYM_DEF(algorithm=TPM2_ALG.NULL), auth_hash=TPM2_ALG.SHA256)
    digest = ectx.policy_get_digest(session)
    expect(bytes(digest) == b"\0" * 32, "a fresh policy session has a non-zero digest")
    ectx.flush_context(session)


def run_once(ectx, light, keep_key):
    random = bytes(ectx.get_random(16))
    expect(len(random) == 16, f"get_random(16) returned {len(random)} bytes")
    _, _, values = ectx.pcr_read("sha256:0,1,2")
    expect(len(values) == 3, f"pcr_read returned {len(values)} digests, expected 3")
    policy_session(ectx)
    if not light:
        key = signing_key(ectx)
        sign_and_verify(ectx, key)
        if not keep_key:
            ectx.flush_context(key)
    return random


def main(argv):
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("--tcti", default=os.environ.get("CLIENT_TCTI")
                    or os.environ.get("TPM2TOOLS_TCTI"))
    ap.add_argument("--light", action="store_true")
    ap.add_argument("--keep-key", action="store_true")
    ap.add_argument("--iterations", type=int, default=1)
    ap.add_argument("--name", default="pytss")
    args = ap.parse_args(argv[1:])
    if not args.tcti:
        print(f"{args.name}: no TCTI: pass --tcti or set CLIENT_TCTI", file=sys.stderr)
        return 2
    name, _, conf = args.tcti.partition(":")
    try:
        with ESAPI(TCTILdr(name, conf or None)) as ectx:
            for _ in range(args.iterations):
                random = run_once(ectx, args.light, args.keep_key)
    except (Failure, TSS2_Exception) as e:
        print(f"{args.name}: FAILED: {e}", file=sys.stderr)
        return 1
    ops = "get_random, pcr_read, policy session"
    if not args.light:
        ops += ", ECC create_primary, hash, sign, verify (+ tampered rejected)"
    print(f"{args.name}: {args.iterations}x [{ops}] ok; random={random.hex()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

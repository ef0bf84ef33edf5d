#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# TCP client of tpmproxy-bridge for test/integration/bridge.sh: raw TPM commands and connection-closing checks.
"""Usage: bridge-client.py HOST PORT SCENARIO [ARG]

Scenarios (each prints one line and exits 0, or says what failed on stderr
and exits 1; every wait is bounded by RAW_CLIENT_TIMEOUT, 30 s by default):
  getrandom        one connection, TPM2_GetRandom(16) as raw bytes
  closed           the bridge accepts, then closes without a byte
  hold READY       GetRandom, then write the local port to READY and wait
                   until the far side closes (no byte may come)
  limit N          N connections relayed at once (GetRandom on each); one
                   more is closed at once; after one of the N closes, a new
                   connection is relayed again
"""

import importlib.util
import os
import socket
import sys
import time

sys.dont_write_bytecode = True
_spec = importlib.util.spec_from_file_location(
    "raw_client", os.path.join(os.path.dirname(os.path.abspath(__file__)), "raw-client.py"))
raw = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(raw)
Failure = raw.Failure


def connect(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(raw.TIMEOUT)
    try:
        s.connect((host, port))
    except OSError as e:
        s.close()
        raise Failure(f"cannot connect to {host} port {port}: {e}")
    return s


def get_random(s, what, n=16):
    return raw.check_random(*raw.transact(s, raw.get_random(n), what), n, what)


def sc_getrandom(host, port, _arg):
    with connect(host, port) as s:
        print(f"bridge: GetRandom(16)={get_random(s, 'GetRandom through the bridge').hex()}")


def sc_closed(host, port, _arg):
    with connect(host, port) as s:
        secs = raw.expect_closed_without_response(s, "a connection the bridge cannot relay")
    print(f"bridge: closed the connection after {secs:.3f}s without a byte")


def sc_hold(host, port, ready):
    with connect(host, port) as s:
        get_random(s, "GetRandom before holding")
        with open(ready + ".tmp", "w", encoding="ascii") as f:
            f.write(f"{s.getsockname()[1]}\n")
        os.rename(ready + ".tmp", ready)
        secs = raw.expect_closed_without_response(s, "a held connection")
    print(f"bridge: the held connection was closed {secs:.3f}s after it was ready")


def sc_limit(host, port, arg):
    n = int(arg)
    held = []
    try:
        for i in range(n):
            s = connect(host, port)
            held.append(s)
            get_random(s, f"connection {i + 1} of {n}")
        with connect(host, port) as s:
            raw.expect_closed_without_response(s, f"connection {n + 1} over the limit")
        held.pop().close()
        # The bridge sees that close asynchronously: retry until relayed.
        deadline = time.monotonic() + raw.TIMEOUT
        tries = 0
        while True:
            tries += 1
            with connect(host, port) as s:
                try:
                    get_random(s, "a connection after one closed")
                    break
                except Failure:
                    if time.monotonic() > deadline:
                        raise
            time.sleep(0.05)
    finally:
        for s in held:
            s.close()
    print(f"bridge: {n} relayed, one more closed at once; relayed again after one "
          f"closed ({tries} tries)")


SCENARIOS = {"getrandom": sc_getrandom, "closed": sc_closed, "hold": sc_hold,
             "limit": sc_limit}


def main():
    if len(sys.argv) < 4 or sys.argv[3] not in SCENARIOS:
        sys.exit(__doc__)
    host, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    try:
        SCENARIOS[name](host, port, sys.argv[4] if len(sys.argv) > 4 else None)
    except (Failure, OSError) as e:
        print(f"bridge-client: {name}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

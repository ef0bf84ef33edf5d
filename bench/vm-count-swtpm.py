#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Count the TPM commands swtpm received, from its log at level 20.

swtpm (0.7) started with --log file=PATH,level=20 writes, for every
command on its data channel, a line " SWTPM_IO_Read: length N" followed by
the command as hex bytes, 16 per line (and " SWTPM_IO_Write: length N" for
the response); control-channel traffic is logged as " Ctrl Cmd:" and is
not a TPM command. That log is the TPM's own view: in a VM guest it also
shows the commands the kernel's resource manager (/dev/tpmrm0) sends on its
own, which no TCTI in the guest ever sees.

--from/--to restrict the count to commands whose line starts at a byte
offset in [FROM, TO), e.g. the log_start/log_end sizes bench/loadgen -L
samples at the boundaries of its measured phase. Prints
"commands=N by_code=Name:n,..." like bench/count-pcap.py, or JSON.
"""
import argparse
import importlib.util
import json
import os
import re
import sys

READ = re.compile(rb"^ SWTPM_IO_Read: length (\d+)$")
HEX = re.compile(rb"^ ((?:[0-9A-Fa-f]{2} )+)$")


def cc_names():
    """Command code names shared with bench/count-pcap.py."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "count-pcap.py")
    spec = importlib.util.spec_from_file_location("count_pcap", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.CC_NAMES


def count(data, start=0, end=None, names=None):
    """Commands whose log entry starts in [start, end) of data (bytes)."""
    names = names or {}
    result = {"commands": 0, "by_code": {}}
    end = len(data) if end is None else min(end, len(data))
    off = start
    if off > 0 and data[off - 1:off] != b"\n":
        nl = data.find(b"\n", off)	# not at a line start: skip the rest
        off = end if nl < 0 else nl + 1
    pending = None		# a command's header seen, its bytes not yet
    while off < end:
        nl = data.find(b"\n", off)
        if nl < 0:
            break		# a line still being written
        line = data[off:nl]
        off = nl + 1
        if pending is not None:
            m = HEX.match(line + b" ") or HEX.match(line)
            raw = bytes.fromhex(m.group(1).decode()) if m else b""
            if len(raw) >= 10:
                cc = int.from_bytes(raw[6:10], "big")
                name = names.get(cc, "0x%08x" % cc)
            else:
                name = "short"
            result["by_code"][name] = result["by_code"].get(name, 0) + 1
            pending = None
            continue
        if READ.match(line):
            result["commands"] += 1
            pending = True
    if pending is not None:
        result["by_code"]["unknown"] = result["by_code"].get("unknown", 0) + 1
    return result


def format_line(result):
    codes = ",".join("%s:%d" % kv for kv in sorted(
        result["by_code"].items(), key=lambda kv: (-kv[1], kv[0])))
    return "commands=%d by_code=%s" % (result["commands"], codes or "-")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("log")
    ap.add_argument("--from", dest="start", type=int, default=0)
    ap.add_argument("--to", dest="end", type=int, default=None)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    try:
        with open(args.log, "rb") as f:
            data = f.read()
    except OSError as e:
        print("vm-count-swtpm: %s" % e, file=sys.stderr)
        return 1
    result = count(data, args.start, args.end, cc_names())
    print(json.dumps(result, sort_keys=True) if args.json
          else format_line(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

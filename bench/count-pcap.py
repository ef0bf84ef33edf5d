#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Count TPM commands in a capture written by tpm2-tss's pcap: TCTI.

tcti-pcap (TCTI_PCAP_FILE=path, conf "pcap:CHILD_TCTI") appends to a
pcapng file: a Section Header Block and an Interface Description Block
(link type 228, raw IPv4) each time a TCTI context is initialised, then one
Enhanced Packet Block per TPM command (synthetic IPv4/TCP, source port 50000
-> destination port 2321) and one per TPM response (2321 -> 50000). A
command is logged in Transmit before it goes to the child TCTI, a response
only when the child received it successfully.

--from/--to restrict the count to blocks that start at a file offset in
[FROM, TO) -- e.g. the pcap_start/pcap_end sizes that loadgen
samples at the start and end of its measured phase. Offsets must be block
boundaries (file sizes sampled while nothing is being written are). The
capture's first section header and interfaces apply from FROM on, and
parsing starts there: a capture of a whole benchmark run is large, and it
is counted once per measured phase.

Prints one line of key=value pairs: commands, responses, and the commands
per command code (by TPM 2.0 name where known), or JSON with --json.
"""
import argparse
import json
import mmap
import struct
import sys

SHB = 0x0A0D0D0A
IDB = 0x00000001
EPB = 0x00000006
SPB = 0x00000003
BYTE_ORDER_MAGIC = 0x1A2B3C4D
LINKTYPE_IPV4 = 228
LINKTYPE_RAW = 101
HOST_PORT = 50000
TPM_PORT = 2321

# Command codes a resource manager issues, plus the ones benchmarks use.
CC_NAMES = {
    0x0000011F: "NV_UndefineSpaceSpecial", 0x0000012A: "NV_DefineSpace",
    0x00000131: "CreatePrimary", 0x00000144: "Startup",
    0x00000145: "Shutdown", 0x00000153: "Create", 0x00000157: "Load",
    0x0000015D: "Sign", 0x00000161: "ContextLoad", 0x00000162: "ContextSave",
    0x00000165: "FlushContext", 0x00000173: "ReadPublic",
    0x00000176: "StartAuthSession", 0x0000017A: "GetCapability",
    0x0000017B: "GetRandom", 0x0000017E: "PCR_Read", 0x00000186: "TestParms",
}


class PcapError(Exception):
    pass


def tcp_payload(packet, linktype):
    """(src_port, dst_port, payload) of an IPv4/TCP packet, or None."""
    if linktype not in (LINKTYPE_IPV4, LINKTYPE_RAW) or len(packet) < 20:
        return None
    if packet[0] >> 4 != 4:
        return None
    ihl = (packet[0] & 0x0F) * 4
    total = struct.unpack_from(">H", packet, 2)[0]
    if packet[9] != 6 or len(packet) < ihl + 20:
        return None
    tcp = packet[ihl:min(total, len(packet))]
    src, dst = struct.unpack_from(">HH", tcp, 0)
    doff = (tcp[12] >> 4) * 4
    return src, dst, tcp[doff:]


def prelude(data):
    """(endian, linktypes, offset) after the first section's header and
    interface blocks, i.e. at its first packet."""
    off, endian, linktypes = 0, "<", []
    while off + 12 <= len(data):
        btype = struct.unpack_from(endian + "I", data, off)[0]
        if btype == SHB:
            if data[off + 8:off + 12] == struct.pack(">I", BYTE_ORDER_MAGIC):
                endian = ">"
        elif btype != IDB:
            break
        blen = struct.unpack_from(endian + "I", data, off + 4)[0]
        if blen < 12 or blen % 4 or off + blen > len(data):
            break
        if btype == IDB:
            linktypes.append(struct.unpack_from(
                endian + "H", data, off + 8)[0])
        off += blen
    return endian, linktypes, off


def frames(data, start=0):
    """Yield (offset, direction, tpm_bytes) for every TPM frame in a capture,
    from the block at offset start on.

    direction is "cmd" (host -> TPM) or "rsp" (TPM -> host)."""
    if len(data) >= 4 and struct.unpack_from("<I", data, 0)[0] in (
            0xA1B2C3D4, 0xD4C3B2A1, 0xA1B23C4D, 0x4D3CB2A1):
        yield from classic_frames(data)
        return
    off, endian, linktypes = 0, "<", []
    if start > 0:
        endian, linktypes, first = prelude(data)
        off = max(start, first)
    while off + 12 <= len(data):
        btype = struct.unpack_from(endian + "I", data, off)[0]
        if btype == SHB:
            magic = data[off + 8:off + 12]
            if magic == struct.pack("<I", BYTE_ORDER_MAGIC):
                endian = "<"
            elif magic == struct.pack(">I", BYTE_ORDER_MAGIC):
                endian = ">"
            else:
                raise PcapError("bad section header at offset %d" % off)
            linktypes = []
        blen = struct.unpack_from(endian + "I", data, off + 4)[0]
        if blen < 12 or blen % 4:
            raise PcapError("bad block length %d at offset %d" % (blen, off))
        if off + blen > len(data):
            break  # the last block is still being written
        body = data[off + 8:off + blen - 4]
        if btype == IDB:
            linktypes.append(struct.unpack_from(endian + "H", body, 0)[0])
        elif btype == EPB:
            iface, _th, _tl, caplen, _olen = struct.unpack_from(
                endian + "IIIII", body, 0)
            if iface >= len(linktypes):
                raise PcapError("packet for unknown interface at %d" % off)
            got = tcp_payload(body[20:20 + caplen], linktypes[iface])
            if got is not None:
                yield (off,) + classify(*got)
        elif btype == SPB and linktypes:
            got = tcp_payload(body[4:], linktypes[0])
            if got is not None:
                yield (off,) + classify(*got)
        off += blen


def classic_frames(data):
    """The same for a classic libpcap file (not what tcti-pcap writes)."""
    magic = data[0:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    linktype = struct.unpack_from(endian + "I", data, 20)[0]
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack_from(endian + "I", data, off + 8)[0]
        if off + 16 + caplen > len(data):
            break
        got = tcp_payload(data[off + 16:off + 16 + caplen], linktype)
        if got is not None:
            yield (off,) + classify(*got)
        off += 16 + caplen


def classify(src, dst, payload):
    if dst == TPM_PORT and src != TPM_PORT:
        return "cmd", payload
    if src == TPM_PORT and dst != TPM_PORT:
        return "rsp", payload
    return "other", payload


def count(data, start=0, end=None):
    result = {"commands": 0, "responses": 0, "by_code": {}}
    for off, direction, payload in frames(data, start):
        if end is not None and off >= end:
            break
        if off < start:
            continue
        if direction == "cmd":
            result["commands"] += 1
            if len(payload) >= 10:
                cc = struct.unpack_from(">I", payload, 6)[0]
                name = CC_NAMES.get(cc, "0x%08x" % cc)
            else:
                name = "short"
            result["by_code"][name] = result["by_code"].get(name, 0) + 1
        elif direction == "rsp":
            result["responses"] += 1
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pcap")
    ap.add_argument("--from", dest="start", type=int, default=0,
                    help="count blocks starting at or after this offset")
    ap.add_argument("--to", dest="end", type=int, default=None,
                    help="count blocks starting before this offset")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    try:
        with open(args.pcap, "rb") as f:
            try:
                data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            except ValueError:  # an empty file cannot be mapped
                data = b""
        result = count(data, args.start, args.end)
    except (OSError, PcapError) as e:
        print("count-pcap: %s: %s" % (args.pcap, e), file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        codes = ",".join("%s:%d" % kv for kv in
                         sorted(result["by_code"].items(),
                                key=lambda kv: (-kv[1], kv[0])))
        print("commands=%d responses=%d by_code=%s" % (
            result["commands"], result["responses"], codes or "-"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

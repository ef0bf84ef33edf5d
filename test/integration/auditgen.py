#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# Write audit logs with a SHA-256 chain computed here (hashlib, not the
# daemon's code), intact and broken in known ways, for audit-verify.sh.
"""usage: auditgen.py DIR

Writes into DIR, with the expected verdict of each case in DIR/cases:
one line per case, "NAME|ARGS|EXIT|EXPECTED OUTPUT", ARGS being the
audit-verify arguments (file names relative to DIR).
"""
import hashlib
import json
import os
import sys

ZEROS = "0" * 64
N = 12


def body(i):
    """The fields after prev of record i: a mix of events and strings."""
    rec = {
        "time": "2026-11-25T08:00:%02d.%06dZ" % (i, 1000 * i + 7),
        "event": ["connect", "command", "denied", "quota", "disconnect"][i % 5],
        "socket": "pod-sock",
        "pod": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        "uid": 1000 + i, "gid": 1000, "pid": 4000 + i, "conn": 1 + i // 5,
    }
    if rec["event"] in ("command", "denied"):
        rec.update({"command": "TPM2_CC_Sign", "cc": "0x0000015d",
                    "handles": ["0x80000000"], "rc": "0x00000000",
                    "rc_text": "tpm:success", "duration_us": 800 + i})
    if i % 4 == 3:
        rec["detail"] = 'nasty "quotes" \\ \x01\t\n caf\u00e9 \U0001F600'
    text = json.dumps(rec, ensure_ascii=(i % 2 == 0), separators=(",", ":"))
    return text[1:]  # without "{": the line is {"prev":"...",<body>


def chain(n, prev=ZEROS):
    """n lines, the first chained to prev; bytes without newlines."""
    lines = []
    for i in range(n):
        line = ('{"prev":"%s",' % prev + body(i)).encode()
        lines.append(line)
        prev = hashlib.sha256(line).hexdigest()
    return lines


def write(d, name, lines, newline_at_end=True):
    """One file of lines."""
    data = b"\n".join(lines) + (b"\n" if newline_at_end and lines else b"")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    d = sys.argv[1]
    lines = chain(N)
    # Sanity: what we made is JSON, prev first, chained.
    prev = ZEROS
    for line in lines:
        obj = json.loads(line.decode("utf-8"))
        assert list(obj)[0] == "prev" and obj["prev"] == prev
        prev = hashlib.sha256(line).hexdigest()

    cases = []

    def case(name, args, status, out):
        cases.append("%s|%s|%d|%s" % (name, args, status, out))

    write(d, "good.log", lines)
    case("good", "--from-start good.log", 0, "%d lines in 1 files verified" % N)

    # Rotated three times: each file's first line chains to the one before.
    write(d, "rot.log.2", lines[:4])
    write(d, "rot.log.1", lines[4:9])
    write(d, "rot.log", lines[9:])
    write(d, "empty.log", [])
    case("rotation", "--from-start rot.log.2 rot.log.1 rot.log", 0,
         "%d lines in 3 files verified" % N)
    case("rotation-empty-between", "rot.log.2 empty.log rot.log.1 rot.log", 0,
         "%d lines in 4 files verified" % N)
    case("rotation-wrong-order", "rot.log.1 rot.log.2 rot.log", 1,
         "rot.log.2:1: prev is not the SHA-256 of the previous file's last line")
    case("rotation-file-missing", "rot.log.2 rot.log", 1,
         "rot.log:1: prev is not the SHA-256 of the previous file's last line")
    case("rotated-alone", "rot.log.1", 0, "5 lines in 1 files verified")
    case("rotated-alone-from-start", "--from-start rot.log.1", 1,
         "rot.log.1:1: prev is not zeros: not the log's first line")

    # Line 5 edited, still JSON: line 6's prev gives it away.
    edited = list(lines)
    edited[4] = edited[4].replace(b'"uid":1004', b'"uid":0')
    assert edited[4] != lines[4]
    write(d, "edited.log", edited)
    case("edited", "--from-start edited.log", 1,
         "edited.log:6: prev is not the SHA-256 of the line before")

    # The last line edited: nothing follows to tell; the chain cannot.
    last = list(lines)
    last[-1] = last[-1].replace(b'"uid":1011', b'"uid":0')
    write(d, "edited-last.log", last)
    case("edited-last", "edited-last.log", 0, "%d lines in 1 files verified" % N)

    # Line 5 no longer JSON: caught on the line itself.
    broken = list(lines)
    broken[4] = broken[4][:-1] + b","
    write(d, "broken.log", broken)
    case("broken-json", "broken.log", 1,
         "broken.log:5: invalid JSON: a string was expected")

    # Line 5 deleted: line 6, now the 5th, does not chain.
    write(d, "deleted.log", lines[:4] + lines[5:])
    case("deleted", "deleted.log", 1,
         "deleted.log:5: prev is not the SHA-256 of the line before")
    # The first line deleted: only --from-start can tell.
    write(d, "deleted-first.log", lines[1:])
    case("deleted-first", "--from-start deleted-first.log", 1,
         "deleted-first.log:1: prev is not zeros: not the log's first line")

    # Lines 7 and 8 swapped.
    write(d, "reordered.log", lines[:6] + [lines[7], lines[6]] + lines[8:])
    case("reordered", "reordered.log", 1,
         "reordered.log:7: prev is not the SHA-256 of the line before")

    # Truncated: in the middle of the last line, or just its newline.
    write(d, "truncated.log", lines[:-1] + [lines[-1][:40]], False)
    case("truncated", "truncated.log", 1,
         "truncated.log:%d: incomplete line: no newline at the end of the file" % N)
    write(d, "no-newline.log", lines, False)
    case("no-newline", "no-newline.log", 1,
         "no-newline.log:%d: incomplete line: no newline at the end of the file" % N)

    # prev in capitals, or one digit short.
    upper = list(lines)
    upper[2] = upper[2][:9] + upper[2][9:73].upper() + upper[2][73:]
    write(d, "upper.log", upper)
    case("prev-uppercase", "upper.log", 1,
         "upper.log:3: prev is not 64 lowercase hex digits")
    short = list(lines)
    short[2] = short[2][:9] + short[2][10:]
    write(d, "short.log", short)
    case("prev-short", "short.log", 1,
         "short.log:3: prev is not 64 lowercase hex digits")

    # Not UTF-8 inside a string.
    bad = list(lines)
    bad[1] = bad[1].replace(b"pod-sock", b"pod-\xffsock")
    write(d, "not-utf8.log", bad)
    case("not-utf8", "not-utf8.log", 1, "not-utf8.log:2: not UTF-8")

    # A line that is not an audit line at all.
    write(d, "foreign.log", lines[:3] + [b'{"time":"x"}'] + lines[3:])
    case("foreign", "foreign.log", 1,
         'foreign.log:4: not an audit line: it does not begin with {"prev":"')

    with open(os.path.join(d, "cases"), "w") as f:
        f.write("\n".join(cases) + "\n")


if __name__ == "__main__":
    main()

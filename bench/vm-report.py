#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Turn what bench/vm-guest.sh measured into bench/RESULTS-tpmrm.md.

With --share DIR (the directory the guest wrote: raw.txt, the pcap
captures, swtpm.log) every result line gets its TPM commands counted twice:
tpm_cmds/tpm_by_code from swtpm's own log (every command the TPM received,
the kernel resource manager's too) and pcap_cmds/pcap_by_code from the
contender's pcap: capture (what passed a TCTI in the guest). The counted
lines are written to --raw-out, from which --raw remakes the report.
Medians over rounds; ratios per round (adjacent runs), then their median,
as in bench/report.py, whose helpers this uses.
"""
import argparse
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import report as R  # noqa: E402  bench/report.py


def load(name, file):
    spec = importlib.util.spec_from_file_location(name,
                                                  os.path.join(HERE, file))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


CONTENDERS = [
    ("direct-tpm0", "/dev/tpm0 direct (1 client)"),
    ("relay-tpm0", "relay on /dev/tpm0 (floor, 1 client)"),
    ("kernel-tpmrm", "kernel /dev/tpmrm0"),
    ("tpmproxyd-tcti", "tpmproxyd, tcti-proxy"),
    ("tpmproxyd-raw", "tpmproxyd, raw socket"),
    ("tpmproxyd-alt", "tpmproxyd, other build, tcti-proxy"),
]
WORKLOADS = [
    ("getrandom", "GetRandom(16)",
     "TPM2_GetRandom of 16 bytes through the TCTI (no ESAPI); the raw "
     "client writes the same bytes to tpmproxyd's socket."),
    ("sign", "Sign, one loaded key",
     "Esys_Sign (password) with one ECC P-256 key made persistent once, "
     "shared by every client; the raw client sends the same TPM2_Sign "
     "bytes. A persistent key needs no swapping in either resource "
     "manager."),
    ("sign-own", "Sign, each client holding its own key",
     "Esys_Sign with the client's own transient primary P-256 key. The "
     "kernel's resource manager loads every object of a file descriptor "
     "before each command and saves and flushes it after (at most 3 per "
     "descriptor); tpmproxyd keeps keys resident and swaps only when the "
     "TPM's 3 slots (2, with one kept free by default) run out."),
]
RATIOS = [
    ("p50: tcti-proxy ÷ tpmrm0", "tpmproxyd-tcti", "kernel-tpmrm", "p50_us"),
    ("p50: raw ÷ tpmrm0", "tpmproxyd-raw", "kernel-tpmrm", "p50_us"),
    ("ops/s: tcti-proxy ÷ tpmrm0", "tpmproxyd-tcti", "kernel-tpmrm",
     "ops_s"),
    ("ops/s: raw ÷ tpmrm0", "tpmproxyd-raw", "kernel-tpmrm", "ops_s"),
    ("p50: tpmrm0 ÷ tpm0", "kernel-tpmrm", "direct-tpm0", "p50_us"),
    ("p50: tcti-proxy ÷ tpm0", "tpmproxyd-tcti", "direct-tpm0", "p50_us"),
    ("p50: raw ÷ tpm0", "tpmproxyd-raw", "direct-tpm0", "p50_us"),
    ("p50: relay ÷ tpm0", "relay-tpm0", "direct-tpm0", "p50_us"),
    ("p50: tcti-proxy ÷ relay", "tpmproxyd-tcti", "relay-tpm0", "p50_us"),
    ("ops/s: other build ÷ tpmrm0", "tpmproxyd-alt", "kernel-tpmrm",
     "ops_s"),
    ("ops/s: other build ÷ this one", "tpmproxyd-alt", "tpmproxyd-tcti",
     "ops_s"),
]


def count_all(raw_in, share, raw_out):
    """Add the swtpm-log and pcap counts to every result line."""
    swlog = load("vm_count_swtpm", "vm-count-swtpm.py")
    pcapc = load("count_pcap", "count-pcap.py")
    names = pcapc.CC_NAMES
    with open(os.path.join(share, "swtpm.log"), "rb") as f:
        log = f.read()
    caps = {}
    out = []
    with open(raw_in, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            d = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
            if "log_start" in d and int(d["log_start"]) >= 0:
                c = swlog.count(log, int(d["log_start"]), int(d["log_end"]),
                                names)
                line += " tpm_cmds=%d tpm_by_code=%s" % (
                    c["commands"], swlog.format_line(c).split("by_code=")[1])
            cap = d.get("pcap")
            if cap and "pcap_start" in d and int(d["pcap_start"]) >= 0:
                if cap not in caps:
                    try:
                        with open(os.path.join(share, cap), "rb") as f:
                            caps[cap] = f.read()
                    except OSError:
                        caps[cap] = None
                if caps[cap] is not None:
                    c = pcapc.count(caps[cap], int(d["pcap_start"]),
                                    int(d["pcap_end"]))
                    codes = ",".join("%s:%d" % kv for kv in sorted(
                        c["by_code"].items(), key=lambda kv: (-kv[1], kv[0])))
                    line += " pcap_cmds=%d pcap_by_code=%s" % (
                        c["commands"], codes or "-")
            out.append(line)
    with open(raw_out, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


def per_cmd(rs, key):
    """Median over rounds of TPM commands (key) per client command, and
    the rounds' values."""
    vals = [R.num(r, key) / R.num(r, "client_cmds") for r in rs
            if R.ok(r) and R.num(r, key) is not None and R.num(r, "client_cmds")]
    return R.median(vals), vals


def codes_per_cmd(rs, key):
    """TPM commands by code per client command, summed over the rounds."""
    total, by = 0, {}
    for r in rs:
        if not R.ok(r) or not R.num(r, "client_cmds") or r.get(key, "-") == "-":
            continue
        total += R.num(r, "client_cmds")
        for item in r[key].split(","):
            name, _, n = item.rpartition(":")
            by[name] = by.get(name, 0) + int(n)
    if not total:
        return ""
    return ", ".join("%s %s" % (n, "%.2f" % (v / total) if v / total >= 0.005
                                else "<0.01")
                     for n, v in sorted(by.items(), key=lambda kv: -kv[1]))


def cell(runs, skips, key, metric):
    if key in skips:
        return "n/a: " + skips[key] if metric == "ops/s" else ""
    rs = runs.get(key)
    if not rs:
        return "–"
    good = [r for r in rs if R.ok(r)]
    if not good:
        return "failed" if metric == "ops/s" else ""
    gk = {key: good}
    if metric == "ops/s":
        return R.fmt(R.med(gk, key, "ops_s"))
    if metric == "ops/s per round":
        return " / ".join(R.fmt(R.num(r, "ops_s")) for r in rs)
    if metric == "p50 ms":
        v = R.med(gk, key, "p50_us")
        return R.fmt(v / 1000 if v is not None else None, 2)
    if metric == "mean ms":
        v = R.med(gk, key, "mean_us")
        return R.fmt(v / 1000 if v is not None else None, 2)
    if metric == "p99 ms":
        v = R.med(gk, key, "p99_us")
        return R.fmt(v / 1000 if v is not None else None, 2)
    if metric == "TPM cmds per op (swtpm log)":
        v, _ = per_cmd(rs, "tpm_cmds")
        return "**%.2f**" % v if v is not None else "–"
    if metric == "… by code":
        return codes_per_cmd(rs, "tpm_by_code")
    if metric == "TPM cmds per op (pcap in guest)":
        v, _ = per_cmd(rs, "pcap_cmds")
        return "%.2f" % v if v is not None else "–"
    if metric == "CPU µs per op: clients, daemon":
        vals = [R.med(gk, key, k) for k in ("cpu_client_us_op",
                                             "cpu_daemon_us_op")]
        return " / ".join("–" if v is None or v < 0 else "%.0f" % v
                          for v in vals)
    return ""


METRICS = ["ops/s", "ops/s per round", "p50 ms", "mean ms", "p99 ms",
           "TPM cmds per op (swtpm log)", "… by code",
           "TPM cmds per op (pcap in guest)",
           "CPU µs per op: clients, daemon"]


def workload_table(out, runs, skips, workload, contenders):
    clients = sorted({k[1] for k in list(runs) + list(skips)
                      if k[0] == workload})
    if not clients:
        return False
    names = [c for c in CONTENDERS if c[0] in contenders]
    out.append("| clients | | " + " | ".join(n for _, n in names) + " |")
    out.append("|---:|---|" + "---:|" * len(names))
    for n in clients:
        for m in METRICS:
            cells = [cell(runs, skips, (workload, n, c), m) for c, _ in names]
            if not any(x not in ("", "–") for x in cells) and m != "ops/s":
                continue
            out.append("| %s | %s | %s |" % (n if m == "ops/s" else "", m,
                                             " | ".join(cells)))
    return True


def ratio_table(out, runs):
    cells = sorted({(k[0], k[1]) for k in runs},
                   key=lambda c: ([w for w, _, _ in WORKLOADS].index(c[0])
                                  if c[0] in [w for w, _, _ in WORKLOADS]
                                  else 99, c[1]))
    rows = []
    for w, n in cells:
        vals = [R.per_round_ratio(runs, (w, n, a), (w, n, b), k)
                for _, a, b, k in RATIOS]
        rows.append((w, n, vals))
    keep = [i for i in range(len(RATIOS))
            if any(v[i][0] is not None for _, _, v in rows)]
    out.append("| workload | clients | " + " | ".join(
        RATIOS[i][0] for i in keep) + " |")
    out.append("|---|---:|" + "---:|" * len(keep))
    for w, n, vals in rows:
        out.append("| %s | %d | %s |" % (w, n, " | ".join(
            "–" if vals[i][0] is None else "**%.2f×** (%s)" % (
                vals[i][0], ", ".join("%.2f" % x for x in vals[i][1]))
            for i in keep)))


def report(meta, notes, skips, runs):
    contenders = meta.get("contenders", "").split()
    out = ["# Benchmarks in a VM: the kernel's /dev/tpmrm0 against "
           "tpmproxyd on /dev/tpm0", "",
           "Generated by `bench/vm-run.sh` (`make bench-vm`); do not edit by "
           "hand. Method, reading and what limits the figures: "
           "[docs/benchmarks-tpmrm.md](../docs/benchmarks-tpmrm.md).", "",
           "**The guest runs under QEMU's TCG, a CPU emulator: every "
           "instruction of the guest kernel, the daemon and the clients is "
           "translated, and its TPM is a swtpm on the host behind an "
           "emulated TIS register interface. Absolute figures (ops/s, "
           "milliseconds) mean nothing about real hardware; only ratios "
           "between contenders measured in the same guest, round by round, "
           "carry information.**", ""]
    for k, label in [("date", "date"), ("machine", "host"),
                     ("host_kernel", "host kernel"),
                     ("guest_kernel", "guest"), ("qemu", "qemu"),
                     ("swtpm", "swtpm"), ("tpmproxyd", "tpmproxyd"),
                     ("tpmproxyd-alt", "other tpmproxyd build"),
                     ("tpm2-tss", "tpm2-tss"), ("hwrng", "guest hwrng")]:
        if k in meta or k != "tpmproxyd-alt":
            out.append("- %s: %s" % (label, meta.get(k, "unknown")))
    out.append("- host load average (1, 5, 15 min) at start: %s; at end: "
               "%s" % (meta.get("load_start", "?"), meta.get("load_end", "?")))
    out.append("- each cell: %s rounds of a %s s measured phase, contenders "
               "interleaved round by round; medians over rounds, ratios the "
               "median of per-round ratios (the rounds' values in "
               "parentheses); guest time %s s" % (
                   meta.get("rounds", "?"), meta.get("seconds", "?"),
                   meta.get("guest_seconds", "?")))
    out.append("")
    out.append("Contenders, one at a time in one guest, on one TPM: "
               "**/dev/tpm0 direct** (the client's `device:` TCTI on the "
               "raw device: the physical limit; one client, with tpmproxyd "
               "stopped, since the device admits one opener), **relay on "
               "/dev/tpm0** (`bench/relay`, one thread forwarding one "
               "client's commands: the least any process between client and "
               "device adds, the floor for a daemon in this guest), **kernel "
               "/dev/tpmrm0** (the client's `device:` TCTI on the kernel's "
               "resource manager), **tpmproxyd** with `--tcti "
               "pcap:device:/dev/tpm0`, through **tcti-proxy** and a **raw "
               "socket** client. Each contender pays one `pcap:` capture per "
               "command it hands to a device node (the direct and tpmrm0 "
               "clients wrap their own TCTI). **TPM commands per op** come "
               "from swtpm's own log on the host (level 20), sampled at the "
               "measured phase's boundaries: it sees the kernel's swapping "
               "too. The pcap row is what a TCTI in the guest can see: for "
               "tpmrm0 only the client's own commands. **CPU µs per op** "
               "is the guest's accounting of the clients' processes and the "
               "daemon's (or the relay's); the device TCTI writes "
               "non-blocking, so the kernel's transmissions, and all of "
               "tpmrm0's resource management, run in kernel workers that "
               "neither column shows.")
    out.append("")
    out.append("## Ratios")
    out.append("")
    out.append("Latency ratios below 1 and throughput ratios above 1 favour "
               "the first contender.")
    out.append("")
    ratio_table(out, runs)
    out.append("")
    for w, title, text in WORKLOADS:
        section = ["## %s" % title, "", text, ""]
        if workload_table(section, runs, skips, w, contenders):
            out += section + [""]
    out.append("## Notes")
    out.append("")
    out.append("- swtpm holds 3 transient objects; tpmproxyd keeps one slot "
               "free by default; the kernel gives each /dev/tpmrm0 "
               "descriptor up to 3 objects and loads, saves and flushes them "
               "around every command.")
    for n in notes:
        out.append("- " + n)
    stale = sum(1 for rs in runs.values() for r in rs
                if R.ok(r) and R.num(r, "tpm_cmds") == 0)
    if stale:
        out.append("- **%d measured phases saw no command in swtpm's log "
                   "although their clients' commands succeeded: those TPM "
                   "counts are not valid** (the guest must see the log grow: "
                   "an uncached share, swtpm at log level 20)." % stale)
    for key, rs in sorted(runs.items()):
        for r in rs:
            if not R.ok(r):
                out.append("- %s, %s, %d clients, round %s: setup failed for "
                           "%s clients, %s operations failed, first error "
                           "%s" % (key[2], key[0], key[1], r.get("round"),
                                   r.get("setup_failed"), r.get("failures"),
                                   r.get("first_error")))
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--share", help="the guest's output directory: count "
                    "its raw.txt into --raw")
    ap.add_argument("--meta", help="extra meta lines (the host's facts)")
    ap.add_argument("--raw", required=True, help="counted raw lines")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if args.share:
        merged = os.path.join(args.share, "merged.txt")
        with open(merged, "w", encoding="utf-8") as f:
            for p in [args.meta, os.path.join(args.share, "raw.txt")]:
                if p:
                    with open(p, encoding="utf-8") as g:
                        f.write(g.read())
        count_all(merged, args.share, args.raw)
    meta, notes, skips, runs = R.parse(args.raw)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(report(meta, notes, skips, runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())

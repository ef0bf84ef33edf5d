#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Turn the raw lines of bench/run.sh into bench/RESULTS.md and a plot.

Input lines (one per measured round, written by run.sh):
  meta KEY=free text                 facts about the run
  note free text                     something the reader must know
  contender=C workload=W clients=N skipped=why
  contender=C round=R label=... (loadgen's key=value line) [tpm_cmds=...]
Medians are taken over the rounds of each contender and cell; ratios
between two contenders are taken per round (their runs are adjacent in
time, so a noisy neighbour hits both) and the median of those is given.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

CONTENDERS = [
    ("direct", "direct swtpm"),
    ("relay", "minimal relay (floor)"),
    ("tpmproxyd-tcti", "tpmproxyd, tcti-proxy"),
    ("tpmproxyd-raw", "tpmproxyd, raw socket"),
    ("tpmproxyd-alt", "tpmproxyd, other build, tcti-proxy"),
    ("tpm2-abrmd", "tpm2-abrmd"),
    ("kernel-tpmrm", "kernel /dev/tpmrm0"),
]
# One colour per contender in every panel.
COLOURS = {"direct": "#555555", "relay": "#9aa000", "tpmproxyd-tcti": "#1f6fc0",
           "tpmproxyd-raw": "#27b8d0", "tpmproxyd-alt": "#b02ab0",
           "tpm2-abrmd": "#f07f0e"}
NOT_MEASURED = {"kernel-tpmrm": "measured in a guest by make bench-vm (bench/RESULTS-tpmrm.md)"}
WORKLOADS = [
    ("getrandom", "GetRandom(16)",
     "TPM2_GetRandom of 16 bytes through the TCTI (no ESAPI); the raw "
     "client writes the same bytes to the socket."),
    ("sign", "Sign, one loaded key",
     "Esys_Sign (password) with one ECC P-256 key made persistent once, so "
     "that every contender's clients can share it; the raw client sends the "
     "same TPM2_Sign bytes."),
    ("sign-hmac", "Sign with an HMAC session",
     "Esys_Sign with the shared persistent key, authorized through the "
     "client's own unbound, unsalted HMAC session (SHA-256, kept open). "
     "ESAPI computes the HMACs, so this workload is bound by client CPU "
     "(tpm2-tss 3.2 with OpenSSL 3 spends milliseconds per command there); "
     "the raw client uses ESAPI over its socket for this one."),
    ("sign-own", "Sign, each client holding its own key",
     "Esys_Sign (password) with the client's own transient primary ECC "
     "P-256 key: one key per client, so beyond the TPM's 3 object slots "
     "(tpmproxyd keeps one free by default: 2 usable) the resource manager "
     "swaps. The raw client creates its key with ESAPI and sends TPM2_Sign "
     "bytes with the handle it got."),
    ("churn", "Connection churn",
     "Each operation connects (TCTI initialisation, or connect(2) for the "
     "raw client), sends GetRandom(16) and closes."),
]
CLIENT_COUNTS = {}


def parse(path):
    meta, notes, skips, runs = {}, [], {}, {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("meta "):
                k, _, v = line[5:].partition("=")
                meta[k] = v
            elif line.startswith("note "):
                notes.append(line[5:])
            elif " skipped=" in line:
                head, _, why = line.partition(" skipped=")
                d = dict(kv.split("=", 1) for kv in head.split())
                skips[(d["workload"], int(d["clients"]), d["contender"])] = why
            elif line.strip():
                d = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
                key = (d["workload"], int(d["clients"]), d["contender"])
                runs.setdefault(key, []).append(d)
    return meta, notes, skips, runs


def num(d, k):
    try:
        v = float(d[k])
    except (KeyError, ValueError):
        return None
    return v


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def med(runs, key, k):
    return median([num(r, k) for r in runs.get(key, [])])


def fmt(v, digits=0, suffix=""):
    if v is None:
        return "–"
    return ("%%.%df%%s" % digits) % (v, suffix)


def ok(run):
    """Whether a round measured something: every client set up, no op
    failed."""
    return (num(run, "setup_failed") == 0 and num(run, "failures") == 0
            and (num(run, "ops") or 0) > 0)


def tpm_per_cmd(runs, key):
    for r in runs.get(key, []):
        if "tpm_cmds" in r and num(r, "client_cmds"):
            return num(r, "tpm_cmds") / num(r, "client_cmds"), r
    return None, None


def by_code(run):
    """TPM commands by code per client command, as text."""
    cmds = num(run, "client_cmds")
    codes = run.get("tpm_by_code", "-")
    if not cmds or codes == "-":
        return ""
    parts = []
    for item in codes.split(","):
        name, _, n = item.rpartition(":")
        v = int(n) / cmds
        parts.append("%s %s" % (name, "%.2f" % v if v >= 0.005 else "<0.01"))
    return ", ".join(parts)


def per_round_ratio(runs, a, b, k, invert=False):
    """Median over rounds of a[k] / b[k] (b[k] / a[k] with invert), and
    the per-round values."""
    ra = {r["round"]: r for r in runs.get(a, []) if ok(r)}
    rb = {r["round"]: r for r in runs.get(b, []) if ok(r)}
    vals = []
    for rnd in sorted(set(ra) & set(rb), key=int):
        x, y = num(ra[rnd], k), num(rb[rnd], k)
        if x and y:
            vals.append(y / x if invert else x / y)
    return (statistics.median(vals) if vals else None), vals


def cell_text(runs, skips, key, metric, footnotes):
    workload, clients, contender = key
    if contender in NOT_MEASURED:
        return NOT_MEASURED[contender] if metric == "ops/s" else ""
    if key in skips:
        if metric != "ops/s":
            return ""
        if skips[key] not in footnotes:
            footnotes.append(skips[key])
        return "n/a (%d)" % (footnotes.index(skips[key]) + 1)
    rs = runs.get(key)
    if not rs:
        return "–"
    good = [r for r in rs if ok(r)]
    if not good:
        r = rs[0]
        return ("failed (setup failed %s of %s, first error %s)" % (
            r.get("setup_failed"), clients, r.get("first_error"))
            if metric == "ops/s" else "")
    gk = {key: good}
    if metric == "ops/s":
        return fmt(med(gk, key, "ops_s"))
    if metric == "ops/s per round":
        return " / ".join(fmt(num(r, "ops_s")) for r in rs)
    if metric == "p50 µs":
        return fmt(med(gk, key, "p50_us"))
    if metric == "p99 µs":
        return fmt(med(gk, key, "p99_us"))
    if metric == "TPM cmds per client cmd":
        v, r = tpm_per_cmd(runs, key)
        return "**%.2f**" % v if v is not None else "–"
    if metric == "TPM cmds by code":
        _, r = tpm_per_cmd(runs, key)
        return by_code(r) if r else ""
    if metric == "CPU µs per op: clients, daemon, swtpm":
        vals = [med(gk, key, k) for k in (
            "cpu_client_us_op", "cpu_daemon_us_op", "cpu_tpm_us_op")]
        return " / ".join("–" if v is None or v < 0 else "%.0f" % v
                          for v in vals)
    if metric == "daemon RSS MiB":
        v = med(gk, key, "rss_kib")
        return fmt(v / 1024, 1) if v is not None and v >= 0 else "–"
    return ""


METRICS = ["ops/s", "ops/s per round", "p50 µs", "p99 µs",
           "TPM cmds per client cmd", "TPM cmds by code",
           "CPU µs per op: clients, daemon, swtpm", "daemon RSS MiB"]


def workload_table(out, runs, skips, workload, contenders):
    clients = sorted({k[1] for k in list(runs) + list(skips)
                      if k[0] == workload})
    if not clients:
        return False
    # A contender that only skipped this workload, for a reason of its
    # own design (the relay), gets no column.
    names = [c for c in CONTENDERS if c[0] in contenders and (
        c[0] in NOT_MEASURED or
        any(k[0] == workload and k[2] == c[0] for k in runs) or
        (c[0] != "relay" and
         any(k[0] == workload and k[2] == c[0] for k in skips)))]
    footnotes = []
    out.append("| clients | | " + " | ".join(n for _, n in names) + " |")
    out.append("|---:|---|" + "---:|" * len(names))
    for n in clients:
        for m in METRICS:
            cells = [cell_text(runs, skips, (workload, n, c), m, footnotes)
                     for c, _ in names]
            if m == "TPM cmds by code" and not any(cells):
                continue
            if m == "ops/s per round" and max(
                    len(runs.get((workload, n, c), [])) for c, _ in names) < 2:
                continue
            out.append("| %s | %s | %s |" % (
                n if m == "ops/s" else "", m, " | ".join(cells)))
    if footnotes:
        out.append("")
        out += ["(%d) %s" % (i + 1, f) + ("" if i + 1 == len(footnotes)
                                         else "  ")
                for i, f in enumerate(footnotes)]
    return True


def idle_table(out, runs, contenders):
    rows = sorted(k for k in runs if k[0] == "idle")
    if not rows:
        return
    out.append("| connections wanted | contender | connections held | "
               "daemon RSS before, MiB | with them, MiB | per connection, "
               "KiB | note |")
    out.append("|---:|---|---:|---:|---:|---:|---|")
    names = dict(CONTENDERS)
    for key in sorted(rows, key=lambda k: (k[1], [c for c, _ in
                                                   CONTENDERS].index(k[2]))):
        r = runs[key][0]
        held = int(num(r, "connections") or 0)
        note = ""
        if held < key[1]:
            note = "refused connection %d (first error %s)" % (
                held + 1, r.get("first_error"))
        out.append("| %d | %s | %d | %s | %s | %s | %s |" % (
            key[1], names[key[2]], held,
            fmt(num(r, "rss_before_kib") / 1024, 1),
            fmt(num(r, "rss_kib") / 1024, 1),
            fmt(num(r, "per_conn_kib"), 2), note))


RATIOS = [
    ("p50: tcti-proxy ÷ direct", "tpmproxyd-tcti", "direct", "p50_us"),
    ("p50: relay ÷ direct", "relay", "direct", "p50_us"),
    ("p50: tcti-proxy ÷ relay", "tpmproxyd-tcti", "relay", "p50_us"),
    ("p50: raw ÷ direct", "tpmproxyd-raw", "direct", "p50_us"),
    ("p50: abrmd ÷ direct", "tpm2-abrmd", "direct", "p50_us"),
    ("ops/s: tcti-proxy ÷ abrmd", "tpmproxyd-tcti", "tpm2-abrmd", "ops_s"),
    ("ops/s: raw ÷ abrmd", "tpmproxyd-raw", "tpm2-abrmd", "ops_s"),
    ("ops/s: tcti-proxy ÷ direct", "tpmproxyd-tcti", "direct", "ops_s"),
    ("p50: other build ÷ this one", "tpmproxyd-alt", "tpmproxyd-tcti",
     "p50_us"),
    ("ops/s: other build ÷ this one", "tpmproxyd-alt", "tpmproxyd-tcti",
     "ops_s"),
    ("ops/s: other build ÷ abrmd", "tpmproxyd-alt", "tpm2-abrmd", "ops_s"),
]


def ratio_rows(runs):
    """The ratio columns that have a value somewhere, and one row per
    cell: (workload, clients, [value per column])."""
    cells = sorted({(k[0], k[1]) for k in runs if k[0] != "idle"},
                   key=lambda c: ([w for w, _, _ in WORKLOADS].index(c[0]),
                                  c[1]))
    table = [(w, n, [per_round_ratio(runs, (w, n, a), (w, n, b), k)[0]
                     for _, a, b, k in RATIOS]) for w, n in cells]
    keep = [i for i in range(len(RATIOS))
            if any(vals[i] is not None for _, _, vals in table)]
    return ([RATIOS[i][0] for i in keep],
            [(w, n, [vals[i] for i in keep]) for w, n, vals in table])


# The contenders the targets are about.
SUBJECTS = [("tpmproxyd-tcti", "tcti-proxy"), ("tpmproxyd-raw", "raw socket"),
            ("tpmproxyd-alt", "other build")]


def targets(runs):
    """(target, measured text, met) rows."""
    out = []
    subjects = [(n, who) for n, who in SUBJECTS
                if any(k[2] == n for k in runs)]

    def ratio_target(label, w, n, a, b, k, limit, above):
        v, vals = per_round_ratio(runs, (w, n, a), (w, n, b), k)
        if v is None:
            out.append((label, "not measured", "–"))
            return
        met = v >= limit if above else v <= limit
        out.append((label, "**%.2f×** (rounds: %s)" % (
            v, ", ".join("%.2f" % x for x in vals)),
            "yes" if met else "**no**"))

    for name, who in subjects:
        ratio_target("1 client GetRandom p50, tpmproxyd (%s) ÷ direct "
                     "≤ 1.10" % who, "getrandom", 1, name, "direct",
                     "p50_us", 1.10, False)
        ratio_target("1 client Sign (own loaded key) p50, tpmproxyd (%s) ÷ "
                     "direct ≤ 1.10" % who, "sign-own", 1, name, "direct",
                     "p50_us", 1.10, False)
        ratio_target("1 client Sign (shared persistent key) p50, tpmproxyd "
                     "(%s) ÷ direct ≤ 1.10" % who, "sign", 1, name, "direct",
                     "p50_us", 1.10, False)
    for name in [n for n, _ in subjects] + ["tpm2-abrmd"]:
        v, _ = tpm_per_cmd(runs, ("sign-own", 1, name))
        label = "TPM commands per Sign with a loaded key, %s = 1.00" % name
        if name == "tpm2-abrmd":
            label = "TPM commands per Sign with a loaded key, tpm2-abrmd " \
                    "(for comparison)"
        out.append((label, "–" if v is None else "**%.2f**" % v,
                    "–" if v is None or name == "tpm2-abrmd" else
                    ("yes" if abs(v - 1.0) < 0.005 else "**no**")))
    for n in (8, 32):
        for name, who in subjects:
            ratio_target("%d key-holding clients, ops/s tpmproxyd (%s) ÷ "
                         "tpm2-abrmd ≥ 1.5" % (n, who), "sign-own", n, name,
                         "tpm2-abrmd", "ops_s", 1.5, True)
    for name, who in subjects:
        rs = runs.get(("idle", 1024, name))
        if not rs:
            out.append(("1,024 idle connections (%s), daemon RSS ≤ 16 MiB" %
                        who, "not measured", "–"))
            continue
        r = rs[0]
        mib = num(r, "rss_kib") / 1024
        held = int(num(r, "connections") or 0)
        out.append(("1,024 idle connections (%s), daemon RSS ≤ 16 MiB" % who,
                    "**%.1f MiB** with %d connections" % (mib, held),
                    "yes" if mib <= 16 and held == 1024 else "**no**"))
    return out


def histogram(script, data, rows, names, form, extra=""):
    """A clustered histogram panel of rows (label, [value per contender]);
    rows without a value are left out, and a panel without any says so."""
    rows = [(label, vals) for label, vals in rows
            if any(v is not None for v in vals)]
    if not rows:
        script.append("set label 1 'not measured' at graph 0.5,0.5 center")
        script.append("unset logscale y")
        script.append("plot [0:1] [0:1] -1 notitle")
        script.append("unset label 1")
        return
    with open(data, "w", encoding="utf-8") as f:
        for label, vals in rows:
            f.write('"%s" %s\n' % (label, " ".join(
                "NaN" if v is None else form % v for v in vals)))
    script.append("plot " + ", ".join(
        "'%s' using %d%s lc rgb '%s' title '%s'" % (
            data, i + 2, ":xtic(1)" if i == 0 else "", COLOURS[c], n)
        for i, (c, n) in enumerate(names)) + extra)


def plot(runs, contenders, png):
    gnuplot = shutil.which("gnuplot")
    if gnuplot is None:
        return "gnuplot not installed (Debian package gnuplot-nox): no plot"
    names = [c for c in CONTENDERS if c[0] in contenders and c[0] in COLOURS]
    tmp = tempfile.mkdtemp(prefix="bench-plot.")
    script = ["set terminal pngcairo size 1500,950 font 'sans,9'",
              "set output '%s'" % png, "set multiplot layout 2,3",
              "set key top right font 'sans,8'", "set grid ytics",
              "set logscale x 2", "set xtics (1, 8, 32)",
              "set xrange [0.8:40]", "set yrange [0:*]",
              "set datafile missing 'NaN'"]
    for w, title, _ in WORKLOADS[:4]:
        data = os.path.join(tmp, w + ".dat")
        valid = False
        with open(data, "w", encoding="utf-8") as f:
            for n in (1, 8, 32):
                vals = []
                for c, _ in names:
                    good = [r for r in runs.get((w, n, c), []) if ok(r)]
                    v = median([num(r, "ops_s") for r in good])
                    valid = valid or v is not None
                    vals.append("NaN" if v is None else "%.1f" % v)
                f.write("%d %s\n" % (n, " ".join(vals)))
        script.append("set title '%s: throughput'" % title)
        script.append("set xlabel 'concurrent clients'")
        script.append("set ylabel 'ops/s (median of rounds)'")
        if not valid:
            script.append("set label 1 'not measured' at graph 0.5,0.5 "
                          "center")
            script.append("plot [1:32] [0:1] -1 notitle")
            script.append("unset label 1")
            continue
        script.append("plot " + ", ".join(
            "'%s' using 1:%d with linespoints lw 2 pt 7 lc rgb '%s' "
            "title '%s'" % (data, i + 2, COLOURS[c], n)
            for i, (c, n) in enumerate(names)))
    # Single-client latency, p50, grouped by workload.
    script += ["unset logscale x", "set xtics auto", "set xrange [*:*]",
               "set style data histogram",
               "set style histogram clustered gap 1",
               "set style fill solid 0.8 border -1"]
    rows = []
    for w, title, _ in WORKLOADS:
        vals = [median([num(r, "p50_us") for r in runs.get((w, 1, c), [])
                        if ok(r)]) for c, _ in names]
        rows.append((w, vals))
    script += ["set title '1 client: p50 latency'", "set xlabel ''",
               "set ylabel 'µs (log scale)'", "set logscale y",
               "set yrange [10:*]", "set xtics rotate by -20"]
    histogram(script, os.path.join(tmp, "lat.dat"), rows, names, "%.1f")
    # Idle connections: daemon RSS.
    daemons = [c for c in names if c[0] not in ("direct", "relay")]
    rows = []
    for n in (256, 1024):
        vals = []
        for c, _ in daemons:
            rs = runs.get(("idle", n, c))
            v = num(rs[0], "rss_kib") if rs else None
            vals.append(None if v is None else v / 1024)
        rows.append((str(n), vals))
    script += ["unset logscale y", "set yrange [0:20]",
               "set title 'idle connections: daemon RSS (target 16 MiB)'",
               "set xlabel 'connections (tpm2-abrmd holds at most 100)'",
               "set ylabel 'MiB'", "set xtics norotate"]
    histogram(script, os.path.join(tmp, "idle.dat"), rows, daemons, "%.2f",
              ", 16 with lines dt 2 lc rgb 'red' title '16 MiB'")
    script.append("unset multiplot")
    gp = os.path.join(tmp, "plot.gp")
    with open(gp, "w", encoding="utf-8") as f:
        f.write("\n".join(script) + "\n")
    r = subprocess.run([gnuplot, gp], capture_output=True, text=True)
    shutil.rmtree(tmp, ignore_errors=True)
    if r.returncode != 0:
        return "gnuplot failed: " + r.stderr.strip()
    return None


def report(meta, notes, skips, runs, png_name):
    contenders = meta.get("contenders", "").split() + ["kernel-tpmrm"]
    out = ["# Benchmarks: tpmproxyd against direct swtpm and tpm2-abrmd", "",
           "Generated by `bench/run.sh` (`make bench`); do not edit by hand. "
           "What the figures mean, what limits them and how they were "
           "profiled: [docs/benchmarks.md](../docs/benchmarks.md).", ""]
    out.append("![throughput, latency and idle RSS](%s)" % png_name)
    out.append("")
    for k in ["date", "machine", "kernel", "swtpm", "tpm2-abrmd",
              "tpmproxyd", "tpm2-tss"]:
        out.append("- %s: %s" % (k, meta.get(k, "unknown")))
    out.append("- load average (1, 5, 15 min) at start: %s; at end: %s" % (
        meta.get("load_start", "?"), meta.get("load_end", "?")))
    out.append("- each cell: %s rounds of a %s s measured phase, contenders "
               "interleaved round by round; figures are medians over the "
               "rounds, ratios the median of per-round ratios" % (
                   meta.get("rounds", "?"), meta.get("seconds", "?")))
    out.append("")
    out.append("Contenders, all in front of the same swtpm in one run: "
               "**direct swtpm** (the client's own TCTI, `swtpm:`; one "
               "client only, see the footnotes), **minimal relay** "
               "(`bench/relay`: one thread forwarding one client's commands "
               "with blocking I/O, the floor of any process between client "
               "and TPM; one client, `proxy:` TCTI), "
               "**tpmproxyd, tcti-proxy** (`proxy:` TCTI), **tpmproxyd, raw "
               "socket** (command bytes written to the unix socket), "
               "**tpm2-abrmd** (`tabrmd:` TCTI, private session D-Bus, "
               "`--max-connections=100`, its maximum), and **kernel "
               "/dev/tpmrm0**, %s. Clients are separate processes, each "
               "with its own connection. The TPM side is counted with "
               "tpm2-tss's `pcap:` TCTI around each daemon's backend (and "
               "around the direct clients' TCTI): every contender pays for "
               "one capture per TPM command." % NOT_MEASURED["kernel-tpmrm"])
    out.append("")
    out.append("## Targets")
    out.append("")
    out.append("| target | measured | met |")
    out.append("|---|---|---|")
    for t, m, met in targets(runs):
        out.append("| %s | %s | %s |" % (t, m, met))
    out.append("")
    for w, title, text in WORKLOADS:
        section = ["## %s" % title, "", text, ""]
        if workload_table(section, runs, skips, w, contenders):
            out += section + [""]
    out.append("## Idle connections: daemon memory")
    out.append("")
    out.append("One process opens the connections and sends GetRandom(16) "
               "on each (so the daemon has fully accepted it), then holds "
               "them; VmRSS of the daemon 300 ms later. Run last, after "
               "every other workload, so the daemons' heaps have seen the "
               "whole benchmark. The raw-socket rows use the same tpmproxyd "
               "right after the tcti-proxy rows, and reuse the heap those "
               "connections freed (malloc keeps it): their per-connection "
               "figure is near 0, their total is what counts.")
    out.append("")
    idle_table(out, runs, contenders)
    out.append("")
    out.append("## Ratios")
    out.append("")
    out.append("Median of per-round ratios; latency ratios below 1 and "
               "throughput ratios above 1 favour the first contender.")
    out.append("")
    heads, rows = ratio_rows(runs)
    out.append("| workload | clients | " + " | ".join(heads) + " |")
    out.append("|---|---:|" + "---:|" * len(heads))
    for w, n, vals in rows:
        out.append("| %s | %d | %s |" % (w, n, " | ".join(
            fmt(v, 2, "×") for v in vals)))
    out.append("")
    out.append("## Notes")
    out.append("")
    out.append("- swtpm holds 3 transient objects and 3 sessions; "
               "tcti-swtpm opens a TCP connection per command, for the "
               "direct clients and the daemons' backends alike.")
    for n in notes:
        out.append("- " + n)
    failed = []
    for key, rs in sorted(runs.items()):
        for r in rs:
            if not ok(r) and key[0] != "idle":
                failed.append("%s, %s, %d clients, round %s: setup failed "
                              "for %s clients, %s operations failed, first "
                              "error %s" % (key[2], key[0], key[1],
                                            r.get("round"),
                                            r.get("setup_failed"),
                                            r.get("failures"),
                                            r.get("first_error")))
    for f in failed:
        out.append("- " + f)
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--raw", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--plot", required=True)
    args = ap.parse_args()
    meta, notes, skips, runs = parse(args.raw)
    err = plot(runs, meta.get("contenders", "").split(), args.plot)
    if err:
        notes.append(err)
        print("report: " + err, file=sys.stderr)
    text = report(meta, notes, skips, runs, os.path.basename(args.plot))
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

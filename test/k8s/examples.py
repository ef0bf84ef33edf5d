#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Run the example workloads of a rendered kustomization the way their pods
would run, against a test daemon (test/k8s/check-examples.sh).

  examples.py config RENDERING --root DIR --tcti TCTI
      print the rendering's tpmproxy.conf for a daemon under DIR: the TPM
      is TCTI, /run/tpmproxy is DIR/run/tpmproxy, /var/log/tpmproxy is
      DIR/log, and metrics go to a unix socket (no fixed port)

  examples.py list RENDERING
      the client containers: NAME UID HOST-DIR ("-" when it mounts none)

  examples.py run RENDERING NAME --root DIR --lib DIR --bin DIR
          [--set VAR=VALUE]... [--as UID:GID] [--host-dir DIR] [-- ARGV...]
      run the container NAME (pod/container) as its manifest says: in a
      mount namespace where the root file system is read-only, /tmp is an
      empty tmpfs (the emptyDir), and the only thing of the host under
      /run is the socket directory, read-only, at the manifest's mountPath;
      as its runAsUser:runAsGroup with no supplementary groups, no
      capabilities and no_new_privs; with exactly the manifest's env (plus
      --set overrides, LD_LIBRARY_PATH for the TCTI and PATH with --bin
      first) and its command and args, or ARGV instead. --as and --host-dir
      run it as another uid or against another socket directory.

  examples.py pod RENDERING POD --root DIR --lib DIR --bin DIR --out DIR
          [--set VAR=VALUE]...
      run every container of POD as `run` does, at once and in one new
      network namespace with only its loopback up (a pod's containers
      share theirs); each one's output in OUT/CONTAINER.out (--set applies
      to all). Waits for the containers that end by themselves, then
      sends SIGTERM to those that do not (tpmproxy-bridge), which must
      exit 0; exits 0 when every container did.
"""

import argparse
import fcntl
import os
import re
import signal
import socket
import struct
import subprocess
import sys

import yaml

SOCKET_ROOT = "/run/tpmproxy"
LOG_ROOT = "/var/log/tpmproxy"

# Runs as root in a new mount namespace; then becomes the workload.
SANDBOX = r"""
host=$1 mnt=$2 lib=$3 bin=$4 uid=$5 gid=$6
shift 6
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/k8s-test/lib /run/k8s-test/bin
if [ "$host" != - ]; then
    mkdir -p "$mnt"
    mount --bind "$host" "$mnt"
    mount -o remount,bind,ro "$mnt"
fi
mount --bind "$lib" /run/k8s-test/lib
mount --bind "$bin" /run/k8s-test/bin
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -o remount,bind,ro /
cd /
exec setpriv --reuid "$uid" --regid "$gid" --clear-groups --no-new-privs \
    --inh-caps=-all --bounding-set=-all env -i \
    PATH=/run/k8s-test/bin:/usr/bin:/bin LD_LIBRARY_PATH=/run/k8s-test/lib "$@"
"""


def load(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if isinstance(d, dict)]


def pod_spec(obj):
    spec = obj.get("spec") or {}
    if obj["kind"] == "Pod":
        return spec
    return (spec.get("template") or {}).get("spec") or {}


def config_text(docs):
    for d in docs:
        if d["kind"] == "ConfigMap" and \
                d["metadata"]["name"].startswith("tpmproxy-config"):
            return d["data"]["tpmproxy.conf"]
    sys.exit("examples.py: the rendering has no tpmproxy-config ConfigMap")


def workloads(docs):
    """{pod/container: (spec, container, host dir, mount path)} of the
    client pods' containers; host dir and mount path are None for a
    container that mounts no socket directory."""
    out = {}
    for d in docs:
        if d["kind"] not in ("Pod", "DaemonSet", "Deployment", "StatefulSet"):
            continue
        if (d["metadata"].get("labels") or {}).get(
                "app.kubernetes.io/name") == "tpmproxyd":
            continue
        spec = pod_spec(d)
        dirs = {v["name"]: v["hostPath"]["path"]
                for v in spec.get("volumes") or [] if "hostPath" in v}
        for c in spec.get("containers") or []:
            host = mnt = None
            for m in c.get("volumeMounts") or []:
                if m["name"] in dirs:
                    host, mnt = dirs[m["name"]], m["mountPath"]
            out["%s/%s" % (d["metadata"]["name"], c["name"])] = (
                spec, c, host, mnt)
    return out


def is_bridge(c):
    """Whether the container runs tpmproxy-bridge (which never ends)."""
    cmd = c.get("command") or []
    return bool(cmd) and os.path.basename(cmd[0]) == "tpmproxy-bridge"


def ids(spec, c):
    def get(key):
        csc = c.get("securityContext") or {}
        return csc.get(key, (spec.get("securityContext") or {}).get(key))
    return get("runAsUser"), get("runAsGroup")


def cmd_config(args):
    text = config_text(load(args.rendering))
    text = text.replace(SOCKET_ROOT, args.root + "/run/tpmproxy")
    text = text.replace(LOG_ROOT, args.root + "/log")
    text = re.sub(r"(?m)^tcti\s*=.*$", "tcti = " + args.tcti, text)
    text = re.sub(r"(?m)^metrics-listen\s*=.*$", "metrics-listen = unix:" +
                  args.root + "/run/metrics.sock", text)
    sys.stdout.write(text)
    return 0


def cmd_list(args):
    for name, (spec, c, host, _) in sorted(workloads(load(args.rendering))
                                           .items()):
        print(name, ids(spec, c)[0], host or "-")
    return 0


def sandbox_cmd(args, workload, argv=None, as_ids=None, host_dir=None):
    """The command that runs a container (spec, c, host, mnt) as its pod
    would."""
    spec, c, host, mnt = workload
    host = host_dir or host
    if host is not None and not mnt.startswith("/run/"):
        sys.exit("examples.py: mountPath %s is not under /run" % mnt)
    uid, gid = ids(spec, c)
    if as_ids:
        uid, gid = as_ids.split(":")
    env = {e["name"]: e["value"] for e in c.get("env") or []}
    for item in args.set:
        key, _, value = item.partition("=")
        env[key] = value
    argv = argv or (list(c.get("command") or []) + list(c.get("args") or []))
    local_host = "-"
    if host is not None:
        local_host = args.root + "/run/tpmproxy" + host[len(SOCKET_ROOT):]
    cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-ec",
           SANDBOX, "sandbox", local_host, mnt or "-", args.lib, args.bin,
           str(uid), str(gid)]
    return cmd + ["%s=%s" % kv for kv in sorted(env.items())] + argv


def cmd_run(args):
    found = workloads(load(args.rendering))
    if args.name not in found:
        sys.exit("examples.py: no workload %s (have: %s)"
                 % (args.name, ", ".join(sorted(found))))
    cmd = sandbox_cmd(args, found[args.name], args.argv, args.as_ids,
                      args.host_dir)
    # exec: a signal for us (the test's hang bound) reaches the workload.
    sys.stdout.flush()
    os.execvp(cmd[0], cmd)


def loopback_up():
    """Bring lo up in this (new) network namespace, as a pod's is."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s, siocgifflags, req))[1]
        fcntl.ioctl(s, siocsifflags, struct.pack("16sH14x", b"lo",
                                                 flags | iff_up))


def cmd_pod(args):
    if not args.in_netns:
        # Again, in a network namespace of its own.
        sys.stdout.flush()
        os.execvp("unshare", ["unshare", "--net", sys.executable,
                              os.path.abspath(__file__)] + sys.argv[1:] +
                  ["--in-netns"])
    loopback_up()
    found = workloads(load(args.rendering))
    pod = {n.split("/", 1)[1]: w for n, w in found.items()
           if n.split("/", 1)[0] == args.pod}
    if not pod:
        sys.exit("examples.py: no pod %s" % args.pod)
    procs = {}

    def stop(signum, _frame):
        for p in procs.values():
            p.terminate()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    for name, w in sorted(pod.items()):
        with open(os.path.join(args.out, name + ".out"), "wb") as out:
            procs[name] = subprocess.Popen(sandbox_cmd(args, w), stdout=out,
                                           stderr=subprocess.STDOUT)
    status = 0
    for name in sorted(n for n in pod if not is_bridge(pod[n][1])):
        rc = procs[name].wait()
        print("%s: exit %d" % (name, rc))
        status = status or rc
    for name in sorted(n for n in pod if is_bridge(pod[n][1])):
        procs[name].terminate()
        rc = procs[name].wait()
        print("%s: exit %d after SIGTERM" % (name, rc))
        status = status or rc
    return status


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("config")
    p.add_argument("rendering")
    p.add_argument("--root", required=True)
    p.add_argument("--tcti", required=True)
    p = sub.add_parser("list")
    p.add_argument("rendering")
    p = sub.add_parser("run")
    p.add_argument("rendering")
    p.add_argument("name")
    p.add_argument("--root", required=True)
    p.add_argument("--lib", required=True)
    p.add_argument("--bin", required=True)
    p.add_argument("--set", action="append", default=[])
    p.add_argument("--as", dest="as_ids")
    p.add_argument("--host-dir")
    p = sub.add_parser("pod")
    p.add_argument("rendering")
    p.add_argument("pod")
    p.add_argument("--root", required=True)
    p.add_argument("--lib", required=True)
    p.add_argument("--bin", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--set", action="append", default=[])
    p.add_argument("--in-netns", action="store_true", help=argparse.SUPPRESS)
    # ARGV after "--" is the workload's, never options of ours.
    argv = sys.argv[1:]
    rest = []
    if "--" in argv:
        rest = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    args = ap.parse_args(argv)
    args.argv = rest
    if getattr(args, "root", None):
        args.root = os.path.abspath(args.root)
    return {"config": cmd_config, "list": cmd_list, "run": cmd_run,
            "pod": cmd_pod}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())

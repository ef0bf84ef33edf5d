#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Security properties of the rendered Kubernetes manifests (k8s/).

Reads the output of `kubectl kustomize` for each kustomization and checks:

- the tpmproxyd DaemonSet, the only privileged pod: /dev/tpm0 by hostPath,
  hostPID, /run/tpmproxy as a DirectoryOrCreate hostPath, probes on
  /healthz and /readyz at the port metrics-listen serves, resources, no
  surge on updates, the TPM node label, every path its configuration
  writes on a writable volume, and `tpmproxyd --check-config` passing on
  its ConfigMap;
- every other pod (the clients): not privileged, no host namespaces,
  non-root, no privilege escalation, all capabilities dropped, read-only
  root, seccomp, no supplementary or fs groups, no device (plugin), and
  only hostPath volumes that are one socket directory under /run/tpmproxy,
  mounted read-only, with TCTI and TPM2TOOLS_TCTI naming the socket the
  daemon's configuration puts there, which the pod's uid may open;
- tpmproxy-bridge sidecars: checked as any client container, listening on
  loopback only (no --allow-non-loopback), their --socket the socket of
  the directory they mount; a container that mounts no socket but names a
  TPM has TCTI and TPM2TOOLS_TCTI naming a bridge of its own pod
  (swtpm:host=,port= or mssim:host=,port= on the bridge's address).

With --mutations it proves each rule can fail: every mutation breaks one
property of a copy of the rendered objects in memory and must be reported
under the rule it breaks.

usage: check-manifests.py --daemon TPMPROXYD [--mutations] NAME=FILE...
(the rendering called "base" supplies the configuration for renderings
that have none, such as the examples alone)
"""

import argparse
import copy
import hashlib
import os
import posixpath
import re
import subprocess
import sys
import tempfile

import yaml

DAEMON_NAME = "tpmproxyd"
CONFIG_MAP = "tpmproxy-config"
CONFIG_KEY = "tpmproxy.conf"
NODE_LABEL = "tpmproxy.io/tpm"
SOCKET_ROOT = "/run/tpmproxy"
WORKLOAD_KINDS = {"Pod", "DaemonSet", "Deployment", "StatefulSet",
                  "ReplicaSet", "Job", "CronJob"}
PLAIN_RESOURCES = {"cpu", "memory", "ephemeral-storage"}
BRIDGE = "tpmproxy-bridge"
BRIDGE_DEFAULTS = {"listen": "127.0.0.1:2321", "socket": "/run/tpmproxy/tpm.sock"}
BRIDGE_TCTI = re.compile(r"(?:swtpm|mssim):host=([^,]+),port=(\d+)")
LOOPBACK_LISTEN = re.compile(r"(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]):(\d{1,5})")


# ---- tpmproxy.conf ------------------------------------------------------------

def parse_conf(text):
    """Sections of a tpmproxy.conf as {("daemon", None): {...},
    ("socket", name): {...}, ...}; comments as tpmproxy.conf(5) says."""
    sections = {}
    cur = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        line = re.split(r"\s[#;]", line, maxsplit=1)[0].strip()
        m = re.fullmatch(r'\[(\w+)(?:\s+"([^"]+)")?\]', line)
        if m:
            cur = sections.setdefault((m.group(1), m.group(2)), {})
            continue
        key, _, value = line.partition("=")
        if cur is not None:
            cur[key.strip()] = value.strip()
    return sections


def duration_s(value):
    """A tpmproxy.conf duration in seconds (10, 10s, 500ms, 5m)."""
    m = re.fullmatch(r"(\d+)(ms|s|m)?", value)
    if not m:
        return None
    n = int(m.group(1))
    return {"ms": n / 1000, "m": n * 60}.get(m.group(2), n)


class Config:
    """The daemon configuration of a rendering: its sockets and the paths
    the daemon writes."""

    def __init__(self, text):
        self.text = text
        self.sections = parse_conf(text)
        self.daemon = self.sections.get(("daemon", None), {})
        self.sockets = {name: keys for (kind, name), keys in
                        self.sections.items() if kind == "socket"}

    def socket_in(self, directory):
        """(name, keys) of the socket whose file is directly in directory."""
        for name, keys in self.sockets.items():
            if posixpath.dirname(keys.get("path", "")) == directory:
                return name, keys
        return None, None

    def written_paths(self):
        """Files the daemon creates or appends to."""
        paths = [k["path"] for k in self.sockets.values() if "path" in k]
        for key in ("audit-log", "control-socket"):
            if key in self.daemon:
                paths.append(self.daemon[key])
        listen = self.daemon.get("metrics-listen", "")
        if listen.startswith("unix:"):
            paths.append(listen[5:])
        return paths


class ConfigChecker:
    """tpmproxyd --check-config, once per distinct text."""

    def __init__(self, daemon):
        self.daemon = daemon
        self.cache = {}

    def check(self, text):
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest not in self.cache:
            with tempfile.TemporaryDirectory(prefix="tpmproxy-k8s-") as tmp:
                path = os.path.join(tmp, CONFIG_KEY)
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
                r = subprocess.run([self.daemon, "--check-config", "--config",
                                    path], capture_output=True, text=True,
                                   check=False)
                out = (r.stdout + r.stderr).strip().replace(tmp + "/", "")
                self.cache[digest] = (r.returncode, out)
        return self.cache[digest]


# ---- objects ------------------------------------------------------------------

def pod_spec(obj):
    """The pod spec of a workload object."""
    kind, spec = obj["kind"], obj.get("spec") or {}
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    return ((spec.get("template") or {}).get("spec")) or {}


def obj_name(obj):
    meta = obj.get("metadata") or {}
    return "%s %s/%s" % (obj["kind"], meta.get("namespace", "-"),
                         meta.get("name", "?"))


def is_daemon(obj):
    meta = obj.get("metadata") or {}
    return (obj["kind"] == "DaemonSet" and
            (meta.get("labels") or {}).get("app.kubernetes.io/name") ==
            DAEMON_NAME)


def containers(spec):
    return list(spec.get("initContainers") or []) + \
        list(spec.get("containers") or [])


def env_of(container):
    return {e.get("name"): e.get("value") for e in container.get("env") or []}


def effective(spec, container, key):
    """A securityContext field, the container's over the pod's."""
    csc = container.get("securityContext") or {}
    if key in csc:
        return csc[key]
    return (spec.get("securityContext") or {}).get(key)


def bridge_options(container):
    """{"listen", "socket", "allow"} of a container that runs
    tpmproxy-bridge (its command), else None."""
    cmd = list(container.get("command") or [])
    if not cmd or posixpath.basename(str(cmd[0])) != BRIDGE:
        return None
    argv = [str(a) for a in cmd[1:] + list(container.get("args") or [])]
    opts = dict(BRIDGE_DEFAULTS, allow=False)
    keys = {"--listen": "listen", "-l": "listen", "--socket": "socket",
            "-s": "socket"}
    i = 0
    while i < len(argv):
        name, eq, value = argv[i].partition("=")
        if name in keys:
            if not eq:
                i += 1
                value = argv[i] if i < len(argv) else ""
            opts[keys[name]] = value
        elif argv[i] == "--allow-non-loopback":
            opts["allow"] = True
        i += 1
    return opts


def bridge_endpoint(listen):
    """(host as a client names it, port) of a loopback --listen value."""
    m = LOOPBACK_LISTEN.fullmatch(listen)
    if not m:
        return None
    return m.group(1).strip("[]"), int(m.group(2))


def image_pinned(image):
    name = image.rsplit("/", 1)[-1]
    if "@sha256:" in image:
        return True
    return ":" in name and not name.endswith(":latest")


def probe_port(container, probe):
    """The numeric port of an httpGet probe (named ports resolved)."""
    port = ((probe or {}).get("httpGet") or {}).get("port")
    if isinstance(port, int):
        return port
    for p in container.get("ports") or []:
        if p.get("name") == port:
            return p.get("containerPort")
    return None


def under(path, directory):
    return path == directory or path.startswith(directory.rstrip("/") + "/")


class Rendering:
    """The objects of one kustomization's output and what is wrong with
    them: a list of (rule, message)."""

    def __init__(self, name, docs, base_config, checker):
        self.name = name
        self.docs = [d for d in docs if isinstance(d, dict) and "kind" in d]
        self.checker = checker
        self.findings = []
        self.config = self.own_config() or base_config

    def own_config(self):
        text = self.config_text()
        return Config(text) if text is not None else None

    def config_maps(self):
        return [d for d in self.docs if d["kind"] == "ConfigMap" and
                d["metadata"]["name"].startswith(CONFIG_MAP)]

    def config_text(self):
        for cm in self.config_maps():
            return (cm.get("data") or {}).get(CONFIG_KEY)
        return None

    def find(self, rule, obj, message):
        self.findings.append((rule, "%s: %s" % (obj_name(obj), message)))

    def workloads(self):
        return [d for d in self.docs if d["kind"] in WORKLOAD_KINDS]

    def check(self):
        for cm in self.config_maps():
            text = (cm.get("data") or {}).get(CONFIG_KEY)
            if text is None:
                self.find("C-check-config", cm, "no key %s" % CONFIG_KEY)
                continue
            rc, out = self.checker.check(text)
            if rc != 0:
                self.find("C-check-config", cm,
                          "tpmproxyd --check-config failed: %s" % out)
        daemons = [w for w in self.workloads() if is_daemon(w)]
        if len(daemons) > 1:
            self.find("D-kind", daemons[1], "more than one tpmproxyd")
        for w in self.workloads():
            if is_daemon(w):
                DaemonChecks(self, w).run()
            else:
                AppChecks(self, w).run()
        return self.findings


# ---- the daemon ---------------------------------------------------------------

class DaemonChecks:
    def __init__(self, r, obj):
        self.r, self.obj = r, obj
        self.spec = pod_spec(obj)
        cs = self.spec.get("containers") or []
        self.c = cs[0] if cs else {}
        self.volumes = {v.get("name"): v for v in self.spec.get("volumes") or []}
        self.mounts = self.c.get("volumeMounts") or []

    def find(self, rule, message):
        self.r.find(rule, self.obj, message)

    def mount_of(self, volume_name):
        for m in self.mounts:
            if m.get("name") == volume_name:
                return m
        return None

    def host_path(self, path):
        """(volume, mount) of the hostPath volume of path, if mounted."""
        for name, v in self.volumes.items():
            if (v.get("hostPath") or {}).get("path") == path:
                return v, self.mount_of(name)
        return None, None

    def run(self):
        if len(self.spec.get("containers") or []) != 1:
            self.find("D-kind", "expected one container")
        self.device()
        self.identity()
        self.sockets_dir()
        self.config_and_probes()
        self.resources()
        self.update()
        self.nodes()
        if self.spec.get("automountServiceAccountToken") is not False:
            self.find("D-no-token", "automountServiceAccountToken is not false")
        if not image_pinned(self.c.get("image", "")):
            self.find("D-image", "image %r has no tag or digest, or is latest"
                      % self.c.get("image"))

    def device(self):
        v, m = self.host_path("/dev/tpm0")
        if v is None or v["hostPath"].get("type") != "CharDevice":
            self.find("D-tpm-device", "no hostPath /dev/tpm0 of type CharDevice")
        elif m is None or m.get("mountPath") != "/dev/tpm0":
            self.find("D-tpm-device", "/dev/tpm0 is not mounted at /dev/tpm0")
        if (self.c.get("securityContext") or {}).get("privileged") is not True:
            self.find("D-tpm-device", "not privileged: the device cgroup "
                      "refuses /dev/tpm0")

    def identity(self):
        if self.spec.get("hostPID") is not True:
            self.find("D-hostpid", "hostPID is not true: no pod identity")
        for key in ("hostNetwork", "hostIPC"):
            if self.spec.get(key):
                self.find("D-hostpid", "%s is set; only hostPID is needed" % key)
        if effective(self.spec, self.c, "runAsUser") != 0:
            self.find("D-root", "not started as root: it cannot chown the "
                      "sockets to their pods' uids")

    def sockets_dir(self):
        v, m = self.host_path(SOCKET_ROOT)
        if v is None or v["hostPath"].get("type") != "DirectoryOrCreate":
            self.find("D-sockets-dir", "no hostPath %s of type "
                      "DirectoryOrCreate" % SOCKET_ROOT)
        elif m is None or m.get("mountPath") != SOCKET_ROOT or \
                m.get("readOnly"):
            self.find("D-sockets-dir", "%s is not mounted writable at %s"
                      % (SOCKET_ROOT, SOCKET_ROOT))

    def config_and_probes(self):
        args = list(self.c.get("command") or []) + list(self.c.get("args") or [])
        if "--foreground" not in args and "-f" not in args:
            self.find("D-config", "no --foreground: the daemon would detach")
        path = None
        for i, a in enumerate(args):
            if a in ("--config", "-c") and i + 1 < len(args):
                path = args[i + 1]
        if path is None:
            self.find("D-config", "no --config")
            return
        cm_volume = None
        for m in self.mounts:
            v = self.volumes.get(m.get("name")) or {}
            if "configMap" in v and m.get("mountPath") == posixpath.dirname(path):
                cm_volume = v
        names = [cm["metadata"]["name"] for cm in self.r.config_maps()]
        if cm_volume is None or cm_volume["configMap"].get("name") not in names \
                or posixpath.basename(path) != CONFIG_KEY:
            self.find("D-config", "--config %s is not the ConfigMap's %s"
                      % (path, CONFIG_KEY))
        conf = self.r.own_config()
        if conf is None:
            self.find("D-config", "no ConfigMap %s" % CONFIG_MAP)
            return
        self.writable(conf)
        self.probes(conf)
        # A numeric user alone leaves the daemon in group 0 (root's).
        if ("user" in conf.daemon) != ("group" in conf.daemon):
            self.find("D-config", "[daemon] sets only one of user and group")
        grace = duration_s(conf.daemon.get("shutdown-grace", "30s"))
        period = self.spec.get("terminationGracePeriodSeconds", 30)
        if grace is None or period <= grace:
            self.find("D-termination", "terminationGracePeriodSeconds %s is "
                      "not above shutdown-grace %s"
                      % (period, conf.daemon.get("shutdown-grace", "30s")))

    def writable(self, conf):
        for path in conf.written_paths():
            ok = False
            for m in self.mounts:
                v = self.volumes.get(m.get("name")) or {}
                if ("hostPath" in v or "emptyDir" in v) and \
                        not m.get("readOnly") and \
                        under(posixpath.dirname(path), m.get("mountPath", "")):
                    ok = True
            if not ok:
                self.find("D-writable", "%s is on no writable volume (the root "
                          "file system is read-only)" % path)
        if self.c.get("securityContext", {}).get("readOnlyRootFilesystem") \
                is not True:
            self.find("D-writable", "readOnlyRootFilesystem is not true")

    def probes(self, conf):
        listen = conf.daemon.get("metrics-listen")
        if listen is None or listen.startswith("unix:"):
            self.find("D-probes", "metrics-listen is not host:port, so the "
                      "kubelet cannot probe /healthz and /readyz")
            return
        host, _, port = listen.rpartition(":")
        if host not in ("0.0.0.0", "[::]", "::"):
            self.find("D-probes", "metrics-listen %s: the kubelet probes the "
                      "pod IP, not %s" % (listen, host))
        for kind, path in (("livenessProbe", "/healthz"),
                           ("readinessProbe", "/readyz")):
            probe = self.c.get(kind)
            got = ((probe or {}).get("httpGet") or {}).get("path")
            if got != path:
                self.find("D-probes", "%s is not an httpGet of %s" % (kind, path))
            elif str(probe_port(self.c, probe)) != port:
                self.find("D-probes", "%s port is not metrics-listen's %s"
                          % (kind, port))

    def resources(self):
        res = self.c.get("resources") or {}
        req = res.get("requests") or {}
        if "cpu" not in req or "memory" not in req:
            self.find("D-resources", "no cpu and memory requests")
        if "memory" not in (res.get("limits") or {}):
            self.find("D-resources", "no memory limit")

    def update(self):
        us = self.obj["spec"].get("updateStrategy") or {}
        kind = us.get("type", "RollingUpdate")
        surge = (us.get("rollingUpdate") or {}).get("maxSurge", 0)
        if kind == "RollingUpdate" and surge not in (0, "0", "0%"):
            self.find("D-update", "maxSurge %s: two daemons would contend "
                      "for /dev/tpm0" % surge)
        if "updateStrategy" not in self.obj["spec"]:
            self.find("D-update", "no updateStrategy")

    def nodes(self):
        if (self.spec.get("nodeSelector") or {}).get(NODE_LABEL) != "true":
            self.find("D-node", "nodeSelector lacks %s: \"true\"" % NODE_LABEL)
        if not any(t.get("key") == NODE_LABEL
                   for t in self.spec.get("tolerations") or []):
            self.find("D-node", "no toleration of the %s taint" % NODE_LABEL)


# ---- client pods --------------------------------------------------------------

class AppChecks:
    def __init__(self, r, obj):
        self.r, self.obj = r, obj
        self.spec = pod_spec(obj)
        self.volumes = {v.get("name"): v for v in self.spec.get("volumes") or []}

    def find(self, rule, message):
        self.r.find(rule, self.obj, message)

    def run(self):
        spec = self.spec
        for key in ("hostPID", "hostIPC", "hostNetwork"):
            if spec.get(key):
                self.find("A-host-ns", "%s is set" % key)
        psc = spec.get("securityContext") or {}
        if psc.get("supplementalGroups"):
            self.find("A-groups", "supplementalGroups %s"
                      % psc["supplementalGroups"])
        if "fsGroup" in psc:
            self.find("A-groups", "fsGroup %s (a supplementary group too)"
                      % psc["fsGroup"])
        if spec.get("automountServiceAccountToken") is not False:
            self.find("A-token", "automountServiceAccountToken is not false")
        socket_dirs = self.check_volumes()
        self.bridges = {}
        for c in containers(spec):
            opts = bridge_options(c)
            endpoint = bridge_endpoint(opts["listen"]) if opts else None
            if endpoint:
                self.bridges[endpoint] = c.get("name")
        for c in containers(spec):
            self.container(c, socket_dirs)

    def check_volumes(self):
        """Check hostPath volumes; {volume name: host directory} of the
        socket directories."""
        dirs = {}
        for name, v in self.volumes.items():
            hp = v.get("hostPath")
            if hp is None:
                continue
            path = hp.get("path", "").rstrip("/")
            if posixpath.dirname(path) != SOCKET_ROOT or \
                    path == SOCKET_ROOT:
                self.find("A-hostpath", "hostPath %s is not one socket "
                          "directory under %s" % (hp.get("path"), SOCKET_ROOT))
                continue
            if hp.get("type") != "Directory":
                self.find("A-hostpath", "hostPath %s has type %s, not "
                          "Directory" % (path, hp.get("type")))
            dirs[name] = path
        return dirs

    def container(self, c, socket_dirs):
        cname = c.get("name")
        csc = c.get("securityContext") or {}
        if csc.get("privileged"):
            self.find("A-privileged", "container %s is privileged" % cname)
        if csc.get("allowPrivilegeEscalation") is not False:
            self.find("A-escalation", "container %s: allowPrivilegeEscalation "
                      "is not false" % cname)
        caps = csc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []) or caps.get("add"):
            self.find("A-caps", "container %s: capabilities are not "
                      "drop [ALL] without add" % cname)
        if csc.get("readOnlyRootFilesystem") is not True:
            self.find("A-rofs", "container %s: readOnlyRootFilesystem is not "
                      "true" % cname)
        uid = effective(self.spec, c, "runAsUser")
        gid = effective(self.spec, c, "runAsGroup")
        if effective(self.spec, c, "runAsNonRoot") is not True or not uid:
            self.find("A-nonroot", "container %s: not runAsNonRoot with a "
                      "non-zero runAsUser" % cname)
        seccomp = (effective(self.spec, c, "seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            self.find("A-seccomp", "container %s: seccompProfile %s"
                      % (cname, seccomp))
        res = c.get("resources") or {}
        for section in ("requests", "limits"):
            for key in res.get(section) or {}:
                if key not in PLAIN_RESOURCES:
                    self.find("A-devices", "container %s requests %s (a "
                              "device plugin)" % (cname, key))
        if c.get("volumeDevices"):
            self.find("A-devices", "container %s has volumeDevices" % cname)
        if not image_pinned(c.get("image", "")):
            self.find("A-image", "container %s: image %r has no tag or is "
                      "latest" % (cname, c.get("image")))
        mounted = [m for m in c.get("volumeMounts") or []
                   if m.get("name") in socket_dirs]
        for m in mounted:
            if m.get("readOnly") is not True or m.get("subPath"):
                self.find("A-hostpath", "container %s mounts %s writable or by "
                          "subPath" % (cname, socket_dirs[m["name"]]))
        if len(mounted) > 1:
            self.find("A-hostpath", "container %s mounts %d socket directories"
                      % (cname, len(mounted)))
        bridge = bridge_options(c)
        if bridge is not None:
            self.bridge(c, bridge)
        if mounted:
            self.socket(c, socket_dirs[mounted[0]["name"]],
                        mounted[0].get("mountPath", ""), uid, gid, bridge)
        elif bridge is None:
            self.bridged(c)

    def bridge(self, c, opts):
        """A tpmproxy-bridge sidecar listens on its pod's loopback only."""
        if opts["allow"]:
            self.find("A-bridge", "container %s: tpmproxy-bridge with "
                      "--allow-non-loopback" % c.get("name"))
        if bridge_endpoint(opts["listen"]) is None:
            self.find("A-bridge", "container %s: tpmproxy-bridge --listen %r "
                      "is not a loopback address and port"
                      % (c.get("name"), opts["listen"]))

    def bridged(self, c):
        """A container without a socket that names a TPM names a bridge of
        its own pod, in both variables."""
        env = env_of(c)
        if "TCTI" not in env and "TPM2TOOLS_TCTI" not in env:
            return
        for var in ("TCTI", "TPM2TOOLS_TCTI"):
            value = env.get(var) or ""
            m = BRIDGE_TCTI.fullmatch(value)
            if m is None or (m.group(1), int(m.group(2))) not in self.bridges:
                self.find("A-env", "container %s mounts no socket and its %s "
                          "%r names no tpmproxy-bridge of its pod (%s)"
                          % (c.get("name"), var, env.get(var), ", ".join(
                              "%s:%d" % b for b in sorted(self.bridges)) or
                             "none"))

    def socket(self, c, host_dir, mount_path, uid, gid, bridge=None):
        cname = c.get("name")
        conf = self.r.config
        if conf is None:
            self.find("A-env", "no daemon configuration to check against")
            return
        name, keys = conf.socket_in(host_dir)
        if name is None:
            self.find("A-env", "container %s mounts %s, where the daemon "
                      "serves no socket" % (cname, host_dir))
            return
        path = posixpath.join(mount_path, posixpath.basename(keys["path"]))
        if bridge is not None:
            if posixpath.normpath(bridge["socket"]) != path:
                self.find("A-env", "container %s: tpmproxy-bridge --socket %r, "
                          "not %r" % (cname, bridge["socket"], path))
        else:
            env = env_of(c)
            for var in ("TCTI", "TPM2TOOLS_TCTI"):
                if env.get(var) != "proxy:" + path:
                    self.find("A-env", "container %s: %s is %r, not %r"
                              % (cname, var, env.get(var), "proxy:" + path))
        self.access(cname, name, keys, uid, gid)

    def access(self, cname, name, keys, uid, gid):
        """Whether uid:gid may connect (write permission on the socket) and
        passes allow-uids."""
        mode = int(keys.get("mode", "0660"), 8)
        owner = keys.get("owner", "")
        o_uid, _, o_gid = owner.partition(":")
        may = bool(mode & 0o002)
        if o_uid.isdigit() and int(o_uid) == uid:
            may = bool(mode & 0o200)
        elif o_gid.isdigit() and int(o_gid) == gid:
            may = bool(mode & 0o020)
        allow = keys.get("allow-uids")
        if allow is not None and str(uid) not in re.split(r"[\s,]+", allow):
            may = False
        if not may:
            self.find("A-socket-access", "container %s (uid %s, gid %s) cannot "
                      "use socket %r (owner %r, mode %s, allow-uids %s)"
                      % (cname, uid, gid, name, owner or "daemon",
                         keys.get("mode", "0660"), allow))


# ---- mutations ----------------------------------------------------------------

def apps(docs):
    return [d for d in docs if d.get("kind") in WORKLOAD_KINDS and
            not is_daemon(d)]


def daemons(docs):
    return [d for d in docs if d.get("kind") in WORKLOAD_KINDS and is_daemon(d)]


def put(d, key, value):
    """Set d[key] to value, or remove key when value is None."""
    if value is None:
        d.pop(key, None)
    else:
        d[key] = value


def first_app_container(docs):
    """The first container that uses a socket directly (TCTI proxy:), so
    that each generic mutation lands on a client it applies to."""
    for a in apps(docs):
        for c in pod_spec(a).get("containers") or []:
            if (env_of(c).get("TCTI") or "").startswith("proxy:"):
                return pod_spec(a), c
    return None, None


def bridged_pod(docs):
    """(bridge container, its client container) of the first pod with a
    tpmproxy-bridge sidecar."""
    for a in apps(docs):
        cs = pod_spec(a).get("containers") or []
        bridges = [c for c in cs if bridge_options(c) is not None]
        clients = [c for c in cs if bridge_options(c) is None and
                   "TCTI" in env_of(c)]
        if bridges and clients:
            return bridges[0], clients[0]
    return None, None


def bridge_args(docs, add=(), **options):
    """Set tpmproxy-bridge options (--name value) and append add."""
    bridge, _ = bridged_pod(docs)
    if bridge is None:
        return False
    args = [str(a) for a in bridge.get("args") or []]
    for name, value in options.items():
        flag = "--" + name
        if flag in args:
            args[args.index(flag) + 1] = value
        else:
            args += [flag, value]
    bridge["args"] = args + list(add)
    return True


def bridge_csc(docs, key, value):
    bridge, _ = bridged_pod(docs)
    if bridge is None:
        return False
    sc = bridge.setdefault("securityContext", {})
    put(sc, key, value)
    return True


def bridged_env(docs, var, value):
    _, c = bridged_pod(docs)
    if c is None:
        return False
    c["env"] = [e for e in c.get("env") or [] if e.get("name") != var] + \
        [{"name": var, "value": value}]
    return True


def app_csc(docs, **changes):
    spec, c = first_app_container(docs)
    if c is None:
        return False
    sc = c.setdefault("securityContext", {})
    for k, v in changes.items():
        put(sc, k, v)
    return True


def app_pod(docs, key, value):
    spec, _ = first_app_container(docs)
    if spec is None:
        return False
    put(spec, key, value)
    return True


def app_psc(docs, key, value):
    """Set a pod securityContext field, or remove it from the pod and the
    container (value None)."""
    spec, c = first_app_container(docs)
    if spec is None:
        return False
    if value is None:
        (spec.get("securityContext") or {}).pop(key, None)
        (c.get("securityContext") or {}).pop(key, None)
    else:
        spec.setdefault("securityContext", {})[key] = value
    return True


def app_socket_volume(docs):
    spec, c = first_app_container(docs)
    for v in (spec or {}).get("volumes") or []:
        if "hostPath" in v:
            return spec, c, v
    return None, None, None


def app_hostpath(docs, path):
    _, _, v = app_socket_volume(docs)
    if v is None:
        return False
    v["hostPath"]["path"] = path
    return True


def app_mount_rw(docs):
    spec, c, v = app_socket_volume(docs)
    if v is None:
        return False
    for m in c.get("volumeMounts") or []:
        if m.get("name") == v["name"]:
            m["readOnly"] = False
    return True


def app_add_device(docs):
    spec, c = first_app_container(docs)
    if spec is None:
        return False
    spec.setdefault("volumes", []).append(
        {"name": "tpm0", "hostPath": {"path": "/dev/tpm0",
                                      "type": "CharDevice"}})
    c.setdefault("volumeMounts", []).append({"name": "tpm0",
                                             "mountPath": "/dev/tpm0"})
    return True


def app_device_plugin(docs):
    _, c = first_app_container(docs)
    if c is None:
        return False
    c.setdefault("resources", {}).setdefault("limits", {})["squat.ai/tpm"] = 1
    return True


def app_env(docs, var, value):
    _, c = first_app_container(docs)
    if c is None:
        return False
    env = [e for e in c.get("env") or [] if e.get("name") != var]
    if value is not None:
        env.append({"name": var, "value": value})
    c["env"] = env
    return True


def app_image(docs, image):
    _, c = first_app_container(docs)
    if c is None:
        return False
    c["image"] = image
    return True


def daemon_container(docs):
    for d in daemons(docs):
        return pod_spec(d), pod_spec(d)["containers"][0], d
    return None, None, None


def daemon_spec(docs, key, value):
    spec, _, _ = daemon_container(docs)
    if spec is None:
        return False
    put(spec, key, value)
    return True


def daemon_drop_volume(docs, host_path):
    spec, c, _ = daemon_container(docs)
    if spec is None:
        return False
    names = [v["name"] for v in spec.get("volumes") or []
             if (v.get("hostPath") or {}).get("path") == host_path]
    spec["volumes"] = [v for v in spec["volumes"] if v["name"] not in names]
    c["volumeMounts"] = [m for m in c.get("volumeMounts") or []
                         if m.get("name") not in names]
    return True


def daemon_volume_type(docs, host_path, kind):
    spec, _, _ = daemon_container(docs)
    if spec is None:
        return False
    for v in spec.get("volumes") or []:
        if (v.get("hostPath") or {}).get("path") == host_path:
            v["hostPath"]["type"] = kind
    return True


def daemon_probe(docs, kind, field, value):
    _, c, _ = daemon_container(docs)
    if c is None:
        return False
    if field is None:
        c.pop(kind, None)
    else:
        c[kind]["httpGet"][field] = value
    return True


def daemon_c(docs, key, value):
    _, c, _ = daemon_container(docs)
    if c is None:
        return False
    put(c, key, value)
    return True


def daemon_surge(docs):
    _, _, d = daemon_container(docs)
    if d is None:
        return False
    d["spec"]["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate":
                                   {"maxUnavailable": 1, "maxSurge": 1}}
    return True


def config_edit(docs, fn):
    for d in docs:
        if d.get("kind") == "ConfigMap" and \
                d["metadata"]["name"].startswith(CONFIG_MAP):
            d["data"][CONFIG_KEY] = fn(d["data"][CONFIG_KEY])
            return True
    return False


def close_sockets(text):
    """Every socket 0600 and owned by the daemon: no client uid may open it."""
    text = re.sub(r"(?m)^\s*(owner|allow-uids)\s*=.*\n", "", text)
    return re.sub(r"(?m)^(\s*mode\s*=\s*)\S+", r"\g<1>0600", text)


MUTATIONS = [
    # name, expected rule, mutation (returns False when not applicable)
    ("app privileged", "A-privileged",
     lambda d: app_csc(d, privileged=True)),
    ("app allowPrivilegeEscalation", "A-escalation",
     lambda d: app_csc(d, allowPrivilegeEscalation=True)),
    ("app capability added", "A-caps",
     lambda d: app_csc(d, capabilities={"drop": ["ALL"],
                                        "add": ["SYS_ADMIN"]})),
    ("app capabilities kept", "A-caps",
     lambda d: app_csc(d, capabilities=None)),
    ("app writable root", "A-rofs",
     lambda d: app_csc(d, readOnlyRootFilesystem=False)),
    ("app runAsNonRoot removed", "A-nonroot",
     lambda d: app_psc(d, "runAsNonRoot", None)),
    ("app runs as root", "A-nonroot",
     lambda d: app_csc(d, runAsUser=0)),
    ("app seccomp removed", "A-seccomp",
     lambda d: app_psc(d, "seccompProfile", None)),
    ("app supplementalGroups", "A-groups",
     lambda d: app_psc(d, "supplementalGroups", [109])),
    ("app fsGroup", "A-groups",
     lambda d: app_psc(d, "fsGroup", 109)),
    ("app hostPID", "A-host-ns",
     lambda d: app_pod(d, "hostPID", True)),
    ("app hostNetwork", "A-host-ns",
     lambda d: app_pod(d, "hostNetwork", True)),
    ("app token mounted", "A-token",
     lambda d: app_pod(d, "automountServiceAccountToken", None)),
    ("app mounts /dev/tpm0", "A-hostpath", app_add_device),
    ("app mounts all of /run/tpmproxy", "A-hostpath",
     lambda d: app_hostpath(d, SOCKET_ROOT)),
    ("app mounts the socket directory writable", "A-hostpath", app_mount_rw),
    ("app uses a device plugin", "A-devices", app_device_plugin),
    ("app without TCTI", "A-env", lambda d: app_env(d, "TCTI", None)),
    ("app without TPM2TOOLS_TCTI", "A-env",
     lambda d: app_env(d, "TPM2TOOLS_TCTI", None)),
    ("app TCTI names another socket", "A-env",
     lambda d: app_env(d, "TCTI", "proxy:/run/tpmproxy/other.sock")),
    ("app image latest", "A-image",
     lambda d: app_image(d, "tpmproxy/tpm2-tools:latest")),
    ("socket closed to the app's uid", "A-socket-access",
     lambda d: bool(apps(d)) and config_edit(d, close_sockets)),
    ("configuration broken", "C-check-config",
     lambda d: config_edit(d, lambda t: t + "bogus-key = 1\n")),
    ("daemon without hostPID", "D-hostpid",
     lambda d: daemon_spec(d, "hostPID", None)),
    ("daemon without /dev/tpm0", "D-tpm-device",
     lambda d: daemon_drop_volume(d, "/dev/tpm0")),
    ("daemon not privileged", "D-tpm-device",
     lambda d: daemon_c(d, "securityContext", {"runAsUser": 0,
                                               "readOnlyRootFilesystem": True})),
    ("daemon not root", "D-root",
     lambda d: daemon_c(d, "securityContext", {"privileged": True,
                                               "runAsUser": 59,
                                               "readOnlyRootFilesystem": True})),
    ("daemon sockets directory not created", "D-sockets-dir",
     lambda d: daemon_volume_type(d, SOCKET_ROOT, "Directory")),
    ("daemon audit log volume removed", "D-writable",
     lambda d: daemon_drop_volume(d, "/var/log/tpmproxy")),
    ("daemon without liveness probe", "D-probes",
     lambda d: daemon_probe(d, "livenessProbe", None, None)),
    ("daemon readiness on /healthz", "D-probes",
     lambda d: daemon_probe(d, "readinessProbe", "path", "/healthz")),
    ("daemon probe on another port", "D-probes",
     lambda d: daemon_probe(d, "livenessProbe", "port", 9465)),
    ("metrics on loopback", "D-probes",
     lambda d: bool(daemons(d)) and config_edit(d, lambda t: re.sub(
         r"(?m)^(metrics-listen\s*=\s*)\S+", r"\g<1>127.0.0.1:9464", t))),
    ("daemon without resources", "D-resources",
     lambda d: daemon_c(d, "resources", None)),
    ("daemon surges", "D-update", daemon_surge),
    ("daemon on every node", "D-node",
     lambda d: daemon_spec(d, "nodeSelector", None)),
    ("daemon killed before its grace", "D-termination",
     lambda d: daemon_spec(d, "terminationGracePeriodSeconds", 10)),
    ("daemon user without group", "D-config",
     lambda d: bool(daemons(d)) and config_edit(d, lambda t: t.replace(
         "[daemon]\n", "[daemon]\nuser = 59\n", 1))),
    ("daemon token mounted", "D-no-token",
     lambda d: daemon_spec(d, "automountServiceAccountToken", True)),
    ("bridge on every address", "A-bridge",
     lambda d: bridge_args(d, ["--allow-non-loopback"], listen="0.0.0.0:2321")),
    ("bridge allowed off loopback", "A-bridge",
     lambda d: bridge_args(d, ["--allow-non-loopback"])),
    ("bridge on the node's address", "A-bridge",
     lambda d: bridge_args(d, listen="10.0.0.1:2321")),
    ("bridge forwards to another socket", "A-env",
     lambda d: bridge_args(d, socket="/run/tpmproxy/other.sock")),
    ("bridge keeps capabilities", "A-caps",
     lambda d: bridge_csc(d, "capabilities", None)),
    ("bridge writable root", "A-rofs",
     lambda d: bridge_csc(d, "readOnlyRootFilesystem", False)),
    ("bridged client on another port", "A-env",
     lambda d: bridged_env(d, "TCTI", "swtpm:host=127.0.0.1,port=2400")),
    ("bridged client on another host", "A-env",
     lambda d: bridged_env(d, "TPM2TOOLS_TCTI", "mssim:host=10.0.0.1,port=2321")),
    ("bridged client names a socket it does not mount", "A-env",
     lambda d: bridged_env(d, "TCTI", "proxy:/run/tpmproxy/tpm.sock")),
]


# ---- main ---------------------------------------------------------------------

def load(path):
    with open(path, encoding="utf-8") as f:
        return list(yaml.safe_load_all(f))


def base_config(renderings, checker):
    """The configuration of the "base" rendering, for those without one."""
    if "base" not in renderings:
        return None
    return Rendering("base", renderings["base"], None, checker).config


def run_checks(renderings, checker):
    base = base_config(renderings, checker)
    results = {}
    for name, docs in renderings.items():
        results[name] = Rendering(name, docs, base, checker)
        results[name].check()
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--daemon", required=True, help="tpmproxyd to run "
                    "--check-config with")
    ap.add_argument("--mutations", action="store_true",
                    help="break each property in memory; each must be caught")
    ap.add_argument("renderings", nargs="+", metavar="NAME=FILE")
    args = ap.parse_args()
    renderings = {}
    for item in args.renderings:
        name, _, path = item.partition("=")
        renderings[name] = load(path)
    checker = ConfigChecker(args.daemon)

    failed = False
    for name, r in run_checks(renderings, checker).items():
        kinds = {}
        for d in r.docs:
            kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
        napps = len(apps(r.docs))
        print("%s: %d objects (%s), %d daemon, %d client workloads, %d "
              "sockets" % (name, len(r.docs), ", ".join(
                  "%d %s" % (n, k) for k, n in sorted(kinds.items())),
                  len(daemons(r.docs)), napps,
                  len(r.config.sockets) if r.config else 0))
        for rule, msg in r.findings:
            print("  FAIL %s: %s" % (rule, msg))
            failed = True
    if failed or not args.mutations:
        return 1 if failed else 0

    applied = caught = 0
    for mname, rule, fn in MUTATIONS:
        hits = 0
        for name, docs in renderings.items():
            mutated = copy.deepcopy(docs)
            if not fn(mutated):
                continue
            hits += 1
            applied += 1
            subset = dict(renderings)
            subset[name] = mutated
            found = Rendering(name, mutated, base_config(subset, checker),
                              checker).check()
            rules = sorted({f[0] for f in found})
            if rule in rules:
                caught += 1
                print("caught: %s (%s): %s" % (mname, name, next(
                    "%s: %s" % f for f in found if f[0] == rule)))
            else:
                failed = True
                print("MISSED: %s (%s): expected %s, got %s"
                      % (mname, name, rule, rules or "nothing"))
        if hits == 0:
            failed = True
            print("MISSED: %s: applies to no rendering" % mname)
    print("mutations: %d kinds, %d applied, %d caught" % (len(MUTATIONS),
                                                          applied, caught))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

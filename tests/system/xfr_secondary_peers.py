"""Peers for the zone transfer tests: namaed as a primary, and BIND, Knot and
NSD as SECONDARIES of it, pulling a zone with TSIG.

* `start_namaed(workdir, zones, keys, http=False)`: namaed in the foreground
  serving `zones` ({name: {"text": ..., "journal": bool, "allow-transfer":
  [...], "allow-update": [...]}}) with `keys` ({name: (alg, secret)}); the
  returned NamaedPeer has .port, .http_port (if asked), .metrics() and .stop().
* `start_named_secondary` / `start_knotd_secondary` / `start_nsd_secondary`
  (workdir, zone, primary_port, key): a secondary of `zone` pulling from
  127.0.0.1:primary_port signed with key (name, alg, secret); the returned
  Peer has .refresh() (rndc refresh / knotc zone-refresh / nsd-control
  transfer: outgoing NOTIFY is not namaed's yet) and answers AXFR to anyone.

Only 127.0.0.1 and ports chosen here are used.
"""
import os
import shutil
import subprocess
import time
import urllib.request

import dns.message
import dns.query
import pytest

from conftest import Peer, free_port, namae_bin, stop_process

RNDC_SECRET = "cm5kYy1rZXktZm9yLW5hbWFlLXhmci10ZXN0cy0wMTIzNDU2Nzg5"


class NamaedPeer:
    def __init__(self, workdir, port, http_port, proc, log_path):
        self.workdir = workdir
        self.addr = "127.0.0.1"
        self.port = port
        self.http_port = http_port
        self.proc = proc
        self.log_path = log_path

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def metrics(self):
        """`/metrics` as {sample: value} (needs http=True)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/metrics", timeout=5) as r:
            text = r.read().decode()
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                k, _, v = line.rpartition(" ")
                out[k] = float(v)
        return out

    def stop(self):
        stop_process(self.proc)
        self.proc = None


def _toml_list(items):
    return "[" + ", ".join(f'"{i}"' for i in items) + "]"


def start_namaed(workdir, zones, keys, http=False, extra_server=""):
    os.makedirs(workdir, exist_ok=True)
    port = free_port()
    conf = [
        "[server]",
        f'listen = ["127.0.0.1:{port}"]',
        "workers = 1",
        'control = "ctl.sock"',
        extra_server,
    ]
    http_port = None
    if http:
        http_port = free_port()
    # Without http: no listener at all (the default port would clash between tests).
    conf += ["[http]", f'listen = "127.0.0.1:{http_port}"' if http else 'listen = ""']
    for name, (alg, secret) in keys.items():
        conf += ["[[key]]", f'name = "{name}"', f'algorithm = "{alg}"', f'secret = "{secret}"']
    for name, z in zones.items():
        with open(os.path.join(workdir, f"{name}.zone"), "w") as f:
            f.write(z["text"])
        conf += ["[[zone]]", f'name = "{name}"', f'file = "{name}.zone"']
        if z.get("journal"):
            conf.append(f'journal = "{name}.db"')
        if z.get("allow-update"):
            conf.append(f"allow-update = {_toml_list(z['allow-update'])}")
        if z.get("allow-transfer") is not None:
            conf.append(f"allow-transfer = {_toml_list(z['allow-transfer'])}")
    path = os.path.join(workdir, "namaed.toml")
    with open(path, "w") as f:
        f.write("\n".join(conf) + "\n")
    log_path = os.path.join(workdir, "namaed.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen([namae_bin("namaed"), "--config", path, "--foreground"],
                                stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    peer = NamaedPeer(workdir, port, http_port, proc, log_path)
    first = next(iter(zones))
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"namaed exited ({proc.returncode}):\n{peer.log()}")
        try:
            r = dns.query.udp(dns.message.make_query(first, "SOA"), "127.0.0.1", port=port,
                              timeout=0.5)
            if r.answer:
                return peer
        except Exception:
            pass
        time.sleep(0.1)
    peer.stop()
    raise RuntimeError(f"namaed did not start:\n{peer.log()}")


def _start(kind, workdir, conf_name, conf_lines, command, port, zone, refresh):
    conf_path = os.path.join(workdir, conf_name)
    with open(conf_path, "w") as f:
        f.write("\n".join(conf_lines) + "\n")
    log_path = os.path.join(workdir, f"{kind}.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(command(conf_path), stdout=log, stderr=subprocess.STDOUT,
                                cwd=workdir)
    peer = Peer(kind, "127.0.0.1", port, workdir, proc, log_path, {}, {zone: ""})
    peer.refresh = lambda: subprocess.run(refresh(conf_path), capture_output=True, text=True,
                                          timeout=20, cwd=workdir)
    peer.wait_ready(zone, timeout=30)
    return peer


def start_named_secondary(workdir, zone, primary_port, key):
    if not shutil.which("named"):
        pytest.skip("named not installed")
    os.makedirs(workdir, exist_ok=True)
    port, ctl = free_port(), free_port()
    kname, alg, secret = key
    conf = [
        "options {",
        f'  directory "{workdir}";',
        f'  pid-file "{workdir}/named.pid";',
        f'  session-keyfile "{workdir}/session.key";',
        f'  managed-keys-directory "{workdir}";',
        f"  listen-on port {port} {{ 127.0.0.1; }};",
        "  listen-on-v6 { none; };",
        "  recursion no;",
        "  dnssec-validation no;",
        "  notify no;",
        "  allow-transfer { any; };",
        "};",
        f'key "{kname}" {{ algorithm {alg}; secret "{secret}"; }};',
        f'key "rndc-key" {{ algorithm hmac-sha256; secret "{RNDC_SECRET}"; }};',
        f'controls {{ inet 127.0.0.1 port {ctl} allow {{ 127.0.0.1; }} keys {{ "rndc-key"; }}; }};',
        f'zone "{zone}" {{ type secondary; file "{zone}.bk"; '
        f'primaries port {primary_port} {{ 127.0.0.1 key "{kname}"; }}; }};',
    ]
    rndc_conf = os.path.join(workdir, "rndc.conf")
    with open(rndc_conf, "w") as f:
        f.write(f'key "rndc-key" {{ algorithm hmac-sha256; secret "{RNDC_SECRET}"; }};\n'
                f'options {{ default-key "rndc-key"; default-server 127.0.0.1; default-port {ctl}; }};\n')
    return _start("named", workdir, "named.conf", conf,
                  lambda c: ["named", "-g", "-c", c, "-n", "1"], port, zone,
                  lambda c: ["rndc", "-c", rndc_conf, "refresh", zone])


def start_knotd_secondary(workdir, zone, primary_port, key):
    if not shutil.which("knotd"):
        pytest.skip("knotd not installed")
    # knotd does not create its database directory: without it there is no
    # journal, and every IXFR fails to store ("not exists") and falls back to AXFR.
    os.makedirs(os.path.join(workdir, "db"), exist_ok=True)
    port = free_port()
    kname, alg, secret = key
    sock = os.path.join(workdir, "knot.sock")
    conf = [
        "server:",
        f"    listen: 127.0.0.1@{port}",
        f"    rundir: {workdir}",
        "control:",
        f"    listen: {sock}",
        "database:",
        f"    storage: {workdir}/db",
        "log:",
        "  - target: stderr",
        "    any: info",
        "key:",
        f"  - id: {kname}",
        f"    algorithm: {alg}",
        f"    secret: {secret}",
        "remote:",
        "  - id: primary",
        f"    address: 127.0.0.1@{primary_port}",
        f"    key: {kname}",
        "acl:",
        "  - id: open",
        "    action: transfer",
        "zone:",
        f"  - domain: {zone}",
        f"    storage: {workdir}",
        f"    file: {zone}.zone",
        "    master: primary",
        "    acl: [open]",
    ]
    return _start("knotd", workdir, "knot.conf", conf, lambda c: ["knotd", "-c", c], port, zone,
                  lambda c: ["knotc", "-s", sock, "zone-refresh", zone])


def start_nsd_secondary(workdir, zone, primary_port, key):
    if not shutil.which("nsd"):
        pytest.skip("nsd not installed")
    os.makedirs(workdir, exist_ok=True)
    port = free_port()
    kname, alg, secret = key
    sock = os.path.join(workdir, "nsd.sock")
    conf = [
        "server:",
        f"    ip-address: 127.0.0.1@{port}",
        "    server-count: 1",
        '    username: ""',
        '    chroot: ""',
        '    database: ""',
        f'    zonesdir: "{workdir}"',
        f'    pidfile: "{workdir}/nsd.pid"',
        f'    xfrdfile: "{workdir}/xfrd.state"',
        f'    zonelistfile: "{workdir}/zone.list"',
        f'    xfrdir: "{workdir}"',
        "    rrl-ratelimit: 0",
        "    verbosity: 2",
        "remote-control:",
        "    control-enable: yes",
        f"    control-interface: {sock}",
        "key:",
        f"    name: {kname}",
        f"    algorithm: {alg}",
        f'    secret: "{secret}"',
        "zone:",
        f"    name: {zone}",
        f"    zonefile: {zone}.zone",
        f"    request-xfr: 127.0.0.1@{primary_port} {kname}",
        "    allow-notify: 127.0.0.1 NOKEY",
        "    provide-xfr: 127.0.0.0/8 NOKEY",
    ]
    return _start("nsd", workdir, "nsd.conf", conf, lambda c: ["nsd", "-d", "-c", c], port, zone,
                  lambda c: ["nsd-control", "-c", c, "transfer", zone])


SECONDARIES = {
    "named": start_named_secondary,
    "knotd": start_knotd_secondary,
    "nsd": start_nsd_secondary,
}

"""Shared fixtures for namae's system tests.

* `namae_bin(name)` / the `namae` fixture: paths of built binaries (NAMAE_BIN,
  default <repo>/build/bin).
* `free_port()`: a loopback port free for both UDP and TCP.
* `start_named(...)` / `start_knotd(...)` / `start_nsd(...)`: run BIND, Knot or NSD as a peer on
  127.0.0.1:<port>, serving zones written into a temp dir, with TSIG keys; the
  returned Peer stops the daemon (and is stopped by the fixtures' teardown).
  (start_nsd takes no keys.)
* Fixtures `peers` (a factory that cleans up after the test), and the
  module-scoped `named_peer` / `knot_peer` serving TEST_ZONE with TEST_KEY.
* `namaed_config_head(port, ...)`: the opening of a test namaed's config.
* `make_cert(cert, key, ...)`: a TLS key and certificate (scripts/make-cert.sh).

Only 127.0.0.0/8 and ports chosen here are used; nothing leaves the host.
"""
import os
import random
import shutil
import socket
import re
import signal
import subprocess
import time

import dns.message
import dns.query
import dns.rdatatype
import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN_DIR = os.environ.get("NAMAE_BIN", os.path.join(REPO, "build", "bin"))

# A TSIG key known to the peers started here (name, algorithm, base64 secret).
TEST_KEY = ("testkey", "hmac-sha256", "c2VjcmV0LWtleS1mb3ItbmFtYWUtdGVzdHMtMDEyMzQ1Njc4OQ==")

TEST_ZONE_NAME = "example.test"


def _big_txt(n=40):
    # Enough TXT data that the RRset cannot fit in 512 octets (forces TC over UDP).
    return "\n".join(f'big TXT "record number {i:03d} padding padding padding padding"'
                     for i in range(n))


TEST_ZONE = f"""$ORIGIN example.test.
$TTL 3600
@       IN SOA ns1 hostmaster 2026112401 7200 3600 1209600 300
@       IN NS  ns1
@       IN MX  10 mail
ns1     IN A   127.0.0.1
www     IN A   192.0.2.1
www     IN A   192.0.2.2
www     IN AAAA 2001:db8::1
mail    IN A   192.0.2.25
alias   IN CNAME www
txt     IN TXT "hello world" "second \\"quoted\\" string"
srv     IN SRV 0 5 5060 sip
_sip._udp IN SRV 10 60 5060 www
caa     IN CAA 0 issue "ca.example.net"
{_big_txt()}
"""

REVERSE_ZONE_NAME = "2.0.192.in-addr.arpa"
REVERSE_ZONE = """$ORIGIN 2.0.192.in-addr.arpa.
$TTL 3600
@  IN SOA ns1.example.test. hostmaster.example.test. 1 7200 3600 1209600 300
@  IN NS  ns1.example.test.
1  IN PTR www.example.test.
"""

REVERSE6_ZONE_NAME = "8.b.d.0.1.0.0.2.ip6.arpa"
REVERSE6_ZONE = """$ORIGIN 8.b.d.0.1.0.0.2.ip6.arpa.
$TTL 3600
@  IN SOA ns1.example.test. hostmaster.example.test. 1 7200 3600 1209600 300
@  IN NS  ns1.example.test.
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN PTR www.example.test.
"""

DEFAULT_ZONES = {
    TEST_ZONE_NAME: TEST_ZONE,
    REVERSE_ZONE_NAME: REVERSE_ZONE,
    REVERSE6_ZONE_NAME: REVERSE6_ZONE,
}


def namaed_config_head(port, server_extra="", key=None):
    """The opening of a test namaed's TOML: [server] on 127.0.0.1:`port` with
    one worker and the control socket ctl.sock beside the file, then
    `server_extra` ([server] lines), the HTTP listener off, and `key` (name,
    algorithm, secret) as a [[key]] table when given."""
    text = f"""[server]
listen = ["127.0.0.1:{port}"]
workers = 1
control = "ctl.sock"
{server_extra}
[http]
listen = ""
"""
    if key:
        text += f"""
[[key]]
name = "{key[0]}"
algorithm = "{key[1]}"
secret = "{key[2]}"
"""
    return text + "\n"


def make_cert(cert, key, name="dns.test", san=None, ca_root=False, signed_by=None):
    """A P-256 key (mode 0600) and certificate for `name` made by
    scripts/make-cert.sh: self-signed, a CA's (`ca_root`), or signed by the
    CA `signed_by` (its cert, key); `san` as openssl writes subjectAltName
    (default DNS:name). Returns (cert, key)."""
    args = [os.path.join(REPO, "scripts", "make-cert.sh"), "--name", name]
    if san:
        args += ["--san", san]
    if ca_root:
        args.append("--ca-root")
    if signed_by:
        args += ["--signed-by", *signed_by]
    subprocess.run(args + [key, cert], check=True, capture_output=True)
    return cert, key


def run_checked(*args, check=True, timeout=120, **kw):
    """Run a tool (arguments made text), output captured; a failure raises with both streams."""
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"{args} -> {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def wait_until(what, check, timeout=20):
    """check()'s first true value, polled every 0.2 s; `what` names it when time runs out."""
    deadline = time.time() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.2)


def namae_bin(name="namae"):
    """Path of a built binary; skips the test when it has not been built."""
    path = os.path.join(BIN_DIR, name)
    if not os.access(path, os.X_OK):
        pytest.skip(f"{path} not built")
    return path


def dig_stdout(port, *args, addr="127.0.0.1"):
    """dig's output for one try of 2 s at addr:port."""
    r = subprocess.run(["dig", f"@{addr}", "-p", str(port), "+time=2", "+tries=1", *args],
                       capture_output=True, text=True, timeout=15)
    return r.stdout


def dig_status(out):
    """The status dig printed (NOERROR, REFUSED, BADCOOKIE...)."""
    m = re.search(r"status: (\w+)", out)
    assert m, out
    return m.group(1)


def stop_process(proc, timeout=10):
    """SIGTERM, then SIGKILL if it has not exited within `timeout` seconds."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


_handed_out = set()


def free_port(host="127.0.0.1"):
    """A port that is currently free on `host` for both UDP and TCP, below
    the kernel's ephemeral range (32768 and up): a client such as dig, which
    sets SO_REUSEPORT as namaed does, could otherwise be given a test
    server's port as its own source port and then receive its own query.
    Never the same port twice in one test process."""
    for _ in range(1000):
        port = random.randint(20000, 32767)
        if port in _handed_out:
            continue
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            u.bind((host, port))
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            t.bind((host, port))
        except OSError:
            continue
        finally:
            u.close()
            t.close()
        _handed_out.add(port)
        return port
    raise RuntimeError("no free port")


class Peer:
    """A running peer daemon on addr:port. `stop()` is idempotent."""

    def __init__(self, kind, addr, port, workdir, proc, log_path, keys, zones):
        self.kind = kind
        self.addr = addr
        self.port = port
        self.workdir = workdir
        self.proc = proc
        self.log_path = log_path
        self.keys = keys      # {name: (algorithm, secret)}
        self.zones = zones    # {name: text}

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def wait_ready(self, zone, timeout=15.0):
        """Poll the SOA of `zone` until the daemon answers authoritatively."""
        deadline = time.time() + timeout
        q = dns.message.make_query(zone, dns.rdatatype.SOA)
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited ({self.proc.returncode}):\n{self.log()}")
            try:
                r = dns.query.udp(q, self.addr, port=self.port, timeout=0.5)
                if r.answer:
                    return
            except Exception:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.kind} did not become ready:\n{self.log()}")


def _write_zones(workdir, zones):
    paths = {}
    for name, text in zones.items():
        # RFC 2317 zone names contain '/', which cannot be in a file name.
        path = os.path.join(workdir, f"{name.replace('/', '-')}.zone")
        with open(path, "w") as f:
            f.write(text)
        paths[name] = path
    return paths


def _launch(kind, conf_name, conf_lines, command, workdir, addr, port, keys, zones):
    """Write a peer's config, start it in the foreground logging to KIND.log,
    and wait until it answers SOA for its first zone."""
    conf_path = os.path.join(workdir, conf_name)
    with open(conf_path, "w") as f:
        f.write("\n".join(conf_lines) + "\n")
    log_path = os.path.join(workdir, f"{kind}.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(command(conf_path), stdout=log, stderr=subprocess.STDOUT,
                                cwd=workdir)
    peer = Peer(kind, addr, port, workdir, proc, log_path, keys, zones)
    peer.wait_ready(next(iter(zones)))
    return peer


def start_named(workdir, zones=None, keys=None, port=None, addr="127.0.0.1",
                options="", zone_options=""):
    """Start BIND's named in the foreground with its own config in `workdir`.

    zones: {name: zone text} (default DEFAULT_ZONES); keys: {name: (alg, secret)}
    (default TEST_KEY). `options` is extra text for the options block,
    `zone_options` extra text for every zone block (e.g. "allow-update { key testkey; };").
    """
    if not shutil.which("named"):
        pytest.skip("named not installed")
    zones = DEFAULT_ZONES if zones is None else zones
    keys = {TEST_KEY[0]: TEST_KEY[1:]} if keys is None else keys
    port = port or free_port(addr)
    os.makedirs(workdir, exist_ok=True)
    paths = _write_zones(workdir, zones)
    conf = [
        "options {",
        f'  directory "{workdir}";',
        f'  pid-file "{workdir}/named.pid";',
        f'  session-keyfile "{workdir}/session.key";',
        f'  managed-keys-directory "{workdir}";',
        f"  listen-on port {port} {{ {addr}; }};",
        "  listen-on-v6 { none; };",
        "  recursion no;",
        "  dnssec-validation no;",
        "  notify no;",
        "  allow-transfer { any; };",
        "  minimal-responses no;",
        options,
        "};",
        "controls { };",
    ]
    for name, (alg, secret) in keys.items():
        conf.append(f'key "{name}" {{ algorithm {alg}; secret "{secret}"; }};')
    for name, path in paths.items():
        conf.append(f'zone "{name}" {{ type primary; file "{path}"; {zone_options} }};')
    return _launch("named", "named.conf", conf, lambda c: ["named", "-g", "-c", c, "-n", "1"],
                   workdir, addr, port, keys, zones)


def start_knotd(workdir, zones=None, keys=None, port=None, addr="127.0.0.1", extra_conf=()):
    """Start knotd in the foreground with its own config in `workdir`.

    Same arguments as start_named. Every zone allows transfer and update to
    every key given (ACL "keys"), and transfer without a key. `extra_conf`:
    more config lines (whole sections, e.g. mod-rrl and a template), put
    before the zones.
    """
    if not shutil.which("knotd"):
        pytest.skip("knotd not installed")
    zones = DEFAULT_ZONES if zones is None else zones
    keys = {TEST_KEY[0]: TEST_KEY[1:]} if keys is None else keys
    port = port or free_port(addr)
    os.makedirs(workdir, exist_ok=True)
    paths = _write_zones(workdir, zones)
    conf = [
        "server:",
        f"    listen: {addr}@{port}",
        f"    rundir: {workdir}",
        "database:",
        f"    storage: {workdir}/db",
        "log:",
        "  - target: stderr",
        "    any: info",
    ]
    if keys:
        conf.append("key:")
        for name, (alg, secret) in keys.items():
            conf += [f"  - id: {name}", f"    algorithm: {alg}", f"    secret: {secret}"]
    conf += ["acl:", "  - id: open", "    action: transfer"]
    if keys:
        conf += ["  - id: keys", f"    key: [{', '.join(keys)}]", "    action: [transfer, update]"]
    conf += list(extra_conf)
    conf.append("zone:")
    for name, path in paths.items():
        conf += [f"  - domain: {name}", f"    file: {path}", "    zonefile-sync: -1",
                 "    journal-content: none",
                 f"    acl: [open{', keys' if keys else ''}]"]
    return _launch("knotd", "knot.conf", conf, lambda c: ["knotd", "-c", c],
                   workdir, addr, port, keys, zones)


def start_nsd(workdir, zones=None, port=None, addr="127.0.0.1", options="", control=False):
    """Start NSD in the foreground (`nsd -d`) with its own config in `workdir`.

    zones: {name: zone text} (default DEFAULT_ZONES). No chroot, no privilege
    drop, no database file, response rate limiting off (it would drop answers
    to a test that sends hundreds of queries). `options` is extra text for the
    server: clause (indented lines). `control`: nsd-control on the unix socket
    workdir/nsd.sock (e.g. `nsd-control -c workdir/nsd.conf stats_noreset`
    to count the queries it answered).
    """
    if not shutil.which("nsd"):
        pytest.skip("nsd not installed")
    zones = DEFAULT_ZONES if zones is None else zones
    port = port or free_port(addr)
    os.makedirs(workdir, exist_ok=True)
    paths = _write_zones(workdir, zones)
    conf = [
        "server:",
        f"    ip-address: {addr}@{port}",
        "    server-count: 1",
        '    username: ""',
        '    chroot: ""',
        '    database: ""',
        f'    zonesdir: "{workdir}"',
        f'    pidfile: "{workdir}/nsd.pid"',
        f'    xfrdfile: "{workdir}/xfrd.state"',
        f'    zonelistfile: "{workdir}/zone.list"',
        "    rrl-ratelimit: 0",
        "    rrl-whitelist-ratelimit: 0",
        "    verbosity: 1",
        options,
        "remote-control:",
    ] + ([f"    control-enable: yes\n    control-interface: {workdir}/nsd.sock"] if control else
         ["    control-enable: no"])
    for name, path in paths.items():
        conf += ["zone:", f'    name: "{name}"', f'    zonefile: "{path}"']
    return _launch("nsd", "nsd.conf", conf, lambda c: ["nsd", "-d", "-c", c],
                   workdir, addr, port, {}, zones)


_STARTERS = {"named": start_named, "knotd": start_knotd, "nsd": start_nsd}


@pytest.fixture
def namae():
    """Path of the `namae` binary."""
    return namae_bin("namae")


@pytest.fixture
def peers(tmp_path):
    """Factory: peers("named" | "knotd" | "nsd", **kwargs) -> Peer, stopped after the test."""
    started = []

    def make(kind, **kwargs):
        workdir = str(tmp_path / f"{kind}{len(started)}")
        peer = _STARTERS[kind](workdir, **kwargs)
        started.append(peer)
        return peer

    yield make
    for p in started:
        p.stop()


@pytest.fixture(scope="module")
def named_peer(tmp_path_factory):
    """BIND serving DEFAULT_ZONES with TEST_KEY, shared by a test module."""
    peer = start_named(str(tmp_path_factory.mktemp("named")))
    yield peer
    peer.stop()


@pytest.fixture(scope="module")
def knot_peer(tmp_path_factory):
    """Knot serving DEFAULT_ZONES with TEST_KEY, shared by a test module."""
    peer = start_knotd(str(tmp_path_factory.mktemp("knotd")))
    yield peer
    peer.stop()

"""Least privilege ([server] user/group, src/daemon/privileges.h).

namaed started as root with user = "nobody", group = "nogroup" binds ports
below 1024 (authoritative UDP/TCP, the resolver, HTTP), then every thread runs
as nobody/nogroup with empty permitted, effective and ambient capability sets
(read back from /proc/PID/task/*/status, as namaed itself checks before
READY=1). Dynamic update, its journal (owned by nobody), reload and a restart
after SIGKILL keep working as that user. An unknown user is a config error at
its line; an unprivileged namaed asked to become root refuses clearly.

The state directory is made under /tmp (mode 0755, owned by nobody), not under
pytest's tmp_path, whose parent is 0700 and so closed to nobody.
"""

import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import dns.message
import dns.query
import dns.rcode
import dns.tsigkeyring
import pytest

from conftest import namae_bin

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: namaed must start as root to switch user")

ZONE = "priv.test"
KEY_NAME = "priv-key"
KEY_SECRET = "cHJpdmlsZWdlcy10ZXN0LWtleS1mb3ItbmFtYWUtMDEyMzQ1Njc4OQ=="
ADDR = "127.0.0.1"


def free_low_ports(count, avoid=()):
    """`count` ports in 600-1000 free for UDP and TCP on ADDR."""
    found = []
    for port in range(600, 1000):
        if port in avoid:
            continue
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u, \
                 socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                u.bind((ADDR, port))
                t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                t.bind((ADDR, port))
        except OSError:
            continue
        found.append(port)
        if len(found) == count:
            return found
    pytest.skip("no free ports in 600-1000")


class State:
    """A state directory owned by nobody with a config, a zone and its journal."""

    def __init__(self, user="nobody", group="nogroup", extra_server=""):
        self.uid = pwd.getpwnam("nobody").pw_uid
        self.gid = grp.getgrnam("nogroup").gr_gid
        self.dir = tempfile.mkdtemp(prefix="namae-priv-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.port, self.resolver_port, self.http_port = free_low_ports(3)
        with open(os.path.join(self.dir, f"{ZONE}.zone"), "w") as f:
            f.write(f"$ORIGIN {ZONE}.\n$TTL 300\n@ SOA ns1 hostmaster 1 7200 900 1209600 60\n"
                    "@ NS ns1\nns1 A 127.0.0.1\n")
        self.config = os.path.join(self.dir, "namaed.toml")
        with open(self.config, "w") as f:
            f.write(f"""[server]
user = "{user}"
group = "{group}"
listen = ["{ADDR}:{self.port}"]
workers = 2
control = "run/ctl.sock"
pid-file = "run/namaed.pid"
{extra_server}

[resolver]
listen = ["{ADDR}:{self.resolver_port}"]

[http]
listen = "{ADDR}:{self.http_port}"

[[key]]
name = "{KEY_NAME}"
secret = "{KEY_SECRET}"

[[zone]]
name = "{ZONE}"
file = "{ZONE}.zone"
journal = "{ZONE}.db"
update-policy = [ {{ key = "{KEY_NAME}", grant = "zonesub", types = ["A"] }} ]
""")
        for name in os.listdir(self.dir):
            os.chown(os.path.join(self.dir, name), self.uid, self.gid)
        os.chown(self.dir, self.uid, self.gid)
        self.proc = None
        self.starts = 0

    def log(self):
        try:
            with open(os.path.join(self.dir, f"namaed.{self.starts}.log")) as f:
                return f.read()[-6000:]
        except OSError:
            return ""

    def start(self):
        self.starts += 1
        with open(os.path.join(self.dir, f"namaed.{self.starts}.log"), "w") as log:
            self.proc = subprocess.Popen([namae_bin("namaed"), "--config", self.config, "--foreground"],
                                         stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            assert self.proc.poll() is None, f"namaed exited ({self.proc.returncode}):\n{self.log()}"
            if "ready" in self.log():
                return
            time.sleep(0.05)
        raise AssertionError("namaed did not become ready:\n" + self.log())

    def query(self, name, rdtype, tcp=False):
        q = dns.message.make_query(name, rdtype)
        q.flags &= ~0x0100
        send = dns.query.tcp if tcp else dns.query.udp
        return send(q, ADDR, port=self.port, timeout=3)

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=20)

    def remove(self):
        self.kill(signal.SIGTERM)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def state():
    s = State()
    yield s
    s.remove()


def thread_status(pid):
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                out[tid] = dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)
        except FileNotFoundError:
            pass
    return {tid: {k: v.split() for k, v in fields.items()} for tid, fields in out.items()}


def nsupdate(s, script):
    if not shutil.which("nsupdate"):
        pytest.skip("nsupdate not installed")
    full = f"server {ADDR} {s.port}\nzone {ZONE}\n{script}\nsend\n"
    return subprocess.run(["nsupdate", "-y", f"hmac-sha256:{KEY_NAME}:{KEY_SECRET}"], input=full,
                          capture_output=True, text=True, timeout=30)


def test_runs_as_nobody_on_privileged_ports(state):
    state.start()
    for tcp in (False, True):
        r = state.query(ZONE, "SOA", tcp=tcp)
        assert r.rcode() == dns.rcode.NOERROR and r.answer, r
    with socket.create_connection((ADDR, state.http_port), timeout=3) as c:
        c.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
        assert c.recv(100).startswith(b"HTTP/1.")
    threads = thread_status(state.proc.pid)
    assert len(threads) > 4, threads.keys()  # workers, TCP, resolver, HTTP, control, maintenance
    for tid, st in threads.items():
        assert st["Uid"] == [str(state.uid)] * 4, (tid, st["Uid"])
        assert st["Gid"] == [str(state.gid)] * 4, (tid, st["Gid"])
        assert st.get("Groups", []) == [str(state.gid)], (tid, st.get("Groups"))
        for cap in ("CapPrm", "CapEff", "CapAmb"):
            assert int(st[cap][0], 16) == 0, (tid, cap, st[cap])
    assert "running as user nobody" in state.log()
    assert os.stat(os.path.join(state.dir, "run", "ctl.sock")).st_uid == state.uid


def test_update_reload_and_restart_as_nobody(state):
    state.start()
    p = nsupdate(state, "update add host.priv.test. 300 A 192.0.2.7")
    assert p.returncode == 0, p.stderr + state.log()
    assert state.query(f"host.{ZONE}", "A").answer[0][0].address == "192.0.2.7"
    journal = os.path.join(state.dir, f"{ZONE}.db")
    assert os.stat(journal).st_uid == state.uid
    state.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    while "reconfigure (SIGHUP)" not in state.log() and time.time() < deadline:
        time.sleep(0.05)
    assert "reconfigure (SIGHUP)" in state.log()
    assert state.proc.poll() is None
    state.kill()
    state.start()
    r = state.query(f"host.{ZONE}", "A")
    assert r.answer and r.answer[0][0].address == "192.0.2.7", state.log()
    p = nsupdate(state, "update add host2.priv.test. 300 A 192.0.2.8")
    assert p.returncode == 0, p.stderr + state.log()
    for name in os.listdir(state.dir):
        if name.startswith(f"{ZONE}.db"):
            assert os.stat(os.path.join(state.dir, name)).st_uid == state.uid, name


def test_unknown_user_is_a_config_error_at_its_line():
    s = State(user="no-such-user-namae", group="no-such-group-namae")
    try:
        p = subprocess.run([namae_bin("namaed"), "--config", s.config, "--foreground"],
                           capture_output=True, text=True, timeout=20)
        assert p.returncode != 0
        assert f"{s.config}:2: [server] user 'no-such-user-namae': no such user" in p.stderr, p.stderr
        assert f"{s.config}:3: [server] group 'no-such-group-namae': no such group" in p.stderr, p.stderr
    finally:
        s.remove()


def test_unprivileged_cannot_become_root():
    if not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) not installed")
    s = State(user="root", group="root")
    try:
        cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
               namae_bin("namaed"), "--config", s.config, "--foreground"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        assert p.returncode != 0, p.stderr
        assert f"{s.config}:2: [server] user 'root': namaed runs as uid {s.uid}" in p.stderr, p.stderr
        assert "not root, and cannot switch to user 'root'" in p.stderr, p.stderr
        assert "ready" not in p.stderr
    finally:
        s.remove()


def test_unprivileged_as_its_own_user_is_a_no_op():
    if not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) not installed")
    s = State()
    try:
        # Without CAP_NET_BIND_SERVICE nobody cannot bind below 1024: use high ports.
        with open(s.config) as f:
            text = f.read()
        for port in (s.port, s.resolver_port, s.http_port):
            text = text.replace(f":{port}\"", f":{port + 40000}\"")
        with open(s.config, "w") as f:
            f.write(text)
        s.port += 40000
        cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
               namae_bin("namaed"), "--config", s.config, "--foreground"]
        with open(os.path.join(s.dir, "namaed.1.log"), "w") as log:
            s.starts = 1
            s.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while "ready" not in s.log() and time.time() < deadline:
            assert s.proc.poll() is None, s.log()
            time.sleep(0.05)
        assert s.query(ZONE, "SOA").answer, s.log()
    finally:
        s.remove()


def test_unprivileged_with_ambient_bind_capability():
    """As systemd starts it (User=, AmbientCapabilities=CAP_NET_BIND_SERVICE)
    with no `user` key: it binds below 1024, and the capability stays (as
    with Knot; docs/config.md "Privileges")."""
    if not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) not installed")
    s = State()
    try:
        with open(s.config) as f:
            text = f.read().replace('user = "nobody"\ngroup = "nogroup"\n', "")
        with open(s.config, "w") as f:
            f.write(text)
        cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
               "--inh-caps=+net_bind_service", "--ambient-caps=+net_bind_service",
               namae_bin("namaed"), "--config", s.config, "--foreground"]
        with open(os.path.join(s.dir, "namaed.1.log"), "w") as log:
            s.starts = 1
            s.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while "ready" not in s.log() and time.time() < deadline:
            assert s.proc.poll() is None, s.log()
            time.sleep(0.05)
        assert s.query(ZONE, "SOA").answer, s.log()
        for tid, st in thread_status(s.proc.pid).items():
            assert st["Uid"] == [str(s.uid)] * 4, (tid, st["Uid"])
            assert int(st["CapEff"][0], 16) == 1 << 10, (tid, st["CapEff"])  # CAP_NET_BIND_SERVICE
        assert "running as root" not in s.log()
    finally:
        s.remove()


def test_root_with_only_the_capabilities_it_needs():
    """Root with a bounding set of just CAP_NET_BIND_SERVICE, CAP_SETUID,
    CAP_SETGID and CAP_SETPCAP (what namaed.service's comment says to grant
    when namaed switches users itself) is enough to bind and switch."""
    if not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) not installed")
    s = State()
    try:
        caps = "-all,+net_bind_service,+setuid,+setgid,+setpcap"
        cmd = ["setpriv", f"--bounding-set={caps}", f"--inh-caps=-all",
               namae_bin("namaed"), "--config", s.config, "--foreground"]
        with open(os.path.join(s.dir, "namaed.1.log"), "w") as log:
            s.starts = 1
            s.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while "ready" not in s.log() and time.time() < deadline:
            assert s.proc.poll() is None, s.log()
            time.sleep(0.05)
        assert s.query(ZONE, "SOA").answer, s.log()
        assert "running as user nobody" in s.log()
        for tid, st in thread_status(s.proc.pid).items():
            assert st["Uid"] == [str(s.uid)] * 4 and int(st["CapPrm"][0], 16) == 0, (tid, st)
    finally:
        s.remove()

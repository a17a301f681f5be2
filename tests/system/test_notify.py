"""Outgoing NOTIFY (RFC 1996) and generated catalog zones (RFC 9432), end to end.

namaed's `notify` targets are small dnspython UDP listeners that record every
NOTIFY (and answer it, late, or not at all, as a test needs): one NOTIFY per
target after an update and after a reload that changed the file, TSIG-signed
with `notify-key`, resent with backoff while unanswered, coalesced under a
burst of updates, sent on `namae ctl zone notify`. Real peers, knotd and
BIND's named as secondaries of namaed, log the NOTIFY they receive (named
with TSIG, whose signed answer namaed verifies). The catalog zone namaed
generates is read back record by record with dnspython, and its serial
follows the member set across restarts.
"""
import base64
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update
import dns.zone
import pytest

from conftest import free_port, namae_bin, stop_process

ZONE = "example.test"
ZONE_TEXT = """$ORIGIN example.test.
$TTL 300
@    IN SOA ns1 hostmaster {serial} 7200 900 1209600 60
@    IN NS  ns1
ns1  IN A   127.0.0.1
www  IN A   192.0.2.1
"""
KEY = ("notify-key", "hmac-sha256", base64.b64encode(b"secret-of-the-notify-tests-0123").decode())


class Listener:
    """A UDP 'secondary' that records the NOTIFYs it gets.

    answer: None (never), or seconds to wait before answering. With a
    keyring, a NOTIFY must carry a valid TSIG (dnspython checks it) and the
    answer is signed.
    """

    def __init__(self, answer=0.0, keyring=None, sign_answer=True, ipv6=False):
        self.answer = answer
        self.keyring = keyring
        self.sign_answer = sign_answer
        self.ipv6 = ipv6
        self.sock = socket.socket(socket.AF_INET6 if ipv6 else socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("::1" if ipv6 else "127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.got = []  # (time, message)
        self.errors = []
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @property
    def target(self):
        return f"[::1]:{self.port}" if self.ipv6 else f"127.0.0.1:{self.port}"

    def _run(self):
        self.sock.settimeout(0.1)
        while self.running:
            try:
                wire, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                msg = dns.message.from_wire(wire, keyring=self.keyring)
            except Exception as e:  # a bad TSIG lands here
                with self.lock:
                    self.errors.append(repr(e))
                continue
            with self.lock:
                self.got.append((time.time(), msg))
            if self.answer is not None:
                reply = dns.message.make_response(msg)
                reply.flags |= dns.flags.AA
                if not self.sign_answer:
                    reply.tsig, reply.keyring = None, None
                delay = self.answer
                threading.Timer(delay, self._send, (reply, peer)).start()

    def _send(self, reply, peer):
        try:
            self.sock.sendto(reply.to_wire(), peer)
        except OSError:
            pass

    def notifies(self):
        with self.lock:
            return list(self.got)

    def serials(self):
        return [serial_of(m) for _, m in self.notifies()]

    def wait_for(self, serial, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if serial in self.serials():
                return
            time.sleep(0.02)
        raise AssertionError(f"no NOTIFY with serial {serial}; got {self.serials()} errors {self.errors}")

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()


def serial_of(msg):
    assert msg.opcode() == dns.opcode.NOTIFY
    assert msg.flags & dns.flags.AA
    assert not msg.flags & dns.flags.QR
    assert msg.question[0].rdtype == dns.rdatatype.SOA
    assert msg.question[0].name == dns.name.from_text(ZONE) or len(msg.answer) == 1
    return msg.answer[0][0].serial


class Namaed:
    """namaed with ZONE (dynamic unless `journal` is False) and extra config."""

    def __init__(self, notify=(), notify_key=False, journal=True, other_zone=False, http=False, serial=100,
                 port=None):
        self.dir = tempfile.mkdtemp(prefix="namaed-notify-")
        self.port = port or free_port()
        self.http_port = free_port() if http else None
        self.write_zone(serial)
        targets = ", ".join(f'"{t}"' for t in notify)
        key = (f'[[key]]\nname = "{KEY[0]}"\nalgorithm = "{KEY[1]}"\nsecret = "{KEY[2]}"\n\n'
               if notify_key else "")
        zone_opts = f"notify = [{targets}]\n" if notify else ""
        extra_zones = ""
        if other_zone:  # a zone without notify targets
            extra_zones = '[[zone]]\nname = "other.test"\nfile = "other.test.zone"\n'
            with open(os.path.join(self.dir, "other.test.zone"), "w") as f:
                f.write("$TTL 300\n@ SOA ns1 h 1 7200 900 1209600 60\n@ NS ns1\nns1 A 127.0.0.1\n")
        if notify_key:
            zone_opts += f'notify-key = "{KEY[0]}"\n'
        if journal:
            zone_opts += f'journal = "{ZONE}.db"\nallow-update = ["127.0.0.1/32"]\n'
        http_conf = f'listen = "127.0.0.1:{self.http_port}"' if http else 'listen = ""'
        self.config = f"""[server]
listen = ["127.0.0.1:{self.port}"]
workers = 1
control = "ctl.sock"

[http]
{http_conf}

{key}[[zone]]
name = "{ZONE}"
file = "{ZONE}.zone"
{zone_opts}
{extra_zones}
"""
        with open(os.path.join(self.dir, "namaed.toml"), "w") as f:
            f.write(self.config)
        self.log_path = os.path.join(self.dir, "namaed.log")
        self.start()

    def write_zone(self, serial):
        path = os.path.join(self.dir, f"{ZONE}.zone")
        with open(path, "w") as f:
            f.write(ZONE_TEXT.format(serial=serial))
        # A reload notices a change by inode, size or mtime: make sure it does.
        st = os.stat(path)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000 * serial))

    def start(self):
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen([namae_bin("namaed"), "--config", os.path.join(self.dir, "namaed.toml"),
                                      "--foreground"], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"namaed exited:\n{self.log()}")
            if os.path.exists(os.path.join(self.dir, "ctl.sock")) and "ready" in self.log():
                return
            time.sleep(0.05)
        raise RuntimeError(f"namaed did not start:\n{self.log()}")

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def ctl(self, *words):
        return subprocess.run([namae_bin(), "ctl", "-s", os.path.join(self.dir, "ctl.sock"), *words],
                              capture_output=True, text=True, timeout=20)

    def query(self, name, rdtype):
        q = dns.message.make_query(name, rdtype)
        return dns.query.udp(q, "127.0.0.1", port=self.port, timeout=3)

    def soa_serial(self):
        return self.query(ZONE, "SOA").answer[0][0].serial

    def update_a(self, i):
        u = dns.update.UpdateMessage(ZONE)
        u.add(f"host{i}", 300, "A", f"192.0.2.{i % 250 + 1}")
        r = dns.query.udp(u, "127.0.0.1", port=self.port, timeout=5)
        assert r.rcode() == dns.rcode.NOERROR

    def metrics(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/metrics", timeout=5) as r:
            return r.read().decode()

    def stop(self, keep=False):
        stop_process(self.proc)
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def listeners():
    made = []

    def make(**kw):
        listener = Listener(**kw)
        made.append(listener)
        return listener

    yield make
    for listener in made:
        listener.close()


@pytest.fixture
def servers():
    made = []

    def make(**kw):
        srv = Namaed(**kw)
        made.append(srv)
        return srv

    yield make
    for srv in made:
        srv.stop()


def test_one_notify_per_target_after_an_update(listeners, servers):
    if not shutil.which("nsupdate"):
        pytest.skip("nsupdate not installed")
    a, b = listeners(), listeners()
    srv = servers(notify=[a.target, b.target])
    a.wait_for(100)  # the first load is notified too
    b.wait_for(100)
    time.sleep(0.3)
    before = (len(a.notifies()), len(b.notifies()))
    script = f"server 127.0.0.1 {srv.port}\nzone {ZONE}\nupdate add host1.{ZONE} 300 A 192.0.2.7\nsend\n"
    r = subprocess.run(["nsupdate"], input=script, capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    a.wait_for(101)
    b.wait_for(101)
    time.sleep(1.5)  # answered at once: no retry, no duplicate
    assert len(a.notifies()) == before[0] + 1
    assert len(b.notifies()) == before[1] + 1
    msg = a.notifies()[-1][1]
    assert msg.question[0].name == dns.name.from_text(ZONE)
    assert msg.answer[0].rdtype == dns.rdatatype.SOA
    assert srv.soa_serial() == 101


def test_ipv6_target(listeners, servers):
    a = listeners(ipv6=True)
    srv = servers(notify=[a.target])
    a.wait_for(100)
    srv.update_a(3)
    a.wait_for(101)
    deadline = time.time() + 5
    while "NOTIFY serial 101 answered" not in srv.log() and time.time() < deadline:
        time.sleep(0.05)
    assert f"[::1]:{a.port}: NOTIFY serial 101 answered" in srv.log()


def test_notify_after_a_reload_that_changed_the_file(listeners, servers):
    a = listeners()
    srv = servers(notify=[a.target], journal=False)
    a.wait_for(100)
    time.sleep(0.3)
    n = len(a.notifies())
    r = srv.ctl("reload")  # nothing changed: no NOTIFY
    assert r.returncode == 0, r.stdout + r.stderr
    time.sleep(0.5)
    assert len(a.notifies()) == n
    srv.write_zone(200)
    r = srv.ctl("reload")
    assert r.returncode == 0, r.stdout + r.stderr
    a.wait_for(200)
    os.kill(srv.proc.pid, signal.SIGHUP)  # SIGHUP takes the same path
    srv.write_zone(201)
    os.kill(srv.proc.pid, signal.SIGHUP)
    a.wait_for(201)


def test_signed_notify_with_notify_key(listeners, servers):
    keyring = dns.tsigkeyring.from_text({KEY[0]: (KEY[1], KEY[2])})
    a = listeners(keyring=keyring)
    srv = servers(notify=[a.target], notify_key=True, http=True)
    a.wait_for(100)
    srv.update_a(2)
    a.wait_for(101)
    for _, msg in a.notifies():
        assert msg.had_tsig and msg.keyname == dns.name.from_text(KEY[0])
    assert not a.errors
    deadline = time.time() + 5
    while time.time() < deadline and "namae_notify_answered_total 2" not in srv.metrics():
        time.sleep(0.05)
    text = srv.metrics()
    assert "namae_notify_answered_total 2" in text  # our signed answers verified
    assert "namae_notify_failed_total 0" in text


def test_unsigned_answer_to_a_signed_notify_is_not_taken(listeners, servers):
    # The listener answers unsigned: namaed keeps resending.
    keyring = dns.tsigkeyring.from_text({KEY[0]: (KEY[1], KEY[2])})
    a = listeners(keyring=keyring, sign_answer=False)
    servers(notify=[a.target], notify_key=True)
    time.sleep(3.5)
    ids = [m.id for _, m in a.notifies()]
    assert len(ids) >= 3 and len(set(ids)) == 1, ids


def test_retries_with_backoff_when_unanswered(listeners, servers):
    a = listeners(answer=None)
    srv = servers(notify=[a.target], http=True)
    time.sleep(3.6)  # tries at 0, 1 and 3 s
    got = a.notifies()
    assert len(got) == 3, [t for t, _ in got]
    assert len({m.id for _, m in got}) == 1  # the same NOTIFY resent
    gaps = [got[i + 1][0] - got[i][0] for i in range(len(got) - 1)]
    assert 0.8 < gaps[0] < 1.5 and 1.7 < gaps[1] < 2.6, gaps
    assert "namae_notify_sent_total 3" in srv.metrics()


def test_burst_of_updates_is_coalesced(listeners, servers):
    a = listeners(answer=0.3)  # a slow secondary
    srv = servers(notify=[a.target])
    a.wait_for(100)
    for i in range(200):
        srv.update_a(i)
    final = srv.soa_serial()
    assert final == 300
    a.wait_for(final)
    time.sleep(1)
    serials = a.serials()
    assert serials[-1] == final
    assert len(serials) < 30, serials  # not 200
    assert serials == sorted(serials)


def test_ctl_zone_notify(listeners, servers):
    a = listeners()
    srv = servers(notify=[a.target], other_zone=True)
    a.wait_for(100)
    time.sleep(0.3)
    n = len(a.notifies())
    r = srv.ctl("zone", "notify", ZONE)
    assert r.returncode == 0 and "1 target" in r.stdout, r.stdout + r.stderr
    deadline = time.time() + 5
    while len(a.notifies()) == n and time.time() < deadline:
        time.sleep(0.02)
    assert len(a.notifies()) == n + 1
    r = srv.ctl("zone", "notify", "other.test")
    assert r.returncode == 1 and "no notify targets" in r.stdout
    r = srv.ctl("zone", "notify", "nowhere.test")
    assert r.returncode == 1 and "not served" in r.stdout


# --- a real secondary: knotd ----------------------------------------------------

def start_knot_secondary(workdir, primary_port):
    if not shutil.which("knotd"):
        pytest.skip("knotd not installed")
    port = free_port()
    os.makedirs(workdir, exist_ok=True)
    conf = f"""server:
    listen: 127.0.0.1@{port}
    rundir: {workdir}
database:
    storage: {workdir}/db
log:
  - target: stderr
    any: debug
remote:
  - id: primary
    address: 127.0.0.1@{primary_port}
acl:
  - id: notify_from_primary
    address: 127.0.0.1
    action: notify
zone:
  - domain: {ZONE}
    file: {workdir}/{ZONE}.zone
    master: primary
    acl: notify_from_primary
"""
    path = os.path.join(workdir, "knot.conf")
    with open(path, "w") as f:
        f.write(conf)
    log_path = os.path.join(workdir, "knotd.log")
    log = open(log_path, "w")
    proc = subprocess.Popen(["knotd", "-c", path], stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.time() + 10
    while time.time() < deadline:
        with open(log_path) as f:
            if "server started" in f.read():
                break
        time.sleep(0.05)
    return proc, port, log_path


def test_knot_secondary_receives_notify(tmp_path, servers):
    # namaed's port is chosen first so that knotd's config can name its primary.
    primary_port = free_port()
    proc, knot_port, log_path = start_knot_secondary(str(tmp_path / "knot"), primary_port)
    try:
        srv = servers(notify=[f"127.0.0.1:{knot_port}"], port=primary_port)
        try:
            srv.update_a(7)
            deadline = time.time() + 10
            text = ""
            while time.time() < deadline:
                with open(log_path) as f:
                    text = f.read()
                if re.search(r"notify, incoming, remote 127\.0\.0\.1@\d+.*serial 101", text, re.I):
                    break
                time.sleep(0.1)
            assert re.search(r"notify, incoming, remote 127\.0\.0\.1@\d+.*serial 101", text, re.I), text[-3000:]
            # knotd answered it: namaed counts no failure and logs the answer.
            deadline = time.time() + 5
            while "NOTIFY serial 101 answered" not in srv.log() and time.time() < deadline:
                time.sleep(0.05)
            assert "NOTIFY serial 101 answered" in srv.log()
        finally:
            srv.stop()
    finally:
        proc.terminate()
        proc.wait(10)


def test_bind_secondary_receives_signed_notify(tmp_path, servers):
    """named as a secondary of namaed, sharing notify-key: it logs the
    signed NOTIFY, and namaed takes its signed answer."""
    if not shutil.which("named"):
        pytest.skip("named not installed")
    primary_port, bind_port = free_port(), free_port()
    d = tmp_path / "named"
    d.mkdir()
    (d / "named.conf").write_text(f"""options {{
  directory "{d}";
  pid-file "{d}/named.pid";
  session-keyfile "{d}/session.key";
  managed-keys-directory "{d}";
  listen-on port {bind_port} {{ 127.0.0.1; }};
  listen-on-v6 {{ none; }};
  recursion no;
  dnssec-validation no;
  notify no;
}};
controls {{ }};
key "{KEY[0]}" {{ algorithm {KEY[1]}; secret "{KEY[2]}"; }};
zone "{ZONE}" {{
  type secondary;
  file "{d}/{ZONE}.zone";
  primaries port {primary_port} {{ 127.0.0.1; }};
  allow-notify {{ key {KEY[0]}; }};
}};
""")
    log_path = d / "named.log"
    log = open(log_path, "w")
    named = subprocess.Popen(["named", "-g", "-c", str(d / "named.conf"), "-n", "1"], stdout=log,
                             stderr=subprocess.STDOUT)
    log.close()
    try:
        deadline = time.time() + 15
        while time.time() < deadline and "running" not in log_path.read_text():
            time.sleep(0.05)
        srv = servers(notify=[f"127.0.0.1:{bind_port}"], notify_key=True, port=primary_port)
        srv.update_a(9)
        pattern = re.compile(rf"127\.0\.0\.1#\d+/key {KEY[0]}.*received notify for zone '{ZONE}'")
        deadline = time.time() + 10
        while time.time() < deadline and len(pattern.findall(log_path.read_text())) < 2:
            time.sleep(0.1)
        assert len(pattern.findall(log_path.read_text())) >= 2, log_path.read_text()[-3000:]  # serials 100, 101
        deadline = time.time() + 5
        while "NOTIFY serial 101 answered" not in srv.log() and time.time() < deadline:
            time.sleep(0.05)
        assert "NOTIFY serial 101 answered" in srv.log(), srv.log()[-2000:]
        assert "TSIG" not in srv.log()  # no answer was refused for its signature
    finally:
        named.terminate()
        named.wait(10)


# --- generated catalog zones ----------------------------------------------------

CATALOG = "catalog.test"


def member_id(zone):
    wire = dns.name.from_text(zone).canonicalize().to_wire()
    return hashlib.sha256(wire).hexdigest()[:16]


def catalog_conf(members):
    conf = f'[[zone]]\nname = "{CATALOG}"\nfile = "{CATALOG}.zone"\ncatalog-role = "generate"\n\n'
    for zone, group in members:
        conf += f'[[zone]]\nname = "{zone}"\nfile = "member.zone"\ncatalog-zone = "{CATALOG}"\n'
        if group:
            conf += f'catalog-group = "{group}"\n'
        conf += "\n"
    return conf


def start_catalog_server(directory, members):
    """namaed in `directory` (kept across restarts) generating CATALOG."""
    port = free_port()
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "member.zone"), "w") as f:
        f.write("$TTL 300\n@ SOA ns1 h 1 7200 900 1209600 60\n@ NS ns1.example.\n")
    with open(os.path.join(directory, "namaed.toml"), "w") as f:
        f.write(f'[server]\nlisten = ["127.0.0.1:{port}"]\nworkers = 1\ncontrol = "ctl.sock"\n\n'
                f'[http]\nlisten = ""\n\n' + catalog_conf(members))
    log = open(os.path.join(directory, "namaed.log"), "a")
    proc = subprocess.Popen([namae_bin("namaed"), "--config", os.path.join(directory, "namaed.toml"),
                             "--foreground"], stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.time() + 20
    while time.time() < deadline:
        assert proc.poll() is None, open(os.path.join(directory, "namaed.log")).read()
        try:
            q = dns.message.make_query(CATALOG, "SOA")
            dns.query.udp(q, "127.0.0.1", port=port, timeout=0.5)
            return proc, port
        except Exception:
            time.sleep(0.05)
    raise RuntimeError("namaed did not start")


def ask(port, name, rdtype):
    r = dns.query.udp(dns.message.make_query(name, rdtype), "127.0.0.1", port=port, timeout=3)
    return r


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    proc.wait(10)


def test_generated_catalog_records(tmp_path):
    members = [("one.test", ""), ("two.test", "blue")]
    proc, port = start_catalog_server(str(tmp_path), members)
    try:
        soa = ask(port, CATALOG, "SOA").answer[0][0]
        assert soa.mname == dns.name.from_text("invalid.") and soa.expire == 2147483646
        assert ask(port, CATALOG, "NS").answer[0][0].target == dns.name.from_text("invalid.")
        version = ask(port, f"version.{CATALOG}", "TXT").answer[0]
        assert [r.strings for r in version] == [(b"2",)]
        for zone, group in members:
            node = f"{member_id(zone)}.zones.{CATALOG}"
            ptr = ask(port, node, "PTR")
            assert ptr.rcode() == dns.rcode.NOERROR, node
            assert [r.target for r in ptr.answer[0]] == [dns.name.from_text(zone)]
            g = ask(port, f"group.{node}", "TXT")
            if group:
                assert [r.strings for r in g.answer[0]] == [(group.encode(),)]
            else:
                assert not g.answer
        # The file namaed wrote is a catalog dnspython reads as such.
        z = dns.zone.from_file(str(tmp_path / f"{CATALOG}.zone"), origin=CATALOG, relativize=False)
        ptrs = {str(n): str(rds[0].target) for n, rds in z.iterate_rdatasets("PTR")}
        assert sorted(ptrs.values()) == ["one.test.", "two.test."]
    finally:
        stop(proc)


def test_catalog_serial_follows_the_member_set(tmp_path):
    d = str(tmp_path)
    proc, port = start_catalog_server(d, [("one.test", "")])
    first = ask(port, CATALOG, "SOA").answer[0][0].serial
    stop(proc)
    proc, port = start_catalog_server(d, [("one.test", "")])  # same members: same serial
    try:
        assert ask(port, CATALOG, "SOA").answer[0][0].serial == first
    finally:
        stop(proc)
    proc, port = start_catalog_server(d, [("one.test", ""), ("three.test", "g")])
    try:
        second = ask(port, CATALOG, "SOA").answer[0][0].serial
        assert (second - first) % 2**32 < 2**31 and second != first  # RFC 1982: newer
        node = f"{member_id('three.test')}.zones.{CATALOG}"
        assert ask(port, node, "PTR").answer[0][0].target == dns.name.from_text("three.test")
    finally:
        stop(proc)


def test_catalog_config_errors(tmp_path):
    cases = [
        ('[[zone]]\nname = "a.test"\nfile = "a"\ncatalog-zone = "nowhere.test"\n', "catalog-role = \\\"generate\\\""),
        ('[[zone]]\nname = "a.test"\nfile = "a"\ncatalog-group = "g"\n', "'catalog-group' needs 'catalog-zone'"),
        ('[[zone]]\nname = "c.test"\nfile = "c"\ncatalog-role = "consume"\n', "needs 'primaries'"),
        ('[[zone]]\nname = "a.test"\nfile = "a"\nnotify-key = "k"\nnotify = ["127.0.0.1:53"]\n', "no [[key]] named 'k'"),
        ('[[zone]]\nname = "a.test"\nfile = "a"\nnotify = ["nonsense"]\n', "'notify'"),
    ]
    for i, (conf, expected) in enumerate(cases):
        path = tmp_path / f"c{i}.toml"
        path.write_text('[http]\nlisten = ""\n' + conf)
        r = subprocess.run([namae_bin("namaed"), "--config", str(path), "--check"], capture_output=True,
                           text=True, timeout=20)
        assert r.returncode != 0, conf
        assert expected.replace("\\\"", '"') in r.stderr, (conf, r.stderr)


def catalog_view(zone_obj, origin):
    """(SOA fields but the serial, NS targets, version strings, {member: groups}) of a catalog."""
    origin = dns.name.from_text(origin)
    soa = zone_obj.find_rdataset(origin, "SOA")[0]
    ns = sorted(str(r.target) for r in zone_obj.find_rdataset(origin, "NS"))
    version = [r.strings for r in zone_obj.find_rdataset(dns.name.from_text("version", origin), "TXT")]
    zones = dns.name.from_text("zones", origin)
    members = {}
    for name, rds in zone_obj.iterate_rdatasets("PTR"):
        if name.parent() == zones:
            node_id = name.labels[0]
            group = zone_obj.get_rdataset(dns.name.Name((b"group", node_id) + zones.labels), "TXT")
            members[str(rds[0].target)] = sorted(s for r in (group or []) for s in r.strings)
    return (soa.mname, soa.rname, soa.refresh, soa.retry, soa.expire, soa.minimum), ns, version, members


def test_generated_catalog_matches_knots(tmp_path):
    """Knot's `catalog-role: generate` and namaed's catalog-role = "generate"
    list the same members the same way (ids aside: each hashes its own)."""
    if not shutil.which("knotd"):
        pytest.skip("knotd not installed")
    kdir = tmp_path / "knot"
    kdir.mkdir()
    members = [("one.test", "blue"), ("two.test", "")]
    for zone, _ in members:
        (kdir / f"{zone}.zone").write_text("$TTL 300\n@ SOA ns1 h 1 7200 900 1209600 60\n@ NS ns1.example.\n")
    kport = free_port()
    conf = [f"server:\n    listen: 127.0.0.1@{kport}\n    rundir: {kdir}",
            f"database:\n    storage: {kdir}/db",
            "log:\n  - target: stderr\n    any: info",
            "acl:\n  - id: open\n    action: transfer",
            f"template:\n  - id: default\n    storage: {kdir}",
            f"zone:\n  - domain: {CATALOG}\n    catalog-role: generate\n    acl: open"]
    for zone, group in members:
        conf.append(f"  - domain: {zone}\n    file: {zone}.zone\n    catalog-role: member\n"
                    f"    catalog-zone: {CATALOG}" + (f"\n    catalog-group: {group}" if group else ""))
    (kdir / "knot.conf").write_text("\n".join(conf) + "\n")
    log = open(kdir / "knotd.log", "w")
    knot = subprocess.Popen(["knotd", "-c", str(kdir / "knot.conf")], stdout=log, stderr=subprocess.STDOUT)
    log.close()
    try:
        knot_zone = None
        deadline = time.time() + 10
        while time.time() < deadline and knot_zone is None:
            try:
                knot_zone = dns.zone.from_xfr(dns.query.xfr("127.0.0.1", CATALOG, port=kport, timeout=2,
                                                            relativize=False),
                                              relativize=False)
            except Exception:
                time.sleep(0.2)
        assert knot_zone is not None, (kdir / "knotd.log").read_text()
    finally:
        knot.terminate()
        knot.wait(10)
    proc, _ = start_catalog_server(str(tmp_path / "namaed"), members)
    stop(proc)
    ours = dns.zone.from_file(str(tmp_path / "namaed" / f"{CATALOG}.zone"), origin=CATALOG, relativize=False)
    assert catalog_view(ours, CATALOG) == catalog_view(knot_zone, CATALOG)
    assert catalog_view(ours, CATALOG)[3] == {"one.test.": [b"blue"], "two.test.": []}


def test_check_builds_the_catalog_without_writing_it(tmp_path):
    (tmp_path / "member.zone").write_text("$TTL 300\n@ SOA ns1 h 1 7200 900 1209600 60\n@ NS ns1.example.\n")
    (tmp_path / "c.toml").write_text('[http]\nlisten = ""\n\n' + catalog_conf([("one.test", "g")]))
    r = subprocess.run([namae_bin("namaed"), "--config", str(tmp_path / "c.toml"), "--check"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"catalog zone {CATALOG}: 1 members (its file is written at start)" in r.stdout
    assert not (tmp_path / f"{CATALOG}.zone").exists()

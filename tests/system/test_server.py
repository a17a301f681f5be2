"""namaed transport and daemon behaviour on loopback (issue 3, Transport).

Answer contents (referrals, CNAME chains...) are tested by the auth tests; here:
UDP and TCP with dig and kdig, IPv6, RFC 7766 pipelining, idle timeout, half-open
clients, malformed packets, reload by SIGHUP and `namae ctl`, a zone that fails
to reload, /metrics, sd_notify readiness, config errors, clean shutdown.
Uses conftest.py's namae_bin/free_port; everything runs on 127.0.0.1/::1.
"""
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from conftest import free_port, namae_bin, stop_process

ZONE = """$ORIGIN example.test.
$TTL 300
@     IN SOA ns1 hostmaster {serial} 7200 900 1209600 60
@     IN NS  ns1
ns1   IN A   127.0.0.1
www   IN A   192.0.2.{last}
www   IN AAAA 2001:db8::1
"""

BROKEN_ZONE = """$ORIGIN example.test.
$TTL 300
@     IN SOA ns1 hostmaster 99 7200 900 1209600 60
@     IN NS  ns1
ns1   IN A   127.0.0.1
www   IN A   192.0.2.300
"""  # line 6: not an IPv4 address


def have_ipv6():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


class Namaed:
    """namaed in the foreground with a config in its own short temp dir."""

    def __init__(self, idle_ms=1500, extra_server="", ipv6=True):
        self.dir = tempfile.mkdtemp(prefix="namaed-")  # short: unix socket paths are limited
        self.zone_path = os.path.join(self.dir, "example.test.zone")
        self.write_zone(ZONE.format(serial=1, last=1))
        self.ipv6 = ipv6 and have_ipv6()
        self.config = os.path.join(self.dir, "namaed.toml")
        self.control = os.path.join(self.dir, "run", "ctl.sock")
        self.log_path = os.path.join(self.dir, "namaed.log")
        self.notify_path = os.path.join(self.dir, "notify.sock")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.notify_path)
        # free_port() probes 127.0.0.1 only; a port another process holds on
        # ::1 or a wildcard address (other tests run alongside) makes namaed
        # exit at bind: try again with new ports then.
        for attempt in range(3):
            self.port = free_port()
            self.http_port = free_port()
            self.write_config(idle_ms, extra_server)
            if self.launch():
                return
        self.stop()
        raise AssertionError("namaed could not bind after 3 port choices:\n" + self.last_log)

    def write_config(self, idle_ms, extra_server):
        listen = [f'"127.0.0.1:{self.port}"']
        if self.ipv6:
            listen.append(f'"[::1]:{self.port}"')
        with open(self.config, "w") as f:
            f.write(f"""[server]
listen = [{", ".join(listen)}]
workers = 2
control = "run/ctl.sock"
tcp-idle-timeout = {idle_ms}
{extra_server}

[[zone]]
name = "example.test"
file = "example.test.zone"

[http]
listen = "127.0.0.1:{self.http_port}"
""")

    def launch(self):
        """Start namaed; True once it signals readiness, False if it exited
        because a port was taken; anything else fails the test."""
        env = dict(os.environ, NOTIFY_SOCKET=self.notify_path)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([namae_bin("namaed"), "--config", self.config, "--foreground"],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.notify.settimeout(0.2)
        deadline = time.time() + 30  # generous: CI machines may be busy
        while time.time() < deadline:
            try:
                self.ready_message = self.notify.recv(4096).decode()
                return True
            except socket.timeout:
                pass
            if self.proc.poll() is not None:
                self.log.close()
                self.last_log = self.log_text()
                if "bind" in self.last_log or "in use" in self.last_log:
                    return False
                break
        log = self.log_text()  # before stop() removes the directory
        alive = self.proc.poll() is None
        self.stop()
        raise AssertionError(f"namaed did not signal readiness (running: {alive}):\n{log}")

    def write_zone(self, text):
        # Write a new file and rename, as editors and deploy tools do; also
        # guarantees a new inode/mtime so the reload sees the change.
        tmp = self.zone_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, self.zone_path)

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()

    def query(self, name="www.example.test", rdtype="A", tcp=False, addr="127.0.0.1"):
        q = dns.message.make_query(name, rdtype)
        if tcp:
            return dns.query.tcp(q, addr, port=self.port, timeout=3)
        return dns.query.udp(q, addr, port=self.port, timeout=3)

    def serial(self):
        r = self.query("example.test", "SOA")
        return r.answer[0][0].serial

    def ctl(self, *args):
        return subprocess.run([namae_bin("namae"), "ctl", "-s", self.control, *args],
                              capture_output=True, text=True, timeout=30)

    def metrics(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/metrics", timeout=5) as r:
            assert r.headers["Content-Type"].startswith("text/plain")
            return r.read().decode()

    def stop(self):
        stop_process(self.proc)
        self.log.close()
        self.notify.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def server():
    s = Namaed()
    yield s
    s.stop()


def metric(text, name, labels=""):
    m = re.search(r"^" + re.escape(name + labels) + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def wait_for(pred, timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def framed(wire):
    return struct.pack("!H", len(wire)) + wire


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d of %d octets" % (len(buf), n))
        buf += chunk
    return buf


def recv_frame(sock):
    (n,) = struct.unpack("!H", recv_exact(sock, 2))
    return dns.message.from_wire(recv_exact(sock, n))


# --- readiness, basic transports -------------------------------------------

def test_ready_notification_and_udp_tcp_with_dig_and_kdig(server):
    assert "READY=1" in server.ready_message
    for cmd in (["dig", "+norec", "+short"], ["dig", "+norec", "+short", "+tcp"],
                ["kdig", "+norec", "+short"], ["kdig", "+norec", "+short", "+tcp"]):
        out = subprocess.run(cmd + ["-p", str(server.port), "@127.0.0.1", "www.example.test", "A"],
                             capture_output=True, text=True, timeout=10)
        assert out.stdout.strip() == "192.0.2.1", (cmd, out.stdout, out.stderr)
    out = subprocess.run(["dig", "+norec", "-p", str(server.port), "@127.0.0.1", "www.example.test"],
                         capture_output=True, text=True, timeout=10).stdout
    assert re.search(r"flags: qr aa;", out), out


def test_ipv6_listener(server):
    if not server.ipv6:
        pytest.skip("no IPv6 loopback")
    for tcp in (False, True):
        r = server.query(tcp=tcp, addr="::1")
        assert r.rcode() == dns.rcode.NOERROR
        assert r.answer[0][0].address == "192.0.2.1"


def test_many_udp_queries_all_answered(server):
    # Bursts of 50 (so the client's own receive buffer never overflows), 300 in all.
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    got = set()
    for start in range(1, 301, 50):
        for i in range(start, start + 50):
            q = dns.message.make_query("www.example.test", "A")
            q.id = i
            s.sendto(q.to_wire(), ("127.0.0.1", server.port))
        try:
            while len(got) < start + 49:
                got.add(dns.message.from_wire(s.recv(4096)).id)
        except socket.timeout:
            break
    s.close()
    assert got == set(range(1, 301))


# --- TCP per RFC 7766 ---------------------------------------------------------

def test_tcp_pipelined_queries_in_one_write(server):
    names = ["www.example.test", "example.test", "ns1.example.test"]
    types = ["A", "SOA", "A"]
    qs = []
    for i, (n, t) in enumerate(zip(names, types)):
        q = dns.message.make_query(n, t)
        q.id = 1000 + i
        qs.append(q)
    with socket.create_connection(("127.0.0.1", server.port), timeout=3) as s:
        s.sendall(b"".join(framed(q.to_wire()) for q in qs))
        answers = [recv_frame(s) for _ in qs]
    for q, a in zip(qs, answers):
        assert a.id == q.id
        assert a.question[0].name == q.question[0].name
        assert a.rcode() == dns.rcode.NOERROR and a.answer


def test_tcp_query_split_across_writes(server):
    q = dns.message.make_query("www.example.test", "AAAA")
    wire = framed(q.to_wire())
    with socket.create_connection(("127.0.0.1", server.port), timeout=3) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(len(wire)):
            s.send(wire[i:i + 1])
            time.sleep(0.002)
        a = recv_frame(s)
    assert a.id == q.id and a.answer[0][0].address == "2001:db8::1"


def test_tcp_idle_timeout_closes_connection(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(framed(dns.message.make_query("www.example.test", "A").to_wire()))
        recv_frame(s)
        t0 = time.time()
        assert s.recv(1) == b""  # closed by the server
        waited = time.time() - t0
    assert 1.0 <= waited < 4.0, waited


def test_half_open_client_does_not_stop_others(server):
    lazy = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    lazy.sendall(b"\x00")  # one octet of a length prefix, then silence
    silent = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(20)]
    t0 = time.time()
    for tcp in (False, True, False, True):
        assert server.query(tcp=tcp).answer
    assert time.time() - t0 < 1.0
    assert lazy.recv(1) == b""  # dropped at the idle timeout
    lazy.close()
    for s in silent:
        s.close()


def test_tcp_client_that_never_reads_does_not_starve_others(server):
    hog = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    q = framed(dns.message.make_query("example.test", "ANY").to_wire())
    try:
        hog.setblocking(False)
        for _ in range(20000):
            hog.send(q)
    except BlockingIOError:
        pass
    for tcp in (True, False, True):
        assert server.query(tcp=tcp).answer
    hog.close()


def latencies(server, n, tcp=False):
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        assert server.query(tcp=tcp).answer
        out.append(time.perf_counter() - t0)
    return sorted(out)


def raise_fd_limit(need):
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:  # the common default is 1,024
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard == resource.RLIM_INFINITY else min(hard, 4 * need), hard))


def tcp_connections(server):
    out = subprocess.run([namae_bin(), "ctl", "-s", server.control, "status"], capture_output=True, text=True,
                         timeout=10).stdout
    return int(re.search(r"tcp-connections (\d+)", out).group(1))


def slowloris_medians(server):
    """Median UDP and TCP latencies idle, then under 1,000 connections that
    sent one octet and stopped plus a client that pipelines queries and never
    reads, measured once namaed holds them all (connect() returns from the
    kernel's backlog before namaed accepts)."""
    med = lambda v: v[len(v) // 2]
    udp_idle, tcp_idle = med(latencies(server, 200)), med(latencies(server, 50, tcp=True))
    slow = []
    hog = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    try:
        for _ in range(1000):
            s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            s.sendall(b"\x00")
            slow.append(s)
        hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        hog.setblocking(False)
        q = framed(dns.message.make_query("example.test", "ANY").to_wire())
        try:
            for _ in range(20000):
                hog.send(q)
        except BlockingIOError:
            pass
        deadline = time.time() + 10
        while tcp_connections(server) < 1001:
            assert time.time() < deadline, tcp_connections(server)
            time.sleep(0.05)
        udp_busy, tcp_busy = med(latencies(server, 200)), med(latencies(server, 50, tcp=True))
    finally:
        hog.close()
        for s in slow:
            s.close()
    return udp_idle, udp_busy, tcp_idle, tcp_busy


def test_slowloris_and_a_client_that_never_reads(server):
    # UDP and fresh TCP clients keep their latency: median within 2x of idle,
    # with a 2 ms floor for timer noise. The machine may be shared (other
    # builds and tests): a pair of measurements that a load spike skewed is
    # taken again, up to three times; a server that slows down under the
    # attack fails every one.
    raise_fd_limit(1100)
    within = lambda idle, busy: busy <= max(2 * idle, 0.002)
    runs = []
    for _ in range(3):
        udp_idle, udp_busy, tcp_idle, tcp_busy = slowloris_medians(server)
        runs.append(f"UDP {udp_idle * 1e3:.2f} / {udp_busy * 1e3:.2f} ms, TCP {tcp_idle * 1e3:.2f} / "
                    f"{tcp_busy * 1e3:.2f} ms (idle / under 1,000 slow connections)")
        print("\nslowloris: " + runs[-1])
        if within(udp_idle, udp_busy) and within(tcp_idle, tcp_busy):
            return
        while tcp_connections(server) > 0:  # the last run's connections gone before the next idle figure
            time.sleep(0.05)
    raise AssertionError("\n".join(runs))


# --- malformed input ------------------------------------------------------------

def malformed_packets():
    rnd = random.Random(7)
    pkts = [bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 300))) for _ in range(200)]
    pkts += [
        b"\x12\x34\x01",                                                  # truncated header
        b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00",              # QDCOUNT=1, no question
        b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01",  # pointer to itself
        b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01a\xc0\x0c\x00\x01\x00\x01",  # loop via label
        b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x20\x00\x01\x00\x01",  # forward/past end
        b"\x12\x34\x01\x00\x00\x01\x00\x05\x00\x00\x00\x00\x03www\x00\x00\x01\x00\x01",  # ANCOUNT lies
        b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x40" + b"a" * 64 + b"\x00\x00\x01\x00\x01",
    ]
    return pkts


def check_reply(data, sent):
    """A reply to garbage may only be FORMERR (or another error) echoing the ID; never NOERROR data."""
    assert len(data) >= 12
    assert data[:2] == sent[:2]
    assert data[2] & 0x80  # QR
    rcode = data[3] & 0x0F
    assert rcode in (dns.rcode.FORMERR, dns.rcode.NOTIMP, dns.rcode.REFUSED, dns.rcode.SERVFAIL), rcode


def test_malformed_udp_gets_formerr_or_nothing_and_server_keeps_answering(server):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.05)
    for pkt in malformed_packets():
        if len(pkt) >= 3 and pkt[2] & 0x80:
            continue  # a "response": must not be answered, checked below
        s.sendto(pkt, ("127.0.0.1", server.port))
        try:
            check_reply(s.recv(65535), pkt)
        except socket.timeout:
            pass
    # Responses are never answered (no reflection loops).
    resp = bytearray(dns.message.make_query("www.example.test", "A").to_wire())
    resp[2] |= 0x80
    s.sendto(bytes(resp), ("127.0.0.1", server.port))
    with pytest.raises(socket.timeout):
        s.recv(65535)
    s.close()
    assert server.query().answer
    assert server.proc.poll() is None


def test_malformed_tcp_frames(server):
    for pkt in malformed_packets()[-7:]:
        with socket.create_connection(("127.0.0.1", server.port), timeout=3) as s:
            s.sendall(framed(pkt))
            try:
                (n,) = struct.unpack("!H", recv_exact(s, 2))
                check_reply(recv_exact(s, n), pkt)
            except (EOFError, ConnectionResetError):
                pass
    with socket.create_connection(("127.0.0.1", server.port), timeout=3) as s:
        s.sendall(b"\x00\x00")  # a zero-length frame: garbage stream, closed
        assert s.recv(1) == b""
    assert server.query(tcp=True).answer


# --- reload -------------------------------------------------------------------------

def test_sighup_reloads_changed_zone_and_keeps_old_version_on_error(server):
    assert server.serial() == 1
    server.write_zone(ZONE.format(serial=2, last=2))
    server.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: server.serial() == 2), server.log_text()
    assert server.query().answer[0][0].address == "192.0.2.2"

    server.write_zone(BROKEN_ZONE)
    server.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: "load failed" in server.log_text()), server.log_text()
    assert server.serial() == 2
    assert server.query().answer[0][0].address == "192.0.2.2"
    assert re.search(re.escape(server.zone_path) + r":6:", server.log_text()), server.log_text()


def test_queries_keep_flowing_during_reloads(server):
    stop = time.time() + 1.5
    n = 0
    failures = 0
    serial = 1
    while time.time() < stop:
        if n % 20 == 0:
            serial += 1
            server.write_zone(ZONE.format(serial=serial, last=serial % 250))
            server.proc.send_signal(signal.SIGHUP)
        try:
            if server.query().rcode() != dns.rcode.NOERROR:
                failures += 1
        except dns.exception.Timeout:
            failures += 1
        n += 1
    assert failures == 0 and n > 50


def test_ctl_reload_status_and_errors(server):
    server.write_zone(ZONE.format(serial=5, last=5))
    r = server.ctl("reload")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("ok 1 loaded")
    assert server.serial() == 5

    r = server.ctl("reload")
    assert r.returncode == 0 and "1 unchanged" in r.stdout

    server.write_zone(BROKEN_ZONE)
    r = server.ctl("reload")
    assert r.returncode == 1
    assert r.stdout.startswith("error:")
    assert f"{server.zone_path}:6:" in r.stdout, r.stdout
    assert server.serial() == 5

    r = server.ctl("status")
    assert r.returncode == 0
    assert "zone example.test serial 5 stale" in r.stdout, r.stdout
    assert f"listen 127.0.0.1:{server.port}" in r.stdout

    r = server.ctl("frobnicate")
    assert r.returncode == 1 and "unknown command" in r.stdout


def test_ctl_stop_and_sigterm_shut_down_cleanly():
    s = Namaed()
    try:
        r = s.ctl("stop")
        assert r.returncode == 0 and r.stdout.startswith("ok")
        assert s.proc.wait(10) == 0
        assert not os.path.exists(s.control)
    finally:
        s.stop()
    s = Namaed()
    try:
        s.proc.send_signal(signal.SIGINT)
        assert s.proc.wait(10) == 0
        assert "shutting down" in s.log_text()
    finally:
        s.stop()


def test_ctl_without_server_fails_clearly(tmp_path):
    r = subprocess.run([namae_bin("namae"), "ctl", "-s", str(tmp_path / "none.sock"), "status"],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 1 and "is namaed running" in r.stderr


# --- metrics --------------------------------------------------------------------------

def test_metrics_counters_increase(server):
    before = server.metrics()
    for _ in range(5):
        server.query()
    server.query("nonexistent.example.test", "A", tcp=True)
    server.query("www.example.test", "AAAA")
    server.query("elsewhere.invalid", "A")
    after = server.metrics()
    udp = metric(after, "namae_queries_total", '{proto="udp"}') - metric(before, "namae_queries_total", '{proto="udp"}')
    tcp = metric(after, "namae_queries_total", '{proto="tcp"}') - metric(before, "namae_queries_total", '{proto="tcp"}')
    assert udp == 7 and tcp == 1
    assert metric(after, "namae_queries_by_type_total", '{qtype="AAAA"}') >= 1
    assert metric(after, "namae_responses_total", '{rcode="NXDOMAIN"}') >= 1
    assert metric(after, "namae_responses_total", '{rcode="REFUSED"}') >= 1
    assert metric(after, "namae_zone_queries_total", '{zone="example.test"}') >= 7
    assert metric(after, "namae_query_duration_seconds_count") >= 8
    assert metric(after, "namae_query_duration_seconds_bucket", '{le="+Inf"}') == \
        metric(after, "namae_query_duration_seconds_count")
    assert metric(after, "process_resident_memory_bytes") > 0
    assert metric(after, "namae_zones_loaded") == 1


# --- configuration -------------------------------------------------------------------

def run_check(tmp_path, text):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    return subprocess.run([namae_bin("namaed"), "--config", str(cfg), "--check"],
                          capture_output=True, text=True, timeout=10)


def test_config_errors_name_file_and_line(tmp_path):
    r = run_check(tmp_path, '[server]\nlisten = ["127.0.0.1:5300"]\nworkerz = 2\n')
    assert r.returncode == 1
    assert f"{tmp_path}/bad.toml:3: unknown key 'workerz' in [server]" in r.stderr, r.stderr
    r = run_check(tmp_path, '[server]\nlisten = ["localhost:53"]\n')
    assert r.returncode == 1 and "bad.toml:2:" in r.stderr and "numeric" in r.stderr
    r = run_check(tmp_path, '[server]\nworkers = "two"\n')
    assert r.returncode == 1 and "bad.toml:2: 'workers' must be an integer" in r.stderr
    r = run_check(tmp_path, '[server\n')
    assert r.returncode == 1 and "bad.toml:1:" in r.stderr
    r = run_check(tmp_path, '[[zone]]\nname = "a.test"\nfile = "missing.zone"\n')
    assert r.returncode == 1 and "missing.zone" in r.stdout + r.stderr


def test_default_config_check():
    r = subprocess.run([namae_bin("namaed"), "--default-config", "--check"], capture_output=True,
                       text=True, timeout=30,
                       cwd=os.path.join(os.path.dirname(__file__), "..", "..", "examples"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "zone example.net serial" in r.stdout


def test_print_config_is_read_back(tmp_path):
    """--print-config writes every key with its value or default, as TOML that
    namaed reads again (paths absolute, so it works from anywhere)."""
    examples = os.path.join(os.path.dirname(__file__), "..", "..", "examples")
    first = subprocess.run([namae_bin("namaed"), "--default-config", "--print-config"],
                           capture_output=True, text=True, timeout=10, cwd=examples)
    assert first.returncode == 0, first.stderr
    assert "\ntcp-write-buffer = 65536" in first.stdout  # a default the example leaves out
    printed = tmp_path / "printed.toml"
    printed.write_text(first.stdout)
    check = subprocess.run([namae_bin("namaed"), "--config", str(printed), "--check"],
                           capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "zone example.net serial" in check.stdout
    again = subprocess.run([namae_bin("namaed"), "--config", str(printed), "--print-config"],
                           capture_output=True, text=True, timeout=10)
    assert again.returncode == 0, again.stderr
    assert again.stdout.split("\n", 1)[1] == first.stdout.split("\n", 1)[1]

"""namaed's resolver over DNS over TLS (RFC 7858) and DNS over HTTPS (RFC 8484).

namaed serves a small root zone authoritatively on loopback and its resolver
iterates from it (root hints pointing at that listener), so every answer is
real resolution. Checked with kdig (+tls, certificate verification, +https
GET and POST), curl --http2 (status codes of bad requests) and Python's ssl
(pipelining, session resumption, idle and silent clients), always against the
same question asked over UDP.
"""
import os
import shutil
import socket
import ssl
import struct
import subprocess
import tempfile
import time
import urllib.request

import base64

import dns.message
import dns.rcode
import pytest

from conftest import free_port, make_cert, namae_bin, stop_process

ROOT_ZONE = """$TTL 300
. IN SOA a.root. hostmaster.root. 1 3600 600 86400 60
. IN NS a.root.
a.root. IN A 127.0.0.1
www.example. IN A 192.0.2.80
www.example. IN AAAA 2001:db8::80
short.example. 30 IN A 192.0.2.30
loop.example. IN A 127.0.0.1
"""
IDLE_MS = 700


def self_signed(d):
    """A self-signed certificate for dns.test (cert, key)."""
    return make_cert(os.path.join(d, "cert.pem"), os.path.join(d, "key.pem"))


class Namaed:
    """namaed: the root zone on [server], the resolver with DoT (and DoH) listeners."""

    def __init__(self, d, cert, key, tls_lines=None):
        self.dir = d
        self.auth_port, self.port, self.dot_port, self.doh_port, self.http_port = (free_port() for _ in range(5))
        with open(os.path.join(d, "root.zone"), "w") as f:
            f.write(ROOT_ZONE)
        with open(os.path.join(d, "hints"), "w") as f:
            f.write(". 3600000 NS a.root.\na.root. 3600000 A 127.0.0.1\n")
        if tls_lines is None:
            tls_lines = (f'dot-listen = ["127.0.0.1:{self.dot_port}"]\n'
                         f'doh-listen = ["127.0.0.1:{self.doh_port}"]\n'
                         f'tls-cert = "{cert}"\ntls-key = "{key}"\n')
        self.config = os.path.join(d, "namaed.toml")
        with open(self.config, "w") as f:
            f.write(f"""[server]
listen = ["127.0.0.1:{self.auth_port}"]
workers = 1
control = "ctl.sock"
tcp-idle-timeout = {IDLE_MS}

[http]
listen = "127.0.0.1:{self.http_port}"

[[zone]]
name = "."
file = "root.zone"

[resolver]
listen = ["127.0.0.1:{self.port}"]
root-hints = "hints"
validate = false  # the test root is unsigned
upstream-port = {self.auth_port}
do-not-query-localhost = false
empty-zones = false
{tls_lines}
""")
        self.log = os.path.join(d, "namaed.log")
        self.proc = subprocess.Popen([namae_bin("namaed"), "--config", self.config, "--foreground"],
                                     stdout=open(self.log, "w"), stderr=subprocess.STDOUT, cwd=d)

    def wait_ready(self):
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("namaed exited:\n" + open(self.log).read())
            if os.path.exists(os.path.join(self.dir, "ctl.sock")):
                return self
            time.sleep(0.05)
        raise RuntimeError("namaed did not start:\n" + open(self.log).read())

    def exit_output(self):
        """The log of a namaed expected to refuse to start."""
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            stop_process(self.proc)
            raise
        return self.proc.returncode, open(self.log).read()


@pytest.fixture(scope="module")
def workdir():
    d = tempfile.mkdtemp(prefix="namaed-tls-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def cert(workdir):
    return self_signed(workdir)


@pytest.fixture(scope="module")
def server(workdir, cert):
    n = Namaed(workdir, *cert).wait_ready()
    yield n
    stop_process(n.proc)


def kdig(*args):
    r = subprocess.run(["kdig", "+time=3", "+retry=0", *args], capture_output=True, text=True, timeout=20)
    return r.returncode, r.stdout + r.stderr


def answers(text):
    """The answer section records of kdig/dig output, as (name, type, rdata) without TTLs."""
    out, inside = set(), False
    for line in text.splitlines():
        if line.startswith(";; ANSWER SECTION"):
            inside = True
            continue
        if inside:
            if not line.strip() or line.startswith(";;"):
                inside = False
                continue
            f = line.split()
            out.add((f[0], f[3], " ".join(f[4:])))
    return out


def udp_answers(server, name, rtype="A"):
    code, out = kdig("@127.0.0.1", "-p", str(server.port), name, rtype)
    assert code == 0, out
    return answers(out)


def tls_client(cert=None, alpn=("dot",)):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if cert:
        ctx.load_verify_locations(cert)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    return ctx


def framed(name, rtype="A", qid=0):
    q = dns.message.make_query(name, rtype)
    q.id = qid
    w = q.to_wire()
    return struct.pack("!H", len(w)) + w


def read_frame(s):
    def exact(n):
        buf = b""
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf
    (n,) = struct.unpack("!H", exact(2))
    return dns.message.from_wire(exact(n))


def test_dot_same_answers_as_udp(server):
    for name, rtype in [("www.example.", "A"), ("www.example.", "AAAA"), ("nx.example.", "A")]:
        code, out = kdig("@127.0.0.1", "-p", str(server.dot_port), "+tls", name, rtype)
        assert code == 0, out
        assert "TLS session (TLS1.3)" in out, out
        assert answers(out) == udp_answers(server, name, rtype)
    code, out = kdig("@127.0.0.1", "-p", str(server.dot_port), "+tls", "www.example.", "A")
    assert ("www.example.", "A", "192.0.2.80") in answers(out), out


def test_dot_certificate_verification(server, cert):
    ok_args = ["@127.0.0.1", "-p", str(server.dot_port), f"+tls-ca={cert[0]}", "www.example.", "A"]
    code, out = kdig(*ok_args, "+tls-hostname=dns.test")
    assert code == 0 and ("www.example.", "A", "192.0.2.80") in answers(out), out
    code, out = kdig(*ok_args, "+tls-hostname=other.test")
    assert code != 0 or not answers(out), out  # the name does not match the certificate


def test_dot_alpn_and_old_versions(server):
    with socket.create_connection(("127.0.0.1", server.dot_port)) as raw:
        with tls_client(alpn=("dot", "h2")).wrap_socket(raw) as s:
            assert s.selected_alpn_protocol() == "dot"
    with socket.create_connection(("127.0.0.1", server.dot_port)) as raw:
        with pytest.raises(ssl.SSLError):
            tls_client(alpn=("h2",)).wrap_socket(raw)  # RFC 7301 3.2: no common protocol
    ctx = tls_client()
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # so the client really offers TLS 1.1
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    try:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_1
    except ValueError:
        pytest.skip("this OpenSSL cannot offer TLS 1.1")
    with socket.create_connection(("127.0.0.1", server.dot_port)) as raw:
        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            ctx.wrap_socket(raw)


def test_dot_pipelined_queries_on_one_connection(server):
    names = [("www.example.", "A"), ("www.example.", "AAAA"), ("short.example.", "A"), ("nx.example.", "A")]
    with socket.create_connection(("127.0.0.1", server.dot_port)) as raw:
        with tls_client().wrap_socket(raw) as s:
            s.sendall(b"".join(framed(n, t, qid=100 + i) for i, (n, t) in enumerate(names)))
            got = {}
            for _ in names:
                m = read_frame(s)
                got[m.id] = m
    assert sorted(got) == [100, 101, 102, 103]
    assert got[100].answer[0].to_text().endswith("192.0.2.80")
    assert got[101].answer[0].to_text().endswith("2001:db8::80")
    assert got[103].rcode() == dns.rcode.NXDOMAIN


@pytest.mark.parametrize("version", ["TLSv1_3", "TLSv1_2"])
def test_dot_session_resumption(server, version):
    ctx = tls_client()
    ctx.minimum_version = ctx.maximum_version = getattr(ssl.TLSVersion, version)
    with socket.create_connection(("127.0.0.1", server.dot_port)) as raw:
        with ctx.wrap_socket(raw) as s:
            s.sendall(framed("www.example."))
            read_frame(s)  # TLS 1.3 tickets arrive after the handshake
            session = s.session
            assert not s.session_reused
    with socket.create_connection(("127.0.0.1", server.dot_port)) as raw:
        with ctx.wrap_socket(raw, session=session) as s:
            s.sendall(framed("www.example."))
            assert read_frame(s).answer
            assert s.session_reused


def closed_within(s, seconds):
    """True if the server closes `s` (EOF or reset) within `seconds` (what it sends meanwhile is skipped)."""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            if s.recv(4096) == b"":
                return True
    except (ConnectionResetError, ssl.SSLError):
        return True
    except (socket.timeout, TimeoutError):
        return False
    return False


def test_dot_idle_connection_closed(server):
    with socket.create_connection(("127.0.0.1", server.dot_port)) as raw:
        with tls_client().wrap_socket(raw) as s:
            s.sendall(framed("www.example."))
            assert read_frame(s).answer
            t0 = time.monotonic()
            assert closed_within(s, 5)
            assert time.monotonic() - t0 < IDLE_MS / 1000 + 1.5


def test_silent_client_closed_at_idle_timeout(server):
    # Connects and never starts the handshake: the handshake counts against the timeout.
    with socket.create_connection(("127.0.0.1", server.dot_port)) as raw:
        t0 = time.monotonic()
        assert closed_within(raw, 5)
        assert time.monotonic() - t0 < IDLE_MS / 1000 + 1.5


def test_group_readable_key_is_a_startup_error(tmp_path, cert):
    key = tmp_path / "key.pem"
    shutil.copy(cert[1], key)
    os.chmod(key, 0o640)
    n = Namaed(str(tmp_path), cert[0], str(key))
    code, log = n.exit_output()
    assert code != 0
    assert "tls-key" in log and "group or others" in log, log


def test_missing_cert_is_a_startup_error(tmp_path, cert):
    n = Namaed(str(tmp_path), cert[0], cert[1], tls_lines='dot-listen = ["127.0.0.1:1"]\n')
    code, log = n.exit_output()
    assert code != 0
    assert "dot-listen needs tls-cert and tls-key" in log, log
    n = Namaed(str(tmp_path), str(tmp_path / "absent.pem"), cert[1])
    code, log = n.exit_output()
    assert code != 0
    assert "tls-cert" in log, log


def test_doh_kdig_post_and_get_same_answers_as_udp(server):
    for mode in ["+https", "+https-get"]:
        for name, rtype in [("www.example.", "A"), ("www.example.", "AAAA"), ("nx.example.", "A")]:
            code, out = kdig("@127.0.0.1", "-p", str(server.doh_port), mode, name, rtype)
            assert code == 0, out
            assert "HTTP session (HTTP/2" in out, out
            assert answers(out) == udp_answers(server, name, rtype), out
            if name == "nx.example.":
                assert "NXDOMAIN" in out, out
            else:
                assert len(answers(out)) == 1, out


def curl(server, path, *args):
    """(status, headers, body) of one HTTP/2 request to the DoH listener."""
    r = subprocess.run(["curl", "--http2", "-k", "-s", "-D", "-", "--max-time", "5", *args,
                        f"https://127.0.0.1:{server.doh_port}{path}"], capture_output=True, timeout=20)
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0].startswith("HTTP/2 "), (r.returncode, r.stdout, r.stderr)
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers, body


def post_args(server, wire, content_type="application/dns-message"):
    """curl arguments that POST `wire` (through a file: argv cannot hold NULs)."""
    path = os.path.join(server.dir, "body.bin")
    with open(path, "wb") as f:
        f.write(wire)
    return ["-H", f"content-type: {content_type}", "--data-binary", "@" + path]


def b64url(wire):
    return base64.urlsafe_b64encode(wire).rstrip(b"=").decode()


def test_doh_curl_get_and_post(server):
    q = dns.message.make_query("short.example.", "A")
    q.id = 0
    status, headers, body = curl(server, "/dns-query?dns=" + b64url(q.to_wire()))
    assert status == 200
    assert headers["content-type"] == "application/dns-message"
    m = dns.message.from_wire(body)
    assert m.id == 0 and m.answer[0].to_text().endswith("192.0.2.30")
    ttl = m.answer[0].ttl
    assert 0 < ttl <= 30 and headers["cache-control"] == f"max-age={ttl}"  # RFC 8484 5.1
    q.id = 4242  # RFC 8484 4.1 asks for 0; any is accepted
    q.question[0].name = dns.name.from_text("www.example.")
    status, headers, body = curl(server, "/dns-query", *post_args(server, q.to_wire()))
    assert status == 200
    m = dns.message.from_wire(body)
    assert m.id == 4242 and m.answer[0].to_text().endswith("192.0.2.80")


def test_doh_http_errors(server):
    wire = dns.message.make_query("www.example.", "A").to_wire()
    assert curl(server, "/other?dns=" + b64url(wire))[0] == 404
    assert curl(server, "/dns-query?dns=" + b64url(wire), "-X", "PUT")[0] == 405
    assert curl(server, "/dns-query", *post_args(server, wire, "text/plain"))[0] == 415
    assert curl(server, "/dns-query?dns=%25%25")[0] == 400
    assert curl(server, "/dns-query?dns=" + b64url(wire) + "==")[0] == 400  # padding
    assert curl(server, "/dns-query")[0] == 400
    assert curl(server, "/dns-query", *post_args(server, wire + b"\0" * 70000))[0] == 413
    assert curl(server, "/dns-query?dns=" + b64url(wire))[0] == 200  # the listener is still fine


def test_doh_parallel_streams_on_one_connection(server):
    urls = []
    for i, name in enumerate(["www.example.", "short.example.", "loop.example.", "nx.example."]):
        q = dns.message.make_query(name, "A")
        q.id = i
        urls.append(f"https://127.0.0.1:{server.doh_port}/dns-query?dns={b64url(q.to_wire())}")
    r = subprocess.run(["curl", "--http2", "-k", "-s", "-Z", "--parallel-max", "4", "-v", "-w", "%{http_code}\n",
                        "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null", *urls],
                       capture_output=True, text=True, timeout=20)
    assert r.stdout.split() == ["200"] * 4, r.stdout + r.stderr
    assert r.stderr.count("Connected to") == 1 or "Re-using existing connection" in r.stderr, r.stderr


def test_curl_resolves_through_doh_url(server):
    # curl asks A and AAAA of loop.example over DoH, then connects to the answer.
    r = subprocess.run(["curl", "-v", "-s", "--max-time", "5", "--doh-insecure", "--doh-url",
                        f"https://127.0.0.1:{server.doh_port}/dns-query",
                        f"http://loop.example:{server.port}/"], capture_output=True, text=True, timeout=20)
    assert "Trying 127.0.0.1:" in r.stderr, r.stderr


def test_doh_silent_client_closed_at_idle_timeout(server):
    with socket.create_connection(("127.0.0.1", server.doh_port)) as raw:
        with tls_client(alpn=("h2",)).wrap_socket(raw) as s:
            assert s.selected_alpn_protocol() == "h2"
            t0 = time.monotonic()
            assert closed_within(s, 5)
            assert time.monotonic() - t0 < IDLE_MS / 1000 + 1.5


def dig(*args):
    r = subprocess.run(["dig", "+time=3", "+tries=1", *args], capture_output=True, text=True, timeout=20)
    return r.returncode, r.stdout + r.stderr


@pytest.mark.parametrize("mode,port", [("+tls", "dot_port"), ("+https", "doh_port"), ("+https-get", "doh_port")])
def test_bind_dig_over_dot_and_doh(server, mode, port):
    """BIND's dig, the second client implementation, gets the UDP answers too."""
    for name, rtype in [("www.example.", "A"), ("nx.example.", "A")]:
        code, out = dig("@127.0.0.1", "-p", str(getattr(server, port)), mode, name, rtype)
        assert code == 0, out
        assert answers(out) == udp_answers(server, name, rtype), out
        assert ("NXDOMAIN" in out) == (name == "nx.example."), out


def test_doh_certificate_verification(server, cert):
    """A DoH client that checks the certificate accepts it for dns.test and refuses
    it for another name (curl against the same CA file)."""
    q = dns.message.make_query("www.example.", "A")
    url = f"https://dns.test:{server.doh_port}/dns-query?dns=" + b64url(q.to_wire())
    base = ["curl", "--http2", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5",
            "--cacert", cert[0]]
    ok = subprocess.run(base + ["--resolve", f"dns.test:{server.doh_port}:127.0.0.1", url],
                        capture_output=True, text=True, timeout=20)
    assert ok.returncode == 0 and ok.stdout == "200", (ok.returncode, ok.stdout, ok.stderr)
    other = url.replace("dns.test", "other.test")
    bad = subprocess.run(base + ["--resolve", f"other.test:{server.doh_port}:127.0.0.1", other],
                         capture_output=True, text=True, timeout=20)
    assert bad.returncode == 60, (bad.returncode, bad.stdout, bad.stderr)  # curl: peer certificate not verified


def metrics(server):
    """namaed's /metrics samples of the DoT and DoH families, by name and labels."""
    with urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}/metrics", timeout=5) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        if line.startswith(("namae_tls_", "namae_doh_")):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


def test_dot_and_doh_metrics(server):
    before = metrics(server)
    with socket.create_connection(("127.0.0.1", server.dot_port)) as raw:
        with tls_client().wrap_socket(raw) as s:
            s.sendall(framed("www.example.", qid=1) + framed("short.example.", qid=2))
            read_frame(s)
            read_frame(s)
            during = metrics(server)
    with socket.create_connection(("127.0.0.1", server.dot_port)) as raw:
        with pytest.raises(ssl.SSLError):
            tls_client(alpn=("h2",)).wrap_socket(raw)  # a failed handshake
    wire = dns.message.make_query("www.example.", "A").to_wire()
    assert curl(server, "/dns-query?dns=" + b64url(wire))[0] == 200
    assert curl(server, "/dns-query", *post_args(server, wire, "text/plain"))[0] == 415
    deadline = time.time() + 5
    while True:  # connections are counted closed when the server notices
        after = metrics(server)
        if after['namae_tls_connections{transport="dot"}'] == before['namae_tls_connections{transport="dot"}'] or \
                time.time() > deadline:
            break
        time.sleep(0.05)

    def delta(name, transport=None):
        key = f'{name}{{transport="{transport}"}}' if transport else name
        return after[key] - before[key]
    assert during['namae_tls_connections{transport="dot"}'] == before['namae_tls_connections{transport="dot"}'] + 1
    assert delta("namae_tls_connections", "dot") == 0
    assert delta("namae_tls_accepted_total", "dot") == 2
    assert delta("namae_tls_queries_total", "dot") == 2
    assert delta("namae_tls_errors_total", "dot") == 1
    assert delta("namae_tls_accepted_total", "doh") == 2
    assert delta("namae_tls_queries_total", "doh") == 1
    assert delta("namae_tls_errors_total", "doh") == 0
    assert delta("namae_doh_http_errors_total") == 1


def h2_frame(kind, flags, stream, payload=b""):
    return struct.pack("!I", len(payload))[1:] + bytes([kind, flags]) + struct.pack("!I", stream) + payload


def hpack_literal(index, value):
    """A header field as an HPACK literal without indexing, its name from the
    static table (RFC 7541 6.2.2), its value plain (no Huffman)."""
    assert index < 15 and len(value) < 127
    return bytes([index]) + bytes([len(value)]) + value.encode()


def h2_frames(data):
    """Complete HTTP/2 frames in `data` as (type, flags, stream, payload), and the rest."""
    frames = []
    while len(data) >= 9:
        n = int.from_bytes(data[:3], "big")
        if len(data) < 9 + n:
            break
        frames.append((data[3], data[4], int.from_bytes(data[5:9], "big") & 0x7fffffff, data[9:9 + n]))
        data = data[9 + n:]
    return frames, data


def test_doh_streams_past_the_concurrency_limit_are_refused(server):
    """101 GET requests at once on one connection: the server advertises 100
    concurrent streams (RFC 9113 6.5.2) and resets the one past it with
    REFUSED_STREAM (RFC 9113 5.1.2); the hundred others are answered."""
    def block(i):  # GET, https, :path, :authority; names not cached: each answer waits for upstream
        wire = dns.message.make_query(f"s{i}.nx.example.", "A").to_wire()
        return b"\x82\x87" + hpack_literal(4, "/dns-query?dns=" + b64url(wire)) + hpack_literal(1, "dns.test")
    out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(4, 0, 0)  # preface, empty SETTINGS
    out += b"".join(h2_frame(1, 0x5, 2 * i + 1, block(i)) for i in range(101))  # HEADERS, END_STREAM|END_HEADERS
    statuses, resets = {}, {}
    with socket.create_connection(("127.0.0.1", server.doh_port)) as raw:
        with tls_client(alpn=("h2",)).wrap_socket(raw) as s:
            s.sendall(out)
            s.settimeout(5)
            rest = b""
            while len(statuses) + len(resets) < 101:
                chunk = s.recv(65536)
                if not chunk:
                    break
                frames, rest = h2_frames(rest + chunk)
                for kind, flags, stream, payload in frames:
                    if kind == 4 and not flags & 1:
                        s.sendall(h2_frame(4, 1, 0))  # SETTINGS ACK
                    if kind == 1:
                        statuses[stream] = payload[:1]  # :status 200 is static index 8 (0x88)
                    if kind == 3:
                        resets[stream] = int.from_bytes(payload, "big")
    assert resets == {201: 7}, resets  # REFUSED_STREAM
    assert len(statuses) == 100 and set(statuses.values()) == {b"\x88"}, statuses


def all_metrics(server):
    """Every sample on namaed's /metrics, by name and labels."""
    with urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}/metrics", timeout=5) as r:
        text = r.read().decode()
    return {k: float(v) for k, v in (line.rsplit(" ", 1) for line in text.splitlines()
                                      if line and not line.startswith("#"))}


def rss_kib(server):
    with open(f"/proc/{server.proc.pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def push_until_stalled(s, make_chunk, seconds):
    """Send chunks from make_chunk() on the non-blocking TLS socket `s` for
    `seconds`, never reading: the bytes the server took in."""
    sent, deadline, chunk = 0, time.monotonic() + seconds, make_chunk()
    while time.monotonic() < deadline:
        try:
            sent += s.send(chunk)  # all of it: Python's ssl does no partial writes
            chunk = make_chunk()
        except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
            time.sleep(0.02)  # the same chunk again: OpenSSL wants the retry identical
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError, BrokenPipeError):
            break  # the server closed it (its unsent bytes passed the limit)
    return sent


def tiny_receive_window():
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
    return raw


def assert_others_answered(server):
    t0 = time.monotonic()
    code, out = kdig("@127.0.0.1", "-p", str(server.dot_port), "+tls", "www.example.", "A")
    assert code == 0 and ("www.example.", "A", "192.0.2.80") in answers(out), out
    wire = dns.message.make_query("www.example.", "A").to_wire()
    assert curl(server, "/dns-query?dns=" + b64url(wire))[0] == 200
    assert time.monotonic() - t0 < 3


def slow_reader_closed(server, before, queries_key, s, make_chunk):
    """The client on `s` pushes make_chunk()s and never reads: the server stops
    taking its queries (a bounded backlog, flat memory), answers others, and
    closes it as a slow reader after the idle timeout."""
    rss0 = rss_kib(server)
    s.setblocking(False)
    pushed = push_until_stalled(s, make_chunk, 1.5)
    taken = all_metrics(server)[queries_key] - before[queries_key]
    time.sleep(0.3)
    assert all_metrics(server)[queries_key] - before[queries_key] == taken  # no longer read
    assert_others_answered(server)
    closed = 'namae_tcp_closed_total{reason="slow_reader"}'
    deadline = time.monotonic() + IDLE_MS / 1000 + 3
    while all_metrics(server).get(closed, 0) == before.get(closed, 0):
        assert time.monotonic() < deadline, "the slow reader was never closed"
        time.sleep(0.1)
    assert rss_kib(server) - rss0 < 32 * 1024, (rss0, rss_kib(server))
    return taken


def test_dot_client_that_never_reads(server):
    before = all_metrics(server)
    with tiny_receive_window() as raw:
        raw.connect(("127.0.0.1", server.dot_port))
        with tls_client().wrap_socket(raw) as s:
            chunk = framed("www.example.") * 100
            taken = slow_reader_closed(server, before, 'namae_tls_queries_total{transport="dot"}', s, lambda: chunk)
    print(f"\nDoT slow reader: {taken:.0f} queries taken before the server stopped reading")


def test_doh_client_that_never_reads(server):
    wire = dns.message.make_query("www.example.", "A").to_wire()
    block = b"\x82\x87" + hpack_literal(4, "/dns-query?dns=" + b64url(wire)) + hpack_literal(1, "dns.test")
    before = all_metrics(server)
    with tiny_receive_window() as raw:
        raw.connect(("127.0.0.1", server.doh_port))
        with tls_client(alpn=("h2",)).wrap_socket(raw) as s:
            s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(4, 0, 0))
            streams = iter(range(1, 1 << 31, 2))

            def requests():  # 50 new GET streams
                return b"".join(h2_frame(1, 0x5, next(streams), block) for _ in range(50))
            taken = slow_reader_closed(server, before, 'namae_tls_queries_total{transport="doh"}', s, requests)
    print(f"\nDoH slow reader: {taken:.0f} requests taken before the server stopped reading")


def trickle_until_closed(s, data, gap, seconds):
    """Send `data` a byte every `gap` seconds (each gap shorter than the idle
    timeout) until the server closes the connection: how long that took, or
    None if it stayed open `seconds`."""
    t0 = time.monotonic()
    for b in data:
        if time.monotonic() - t0 > seconds:
            return None
        try:
            s.sendall(bytes([b]))
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            return time.monotonic() - t0
        if closed_within(s, gap):
            return time.monotonic() - t0
    return None


def client_hello():
    """The first flight of a TLS client, as bytes to send by hand."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = tls_client().wrap_bio(incoming, outgoing)
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    return outgoing.read()


def test_dot_slowloris_handshake_closed_at_idle_timeout(server):
    # The ClientHello a byte at a time: bytes that complete nothing are no progress.
    with socket.create_connection(("127.0.0.1", server.dot_port)) as raw:
        took = trickle_until_closed(raw, client_hello(), 0.15, 5)
    assert took is not None and took < IDLE_MS / 1000 + 1.5, took


def test_dot_slowloris_query_closed_at_idle_timeout(server):
    with socket.create_connection(("127.0.0.1", server.dot_port)) as raw:
        with tls_client().wrap_socket(raw) as s:
            took = trickle_until_closed(s, framed("www.example."), 0.15, 5)
    assert took is not None and took < IDLE_MS / 1000 + 1.5, took


def test_doh_slowloris_request_closed_at_idle_timeout(server):
    wire = dns.message.make_query("www.example.", "A").to_wire()
    block = b"\x82\x87" + hpack_literal(4, "/dns-query?dns=" + b64url(wire)) + hpack_literal(1, "dns.test")
    with socket.create_connection(("127.0.0.1", server.doh_port)) as raw:
        with tls_client(alpn=("h2",)).wrap_socket(raw) as s:
            s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(4, 0, 0))
            took = trickle_until_closed(s, h2_frame(1, 0x5, 1, block), 0.15, 5)
    assert took is not None and took < IDLE_MS / 1000 + 1.5, took


def cpu_seconds(pid):
    """User + system CPU time of a process, from /proc (after the ')' of comm)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_doh_handshake_without_finished_costs_no_cpu(server):
    """A DoH client that sends its ClientHello and never its Finished. The
    server's SETTINGS, written at once, wait for the handshake: that write
    needs the client's bytes, so it waits for the socket to become readable,
    not writable (writable at once: a busy loop until the idle timeout)."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = tls_client(alpn=("h2",)).wrap_bio(incoming, outgoing)
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    with socket.create_connection(("127.0.0.1", server.doh_port)) as raw:
        before, t0 = cpu_seconds(server.proc.pid), time.monotonic()
        raw.sendall(outgoing.read())  # the server's flight is read and ignored: no Finished
        assert closed_within(raw, 5)
        elapsed, used = time.monotonic() - t0, cpu_seconds(server.proc.pid) - before
    assert elapsed >= IDLE_MS / 1000 - 0.1, elapsed
    assert used < 0.2, f"namaed used {used:.2f} s of CPU in {elapsed:.2f} s"



def test_doh_pings_without_requests_closed_at_idle_timeout(server):
    """HTTP/2 PINGs (RFC 9113 6.7: a liveness and round-trip check) every
    200 ms and never a request: the PING ACKs the server writes are not
    activity, so the connection closes at the idle timeout as a silent one
    does (only requests and their streams keep a connection, as on DoT)."""
    with socket.create_connection(("127.0.0.1", server.doh_port)) as raw:
        with tls_client(alpn=("h2",)).wrap_socket(raw) as s:
            s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(4, 0, 0))
            t0, pings, closed = time.monotonic(), 0, False
            while time.monotonic() - t0 < 4 and not closed:
                try:
                    s.sendall(h2_frame(6, 0, 0, struct.pack("!Q", pings)))  # PING
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                    break
                pings += 1
                closed = closed_within(s, 0.2)
            took = time.monotonic() - t0
    assert pings >= 3, pings
    assert took < IDLE_MS / 1000 + 1.5, f"still open after {took:.1f} s of PINGs"

"""DNS Push Notifications (RFC 8765) over DSO sessions (RFC 8490) on namaed's
push-listen (TLS): `namae watch` sees a change made with BIND's nsupdate;
a raw subscriber measures the time from an UPDATE's acknowledgement to the
PUSH that carries it (median of 100 moves); lease expiry and a zone reload
are pushed too. DSO conformance with hand-made messages: malformed TLVs,
an unknown primary TLV, DSO over UDP, a unidirectional message before the
session is established, duplicate subscriptions, subscriptions over the
limit, and a client that stops reading (dropped, the server unaffected).
"""
import os
import socket
import ssl
import statistics
import struct
import subprocess
import time
import json

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.update
import pytest

from conftest import free_port, namae_bin, namaed_config_head, stop_process
from test_dot_doh import cert, workdir  # noqa: F401 (fixtures: a temporary directory, its certificate)

DSO = 6
KEEPALIVE, RETRY_DELAY, PADDING, SUBSCRIBE, PUSH, UNSUBSCRIBE, RECONFIRM = 1, 2, 3, 0x40, 0x41, 0x42, 0x43
NOERROR, FORMERR, NOTIMP, REFUSED, NOTAUTH, DSOTYPENI = 0, 1, 4, 5, 9, 11
MAX_SUBSCRIPTIONS = 1024

ZONE = """$ORIGIN example.test.
$TTL 300
@    SOA ns1 hostmaster 1 7200 900 1209600 60
@    NS  ns1
ns1  A   127.0.0.1
www  A   192.0.2.1
"""
LEASE_ZONE = """$ORIGIN lease.test.
$TTL 60
@    SOA ns1 hostmaster 1 7200 900 1209600 60
@    NS  ns1
ns1  A   127.0.0.1
"""
STATIC_ZONE = """$ORIGIN static.test.
$TTL 60
@    SOA ns1 hostmaster {serial} 7200 900 1209600 60
@    NS  ns1
ns1  A   127.0.0.1
host A   {addr}
"""
# Names with large TXT RRsets: when every record changes, a subscriber to
# them all has megabytes pushed at it.
BIG_NAMES, BIG_RECORDS = 60, 400


def big_zone(serial=1, fill="x"):
    lines = [STATIC_ZONE.format(serial=serial, addr="192.0.2.1").replace("static.test.", "big.test.")]
    txt = '"' + fill * 250 + '"'
    for n in range(BIG_NAMES):
        lines += [f"n{n} TXT {txt} \"{i}\"" for i in range(BIG_RECORDS)]
    return "\n".join(lines) + "\n"


class Namaed:
    def __init__(self, d, cert, key):
        self.dir = d
        self.port, self.push_port = free_port(), free_port()
        files = {"example.test.zone": ZONE, "lease.test.zone": LEASE_ZONE,
                 "static.test.zone": STATIC_ZONE.format(serial=1, addr="192.0.2.1"), "big.test.zone": big_zone()}
        for name, text in files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        with open(os.path.join(d, "namaed.toml"), "w") as f:
            f.write(namaed_config_head(self.port, f"""push-listen = ["127.0.0.1:{self.push_port}"]
tls-cert = "{cert}"
tls-key = "{key}"
""") + """[[zone]]
name = "example.test"
file = "example.test.zone"
journal = "example.test.db"
allow-update = ["127.0.0.1"]

[[zone]]
name = "lease.test"
file = "lease.test.zone"
journal = "lease.test.db"
allow-update = ["127.0.0.1"]
max-lease = 1
min-lease = 1

[[zone]]
name = "static.test"
file = "static.test.zone"

[[zone]]
name = "big.test"
file = "big.test.zone"
""")
        self.log = os.path.join(d, "namaed.log")
        self.proc = subprocess.Popen([namae_bin("namaed"), "--config", "namaed.toml", "--foreground"],
                                     stdout=open(self.log, "w"), stderr=subprocess.STDOUT, cwd=d)
        deadline = time.time() + 20
        while not os.path.exists(os.path.join(d, "ctl.sock")):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("namaed did not start:\n" + open(self.log).read())
            time.sleep(0.05)


@pytest.fixture(scope="module")
def server(workdir, cert):
    n = Namaed(workdir, *cert)
    yield n
    stop_process(n.proc)


# --- a DSO client in a few lines -------------------------------------------

def header(msg_id, qr=False, rcode=0):
    return struct.pack(">HBBHHHH", msg_id, (0x80 if qr else 0) | DSO << 3, rcode, 0, 0, 0, 0)


def tlv(kind, data=b""):
    return struct.pack(">HH", kind, len(data)) + data


def subscribe(msg_id, name, rdtype="A", rdclass=1):
    q = dns.name.from_text(name).to_wire() + struct.pack(">HH", dns.rdatatype.from_text(rdtype), rdclass)
    return header(msg_id) + tlv(SUBSCRIBE, q)


class Client:
    def __init__(self, server, cert, rcvbuf=None):
        ctx = ssl.create_default_context(cafile=cert[0])
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        raw.settimeout(5)
        raw.connect(("127.0.0.1", server.push_port))
        self.sock = ctx.wrap_socket(raw, server_hostname="dns.test")
        self.buf = b""

    def send(self, msg):
        self.sock.sendall(struct.pack(">H", len(msg)) + msg)

    def read(self, timeout=5.0):
        """The next message, or None at the server's end of stream."""
        self.sock.settimeout(timeout)
        while len(self.buf) < 2 or len(self.buf) < 2 + struct.unpack(">H", self.buf[:2])[0]:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        n = struct.unpack(">H", self.buf[:2])[0]
        msg, self.buf = self.buf[2:2 + n], self.buf[2 + n:]
        return msg

    def request(self, msg):
        """Send a request; its response's rcode (pushes that come first are skipped)."""
        self.send(msg)
        want = struct.unpack(">H", msg[:2])[0]
        while True:
            r = self.read()
            assert r is not None, "connection closed before the response"
            msg_id, flags, rcode = struct.unpack(">HBB", r[:4])
            if flags & 0x80 and msg_id == want:
                return rcode & 0x0f

    def pushes(self, timeout=5.0):
        """The changes of the next PUSH: (ttl, name, type, rdata) tuples."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = self.read(deadline - time.time())
            assert r is not None, "connection closed while waiting for a PUSH"
            kind = struct.unpack(">H", r[12:14])[0] if len(r) >= 16 else None
            if r[2] & 0x80 or kind != PUSH:
                continue
            return parse_push(r[16:])
        raise AssertionError("no PUSH")

    def closed(self, timeout=5.0):
        try:
            while True:
                if self.read(timeout) is None:
                    return True
        except (ConnectionResetError, ssl.SSLError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


def parse_push(data):
    out, pos = [], 0
    while pos < len(data):
        name, used = dns.name.from_wire(data, pos)
        pos = used if used > pos else pos + used
        rtype, rclass, ttl, rdlen = struct.unpack(">HHIH", data[pos:pos + 10])
        pos += 10
        out.append((ttl, name.to_text(), dns.rdatatype.to_text(rtype), data[pos:pos + rdlen]))
        pos += rdlen
    return out


def update(server, zone, *changes):
    """Apply (op, name, ttl, type, data) changes over UDP; returns when acknowledged."""
    u = dns.update.UpdateMessage(zone)
    for op, name, ttl, rdtype, data in changes:
        if op == "add":
            u.add(name, ttl, rdtype, data)
        else:
            u.delete(name, rdtype)
    r = dns.query.udp(u, "127.0.0.1", port=server.port, timeout=3)
    assert r.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(r.rcode())


def ipv4(rdata):
    return socket.inet_ntoa(rdata)


# --- Push ------------------------------------------------------------------

def test_zones_publish_the_push_srv(server):
    q = dns.message.make_query("_dns-push-tls._tcp.example.test.", "SRV")
    r = dns.query.udp(q, "127.0.0.1", port=server.port, timeout=3)
    assert [rd.to_text() for rs in r.answer for rd in rs] == [f"0 0 {server.push_port} ns1.example.test."]


def test_watch_sees_an_nsupdate_change(server, cert):
    watch = subprocess.Popen([namae_bin("namae"), "watch", "www.example.test", "A", "--server",
                              f"127.0.0.1:{server.push_port}", "--tls-name", "dns.test", "--ca", cert[0], "--json"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = json.loads(watch.stdout.readline())
        assert first["change"] == "add" and first["data"] == "192.0.2.1" and first["ttl"] == 300
        script = (f"server 127.0.0.1 {server.port}\nzone example.test\n"
                  "update delete www.example.test A\nupdate add www.example.test 300 A 192.0.2.7\nsend\n")
        subprocess.run(["nsupdate"], input=script, text=True, check=True, timeout=10)
        seen = [json.loads(watch.stdout.readline()) for _ in range(2)]
        assert {(c["change"], c.get("data")) for c in seen} == {("remove", "192.0.2.1"), ("add", "192.0.2.7")}
    finally:
        stop_process(watch)


def test_watch_without_a_zone_exits_with_the_rcode(server, cert):
    r = subprocess.run([namae_bin("namae"), "watch", "www.elsewhere.test", "--server",
                        f"127.0.0.1:{server.push_port}", "--tls-name", "dns.test", "--ca", cert[0]],
                       capture_output=True, text=True, timeout=15)
    assert r.returncode == 1
    assert "NOTAUTH" in r.stderr


def test_watch_refuses_a_certificate_for_another_name(server, cert):
    watch = subprocess.Popen([namae_bin("namae"), "watch", "www.example.test", "--server",
                              f"127.0.0.1:{server.push_port}", "--tls-name", "other.test", "--ca", cert[0]],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = watch.stderr.readline()
        assert "certificate" in line
        assert watch.poll() is None  # it retries, with backoff
    finally:
        stop_process(watch)


def test_push_latency_of_100_moves(server, cert):
    """From the UPDATE's acknowledgement to the PUSH that carries it (the
    server publishes, then answers: a PUSH may arrive before the answer,
    which counts as 0), and from sending the UPDATE."""
    c = Client(server, cert)
    assert c.request(subscribe(1, "mover.example.test.")) == NOERROR
    after_ack, after_send = [], []
    for i in range(100):
        addr = f"198.51.100.{i + 1}"
        sent = time.monotonic()
        update(server, "example.test", ("delete", "mover.example.test.", 0, "A", None),
               ("add", "mover.example.test.", 60, "A", addr))
        acked = time.monotonic()
        while True:
            changes = c.pushes()
            if any(ttl == 60 and ipv4(rd) == addr for ttl, _, _, rd in changes):
                break
        now = time.monotonic()
        after_ack.append(max(0.0, now - acked) * 1000)
        after_send.append((now - sent) * 1000)
    median = statistics.median(after_ack)
    print(f"\n100 moves: PUSH received {median:.2f} ms (median; p99 {sorted(after_ack)[98]:.2f} ms) after the "
          f"update's acknowledgement, {statistics.median(after_send):.2f} ms (median) after sending it")
    assert median < 20
    c.close()


def test_lease_expiry_is_pushed(server, cert):
    c = Client(server, cert)
    assert c.request(subscribe(1, "roamer.lease.test.")) == NOERROR
    update(server, "lease.test", ("add", "roamer.lease.test.", 60, "A", "203.0.113.5"))
    assert [(t, ipv4(rd)) for t, _, _, rd in c.pushes()] == [(60, "203.0.113.5")]
    gone = c.pushes(timeout=15)  # max-lease 1 s; maintenance runs every second or so
    assert [(t, typ) for t, _, typ, _ in gone] == [(0xFFFFFFFE, "A")]  # the RRset went whole
    c.close()


def test_zone_reload_is_pushed(server, cert):
    c = Client(server, cert)
    assert c.request(subscribe(1, "host.static.test.")) == NOERROR
    assert [ipv4(rd) for _, _, _, rd in c.pushes()] == ["192.0.2.1"]
    with open(os.path.join(server.dir, "static.test.zone"), "w") as f:
        f.write(STATIC_ZONE.format(serial=2, addr="192.0.2.2"))
    subprocess.run([namae_bin("namae"), "ctl", "--socket", os.path.join(server.dir, "ctl.sock"), "reload"],
                   check=True, capture_output=True, timeout=10)
    changes = {(ttl, ipv4(rd)) for ttl, _, _, rd in c.pushes()}
    assert changes == {(0xFFFFFFFF, "192.0.2.1"), (60, "192.0.2.2")}
    c.close()


# --- DSO conformance -------------------------------------------------------

def test_keepalive_establishes_and_unknown_tlv_gets_dsotypeni(server, cert):
    c = Client(server, cert)
    assert c.request(header(7) + tlv(0xF00D, b"?")) == DSOTYPENI
    c.send(header(8) + tlv(KEEPALIVE, struct.pack(">II", 15000, 15000)))
    r = c.read()
    assert r[:2] == b"\x00\x08" and r[3] & 0x0f == NOERROR
    assert struct.unpack(">HHII", r[12:24]) == (KEEPALIVE, 8, 15000, 60000)
    assert c.request(subscribe(9, "www.example.test.")) == NOERROR  # still open
    # Additional TLVs: encryption padding (RFC 8490 7.3) and an unknown one are passed over.
    assert c.request(subscribe(10, "ns1.example.test.") + tlv(PADDING, bytes(17)) + tlv(0xF00D)) == NOERROR
    c.close()


@pytest.mark.parametrize("bad", [
    header(3) + tlv(KEEPALIVE, b"\x00" * 7),                    # Keepalive of 7 octets
    header(3) + struct.pack(">HH", SUBSCRIBE, 40) + b"\x00" * 5,  # TLV longer than the message
    header(3) + tlv(SUBSCRIBE, b"\x03www\x00\x00\x01"),          # SUBSCRIBE without its class
    header(3) + tlv(RETRY_DELAY, b"\x00\x00\x00\x01"),           # a server's TLV in a client's request
])
def test_malformed_requests_get_formerr_and_close(server, cert, bad):
    c = Client(server, cert)
    c.send(bad)
    r = c.read()
    assert r is not None and r[:2] == b"\x00\x03" and r[3] & 0x0f == FORMERR
    assert c.closed()


def test_unidirectional_before_establishment_closes(server, cert):
    c = Client(server, cert)
    c.send(header(0) + tlv(UNSUBSCRIBE, b"\x00\x01"))
    assert c.closed()


def test_dso_over_udp_is_formerr_and_over_plain_tcp_notimp(server):
    msg = subscribe(5, "www.example.test.")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.settimeout(3)
        u.sendto(msg, ("127.0.0.1", server.port))
        r, _ = u.recvfrom(512)
    assert r[:2] == b"\x00\x05" and r[2] & 0x80 and (r[2] >> 3) & 0x0f == DSO and r[3] & 0x0f == FORMERR
    with socket.create_connection(("127.0.0.1", server.port), timeout=3) as t:
        t.sendall(struct.pack(">H", len(msg)) + msg)
        r = t.recv(512)
    assert r[2:4] == b"\x00\x05" and r[5] & 0x0f == NOTIMP


def test_subscribe_errors_duplicates_and_the_limit(server, cert):
    c = Client(server, cert)
    assert c.request(subscribe(1, "www.elsewhere.test.")) == NOTAUTH
    assert c.request(subscribe(2, "www.example.test.")) == NOERROR
    # RFC 8765 6.2.1: the same name, type and class again (in any letter
    # case) is a fatal error: no answer, the server ends the connection.
    dup = Client(server, cert)
    assert dup.request(subscribe(1, "www.example.test.")) == NOERROR
    dup.send(subscribe(2, "WWW.Example.TEST."))
    while (r := dup.read()) is not None:
        assert not (r[2] & 0x80 and struct.unpack(">H", r[:2])[0] == 2), "the duplicate was answered"
    # Up to the limit, pipelined; then one more.
    for i in range(MAX_SUBSCRIPTIONS - 1):
        c.send(subscribe(100 + i, f"n{i}.example.test."))
    rcodes = {}
    while len(rcodes) < MAX_SUBSCRIPTIONS - 1:
        r = c.read()
        if r[2] & 0x80:
            rcodes[struct.unpack(">H", r[:2])[0]] = r[3] & 0x0f
    assert set(rcodes.values()) == {NOERROR}
    assert c.request(subscribe(5000, "over.example.test.")) == REFUSED
    # Unsubscribing one makes room.
    c.send(header(0) + tlv(UNSUBSCRIBE, struct.pack(">H", 100)))
    assert c.request(subscribe(5001, "over.example.test.")) == NOERROR
    # Other sessions are not affected by this one's limit.
    d = Client(server, cert)
    assert d.request(subscribe(1, "over.example.test.")) == NOERROR
    c.close()
    d.close()
    dup.sock.close()


def test_a_client_that_stops_reading_is_dropped(server, cert):
    stuck = Client(server, cert, rcvbuf=4096)
    for i in range(BIG_NAMES):  # subscribed while it still reads
        assert stuck.request(subscribe(i + 1, f"n{i}.big.test.", "TXT")) == NOERROR
    # Now it stops reading, and every record of those names changes.
    with open(os.path.join(server.dir, "big.test.zone"), "w") as f:
        f.write(big_zone(serial=2, fill="y"))
    subprocess.run([namae_bin("namae"), "ctl", "--socket", os.path.join(server.dir, "ctl.sock"), "reload"],
                   check=True, capture_output=True, timeout=30)
    # The server is unaffected: another subscriber is served at once.
    c = Client(server, cert)
    assert c.request(subscribe(1, "www.example.test.")) == NOERROR
    assert c.pushes()
    # The stuck client's connection was closed once its unsent pushes passed
    # the limit: reading now ends well before everything pushed arrives.
    got = len(stuck.buf)
    try:
        stuck.sock.settimeout(5)
        while True:
            chunk = stuck.sock.recv(65536)
            if not chunk:
                break
            got += len(chunk)
    except (ConnectionResetError, ssl.SSLError):
        pass
    pushed = 2 * BIG_NAMES * BIG_RECORDS * 260  # initial answers, then removals and adds
    assert got < pushed * 3 / 4, (got, pushed)
    c.close()


# --- Limits and timers from the config, padding, metrics -------------------
# A second namaed with small limits: push-max-subscriptions 2000,
# push-max-connections 4, a 500 ms inactivity timeout, the smallest
# keepalive interval RFC 8490 6.5.2 allows (10 s), and /metrics.

LIMITED_ZONES = ("example.test", "gone.test")


def start_namaed(d, config):
    with open(os.path.join(d, "namaed.toml"), "w") as f:
        f.write(config)
    log = os.path.join(d, "namaed.log")
    proc = subprocess.Popen([namae_bin("namaed"), "--config", "namaed.toml", "--foreground"],
                            stdout=open(log, "a"), stderr=subprocess.STDOUT, cwd=d)
    deadline = time.time() + 20
    while not os.path.exists(os.path.join(d, "ctl.sock")):
        if proc.poll() is not None or time.time() > deadline:
            raise RuntimeError("namaed did not start:\n" + open(log).read())
        time.sleep(0.05)
    return proc


class Limited:
    def __init__(self, d, cert, key, keepalive=10000):
        self.dir = os.path.join(d, "limited")
        os.makedirs(self.dir, exist_ok=True)
        self.port, self.push_port, self.http_port = free_port(), free_port(), free_port()
        self.cert, self.key = cert, key
        for z in LIMITED_ZONES:
            with open(os.path.join(self.dir, z + ".zone"), "w") as f:
                f.write(ZONE.replace("example.test.", z + "."))
        self.proc = start_namaed(self.dir, self.config(keepalive, LIMITED_ZONES))

    def config(self, keepalive, zones):
        text = f"""[server]
listen = ["127.0.0.1:{self.port}"]
workers = 1
control = "ctl.sock"
push-listen = ["127.0.0.1:{self.push_port}"]
tls-cert = "{self.cert}"
tls-key = "{self.key}"
push-max-subscriptions = 2000
push-max-connections = 4
push-inactivity-timeout = 500
push-keepalive-interval = {keepalive}
[http]
listen = "127.0.0.1:{self.http_port}"
"""
        for z in zones:
            text += f'[[zone]]\nname = "{z}"\nfile = "{z}.zone"\n'
        return text

    def reconfigure(self, keepalive, zones=LIMITED_ZONES):
        with open(os.path.join(self.dir, "namaed.toml"), "w") as f:
            f.write(self.config(keepalive, zones))
        r = subprocess.run([namae_bin("namae"), "ctl", "--socket", os.path.join(self.dir, "ctl.sock"), "reconfigure"],
                           capture_output=True, text=True, timeout=20)
        assert r.returncode == 0, r.stdout + r.stderr
        return r.stdout

    def metrics(self):
        import urllib.request
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/metrics", timeout=5) as r:
            return r.read().decode()


@pytest.fixture(scope="module")
def limited(workdir, cert):
    n = Limited(workdir, *cert)
    yield n
    stop_process(n.proc)


def metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in /metrics")


def test_10000_subscribes_against_the_configured_limit(limited, cert):
    """push-max-subscriptions = 2000: of 10,000 SUBSCRIBEs on one connection
    (pipelined, 1,000 at a time) the first 2,000 work, the rest are REFUSED
    (RFC 8765 6.2) and the session goes on."""
    c = Client(limited, cert)
    rcodes = {}
    t0 = time.monotonic()
    for batch in range(10):
        ids = range(batch * 1000 + 1, batch * 1000 + 1001)
        c.sock.sendall(b"".join(struct.pack(">H", len(m)) + m
                                for m in (subscribe(i, f"n{i}.example.test.") for i in ids)))
        while len(rcodes) < (batch + 1) * 1000:
            r = c.read()
            assert r is not None, "closed"
            if r[2] & 0x80:
                rcodes[struct.unpack(">H", r[:2])[0]] = r[3] & 0x0f
    took = time.monotonic() - t0
    assert [rcodes[i] for i in range(1, 2001)] == [NOERROR] * 2000
    assert [rcodes[i] for i in range(2001, 10001)] == [REFUSED] * 8000
    # The session is fine: a Keepalive is answered.
    c.send(header(20000) + tlv(KEEPALIVE, struct.pack(">II", 15000, 15000)))
    while (r := c.read()) is not None and struct.unpack(">H", r[:2])[0] != 20000:
        pass
    assert r is not None and r[3] & 0x0f == NOERROR
    m = limited.metrics()
    assert metric(m, 'namae_push_subscriptions') == 2000
    assert metric(m, 'namae_push_subscribes_total{result="refused"}') >= 8000
    assert metric(m, 'namae_tls_connections{transport="push"}') >= 1
    assert metric(m, 'namae_tls_connections{transport="dot"}') == 0
    print(f"\n10,000 SUBSCRIBEs answered in {took:.2f} s")
    c.close()
    deadline = time.time() + 5
    while metric(limited.metrics(), "namae_push_subscriptions") != 0:
        assert time.time() < deadline, "subscriptions outlive their connection"
        time.sleep(0.05)


def test_configured_timers_connections_and_a_live_reconfigure(limited, cert):
    idle = Client(limited, cert)
    t0 = time.monotonic()
    idle.send(header(1) + tlv(KEEPALIVE, struct.pack(">II", 60000, 60000)))
    r = idle.read()
    assert struct.unpack(">HHII", r[12:24]) == (KEEPALIVE, 8, 500, 10000)
    held = [Client(limited, cert) for _ in range(3)]
    for h in held:
        assert h.request(subscribe(1, "www.example.test.")) == NOERROR
    # push-max-connections = 4, every one an established session: a fifth is refused.
    try:
        refused = Client(limited, cert).read(2) is None
    except socket.timeout:  # (an OSError too) accepted and kept: not refused
        refused = False
    except (ConnectionError, ssl.SSLError, OSError):
        refused = True
    assert refused
    # A reconfigure's timers reach every established session unasked (RFC 8490 7.1).
    out = limited.reconfigure(keepalive=20000)
    assert "push-keepalive-interval" in out
    for h in held:
        while True:
            m = h.read()
            assert m is not None
            if m[:2] == b"\x00\x00" and struct.unpack(">H", m[12:14])[0] == KEEPALIVE:
                assert struct.unpack(">II", m[16:24]) == (500, 20000)
                break
    # The idle session (nothing subscribed) is closed once 500 ms and then
    # max(2 x 500 ms, 5 s) have passed.
    assert idle.closed(timeout=10)
    assert 5.0 <= time.monotonic() - t0 < 8.0
    for h in held:
        h.close()


def test_a_zone_removed_by_reconfigure_ends_its_subscriptions(limited, cert):
    c = Client(limited, cert)
    assert c.request(subscribe(1, "www.gone.test.")) == NOERROR
    assert c.request(subscribe(2, "www.example.test.")) == NOERROR
    before = metric(limited.metrics(), "namae_push_subscriptions")
    try:
        limited.reconfigure(keepalive=20000, zones=("example.test",))
        while True:  # RFC 8490 7.2.1: Retry Delay, NOTAUTH, then the close
            m = c.read()
            assert m is not None, "closed without a Retry Delay"
            if m[:2] == b"\x00\x00" and struct.unpack(">H", m[12:14])[0] == RETRY_DELAY:
                assert m[3] & 0x0f == NOTAUTH
                break
        assert c.closed()
        deadline = time.time() + 5
        while metric(limited.metrics(), "namae_push_subscriptions") != before - 2:
            assert time.time() < deadline
            time.sleep(0.05)
        d = Client(limited, cert)
        assert d.request(subscribe(1, "www.gone.test.")) == NOTAUTH
        d.close()
    finally:
        limited.reconfigure(keepalive=20000)


def test_padded_requests_get_padded_answers_and_pushes(server, cert):
    """RFC 8490 7.3: a request with an Encryption Padding TLV gets a padded
    response; its PUSHes are padded too; RFC 8467's 468-octet blocks."""
    c = Client(server, cert)
    c.send(subscribe(1, "padded.example.test.") + tlv(PADDING, bytes(100)))
    r = c.read()
    assert r[:2] == b"\x00\x01" and r[3] & 0x0f == NOERROR
    assert len(r) == 468 and struct.unpack(">H", r[12:14])[0] == PADDING
    update(server, "example.test", ("add", "padded.example.test.", 60, "A", "192.0.2.99"))
    m = c.read()
    assert struct.unpack(">H", m[12:14])[0] == PUSH and len(m) % 468 == 0
    assert [ipv4(rd) for _, _, _, rd in parse_push(m[16:16 + struct.unpack(">H", m[14:16])[0]])] == ["192.0.2.99"]
    plain = Client(server, cert)
    plain.send(subscribe(1, "www.example.test."))
    assert len(plain.read()) == 12
    c.close()
    plain.close()


def vm_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_rss_is_stable_over_a_soak_of_sessions(server, cert):
    """Connect, subscribe 100 names, unsubscribe half, disconnect: 200
    cycles. After a warm-up, namaed's resident memory grows by less than
    4 MiB (allocator slack), not with every session."""
    def cycle(n):
        c = Client(server, cert)
        msgs = [subscribe(i + 1, f"soak{i}.example.test.") for i in range(100)]
        c.sock.sendall(b"".join(struct.pack(">H", len(m)) + m for m in msgs))
        got = 0
        while got < 100:
            r = c.read()
            got += bool(r[2] & 0x80)
        for i in range(50):
            c.send(header(0) + tlv(UNSUBSCRIBE, struct.pack(">H", i + 1)))
        c.close()
    for n in range(40):
        cycle(n)
    time.sleep(0.3)
    base = vm_rss_kb(server.proc.pid)
    t0 = time.monotonic()
    for n in range(200):
        cycle(n)
    time.sleep(0.3)
    grown = vm_rss_kb(server.proc.pid) - base
    print(f"\nRSS {base} kB after the warm-up, {grown:+d} kB after 200 more cycles "
          f"({time.monotonic() - t0:.1f} s)")
    assert grown < 4096


SECONDARY_ZONE = """$ORIGIN sec.test.
$TTL 60
@    SOA ns1 hostmaster 1 7200 900 1209600 60
@    NS  ns1
ns1  A   127.0.0.1
host A   192.0.2.1
"""


def test_a_secondarys_incoming_transfer_is_pushed(workdir, cert):
    """namaed secondary of a namaed primary: an UPDATE on the primary
    reaches the secondary by NOTIFY and IXFR, and the secondary's
    subscriber is pushed the change."""
    pdir, sdir = os.path.join(workdir, "primary"), os.path.join(workdir, "secondary")
    os.makedirs(pdir, exist_ok=True)
    os.makedirs(sdir, exist_ok=True)
    pport, sport, spush = free_port(), free_port(), free_port()
    with open(os.path.join(pdir, "sec.test.zone"), "w") as f:
        f.write(SECONDARY_ZONE)
    primary = start_namaed(pdir, namaed_config_head(pport) + f"""[[zone]]
name = "sec.test"
file = "sec.test.zone"
journal = "sec.test.db"
allow-update = ["127.0.0.1"]
allow-transfer = ["127.0.0.1"]
notify = ["127.0.0.1:{sport}"]
""")
    secondary = None
    try:
        secondary = start_namaed(sdir, namaed_config_head(sport, f"""push-listen = ["127.0.0.1:{spush}"]
tls-cert = "{cert[0]}"
tls-key = "{cert[1]}"
""") + f"""[[zone]]
name = "sec.test"
file = "sec.test.copy"
primaries = ["127.0.0.1:{pport}"]
""")
        deadline = time.time() + 10
        while True:
            r = dns.query.udp(dns.message.make_query("sec.test.", "SOA"), "127.0.0.1", port=sport, timeout=2)
            if r.rcode() == dns.rcode.NOERROR:
                break
            assert time.time() < deadline, "the secondary never transferred"
            time.sleep(0.05)

        class At:
            push_port = spush
        c = Client(At, cert)
        assert c.request(subscribe(1, "host.sec.test.")) == NOERROR
        assert [ipv4(rd) for _, _, _, rd in c.pushes()] == ["192.0.2.1"]
        t0 = time.monotonic()

        class P:
            port = pport
        update(P, "sec.test", ("add", "host.sec.test.", 60, "A", "192.0.2.2"))
        changes = c.pushes(timeout=10)
        assert [(t, ipv4(rd)) for t, _, _, rd in changes] == [(60, "192.0.2.2")]
        print(f"\nprimary UPDATE to the secondary's PUSH: {(time.monotonic() - t0) * 1000:.1f} ms")
        c.close()
    finally:
        stop_process(secondary)
        stop_process(primary)

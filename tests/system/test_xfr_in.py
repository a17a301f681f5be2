"""namaed as a secondary (issue 13): BIND and Knot primaries with TSIG, AXFR
then IXFR on NOTIFY, contents compared record by record, restart from file
plus journal, wrong key, a transfer cut midway, expiry, forwarded updates,
and `namae ctl zone status|refresh|retransfer`."""
import os
import signal
import subprocess
import time
import urllib.request

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import dns.tsigkeyring
import dns.zone
import pytest

from conftest import free_port, namae_bin
from xfr_primary_peers import FakePrimary, start_bind_primary, start_knot_primary

ZONE = "sec.test"
KEY = ("xfrkey", "hmac-sha256", "eGZyLWtleS1mb3ItbmFtYWUtc2Vjb25kYXJ5LXRlc3Q=")
WRONG_SECRET = "d3Jvbmctc2VjcmV0LWZvci1uYW1hZS1zZWNvbmRhcnk="
ZONE_TEXT = f"""$ORIGIN {ZONE}.
$TTL 300
@     SOA ns1 hostmaster 10 3600 600 86400 60
@     NS  ns1
ns1   A   127.0.0.1
www   A   192.0.2.1
www   AAAA 2001:db8::1
mail  MX  10 www
txt   TXT "hello" "world"
"""


class Secondary:
    """namaed with one secondary zone, in `dir`."""

    def __init__(self, dir, primary_port, secret=KEY[2], forward=False, port=None, http_port=None):
        self.http = f"127.0.0.1:{http_port}" if http_port else ""
        self.dir = dir
        self.port = port or free_port()
        self.primary_port = primary_port
        os.makedirs(dir, exist_ok=True)
        self.write_config(secret, forward)
        self.log_path = os.path.join(dir, "namaed.log")
        self.proc = None

    def write_config(self, secret, forward):
        with open(os.path.join(self.dir, "namaed.toml"), "w") as f:
            f.write(f"""[server]
listen = ["127.0.0.1:{self.port}"]
workers = 1
control = "ctl.sock"

[http]
listen = "{self.http}"

[[key]]
name = "{KEY[0]}"
algorithm = "{KEY[1]}"
secret = "{secret}"

[[zone]]
name = "{ZONE}"
file = "saved/{ZONE}.zone"
primaries = ["127.0.0.1:{self.primary_port}"]
transfer-key = "{KEY[0]}"
forward-updates = {"true" if forward else "false"}
""")
        os.makedirs(os.path.join(self.dir, "saved"), exist_ok=True)

    def start(self):
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [namae_bin("namaed"), "--config", os.path.join(self.dir, "namaed.toml"), "--foreground"],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.time() + 20
        while time.time() < deadline:
            assert self.proc.poll() is None, self.log()
            try:
                query(self.port, ZONE, "SOA", timeout=0.3)
                return self
            except Exception:
                time.sleep(0.05)
        raise RuntimeError("namaed did not start:\n" + self.log())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def ctl(self, *words):
        r = subprocess.run([namae_bin("namae"), "ctl", "-s", os.path.join(self.dir, "ctl.sock"), *words],
                           capture_output=True, text=True, timeout=30)
        return r.returncode, r.stdout + r.stderr


def query(port, name, rdtype, timeout=2.0):
    q = dns.message.make_query(name, rdtype)
    return dns.query.udp(q, "127.0.0.1", port=port, timeout=timeout)


def serial(port):
    r = query(port, ZONE, "SOA")
    if r.rcode() != dns.rcode.NOERROR or not r.answer:
        return dns.rcode.to_text(r.rcode())
    return r.answer[0][0].serial


def wait_for(cond, timeout=15.0, what=""):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def keyring():
    return dns.tsigkeyring.from_text({KEY[0]: (KEY[1], KEY[2])})


def primary_zone(port):
    """The primary's zone by AXFR (signed)."""
    return dns.zone.from_xfr(dns.query.xfr("127.0.0.1", ZONE, port=port, keyring=keyring(),
                                           keyalgorithm=KEY[1], relativize=False), relativize=False)


def assert_same_contents(primary_port, secondary_port):
    """Every RRset of the primary's zone, asked of namaed, comes back equal."""
    z = primary_zone(primary_port)
    count = 0
    for name, node in z.nodes.items():
        owner = name
        for rds in node.rdatasets:
            r = query(secondary_port, owner, rds.rdtype)
            got = r.find_rrset(r.answer, owner, rds.rdclass, rds.rdtype)
            assert set(got) == set(rds), f"{owner} {dns.rdatatype.to_text(rds.rdtype)}"
            assert got.ttl == rds.ttl
            count += 1
    assert count >= 6


def nsupdate(port, *lines):
    script = f"server 127.0.0.1 {port}\nzone {ZONE}\n" + "\n".join(lines) + "\nsend\n"
    r = subprocess.run(["nsupdate", "-y", f"{KEY[1]}:{KEY[0]}:{KEY[2]}"], input=script,
                       capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


@pytest.fixture(params=["named", "knotd"])
def primary(request, tmp_path):
    start = start_bind_primary if request.param == "named" else start_knot_primary
    notify_port = free_port()
    peer = start(str(tmp_path / request.param), ZONE, ZONE_TEXT, KEY, notify_port)
    peer.notify_port = notify_port
    yield peer
    peer.stop()


@pytest.fixture
def secondaries():
    started = []
    yield started
    for s in started:
        s.stop()


def test_transfer_notify_ixfr_restart(primary, secondaries, tmp_path):
    sec = Secondary(str(tmp_path / "namaed"), primary.port, port=primary.notify_port)
    secondaries.append(sec.start())
    wait_for(lambda: serial(sec.port) == 10, what="the first AXFR")
    assert "(AXFR (" in sec.log()
    assert_same_contents(primary.port, sec.port)

    # An update on the primary: its NOTIFY brings the change over by IXFR
    # (SOA refresh is an hour, so nothing else would).
    assert nsupdate(primary.port, "update add new.sec.test. 300 A 192.0.2.99")[0] == 0
    wait_for(lambda: serial(sec.port) == 11, what="the NOTIFY-driven IXFR")
    assert "(IXFR (" in sec.log()
    assert_same_contents(primary.port, sec.port)

    rc, out = sec.ctl("zone", "status", ZONE)
    assert rc == 0 and "serial 11" in out and f"127.0.0.1:{primary.port}" in out, out
    assert "last-error -" in out and "state serving" in out, out

    # A restart serves at once from the saved file plus the journal...
    sec.stop()
    before = len(sec.log())
    sec.start()
    assert serial(sec.port) == 11
    r = query(sec.port, "new.sec.test", "A")
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    # ...and goes on by IXFR.
    assert nsupdate(primary.port, "update delete www.sec.test. AAAA")[0] == 0
    wait_for(lambda: serial(sec.port) == 12, what="IXFR after the restart")
    assert "(IXFR (" in sec.log()[before:]
    assert_same_contents(primary.port, sec.port)

    # `ctl zone retransfer` fetches the whole zone again.
    axfrs = sec.log().count("(AXFR")
    rc, out = sec.ctl("zone", "retransfer", ZONE)
    assert rc == 0, out
    wait_for(lambda: sec.log().count("(AXFR") > axfrs, what="the retransfer")
    assert_same_contents(primary.port, sec.port)
    rc, out = sec.ctl("zone", "refresh", ZONE)
    assert rc == 0 and "scheduled" in out, out
    rc, out = sec.ctl("zone", "status", "not.a.secondary")
    assert rc == 1 and "not a secondary" in out


def test_wrong_key_keeps_the_old_data(tmp_path, secondaries):
    notify_port = free_port()
    peer = start_bind_primary(str(tmp_path / "named"), ZONE, ZONE_TEXT, KEY, notify_port)
    try:
        sec = Secondary(str(tmp_path / "namaed"), peer.port, port=notify_port)
        secondaries.append(sec.start())
        wait_for(lambda: serial(sec.port) == 10, what="the first AXFR")
        sec.stop()
        sec.write_config(WRONG_SECRET, False)
        sec.start()
        assert serial(sec.port) == 10
        assert nsupdate(peer.port, "update add late.sec.test. 300 A 192.0.2.98")[0] == 0
        sec.ctl("zone", "refresh", ZONE)
        def failed():
            return "TSIG" in sec.ctl("zone", "status", ZONE)[1] or "NOTAUTH" in sec.ctl("zone", "status", ZONE)[1]
        wait_for(failed, what="the refused transfer")
        assert serial(sec.port) == 10  # old data kept
    finally:
        peer.stop()


def test_no_copy_yet_is_servfail(tmp_path, secondaries):
    dead = free_port()
    sec = Secondary(str(tmp_path / "namaed"), dead)
    secondaries.append(sec.start())
    assert serial(sec.port) == "SERVFAIL"
    rc, out = sec.ctl("zone", "status", ZONE)
    assert "serial none" in out and "state servfail" in out, out


def fake_records(serial_no):
    soa = dns.rrset.from_text(f"{ZONE}.", 300, "IN", "SOA",
                              f"ns1.{ZONE}. hostmaster.{ZONE}. {serial_no} 1 1 4 60")
    return [soa,
            dns.rrset.from_text(f"{ZONE}.", 300, "IN", "NS", f"ns1.{ZONE}."),
            dns.rrset.from_text(f"ns1.{ZONE}.", 300, "IN", "A", "127.0.0.1"),
            dns.rrset.from_text(f"www.{ZONE}.", 300, "IN", "A", f"192.0.2.{serial_no}"),
            dns.rrset.from_text(f"mail.{ZONE}.", 300, "IN", "A", "192.0.2.200")]


def test_cut_transfer_and_expiry(tmp_path, secondaries):
    fake = FakePrimary(ZONE, fake_records(1))
    try:
        http_port = free_port()
        sec = Secondary(str(tmp_path / "namaed"), fake.port, http_port=http_port)
        sec.write_config(KEY[2], False)
        # The fake primary signs nothing: no transfer-key for it.
        with open(os.path.join(sec.dir, "namaed.toml")) as f:
            text = f.read().replace(f'transfer-key = "{KEY[0]}"\n', "")
        with open(os.path.join(sec.dir, "namaed.toml"), "w") as f:
            f.write(text)
        secondaries.append(sec.start())
        wait_for(lambda: serial(sec.port) == 1, what="the first AXFR")
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics", timeout=5).read().decode()
        assert f'namae_xfr_in_transfers_total{{zone="{ZONE}."}} 1' in metrics, metrics[-2000:]
        assert f'namae_xfr_in_bytes_total{{zone="{ZONE}."}}' in metrics
        assert f'namae_secondary_age_seconds{{zone="{ZONE}."}}' in metrics

        # A transfer cut midway leaves serial 1 serving.
        fake.records = fake_records(2)
        fake.cut = True
        wait_for(lambda: "closed" in sec.ctl("zone", "status", ZONE)[1], what="a failed transfer")
        assert serial(sec.port) == 1
        assert query(sec.port, f"www.{ZONE}", "A").answer[0][0].address == "192.0.2.1"

        # No primary for longer than SOA expire (4 s): SERVFAIL.
        fake.silent = True
        wait_for(lambda: serial(sec.port) == "SERVFAIL", timeout=20, what="expiry")
        assert query(sec.port, f"www.{ZONE}", "A").rcode() == dns.rcode.SERVFAIL

        # The primary is back: serving again, with the new version.
        fake.silent = False
        fake.cut = False
        wait_for(lambda: serial(sec.port) == 2, timeout=20, what="recovery")
    finally:
        fake.stop()


def test_forward_updates(tmp_path, secondaries):
    notify_port = free_port()
    peer = start_bind_primary(str(tmp_path / "named"), ZONE, ZONE_TEXT, KEY, notify_port)
    try:
        sec = Secondary(str(tmp_path / "namaed"), peer.port, forward=True, port=notify_port)
        secondaries.append(sec.start())
        wait_for(lambda: serial(sec.port) == 10, what="the first AXFR")
        rc, out = nsupdate(sec.port, "update add fwd.sec.test. 300 A 192.0.2.77")
        assert rc == 0, out
        r = dns.query.udp(dns.message.make_query("fwd.sec.test", "A"), "127.0.0.1", port=peer.port)
        assert r.answer, "the primary did not get the forwarded update"
        wait_for(lambda: query(sec.port, "fwd.sec.test", "A").answer, what="the change back by NOTIFY")

        sec.stop()
        sec.write_config(KEY[2], False)
        sec.start()
        rc, out = nsupdate(sec.port, "update add nofwd.sec.test. 300 A 192.0.2.78")
        assert rc != 0 and "REFUSED" in out, out
    finally:
        peer.stop()

"""namaed as a zone-transfer primary (issue 13): AXFR (RFC 5936) and IXFR
(RFC 1995) with dig, kdig and dnspython, with and without TSIG, the
allow-transfer list (an unlisted address, a key not listed, an unknown key),
a zone of many messages, IXFR after nsupdate, updates during a transfer, and
BIND, Knot and NSD as secondaries of namaed pulling AXFR then IXFR with TSIG,
their copies compared record by record with namaed's.
"""
import socket
import struct
import subprocess
import threading
import time

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.tsigkeyring
import dns.update
import dns.zone
import pytest

from conftest import free_port
from xfr_secondary_peers import SECONDARIES, start_namaed

XFR_KEY = ("xfrkey", "hmac-sha256", "eGZyLWtleS1mb3ItbmFtYWUtdGVzdHMtMDEyMzQ1Njc4OTAxMjM=")
OTHER_KEY = ("otherkey", "hmac-sha256", "b3RoZXIta2V5LWZvci1uYW1hZS10ZXN0cy0wMTIzNDU2Nzg5MA==")
UNKNOWN_KEY = ("unknownkey", "hmac-sha256", "dW5rbm93bi1rZXktZm9yLW5hbWFlLXRlc3RzLTAxMjM0NTY=")

SMALL = """$ORIGIN example.test.
$TTL 300
@       IN SOA ns1 hostmaster 100 7200 900 1209600 60
@       IN NS  ns1
ns1     IN A   127.0.0.1
www     IN A   192.0.2.1
www     IN A   192.0.2.2
www     IN AAAA 2001:db8::1
mail    IN MX  10 www
txt     IN TXT "hello"
alias   IN CNAME www
sub     IN NS  ns.sub
ns.sub  IN A   127.0.0.9
"""

BIG_HOSTS = 30000


def big_zone(origin, serial=1):
    lines = [f"$ORIGIN {origin}.", "$TTL 300",
             f"@ IN SOA ns1 hostmaster {serial} 7200 900 1209600 60", "@ IN NS ns1",
             "ns1 IN A 127.0.0.1"]
    for i in range(BIG_HOSTS):
        lines.append(f"host{i} IN A 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}")
        lines.append(f'host{i} IN TXT "host number {i}"')
    return "\n".join(lines) + "\n"


def y(key):
    return f"{key[1]}:{key[0]}:{key[2]}"


def keyring(key):
    return dns.tsigkeyring.from_text({key[0]: (key[1], key[2])})


@pytest.fixture(scope="module")
def primary(tmp_path_factory):
    keys = {k[0]: (k[1], k[2]) for k in (XFR_KEY, OTHER_KEY)}
    zones = {
        "example.test": {"text": SMALL, "allow-transfer": ["127.0.0.1", f"key:{XFR_KEY[0]}"]},
        "big.test": {"text": big_zone("big.test"), "journal": True,
                     "allow-update": ["127.0.0.1"], "allow-transfer": ["127.0.0.0/8"]},
        "dyn.test": {"text": SMALL.replace("example.test.", "dyn.test."), "journal": True,
                     "allow-update": ["127.0.0.1"],
                     "allow-transfer": ["127.0.0.1", f"key:{XFR_KEY[0]}"]},
        "closed.test": {"text": SMALL.replace("example.test.", "closed.test.")},
    }
    p = start_namaed(str(tmp_path_factory.mktemp("primary")), zones, keys, http=True)
    yield p
    p.stop()


def axfr_set(zone, port, key=None, source=None):
    """Every RR of an AXFR from 127.0.0.1:port as a set of text lines, and the SOA serial."""
    kw = {"keyring": keyring(key), "keyname": key[0]} if key else {}
    z = dns.zone.from_xfr(dns.query.xfr("127.0.0.1", zone, port=port, source=source,
                                        lifetime=60, relativize=False, **kw), relativize=False)
    out = set()
    for name, node in z.nodes.items():
        for rds in node.rdatasets:
            for rd in rds:
                out.add(f"{name} {rds.ttl} {dns.rdatatype.to_text(rds.rdtype)} {rd.to_text()}")
    soa = z.find_rdataset(zone + ".", "SOA")[0]
    return out, soa.serial


def zone_lines(text, origin):
    z = dns.zone.from_text(text, origin=origin, relativize=False)
    out = set()
    for name, node in z.nodes.items():
        for rds in node.rdatasets:
            for rd in rds:
                out.add(f"{name} {rds.ttl} {dns.rdatatype.to_text(rds.rdtype)} {rd.to_text()}")
    return out


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


def nsupdate(port, zone, commands, key=None):
    script = f"server 127.0.0.1 {port}\nzone {zone}\n" + "\n".join(commands) + "\nsend\n"
    args = ["nsupdate"] + (["-y", y(key)] if key else [])
    r = run(args, input=script)
    assert r.returncode == 0, r.stderr


def serial_of(zone, port):
    r = dns.query.udp(dns.message.make_query(zone, "SOA"), "127.0.0.1", port=port, timeout=2)
    return r.answer[0][0].serial


# --- AXFR with the usual tools -------------------------------------------------

def test_dig_axfr_matches_the_zone(primary):
    r = run(["dig", "-p", str(primary.port), "@127.0.0.1", "example.test", "AXFR", "+nocomments"])
    assert r.returncode == 0
    assert "XFR size: 12 records" in r.stdout, r.stdout
    got, serial = axfr_set("example.test", primary.port)
    assert serial == 100
    assert got == zone_lines(SMALL, "example.test.")


@pytest.mark.parametrize("tool", ["dig", "kdig"])
def test_signed_axfr_from_an_unlisted_address(primary, tool):
    # 127.0.0.2 is not in the list; the key is.
    args = [tool, "-p", str(primary.port), "@127.0.0.1", "-b", "127.0.0.2", "-y", y(XFR_KEY),
            "example.test", "AXFR"]
    r = run(args)
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert "REFUSED" not in out and "failed" not in out.lower(), out
    assert "ns.sub.example.test." in out
    if tool == "dig":
        assert "XFR size: 12 records" in out, out
    got, _ = axfr_set("example.test", primary.port, key=XFR_KEY, source="127.0.0.2")
    assert got == zone_lines(SMALL, "example.test.")


def test_unlisted_address_is_refused(primary):
    r = run(["dig", "-p", str(primary.port), "@127.0.0.1", "-b", "127.0.0.2", "example.test", "AXFR"])
    assert "Transfer failed" in r.stdout, r.stdout
    q = dns.message.make_query("example.test", "AXFR")
    resp = dns.query.tcp(q, "127.0.0.1", port=primary.port, source="127.0.0.2", timeout=5)
    assert resp.rcode() == dns.rcode.REFUSED
    assert not resp.answer


def test_known_key_not_listed_is_refused_and_signed(primary):
    q = dns.message.make_query("example.test", "AXFR")
    q.use_tsig(keyring(OTHER_KEY), keyname=OTHER_KEY[0])
    resp = dns.query.tcp(q, "127.0.0.1", port=primary.port, source="127.0.0.2", timeout=5)
    assert resp.rcode() == dns.rcode.REFUSED  # the TSIG of the reply verified by dnspython


def test_unknown_key_is_notauth(primary):
    r = run(["dig", "-p", str(primary.port), "@127.0.0.1", "-y", y(UNKNOWN_KEY), "example.test", "AXFR"])
    assert "Transfer failed" in r.stdout or "NOTAUTH" in r.stdout or "BADKEY" in r.stdout, r.stdout
    r = run(["kdig", "-p", str(primary.port), "@127.0.0.1", "-y", y(UNKNOWN_KEY), "example.test", "AXFR"])
    assert "NOTAUTH" in r.stdout + r.stderr or "BADKEY" in r.stdout + r.stderr, r.stdout + r.stderr


def test_wrong_secret_is_badsig(primary):
    wrong = (XFR_KEY[0], XFR_KEY[1], OTHER_KEY[2])
    r = run(["kdig", "-p", str(primary.port), "@127.0.0.1", "-y", y(wrong), "example.test", "AXFR"])
    assert "NOTAUTH" in r.stdout + r.stderr or "BADSIG" in r.stdout + r.stderr, r.stdout + r.stderr


def test_zone_without_allow_transfer_is_refused_and_other_zones_are_notauth(primary):
    q = dns.message.make_query("closed.test", "AXFR")
    assert dns.query.tcp(q, "127.0.0.1", port=primary.port, timeout=5).rcode() == dns.rcode.REFUSED
    q = dns.message.make_query("nowhere.test", "AXFR")
    assert dns.query.tcp(q, "127.0.0.1", port=primary.port, timeout=5).rcode() == dns.rcode.NOTAUTH


def test_axfr_over_udp_is_formerr(primary):
    q = dns.message.make_query("example.test", "AXFR")
    assert dns.query.udp(q, "127.0.0.1", port=primary.port, timeout=5).rcode() == dns.rcode.FORMERR


def test_big_zone_many_messages(primary):
    r = run(["dig", "-p", str(primary.port), "@127.0.0.1", "big.test", "AXFR", "+nocomments"])
    assert r.returncode == 0
    want = 2 * BIG_HOSTS + 3
    line = [l for l in r.stdout.splitlines() if "XFR size" in l][0]
    # ";; XFR size: N records (messages M, bytes B)"
    assert f"XFR size: {want + 1} records" in line, line
    messages = int(line.split("messages ")[1].split(",")[0])
    assert messages > 10, line
    r = run(["kdig", "-p", str(primary.port), "@127.0.0.1", "big.test", "AXFR"])
    assert r.returncode == 0
    assert f"host{BIG_HOSTS - 1}.big.test." in r.stdout
    got, _ = axfr_set("big.test", primary.port)
    assert len(got) == want


# --- IXFR ----------------------------------------------------------------------

def test_ixfr_after_nsupdates(primary):
    start = serial_of("dyn.test", primary.port)
    for i in range(5):
        nsupdate(primary.port, "dyn.test", [f"update add n{i}.dyn.test. 300 A 192.0.2.{i + 10}",
                                            "update delete txt.dyn.test. TXT" if i == 2 else ""])
    now = serial_of("dyn.test", primary.port)
    assert now == start + 5
    before = primary.metrics().get('namae_xfr_out_total{type="ixfr"}', 0)
    r = run(["dig", "-p", str(primary.port), "@127.0.0.1", "dyn.test", f"IXFR={start}", "+nocomments"])
    assert r.returncode == 0
    lines = [l for l in r.stdout.splitlines() if l and not l.startswith(";")]
    soas = [l for l in lines if "\tSOA\t" in l]
    # The new SOA, then per step old and new SOA, then the new SOA again.
    assert len(soas) == 2 + 2 * 5, r.stdout
    assert "n4.dyn.test." in r.stdout and 'txt.dyn.test.' in r.stdout
    assert primary.metrics()['namae_xfr_out_total{type="ixfr"}'] == before + 1

    # Applied by dnspython onto the old contents, IXFR gives what AXFR gives.
    full, serial = axfr_set("dyn.test", primary.port)
    assert serial == now
    z = dns.zone.from_text(SMALL.replace("example.test.", "dyn.test."), origin="dyn.test.",
                           relativize=False)
    q, _ = dns.xfr.make_query(z, serial=start)
    dns.query.inbound_xfr("127.0.0.1", z, query=q, port=primary.port, lifetime=30)
    got = set()
    for name, node in z.nodes.items():
        for rds in node.rdatasets:
            for rd in rds:
                got.add(f"{name} {rds.ttl} {dns.rdatatype.to_text(rds.rdtype)} {rd.to_text()}")
    assert got == full

    # Current client: the SOA alone.
    r = run(["dig", "-p", str(primary.port), "@127.0.0.1", "dyn.test", f"IXFR={now}", "+nocomments"])
    lines = [l for l in r.stdout.splitlines() if l and not l.startswith(";")]
    assert len(lines) == 1 and "SOA" in lines[0], r.stdout
    # Unknown serial: the whole zone, AXFR-style.
    r = run(["dig", "-p", str(primary.port), "@127.0.0.1", "dyn.test", "IXFR=7", "+nocomments"])
    assert f"XFR size: {len(full) + 1} records" in r.stdout, r.stdout
    # Signed IXFR.
    r = run(["kdig", "-p", str(primary.port), "@127.0.0.1", "-y", y(XFR_KEY), "-b", "127.0.0.2",
             "dyn.test", f"IXFR={start}"])
    assert r.returncode == 0 and "n4.dyn.test." in r.stdout, r.stdout + r.stderr


def test_ixfr_over_udp(primary):
    start = serial_of("dyn.test", primary.port)
    nsupdate(primary.port, "dyn.test", ["update add udp.dyn.test. 300 A 192.0.2.99"])
    r = run(["dig", "+notcp", "-p", str(primary.port), "@127.0.0.1", "dyn.test", f"IXFR={start}"])
    assert "udp.dyn.test." in r.stdout, r.stdout
    q = dns.message.make_query("dyn.test", "IXFR")
    q.authority.append(dns.rrset.from_text("dyn.test.", 300, "IN", "SOA",
                                           f"ns1.dyn.test. hostmaster.dyn.test. {start} 7200 900 1209600 60"))
    resp = dns.query.udp(q, "127.0.0.1", port=primary.port, timeout=5, one_rr_per_rrset=True)
    assert resp.rcode() == dns.rcode.NOERROR
    assert len(resp.answer) == 5  # SOA, old SOA, new SOA, the A, SOA
    # Too large for a datagram (the whole zone): the SOA alone.
    q = dns.message.make_query("big.test", "IXFR")
    q.authority.append(dns.rrset.from_text("big.test.", 300, "IN", "SOA",
                                           "ns1.big.test. hostmaster.big.test. 0 7200 900 1209600 60"))
    resp = dns.query.udp(q, "127.0.0.1", port=primary.port, timeout=5)
    assert len(resp.answer) == 1 and resp.answer[0].rdtype == dns.rdatatype.SOA


def test_updates_during_a_transfer(primary):
    """A transfer paused by its client sends the version it started with;
    updates meanwhile are applied without waiting for it."""
    serial = serial_of("big.test", primary.port)
    s = socket.create_connection(("127.0.0.1", primary.port), timeout=30)
    q = dns.message.make_query("big.test", "AXFR").to_wire()
    s.sendall(struct.pack("!H", len(q)) + q)

    def read_message():
        hdr = b""
        while len(hdr) < 2:
            chunk = s.recv(2 - len(hdr))
            assert chunk
            hdr += chunk
        n = struct.unpack("!H", hdr)[0]
        body = b""
        while len(body) < n:
            chunk = s.recv(n - len(body))
            assert chunk
            body += chunk
        return dns.message.from_wire(body, xfr=True, one_rr_per_rrset=True)

    first = read_message()
    # The client stops reading; updates go through meanwhile.
    t0 = time.time()
    for i in range(10):
        nsupdate(primary.port, "big.test", [f"update add during{i}.big.test. 300 A 192.0.2.{i}",
                                            f"update delete host{i}.big.test. A"])
    assert time.time() - t0 < 30
    assert serial_of("big.test", primary.port) == serial + 10

    records = [rr for rr in first.answer]
    while True:
        m = read_message()
        records += m.answer
        if m.answer and m.answer[-1].rdtype == dns.rdatatype.SOA and len(records) > 1:
            break
    s.close()
    assert records[0][0].serial == serial and records[-1][0].serial == serial
    names = {str(rr.name) for rr in records}
    assert "during0.big.test." not in names
    assert len(records) == 2 * BIG_HOSTS + 3 + 1
    # A new transfer sees the updates.
    got, now = axfr_set("big.test", primary.port)
    assert now == serial + 10
    assert any(l.startswith("during9.big.test.") for l in got)


# --- BIND, Knot and NSD as secondaries -------------------------------------------

def wait_serial(peer, zone, serial, timeout=30):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = serial_of(zone, peer.port)
            if last == serial:
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{peer.kind} stuck at serial {last}, want {serial}:\n{peer.log()[-3000:]}")


@pytest.mark.parametrize("kind", ["named", "knotd", "nsd"])
def test_secondary_pulls_axfr_then_ixfr(tmp_path, kind):
    zone = "sec.test"
    text = SMALL.replace("example.test.", "sec.test.") + "\n".join(
        f"h{i} IN A 10.1.{i >> 8}.{i & 255}" for i in range(3000)) + "\n"
    keys = {XFR_KEY[0]: (XFR_KEY[1], XFR_KEY[2])}
    p = start_namaed(str(tmp_path / "primary"), {
        zone: {"text": text, "journal": True, "allow-update": ["127.0.0.1"],
               "allow-transfer": [f"key:{XFR_KEY[0]}"]}}, keys, http=True)
    try:
        sec = SECONDARIES[kind](str(tmp_path / kind), zone, p.port, XFR_KEY)
        try:
            wait_serial(sec, zone, 100)
            want, _ = axfr_set(zone, p.port, key=XFR_KEY)
            got, _ = axfr_set(zone, sec.port)
            assert got == want
            axfr_count = p.metrics()['namae_xfr_out_total{type="axfr"}']
            assert axfr_count >= 2  # the secondary's and ours

            for round_ in range(2):
                for i in range(3):
                    nsupdate(p.port, zone, [f"update add r{round_}-{i}.{zone}. 300 A 192.0.2.{i}",
                                            f"update delete h{round_ * 10 + i}.{zone}. A",
                                            f"update add www.{zone}. 300 TXT \"round {round_}\""])
                serial = serial_of(zone, p.port)
                r = sec.refresh()
                wait_serial(sec, zone, serial)
                want, _ = axfr_set(zone, p.port, key=XFR_KEY)
                got, _ = axfr_set(zone, sec.port)
                assert got == want, (got ^ want)
            m = p.metrics()
            assert m['namae_xfr_out_total{type="ixfr"}'] >= 2, m
            assert m['namae_xfr_out_total{type="refused"}'] == 0
            # Each round came by IXFR and applied: no secondary fell back to AXFR.
            assert m['namae_xfr_out_total{type="axfr"}'] == axfr_count + 2, m
        finally:
            sec.stop()
    finally:
        p.stop()

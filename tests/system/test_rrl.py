"""Response rate limiting ([server] rrl) under a reflection flood on loopback.

A flood of one question from 50 source addresses in one /24 (127.0.1.1 ...
127.0.1.50: loopback accepts any 127/8 source) for 2 s: namaed answers about
one second's worth of the rate (BIND's accounting: the flood's debt keeps the
network limited), and slips TC=1 replies at the slip cadence; the
amplification (reply bytes / query bytes) with and without RRL is printed, as
are the same figures for Knot's mod-rrl under the same flood. A client in
another /24 (127.0.2.1) asking the same name meanwhile gets every answer; TCP
and queries with a valid server cookie are never limited. Nothing is sent
anywhere but 127.0.0.0/8.
"""
import select
import socket
import struct
import time

import dns.edns
import dns.flags
import dns.message
import dns.query
import pytest

from conftest import start_knotd
from test_server import ZONE, Namaed

RATE = 10
SLIP = 2
SECONDS = 2.0
QPS = 1000  # the flood's pace, over all sources
FLOOD_SOURCES = [f"127.0.1.{i}" for i in range(1, 51)]
LEGIT = "127.0.2.1"

# The usual test zone plus a TXT RRset worth amplifying (about 500 octets).
RRL_ZONE = ZONE.format(serial=2, last=1) + "".join(
    f'big   IN TXT "amplification test record {i:02d} padding padding padding"\n' for i in range(8))
QNAME, QTYPE = "big.example.test", "TXT"


def query_wire(qid=0, options=None):
    q = dns.message.make_query(QNAME, QTYPE, use_edns=0, payload=1232, options=options or [])
    q.id = qid
    return q.to_wire()


def reply_kind(data):
    """'full' (records in the answer), 'tc' (a slip: TC=1, no answer) or 'other'."""
    if len(data) < 12:
        return "other"
    flags, ancount = struct.unpack("!H", data[2:4])[0], struct.unpack("!H", data[6:8])[0]
    if flags & 0x0200 and ancount == 0:
        return "tc"
    return "full" if ancount else "other"


def udp_socket(src):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind((src, 0))
    s.setblocking(False)
    return s


def drain(sock, on_reply):
    while True:
        try:
            on_reply(sock.recv(65535))
        except BlockingIOError:
            return


def flood(port, seconds=SECONDS, qps=QPS):
    """Flood QNAME from FLOOD_SOURCES at `qps` while LEGIT asks the same every
    0.1 s; returns counts and byte totals (replies counted until 0.5 s after)."""
    socks = [udp_socket(a) for a in FLOOD_SOURCES]
    legit = udp_socket(LEGIT)
    st = dict(sent=0, out=0, full=0, tc=0, other=0, back=0, legit_sent=0, legit_full=0)
    wire = query_wire()

    def on_flood_reply(data):
        st["back"] += len(data)
        st[reply_kind(data)] += 1

    def on_legit_reply(data):
        st["legit_full"] += reply_kind(data) == "full"

    start = time.monotonic()
    next_send = next_legit = start
    end = start + seconds
    while True:
        now = time.monotonic()
        if now >= end + 0.5:
            break
        while now < end and next_send <= now:
            socks[st["sent"] % len(socks)].sendto(wire, ("127.0.0.1", port))
            st["sent"] += 1
            st["out"] += len(wire)
            next_send += 1.0 / qps
        if now < end and next_legit <= now:
            legit.sendto(wire, ("127.0.0.1", port))
            st["legit_sent"] += 1
            next_legit += 0.1
        readable, _, _ = select.select(socks + [legit], [], [], 0.001)
        for s in readable:
            drain(s, on_legit_reply if s is legit else on_flood_reply)
    for s in socks + [legit]:
        s.close()
    st["amplification"] = st["back"] / st["out"]
    st["answers_per_s"] = st["full"] / seconds
    return st


def show(label, st):
    print(f"\n{label}: {st['sent']} queries in {SECONDS:.0f} s -> {st['full']} answers "
          f"({st['answers_per_s']:.1f}/s), {st['tc']} slipped (TC=1), {st['other']} other; "
          f"amplification {st['amplification']:.2f} ({st['back']} bytes out / {st['out']} in); "
          f"legit client {st['legit_full']}/{st['legit_sent']}")


def udp_exchange(port, src, wire, n, wait=0.5):
    """Send `wire` n times from `src`; the kinds of the replies that came back."""
    s = udp_socket(src)
    for _ in range(n):
        s.sendto(wire, ("127.0.0.1", port))
    kinds = []
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        select.select([s], [], [], 0.05)
        drain(s, lambda d: kinds.append(reply_kind(d)))
    s.close()
    return kinds


@pytest.fixture
def namaed_rrl():
    s = Namaed(extra_server=f"rrl = {{ responses-per-second = {RATE}, slip = {SLIP}, window = 15 }}")
    load_big(s)
    yield s
    s.stop()


@pytest.fixture
def namaed_plain():
    s = Namaed()
    load_big(s)
    yield s
    s.stop()


def load_big(s):
    s.write_zone(RRL_ZONE)
    r = s.ctl("reload")
    assert r.returncode == 0, r.stderr
    deadline = time.time() + 10
    while time.time() < deadline:
        q = dns.message.make_query(QNAME, QTYPE, use_edns=0, payload=1232)
        if dns.query.udp(q, "127.0.0.1", port=s.port, timeout=3).answer:
            return
        time.sleep(0.2)
    raise AssertionError("zone with the big TXT not loaded")


def metric(text, line_start):
    for line in text.splitlines():
        if line.startswith(line_start + " "):
            return int(float(line.split()[-1]))
    return 0


def knot_figures(tmp_path, rrl):
    extra = []
    if rrl:
        extra = ["mod-rrl:", "  - id: default", f"    rate-limit: {RATE}", f"    slip: {SLIP}",
                 "template:", "  - id: default", "    global-module: mod-rrl/default"]
    peer = start_knotd(str(tmp_path / ("knot-rrl" if rrl else "knot")), zones={"example.test": RRL_ZONE},
                       keys={}, extra_conf=extra)
    try:
        return flood(peer.port)
    finally:
        peer.stop()


def test_flood_is_limited_and_others_are_not(namaed_rrl, namaed_plain, tmp_path):
    cookie_src = FLOOD_SOURCES[6]
    q = dns.message.make_query(QNAME, QTYPE, use_edns=0, payload=1232,
                               options=[dns.edns.GenericOption(dns.edns.COOKIE, bytes.fromhex("0102030405060708"))])
    r = dns.query.udp(q, "127.0.0.1", port=namaed_rrl.port, source=cookie_src, timeout=3)
    full_cookie = [o for o in r.options if o.otype == dns.edns.COOKIE][0]
    cookie_wire = query_wire(options=[dns.edns.GenericOption(dns.edns.COOKIE, full_cookie.to_wire())])

    plain = flood(namaed_plain.port)
    limited = flood(namaed_rrl.port)
    show("namaed without rrl", plain)
    show(f"namaed rrl {RATE}/s slip {SLIP}", limited)

    # Without RRL every query is answered in full.
    assert plain["full"] >= plain["sent"] * 0.95, plain
    # With it: at most the rate over the flood (plus the first second's
    # credit), at least the first second's worth; the rest slips at the
    # cadence (every 2nd limited answer) or is dropped.
    assert RATE // 2 <= limited["full"] <= RATE * (SECONDS + 1) + 5, limited
    over = limited["sent"] - limited["full"]
    assert abs(limited["tc"] - over / SLIP) <= over * 0.1 + 5, limited
    assert limited["other"] == 0, limited
    assert limited["amplification"] < 1.0 < plain["amplification"], (limited, plain)
    # The client in another /24 got every answer, during the flood.
    assert limited["legit_full"] == limited["legit_sent"] >= SECONDS * 10 - 2, limited

    # The flooded /24 is still limited (paying its debt)...
    kinds = udp_exchange(namaed_rrl.port, FLOOD_SOURCES[8], query_wire(), 10)
    assert "full" not in kinds, kinds
    # ...but not over TCP, nor with a valid server cookie.
    for i in range(20):
        r = dns.query.tcp(dns.message.make_query(QNAME, QTYPE), "127.0.0.1", port=namaed_rrl.port,
                          source=FLOOD_SOURCES[9], timeout=3)
        assert r.answer and not r.flags & dns.flags.TC
    kinds = udp_exchange(namaed_rrl.port, cookie_src, cookie_wire, 20)
    assert kinds == ["full"] * 20, kinds

    text = namaed_rrl.metrics()
    dropped = metric(text, 'namae_rrl_total{action="dropped"}')
    slipped = metric(text, 'namae_rrl_total{action="slipped"}')
    assert slipped >= limited["tc"] and dropped > 0, text
    assert metric(text, 'namae_rrl_class_total{class="answer",action="slipped"}') == slipped
    log = namaed_rrl.log_text()
    assert "rrl: limiting answer for big.example.test. responses to 127.0.1.0/24" in log, log
    assert log.count("rrl: limiting") <= 3, log  # one per limited run, not one per query

    try:
        knot_plain = knot_figures(tmp_path, rrl=False)
        knot = knot_figures(tmp_path, rrl=True)
    except pytest.skip.Exception as e:  # namaed's part has passed; Knot is only for comparison
        print(f"\nno comparison with Knot: {e}")
        return
    show("knotd without rrl", knot_plain)
    show(f"knotd mod-rrl rate-limit {RATE} slip {SLIP}", knot)
    print(f"\n{'':28}{'answers/s':>10}{'slipped':>9}{'amplification':>15}{'legit':>8}")
    for label, st in [("namaed, no rrl", plain), ("namaed rrl", limited),
                      ("knotd, no rrl", knot_plain), ("knotd mod-rrl", knot)]:
        print(f"{label:28}{st['answers_per_s']:>10.1f}{st['tc']:>9}{st['amplification']:>15.2f}"
              f"{str(st['legit_full']) + '/' + str(st['legit_sent']):>8}")

"""`namae query` against real servers, checked against dig, kdig and dnspython.

BIND (and Knot for TSIG) serve conftest.DEFAULT_ZONES on 127.0.0.1:<free port>.
Every output check is made against dig or kdig asking the same question of the
same server, so the test also proves the expectation itself is right.
"""
import json
import os
import re
import socket
import subprocess
import threading
import time

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.tsig
import pytest

from conftest import TEST_KEY, namae_bin

KEY_NAME, KEY_ALG, KEY_SECRET = TEST_KEY
GOOD_Y = f"{KEY_ALG}:{KEY_NAME}:{KEY_SECRET}"
WRONG_SECRET = "d3JvbmctLXNlY3JldC0tZm9yLXRoZS10ZXN0LWtleQ=="


def run(args, timeout=60):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


def namae_query(peer_or_port, *args, timeout=60):
    port = peer_or_port if isinstance(peer_or_port, int) else peer_or_port.port
    return run([namae_bin(), "query", "@127.0.0.1", "-p", str(port), *args], timeout=timeout)


def dig(peer, *args):
    # +nocookie: namae sends no cookie by default, so the replies are comparable.
    r = run(["dig", "@127.0.0.1", "-p", str(peer.port), "+nocookie", *args])
    assert r.returncode == 0, r.stderr
    return r.stdout


def parse_dig(text):
    """dig-format output -> comparable structure (volatile parts dropped)."""
    out = {"opcode": None, "status": None, "flags": None, "counts": None, "edns": None,
           "sections": {}, "footer": {}}
    section = None
    for line in text.splitlines():
        m = re.match(r";; ->>HEADER<<- opcode: (\w+), status: (\w+), id: (\d+)$", line)
        if m:
            out["opcode"], out["status"] = m.group(1), m.group(2)
            continue
        m = re.match(r";; flags:([^;]*); (.*)$", line)
        if m:
            out["flags"] = sorted(m.group(1).split())
            out["counts"] = m.group(2)
            continue
        m = re.match(r"; EDNS: (.*)$", line)
        if m:
            out["edns"] = m.group(1)
            continue
        m = re.match(r";; (\w+) (?:PSEUDO)?SECTION:$", line)
        if m:
            section = m.group(1)
            out["sections"][section] = []
            continue
        m = re.match(r";; (Query time|SERVER|WHEN|MSG SIZE  rcvd): (.*)$", line)
        if m:
            out["footer"][m.group(1)] = m.group(2)
            continue
        if not line.strip():
            section = None if section != "OPT" else section
            continue
        if section == "QUESTION":
            out["sections"][section].append(tuple(line.lstrip(";").split()))
        elif section in ("ANSWER", "AUTHORITY", "ADDITIONAL", "TSIG"):
            owner, ttl, cls, rtype, rdata = line.split(None, 4)
            out["sections"][section].append((owner, ttl, cls, rtype, rdata.strip()))
        elif section == "OPT" and line.startswith(";; "):
            section = None
    for name, records in out["sections"].items():
        records.sort()
    return out


def comparable(parsed):
    """Drop what legitimately differs between two runs (TSIG MAC/time, footer)."""
    p = dict(parsed)
    p["sections"] = {k: v for k, v in parsed["sections"].items() if k not in ("TSIG", "OPT")}
    p.pop("footer")
    return p


QUERIES = [
    ["www.example.test", "A"],
    ["www.example.test", "AAAA"],
    ["example.test", "MX"],
    ["example.test", "SOA"],
    ["example.test", "NS"],
    ["txt.example.test", "TXT"],
    ["alias.example.test", "A"],
    ["srv.example.test", "SRV"],
    ["_sip._udp.example.test", "SRV"],
    ["caa.example.test", "CAA"],
    ["nx.example.test", "A"],
    ["www.example.test", "TXT"],
    ["outside.invalid", "A"],
    ["example.test", "ANY"],
    ["www.example.test", "A", "CH"],
    ["www.example.test", "A", "+norec"],
    ["www.example.test", "A", "+dnssec", "+cd"],
    ["www.example.test", "A", "+noedns"],
    ["WwW.ExAmPlE.TeSt", "A"],
]


@pytest.mark.parametrize("args", QUERIES, ids=lambda a: "-".join(a))
def test_output_matches_dig(named_peer, args):
    r = namae_query(named_peer, *args)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("\n; <<>> namae query <<>> ")
    mine = parse_dig(r.stdout)
    theirs = parse_dig(dig(named_peer, *args))
    assert comparable(mine) == comparable(theirs)
    assert mine["footer"]["SERVER"] == f"127.0.0.1#{named_peer.port}(127.0.0.1) (UDP)"
    assert re.fullmatch(r"\d+ msec", mine["footer"]["Query time"])
    assert mine["footer"]["MSG SIZE  rcvd"] == theirs["footer"]["MSG SIZE  rcvd"]


@pytest.mark.parametrize("args", [["www.example.test"], ["example.test", "MX"],
                                  ["alias.example.test"], ["txt.example.test", "TXT"],
                                  ["nx.example.test"], ["-x", "192.0.2.1"]])
def test_short_matches_dig(named_peer, args):
    r = namae_query(named_peer, "+short", *args)
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.splitlines()) == sorted(dig(named_peer, "+short", *args).splitlines())


def test_json_is_rfc8427_and_matches_dig(named_peer):
    r = namae_query(named_peer, "+json", "www.example.test", "A")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["QR"] == 1 and doc["AA"] == 1 and doc["RCODE"] == 0
    assert doc["QNAME"] == "www.example.test." and doc["QTYPE"] == 1
    assert doc["QTYPEname"] == "A" and doc["QCLASSname"] == "IN"
    assert doc["QDCOUNT"] == 1 and doc["ANCOUNT"] == len(doc["answerRRs"])
    assert doc["msgLength"] > 12
    assert doc["questionRRs"] == [{"NAME": "www.example.test.", "TYPE": 1, "TYPEname": "A",
                                   "CLASS": 1, "CLASSname": "IN"}]
    theirs = parse_dig(dig(named_peer, "www.example.test", "A"))["sections"]["ANSWER"]
    mine = sorted((rr["NAME"], str(rr["TTL"]), rr["CLASSname"], rr["TYPEname"], rr["rdataA"])
                  for rr in doc["answerRRs"])
    assert mine == theirs
    for rr in doc["answerRRs"]:
        assert rr["RDLENGTH"] == 4
        assert bytes.fromhex(rr["RDATAHEX"]) == socket.inet_aton(rr["rdataA"])
    opt = [rr for rr in doc["additionalRRs"] if rr["TYPE"] == 41]
    assert len(opt) == 1 and opt[0]["CLASS"] >= 512 and "CLASSname" not in opt[0]


def stripped(rr):
    # kdig 3.2 leaves a trailing space after some rdata (CAA); the value is the same.
    return {k: v.strip() if isinstance(v, str) else v for k, v in rr.items()}


@pytest.mark.parametrize("args", [["www.example.test", "A"], ["example.test", "SOA"],
                                  ["txt.example.test", "TXT"], ["example.test", "MX"],
                                  ["nx.example.test", "A"], ["caa.example.test", "CAA"],
                                  ["srv.example.test", "SRV"], ["example.test", "NS"]])
def test_json_matches_kdig(named_peer, args):
    """kdig (Knot) implements RFC 8427 output too: same members, same values."""
    r = namae_query(named_peer, "+json", "+noedns", "+norec", "+noadflag", *args)
    assert r.returncode == 0, r.stderr
    mine = json.loads(r.stdout)
    k = run(["kdig", "@127.0.0.1", "-p", str(named_peer.port), "+json", "+norec", *args])
    assert k.returncode == 0, k.stderr
    theirs = json.loads(k.stdout)
    volatile = {"ID", "dateString", "dateSeconds", "questionRRs"}
    for key in set(mine) | set(theirs):
        if key in volatile:
            continue
        a, b = mine.get(key, []), theirs.get(key, [])
        if key.endswith("RRs"):
            a = sorted(json.dumps(stripped(x), sort_keys=True) for x in a)
            b = sorted(json.dumps(stripped(x), sort_keys=True) for x in b)
        assert a == b, key


def test_tcp(named_peer):
    r = namae_query(named_peer, "+tcp", "www.example.test")
    assert r.returncode == 0, r.stderr
    mine = parse_dig(r.stdout)
    assert mine["footer"]["SERVER"].endswith("(TCP)")
    assert comparable(mine) == comparable(parse_dig(dig(named_peer, "+tcp", "www.example.test")))


@pytest.mark.parametrize("addr", ["192.0.2.1", "2001:db8::1", "192.0.2.99"])
def test_reverse(named_peer, addr):
    r = namae_query(named_peer, "-x", addr)
    assert r.returncode == 0, r.stderr
    mine = parse_dig(r.stdout)
    assert comparable(mine) == comparable(parse_dig(dig(named_peer, "-x", addr)))
    if addr != "192.0.2.99":
        assert mine["sections"]["ANSWER"][0][3:] == ("PTR", "www.example.test.")


def test_truncated_udp_falls_back_to_tcp(named_peer):
    r = namae_query(named_peer, "big.example.test", "TXT", "+bufsize=512")
    assert r.returncode == 0, r.stderr
    assert ";; Truncated, retrying in TCP mode." in r.stdout
    mine = parse_dig(r.stdout)
    assert "tc" not in mine["flags"]
    assert len(mine["sections"]["ANSWER"]) == 40
    assert mine["footer"]["SERVER"].endswith("(TCP)")
    assert mine["sections"]["ANSWER"] == parse_dig(
        dig(named_peer, "big.example.test", "TXT", "+bufsize=512"))["sections"]["ANSWER"]
    # +noedns: 512 octets, same story; +ignore keeps the truncated UDP reply.
    r = namae_query(named_peer, "big.example.test", "TXT", "+noedns", "+ignore")
    assert r.returncode == 0, r.stderr
    mine = parse_dig(r.stdout)
    assert "tc" in mine["flags"] and mine["footer"]["SERVER"].endswith("(UDP)")
    assert "Truncated" not in r.stdout
    # +short keeps stdout clean: the note goes to stderr.
    r = namae_query(named_peer, "big.example.test", "TXT", "+noedns", "+short")
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 40
    assert "Truncated" in r.stderr


# --- TSIG -----------------------------------------------------------------


@pytest.fixture(params=["named", "knotd"])
def tsig_peer(request, named_peer, knot_peer):
    return named_peer if request.param == "named" else knot_peer


def test_tsig_accepted_with_right_key(tsig_peer):
    r = namae_query(tsig_peer, "www.example.test", "-y", GOOD_Y)
    assert r.returncode == 0, r.stdout + r.stderr
    out = parse_dig(r.stdout)
    assert out["status"] == "NOERROR"
    (tsig,) = out["sections"]["TSIG"]
    assert tsig[0] == f"{KEY_NAME}." and tsig[2:4] == ("ANY", "TSIG")
    fields = tsig[4].split()
    assert fields[0] == f"{KEY_ALG}." and fields[3] == "32" and fields[6] == "NOERROR"
    assert abs(int(fields[1]) - time.time()) < 60
    # The secret is never echoed.
    assert KEY_SECRET not in r.stdout


def test_tsig_rejected_with_wrong_secret(tsig_peer):
    r = namae_query(tsig_peer, "www.example.test", "-y", f"{KEY_ALG}:{KEY_NAME}:{WRONG_SECRET}")
    assert r.returncode == 11, r.stdout + r.stderr
    out = parse_dig(r.stdout)
    assert out["status"] == "NOTAUTH"
    assert "ANSWER" not in out["sections"]
    assert "BADSIG" in out["sections"]["TSIG"][0][4]
    assert "TSIG error BADSIG" in r.stderr


def test_tsig_rejected_with_unknown_key(tsig_peer):
    r = namae_query(tsig_peer, "www.example.test", "-y", f"{KEY_ALG}:nosuchkey:{KEY_SECRET}")
    assert r.returncode == 11, r.stdout + r.stderr
    assert parse_dig(r.stdout)["status"] == "NOTAUTH"
    assert "TSIG error BADKEY" in r.stderr


class DnspythonServer(threading.Thread):
    """UDP server on 127.0.0.1 that answers with dnspython.

    mode "tsig": validate the query's TSIG with `keyring` (dnspython raises on a
    bad MAC) and sign the reply with `reply_keyring`.
    mode "garbage": reply with the query's ID followed by junk.
    mode "stray": first send a datagram with a wrong ID, then a good reply.
    mode "tc": reply with TC set and no answer (the TCP port stays closed).
    mode "plain": validate the query's TSIG but answer unsigned.
    mode "mismatch": answer with another question than the one asked.
    """

    def __init__(self, mode, keyring=None, reply_keyring=None, keyname=None, addr="127.0.0.1"):
        super().__init__(daemon=True)
        self.mode = mode
        self.keyring = keyring
        self.reply_keyring = reply_keyring or keyring
        self.keyname = keyname
        family = socket.AF_INET6 if ":" in addr else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind((addr, 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.verified = []
        self.errors = []
        self.stopping = False

    def run(self):
        while not self.stopping:
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            try:
                self.handle(data, addr)
            except Exception as e:  # recorded for the test to assert on
                self.errors.append(repr(e))

    def handle(self, data, addr):
        if self.mode == "garbage":
            self.sock.sendto(data[:2] + b"\x81\x80\x00\x01\x00\x05\x00\x00\x00\x00\xff\xff", addr)
            return
        q = dns.message.from_wire(data, keyring=self.keyring)
        if self.keyring:
            self.verified.append(q.had_tsig)
        r = dns.message.make_response(q)
        if self.mode == "tc":
            r.flags |= dns.flags.TC
            self.sock.sendto(r.to_wire(), addr)
            return
        if self.mode == "mismatch":
            r.question = [dns.rrset.RRset(dns.name.from_text("other.example."),
                                          dns.rdataclass.IN, dns.rdatatype.A)]
        r.answer.append(dns.rrset.from_text(q.question[0].name, 60, "IN", "A", "192.0.2.7"))
        if self.mode == "plain":
            r.tsig = None  # answer unsigned even though the query was signed
        elif self.keyring:
            r.use_tsig(self.reply_keyring, keyname=self.keyname, algorithm=q.keyalgorithm)
            r.request_mac = q.mac
        if self.mode == "stray":
            stray = bytearray(r.to_wire())
            stray[0] ^= 0xFF
            self.sock.sendto(bytes(stray), addr)
        self.sock.sendto(r.to_wire(), addr)

    def stop(self):
        self.stopping = True
        self.join()
        self.sock.close()


ALGORITHMS = ["hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384",
              "hmac-sha512"]
DNSPYTHON_ALG = {"hmac-md5": "hmac-md5.sig-alg.reg.int."}


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_tsig_live_with_dnspython(alg):
    """dnspython verifies namae's signed query; namae verifies dnspython's signed reply."""
    name = dns.name.from_text("dnspython-key.")
    key = dns.tsig.Key(name, KEY_SECRET, DNSPYTHON_ALG.get(alg, alg + "."))
    srv = DnspythonServer("tsig", keyring={name: key}, keyname=name)
    srv.start()
    try:
        r = namae_query(srv.port, "host.example", "-y", f"{alg}:dnspython-key:{KEY_SECRET}",
                        "+short", "+time=2")
    finally:
        srv.stop()
    assert srv.errors == []
    assert srv.verified == [True]
    assert r.returncode == 0, r.stderr
    assert r.stdout == "192.0.2.7\n"


def test_tsig_reply_signed_with_other_key_is_rejected():
    name = dns.name.from_text("dnspython-key.")
    good = dns.tsig.Key(name, KEY_SECRET, "hmac-sha256.")
    bad = dns.tsig.Key(name, WRONG_SECRET, "hmac-sha256.")
    srv = DnspythonServer("tsig", keyring={name: good}, reply_keyring={name: bad}, keyname=name)
    srv.start()
    try:
        r = namae_query(srv.port, "host.example", "-y", f"hmac-sha256:dnspython-key:{KEY_SECRET}",
                        "+time=2")
    finally:
        srv.stop()
    assert srv.verified == [True]
    assert r.returncode == 11
    assert "failed TSIG verification: BADSIG" in r.stderr


def test_unsigned_reply_to_signed_query_is_rejected():
    name = dns.name.from_text(KEY_NAME)
    srv = DnspythonServer("plain", keyring={name: dns.tsig.Key(name, KEY_SECRET, KEY_ALG + ".")},
                          keyname=name)
    srv.start()
    try:
        # The server checks the query's TSIG but answers unsigned.
        r = namae_query(srv.port, "host.example", "-y", GOOD_Y, "+time=2")
    finally:
        srv.stop()
    assert srv.errors == [] and srv.verified == [True]
    assert r.returncode == 11
    assert "not signed" in r.stderr


# --- failures ---------------------------------------------------------------


def test_timeout_exits_9():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))  # bound, so no ICMP; never answers
        port = silent.getsockname()[1]
        start = time.time()
        r = namae_query(port, "www.example.test", "+time=1", "+tries=2")
        elapsed = time.time() - start
    assert r.returncode == 9
    assert ";; connection timed out; no servers could be reached" in r.stderr
    assert r.stderr.count("timed out") == 3  # one note per try, then the verdict
    assert 1.8 <= elapsed < 10


def test_connection_refused_exits_9():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = namae_query(port, "www.example.test", "+time=2", "+tries=1")
    assert r.returncode == 9
    assert "connection refused" in r.stderr
    r = namae_query(port, "www.example.test", "+time=2", "+tcp")
    assert r.returncode == 9
    assert "connection refused" in r.stderr


def test_malformed_reply_exits_9():
    srv = DnspythonServer("garbage")
    srv.start()
    try:
        r = namae_query(srv.port, "www.example.test", "+time=2", "+tries=1")
    finally:
        srv.stop()
    assert r.returncode == 9
    assert re.search(rf"malformed reply from 127\.0\.0\.1#{srv.port}: \S", r.stderr), r.stderr


def test_unrelated_datagram_is_ignored():
    srv = DnspythonServer("stray")
    srv.start()
    try:
        r = namae_query(srv.port, "host.example", "+short", "+time=2", "+tries=1")
    finally:
        srv.stop()
    assert r.returncode == 0, r.stderr
    assert r.stdout == "192.0.2.7\n"


def test_truncated_reply_without_tcp_exits_9():
    srv = DnspythonServer("tc")
    srv.start()
    try:
        r = namae_query(srv.port, "host.example", "+time=1", "+tries=1")
    finally:
        srv.stop()
    assert "Truncated, retrying in TCP mode." in r.stdout
    assert r.returncode == 9
    assert "connection refused" in r.stderr


def test_usage_errors_exit_2():
    for args in (["+bogus"], ["-p", "99999", "x"], ["-t", "NOPE", "x"], ["-y", "broken", "x"]):
        r = run([namae_bin(), "query", *args])
        assert r.returncode == 2, args
        assert "namae query:" in r.stderr
    r = run([namae_bin(), "query", "--help"])
    assert r.returncode == 0
    assert "Exit status" in r.stdout and "9 " in r.stdout


def test_ipv6_server():
    try:
        srv = DnspythonServer("stray", addr="::1")
    except OSError:
        pytest.skip("no IPv6 loopback")
    srv.start()
    try:
        r = run([namae_bin(), "query", "@::1", "-p", str(srv.port), "host.example", "+time=2"])
        r4 = run([namae_bin(), "query", "-4", "@::1", "-p", str(srv.port), "host.example"])
    finally:
        srv.stop()
    assert r.returncode == 0, r.stderr
    out = parse_dig(r.stdout)
    assert out["sections"]["ANSWER"] == [("host.example.", "60", "IN", "A", "192.0.2.7")]
    assert out["footer"]["SERVER"] == f"::1#{srv.port}(::1) (UDP)"
    # -4 leaves no usable address for an IPv6 literal.
    assert r4.returncode == 10 and "couldn't get address" in r4.stderr


def test_reply_with_other_question_is_rejected():
    srv = DnspythonServer("mismatch")
    srv.start()
    try:
        r = namae_query(srv.port, "host.example", "+time=2", "+tries=1")
    finally:
        srv.stop()
    assert srv.errors == []
    assert r.returncode == 9
    assert "question section mismatch" in r.stderr and "other.example./A/IN" in r.stderr

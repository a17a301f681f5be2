"""namaed's recursive resolver against a hierarchy on loopback (issue 6).

The hierarchy (hierarchy.py) is served by NSD instances on distinct 127.53.B.x
addresses plus small python servers (a query counter, a forger, a server that
never answers). Checked: answers and flags, CNAME across zones, the glueless
reverse tree with RFC 2317, caching (second answer from cache, TTL
decreasing), negative caching, TCP fallback, server failover, spoofed replies
not cached, the recursion ACL, RFC 6303 empty zones and do-not-query-localhost
defaults, `namae ctl cache`, `namae query +trace`, and the same questions
asked of Unbound on the same hierarchy.
"""
import json
import os
import shutil
import subprocess
import tempfile
import socket
import time

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from conftest import free_port, namae_bin
from hierarchy import Hierarchy, start_unbound

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("nsd"),
                                reason="needs root (port 53 on 127.53.x.x) and nsd")


class Resolverd:
    """namaed with a [resolver] table (and an authoritative listener on a free port)."""

    def __init__(self, hints, resolver_extra="", allow=None):
        self.dir = tempfile.mkdtemp(prefix="namaed-r-")
        self.port = free_port()
        auth_port = free_port()
        allow_line = f"allow = {json.dumps(allow)}" if allow is not None else ""
        # The test hierarchy's root is unsigned: no validation unless asked.
        validate_line = "" if "validate" in resolver_extra else "validate = false"
        self.config = os.path.join(self.dir, "namaed.toml")
        with open(self.config, "w") as f:
            f.write(f"""[server]
listen = ["127.0.0.1:{auth_port}"]
workers = 1
control = "ctl.sock"

[http]
listen = ""

[resolver]
listen = ["127.0.0.1:{self.port}"]
root-hints = "{hints}"
{validate_line}
{allow_line}
{resolver_extra}
""")
        self.log_path = os.path.join(self.dir, "namaed.log")
        self.proc = subprocess.Popen([namae_bin("namaed"), "--config", self.config, "--foreground"],
                                     stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("namaed exited:\n" + open(self.log_path).read())
            if os.path.exists(os.path.join(self.dir, "ctl.sock")):
                return
            time.sleep(0.05)
        raise RuntimeError("namaed did not start:\n" + open(self.log_path).read())

    def query(self, name, rtype="A", tcp=False, rd=True, payload=1232, timeout=8):
        q = dns.message.make_query(name, rtype, use_edns=0 if payload else None,
                                   payload=payload or 512)
        if not rd:
            q.flags &= ~dns.flags.RD
        if tcp:
            return dns.query.tcp(q, "127.0.0.1", port=self.port, timeout=timeout)
        return dns.query.udp(q, "127.0.0.1", port=self.port, timeout=timeout)

    def ctl(self, *args):
        r = subprocess.run([namae_bin("namae"), "ctl", "-s", os.path.join(self.dir, "ctl.sock"),
                            *args], capture_output=True, text=True, timeout=10)
        return r.returncode, r.stdout

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    h = Hierarchy(str(tmp_path_factory.mktemp("tree")))
    yield h
    h.stop()


@pytest.fixture(scope="module")
def resolver(tree):
    r = Resolverd(tree.hints, "empty-zones = false\ndo-not-query-localhost = false\nthreads = 4")
    yield r
    r.stop()


def addresses(resp, rtype="A"):
    out = set()
    for rrset in resp.answer:
        if rrset.rdtype == dns.rdatatype.from_text(rtype):
            out |= {r.to_text() for r in rrset}
    return out


def ttl_of(resp, rtype="A"):
    for rrset in resp.answer:
        if rrset.rdtype == dns.rdatatype.from_text(rtype):
            return rrset.ttl
    return None


def test_answer_and_flags(resolver):
    r = resolver.query("www.example.test.")
    assert r.rcode() == dns.rcode.NOERROR
    assert addresses(r) == {"192.0.2.80"}
    assert r.flags & dns.flags.RA
    assert not r.flags & dns.flags.AA
    assert r.flags & dns.flags.RD
    r = resolver.query("www.example.test.", rd=False)
    assert not r.flags & dns.flags.RD  # RD echoed
    assert r.flags & dns.flags.RA


def test_cname_across_zones(resolver):
    r = resolver.query("alias.test.")
    assert r.rcode() == dns.rcode.NOERROR
    types = [rr.rdtype for rr in r.answer]
    assert types[0] == dns.rdatatype.CNAME  # full chain, CNAME first
    assert addresses(r) == {"192.0.2.80"}


def test_empty_non_terminals_with_minimisation(resolver):
    r = resolver.query("x.y.z.example.test.")
    assert addresses(r) == {"192.0.2.82"}


def test_glueless_reverse_and_rfc2317(resolver):
    r = resolver.query("80.2.0.192.in-addr.arpa.", "PTR")
    assert r.rcode() == dns.rcode.NOERROR
    assert addresses(r, "PTR") == {"www.example.test."}
    r = resolver.query("5.2.0.192.in-addr.arpa.", "PTR")
    assert r.rcode() == dns.rcode.NOERROR
    assert addresses(r, "CNAME") == {"5.0/26.2.0.192.in-addr.arpa."}
    assert addresses(r, "PTR") == {"five.example.test."}


def test_second_answer_from_cache_with_ttl_counting_down(tree, resolver):
    r1 = resolver.query("cached.count.test.")
    assert addresses(r1) == {"192.0.2.99"}
    assert tree.counter.count("cached.count.test.") == 1
    time.sleep(2.1)
    r2 = resolver.query("cached.count.test.")
    assert addresses(r2) == {"192.0.2.99"}
    assert tree.counter.count("cached.count.test.") == 1  # not asked again
    assert ttl_of(r2) <= ttl_of(r1) - 2
    assert ttl_of(r1) <= 60


def test_negative_answers_are_cached(tree, resolver):
    r = resolver.query("nxname.count.test.")
    assert r.rcode() == dns.rcode.NXDOMAIN
    assert r.authority and r.authority[0].rdtype == dns.rdatatype.SOA
    assert r.flags & dns.flags.RA and not r.flags & dns.flags.AA
    n = tree.counter.count("nxname.count.test.")
    assert n >= 1
    r = resolver.query("nxname.count.test.", "TXT")
    assert r.rcode() == dns.rcode.NXDOMAIN
    assert tree.counter.count("nxname.count.test.") == n
    assert tree.counter.count("nxname.count.test.", "TXT") == 0
    # NODATA: the name exists, the type does not.
    r = resolver.query("host.count.test.", "AAAA")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    assert r.authority[0].rdtype == dns.rdatatype.SOA
    r = resolver.query("host.count.test.", "AAAA")
    assert tree.counter.count("host.count.test.", "AAAA") == 1
    # The SOA's TTL in a cached negative answer counts down too (RFC 2308 3).
    assert r.authority[0].ttl <= 60


def test_tcp_fallback_for_a_huge_rrset(resolver):
    r = resolver.query("big.example.test.", "TXT", tcp=True)
    assert r.rcode() == dns.rcode.NOERROR
    assert sum(len(rr) for rr in r.answer) == 40
    # Over UDP to the client it cannot fit: TC=1 (the client retries over TCP).
    r = resolver.query("big.example.test.", "TXT")
    assert r.flags & dns.flags.TC


def test_failover_when_servers_of_a_zone_are_down(resolver):
    # test. has three servers: one answers, one refuses (nothing listens),
    # one swallows queries. After a flush every name under test. must still
    # resolve, and quickly once the dead ones are known.
    assert resolver.ctl("cache", "flush")[0] == 0
    t0 = time.time()
    for i in range(6):
        resolver.ctl("cache", "flush", "test")
        r = resolver.query(f"www.example.test.")
        assert r.rcode() == dns.rcode.NOERROR
        assert addresses(r) == {"192.0.2.80"}
    assert time.time() - t0 < 15


def test_spoofed_replies_are_not_cached(tree, resolver):
    # Wrong ID (ignored) first, then the real reply with out-of-bailiwick
    # records for victim.example.test: the answer is used, the rest is not.
    r = resolver.query("www.spoof.test.")
    assert addresses(r) == {"192.0.2.8"}
    assert "6.6.6.6" not in str(r)
    # Only wrong IDs / only a reply from another address: no answer.
    for name in ("wrongid.spoof.test.", "wrongsrc.spoof.test."):
        r = resolver.query(name, timeout=15)
        assert r.rcode() == dns.rcode.SERVFAIL, name
    r = resolver.query("victim.example.test.")
    assert addresses(r) == {"192.0.2.81"}
    code, out = resolver.ctl("cache", "show", "example.test")
    assert code == 0
    assert "6.6.6" not in out
    assert "victim.example.test." in out


def cookies_sent(counter, name):
    with counter.lock:
        return [c for n, c in counter.cookies if n == name]


def test_cookies_are_sent_learned_and_checked(tree, resolver):
    # RFC 7873 client side: a client cookie to every server, the server
    # cookie it answers with sent back next time, BADCOOKIE retried with the
    # cookie it carries, and a reply with someone else's client cookie
    # ignored as a forgery.
    c = tree.counter
    try:
        c.cookie_mode = "answer"
        assert addresses(resolver.query("ck1.count.test")) == {"192.0.2.99"}
        assert addresses(resolver.query("ck2.count.test")) == {"192.0.2.99"}
        first, = cookies_sent(c, "ck1.count.test.")
        second, = cookies_sent(c, "ck2.count.test.")
        assert first is not None and len(first) in (8, 24)
        assert second == first[:8] + c.SERVER_COOKIE

        c.cookie_mode = "require"
        assert addresses(resolver.query("ck3.count.test")) == {"192.0.2.99"}
        tries = cookies_sent(c, "ck3.count.test.")
        assert tries == [first[:8] + c.SERVER_COOKIE, first[:8] + c.REQUIRED_COOKIE], tries

        c.cookie_mode = "forge"
        r = resolver.query("ck4.count.test")
        assert r.rcode() == dns.rcode.SERVFAIL and not r.answer
    finally:
        c.cookie_mode = None


def test_ctl_cache_show_and_flush(resolver):
    resolver.query("www.example.test.")
    code, out = resolver.ctl("cache", "show", "www.example.test")
    assert code == 0 and out.startswith("ok ")
    assert "www.example.test. " in out and "192.0.2.80" in out
    code, out = resolver.ctl("cache", "flush", "example.test")
    assert code == 0 and "flushed" in out
    code, out = resolver.ctl("cache", "show", "www.example.test")
    assert "192.0.2.80" not in out
    code, out = resolver.ctl("cache", "stats")
    assert code == 0 and "hits" in out


def test_trace_from_the_root(tree):
    out = subprocess.run([namae_bin("namae"), "query", "+trace", "--root-hints", tree.hints,
                          "--allow-localhost", "www.example.test", "A"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert tree.addr(1) in text and "referral to test." in text
    assert "referral to example.test." in text
    assert "192.0.2.80" in text
    js = subprocess.run([namae_bin("namae"), "query", "+trace", "+json", "--root-hints",
                         tree.hints, "--allow-localhost", "5.2.0.192.in-addr.arpa", "PTR"],
                        capture_output=True, text=True, timeout=30)
    assert js.returncode == 0, js.stderr
    data = json.loads(js.stdout)
    servers = [s["server"] for s in data["steps"]]
    assert f"{tree.addr(7)}#53" in servers  # the RFC 2317 child was asked
    assert any(s["outcome"].startswith("referral") for s in data["steps"])
    assert data["rcode"] == "NOERROR"


def test_serve_stale_and_ttl_ceiling(tree):
    # max-ttl = 2 caps the 60 s TTL; when count.test's server stops
    # answering, the expired data is served with TTL 30 (RFC 8767).
    r = Resolverd(tree.hints, "empty-zones = false\ndo-not-query-localhost = false\n"
                              "serve-stale = true\nmax-ttl = 2\nprefetch = false")
    try:
        first = r.query("stale.count.test.")
        assert addresses(first) == {"192.0.2.99"}
        assert ttl_of(first) <= 2
        time.sleep(2.5)
        tree.counter.silent = True
        try:
            before = tree.counter.count("stale.count.test.")
            again = r.query("stale.count.test.", timeout=15)
            assert tree.counter.count("stale.count.test.") > before  # it did try upstream
            assert again.rcode() == dns.rcode.NOERROR
            assert addresses(again) == {"192.0.2.99"}
            assert ttl_of(again) == 30
        finally:
            tree.counter.silent = False
    finally:
        r.stop()


def test_acl_refuses_outsiders(tree):
    r = Resolverd(tree.hints, "do-not-query-localhost = false", allow=["10.0.0.0/8"])
    try:
        resp = r.query("www.example.test.")
        assert resp.rcode() == dns.rcode.REFUSED
        assert not resp.flags & dns.flags.RA
    finally:
        r.stop()


def test_no_reachable_authority_is_servfail_with_ede_22_within_3_s(tree, tmp_path):
    # Every root server swallows queries (no network, a firewall): the
    # client hears SERVFAIL with EDE 22 before its own retry, not silence.
    hints = tmp_path / "dead.hints"
    hints.write_text(". 3600000 NS a.root-servers.test.\n"
                     f"a.root-servers.test. 3600000 A {tree.addr(9)}\n")
    r = Resolverd(str(hints), "do-not-query-localhost = false")
    try:
        t0 = time.time()
        resp = r.query("www.example.test.", timeout=10)
        took = time.time() - t0
        assert resp.rcode() == dns.rcode.SERVFAIL
        codes = [o.code for o in resp.options if o.otype == dns.edns.EDE]
        assert codes == [22], resp.options
        assert took < 3.0, took
        print(f"\nno reachable authority: SERVFAIL + EDE 22 after {took:.2f} s")
        # Without EDNS: SERVFAIL, no OPT (RFC 8914 3).
        q = dns.message.make_query("other.example.test.", "A", use_edns=False)
        resp = dns.query.udp(q, "127.0.0.1", port=r.port, timeout=10)
        assert resp.rcode() == dns.rcode.SERVFAIL and resp.edns < 0
    finally:
        r.stop()


def test_a_dead_zone_does_not_hold_up_other_questions(tree):
    # 200 questions under count.test while its server swallows them: each
    # waits on its own fiber (no thread held per question), so a question
    # elsewhere is resolved meanwhile (with 16 blocking resolution threads
    # it waited 1.7 s), and every stuck one still gets its SERVFAIL with
    # EDE 22 (once the server is known dead, at once).
    r = Resolverd(tree.hints, "empty-zones = false\ndo-not-query-localhost = false\nprefetch = false")
    socks = []
    try:
        assert r.query("warm.count.test.").rcode() == dns.rcode.NOERROR  # count.test's delegation cached
        tree.counter.silent = True
        t0 = time.time()
        for i in range(200):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.sendto(dns.message.make_query(f"dead{i}.count.test.", "A", use_edns=0).to_wire(),
                     ("127.0.0.1", r.port))
            socks.append(s)
        time.sleep(0.2)  # all 200 are resolving now
        other = r.query("www.example.test.", timeout=5)
        took = time.time() - t0 - 0.2
        assert other.rcode() == dns.rcode.NOERROR and addresses(other)
        assert took < 1.0, took
        servfails = 0
        for s in socks:
            s.settimeout(max(0.1, t0 + 6 - time.time()))
            resp = dns.message.from_wire(s.recv(4096))
            if resp.rcode() == dns.rcode.SERVFAIL and [o.code for o in resp.options if o.otype == dns.edns.EDE] == [22]:
                servfails += 1
        assert servfails == 200
        print(f"\nwith 200 questions stuck on a dead zone, another answered in {took:.3f} s; "
              f"all 200 SERVFAIL + EDE 22 after {time.time() - t0:.2f} s")
    finally:
        tree.counter.silent = False
        for s in socks:
            s.close()
        r.stop()


def test_defaults_empty_zones_and_no_localhost(tree):
    r = Resolverd(tree.hints)
    try:
        # RFC 6303: private reverse zones are answered locally.
        resp = r.query("1.0.168.192.in-addr.arpa.", "PTR")
        assert resp.rcode() == dns.rcode.NXDOMAIN
        assert resp.authority[0].rdtype == dns.rdatatype.SOA
        assert "nobody.invalid." in resp.authority[0].to_text()
        resp = r.query("80.2.0.192.in-addr.arpa.", "PTR")  # TEST-NET-1 is in the list too
        assert resp.rcode() == dns.rcode.NXDOMAIN
        # Every server of the hierarchy is on loopback: nothing may be asked.
        resp = r.query("www.example.test.")
        assert resp.rcode() == dns.rcode.SERVFAIL
    finally:
        r.stop()


QUESTIONS = [
    ("www.example.test.", "A"),
    ("alias.test.", "A"),
    ("x.y.z.example.test.", "A"),
    ("nope.example.test.", "A"),
    ("www.example.test.", "MX"),
    ("mail.example.test.", "MX"),
    ("80.2.0.192.in-addr.arpa.", "PTR"),
    ("5.2.0.192.in-addr.arpa.", "PTR"),
    ("9.2.0.192.in-addr.arpa.", "PTR"),
    ("big.example.test.", "TXT"),
]


@pytest.mark.skipif(not shutil.which("unbound"), reason="unbound not installed")
def test_same_answers_as_unbound(tree, resolver, tmp_path):
    port = free_port()
    proc = start_unbound(str(tmp_path / "unbound"), tree.hints, port)
    try:
        for name, rtype in QUESTIONS:
            q = dns.message.make_query(name, rtype, use_edns=0, payload=4096)
            ours = dns.query.tcp(q, "127.0.0.1", port=resolver.port, timeout=10)
            theirs = dns.query.tcp(q, "127.0.0.1", port=port, timeout=10)
            assert ours.rcode() == theirs.rcode(), (name, rtype)
            assert ({(r.name, r.rdtype, frozenset(x.to_text() for x in r)) for r in ours.answer} ==
                    {(r.name, r.rdtype, frozenset(x.to_text() for x in r)) for r in theirs.answer}), (name, rtype)
            assert ({r.rdtype for r in ours.authority if r.rdtype == dns.rdatatype.SOA} ==
                    {r.rdtype for r in theirs.authority if r.rdtype == dns.rdatatype.SOA}), (name, rtype)
    finally:
        proc.terminate()
        proc.wait(timeout=10)

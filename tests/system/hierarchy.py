"""A small DNS hierarchy on loopback for resolver tests and benchmarks (issue 6).

Every server sits on its own 127.53.B.x address on port 53 (iterative
resolvers ask port 53; B is chosen per run so parallel runs do not collide):

  .1   root (NSD)                         .                  a.root-servers.test
  .2   test. (NSD)                        ns1.test
  .3   test. -- nothing listens           ns2.test            (ICMP refused: failover)
  .9   test. -- swallows every query      ns3.test            (timeouts: failover)
  .4   arpa. (NSD)                        ns.arpa-servers.test (glueless in the root)
  .5   example.test. (Knot, else NSD)     ns.example.test     (big TXT: TCP fallback)
  .6   2.0.192.in-addr.arpa. (NSD)        ns.rev.test         (glueless in arpa.)
  .7   0/26.2.0.192.in-addr.arpa. (Knot, else NSD) ns.classless.test (RFC 2317)
  .8   spoof.test. (python forger)        ns.spoof.test
  .10  count.test. (python, counts queries) ns.count.test

Also usable as a script: `python3 hierarchy.py DIR [--healthy]` starts it and prints the
root hints path and the base address, for bench/resolver.sh.
"""
import os
import random
import shutil
import signal
import socket
import sys
import threading
import time

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conftest import start_knotd, start_nsd  # noqa: E402
from unbound_peer import run_unbound, unbound_conf  # noqa: E402


def pick_base():
    """A 127.53.B prefix whose .1-.10 addresses have port 53 free."""
    for _ in range(50):
        b = random.randint(1, 250)
        ok = True
        for i in (1, 2, 4, 5, 6, 7, 8, 9, 10):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                s.bind((f"127.53.{b}.{i}", 53))
            except OSError:
                ok = False
            finally:
                s.close()
        if ok:
            return f"127.53.{b}"
    raise RuntimeError("no free 127.53.x.0/24 block")


def zones(base, healthy=False):
    """Zone texts by server. `healthy`: test. lists only its working server
    (benchmarks want wall time without timeouts to dead servers)."""
    def a(i):
        return f"{base}.{i}"

    dead = "" if healthy else f"""test. 172800 NS ns2.test.
test. 172800 NS ns3.test.
ns2.test. 172800 A {a(3)}
ns3.test. 172800 A {a(9)}
"""
    dead_in_test = "" if healthy else f"""@ NS ns2
@ NS ns3
ns2 A {a(3)}
ns3 A {a(9)}
"""
    hosts = "\n".join(f"h{i} A 192.0.2.{i % 250 + 1}" for i in range(200))

    big = "\n".join(f'big 300 TXT "record {i:03d} padding padding padding padding padding"'
                    for i in range(40))
    return {
        "root": {".": f"""$ORIGIN .
$TTL 86400
@ SOA a.root-servers.test. hostmaster.test. 1 1800 900 604800 3600
@ 518400 NS a.root-servers.test.
a.root-servers.test. 518400 A {a(1)}
test. 172800 NS ns1.test.
ns1.test. 172800 A {a(2)}
{dead}arpa. 172800 NS ns.arpa-servers.test.
"""},
        "test": {"test.": f"""$ORIGIN test.
$TTL 3600
@ SOA ns1 hostmaster 1 1800 900 604800 300
@ NS ns1
ns1 A {a(2)}
{dead_in_test}a.root-servers A {a(1)}
ns.arpa-servers A {a(4)}
ns.rev A {a(6)}
ns.classless A {a(7)}
example NS ns.example
ns.example A {a(5)}
spoof NS ns.spoof
ns.spoof A {a(8)}
count NS ns.count
ns.count A {a(10)}
alias CNAME www.example.test.
"""},
        "example": {"example.test.": f"""$ORIGIN example.test.
$TTL 300
@ SOA ns hostmaster 1 1800 900 604800 60
@ NS ns
ns A {a(5)}
www A 192.0.2.80
victim A 192.0.2.81
five A 192.0.2.5
x.y.z A 192.0.2.82
mail MX 10 www
{big}
{hosts}
"""},
        "arpa": {"arpa.": f"""$ORIGIN arpa.
$TTL 3600
@ SOA ns.arpa-servers.test. hostmaster.test. 1 1800 900 604800 300
@ NS ns.arpa-servers.test.
2.0.192.in-addr NS ns.rev.test.
"""},
        "rev": {"2.0.192.in-addr.arpa.": """$ORIGIN 2.0.192.in-addr.arpa.
$TTL 3600
@ SOA ns.rev.test. hostmaster.test. 1 1800 900 604800 300
@ NS ns.rev.test.
80 PTR www.example.test.
5 CNAME 5.0/26
0/26 NS ns.classless.test.
"""},
        "classless": {"0/26.2.0.192.in-addr.arpa.": """$ORIGIN 0/26.2.0.192.in-addr.arpa.
$TTL 3600
@ SOA ns.classless.test. hostmaster.test. 1 1800 900 604800 300
@ NS ns.classless.test.
5 PTR five.example.test.
"""},
    }


class PyServer:
    """A UDP (and TCP-refusing) server on addr:53 whose replies come from
    `handler(query_msg, wire, src, sock)`; the handler sends what it wants."""

    def __init__(self, addr, handler):
        self.addr = addr
        self.handler = handler
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((addr, 53))
        self.sock.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while self.running:
            try:
                wire, src = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                q = dns.message.from_wire(wire)
            except Exception:
                continue
            try:
                self.handler(q, wire, src, self.sock)
            except Exception as e:  # a test server must not die on one query
                print(f"pyserver {self.addr}: {e}", file=sys.stderr)

    def stop(self):
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


def reply_to(q, aa=True):
    r = dns.message.make_response(q)
    r.flags &= ~dns.flags.RA
    if aa:
        r.flags |= dns.flags.AA
    return r


class CountingServer:
    """count.test.: every name has A 192.0.2.99 (TTL 60) except nx* (NXDOMAIN)
    and AAAA (NODATA); counts the queries it receives per (name, type)."""

    SOA = "count.test. 60 IN SOA ns.count.test. hostmaster.test. 1 1800 900 604800 60"

    SERVER_COOKIE = bytes(range(0x10, 0x20))   # what cookie_mode "answer" hands out
    REQUIRED_COOKIE = bytes(range(0x20, 0x30))  # the only one cookie_mode "require" accepts

    def __init__(self, addr):
        self.counts = {}
        self.silent = False  # True: count queries but answer nothing (a dead server)
        # DNS cookies (RFC 7873): None ignores them; "answer" returns the
        # client cookie with SERVER_COOKIE; "require" answers BADCOOKIE (with
        # REQUIRED_COOKIE) unless the query carries REQUIRED_COOKIE; "forge"
        # returns a client cookie that is not the one sent.
        self.cookie_mode = None
        self.cookies = []  # (qname, COOKIE option data or None) per query, in order
        self.lock = threading.Lock()
        self.server = PyServer(addr, self.handle)
        self.addr = addr

    def handle(self, q, wire, src, sock):
        qn = q.question[0].name
        qt = q.question[0].rdtype
        key = (qn.to_text().lower(), dns.rdatatype.to_text(qt))
        sent = next((o.data if hasattr(o, "data") else o.to_wire() for o in q.options
                     if o.otype == dns.edns.COOKIE), None)
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1
            self.cookies.append((key[0], sent))
        if self.silent:
            return
        r = reply_to(q)
        if self.cookie_mode and sent is not None:
            client = sent[:8]
            if self.cookie_mode == "forge":
                client = bytes(b ^ 0xFF for b in client)
            server = self.REQUIRED_COOKIE if self.cookie_mode == "require" else self.SERVER_COOKIE
            r.use_edns(0, options=[dns.edns.GenericOption(dns.edns.COOKIE, client + server)])
            if self.cookie_mode == "require" and sent[8:] != self.REQUIRED_COOKIE:
                r.set_rcode(dns.rcode.BADCOOKIE)
                sock.sendto(r.to_wire(), src)
                return
        origin = dns.name.from_text("count.test.")
        first = qn.relativize(origin).labels[0].decode().lower() if qn != origin else ""
        if first.startswith("nx"):
            r.set_rcode(dns.rcode.NXDOMAIN)
            r.authority.append(dns.rrset.from_text(*self.SOA.split(" ", 4)[:4], self.SOA.split(" ", 4)[4]))
        elif qt == dns.rdatatype.A:
            r.answer.append(dns.rrset.from_text(qn, 60, "IN", "A", "192.0.2.99"))
        elif qt == dns.rdatatype.NS and qn == origin:
            r.answer.append(dns.rrset.from_text(qn, 60, "IN", "NS", "ns.count.test."))
        elif qt == dns.rdatatype.SOA and qn == origin:
            r.answer.append(dns.rrset.from_text(*self.SOA.split(" ", 4)[:4], self.SOA.split(" ", 4)[4]))
        else:
            r.authority.append(dns.rrset.from_text(*self.SOA.split(" ", 4)[:4], self.SOA.split(" ", 4)[4]))
        sock.sendto(r.to_wire(), src)

    def count(self, name, rtype="A"):
        with self.lock:
            return self.counts.get((name.lower(), rtype), 0)

    def stop(self):
        self.server.stop()


class Forger:
    """spoof.test.: answers with forgeries.

    www.spoof.test    a reply with a wrong ID (forged A 6.6.6.6 for
                      victim.example.test) first, then the real reply, which
                      also carries out-of-bailiwick records for victim.example.test
    wrongid.spoof.test  only replies with a wrong ID
    wrongsrc.spoof.test only a reply with the right ID from another address
    """

    def __init__(self, addr, other_addr):
        self.addr = addr
        self.other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.other.bind((other_addr, 0))
        self.server = PyServer(addr, self.handle)

    def handle(self, q, wire, src, sock):
        qn = q.question[0].name.to_text().lower()
        r = reply_to(q)
        evil = dns.rrset.from_text("victim.example.test.", 3600, "IN", "A", "6.6.6.6")
        if q.question[0].rdtype == dns.rdatatype.A and qn != "spoof.test.":
            r.answer.append(dns.rrset.from_text(q.question[0].name, 300, "IN", "A", "192.0.2.8"))
        if qn in ("www.spoof.test.", "wrongid.spoof.test."):
            forged = dns.message.from_wire(r.to_wire())
            forged.id = (q.id + 1) % 65536
            forged.answer.append(evil)
            sock.sendto(forged.to_wire(), src)
            if qn == "wrongid.spoof.test.":
                return
            r.answer.append(evil)  # out of bailiwick for spoof.test
            r.additional.append(dns.rrset.from_text("victim.example.test.", 3600, "IN", "A", "6.6.6.7"))
            r.authority.append(dns.rrset.from_text("example.test.", 3600, "IN", "NS", "ns.spoof.test."))
            sock.sendto(r.to_wire(), src)
            return
        if qn == "wrongsrc.spoof.test.":
            r.answer.append(evil)
            self.other.sendto(r.to_wire(), src)
            return
        if q.question[0].rdtype != dns.rdatatype.A:
            r.authority.append(dns.rrset.from_text(
                "spoof.test.", 60, "IN", "SOA", "ns.spoof.test. h.test. 1 1800 900 604800 60"))
        sock.sendto(r.to_wire(), src)

    def stop(self):
        self.server.stop()
        self.other.close()


class Hierarchy:
    """The whole tree, started in `workdir`; stop() stops every server."""

    def __init__(self, workdir, healthy=False):
        self.workdir = workdir
        self.base = pick_base()
        self.servers = []
        self.py = []
        z = zones(self.base, healthy)
        try:
            # Two implementations serve the tree: Knot (when installed) the
            # delegated child with the big RRset and the RFC 2317 child, NSD the rest.
            knot = shutil.which("knotd") is not None
            for i, key in ((1, "root"), (2, "test"), (4, "arpa"), (5, "example"), (6, "rev"),
                           (7, "classless")):
                where = os.path.join(workdir, key)
                if knot and key in ("example", "classless"):
                    self.servers.append(start_knotd(where, zones=z[key], keys={}, port=53,
                                                    addr=self.addr(i)))
                else:
                    self.servers.append(start_nsd(where, zones=z[key], port=53, addr=self.addr(i)))
            self.blackhole = PyServer(self.addr(9), lambda *a: None)
            self.py.append(self.blackhole)
            self.forger = Forger(self.addr(8), self.addr(11))
            self.py.append(self.forger)
            self.counter = CountingServer(self.addr(10))
            self.py.append(self.counter)
        except Exception:
            self.stop()
            raise
        self.hints = os.path.join(workdir, "root.hints")
        with open(self.hints, "w") as f:
            f.write(f". 3600000 NS a.root-servers.test.\na.root-servers.test. 3600000 A {self.addr(1)}\n")

    def addr(self, i):
        return f"{self.base}.{i}"

    def stop(self):
        for s in self.servers:
            s.stop()
        for p in self.py:
            p.stop()
        self.servers = []
        self.py = []


def start_unbound(workdir, hints, port, addr="127.0.0.1", threads=1, extra=""):
    """Unbound as a reference resolver on addr:port iterating the test
    hierarchy: the RFC 6303/6761 local zones that cover the test names
    turned off, no validation. `extra`: more server lines, indented."""
    lines = [f'root-hints: "{hints}"', 'module-config: "iterator"', 'local-zone: "2.0.192.in-addr.arpa." nodefault',
             "qname-minimisation: yes", "harden-referral-path: no", "prefetch: no", "ratelimit: 0",
             "ip-ratelimit: 0"]
    text = unbound_conf(workdir, port, addr=addr, threads=threads, lines=lines)
    text = text.replace("remote-control:", extra + "remote-control:")
    return run_unbound(workdir, text, port, ("a.root-servers.test.", "A"), addr=addr)


if __name__ == "__main__":
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    h = Hierarchy(d, healthy="--healthy" in sys.argv)
    print(f"HINTS={h.hints}")
    print(f"BASE={h.base}", flush=True)

    def bye(*_):
        h.stop()
        sys.exit(0)
    signal.signal(signal.SIGTERM, bye)
    signal.signal(signal.SIGINT, bye)
    while True:
        time.sleep(1)

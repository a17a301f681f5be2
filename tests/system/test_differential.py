"""Differential test of namaed's answers against NSD and Knot (issue 3, "Tests that count").

The zones in tests/data/diff/ are served by namaed, NSD and knotd, each on its own
loopback port. About 2,300 queries (every owner name and empty non-terminal x
several types, names that do not exist, names outside the served zones, mixed-case
qnames, large RRsets), built and parsed with dnspython, are sent to all three over
UDP and TCP, with and without EDNS, with various header flags. Each answer is
reduced to: rcode, flags (QR AA TC RD RA AD CD), the question as sent back
(letter case included), the letter case of the answer's owner names that equal
the qname, each section as a set of RRsets (TTL included, order within an RRset
aside) and the OPT record.

namaed must equal NSD or Knot on every query. Where NSD and Knot differ from each
other that is logged by test_summary (mostly: Knot leaves the zone's NS out of
positive answers, does not follow CNAME/DNAME into another zone it serves, and
sets TC when glue does not fit; NSD 4.6 does not). Where namaed differs from
both and the RFCs allow it, the case is listed in ALLOWED_DIFFERENCES with the
reason; any other difference fails with the query and the answers.

Cases covered (issue 3 "Answers"), by the names in tests/data/diff/:
  apex data (SOA NS MX TXT AAAA) and in-zone NS addresses; referrals with
  in-bailiwick glue (child), sibling glue (child -> ns.sibling), out-of-zone NS
  (outside), all three (mixed); data occluded below a cut (deep.child; NSD
  refuses to load data below a DNAME, so that case is not here); DS at a cut; a
  child zone served by the same server (sub); CNAME chains in the zone (c1),
  across served zones (cx, cxback, second.test's chain, cxsub into the served
  child, cxwild into a wildcard), out of zone (cext), into a delegation (cdel),
  to NXDOMAIN/NODATA (cnx, cnodata), loops (loop1, self); DNAME to a served
  zone, in zone and out of zone (dn, dnin, dnext, dnwild, cdn); wildcards (the
  RFC 4592 2.2.1 zone, *.wc with empty non-terminals, wildcard CNAMEs *.wcname
  / *.wcnx / *.wcchain, wildcard NODATA); NXDOMAIN/NODATA with negative TTL =
  min(SOA TTL, minimum) (diff.test, second.test, neg.test); MX/SRV/NS target
  addresses in additional; ANY (RFC 8482); REFUSED outside served zones;
  in-addr.arpa, ip6.arpa and RFC 2317 classless delegation (served and not
  served child); 0x20 letter case; RRsets that truncate at 512 octets, fit only
  with EDNS, or whose additional data does not fit (addfull); a referral whose
  glue does not fit (bigdeleg, RFC 9471); EDNS payload sizes 512/1232/4096, DO,
  and no EDNS.
"""
import os
import random
import shutil
import socket
import struct
import subprocess
import tempfile
from dataclasses import dataclass, field

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.zone
import pytest

from conftest import REPO, Peer, free_port, namae_bin, start_knotd, start_nsd

DATA = os.path.join(REPO, "tests", "data", "diff")

# (zone origin, file in tests/data/diff)
ZONES = [
    ("diff.test", "diff.test.zone"),
    ("second.test", "second.test.zone"),
    ("sub.diff.test", "sub.diff.test.zone"),
    ("neg.test", "neg.test.zone"),
    ("example", "example.zone"),
    ("2.0.192.in-addr.arpa", "2.0.192.in-addr.arpa.zone"),
    ("64/26.2.0.192.in-addr.arpa", "64-26.2.0.192.in-addr.arpa.zone"),
    ("8.b.d.0.1.0.0.2.ip6.arpa", "8.b.d.0.1.0.0.2.ip6.arpa.zone"),
]

BASE_TYPES = ["A", "AAAA", "MX", "TXT", "NS", "SOA", "CNAME", "DS", "ANY"]

# Names that exist in no zone but lie inside one, beside the names read from the
# zone files: NXDOMAIN, below a leaf, below a cut, below a wildcard's ENT, ...
EXTRA_NAMES = [
    "nothere.diff.test", "a.b.nothere.diff.test", "x.www.diff.test", "x.loop1.diff.test",
    "host.child.diff.test", "a.b.deep.child.diff.test", "x.ns.sibling.diff.test",
    "host.outside.diff.test", "x.sub.diff.test", "zz.zz.second.test", "nothere.neg.test",
    "foo.wc.diff.test", "a.b.wc.diff.test", "x.ent.wc.diff.test", "x.a.ent.wc.diff.test",
    "foo.wcname.diff.test", "foo.wcnx.diff.test", "foo.wcchain.diff.test",
    "x.ent.diff.test", "x.y.z.ent.diff.test", "q.y.ent.diff.test",
    "www.dn.diff.test", "x.dn.diff.test", "nothere.dn.diff.test", "a.b.x.dn.diff.test",
    "foo.dnin.diff.test", "real.dnin.diff.test", "a.ent.dnin.diff.test",
    "www.dnext.diff.test", "www.dnwild.diff.test", "host1.dnwild.diff.test",
    # RFC 4592 2.2.1 queries
    "host3.example", "foo.bar.example", "ghost.*.example", "_telnet._tcp.host1.example",
    "host.subdel.example", "sub.*.example", "_tcp.host1.example", "_ssh._tcp.host3.example",
    "foo.sub.*.example",
    # reverse
    "3.2.0.192.in-addr.arpa", "67.64/26.2.0.192.in-addr.arpa", "129.128/26.2.0.192.in-addr.arpa",
    "9.9.8.b.d.0.1.0.0.2.ip6.arpa",
    "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
]

# Outside every served zone (REFUSED), including parents of served zones.
REFUSED_NAMES = ["example.org", "test", "com", "diff.test.example.org", "in-addr.arpa",
                 "3.0.192.in-addr.arpa", "ip6.arpa", "0.1.0.0.2.ip6.arpa", "."]

# Names whose RRsets are big: every transport variant is sent for them.
SIZE_NAMES = ["big.diff.test", "medium.diff.test", "manyaddr.diff.test", "diff.test",
              "addfull.diff.test", "host.bigdeleg.diff.test"]


@dataclass(frozen=True)
class Variant:
    """How a query is sent."""

    name: str
    tcp: bool = False
    edns: int = -1          # payload size, -1: no EDNS
    do: bool = False
    rd: bool = True
    cd: bool = False
    ad: bool = False


VARIANTS = [
    Variant("udp", edns=-1, rd=True),
    Variant("udp-edns1232", edns=1232, rd=False),
    Variant("udp-edns4096-do", edns=4096, do=True),
    Variant("tcp-edns1232", tcp=True, edns=1232, rd=False),
    Variant("udp-edns512-cd", edns=512, rd=False, cd=True),
    Variant("tcp", tcp=True, ad=True),
]


@dataclass(frozen=True)
class Query:
    qname: str
    qtype: str
    variant: Variant

    @property
    def id(self):
        return f"{self.variant.name}:{self.qname}/{self.qtype}"

    def message(self):
        v = self.variant
        q = dns.message.make_query(dns.name.from_text(self.qname), self.qtype,
                                   use_edns=(0 if v.edns >= 0 else None),
                                   payload=max(v.edns, 512), want_dnssec=v.do)
        q.flags = dns.flags.Flag(0)
        if v.rd:
            q.flags |= dns.flags.RD
        if v.cd:
            q.flags |= dns.flags.CD
        if v.ad:
            q.flags |= dns.flags.AD
        return q


def owner_names(text, origin):
    """Sorted owner names of zone `text`, empty non-terminals included, lower case."""
    z = dns.zone.from_text(text, origin=origin, relativize=False, check_origin=False)
    o = dns.name.from_text(origin)
    names = set()
    for n in z.nodes:
        while n != o and n.is_subdomain(o):
            names.add(n)
            n = n.parent()
    names.add(o)
    return sorted(n.to_text(omit_final_dot=True).lower() for n in names)


def _zone_names():
    """{origin: sorted owner names incl. empty non-terminals}, all lower case."""
    out = {}
    for origin, path in ZONES:
        with open(os.path.join(DATA, path)) as f:
            out[origin] = owner_names(f.read(), origin)
    return out


def _extra_types(name):
    first = name.split(".")[0]
    types = []
    if first.startswith("_") or "._" in name:
        types.append("SRV")
    if name.endswith(".arpa"):
        types.append("PTR")
    if first in ("dn", "dnin", "dnext", "dnwild"):
        types.append("DNAME")
    if first == "hinfo":
        types.append("HINFO")
    return types


def _mix_case(name, rng):
    return "".join(c.upper() if c.isalpha() and rng.random() < 0.5 else c for c in name)


def build_queries():
    rng = random.Random(20261124)  # fixed: the same queries (and ids) every run
    queries = []
    names = _zone_names()
    all_names = list(dict.fromkeys([n for origin, _ in ZONES for n in names[origin]]
                                   + EXTRA_NAMES))
    i = 0
    for name in all_names:
        for qtype in BASE_TYPES + _extra_types(name):
            queries.append(Query(name, qtype, VARIANTS[i % len(VARIANTS)]))
            i += 1
        # 0x20: the same name in mixed case; the answer echoes it.
        mixed = _mix_case(name, rng)
        if mixed == name:
            mixed = name.upper()
        queries.append(Query(mixed, "A", VARIANTS[i % len(VARIANTS)]))
        queries.append(Query(mixed, "MX", VARIANTS[(i + 3) % len(VARIANTS)]))
        i += 1
    for name in REFUSED_NAMES:
        for qtype in ("A", "SOA", "NS"):
            queries.append(Query(name, qtype, VARIANTS[i % len(VARIANTS)]))
            i += 1
    for name in SIZE_NAMES:
        for qtype in ("TXT", "A", "ANY", "MX", "NS"):
            for v in VARIANTS:
                q = Query(name, qtype, v)
                if q not in queries:
                    queries.append(q)
    return queries


QUERIES = build_queries()

# Queries on which namaed is known to be wrong (a bug, named in the reason).
# strict=True: when the bug is fixed the xfail turns into a failure, to be removed here.
XFAIL = {
}


# --- allowed differences -----------------------------------------------------
# A difference between namaed and a peer is allowed when every differing field is
# explained by an entry here, judged against that same peer. Each entry is
# (name, fields, predicate(query, namaed, peer) -> bool, reason); namaed and peer
# are the canonical answers (see canon()).

def _cd_copied(query, nam, peer):
    return query.variant.cd and nam["flags"].split() == peer["flags"].split() + ["CD"]


def _ede_only(query, nam, peer):
    # Same EDNS except for an Extended DNS Error option the peer adds.
    return (nam["rcode"] == "REFUSED" and nam["edns"] is not None and peer["edns"] is not None
            and nam["edns"].split(" options=")[0] == peer["edns"].split(" options=")[0]
            and nam["edns"].endswith("options=[]") and "EDE" in peer["edns"])


def _any_other_rrset(query, nam, peer):
    # The same answer but for one RRset of the queried name: a different pick.
    if query.qtype != "ANY":
        return False
    only_n, only_p = nam["answer"] - peer["answer"], peer["answer"] - nam["answer"]
    extra = nam["additional"] ^ peer["additional"]
    return (len(only_n) == 1 and len(only_p) == 1
            and next(iter(only_n)).split()[0] == next(iter(only_p)).split()[0]
            and all(r.split()[3] in ("A", "AAAA") for r in extra))


def _udp_limit(query):
    # What every server here uses: 512 without EDNS, else the client's size
    # capped at 1232 (namaed, NSD and Knot defaults), never below 512.
    v = query.variant
    if v.tcp:
        return 65535
    return 512 if v.edns < 0 else max(512, min(v.edns, 1232))


def _additional_trimmed(query, nam, peer):
    # Both answers are full to within one address pair (A 16 + AAAA 28 octets
    # plus owner pointers) and differ only in which addresses made it in.
    room = _udp_limit(query) - 64
    diff = nam["additional"] ^ peer["additional"]
    return (nam["size"] > room and peer["size"] > room
            and all(r.split()[3] in ("A", "AAAA") for r in diff))


ALLOWED_DIFFERENCES = [
    ("cd-copied", {"flags"}, _cd_copied,
     "RFC 4035 3.1.6: a security-aware server MUST copy CD from the query to the response; "
     "namaed and BIND 9.18 do, NSD 4.6 and Knot 3.2 clear it."),
    ("no-ede-on-refused", {"edns"}, _ede_only,
     "NSD and Knot add an Extended DNS Error option (RFC 8914, optional: MAY) to REFUSED; "
     "namaed (like BIND 9.18) sends none."),
    ("any-pick", {"answer", "additional"}, _any_other_rrset,
     "RFC 8482 4.1: ANY may be answered with any one RRset of the name; namaed picks the first in "
     "zone-file order, NSD and Knot the lowest type (and the additional data then differs)."),
    ("additional-trimmed", {"additional"}, _additional_trimmed,
     "Addresses that do not fit are left out of additional (RFC 2181 9; with TC=1 for in-domain "
     "glue, RFC 9471); which ones is the server's choice: namaed keeps each name's A and AAAA "
     "together, NSD puts all A before any AAAA, Knot fills RRset by RRset."),
]


# --- servers -------------------------------------------------------------------

def _zone_texts():
    out = {}
    for origin, path in ZONES:
        with open(os.path.join(DATA, path)) as f:
            out[origin] = f.read()
    return out


def start_namaed(workdir):
    """namaed serving ZONES on 127.0.0.1:<port>, one UDP worker, /metrics off."""
    port = free_port()
    zones = []
    for origin, path in ZONES:
        shutil.copy(os.path.join(DATA, path), os.path.join(workdir, path))
        zones.append(f'[[zone]]\nname = "{origin}"\nfile = "{path}"\n')
    config = os.path.join(workdir, "namaed.toml")
    with open(config, "w") as f:
        f.write(f'[server]\nlisten = ["127.0.0.1:{port}"]\nworkers = 1\n'
                f'control = "ctl.sock"\n\n' + "\n".join(zones) + '\n[http]\nlisten = ""\n')
    log_path = os.path.join(workdir, "namaed.log")
    log = open(log_path, "w")
    proc = subprocess.Popen([namae_bin("namaed"), "--config", config, "--foreground"],
                            stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    log.close()
    peer = Peer("namaed", "127.0.0.1", port, workdir, proc, log_path, {}, {})
    peer.wait_ready(ZONES[0][0])
    return peer


def start_peers(base, texts, started):
    """NSD and knotd (those installed) serving `texts` ({origin: zone text})
    in base/nsd and base/knotd, appended to `started`; skips the test when
    neither is installed. Every server in `started` must then answer for
    every zone: a zone one peer refused to load would otherwise let namaed
    "match" the other peer unnoticed."""
    peers = []
    for starter, sub in ((start_nsd, "nsd"), (start_knotd, "knotd")):
        try:
            p = starter(os.path.join(base, sub), zones=texts)
        except pytest.skip.Exception:
            continue
        started.append(p)
        peers.append(p)
    if not peers:
        pytest.skip("neither nsd nor knotd is installed")
    for server in started:
        for origin in texts:
            r = ask(server, Query(origin, "SOA", VARIANTS[1]))
            assert not isinstance(r, str) and r[0].answer and r[0].flags & dns.flags.AA, \
                f"{server.kind} does not serve {origin}:\n{server.log()[-3000:]}"
    return peers


@pytest.fixture(scope="module")
def servers():
    """(namaed, [peers]) serving ZONES; stopped at the end of the module."""
    base = tempfile.mkdtemp(prefix="ndiff-")  # short: namaed's control socket path is limited
    started = []
    try:
        os.makedirs(os.path.join(base, "namaed"))
        started.append(start_namaed(os.path.join(base, "namaed")))
        peers = start_peers(base, _zone_texts(), started)
        yield started[0], peers
    finally:
        for p in started:
            p.stop()
        shutil.rmtree(base, ignore_errors=True)


def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    return buf


def ask(server, query, retries=2):
    """Send `query` (a Query) to `server`; (response, its length in octets) or
    an error text. Plain sockets: the answer's wire size is compared too."""
    msg = query.message()
    wire = msg.to_wire()
    for attempt in range(retries + 1):
        try:
            if query.variant.tcp:
                with socket.create_connection((server.addr, server.port), timeout=2) as s:
                    s.sendall(struct.pack("!H", len(wire)) + wire)
                    (n,) = struct.unpack("!H", _recv_exact(s, 2))
                    data = _recv_exact(s, n)
            else:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                    s.settimeout(2)
                    s.sendto(wire, (server.addr, server.port))
                    while True:
                        data, _ = s.recvfrom(65535)
                        if data[:2] == wire[:2]:
                            break
            return dns.message.from_wire(data), len(data)
        except socket.timeout:
            if attempt == retries:
                return "timeout"
        except Exception as e:  # malformed answer, connection reset...
            return f"error: {type(e).__name__}: {e}"


# --- canonical form ------------------------------------------------------------

STRING_TYPES = {dns.rdatatype.TXT, dns.rdatatype.HINFO, dns.rdatatype.CAA, dns.rdatatype.NAPTR}
FLAG_NAMES = ["QR", "AA", "TC", "RD", "RA", "AD", "CD"]
FIELDS = ["rcode", "flags", "question", "owner_case", "answer", "authority", "additional", "edns"]


def _rrset_text(rrset):
    # Names compare without case (RFC 4343: compression may take a suffix's case
    # from anywhere in the message); strings keep theirs.
    rds = []
    for rd in rrset:
        t = rd.to_text()
        rds.append(t if rd.rdtype in STRING_TYPES else t.lower())
    return (f"{rrset.name.to_text().lower()} {rrset.ttl} {dns.rdataclass.to_text(rrset.rdclass)} "
            f"{dns.rdatatype.to_text(rrset.rdtype)} " + " | ".join(sorted(rds)))


def canon(resp, query):
    """The parts of a response that are compared."""
    if isinstance(resp, str):
        return {f: resp for f in FIELDS} | {"size": 0}
    resp, size = resp
    qname = query.qname.lower().rstrip(".") + "."
    return {
        "rcode": dns.rcode.to_text(resp.rcode()),
        "flags": " ".join(f for f in FLAG_NAMES if resp.flags & getattr(dns.flags, f)),
        "question": " ".join(q.to_text() for q in resp.question),
        "owner_case": " ".join(sorted({r.name.to_text() for r in resp.answer
                                       if r.name.to_text().lower() == qname})),
        "answer": frozenset(_rrset_text(r) for r in resp.answer),
        "authority": frozenset(_rrset_text(r) for r in resp.authority),
        "additional": frozenset(_rrset_text(r) for r in resp.additional),
        "edns": None if resp.edns < 0 else
        f"v{resp.edns} payload={resp.payload} do={int(bool(resp.ednsflags & dns.flags.DO))} "
        f"options={sorted(o.otype for o in resp.options)}",
        "size": size,  # not compared; for ALLOWED_DIFFERENCES
    }


def differing(a, b):
    return [f for f in FIELDS if a[f] != b[f]]


def allowed_by(query, fields, nam, peer, allowed=None):
    """Names of the `allowed` (default ALLOWED_DIFFERENCES) entries explaining
    all `fields`, or None."""
    allowed = ALLOWED_DIFFERENCES if allowed is None else allowed
    names = []
    for f in fields:
        hit = [n for n, fs, pred, _ in allowed if f in fs and pred(query, nam, peer)]
        if not hit:
            return None
        names.append(hit[0])
    return names


def show(c):
    lines = []
    for f in FIELDS:
        v = c[f]
        if isinstance(v, frozenset):
            lines.append(f"  {f}:")
            lines += [f"    {x}" for x in sorted(v)] or ["    (empty)"]
        else:
            lines.append(f"  {f}: {v}")
    return "\n".join(lines)


def diff_text(query, nam, peers):
    out = [f"query {query.qname} {query.qtype} over {query.variant}"]
    for kind, c in peers.items():
        fields = differing(nam, c)
        out.append(f"--- {kind} (differs in {', '.join(fields)}):")
        for f in fields:
            if isinstance(c[f], frozenset):
                out.append(f"  {f}: only {kind}: {sorted(c[f] - nam[f])}")
                out.append(f"  {f}: only namaed: {sorted(nam[f] - c[f])}")
            else:
                out.append(f"  {f}: {kind}={c[f]!r} namaed={nam[f]!r}")
    out.append("--- namaed answer:")
    out.append(show(nam))
    return "\n".join(out)


@dataclass
class Outcome:
    query: Query
    namaed: dict
    peers: dict                 # kind -> canon
    verdict: str = ""           # "same", "allowed", "differs"
    detail: str = ""
    peers_disagree: list = field(default_factory=list)


def judge_all(queries, namaed, peers, allowed=None):
    """Every query sent to namaed and every peer, judged once against
    `allowed` (default ALLOWED_DIFFERENCES): {query id: Outcome}."""
    out = {}
    for q in queries:
        nam = canon(ask(namaed, q), q)
        pc = {p.kind: canon(ask(p, q), q) for p in peers}
        o = Outcome(q, nam, pc)
        kinds = list(pc)
        if len(kinds) == 2:
            o.peers_disagree = differing(pc[kinds[0]], pc[kinds[1]])
        if any(not differing(nam, c) for c in pc.values()):
            o.verdict = "same"
        else:
            for kind, c in pc.items():
                why = allowed_by(q, differing(nam, c), nam, c, allowed)
                if why is not None:
                    o.verdict, o.detail = "allowed", f"vs {kind}: {', '.join(sorted(set(why)))}"
                    break
            else:
                o.verdict, o.detail = "differs", diff_text(q, nam, pc)
        out[q.id] = o
    return out


@pytest.fixture(scope="module")
def outcomes(servers):
    """Every query of QUERIES sent to every server, judged once: {query id: Outcome}."""
    namaed, peers = servers
    return judge_all(QUERIES, namaed, peers)


def _params():
    ids = [q.id for q in QUERIES]
    assert len(ids) == len(set(ids)), "duplicate query ids"
    unknown = set(XFAIL) - set(ids)
    assert not unknown, f"XFAIL names unknown queries: {unknown}"
    return [pytest.param(q, id=q.id, marks=[pytest.mark.xfail(strict=True, reason=XFAIL[q.id])]
                         if q.id in XFAIL else []) for q in QUERIES]


@pytest.mark.parametrize("query", _params())
def test_same_answer(outcomes, query):
    o = outcomes[query.id]
    assert o.verdict != "differs", "namaed differs from every peer:\n" + o.detail


def _matches(o):
    """Peers namaed matches, exactly or through ALLOWED_DIFFERENCES."""
    out = []
    for kind, c in o.peers.items():
        fields = differing(o.namaed, c)
        if not fields:
            out.append(kind)
        elif allowed_by(o.query, fields, o.namaed, c) is not None:
            out.append(f"{kind} (allowed: {', '.join(sorted(set(allowed_by(o.query, fields, o.namaed, c))))})")
    return out


def test_summary(outcomes, servers, capsys):
    """Counts, NSD/Knot disagreements and allowed differences (printed), and a
    check that the queries really reached every case (so this test cannot pass
    on answers that are all alike, e.g. all REFUSED)."""
    total = len(outcomes)
    verdicts = {}
    for o in outcomes.values():
        verdicts[o.verdict] = verdicts.get(o.verdict, 0) + 1
    lines = [f"queries compared: {total}, each with namaed and "
             f"{', '.join(p.kind for p in servers[1])}; verdicts: {verdicts}"]
    used = {}
    for o in outcomes.values():
        if o.verdict == "allowed":
            for n in o.detail.split(": ", 1)[1].split(", "):
                used[n] = used.get(n, 0) + 1
    lines.append(f"allowed differences by entry: {used}")
    disagree = [o for o in outcomes.values() if o.peers_disagree]
    lines.append(f"NSD and Knot disagree on {len(disagree)} queries:")
    for o in disagree:
        lines.append(f"  {o.query.id}: {', '.join(o.peers_disagree)}; namaed matches "
                     f"{'; '.join(_matches(o)) or 'neither'}")
    report = "\n".join(lines)
    with capsys.disabled():
        print("\n" + report)

    assert total >= 300
    nam = [o.namaed for o in outcomes.values()]
    rcodes = {c["rcode"] for c in nam}
    assert {"NOERROR", "NXDOMAIN", "REFUSED"} <= rcodes, rcodes

    def count(pred):
        return sum(1 for o in outcomes.values() if pred(o.query, o.namaed))

    def types(section):
        return {r.split()[3] for r in section}

    # Truncation happened over UDP (with and without EDNS), never over TCP.
    assert count(lambda q, c: "TC" in c["flags"].split() and q.variant.edns < 0) > 0
    assert count(lambda q, c: "TC" in c["flags"].split() and q.variant.edns > 512) > 0
    assert count(lambda q, c: "TC" in c["flags"].split() and q.variant.tcp) == 0
    # Referrals (AA=0, NS in authority, glue), DNAME, wildcard synthesis, CNAME chains.
    assert count(lambda q, c: c["rcode"] == "NOERROR" and "AA" not in c["flags"].split()
                 and not c["answer"] and "NS" in types(c["authority"]) and c["additional"]) > 10
    assert count(lambda q, c: "DNAME" in types(c["answer"]) and "CNAME" in types(c["answer"])) > 10
    assert count(lambda q, c: q.qname.startswith("host3.example") and c["answer"]) > 0
    assert count(lambda q, c: sum(1 for r in c["answer"] if r.split()[3] == "CNAME") >= 3) > 0
    # NODATA and NXDOMAIN carry the SOA with the negative TTL (min of SOA TTL and minimum).
    neg = [c for o in outcomes.values() for c in [o.namaed]
           if o.query.qname == "nothere.neg.test" and c["rcode"] == "NXDOMAIN"]
    assert neg and all(next(iter(c["authority"])).split()[1] == "60" for c in neg)
    # Mixed-case questions were echoed as sent.
    assert count(lambda q, c: q.qname != q.qname.lower() and c["owner_case"]
                 and q.qname.rstrip(".") + "." in c["owner_case"].split()) > 20

"""Differential test of DO=1 answers from pre-signed zones (issue 14): namaed
against NSD and Knot, the same signed files (dnssec_zones.py: sec.test with
NSEC, sec3.test with NSEC3 opt-out, their signed and unsigned children and
other.test) served by all three.

Several hundred queries with DO=1 (every owner name and empty non-terminal x
the types it has and some it has not, names that do not exist, wildcard
expansions and wildcard NODATA, names below delegations, DS at the cuts, RRSIG
and NSEC queries; UDP with 1232 and 512 octets, TCP) are compared the way
test_differential.py compares unsigned answers: rcode, flags, question, the
sections as sets of RRsets (RRSIGs included), EDNS. namaed must equal NSD or
Knot on every query (or differ from one by an entry of test_differential's
ALLOWED_DIFFERENCES); test_summary prints where NSD and Knot disagree.
"""
import os
import shutil
import tempfile

import pytest

from dnssec_zones import OTHER, parent_text, sign, signed_tree
import test_differential
from test_differential import Query, Variant, judge_all, owner_names, start_peers
from test_dnssec_serve import PARENTS, start_namaed

VARIANTS = [
    Variant("udp-do", edns=1232, do=True, rd=False),
    Variant("tcp-do", tcp=True, edns=1232, do=True, rd=False),
    Variant("udp512-do", edns=512, do=True, rd=False),
]

TYPES = ["A", "AAAA", "MX", "TXT", "NS", "SOA", "DS", "DNSKEY", "NSEC", "RRSIG", "CNAME"]


def _names(origin):
    out = owner_names(parent_text(origin), origin)
    out += [f"{x}.{origin}" for x in ("nothere", "a.nothere", "x.wild", "x.y.wild", "q.wild2",
                                      "host.far", "host.away", "host.child", "www.dn", "zz.dn",
                                      "zz", "b", "ent0", "www0", "!", "~")]
    return out


def build_queries():
    queries = []
    i = 0
    for origin in PARENTS:
        for name in _names(origin):
            for qtype in TYPES:
                queries.append(Query(name, qtype, VARIANTS[0 if i % 4 else 1]))
                i += 1
        for name in (f"big.{origin}", f"www.{origin}", f"nothere.{origin}", f"x.wild.{origin}"):
            queries.append(Query(name, "TXT", VARIANTS[2]))
    for name in ("www.other.test", "nothere.other.test", "other.test"):
        for qtype in ("A", "TXT", "DNSKEY"):
            queries.append(Query(name, qtype, VARIANTS[0]))
    return queries


QUERIES = build_queries()


def _proof_types(section):
    return {r.split()[3] for r in section} <= {"NSEC", "NSEC3", "RRSIG"}


def _chain_target_proof(query, nam, peer):
    # After a DNAME/CNAME into another served zone the target name does not
    # exist: namaed proves it with the NSEC covering the target and the one
    # covering the wildcard (RFC 4035 3.1.3.2; Unbound validates it, see
    # test_dnssec_serve's zz.dn case); NSD 4.6 sends only the second.
    return (nam["rcode"] == peer["rcode"] == "NXDOMAIN" and nam["answer"] == peer["answer"]
            and peer["authority"] < nam["authority"]
            and _proof_types(nam["authority"] - peer["authority"]))


def _both_truncated(query, nam, peer):
    # A negative answer whose SOA and proofs do not fit: all set TC=1 and the
    # client retries over TCP; which whole RRsets came before the cut is each
    # server's order (namaed: SOA then proofs; NSD: proofs then SOA; Knot
    # even an NSEC3 without its RRSIG).
    return ("TC" in nam["flags"].split() and "TC" in peer["flags"].split()
            and nam["rcode"] == peer["rcode"] and nam["answer"] == peer["answer"])


ALLOWED_DIFFERENCES = test_differential.ALLOWED_DIFFERENCES + [
    ("chain-target-nxdomain-proof", {"authority"}, _chain_target_proof,
     "NXDOMAIN at the end of a DNAME/CNAME into another zone: namaed adds the NSEC covering "
     "the target name, which NSD leaves out (RFC 4035 3.1.3.2 requires it)."),
    ("truncated-negative", {"authority", "additional"}, _both_truncated,
     "A negative answer truncated over UDP: which proofs fit before TC=1 is the server's order."),
]


@pytest.fixture(scope="module")
def servers():
    base = tempfile.mkdtemp(prefix="ndsdiff-")  # short: the control socket path is limited
    started = []
    try:
        files = {}
        for parent, mode in PARENTS.items():
            files.update(signed_tree(base, parent, mode)[0])
        files["other.test"] = sign(base, "other.test", OTHER)[0]
        texts = {}
        for origin, path in files.items():
            with open(path) as f:
                texts[origin] = f.read()
        os.makedirs(os.path.join(base, "namaed"))
        started.append(start_namaed(os.path.join(base, "namaed"), files))
        peers = start_peers(base, texts, started)
        yield started[0], peers
    finally:
        for p in started:
            p.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def outcomes(servers):
    namaed, peers = servers
    return judge_all(QUERIES, namaed, peers, ALLOWED_DIFFERENCES)


@pytest.mark.parametrize("query", QUERIES, ids=[q.id for q in QUERIES])
def test_same_answer(outcomes, query):
    o = outcomes[query.id]
    assert o.verdict != "differs", "namaed differs from every peer:\n" + o.detail


def test_summary(outcomes, capsys):
    verdicts = {}
    for o in outcomes.values():
        verdicts[o.verdict] = verdicts.get(o.verdict, 0) + 1
    lines = [f"DO=1 queries compared: {len(outcomes)}; verdicts: {verdicts}"]
    lines += [f"  allowed {o.query.id}: {o.detail}" for o in outcomes.values() if o.verdict == "allowed"]
    disagree = [o for o in outcomes.values() if o.peers_disagree]
    lines.append(f"NSD and Knot disagree on {len(disagree)} queries:")
    lines += [f"  {o.query.id}: {', '.join(o.peers_disagree)}" for o in disagree]
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert len(outcomes) >= 300
    nam = [o.namaed for o in outcomes.values()]
    types = {r.split()[3] for c in nam for s in ("answer", "authority") for r in c[s]}
    assert {"RRSIG", "NSEC", "NSEC3", "DS"} <= types, types
    assert {"NOERROR", "NXDOMAIN"} <= {c["rcode"] for c in nam}

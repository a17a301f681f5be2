"""namaed's validating resolver against Unbound on one signed hierarchy (issue 15).

The hierarchy (signed_tree.py): a root, a TLD and leaf zones on
127.53.B.1-3:53, served by NSD, signed by ldns-signzone with keys from dnssec-keygen: ECDSA P-256 with NSEC, RSA/SHA-256
with NSEC3, Ed25519, an NSEC3 opt-out zone with an unsigned child left out of
its chain, an unsigned delegation, and the broken cases: expired and not yet
valid signatures, a DS that matches no key, a DS naming the wrong algorithm,
a missing RRSIG, an NSEC chain with a hole (the NXDOMAIN proof does not cover
the name) and an NSEC3 chain of 200 iterations (RFC 9276). namaed and an
Unbound started here with the same trust anchor (the root's DS) are asked the
same questions with DO=1; rcode, AD and the EDE codes must agree, and each
case must give what it is built to give.
"""
import base64
import os
import shutil
import subprocess

import dns.dnssec
import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import free_port, namae_bin, start_nsd
from signed_tree import SIGNED, TLD, SignedTree
from test_resolver import Resolverd
from unbound_peer import run_unbound, start_validating_unbound, unbound_conf

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(t) for t in ("nsd", "unbound", "ldns-signzone", "dnssec-keygen")),
    reason="needs root (port 53 on 127.53.x.x), nsd, unbound, ldns-signzone and dnssec-keygen")

def start_unbound(workdir, tree):
    return start_validating_unbound(workdir, ("test.", "SOA"), anchor_file=tree.anchor, hints=tree.hints,
                                    lines=["ede: yes", "prefetch: no", "ratelimit: 0", "aggressive-nsec: yes"])


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    work = str(tmp_path_factory.mktemp("validation"))
    tree = SignedTree(work)
    namaed = unbound = None
    try:
        namaed = Resolverd(tree.hints, f'validate = true\ntrust-anchor-file = "{tree.anchor}"\n'
                           "empty-zones = false\ndo-not-query-localhost = false\nthreads = 4")
        unbound, uport = start_unbound(work, tree)
        yield {"tree": tree, "namaed": namaed, "uport": uport, "work": work}
    finally:
        if unbound:
            unbound.terminate()
            unbound.wait(timeout=10)
        if namaed:
            namaed.stop()
        tree.stop()


def ask(port, qname, qtype, cd=False, do=True):
    q = dns.message.make_query(qname, qtype, want_dnssec=do, payload=1232)
    if cd:
        q.flags |= dns.flags.CD
    r = dns.query.udp(q, "127.0.0.1", port=port, timeout=8)
    if r.flags & dns.flags.TC:
        r = dns.query.tcp(q, "127.0.0.1", port=port, timeout=8)
    return r


def outcome(r):
    edes = sorted(o.code for o in r.options if o.otype == dns.edns.EDE)
    return dns.rcode.to_text(r.rcode()), bool(r.flags & dns.flags.AD), edes


def compare(env, qname, qtype):
    mine = outcome(ask(env["namaed"].port, qname, qtype))
    theirs = outcome(ask(env["uport"], qname, qtype))
    assert mine == theirs, f"{qname} {qtype}: namaed {mine}, unbound {theirs}"
    return mine


QUESTIONS = [("www.{}", "A", "NOERROR"), ("nothere.{}", "A", "NXDOMAIN"), ("www.{}", "TXT", "NOERROR"),
             ("x.wild.{}", "TXT", "NOERROR"), ("x.wild.{}", "MX", "NOERROR"), ("b.ent.{}", "A", "NOERROR")]


@pytest.mark.parametrize("zone", list(SIGNED))
@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: f"{q[0].split('.')[0]}-{q[1]}")
def test_signed_zones_secure_as_unbound(env, zone, question):
    name, qtype, rcode = question
    got = compare(env, name.format(zone), qtype)
    assert got[0] == rcode
    if zone == "optout.test." and (rcode == "NXDOMAIN" or "wild" in name):
        assert not got[1]  # proven through an opt-out span, which may hide an unsigned delegation
    else:
        assert got[1], f"{name.format(zone)} {qtype} should be secure: {got}"


def test_unsigned_delegations_insecure_as_unbound(env):
    for name in ("www.unsigned.test.", "www.insecure.optout.test.", "nothere.insecure.optout.test."):
        got = compare(env, name, "A")
        assert not got[1] and got[0] in ("NOERROR", "NXDOMAIN"), f"{name}: {got}"


# What each broken zone must give: rcode, AD, EDE (RFC 8914).
EXPECTED = {
    "expired.test.": ("SERVFAIL", False, [7]),
    "future.test.": ("SERVFAIL", False, [8]),
    "wrongds.test.": ("SERVFAIL", False, [9]),
    "wrongalg.test.": ("SERVFAIL", False, [9]),
    "nosig.test.": ("SERVFAIL", False, [10]),
    # RFC 4035 5.2: a DS of a digest type no one knows is as no DS at all.
    "newdigest.test.": ("NOERROR", False, []),
}


@pytest.mark.parametrize("zone", list(EXPECTED))
def test_broken_zones_bogus_as_unbound(env, zone):
    assert compare(env, f"www.{zone}", "A") == EXPECTED[zone]


def test_nsec_hole_does_not_prove_nxdomain(env):
    # xyz sorts after www, whose NSEC was removed: the proof NSD gives
    # does not cover the name.
    got = compare(env, "xyz.hole.test.", "A")
    assert got[0] == "SERVFAIL" and not got[1], got
    assert compare(env, "a.b.ent.hole.test.", "A")[1]  # the rest of the zone is fine


def test_too_many_nsec3_iterations_insecure(env):
    got = compare(env, "nothere.iter.test.", "A")
    assert got[0] == "NXDOMAIN" and not got[1], got
    assert compare(env, "www.iter.test.", "A")[1]  # positive answers are still secure


def test_checking_disabled_gives_bogus_data(env):
    r = ask(env["namaed"].port, "www.expired.test.", "A", cd=True)
    assert r.rcode() == dns.rcode.NOERROR and not r.flags & dns.flags.AD
    assert any(rrset.rdtype == dns.rdatatype.A for rrset in r.answer)


def test_ad_only_for_clients_that_ask(env):
    r = ask(env["namaed"].port, "www.nsec.test.", "A", do=False)
    assert not r.flags & dns.flags.AD
    assert all(rrset.rdtype != dns.rdatatype.RRSIG for rrset in r.answer)
    r = ask(env["namaed"].port, "www.nsec.test.", "A")
    assert r.flags & dns.flags.AD
    assert any(rrset.rdtype == dns.rdatatype.RRSIG for rrset in r.answer)


def test_bogus_answer_cached_not_asked_again(env):
    def count():
        rc, out = env["namaed"].ctl("cache", "stats")
        return int(out.split("upstream-queries ")[1].split()[0])
    ask(env["namaed"].port, "www.wrongds.test.", "A")
    before = count()
    for _ in range(5):
        assert ask(env["namaed"].port, "www.wrongds.test.", "A").rcode() == dns.rcode.SERVFAIL
    assert count() == before


def test_delv_validates_through_namaed(env):
    if not shutil.which("delv"):
        pytest.skip("delv not installed")
    f = env["tree"].root_ds.split()  # DS tag alg digest-type digest
    conf = os.path.join(env["work"], "delv-anchor.conf")
    with open(conf, "w") as fh:
        fh.write(f'trust-anchors {{ . static-ds {f[1]} {f[2]} {f[3]} "{"".join(f[4:])}"; }};\n')
    for qname, qtype, want in (("www.nsec3.test.", "A", "; fully validated"),
                               ("nothere.ed.test.", "A", "; negative response, fully validated"),
                               ("www.unsigned.test.", "A", "; unsigned answer")):
        out = subprocess.run(["delv", "@127.0.0.1", "-p", str(env["namaed"].port), "-a", conf, qname, qtype],
                             capture_output=True, text=True, timeout=20)
        assert want in out.stdout + out.stderr, f"{qname} {qtype}:\n{out.stdout}{out.stderr}"


def test_negative_trust_anchor_set_and_removed_with_ctl(env):
    n = env["namaed"]
    assert ask(n.port, "www.future.test.", "A").rcode() == dns.rcode.SERVFAIL
    rc, out = n.ctl("nta", "add", "future.test", "600")
    assert rc == 0 and out.startswith("ok"), out
    r = ask(n.port, "www.future.test.", "A")
    assert r.rcode() == dns.rcode.NOERROR and not r.flags & dns.flags.AD
    assert ask(n.port, "www.nsec.test.", "A").flags & dns.flags.AD  # others still validated
    rc, out = n.ctl("nta", "list")
    assert "future.test. " in out, out
    rc, out = n.ctl("nta", "remove", "future.test")
    assert rc == 0, out
    assert ask(n.port, "www.future.test.", "A").rcode() == dns.rcode.SERVFAIL
    assert n.ctl("nta", "add", "future.test", "0")[0] != 0


def test_trace_shows_validation_per_step(env):
    tree = env["tree"]

    def trace(name):
        out = subprocess.run([namae_bin("namae"), "query", "+trace", "--root-hints", tree.hints, "--allow-localhost",
                              "--trust-anchor-file", tree.anchor, name, "A"],
                             capture_output=True, text=True, timeout=30)
        return out.stdout
    out = trace("www.nsec.test.")
    assert "nsec.test. DNSKEY: secure (DNSSEC)" in out, out
    assert "www.nsec.test. A: secure (DNSSEC)" in out, out
    out = trace("www.unsigned.test.")
    assert "unsigned.test. DNSKEY: insecure: unsigned.test. is delegated without DS" in out, out
    out = trace("www.expired.test.")
    assert "expired.test. DNSKEY: bogus: the RRSIG over expired.test. DNSKEY has expired" in out, out
    assert "result: SERVFAIL" in out, out


def test_aggressive_nsec_answers_covered_names_without_asking(env):
    """RFC 8198: after one NXDOMAIN (and one NODATA) in an NSEC zone, names
    the same NSEC ranges deny are answered with AD and no query reaches the
    zone's server, by namaed as by Unbound with aggressive-nsec."""
    tree = env["tree"]
    # In canonical order h9 < i < k < m < nope < nothere < ns: the NSEC
    # h9 -> ns covers them all; the apex's NSEC denies the wildcard.
    covered = [("i.nsec.test.", "A", "NXDOMAIN"), ("k.nsec.test.", "AAAA", "NXDOMAIN"),
               ("m.nsec.test.", "TXT", "NXDOMAIN"), ("nope.nsec.test.", "A", "NXDOMAIN"),
               ("x.nope.nsec.test.", "A", "NXDOMAIN"), ("www.nsec.test.", "MX", "NOERROR"),
               ("www.nsec.test.", "SRV", "NOERROR")]
    for port in (env["namaed"].port, env["uport"]):
        for qname, qtype in (("nothere.nsec.test.", "A"), ("www.nsec.test.", "TXT")):
            assert outcome(ask(port, qname, qtype))[:2] == ("NXDOMAIN" if "nothere" in qname else "NOERROR", True)
        before = tree.queries()
        for qname, qtype, rcode in covered:
            r = ask(port, qname, qtype)
            assert outcome(r) == (rcode, True, []), f"{qname} {qtype} at port {port}: {outcome(r)}"
            assert any(rrset.rdtype == dns.rdatatype.NSEC for rrset in r.authority), r
        assert tree.queries() == before, f"resolver at port {port} asked the zone's server"
    out = env["namaed"].ctl("cache", "stats")[1]
    assert int(out.split("aggressive-nsec-answers ")[1].split()[0]) >= len(covered), out
    # A name the cached ranges do not cover (a.b.ent -> h0 was never given) is still asked.
    before = tree.queries()
    assert outcome(ask(env["namaed"].port, "gg.nsec.test.", "A")) == ("NXDOMAIN", True, [])
    assert tree.queries() > before


def nsec3_spans(r):
    """The (owner, next) hash spans of the NSEC3 records of a response, in base32hex."""
    spans = []
    for rrset in r.authority:
        if rrset.rdtype == dns.rdatatype.NSEC3:
            for rd in rrset:
                nxt = base64.b32encode(rd.next).decode().translate(B32_TO_HEX)
                spans.append((rrset.name.labels[0].decode().upper(), nxt, rd))
    return spans


B32_TO_HEX = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"0123456789ABCDEFGHIJKLMNOPQRSTUV")


def names_in_spans(zone, spans, count):
    """`count` names q<i>.<zone> whose hashes fall in one of the spans (not at an owner)."""
    rd = spans[0][2]
    out = []
    for i in range(20000):
        name = f"q{i}.{zone}"
        h = dns.dnssec.nsec3_hash(name, rd.salt, rd.iterations, 1)
        if any(o < h < n or (n <= o and (h > o or h < n)) for o, n, _ in spans):
            out.append(name)
            if len(out) == count:
                return out
    raise AssertionError(f"no names in the spans {spans}")


def leaf_cost(env, port, questions):
    """Queries the leaf zones' server got while `port` answered `questions`, and the outcomes."""
    before = env["tree"].queries()
    got = [outcome(ask(port, q, t)) for q, t in questions]
    return env["tree"].queries() - before, got


def test_aggressive_nsec3_answers_covered_names_without_asking(env):
    """RFC 8198 5.2: after one NXDOMAIN and one NODATA in an NSEC3 zone,
    other names the cached spans cover (closest encloser proof rebuilt from
    the cache) cost namaed no query at the zone's server. Unbound 1.17 does
    aggressive NSEC only: its count is printed, not compared."""
    port = env["namaed"].port
    first = ask(port, "nothere.nsec3.test.", "A")
    assert outcome(first) == ("NXDOMAIN", True, [])
    assert outcome(ask(port, "www.nsec3.test.", "TXT")) == ("NOERROR", True, [])
    covered = [(q, "A") for q in names_in_spans("nsec3.test.", nsec3_spans(first), 5)]
    covered += [("www.nsec3.test.", "MX"), ("www.nsec3.test.", "SRV")]
    mine, got = leaf_cost(env, port, covered)
    assert got == [("NXDOMAIN", True, [])] * 5 + [("NOERROR", True, [])] * 2, got
    assert mine == 0, f"namaed asked the zone's server {mine} times"
    for q, t in (("nothere.nsec3.test.", "A"), ("www.nsec3.test.", "TXT")):
        ask(env["uport"], q, t)
    theirs, got = leaf_cost(env, env["uport"], covered)
    assert got == [("NXDOMAIN", True, [])] * 5 + [("NOERROR", True, [])] * 2, got
    print(f"\nNSEC3 zone, {len(covered)} covered questions: leaf queries namaed {mine}, unbound {theirs}")


def expanded(r, qname):
    """Whether `r` is a secure wildcard expansion for `qname`: the TXT "wild"
    under the name asked, with the wildcard's RRSIG and a denial record."""
    ans = [rrset for rrset in r.answer if rrset.rdtype == dns.rdatatype.TXT]
    sigs = [rd for rrset in r.answer if rrset.rdtype == dns.rdatatype.RRSIG for rd in rrset]
    return (outcome(r) == ("NOERROR", True, []) and len(ans) == 1 and str(ans[0].name) == qname
            and [rd.strings for rd in ans[0]] == [(b"wild",)] and sigs
            and all(rd.labels == 3 for rd in sigs)  # *.wild.<zone>: the expansion shows
            and any(rrset.rdtype in (dns.rdatatype.NSEC, dns.rdatatype.NSEC3) for rrset in r.authority))


def wildcard_cost(env, port, names):
    before = env["tree"].queries()
    for q in names:
        r = ask(port, q, "TXT")
        assert expanded(r, q), f"{q} at port {port}: {r}"
    return env["tree"].queries() - before


def test_aggressive_wildcard_answers_without_asking(env):
    """RFC 8198 5.3: after one wildcard answer, other names the cached
    proof shows absent get the cached wildcard's expansion with AD and no
    query reaches the zone's server. NSEC zone: *.wild -> www covers every
    name below wild, for namaed as for Unbound with aggressive-nsec; NSEC3
    zone (namaed only: Unbound 1.17's aggressive use is NSEC-only): names
    whose hash falls in the span the first answer brought."""
    names = ["y.wild.nsec.test.", "zz.wild.nsec.test.", "a.b.wild.nsec.test."]
    costs = []
    for port in (env["namaed"].port, env["uport"]):
        assert expanded(ask(port, "x.wild.nsec.test.", "TXT"), "x.wild.nsec.test.")
        costs.append(wildcard_cost(env, port, names))
    assert costs == [0, 0], f"leaf queries for {len(names)} expansions: namaed {costs[0]}, unbound {costs[1]}"
    port = env["namaed"].port
    first = ask(port, "x.wild.nsec3.test.", "TXT")
    assert expanded(first, "x.wild.nsec3.test.")
    covered = names_in_spans("wild.nsec3.test.", nsec3_spans(first), 3)
    assert wildcard_cost(env, port, covered) == 0
    theirs = wildcard_cost(env, env["uport"], ["x.wild.nsec3.test."] + covered)
    print(f"\nNSEC3 zone, {len(covered)} expansions after the first: leaf queries namaed 0, unbound {theirs}")


def test_opt_out_span_is_still_asked(env):
    """RFC 5155 9.2: an opt-out span may hide an unsigned delegation, so it
    proves no NXDOMAIN; every such name goes to the zone's server."""
    port = env["namaed"].port
    first = ask(port, "nothere.optout.test.", "A")
    assert outcome(first) == ("NXDOMAIN", False, [])
    names = names_in_spans("optout.test.", nsec3_spans(first), 3)
    cost, got = leaf_cost(env, port, [(q, "A") for q in names])
    assert got == [("NXDOMAIN", False, [])] * 3, got
    assert cost >= 3, cost


def fresh_namaed(tree, extra=""):
    return Resolverd(tree.hints, f'validate = true\ntrust-anchor-file = "{tree.anchor}"\n'
                     f"empty-zones = false\ndo-not-query-localhost = false\n{extra}")


def test_referral_proves_unsigned_delegation_without_a_ds_question(env):
    """RFC 4035 3.1.4: the referral to unsigned.test. carries the TLD's NSEC
    proving it has no DS; namaed proves the delegation insecure from it, so
    the TLD's server hears the referral question and the DNSKEY question
    for test., and no DS question; later names of the zone cost it nothing."""
    tree = env["tree"]
    n = fresh_namaed(tree)
    try:
        before = tree.queries(TLD)
        assert outcome(ask(n.port, "www.unsigned.test.", "A")) == ("NOERROR", False, [])
        assert tree.queries(TLD) - before == 2
        before = tree.queries(TLD)
        for name in ("h1.unsigned.test.", "nothere.unsigned.test.", "h2.unsigned.test."):
            assert not outcome(ask(n.port, name, "A"))[1]
        assert tree.queries(TLD) == before
    finally:
        n.stop()


def test_unreachable_keys_are_servfail_22_not_bogus(env):
    """A DNSKEY question that no server answers (test.'s only server, a stub
    here, refuses connections) leaves the answer undetermined: SERVFAIL with
    EDE 22 No Reachable Authority within the resolution timeout, not a bogus
    verdict held for 60 s: once the server is up, the next question
    validates. (Unbound 1.17, configured alike, gave no answer within 8 s.)"""
    tree, work = env["tree"], env["work"]
    dead = free_port()
    stubs = f'[[resolver.stub]]\nname = "nsec.test"\nservers = ["{tree.base}.3:53"]\n' \
            f'[[resolver.stub]]\nname = "test"\nservers = ["127.0.0.1:{dead}"]\n'
    n = fresh_namaed(tree, "\n" + stubs)
    nsd = None
    try:
        assert outcome(ask(n.port, "www.nsec.test.", "A")) == ("SERVFAIL", False, [22])
        signed_tld = open(os.path.join(work, "test.zone.signed")).read()
        nsd = start_nsd(os.path.join(work, "nsd-late"), zones={"test.": signed_tld}, port=dead)
        assert outcome(ask(n.port, "www.nsec.test.", "A")) == ("NOERROR", True, [])
    finally:
        if nsd:
            nsd.stop()
        n.stop()


@pytest.mark.parametrize("upstream_validates", [False, True], ids=["plain-forwarder", "validating-forwarder"])
def test_validation_through_a_forwarder(env, upstream_validates):
    """Everything forwarded (`.`) to an Unbound that validates or not:
    namaed validates the forwarder's answers itself (asking with DO=1 for
    the RRSIGs and proofs, CD=1 for the data whatever the forwarder thinks
    of it), so AD, bogus and the EDE come out alike either way."""
    tree, work = env["tree"], env["work"]
    name = "unbound-fwd-" + ("val" if upstream_validates else "plain")
    uport = free_port()
    if upstream_validates:
        lines = ['module-config: "validator iterator"', f'trust-anchor-file: "{tree.anchor}"',
                 "trust-anchor-signaling: no", "root-key-sentinel: no"]
    else:
        lines = ['module-config: "iterator"']
    conf = unbound_conf(os.path.join(work, name), uport, lines=lines + [f'root-hints: "{tree.hints}"', "prefetch: no"])
    unbound = run_unbound(os.path.join(work, name), conf, uport, ("test.", "SOA"))
    n = fresh_namaed(tree, f'\n[[resolver.forward]]\nname = "."\nservers = ["127.0.0.1:{uport}"]\n')
    try:
        for qname, qtype, want in (("www.nsec.test.", "A", ("NOERROR", True)),
                                   ("nothere.nsec3.test.", "A", ("NXDOMAIN", True)),
                                   ("x.wild.ed.test.", "TXT", ("NOERROR", True)),
                                   ("www.unsigned.test.", "A", ("NOERROR", False)),
                                   ("www.expired.test.", "A", ("SERVFAIL", False)),
                                   ("www.wrongds.test.", "A", ("SERVFAIL", False))):
            got = outcome(ask(n.port, qname, qtype))
            assert got[:2] == want, f"{qname} {qtype}: {got}"
            if want[0] == "SERVFAIL":
                # Asked with CD=1 (RFC 6840 5.9), even a validating forwarder
                # passes the data on: namaed finds it bogus, and says why.
                assert got[2] == EXPECTED[qname[4:]][2], f"{qname}: {got}"
        r = ask(n.port, "www.expired.test.", "A", cd=True)  # the data, for a client that sets CD
        assert r.rcode() == dns.rcode.NOERROR and any(rr.rdtype == dns.rdatatype.A for rr in r.answer), r
    finally:
        n.stop()
        unbound.terminate()
        unbound.wait(timeout=10)

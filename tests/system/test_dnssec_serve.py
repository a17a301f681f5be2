"""namaed serving pre-signed zones (issue 14, serving): RFC 4033-4035, RFC 5155.

Zones signed in the test with dnssec-keygen + dnssec-signzone (dnssec_zones.py):
sec.test (NSEC) and sec3.test (NSEC3, salt, opt-out), each with a signed child
linked by DS (child.*, served by the same namaed: the DS chain), an unsigned
child (insecure.*), delegations served elsewhere (far: with DS, away: without),
a wildcard, empty non-terminals, a DNAME and a CNAME into other.test.

Every answer shape is checked by a validating Unbound started here with the
parents' KSKs as trust anchors and stub zones pointing at namaed (AD=1 for
secure names, NOERROR/NXDOMAIN as expected, insecure for the unsigned child),
by delv for a few names, and the referrals (which Unbound cannot follow to
other loopback ports) by checking their DS / NSEC / NSEC3 records and RRSIGs
with dnspython against the zone's DNSKEYs. Also: DO=0 answers carry no DNSSEC
records, RRSIG never separated from its RRset under truncation, and a zone
whose signatures have expired is served with a warning.
"""
import os
import re
import shutil
import subprocess

import dns.dnssec
import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.zone
import pytest

from conftest import Peer, free_port, namae_bin
from dnssec_zones import OTHER, sign, signed_tree
from unbound_peer import start_validating_unbound

# origin: how it is signed. An opt-out zone's NXDOMAIN and wildcard proofs are
# insecure to a validator (RFC 5155 9.2: an opt-out span may hide an insecure
# delegation), so the validated shapes are checked on the first two.
PARENTS = {"sec.test": "nsec", "sec3.test": "nsec3", "opt3.test": "optout"}
VALIDATED = ["sec.test", "sec3.test"]


def start_namaed(workdir, files):
    port = free_port()
    zones = "".join(f'[[zone]]\nname = "{o}"\nfile = "{p}"\n\n' for o, p in files.items())
    config = os.path.join(workdir, "namaed.toml")
    with open(config, "w") as f:
        f.write(f'[server]\nlisten = ["127.0.0.1:{port}"]\nworkers = 1\ncontrol = "ctl.sock"\n\n'
                f'{zones}[http]\nlisten = ""\n')
    log_path = os.path.join(workdir, "namaed.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen([namae_bin("namaed"), "--config", config, "--foreground"],
                                stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    peer = Peer("namaed", "127.0.0.1", port, workdir, proc, log_path, {}, {})
    peer.wait_ready(next(iter(files)))
    return peer


def start_validator(workdir, anchors, stubs):
    """Unbound validating with `anchors` ({zone: DNSKEY text}) and stub zones
    ({zone: port on 127.0.0.1})."""
    return start_validating_unbound(workdir, ("www.other.test.", "A"), anchors=anchors.values(), stubs=stubs,
                                    lines=["qname-minimisation: no"])


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    base = str(tmp_path_factory.mktemp("dnssec"))
    files, anchors = {}, {}
    for parent, mode in PARENTS.items():
        f, a = signed_tree(base, parent, mode)
        files.update(f)
        anchors.update(a)
    other_path, other_key, _ = sign(base, "other.test", OTHER)
    files["other.test"] = other_path
    anchors["other.test"] = other_key
    nam = start_namaed(base, files)
    stubs = {z: nam.port for z in list(PARENTS) + ["other.test"]}
    unbound, uport = start_validator(base, anchors, stubs)
    try:
        yield {"namaed": nam, "uport": uport, "anchors": anchors, "base": base, "files": files}
    finally:
        unbound.terminate()
        unbound.wait(timeout=10)
        nam.stop()


def ask(port, qname, qtype, do=True, payload=1232, tcp=False, rd=False):
    q = dns.message.make_query(qname, qtype, want_dnssec=do, use_edns=0, payload=payload)
    if not rd:
        q.flags &= ~dns.flags.RD
    if tcp:
        return dns.query.tcp(q, "127.0.0.1", port=port, timeout=3)
    return dns.query.udp(q, "127.0.0.1", port=port, timeout=3)


def validate(env, qname, qtype):
    q = dns.message.make_query(qname, qtype, want_dnssec=True)
    return dns.query.udp(q, "127.0.0.1", port=env["uport"], timeout=5)


# (relative name, type, rcode, secure): every answer shape through Unbound.
SHAPES = [
    ("www", "A", "NOERROR", True),          # positive
    ("mail", "MX", "NOERROR", True),        # positive with additional addresses
    ("www", "TXT", "NOERROR", True),        # NODATA
    ("nothere", "A", "NXDOMAIN", True),     # NXDOMAIN
    ("a.nothere", "AAAA", "NXDOMAIN", True),
    ("x.wild", "TXT", "NOERROR", True),     # wildcard expansion
    ("x.y.wild", "MX", "NOERROR", True),    # wildcard expansion, next closer two labels up
    ("x.wild", "A", "NOERROR", True),       # wildcard NODATA
    ("b.ent", "A", "NOERROR", True),        # empty non-terminal
    ("ent", "TXT", "NOERROR", True),
    ("a.b.ent", "A", "NOERROR", True),
    ("alias", "A", "NOERROR", True),        # CNAME in zone
    ("ext", "A", "NOERROR", True),          # CNAME into other.test
    ("q.wild2", "A", "NOERROR", True),      # wildcard CNAME
    ("www.dn", "A", "NOERROR", True),       # DNAME into other.test
    ("zz.dn", "A", "NXDOMAIN", True),       # DNAME to a name that does not exist
    ("www.child", "A", "NOERROR", True),    # signed child through the DS chain
    ("nothere.child", "A", "NXDOMAIN", True),
    ("child", "DS", "NOERROR", True),       # DS from the parent side
    ("insecure", "DS", "NOERROR", True),    # no DS: NSEC/NSEC3 (opt-out) proof
    ("www.insecure", "A", "NOERROR", False),  # unsigned child: insecure
    ("@", "DNSKEY", "NOERROR", True),
    ("z1", "A", "NOERROR", True),
]


@pytest.mark.parametrize("parent", VALIDATED)
@pytest.mark.parametrize("name,qtype,rcode,secure", SHAPES)
def test_validated_by_unbound(env, parent, name, qtype, rcode, secure):
    qname = parent if name == "@" else f"{name}.{parent}"
    r = validate(env, qname, qtype)
    assert dns.rcode.to_text(r.rcode()) == rcode, r.to_text()
    assert bool(r.flags & dns.flags.AD) == secure, r.to_text()
    if rcode == "NOERROR" and qtype in ("A", "MX", "DS", "DNSKEY") and name not in ("x.wild", "b.ent"):
        if name != "insecure":
            assert r.answer, r.to_text()


def test_delv_validates(env):
    if not shutil.which("delv"):
        pytest.skip("delv not installed")
    for parent in VALIDATED:
        fields = env["anchors"][parent].split()
        flags, proto, alg, *key = fields[fields.index("DNSKEY") + 1:]
        path = os.path.join(env["base"], f"anchor-{parent}.conf")
        with open(path, "w") as f:
            f.write(f'trust-anchors {{ {fields[0]} static-key {flags} {proto} {alg} "{"".join(key)}"; }};\n')
        for qname, qtype in ((f"www.{parent}", "A"), (f"x.wild.{parent}", "TXT"),
                             (f"nothere.{parent}", "A"), (f"www.{parent}", "TXT")):
            out = subprocess.run(["delv", "@127.0.0.1", "-p", str(env["namaed"].port), "-a", path,
                                  f"+root={parent}", qname, qtype],
                                 capture_output=True, text=True, timeout=20).stdout
            assert "; fully validated" in out or "; negative response, fully validated" in out, \
                f"{qname} {qtype}:\n{out}"


def _zone_keys(port, origin):
    r = ask(port, origin, "DNSKEY", tcp=True)
    name = dns.name.from_text(origin)
    return {name: r.find_rrset(r.answer, name, dns.rdataclass.IN, dns.rdatatype.DNSKEY)}


def _verify_section(section, keys):
    """Every RRset but RRSIGs has an RRSIG in the section, and it verifies."""
    sigs = {(r.name, r.covers): r for r in section if r.rdtype == dns.rdatatype.RRSIG}
    checked = []
    for rrset in section:
        if rrset.rdtype == dns.rdatatype.RRSIG:
            continue
        sig = sigs.get((rrset.name, rrset.rdtype))
        assert sig is not None, f"no RRSIG for {rrset}"
        dns.dnssec.validate(rrset, sig, keys)
        checked.append(rrset.rdtype)
    return checked


@pytest.mark.parametrize("parent", list(PARENTS))
def test_referral_to_signed_child_has_signed_ds(env, parent):
    port = env["namaed"].port
    r = ask(port, f"host.far.{parent}", "A")
    assert not r.flags & dns.flags.AA and not r.answer
    types = {x.rdtype for x in r.authority}
    assert {dns.rdatatype.NS, dns.rdatatype.DS, dns.rdatatype.RRSIG} <= types, r.to_text()
    keys = _zone_keys(port, parent)
    ds = [x for x in r.authority if x.rdtype in (dns.rdatatype.DS, dns.rdatatype.RRSIG)]
    assert dns.rdatatype.DS in _verify_section(ds, keys)
    # Glue stays unsigned (it is not the parent's authoritative data).
    assert r.additional and all(x.rdtype == dns.rdatatype.A for x in r.additional)


@pytest.mark.parametrize("parent", list(PARENTS))
def test_referral_to_unsigned_child_proves_no_ds(env, parent):
    port = env["namaed"].port
    r = ask(port, f"host.away.{parent}", "A")
    assert not r.flags & dns.flags.AA and not r.answer
    keys = _zone_keys(port, parent)
    proof = [x for x in r.authority if x.rdtype != dns.rdatatype.NS]
    assert dns.rdatatype.DS not in {x.rdtype for x in proof}
    checked = _verify_section(proof, keys)
    if PARENTS[parent] == "optout":
        # Opt-out: away has no NSEC3; the closest provable encloser (the apex)
        # matches and an opt-out NSEC3 covers the next closer name (away).
        assert checked.count(dns.rdatatype.NSEC3) == 2, r.to_text()
        assert any(rd.flags & 1 for x in proof if x.rdtype == dns.rdatatype.NSEC3 for rd in x)
    elif PARENTS[parent] == "nsec3":
        nsec3 = [x for x in proof if x.rdtype == dns.rdatatype.NSEC3]
        assert len(nsec3) == 1 and "DS" not in nsec3[0][0].to_text().split()[5:], r.to_text()
    else:
        nsec = [x for x in proof if x.rdtype == dns.rdatatype.NSEC]
        assert len(nsec) == 1 and nsec[0].name == dns.name.from_text(f"away.{parent}")
        types = nsec[0][0].to_text().split()[1:]
        assert "NS" in types and "DS" not in types, r.to_text()


@pytest.mark.parametrize("parent", list(PARENTS))
def test_negative_answers_carry_signed_proofs(env, parent):
    port = env["namaed"].port
    keys = _zone_keys(port, parent)
    nsec3 = PARENTS[parent] != "nsec"
    proof_type = dns.rdatatype.NSEC3 if nsec3 else dns.rdatatype.NSEC
    # (qname, qtype, rcode, minimum number of proof RRsets)
    for qname, qtype, rcode, proofs in (
            (f"nothere.{parent}", "A", dns.rcode.NXDOMAIN, 2 if nsec3 else 1),
            (f"www.{parent}", "TXT", dns.rcode.NOERROR, 1),
            (f"b.ent.{parent}", "A", dns.rcode.NOERROR, 1),
            (f"x.wild.{parent}", "A", dns.rcode.NOERROR, 2 if nsec3 else 1)):
        r = ask(port, qname, qtype)
        assert r.rcode() == rcode and r.flags & dns.flags.AA and not r.answer, r.to_text()
        checked = _verify_section(r.authority, keys)
        assert dns.rdatatype.SOA in checked
        assert checked.count(proof_type) >= proofs, f"{qname}:\n{r.to_text()}"
        assert not r.flags & dns.flags.AD


@pytest.mark.parametrize("parent", list(PARENTS))
def test_wildcard_answer_signature_and_proof(env, parent):
    port = env["namaed"].port
    keys = _zone_keys(port, parent)
    r = ask(port, f"x.y.wild.{parent}", "TXT")
    assert _verify_section(r.answer, keys) == [dns.rdatatype.TXT]
    sig = [x for x in r.answer if x.rdtype == dns.rdatatype.RRSIG][0][0]
    # RFC 4035 5.3.4: the labels field tells the validator it was expanded.
    assert sig.labels == len(dns.name.from_text(f"*.wild.{parent}").labels) - 2
    proof = [x for x in r.authority if x.rdtype in (dns.rdatatype.NSEC, dns.rdatatype.NSEC3)]
    assert len(proof) == 1, r.to_text()


def test_fresh_signatures_load_without_warning(env):
    assert "RRSIGs (first:" not in env["namaed"].log()


def test_do0_answers_have_no_dnssec_records(env):
    port = env["namaed"].port
    dnssec = {dns.rdatatype.RRSIG, dns.rdatatype.NSEC, dns.rdatatype.NSEC3, dns.rdatatype.DS}
    for parent in PARENTS:
        for qname, qtype in ((f"www.{parent}", "A"), (f"nothere.{parent}", "A"),
                             (f"x.wild.{parent}", "TXT"), (f"host.far.{parent}", "A"),
                             (f"b.ent.{parent}", "A")):
            r = ask(port, qname, qtype, do=False)
            types = {x.rdtype for s in (r.answer, r.authority, r.additional) for x in s}
            assert not types & dnssec, r.to_text()
            assert not r.ednsflags & dns.flags.DO
        r = ask(port, f"www.{parent}", "A")
        assert r.ednsflags & dns.flags.DO  # echoed (RFC 3225 3)


def test_rrsig_query_answers_all_signatures(env):
    r = ask(env["namaed"].port, "www.sec.test", "RRSIG", do=False)
    assert {rd.type_covered for x in r.answer for rd in x} == {
        dns.rdatatype.A, dns.rdatatype.AAAA, dns.rdatatype.NSEC}


def test_opt_out_zone_through_unbound(env):
    # Signed data validates; the unsigned child, proven by the opt-out
    # NSEC3 covering it, is insecure (RFC 5155 8.6, 9.2).
    assert validate(env, "www.opt3.test", "A").flags & dns.flags.AD
    assert validate(env, "www.child.opt3.test", "A").flags & dns.flags.AD
    r = validate(env, "www.insecure.opt3.test", "A")
    assert r.rcode() == dns.rcode.NOERROR and r.answer and not r.flags & dns.flags.AD
    r = validate(env, "nothere.opt3.test", "A")
    assert r.rcode() == dns.rcode.NXDOMAIN  # not SERVFAIL: the proof was accepted


def test_ad_cleared_cd_copied(env):
    q = dns.message.make_query("www.sec.test", "A", want_dnssec=True)
    q.flags |= dns.flags.AD | dns.flags.CD
    r = dns.query.udp(q, "127.0.0.1", port=env["namaed"].port, timeout=3)
    assert not r.flags & dns.flags.AD and r.flags & dns.flags.CD


@pytest.mark.parametrize("parent", list(PARENTS))
def test_truncation_never_splits_rrset_from_rrsig(env, parent):
    port = env["namaed"].port
    qname = f"big.{parent}"
    plain = ask(port, qname, "TXT", do=False, payload=512)
    assert not plain.flags & dns.flags.TC and len(plain.answer) == 1
    r = ask(port, qname, "TXT", payload=512)
    assert r.flags & dns.flags.TC
    types = [x.rdtype for x in r.answer]
    assert types in ([], [dns.rdatatype.TXT, dns.rdatatype.RRSIG]), r.to_text()
    full = ask(port, qname, "TXT", tcp=True)
    assert not full.flags & dns.flags.TC
    assert _verify_section(full.answer, _zone_keys(port, parent)) == [dns.rdatatype.TXT]


def test_expired_signatures_served_with_warning(tmp_path):
    base = str(tmp_path)
    path, _, _ = sign(base, "old.test", OTHER, start="20200101000000", end="20200201000000")
    nam = start_namaed(base, {"old.test": path})
    try:
        r = ask(nam.port, "www.old.test", "A")
        assert r.rcode() == dns.rcode.NOERROR and r.answer
        assert any(x.rdtype == dns.rdatatype.RRSIG for x in r.answer)
        log = nam.log()
        assert re.search(r"zone old\.test: warning: [1-9]\d* expired and 0 not yet valid RRSIGs", log), log
    finally:
        nam.stop()

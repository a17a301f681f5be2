"""A chain of trust through zones namaed signs itself (issue 14): a parent
and its child, each signed by its own namaed (`dnssec = true`), linked by
the child's DS put into the parent by UPDATE, checked by a validating
Unbound that trusts only the parent's key.

The parent (NSEC3, dynamic) runs on 127.53.B.1:53 and the children on
127.53.B.2:53: kid (signed, NSEC) and plain (unsigned, so its delegation has
no DS). Unbound asks only the parent (a stub zone) and follows its referrals
to the child server, so every answer below the cut needs the DS from a
referral: positive, NXDOMAIN, NODATA, wildcard, empty non-terminal and CNAME
across the cut both ways all validate (AD=1); the unsigned child is
insecure (no AD) with its proof of no DS secure.
"""
import os
import shutil
import subprocess
import time

import dns.dnssec
import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from conftest import Peer, namae_bin
from hierarchy import pick_base
from unbound_peer import start_validating_unbound

PARENT, KID, PLAIN = "par.test", "kid.par.test", "plain.par.test"
KEY = ("ds-upd", "hmac-sha256", "ZHMtdXBkYXRlLWtleS1mb3ItY2hhaW4tdGVzdHMtMDE=")


def zone_text(ns_address, body):
    """A zone served by the name server `ns` at `ns_address`, then `body`."""
    return f"$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n@ NS ns\nns A {ns_address}\n{body}"


def zones(base):
    """The parent's text, the signed child's and the unsigned child's."""
    parent = zone_text(f"{base}.1", f"""www A 192.0.2.1
*.wild TXT "parent wildcard"
host.ent A 192.0.2.3
to-kid CNAME www.kid
kid NS ns.kid
ns.kid A {base}.2
plain NS ns.plain
ns.plain A {base}.2
""")
    kid = zone_text(f"{base}.2", f"""www A 192.0.2.10
*.w TXT "child wildcard"
a.deep A 192.0.2.11
to-parent CNAME www.{PARENT}.
""")
    return parent, kid, zone_text(f"{base}.2", "www A 192.0.2.20\n")


def run(*args, **kw):
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=60, **kw)
    assert p.returncode == 0, f"{args} -> {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p.stdout


def start_namaed(workdir, addr, zones, extra=""):
    """namaed on addr:53 serving `zones` ({name: (text, zone options)})."""
    os.makedirs(workdir, exist_ok=True)
    conf = (f'[server]\nlisten = ["{addr}:53"]\nworkers = 1\ncontrol = "ctl.sock"\n\n[http]\nlisten = ""\n\n'
            f'[[key]]\nname = "{KEY[0]}"\nalgorithm = "{KEY[1]}"\nsecret = "{KEY[2]}"\n\n{extra}')
    for name, (text, options) in zones.items():
        with open(os.path.join(workdir, f"{name}.zone"), "w") as f:
            f.write(text)
        conf += f'[[zone]]\nname = "{name}"\nfile = "{name}.zone"\n{options}\n'
    config = os.path.join(workdir, "namaed.toml")
    with open(config, "w") as f:
        f.write(conf)
    log_path = os.path.join(workdir, "namaed.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen([namae_bin("namaed"), "--config", config, "--foreground"],
                                stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    peer = Peer("namaed", addr, 53, workdir, proc, log_path, {}, zones)
    peer.wait_ready(next(iter(zones)))
    return peer


def ask(addr, qname, qtype):
    q = dns.message.make_query(qname, qtype, want_dnssec=True)
    q.flags &= ~dns.flags.RD
    return dns.query.tcp(q, addr, port=53, timeout=5)


def kid_ds(workdir, addr):
    """The child's DS as a parent operator makes it: its DNSKEYs by dig,
    the SEP key's DS by dnssec-dsfromkey."""
    keys = os.path.join(workdir, "kid.dnskey")
    with open(keys, "w") as f:
        f.write(run("dig", f"@{addr}", "-p", "53", KID, "DNSKEY", "+noall", "+answer"))
    return run("dnssec-dsfromkey", "-2", "-T", "300", "-f", keys, KID).strip()


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    for tool in ("dnssec-dsfromkey", "nsupdate", "unbound"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} not installed")
    base = pick_base()
    parent_zone, kid_zone, plain_zone = zones(base)
    work = str(tmp_path_factory.mktemp("dnssec-chain"))
    parent = start_namaed(os.path.join(work, "parent"), f"{base}.1", {
        PARENT: (parent_zone, f'journal = "{PARENT}.db"\ndnssec-policy = "nsec3"\n'
                                    f'update-policy = [ {{ key = "{KEY[0]}", grant = "zonesub" }} ]\n')},
        extra='[[dnssec-policy]]\nname = "nsec3"\nnsec3 = true\n\n')
    child = None
    unbound = None
    try:
        child = start_namaed(os.path.join(work, "child"), f"{base}.2", {
            KID: (kid_zone, "dnssec = true\n"), PLAIN: (plain_zone, "")})
        ds = kid_ds(work, f"{base}.2")
        run("nsupdate", "-y", f"{KEY[1]}:{KEY[0]}:{KEY[2]}",
            input=f"server {base}.1 53\nzone {PARENT}\nupdate add {ds}\nsend\n")
        anchors = [f"{PARENT}. DNSKEY {rd.to_text()}" for rrset in ask(f"{base}.1", PARENT, "DNSKEY").answer
                   if rrset.rdtype == dns.rdatatype.DNSKEY for rd in rrset if rd.flags & 1]
        unbound, port = start_validating_unbound(os.path.join(work, "unbound"), (f"{PARENT}.", "SOA"),
                                                 anchors=anchors, stubs={PARENT: f"{base}.1@53"},
                                                 lines=["qname-minimisation: no"])
        yield {"base": base, "port": port}
    finally:
        if unbound:
            unbound.terminate()
            unbound.wait(timeout=10)
        for p in (child, parent):
            if p:
                p.stop()


def validate(chain, qname, qtype):
    q = dns.message.make_query(qname, qtype, want_dnssec=True)
    deadline = time.time() + 10
    while True:
        try:
            return dns.query.udp(q, "127.0.0.1", port=chain["port"], timeout=3)
        except dns.exception.Timeout:
            if time.time() > deadline:
                raise


# (name, type, rcode, secure, what the answer must hold)
SHAPES = [
    (f"www.{PARENT}", "A", "NOERROR", True, "192.0.2.1"),            # positive
    (f"nope.{PARENT}", "A", "NXDOMAIN", True, None),                 # NXDOMAIN (NSEC3)
    (f"www.{PARENT}", "TXT", "NOERROR", True, None),                 # NODATA
    (f"x.wild.{PARENT}", "TXT", "NOERROR", True, "parent wildcard"),  # wildcard expansion
    (f"ent.{PARENT}", "A", "NOERROR", True, None),                   # empty non-terminal
    (f"to-kid.{PARENT}", "A", "NOERROR", True, "192.0.2.10"),        # CNAME into the child
    (f"kid.{PARENT}", "DS", "NOERROR", True, " IN DS "),               # the DS put in by UPDATE
    (f"plain.{PARENT}", "DS", "NOERROR", True, None),                # no DS: NSEC3 proof
    (f"www.{KID}", "A", "NOERROR", True, "192.0.2.10"),              # referral to the signed child
    (f"nope.{KID}", "A", "NXDOMAIN", True, None),                    # NXDOMAIN (NSEC) below the cut
    (f"www.{KID}", "MX", "NOERROR", True, None),                     # NODATA below the cut
    (f"x.w.{KID}", "TXT", "NOERROR", True, "child wildcard"),        # wildcard below the cut
    (f"deep.{KID}", "A", "NOERROR", True, None),                     # empty non-terminal below the cut
    (f"to-parent.{KID}", "A", "NOERROR", True, "192.0.2.1"),         # CNAME back into the parent
    (f"www.{PLAIN}", "A", "NOERROR", False, "192.0.2.20"),           # referral to the unsigned child
]


@pytest.mark.parametrize("qname,qtype,rcode,secure,holds", SHAPES)
def test_chain_validates(chain, qname, qtype, rcode, secure, holds):
    r = validate(chain, qname + ".", qtype)
    assert dns.rcode.to_text(r.rcode()) == rcode, r.to_text()
    assert bool(r.flags & dns.flags.AD) == secure, r.to_text()
    text = r.to_text()
    if holds:
        assert holds in "\n".join(rrset.to_text() for rrset in r.answer), text
    elif rcode == "NOERROR":
        assert not any(rrset.rdtype == dns.rdatatype.from_text(qtype) for rrset in r.answer), text


def test_parent_referrals_carry_ds_or_its_absence(chain):
    """Asked directly, the parent refers: with the DS and its RRSIG for kid,
    with the signed NSEC3 proving no DS for plain."""
    parent = f"{chain['base']}.1"
    signed = ask(parent, f"www.{KID}.", "A")
    assert not signed.answer and not signed.flags & dns.flags.AA
    types = {(rrset.rdtype, getattr(rrset, "covers", 0)) for rrset in signed.authority}
    assert (dns.rdatatype.DS, 0) in types and (dns.rdatatype.RRSIG, dns.rdatatype.DS) in types, signed.to_text()
    unsigned = ask(parent, f"www.{PLAIN}.", "A")
    types = {rrset.rdtype for rrset in unsigned.authority}
    assert dns.rdatatype.NS in types and dns.rdatatype.NSEC3 in types and dns.rdatatype.DS not in types, \
        unsigned.to_text()

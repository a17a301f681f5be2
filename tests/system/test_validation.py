"""namaed's validating resolver against Unbound on one signed hierarchy (issue 15).

A root, a TLD and leaf zones on 127.53.B.1-3:53, served by NSD, signed by
ldns-signzone with keys from dnssec-keygen: ECDSA P-256 with NSEC, RSA/SHA-256
with NSEC3, Ed25519, an NSEC3 opt-out zone with an unsigned child left out of
its chain, an unsigned delegation, and the broken cases: expired and not yet
valid signatures, a DS that matches no key, a DS naming the wrong algorithm,
a missing RRSIG, an NSEC chain with a hole (the NXDOMAIN proof does not cover
the name) and an NSEC3 chain of 200 iterations (RFC 9276). namaed and an
Unbound started here with the same trust anchor (the root's DS) are asked the
same questions with DO=1; rcode, AD and the EDE codes must agree, and each
case must give what it is built to give.
"""
import os
import shutil
import subprocess
import time

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import free_port, start_nsd
from hierarchy import pick_base
from test_resolver import Resolverd

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(t) for t in ("nsd", "unbound", "ldns-signzone", "dnssec-keygen")),
    reason="needs root (port 53 on 127.53.x.x), nsd, unbound, ldns-signzone and dnssec-keygen")

ROOT, TLD, LEAF = 1, 2, 3

# Leaf zones: how each is signed, and what validating it must give.
SIGNED = {
    "nsec.test.": {"alg": "ECDSAP256SHA256"},
    "nsec3.test.": {"alg": "RSASHA256", "nsec3": 0},
    "ed.test.": {"alg": "ED25519"},
    "optout.test.": {"alg": "ECDSAP256SHA256", "nsec3": 0, "optout": True},
}
BROKEN = {
    # Beyond Unbound's clock skew allowance (10% of the validity, 1 h to 1 day).
    "expired.test.": {"alg": "ECDSAP256SHA256", "dates": (-30 * 86400, -3 * 86400)},
    "future.test.": {"alg": "ECDSAP256SHA256", "dates": (3 * 86400, 30 * 86400)},
    "wrongds.test.": {"alg": "ECDSAP256SHA256", "ds": "other-key"},
    "wrongalg.test.": {"alg": "ECDSAP256SHA256", "ds": "wrong-algorithm"},
    "newdigest.test.": {"alg": "ECDSAP256SHA256", "ds": "unknown-digest"},
    "nosig.test.": {"alg": "ECDSAP256SHA256", "drop": ("www", "RRSIG", "A")},
    "hole.test.": {"alg": "ECDSAP256SHA256", "drop": ("www", "NSEC", None)},
    "iter.test.": {"alg": "ECDSAP256SHA256", "nsec3": 200},
}


def leaf_text(origin, base):
    child = ""
    if origin == "optout.test.":
        child = f"insecure NS ns.insecure\nns.insecure A {base}.{LEAF}\n"
    return f"""$ORIGIN {origin}
$TTL 300
@ SOA ns hostmaster 1 3600 900 604800 300
@ NS ns
ns A {base}.{LEAF}
www A 192.0.2.1
*.wild TXT "wild"
a.b.ent A 192.0.2.5
{child}"""


def keygen(keydir, origin, alg):
    os.makedirs(keydir, exist_ok=True)
    base = subprocess.run(["dnssec-keygen", "-q", "-K", keydir, "-a", alg, "-f", "KSK", origin],
                          check=True, capture_output=True, text=True).stdout.strip()
    return os.path.join(keydir, base)


def ds_of(key):
    out = subprocess.run(["dnssec-dsfromkey", "-2", key + ".key"], check=True, capture_output=True,
                         text=True).stdout.split()
    return " ".join(out[out.index("DS"):])  # "DS tag algorithm digest-type digest"


def sign(workdir, origin, text, alg, nsec3=None, optout=False, dates=None, drop=None):
    """The signed zone text and the DS rdata text of its key."""
    key = keygen(os.path.join(workdir, "keys-" + origin), origin, alg)
    src = os.path.join(workdir, origin + "zone")
    with open(src, "w") as f:
        f.write(text)
    out = src + ".signed"
    cmd = ["ldns-signzone", "-o", origin, "-f", out]
    if nsec3 is not None:
        cmd += ["-n", "-t", str(nsec3)] + (["-p"] if optout else [])
    if dates:
        now = time.time()
        fmt = lambda t: time.strftime("%Y%m%d%H%M%S", time.gmtime(now + t))  # noqa: E731
        cmd += ["-i", fmt(dates[0]), "-e", fmt(dates[1])]
    subprocess.run(cmd + [src, key], check=True, capture_output=True, text=True)
    lines = open(out).read().splitlines()
    if drop:
        owner, rtype, covered = drop
        owner = f"{owner}.{origin}"

        def dropped(line):
            f = line.split()
            if len(f) < 4 or f[0] != owner:
                return False
            if rtype == "NSEC":  # the NSEC and its RRSIG
                return f[3] == "NSEC" or (f[3] == "RRSIG" and f[4] == "NSEC")
            return f[3] == rtype and f[4] == covered
        lines = [line for line in lines if not dropped(line)]
    return "\n".join(lines) + "\n", ds_of(key)


class SignedTree:
    def __init__(self, workdir):
        self.workdir = workdir
        self.base = pick_base()
        b = self.base
        leaves, delegations = {}, []
        for origin, how in {**SIGNED, **BROKEN}.items():
            how = dict(how)
            ds_mode = how.pop("ds", None)
            text, ds = sign(workdir, origin, leaf_text(origin, b), **how)
            leaves[origin] = text
            if ds_mode == "other-key":
                ds = ds_of(keygen(os.path.join(workdir, "other-" + origin), origin, how["alg"]))
            elif ds_mode:  # "DS tag algorithm digest-type digest"
                f = ds.split()
                f[2 if ds_mode == "wrong-algorithm" else 3] = "8" if ds_mode == "wrong-algorithm" else "200"
                ds = " ".join(f)
            delegations.append(f"{origin} NS ns.{origin}\nns.{origin} A {b}.{LEAF}\n{origin} {ds}\n")
        leaves["insecure.optout.test."] = leaf_text("insecure.optout.test.", b)
        leaves["unsigned.test."] = leaf_text("unsigned.test.", b)
        delegations.append(f"unsigned.test. NS ns.unsigned.test.\nns.unsigned.test. A {b}.{LEAF}\n")
        tld, tld_ds = sign(workdir, "test.", f"""$ORIGIN test.
$TTL 3600
@ SOA ns1 hostmaster 1 1800 900 604800 300
@ NS ns1
ns1 A {b}.{TLD}
a.root-servers A {b}.{ROOT}
""" + "".join(delegations), "ECDSAP256SHA256")
        root, root_ds = sign(workdir, ".", f"""$ORIGIN .
$TTL 86400
@ SOA a.root-servers.test. hostmaster.test. 1 1800 900 604800 3600
@ NS a.root-servers.test.
a.root-servers.test. A {b}.{ROOT}
test. NS ns1.test.
ns1.test. A {b}.{TLD}
test. {tld_ds}
""", "RSASHA256")
        self.servers = []
        try:
            for i, zones in ((ROOT, {".": root}), (TLD, {"test.": tld}), (LEAF, leaves)):
                self.servers.append(start_nsd(os.path.join(workdir, f"nsd{i}"), zones=zones, port=53,
                                              addr=f"{b}.{i}"))
        except Exception:
            self.stop()
            raise
        self.hints = os.path.join(workdir, "root.hints")
        with open(self.hints, "w") as f:
            f.write(f". 3600000 NS a.root-servers.test.\na.root-servers.test. 3600000 A {b}.{ROOT}\n")
        self.anchor = os.path.join(workdir, "root.ds")
        with open(self.anchor, "w") as f:
            f.write(f". {root_ds}\n")
        self.root_ds = root_ds

    def stop(self):
        for s in self.servers:
            s.stop()


def start_unbound(workdir, tree):
    port = free_port()
    conf = os.path.join(workdir, "unbound.conf")
    with open(conf, "w") as f:
        f.write(f"""server:
    interface: 127.0.0.1@{port}
    port: {port}
    num-threads: 1
    username: ""
    chroot: ""
    directory: "{workdir}"
    pidfile: "{workdir}/unbound.pid"
    logfile: ""
    use-syslog: no
    verbosity: 1
    val-log-level: 2
    ede: yes
    root-hints: "{tree.hints}"
    trust-anchor-file: "{tree.anchor}"
    trust-anchor-signaling: no
    root-key-sentinel: no
    do-not-query-localhost: no
    module-config: "validator iterator"
    access-control: 127.0.0.0/8 allow
    local-zone: "test." nodefault
    do-ip6: no
    prefetch: no
    ratelimit: 0
remote-control:
    control-enable: no
""")
    log = open(os.path.join(workdir, "unbound.log"), "w")
    proc = subprocess.Popen(["unbound", "-d", "-c", conf], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 10
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("unbound exited: " + open(os.path.join(workdir, "unbound.log")).read())
        try:
            dns.query.udp(dns.message.make_query("test.", "SOA"), "127.0.0.1", port=port, timeout=1)
            return proc, port
        except Exception:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("unbound did not start")


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

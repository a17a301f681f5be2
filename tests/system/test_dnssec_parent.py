"""A signed zone and its parent (issue 14): going insecure (RFC 8078 4,
a policy with `insecure = true`) and a KSK roll finished by the parental
agents' DS check, each watched by a validating Unbound that trusts only the
parent's key.

The parent (par.test, dynamic, signed by its own namaed) runs on
127.53.B.1:53, the child (kid.par.test) on 127.53.B.2:53 with TTLs, delays
and the check interval of 1 s and `parental-agents` naming the parent. The
child's DS is put into and taken out of the parent by nsupdate. Unbound
asks only the parent (a stub zone) and follows its referral, so every
answer below the cut goes through the DS: AD=1 while the DS is there,
insecure (no AD) once the parent proves it gone, and never SERVFAIL on the
way. The child's AXFR passes dnssec-verify and ldns-verify-zone at each
signed step.
"""
import os
import shutil
import subprocess
import threading
import time

import dns.dnssec
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from conftest import Peer, namae_bin, run_checked, wait_until
from hierarchy import pick_base
from unbound_peer import start_validating_unbound

PARENT, KID = "par.test", "kid.par.test"
KEY = ("ds-upd", "hmac-sha256", "ZHMtdXBkYXRlLWtleS1mb3ItcGFyZW50LXRlc3RzLTE=")
DNSSEC_RECORDS = ("RRSIG", "NSEC", "NSEC3", "NSEC3PARAM", "DNSKEY", "CDS", "CDNSKEY")


def zone_text(ns_address, body):
    return f"$TTL 1\n@ SOA ns hostmaster 1 7200 3600 1209600 1\n@ NS ns\nns A {ns_address}\n{body}"


def write_config(workdir, addr, zones, extra=""):
    conf = (f'[server]\nlisten = ["{addr}:53"]\nworkers = 1\ncontrol = "ctl.sock"\n\n[http]\nlisten = ""\n\n'
            f'[[key]]\nname = "{KEY[0]}"\nalgorithm = "{KEY[1]}"\nsecret = "{KEY[2]}"\n\n{extra}')
    for name, (text, options) in zones.items():
        path = os.path.join(workdir, f"{name}.zone")
        if not os.path.exists(path):
            with open(path, "w") as f:
                f.write(text)
        conf += f'[[zone]]\nname = "{name}"\nfile = "{name}.zone"\nallow-transfer = ["127.0.0.0/8"]\n{options}\n'
    with open(os.path.join(workdir, "namaed.toml"), "w") as f:
        f.write(conf)


def start_namaed(workdir, addr, zones, extra=""):
    os.makedirs(workdir, exist_ok=True)
    write_config(workdir, addr, zones, extra)
    log_path = os.path.join(workdir, "namaed.log")
    with open(log_path, "a") as log:
        proc = subprocess.Popen([namae_bin("namaed"), "--config", os.path.join(workdir, "namaed.toml"),
                                 "--foreground"], stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    peer = Peer("namaed", addr, 53, workdir, proc, log_path, {}, zones)
    peer.wait_ready(next(iter(zones)))
    return peer


def ask(addr, qname, qtype):
    q = dns.message.make_query(qname, qtype, want_dnssec=True)
    q.flags &= ~dns.flags.RD
    return dns.query.tcp(q, addr, port=53, timeout=5)


def rdatas(addr, qname, qtype):
    return [rd for s in ask(addr, qname, qtype).answer if s.rdtype == dns.rdatatype.from_text(qtype) for rd in s]


def ctl(peer, *words, check=True):
    return run_checked(namae_bin("namae"), "ctl", "-s", os.path.join(peer.workdir, "ctl.sock"), *words, check=check)


def nsupdate(base, lines):
    run_checked("nsupdate", "-y", f"{KEY[1]}:{KEY[0]}:{KEY[2]}",
        input=f"server {base}.1 53\nzone {PARENT}\n" + "".join(l + "\n" for l in lines) + "send\n")


def ds_of(workdir, addr, tag):
    """The DS (SHA-256, TTL 1) of the child's key `tag`, as a parent operator makes it."""
    keys = os.path.join(workdir, f"kid-{tag}.dnskey")
    with open(keys, "w") as f:
        for rd in rdatas(addr, KID, "DNSKEY"):
            if dns.dnssec.key_id(rd) == tag:
                f.write(f"{KID}. 1 IN DNSKEY {rd.to_text()}\n")
    return run_checked("dnssec-dsfromkey", "-2", "-T", "1", "-f", keys, KID).stdout.strip()


def axfr(workdir, addr, label):
    path = os.path.join(workdir, f"{label}.axfr")
    p = run_checked("dig", f"@{addr}", "-p", "53", KID, "AXFR", "+nocmd", "+nostats", "+onesoa")
    with open(path, "w") as f:
        f.write(p.stdout)
    return path, p.stdout


def verify(workdir, addr, label):
    path, _ = axfr(workdir, addr, label)
    run_checked("dnssec-verify", "-q", "-z", "-o", KID, path)  # -z: a CSK signs everything
    run_checked("ldns-verify-zone", path)


class Watch:
    """Asks Unbound for a name and a non-name of the child every 0.2 s in a
    thread, recording (AD, rcode) pairs; any SERVFAIL fails the test."""

    def __init__(self, port):
        self.port, self.seen, self.errors, self.stop_flag = port, [], [], False
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def ask(self, name, want):
        q = dns.message.make_query(name, "A", want_dnssec=True)
        r = dns.query.udp(q, "127.0.0.1", port=self.port, timeout=3)
        if r.rcode() != want:
            self.errors.append(f"{name}: {dns.rcode.to_text(r.rcode())}")
        return bool(r.flags & dns.flags.AD)

    def loop(self):
        n = 0
        while not self.stop_flag:
            try:
                ads = (self.ask(f"www.{KID}.", dns.rcode.NOERROR),
                       self.ask(f"nx{n}-{time.time_ns()}.{KID}.", dns.rcode.NXDOMAIN))
                self.seen.append(ads)
            except Exception as e:  # a timeout is a failure too
                self.errors.append(repr(e))
            n += 1
            time.sleep(0.2)

    def last(self):
        count = len(self.seen)
        wait_until("an answer", lambda: len(self.seen) > count, 10)
        return self.seen[-1]

    def stop(self):
        self.stop_flag = True
        self.thread.join(timeout=10)
        assert not self.errors, self.errors


TIMING = """dnskey-ttl = 1
propagation-delay = 1
parent-ds-ttl = 1
parent-propagation-delay = 1
parental-check-interval = 1
"""
# The child's policy, and "gone": going insecure with the same timing.
POLICY = """[[dnssec-policy]]
name = "kid"
keys = "{keys}"
{lifetime}""" + TIMING + """
[[dnssec-policy]]
name = "gone"
insecure = true
""" + TIMING + "\n"


@pytest.fixture
def pair(tmp_path):
    """Start the parent and a child with `keys`/`lifetime`; the child's DS
    (of its SEP key) in the parent; a validating Unbound."""
    for tool in ("dnssec-dsfromkey", "dnssec-verify", "ldns-verify-zone", "nsupdate", "unbound"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} not installed")
    started = {}

    def start(keys, lifetime=""):
        base = pick_base()
        work = str(tmp_path)
        parent_zone = zone_text(f"{base}.1", f"www A 192.0.2.1\nkid NS ns.kid\nns.kid A {base}.2\n")
        kid_zone = zone_text(f"{base}.2", "www A 192.0.2.10\nmail A 192.0.2.11\n")
        started["parent"] = start_namaed(os.path.join(work, "parent"), f"{base}.1", {
            PARENT: (parent_zone, f'journal = "{PARENT}.db"\ndnssec = true\n'
                                  f'update-policy = [ {{ key = "{KEY[0]}", grant = "zonesub" }} ]\n')})
        kid_options = f'dnssec-policy = "kid"\nparental-agents = ["{base}.1:53"]\n'
        extra = POLICY.format(keys=keys, lifetime=lifetime)
        kid_dir = os.path.join(work, "kid")
        started["kid"] = start_namaed(kid_dir, f"{base}.2", {KID: (kid_zone, kid_options)}, extra)
        [sep] = [dns.dnssec.key_id(rd) for rd in rdatas(f"{base}.2", KID, "DNSKEY") if rd.flags & 1]
        nsupdate(base, [f"update add {ds_of(work, f'{base}.2', sep)}"])
        anchors = [f"{PARENT}. DNSKEY {rd.to_text()}" for rd in rdatas(f"{base}.1", PARENT, "DNSKEY")
                   if rd.flags & 1]
        unbound, port = start_validating_unbound(os.path.join(work, "unbound"), (f"{PARENT}.", "SOA"),
                                                 anchors=anchors, stubs={PARENT: f"{base}.1@53"},
                                                 lines=["qname-minimisation: no"])
        started["unbound"] = unbound
        return {"base": base, "work": work, "kid_dir": kid_dir, "kid": started["kid"], "port": port,
                "sep": sep, "kid_options": kid_options, "extra": extra,
                "zones": {KID: (kid_zone, kid_options)}}

    yield start
    if started.get("unbound"):
        started["unbound"].terminate()
        started["unbound"].wait(timeout=10)
    for name in ("kid", "parent"):
        if started.get(name):
            started[name].stop()


def test_going_insecure_with_the_parental_agents(pair):
    p = pair("csk")
    kid_addr = f"{p['base']}.2"
    watch = Watch(p["port"])
    try:
        assert wait_until("AD=1 through the DS", lambda: watch.last() == (True, True))
        verify(p["work"], kid_addr, "signed")
        # A policy with insecure = true, live: the CDS/CDNSKEY delete records, still signed.
        write_config(p["kid_dir"], kid_addr, {KID: (None, p["kid_options"].replace('"kid"', '"gone"'))},
                     p["extra"])
        out = ctl(p["kid"], "reconfigure").stdout
        assert "restart" not in out, out
        wait_until("the CDS delete record", lambda: [rd.to_text() for rd in rdatas(kid_addr, KID, "CDS")] ==
                 ["0 0 0 00"])
        assert [rd.to_text() for rd in rdatas(kid_addr, KID, "CDNSKEY")] == ["0 3 0 AA=="]
        assert ctl(p["kid"], "dnssec", "ds", KID).stdout.strip() == "ok"
        status = ctl(p["kid"], "dnssec", "status", KID).stdout
        assert "waiting for the parent's DS to go" in status, status
        verify(p["work"], kid_addr, "cds-delete")
        assert watch.last() == (True, True)
        # The parent drops the DS: the parental agents see it gone, the
        # zone goes unsigned parent-ds-ttl + parent-propagation-delay later.
        nsupdate(p["base"], [f"update delete {KID}. DS"])
        status = wait_until("ds-gone from the parental agents", lambda: (lambda s: "parent DS gone" in s and s)(
            ctl(p["kid"], "dnssec", "status", KID).stdout))
        path, text = axfr(p["work"], kid_addr, "ds-gone")
        if " DNSKEY " in text:  # not unsigned yet
            run_checked("dnssec-verify", "-q", "-z", "-o", KID, path)
            run_checked("ldns-verify-zone", path)
        wait_until("the zone unsigned", lambda: not rdatas(kid_addr, KID, "DNSKEY"))
        _, text = axfr(p["work"], kid_addr, "unsigned")
        types = {line.split()[3] for line in text.splitlines() if line and not line.startswith(";")}
        assert not types & set(DNSSEC_RECORDS), types
        assert "192.0.2.10" in text
        assert wait_until("insecure answers", lambda: watch.last() == (False, False))
    finally:
        watch.stop()
    # Through the whole transition: secure first, insecure at the end, never SERVFAIL.
    assert watch.seen[-1] == (False, False)
    # A restart (the key state says unsigned) keeps it unsigned.
    p["kid"].stop()
    insecure = {KID: (None, p["kid_options"].replace('"kid"', '"gone"'))}
    kid = start_namaed(p["kid_dir"], kid_addr, insecure, p["extra"])
    try:
        assert not rdatas(kid_addr, KID, "DNSKEY") and not rdatas(kid_addr, f"www.{KID}", "RRSIG")
        assert "unsigned since" in ctl(kid, "dnssec", "status", KID).stdout
    finally:
        kid.stop()


def test_ksk_roll_finished_by_the_parental_agents(pair):
    p = pair("ksk-zsk", "ksk-lifetime = 8\n")
    kid_addr = f"{p['base']}.2"
    ksk1 = p["sep"]
    watch = Watch(p["port"])
    try:
        assert wait_until("AD=1 through the DS", lambda: watch.last() == (True, True))
        # The new KSK is published, then named by the CDS set; the old one waits for the parent.
        wait_until("the CDS set switched", lambda: (lambda t: t and t != [ksk1] and t)(
            sorted(rd.key_tag for rd in rdatas(kid_addr, KID, "CDS"))))
        [ksk2] = [rd.key_tag for rd in rdatas(kid_addr, KID, "CDS")]
        verify(p["work"], kid_addr, "ksk2-in-cds")
        time.sleep(2)  # checks of the parent's old DS set change nothing
        status = ctl(p["kid"], "dnssec", "status", KID).stdout
        assert "DS not reported seen" in status and "waiting for ds-seen" in status, status
        bad = ctl(p["kid"], "dnssec", "ds-gone", KID, check=False)  # not going insecure
        assert bad.returncode == 1 and "not going insecure" in bad.stdout, bad.stdout
        # The parent's operator swaps the DS; the agents' answer finishes the roll.
        nsupdate(p["base"], [f"update delete {KID}. DS", f"update add {ds_of(p['work'], kid_addr, ksk2)}"])
        wait_until("DS seen by the parental agents", lambda: "DS seen at" in ctl(p["kid"], "dnssec", "status",
                                                                                   KID).stdout)
        wait_until("the old KSK removed", lambda: ksk1 not in
                 [dns.dnssec.key_id(rd) for rd in rdatas(kid_addr, KID, "DNSKEY")])
        verify(p["work"], kid_addr, "ksk1-removed")
        assert watch.last() == (True, True)
    finally:
        watch.stop()
    assert all(ads == (True, True) for ads in watch.seen), watch.seen

"""namaed signing its own zones (issue 14): `dnssec = true` and
`[[dnssec-policy]]`.

A zone without a journal and a dynamic zone are signed by namaed at start
(keys generated into their key directory, 0600 files in a 0700 directory);
each zone's AXFR must satisfy dnssec-verify and ldns-verify-zone, and a
validating Unbound with the zone's DNSKEY as trust anchor must answer AD=1.
A restart signs with the same keys. The dynamic zone then takes 1,000
changes by nsupdate with TSIG (names added and removed, batched several to
an UPDATE), a kill -9 and restart half way, and lease expiry, and must
verify after each (and so must a dynamic NSEC zone after as many); its IXFR carries the RRSIG and NSEC3 changes. An UPDATE
of DNSSEC records is REFUSED; a key file readable by others or of the
wrong algorithm stops the start, naming the file; a pre-signed file whose
RRSIGs expired is served freshly signed.
"""
import os
import shutil
import stat
import subprocess
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from conftest import free_port, namae_bin, namaed_config_head, run_checked, stop_process
from unbound_peer import start_validating_unbound

STATIC, DYNAMIC = "static.test", "dyn.test"
KEY = ("upd", "hmac-sha256", "dXBkYXRlLWtleS1mb3ItZG5zc2VjLXRlc3RzLTAxMjM0NTY3")
LEASE = 3  # seconds: records added by the lease test go this long after

ZONE = """$TTL 300
@ IN SOA ns hostmaster 1 7200 3600 1209600 300
@ NS ns
ns A 192.0.2.1
www A 192.0.2.2
*.wild TXT "wildcard"
host.ent A 192.0.2.3
sub NS ns.sub
ns.sub A 192.0.2.4
"""


class Server:
    def __init__(self, workdir, static_extra="", dynamic_extra="", policy=""):
        self.dir = workdir
        self.port = free_port()
        os.makedirs(workdir, exist_ok=True)
        for z in (STATIC, DYNAMIC):
            path = os.path.join(workdir, f"{z}.zone")
            if not os.path.exists(path):
                with open(path, "w") as f:
                    f.write(ZONE)
        with open(os.path.join(workdir, "namaed.toml"), "w") as f:
            f.write(namaed_config_head(self.port, key=KEY) + f"""{policy}
[[zone]]
name = "{STATIC}"
file = "{STATIC}.zone"
allow-transfer = ["127.0.0.0/8"]
dnssec = true
{static_extra}

[[zone]]
name = "{DYNAMIC}"
file = "{DYNAMIC}.zone"
journal = "{DYNAMIC}.db"
allow-transfer = ["127.0.0.0/8"]
update-policy = [ {{ key = "{KEY[0]}", grant = "zonesub" }} ]
{dynamic_extra}
""")
        self.log_path = os.path.join(workdir, "namaed.log")

    def start(self, expect_fail=False):
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen([namae_bin("namaed"), "--config", os.path.join(self.dir, "namaed.toml"),
                                      "--foreground"], stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)
        log.close()
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                if expect_fail:
                    return self.log()
                raise RuntimeError("namaed exited:\n" + self.log())
            if not expect_fail:
                try:
                    if self.query(DYNAMIC, "SOA").rcode() == dns.rcode.NOERROR:
                        return self
                except Exception:
                    pass
            time.sleep(0.05)
        raise RuntimeError("namaed did not start / exit:\n" + self.log())

    def log(self):
        with open(self.log_path) as f:
            return f.read()[-6000:]

    def query(self, name, rdtype, do=True):
        q = dns.message.make_query(name, rdtype, want_dnssec=do)
        return dns.query.tcp(q, "127.0.0.1", port=self.port, timeout=5)

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        stop_process(self.proc)

    def axfr(self, zone, path):
        p = run_checked("dig", "@127.0.0.1", "-p", self.port, zone, "AXFR", "+nocmd", "+nostats", "+onesoa")
        with open(path, "w") as f:
            f.write(p.stdout)
        return p.stdout

    def key_tags(self, zone):
        ans = self.query(zone, "DNSKEY").answer
        return sorted(dns.dnssec.key_id(rd) for rrset in ans if rrset.rdtype == dns.rdatatype.DNSKEY
                      for rd in rrset)

    def update(self, script, lease=None):
        """nsupdate with TSIG, or `namae update --lease` for an RFC 9664 lease."""
        cmd = ["nsupdate"] if lease is None else [namae_bin("namae"), "update", "--lease", str(lease)]
        return run_checked(*cmd, "-y", f"{KEY[1]}:{KEY[0]}:{KEY[2]}", check=False,
                   input=f"server 127.0.0.1 {self.port}\nzone {DYNAMIC}\n{script}send\n")


def verify(srv, zone, csk=True):
    """The zone's AXFR passes dnssec-verify and ldns-verify-zone."""
    path = os.path.join(srv.dir, f"{zone}.axfr")
    text = srv.axfr(zone, path)
    assert "RRSIG" in text and "DNSKEY" in text
    run_checked("dnssec-verify", "-q", *(["-z"] if csk else []), "-o", zone, path)
    run_checked("ldns-verify-zone", path)
    return text


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    if not shutil.which("dnssec-verify") or not shutil.which("ldns-verify-zone"):
        pytest.skip("dnssec-verify or ldns-verify-zone not installed")
    base = str(tmp_path_factory.mktemp("dnssec-online"))
    s = Server(base, dynamic_extra=f'dnssec-policy = "split"\nmax-lease = {LEASE}\nmin-lease = 1\n'
                                   'lease-required = false\n',
               policy='[[dnssec-policy]]\nname = "split"\nalgorithm = "ed25519"\nkeys = "ksk-zsk"\nnsec3 = true\n')
    s.start()
    yield s
    s.stop()


import dns.dnssec  # noqa: E402  (after dns.query: the module imports cryptography lazily)


def test_zones_are_signed_at_start_and_verify(srv):
    static = verify(srv, STATIC)
    assert "NSEC3" not in static and " NSEC " in static.replace("\t", " ")
    dynamic = verify(srv, DYNAMIC, csk=False)
    assert "NSEC3PARAM" in dynamic
    keydir = os.path.join(srv.dir, "keys")
    assert stat.S_IMODE(os.stat(keydir).st_mode) == 0o700
    private = [f for f in os.listdir(keydir) if f.endswith(".private")]
    assert len(private) == 3  # a CSK for the static zone, a KSK and a ZSK for the dynamic one
    for f in private:
        assert stat.S_IMODE(os.stat(os.path.join(keydir, f)).st_mode) == 0o600


def start_unbound(workdir, srv):
    anchors = []
    for zone in (STATIC, DYNAMIC):
        for rrset in srv.query(zone, "DNSKEY").answer:
            if rrset.rdtype == dns.rdatatype.DNSKEY:
                anchors += [f"{zone}. DNSKEY {rd.to_text()}" for rd in rrset if rd.flags & 1]
    return start_validating_unbound(workdir, (f"{STATIC}.", "SOA"), anchors=anchors,
                                    stubs={zone: srv.port for zone in (STATIC, DYNAMIC)},
                                    lines=["qname-minimisation: no"])


@pytest.mark.parametrize("zone", [STATIC, DYNAMIC])
@pytest.mark.parametrize("name,rdtype,rcode", [
    ("www", "A", "NOERROR"), ("nope", "A", "NXDOMAIN"), ("www", "TXT", "NOERROR"),
    ("x.wild", "TXT", "NOERROR"), ("ent", "A", "NOERROR")])
def test_validating_resolver_answers_ad(srv, tmp_path, zone, name, rdtype, rcode):
    proc, port = start_unbound(str(tmp_path), srv)
    try:
        deadline = time.time() + 10
        while True:
            try:
                q = dns.message.make_query(f"{name}.{zone}.", rdtype, want_dnssec=True)
                r = dns.query.udp(q, "127.0.0.1", port=port, timeout=2)
                break
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        assert dns.rcode.to_text(r.rcode()) == rcode
        assert r.flags & dns.flags.AD, r.to_text()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_dnssec_records_cannot_be_updated(srv):
    serial = srv.query(DYNAMIC, "SOA").answer[0][0].serial
    for line in (f"update add {DYNAMIC}. 300 DNSKEY 256 3 15 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
                 f"update delete {DYNAMIC}. NSEC3PARAM\n", f"update delete www.{DYNAMIC}. RRSIG\n",
                 f"update add www.{DYNAMIC}. 300 NSEC {DYNAMIC}. A RRSIG NSEC\n",
                 f"update delete {DYNAMIC}. NSEC3\n"):
        p = srv.update(line)
        assert "REFUSED" in p.stdout + p.stderr, p.stdout + p.stderr
    assert srv.query(DYNAMIC, "SOA").answer[0][0].serial == serial


def updates(first, count, per_message=20):
    """`count` changes from number `first` on: new names (some under new
    empty non-terminals), and every third change deletes an earlier name."""
    scripts, script = [], ""
    for i in range(first, first + count):
        if i % 3 == 2:
            script += f"update delete h{i - 2}.g{(i - 2) % 7}.{DYNAMIC}. A\n"
        else:
            script += f"update add h{i}.g{i % 7}.{DYNAMIC}. 300 A 192.0.2.{i % 250}\n"
        if (i - first + 1) % per_message == 0:
            scripts.append(script)
            script = ""
    if script:
        scripts.append(script)
    return scripts


def send_updates(srv, first, count):
    """updates(first, count), one UPDATE message after the other from one nsupdate."""
    p = srv.update("send\n".join(updates(first, count)))
    assert p.returncode == 0, p.stdout + p.stderr


def test_thousand_updates_restart_and_ixfr(srv):
    before = srv.query(DYNAMIC, "SOA").answer[0][0].serial
    tags = srv.key_tags(DYNAMIC)
    send_updates(srv, 0, 500)
    srv.kill()  # kill -9 half way: the journal has every acknowledged update
    srv.start()
    assert srv.key_tags(DYNAMIC) == tags
    text = verify(srv, DYNAMIC, csk=False)  # as replayed from the journal
    assert f"h498.g{498 % 7}.{DYNAMIC}." in text and f"h0.g0.{DYNAMIC}." not in text
    send_updates(srv, 500, 500)
    text = verify(srv, DYNAMIC, csk=False)
    assert f"h999.g{999 % 7}.{DYNAMIC}." in text and f"h0.g0.{DYNAMIC}." not in text
    ixfr = run_checked("dig", "@127.0.0.1", "-p", srv.port, DYNAMIC, f"IXFR={before}", "+nocmd", "+nostats").stdout
    assert "RRSIG" in ixfr and "NSEC3" in ixfr


def test_thousand_updates_to_an_nsec_zone(tmp_path):
    """The same changes to a dynamic zone signed with the defaults (a CSK,
    NSEC): its NSEC chain follows every name added and removed."""
    s = Server(str(tmp_path), dynamic_extra="dnssec = true\n")
    s.start()
    try:
        send_updates(s, 0, 1000)
        text = verify(s, DYNAMIC)
        assert "NSEC3" not in text and f"h999.g{999 % 7}.{DYNAMIC}." in text
    finally:
        s.stop()


def test_lease_expiry_keeps_the_zone_signed(srv):
    p = srv.update(f"update add leased.{DYNAMIC}. 300 A 192.0.2.99\nupdate add leased.sub2.{DYNAMIC}. 300 A 192.0.2.98\n",
                   lease=LEASE)
    assert p.returncode == 0, p.stdout + p.stderr
    assert srv.query(f"leased.{DYNAMIC}.", "A").answer
    time.sleep(LEASE + 2.5)
    assert not srv.query(f"leased.{DYNAMIC}.", "A").answer, srv.log()
    verify(srv, DYNAMIC, csk=False)


def test_restart_reuses_keys_and_raises_the_signed_serial(tmp_path):
    s = Server(str(tmp_path))
    s.start()
    tags = s.key_tags(STATIC)
    serial = s.query(STATIC, "SOA").answer[0][0].serial
    s.stop()
    s.start()
    try:
        assert s.key_tags(STATIC) == tags
        # Signed afresh from the same file: a new version under a higher
        # serial, or secondaries holding the last one would never take it.
        assert s.query(STATIC, "SOA").answer[0][0].serial == serial + 1
        verify(s, STATIC)
    finally:
        s.stop()


def test_unusable_key_files_stop_the_start(tmp_path):
    s = Server(str(tmp_path))
    s.start()
    s.stop()
    keydir = tmp_path / "keys"
    private = next(f for f in os.listdir(keydir) if f.startswith(f"K{STATIC}") and f.endswith(".private"))
    os.chmod(keydir / private, 0o644)
    out = s.start(expect_fail=True)
    assert private in out and "read" in out.lower(), out
    os.chmod(keydir / private, 0o600)
    # Keys of another algorithm than the policy's that no state file names
    # (with one, they are rolled to the policy's: test_dnssec_rollover).
    os.remove(keydir / f"{STATIC}.keystate")
    s2 = Server(str(tmp_path), static_extra='dnssec-policy = "ed"\n',
                policy='[[dnssec-policy]]\nname = "ed"\nalgorithm = "ed25519"\n')
    out = s2.start(expect_fail=True)
    assert private in out and "algorithm" in out, out


@pytest.mark.parametrize("zone", [STATIC, DYNAMIC])
def test_expired_presigned_zone_is_signed_afresh(tmp_path, zone):
    signed = tmp_path / "presigned"
    path = tmp_path / "in.zone"
    path.write_text(f"$ORIGIN {zone}.\n" + ZONE)
    run_checked(namae_bin("namae"), "zone", "sign", path, "--origin", zone, "--key-dir", tmp_path / "oldkeys",
        "--output", signed)
    text = signed.read_text()
    # Expire the signatures: dates in RRSIGs rewritten to the past.
    import re
    text = re.sub(r"(RRSIG\s+\S+\s+\d+\s+\d+\s+\d+\s+)\d{14}\s+\d{14}", r"\g<1>20200102000000 20200101000000", text)
    assert "20200102000000" in text
    s = Server(str(tmp_path / "srv"), dynamic_extra="dnssec = true\n")
    with open(os.path.join(s.dir, f"{zone}.zone"), "w") as f:
        f.write(text)
    s.start()
    try:
        verify(s, zone)
        assert "20200102000000" not in s.axfr(zone, os.path.join(s.dir, "again"))
    finally:
        s.stop()


def signed_for(srv, name):
    """Seconds between the inception and the expiration of `name`'s A RRSIG."""
    sigs = [rd for rrset in srv.query(name, "A").answer if rrset.rdtype == dns.rdatatype.RRSIG for rd in rrset]
    assert sigs, name
    return sigs[0].expiration - sigs[0].inception


def test_signature_timing_changes_live(tmp_path):
    """`namae ctl reconfigure` gives a signed zone a new signature validity
    at once (same keys); a change of keys or denial waits for a restart."""
    day, hour = 86400, 3600
    policy = '[[dnssec-policy]]\nname = "p"\nsignature-validity = {}\nsignature-refresh = 86400\nnsec3 = false\n'
    s = Server(str(tmp_path), static_extra='dnssec-policy = "p"\n', dynamic_extra='dnssec-policy = "p"\n',
               policy=policy.format(3 * day))
    conf = os.path.join(s.dir, "namaed.toml")
    s.start()
    try:
        assert s.update(f"update add a.{DYNAMIC}. 300 A 192.0.2.50\n").returncode == 0
        assert signed_for(s, f"a.{DYNAMIC}.") == 3 * day + hour
        tags = s.key_tags(DYNAMIC)
        text = open(conf).read()
        open(conf, "w").write(text.replace(f"signature-validity = {3 * day}", f"signature-validity = {5 * day}"))
        with open(os.path.join(s.dir, f"{STATIC}.zone"), "w") as f:  # re-read by the reconfiguration
            f.write(ZONE.replace(" 1 7200", " 2 7200") + "new A 192.0.2.60\n")
        out = run_checked(namae_bin("namae"), "ctl", "-s", os.path.join(s.dir, "ctl.sock"), "reconfigure").stdout
        assert f"zone {DYNAMIC}: signature-validity changed" in out and "restart" not in out, out
        assert s.update(f"update add b.{DYNAMIC}. 300 A 192.0.2.51\n").returncode == 0
        assert signed_for(s, f"b.{DYNAMIC}.") == 5 * day + hour
        assert signed_for(s, f"a.{DYNAMIC}.") == 3 * day + hour  # renewed at its refresh point
        assert signed_for(s, f"new.{STATIC}.") == 5 * day + hour
        assert s.key_tags(DYNAMIC) == tags
        verify(s, DYNAMIC)
        verify(s, STATIC)
        # Another denial of existence needs a restart: NSEC stays meanwhile.
        text = open(conf).read()
        open(conf, "w").write(text.replace("nsec3 = false", "nsec3 = true"))
        out = run_checked(namae_bin("namae"), "ctl", "-s", os.path.join(s.dir, "ctl.sock"), "reconfigure").stdout
        assert f"[[zone]] {DYNAMIC} dnssec" in out and "needs a restart" in out, out
        assert s.update(f"update add c.{DYNAMIC}. 300 A 192.0.2.52\n").returncode == 0
        assert "NSEC3" not in verify(s, DYNAMIC)
    finally:
        s.stop()


def test_signing_starts_live(tmp_path):
    """`dnssec = true` on a running dynamic zone, and a new zone with
    `dnssec = true`, are signed at `namae ctl reconfigure` as at a start:
    keys made, the zone signed whole (the dynamic one journaled), updates
    signed from then on, the same keys after a restart."""
    s = Server(str(tmp_path))
    conf = os.path.join(s.dir, "namaed.toml")
    s.start()
    try:
        assert s.update(f"update add before.{DYNAMIC}. 300 A 192.0.2.70\n").returncode == 0
        assert not any(rrset.rdtype == dns.rdatatype.RRSIG for rrset in s.query(DYNAMIC, "SOA").answer)
        with open(os.path.join(s.dir, "new.test.zone"), "w") as f:
            f.write(ZONE)
        text = open(conf).read()
        text = text.replace(f'journal = "{DYNAMIC}.db"', f'journal = "{DYNAMIC}.db"\ndnssec = true')
        text += '\n[[zone]]\nname = "new.test"\nfile = "new.test.zone"\nallow-transfer = ["127.0.0.0/8"]\ndnssec = true\n'
        open(conf, "w").write(text)
        out = run_checked(namae_bin("namae"), "ctl", "-s", os.path.join(s.dir, "ctl.sock"), "reconfigure").stdout
        assert f"zone {DYNAMIC}: dnssec changed: served anew" in out and "zone new.test: added" in out, out
        assert "restart" not in out, out
        assert f"before.{DYNAMIC}." in verify(s, DYNAMIC)
        verify(s, "new.test")
        assert s.update(f"update add after.{DYNAMIC}. 300 A 192.0.2.71\n").returncode == 0
        assert f"after.{DYNAMIC}." in verify(s, DYNAMIC)
        tags = s.key_tags(DYNAMIC), s.key_tags("new.test")
        s.stop()
        s.start()
        assert (s.key_tags(DYNAMIC), s.key_tags("new.test")) == tags
        verify(s, DYNAMIC)
    finally:
        s.stop()

"""Key rollovers of zones namaed signs (issue 14), on real time with short
intervals: TTLs of 1 s, propagation delays of 1 s, lifetimes of 8 s.

ZSK pre-publication (a zone from its file): the new ZSK appears in the
DNSKEY RRset, signs the zone 2 s later, and the old one leaves 2 s after
that; namaed is restarted in the middle. KSK roll (a dynamic zone): the new
KSK appears and signs the DNSKEY RRset, the CDS/CDNSKEY RRsets switch to
it, `namae ctl dnssec ds` prints its DS exactly as `dnssec-dsfromkey -2`
does; a validating Unbound trusting the old DS and one trusting the new DS
both answer AD=1 through the roll, across a kill -9 and restart; the old
KSK leaves only after `namae ctl dnssec ds-seen`. CSK roll (a dynamic
zone): the same double-KSK steps with the zone's data signed by the new
CSK from the CDS switch on. A change of key split (csk to ksk-zsk live at
reconfigure, ksk-zsk to csk at a restart) rolls every key the same way. At
every step the zone's AXFR passes dnssec-verify and ldns-verify-zone.
"""
import os
import shutil
import subprocess
import time

import dns.dnssec
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from conftest import free_port, namae_bin, run_checked, stop_process, wait_until
from unbound_peer import start_validating_unbound

KEY = ("upd", "hmac-sha256", "dXBkYXRlLWtleS1mb3ItZG5zc2VjLXRlc3RzLTAxMjM0NTY3")
ZONE = """$TTL 1
@ IN SOA ns hostmaster 1 7200 3600 1209600 1
@ NS ns
ns A 192.0.2.1
www A 192.0.2.2
mail A 192.0.2.3
host.ent A 192.0.2.4
"""
TIMING = """keys = "ksk-zsk"
dnskey-ttl = 1
propagation-delay = 1
parent-ds-ttl = 1
parent-propagation-delay = 1
"""


class Server:
    def __init__(self, workdir, zone, lifetimes, dynamic, timing=TIMING):
        self.dir, self.zone, self.port = workdir, zone, free_port()
        self.csk = 'keys = "csk"' in timing
        os.makedirs(workdir, exist_ok=True)
        with open(os.path.join(workdir, f"{zone}.zone"), "w") as f:
            f.write(ZONE)
        journal = f'journal = "{zone}.db"\nupdate-policy = [ {{ key = "{KEY[0]}", grant = "zonesub" }} ]\n'
        with open(os.path.join(workdir, "namaed.toml"), "w") as f:
            f.write(f"""[server]
listen = ["127.0.0.1:{self.port}"]
workers = 1
control = "ctl.sock"

[http]
listen = ""

[[key]]
name = "{KEY[0]}"
algorithm = "{KEY[1]}"
secret = "{KEY[2]}"

[[dnssec-policy]]
name = "roll"
{timing}{lifetimes}

[[zone]]
name = "{zone}"
file = "{zone}.zone"
allow-transfer = ["127.0.0.0/8"]
dnssec-policy = "roll"
{journal if dynamic else ""}
""")
        self.log_path = os.path.join(workdir, "namaed.log")

    def start(self):
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen([namae_bin("namaed"), "--config", os.path.join(self.dir, "namaed.toml"),
                                      "--foreground"], stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)
        log.close()

        def up():
            if self.proc.poll() is not None:
                raise RuntimeError("namaed exited:\n" + open(self.log_path).read()[-4000:])
            try:
                return self.query(self.zone, "SOA").rcode() == dns.rcode.NOERROR
            except Exception:
                return False
        wait_until("namaed", up, 30)
        return self

    def query(self, name, rdtype):
        q = dns.message.make_query(name, rdtype, want_dnssec=True)
        return dns.query.tcp(q, "127.0.0.1", port=self.port, timeout=5)

    def rrset(self, name, rdtype):
        r = self.query(name, rdtype)
        return [s for s in r.answer if s.rdtype == dns.rdatatype.from_text(rdtype)]

    def dnskeys(self):
        """{tag: flags} of the DNSKEY RRset."""
        return {dns.dnssec.key_id(rd): rd.flags for s in self.rrset(self.zone, "DNSKEY") for rd in s}

    def dnskeys_if(self, count):
        keys = self.dnskeys()
        return keys if len(keys) == count else None

    def signers(self, name, covered):
        """Key tags of the RRSIGs over (name, covered)."""
        r = self.query(name, covered)
        return sorted(rd.key_tag for s in r.answer if s.rdtype == dns.rdatatype.RRSIG for rd in s
                      if rd.type_covered == dns.rdatatype.from_text(covered))

    def cds_tags(self):
        return sorted(rd.key_tag for s in self.rrset(self.zone, "CDS") for rd in s)

    def ctl(self, *words, check=True):
        return run_checked(namae_bin("namae"), "ctl", "-s", os.path.join(self.dir, "ctl.sock"), *words, check=check)

    def ds_lines(self):
        out = self.ctl("dnssec", "ds", self.zone).stdout.splitlines()
        assert out[0] == "ok"
        return sorted(out[1:])

    def edit_config(self, old, new):
        conf = os.path.join(self.dir, "namaed.toml")
        with open(conf) as f:
            text = f.read()
        assert old in text, old
        with open(conf, "w") as f:
            f.write(text.replace(old, new))

    def verify(self, label):
        path = os.path.join(self.dir, f"{label}.axfr")
        p = run_checked("dig", "@127.0.0.1", "-p", self.port, self.zone, "AXFR", "+nocmd", "+nostats", "+onesoa")
        with open(path, "w") as f:
            f.write(p.stdout)
        assert "CDS" in p.stdout and "CDNSKEY" in p.stdout
        run_checked("dnssec-verify", "-q", *(["-z"] if self.csk else []), "-o", self.zone, path)
        run_checked("ldns-verify-zone", path)

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        stop_process(self.proc)


def dsfromkey(srv, tag):
    keydir = os.path.join(srv.dir, "keys")
    [name] = [f for f in os.listdir(keydir) if f.endswith(f"+{tag:05d}.key")]
    return run_checked("dnssec-dsfromkey", "-2", os.path.join(keydir, name)).stdout.strip()


class Resolver:
    """A validating Unbound trusting one DS for the zone, asked with DO."""

    def __init__(self, workdir, srv, ds_line):
        self.proc, self.port = start_validating_unbound(
            workdir, (f"{srv.zone}.", "SOA"), anchors=[ds_line.replace(" IN DS ", " DS ")],
            stubs={srv.zone: srv.port}, lines=["qname-minimisation: no"])
        self.zone, self.n = srv.zone, 0

    def secure(self):
        """AD=1 for a positive answer and for a denial (names not cached yet)."""
        for name, rcode in (("www", dns.rcode.NOERROR), (f"nx{self.n}-{time.time_ns()}", dns.rcode.NXDOMAIN)):
            q = dns.message.make_query(f"{name}.{self.zone}.", "A", want_dnssec=True)
            r = dns.query.udp(q, "127.0.0.1", port=self.port, timeout=5)
            assert r.rcode() == rcode and r.flags & dns.flags.AD, r.to_text()
        self.n += 1
        return True

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture
def tools():
    for tool in ("dnssec-verify", "ldns-verify-zone", "dnssec-dsfromkey"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} not installed")


def after_the_switch(srv, tmp_path, old_res, cds_key, data_key, dnskey_signers, label):
    """A roll's switch (RFC 7583 3.3.2): the CDS set names `cds_key`,
    `data_key` signs the data, `dnskey_signers` the DNSKEY RRset; the zone
    verifies, and a resolver holding the new DS validates beside the one
    holding the old. Returns the new one."""
    wait_until("the CDS set switched", lambda: srv.cds_tags() == [cds_key])
    wait_until("the new key signing the data", lambda: srv.signers(f"www.{srv.zone}", "A") == [data_key])
    assert srv.signers(f"host.ent.{srv.zone}", "A") == [data_key]
    assert srv.signers(srv.zone, "DNSKEY") == sorted(dnskey_signers)
    new_ds = srv.ds_lines()
    assert new_ds == [dsfromkey(srv, cds_key)]
    srv.verify(label)
    new_res = Resolver(str(tmp_path / "unbound-new"), srv, new_ds[0])
    assert old_res.secure() and new_res.secure()
    return new_res


def test_zsk_prepublication_with_a_restart_midway(tmp_path, tools):
    srv = Server(str(tmp_path / "ns"), "zroll.test", "zsk-lifetime = 8\n", dynamic=False).start()
    res = None
    try:
        keys = srv.dnskeys()
        [ksk] = [t for t, f in keys.items() if f & 1]
        [zsk1] = [t for t, f in keys.items() if not f & 1]
        assert srv.ds_lines() == [dsfromkey(srv, ksk)]
        assert srv.cds_tags() == [ksk]
        srv.verify("start")
        res = Resolver(str(tmp_path / "unbound"), srv, srv.ds_lines()[0])
        assert res.secure()
        assert srv.signers(f"www.{srv.zone}", "A") == [zsk1]
        # Published, not yet signing.
        keys = wait_until("the new ZSK published", lambda: srv.dnskeys_if(3))
        [zsk2] = [t for t in keys if t not in (ksk, zsk1)]
        assert srv.signers(f"www.{srv.zone}", "A") == [zsk1]
        srv.verify("zsk2-published")
        assert res.secure()
        # A restart mid-roll takes the stored state up again: no third ZSK.
        srv.stop()
        srv.start()
        assert set(srv.dnskeys()) <= {ksk, zsk1, zsk2}
        status = srv.ctl("dnssec", "status", srv.zone).stdout
        assert f"key {zsk2} zsk" in status and f"key {zsk1} zsk" in status, status
        # The new ZSK signs, the old one is still published.
        wait_until("the new ZSK signing", lambda: srv.signers(f"www.{srv.zone}", "A") == [zsk2])
        assert srv.signers(f"host.ent.{srv.zone}", "A") == [zsk2]
        assert set(srv.dnskeys()) == {ksk, zsk1, zsk2} or set(srv.dnskeys()) == {ksk, zsk2}
        srv.verify("zsk2-active")
        assert res.secure()
        # Then the old one leaves.
        wait_until("the old ZSK removed", lambda: zsk1 not in srv.dnskeys())
        assert ksk in srv.dnskeys() and zsk2 in srv.dnskeys()
        srv.verify("zsk1-removed")
        assert res.secure()
        assert srv.signers(srv.zone, "DNSKEY") == [ksk]
    finally:
        if res:
            res.stop()
        srv.stop()


def test_ksk_roll_with_cds_and_ds_seen_and_a_kill_midway(tmp_path, tools):
    srv = Server(str(tmp_path / "ns"), "kroll.test", "ksk-lifetime = 8\n", dynamic=True).start()
    old_res = new_res = None
    try:
        keys = srv.dnskeys()
        [ksk1] = [t for t, f in keys.items() if f & 1]
        old_ds = srv.ds_lines()
        assert old_ds == [dsfromkey(srv, ksk1)]
        assert srv.cds_tags() == [ksk1]
        old_res = Resolver(str(tmp_path / "unbound-old"), srv, old_ds[0])
        assert old_res.secure()
        srv.verify("start")
        # The new KSK is published and signs the DNSKEY RRset at once; the
        # CDS set still names the old one.
        keys = wait_until("the new KSK published", lambda: srv.dnskeys_if(3))
        [ksk2] = [t for t, f in keys.items() if f & 1 and t != ksk1]
        assert srv.signers(srv.zone, "DNSKEY") == sorted([ksk1, ksk2])
        # Then the CDS/CDNSKEY RRsets switch to it, and so does `ctl dnssec ds`.
        wait_until("the CDS set switched", lambda: srv.cds_tags() == [ksk2])
        cdnskey = [dns.dnssec.key_id(rd) for s in srv.rrset(srv.zone, "CDNSKEY") for rd in s]
        assert cdnskey == [ksk2]
        assert srv.signers(srv.zone, "CDS") == sorted([ksk1, ksk2])
        new_ds = srv.ds_lines()
        assert new_ds == [dsfromkey(srv, ksk2)]
        srv.verify("ksk2-in-cds")
        # Resolvers holding either DS set validate.
        new_res = Resolver(str(tmp_path / "unbound-new"), srv, new_ds[0])
        assert old_res.secure() and new_res.secure()
        # kill -9 in the middle: the roll waits for the DS report still.
        srv.kill()
        srv.start()
        assert set(srv.dnskeys()) == {ksk1, ksk2} | {t for t, f in keys.items() if not f & 1}
        assert srv.cds_tags() == [ksk2]
        srv.verify("after-kill")
        assert old_res.secure() and new_res.secure()
        # The old key's DS, or one not yet in the CDS set, cannot be reported seen.
        bad = srv.ctl("dnssec", "ds-seen", srv.zone, str(ksk1), check=False)
        assert bad.returncode == 1 and "not in the CDS set" in bad.stdout, bad.stdout
        # An UPDATE may not touch CDS or CDNSKEY.
        p = run_checked("nsupdate", "-y", f"{KEY[1]}:{KEY[0]}:{KEY[2]}", check=False,
                input=f"server 127.0.0.1 {srv.port}\nzone {srv.zone}\nupdate delete {srv.zone}. CDS\nsend\n")
        assert "REFUSED" in p.stdout + p.stderr, p.stdout + p.stderr
        time.sleep(1.5)
        assert srv.dnskeys().keys() >= {ksk1, ksk2}  # still there without the report
        srv.ctl("dnssec", "ds-seen", srv.zone, str(ksk2))
        wait_until("the old KSK removed", lambda: ksk1 not in srv.dnskeys())
        assert srv.signers(srv.zone, "DNSKEY") == [ksk2]
        assert srv.cds_tags() == [ksk2]
        srv.verify("ksk1-removed")
        assert new_res.secure()
    finally:
        for r in (old_res, new_res):
            if r:
                r.stop()
        srv.stop()


def test_csk_roll_with_cds_and_ds_seen(tmp_path, tools):
    """RFC 7583 3.3.2 for a combined key: the new CSK signs the DNSKEY RRset
    from its publication, and everything else from the CDS switch on; the
    old one signs the DNSKEY RRset until ds-seen, so resolvers holding
    either DS validate at each step."""
    srv = Server(str(tmp_path / "ns"), "croll.test", "ksk-lifetime = 8\n", dynamic=True,
                 timing=TIMING.replace('keys = "ksk-zsk"', 'keys = "csk"')).start()
    old_res = new_res = None
    try:
        keys = srv.dnskeys()
        [csk1] = keys
        assert keys[csk1] & 1
        old_ds = srv.ds_lines()
        assert old_ds == [dsfromkey(srv, csk1)] and srv.cds_tags() == [csk1]
        assert srv.signers(f"www.{srv.zone}", "A") == [csk1]
        old_res = Resolver(str(tmp_path / "unbound-old"), srv, old_ds[0])
        assert old_res.secure()
        srv.verify("start")
        # Published: signs the DNSKEY RRset at once, the data not yet.
        keys = wait_until("the new CSK published", lambda: srv.dnskeys_if(2))
        [csk2] = [t for t in keys if t != csk1]
        assert keys[csk2] & 1
        assert srv.signers(srv.zone, "DNSKEY") == sorted([csk1, csk2])
        if srv.cds_tags() == [csk1]:  # Ipub is 2 s: still before the switch
            assert srv.signers(f"www.{srv.zone}", "A") == [csk1]
            srv.verify("csk2-published")
        assert old_res.secure()
        # The CDS switch: the new CSK signs the data, the old one only the DNSKEY RRset.
        new_res = after_the_switch(srv, tmp_path, old_res, csk2, csk2, [csk1, csk2], "csk2-active")
        time.sleep(1.5)
        assert csk1 in srv.dnskeys()  # stays without the report
        srv.ctl("dnssec", "ds-seen", srv.zone, str(csk2))
        wait_until("the old CSK removed", lambda: csk1 not in srv.dnskeys())
        assert srv.signers(srv.zone, "DNSKEY") == [csk2]
        srv.verify("csk1-removed")
        assert new_res.secure()
    finally:
        for r in (old_res, new_res):
            if r:
                r.stop()
        srv.stop()


def test_rollover_timing_applies_at_reconfigure(tmp_path, tools):
    """`namae ctl reconfigure` with a ZSK lifetime where there was none and
    another dnskey-ttl: applied live (no restart reported), the DNSKEY RRset
    served with the new TTL at once and the ZSK rolled by the new lifetime."""
    srv = Server(str(tmp_path / "ns"), "live.test", "", dynamic=False).start()
    res = None
    try:
        [zsk1] = [t for t, f in srv.dnskeys().items() if not f & 1]
        res = Resolver(str(tmp_path / "unbound"), srv, srv.ds_lines()[0])
        assert res.secure()
        time.sleep(3)
        assert len(srv.dnskeys()) == 2  # no lifetime: no roll
        srv.edit_config("dnskey-ttl = 1\n", "dnskey-ttl = 2\nzsk-lifetime = 8\n")
        out = srv.ctl("reconfigure").stdout
        assert "restart" not in out and "zsk-lifetime" in open(srv.log_path).read(), out
        wait_until("the DNSKEY TTL", lambda: all(s.ttl == 2 for s in srv.rrset(srv.zone, "DNSKEY")))
        # Its successor comes Ipub (3 s) before the new lifetime (from its activation) ends.
        keys = wait_until("the new ZSK published", lambda: srv.dnskeys_if(3))
        [zsk2] = [t for t, f in keys.items() if not f & 1 and t != zsk1]
        srv.verify("zsk2-published")
        assert res.secure()
        wait_until("the new ZSK signing", lambda: srv.signers(f"www.{srv.zone}", "A") == [zsk2])
        srv.verify("zsk2-active")
        assert res.secure()
    finally:
        if res:
            res.stop()
        srv.stop()


def test_algorithm_roll_after_a_policy_change(tmp_path, tools):
    """RFC 6781 4.1.4: ECDSA P-256 to Ed25519 on a restart with the new
    policy. Each step of the roll verifies; the resolver trusting the old DS
    validates until the old keys leave, the one trusting the new DS from the
    CDS switch on."""
    # Each step's checks (an AXFR through dnssec-verify and ldns-verify-zone,
    # two resolvers) must fit in the step: 1 s of propagation delay left a
    # 2 s "new RRSIGs" step that a loaded machine overran.
    timing = TIMING.replace("\npropagation-delay = 1\n", "\npropagation-delay = 4\n")
    srv = Server(str(tmp_path / "ns"), "aroll.test", 'algorithm = "ecdsap256sha256"\n', dynamic=True,
                 timing=timing).start()
    old_res = new_res = None
    try:
        old_keys = set(srv.dnskeys())
        [zsk1] = [t for t, f in srv.dnskeys().items() if not f & 1]
        old_res = Resolver(str(tmp_path / "unbound-old"), srv, srv.ds_lines()[0])
        assert old_res.secure()
        srv.stop()
        srv.edit_config('algorithm = "ecdsap256sha256"', 'algorithm = "ed25519"')
        srv.start()
        # New RRSIGs: every RRset signed by both algorithms, the new keys not published yet.
        wait_until("signatures of both algorithms", lambda: len(srv.signers(f"www.{srv.zone}", "A")) == 2)
        [zsk2] = [t for t in srv.signers(f"www.{srv.zone}", "A") if t != zsk1]
        assert set(srv.dnskeys()) == old_keys
        srv.verify("new-rrsigs")
        assert old_res.secure()
        # New DNSKEY: all four keys published; the CDS set still names the old KSK.
        keys = wait_until("the new keys published", lambda: srv.dnskeys_if(4))
        [ksk2] = [t for t, f in keys.items() if f & 1 and t not in old_keys]
        srv.verify("new-dnskey")
        assert old_res.secure()
        # New DS: the CDS set switches to the Ed25519 KSK.
        wait_until("the CDS set switched", lambda: srv.cds_tags() == [ksk2])
        new_ds = srv.ds_lines()
        assert new_ds == [dsfromkey(srv, ksk2)] and " 15 2 " in new_ds[0]
        new_res = Resolver(str(tmp_path / "unbound-new"), srv, new_ds[0])
        srv.verify("new-ds")
        assert old_res.secure() and new_res.secure()
        status = srv.ctl("dnssec", "ds-seen", srv.zone, str(ksk2)).stdout
        assert "removed at" in status, status
        # DNSKEY removal: the old keys leave, their signatures stay a while.
        wait_until("the old keys removed", lambda: set(srv.dnskeys()) == {ksk2, zsk2})
        srv.verify("dnskey-removal")
        assert new_res.secure()
        # RRSIGs removal.
        wait_until("the old signatures removed", lambda: srv.signers(f"www.{srv.zone}", "A") == [zsk2])
        assert srv.signers(srv.zone, "DNSKEY") == [ksk2]
        srv.verify("rrsigs-removal")
        assert new_res.secure()
    finally:
        for r in (old_res, new_res):
            if r:
                r.stop()
        srv.stop()


def test_key_split_change_csk_to_ksk_zsk_live(tmp_path, tools):
    """`keys = "csk"` to `keys = "ksk-zsk"` at `namae ctl reconfigure` is a
    roll of every key (as BIND rolls a policy's new key set): the KSK and
    ZSK are published at once, the KSK signing the DNSKEY RRset beside the
    CSK; Ipub later the CDS set names the KSK and the ZSK signs the data;
    the CSK signs the DNSKEY RRset until the KSK's DS is reported seen, then
    leaves. Resolvers holding either DS validate at each step."""
    # Ipub = Iret = 4 s: a step's checks (an AXFR through both verifiers,
    # two resolvers) fit in it on a loaded machine.
    timing = TIMING.replace('keys = "ksk-zsk"', 'keys = "csk"').replace(
        "\npropagation-delay = 1\n", "\npropagation-delay = 3\n")
    srv = Server(str(tmp_path / "ns"), "split.test", "", dynamic=True, timing=timing).start()
    old_res = new_res = None
    try:
        [csk] = srv.dnskeys()
        old_ds = srv.ds_lines()
        old_res = Resolver(str(tmp_path / "unbound-old"), srv, old_ds[0])
        assert old_res.secure()
        srv.edit_config('keys = "csk"', 'keys = "ksk-zsk"')
        out = srv.ctl("reconfigure").stdout
        assert "restart" not in out, out
        # Published: the CDS set and the data stay the CSK's.
        keys = wait_until("the KSK and ZSK published", lambda: srv.dnskeys_if(3))
        [ksk] = [t for t, f in keys.items() if f & 1 and t != csk]
        [zsk] = [t for t, f in keys.items() if not f & 1]
        if srv.cds_tags() == [csk]:  # Ipub is 4 s: still before the switch
            assert srv.signers(f"www.{srv.zone}", "A") == [csk]
            assert srv.signers(srv.zone, "DNSKEY") == sorted([csk, ksk])
            srv.verify("published")
        assert old_res.secure()
        # The switch: the KSK in the CDS set, the ZSK signing the data.
        new_res = after_the_switch(srv, tmp_path, old_res, ksk, zsk, [csk, ksk], "ksk-zsk-active")
        assert csk in srv.dnskeys()  # stays without the report
        status = srv.ctl("dnssec", "ds-seen", srv.zone, str(ksk)).stdout
        assert "removed at" in status, status
        wait_until("the CSK removed", lambda: set(srv.dnskeys()) == {ksk, zsk})
        assert srv.signers(srv.zone, "DNSKEY") == [ksk]
        assert srv.cds_tags() == [ksk]
        srv.verify("csk-removed")
        assert new_res.secure()
    finally:
        for r in (old_res, new_res):
            if r:
                r.stop()
        srv.stop()


def test_key_split_change_ksk_zsk_to_csk_at_a_restart(tmp_path, tools):
    """The other way, at a restart (where namaed used to make the CSK active
    at once and keep the KSK and ZSK for ever): the CSK signs the DNSKEY
    RRset from its publication, the data and the CDS set from Ipub later;
    the ZSK leaves Iret after that, the KSK once the CSK's DS is seen."""
    timing = TIMING.replace("\npropagation-delay = 1\n", "\npropagation-delay = 3\n")
    srv = Server(str(tmp_path / "ns"), "split2.test", "", dynamic=False, timing=timing).start()
    old_res = new_res = None
    try:
        keys = srv.dnskeys()
        [ksk] = [t for t, f in keys.items() if f & 1]
        [zsk] = [t for t, f in keys.items() if not f & 1]
        old_res = Resolver(str(tmp_path / "unbound-old"), srv, srv.ds_lines()[0])
        assert old_res.secure()
        srv.stop()
        srv.edit_config('keys = "ksk-zsk"', 'keys = "csk"')
        srv.csk = True  # dnssec-verify -z: a key with the SEP flag signs data
        srv.start()
        keys = wait_until("the CSK published", lambda: srv.dnskeys_if(3))
        [csk] = [t for t in keys if t not in (ksk, zsk)]
        assert keys[csk] & 1
        assert old_res.secure()
        new_res = after_the_switch(srv, tmp_path, old_res, csk, csk, [ksk, csk], "csk-active")
        wait_until("the ZSK removed", lambda: set(srv.dnskeys()) == {ksk, csk})
        srv.ctl("dnssec", "ds-seen", srv.zone, str(csk))
        wait_until("the KSK removed", lambda: set(srv.dnskeys()) == {csk})
        assert srv.signers(srv.zone, "DNSKEY") == [csk]
        srv.verify("ksk-removed")
        assert new_res.secure()
    finally:
        for r in (old_res, new_res):
            if r:
                r.stop()
        srv.stop()

"""RFC 5011 automated trust-anchor updates (issue 15): a test root served by
NSD, signed by dnssec-signzone with the KSKs of its key directory; namaed's
trust-anchor file starts as the DS of the first KSK, with auto-trust-anchor
on and a 2 s hold-down. A second KSK appears (AddPend, then Valid once seen
after the hold-down), the first is revoked with dnssec-revoke (Revoked, then
removed), and namaed, restarted on the file alone, still validates. And
RFC 5011 2.3's active refresh: with a 4 s DNSKEY TTL, namaed follows a new
KSK into the file with no client asking it anything.
"""
import os
import shutil
import subprocess
import time

import dns.dnssec
import dns.flags
import dns.message
import dns.query
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest

from conftest import free_port, start_nsd
from test_resolver import Resolverd

pytestmark = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("nsd", "nsd-control", "dnssec-keygen", "dnssec-signzone", "dnssec-revoke",
                                      "dnssec-dsfromkey")),
    reason="needs nsd, nsd-control and BIND's dnssec tools")

HOLD_DOWN = 2


class SignedRoot:
    def __init__(self, work, ttl=60):
        self.work = work
        self.ttl = ttl
        self.keys = os.path.join(work, "keys")
        os.makedirs(self.keys)
        self.port = free_port()
        self.serial = 0
        self.nsd = None

    def keygen(self):
        return subprocess.run(["dnssec-keygen", "-q", "-K", self.keys, "-a", "ECDSAP256SHA256", "-f", "KSK", "."],
                              check=True, capture_output=True, text=True).stdout.strip()

    def revoke(self, key):
        out = subprocess.run(["dnssec-revoke", "-r", "-K", self.keys, key], check=True, capture_output=True,
                             text=True).stdout.strip()
        return os.path.basename(out)

    def drop(self, key):
        for ext in (".key", ".private", ".state"):
            path = os.path.join(self.keys, key + ext)
            if os.path.exists(path):
                os.remove(path)

    def ds(self, key):
        return subprocess.run(["dnssec-dsfromkey", "-2", os.path.join(self.keys, key + ".key")], check=True,
                              capture_output=True, text=True).stdout.strip()

    def publish(self):
        """Sign the root with every key of the directory and serve it."""
        self.serial += 1
        src = os.path.join(self.work, "root.src")
        with open(src, "w") as f:
            f.write(f"$TTL {self.ttl}\n. SOA ns.root. h.root. {self.serial} 1800 900 604800 60\n. NS ns.root.\n"
                    "ns.root. A 127.0.0.1\nprobe. TXT \"probe\"\n")
        out = src + ".signed"
        subprocess.run(["dnssec-signzone", "-S", "-z", "-K", self.keys, "-o", ".", "-e", "+864000", "-f", out, src],
                       check=True, capture_output=True, text=True, cwd=self.work)  # its dsset- file goes there
        text = open(out).read()
        if not self.nsd:
            self.nsd = start_nsd(os.path.join(self.work, "nsd"), zones={".": text}, port=self.port, control=True)
            return
        with open(os.path.join(self.work, "nsd", "..zone"), "w") as f:
            f.write(text)
        subprocess.run(["nsd-control", "-c", os.path.join(self.work, "nsd", "nsd.conf"), "reload", "."], check=True,
                       capture_output=True)
        deadline = time.time() + 10
        while time.time() < deadline:
            r = dns.query.udp(dns.message.make_query(".", "SOA"), "127.0.0.1", port=self.port, timeout=2)
            if r.answer and r.answer[0][0].serial == self.serial:
                return
            time.sleep(0.05)
        raise RuntimeError("NSD did not load the new root")


def key_tag(key):
    return int(key.split("+")[-1])


def anchor_states(path):
    """{key tag: state} of the DNSKEY lines of namaed's trust-anchor file, and whether a DS line is left."""
    states, ds = {}, False
    for line in open(path):
        fields = line.split(";")[0].split()
        if "DS" in fields[1:4]:
            ds = True
        if "DNSKEY" not in fields[1:4]:
            continue
        i = fields.index("DNSKEY")
        rd = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DNSKEY, " ".join(fields[i + 1:]))
        states[dns.dnssec.key_id(rd)] = line.split("state=")[1].split()[0]
    return states, ds


@pytest.fixture
def env(tmp_path):
    root = SignedRoot(str(tmp_path))
    started = []
    try:
        yield root, started
    finally:
        for n in started:
            n.stop()
        if root.nsd:
            root.nsd.stop()


def namaed_on(root, k1):
    """The hints, the anchor file (k1's DS) and namaed's config for `root`."""
    hints = os.path.join(root.work, "root.hints")
    with open(hints, "w") as f:
        f.write(". 3600000 NS ns.root.\nns.root. 3600000 A 127.0.0.1\n")
    anchor = os.path.join(root.work, "root.anchor")
    with open(anchor, "w") as f:
        f.write(root.ds(k1) + "\n")
    config = (f'validate = true\ntrust-anchor-file = "{anchor}"\nauto-trust-anchor = true\n'
              f"trust-anchor-hold-down = {HOLD_DOWN}\ndo-not-query-localhost = false\nupstream-port = {root.port}\n"
              "empty-zones = false")
    return hints, anchor, config


def test_rfc5011_key_rollover_followed_and_written(env):
    root, started = env
    k1 = root.keygen()
    root.publish()
    hints, anchor, config = namaed_on(root, k1)

    def start():
        started.append(Resolverd(hints, config))
        return started[-1]

    n = start()

    def secure():
        q = dns.message.make_query("probe.", "TXT", want_dnssec=True)
        r = dns.query.udp(q, "127.0.0.1", port=n.port, timeout=8)
        return r.rcode() == 0 and bool(r.flags & dns.flags.AD)

    def fresh_look():
        n.ctl("cache", "flush", ".")  # the root's keys are fetched, and seen, again
        assert secure()
        return anchor_states(anchor)

    assert secure()
    assert anchor_states(anchor) == ({key_tag(k1): "valid"}, False)  # the DS became the key it names
    k2 = root.keygen()
    root.publish()
    assert fresh_look() == ({key_tag(k1): "valid", key_tag(k2): "addpend"}, False)
    time.sleep(HOLD_DOWN + 0.5)
    assert fresh_look() == ({key_tag(k1): "valid", key_tag(k2): "valid"}, False)
    k1r = root.revoke(k1)
    root.publish()
    assert fresh_look() == ({key_tag(k1r): "revoked", key_tag(k2): "valid"}, False)
    time.sleep(HOLD_DOWN + 0.5)
    assert fresh_look() == ({key_tag(k2): "valid"}, False)
    # The old key gone from the root, namaed restarted on its file alone.
    root.drop(k1r)
    root.publish()
    n.stop()
    started.clear()
    n = start()
    assert secure()
    assert anchor_states(anchor) == ({key_tag(k2): "valid"}, False)


def wait_for_states(path, want, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if anchor_states(path) == want:
            return
        time.sleep(0.1)
    assert anchor_states(path) == want


def test_rfc5011_active_refresh_without_client_queries(env):
    """RFC 5011 2.3: the query interval is half the DNSKEY TTL of 4 s (the
    2 s hold-down stands in for the hour floor, as Unbound's
    permit-small-holddown): namaed asks the root for its keys at startup and
    every 2 s on its own, so its file follows a new KSK though no client asks."""
    root, started = env
    root.ttl = 4
    k1 = root.keygen()
    root.publish()
    hints, anchor, config = namaed_on(root, k1)
    started.append(Resolverd(hints, config))
    wait_for_states(anchor, ({key_tag(k1): "valid"}, False), 5)  # the startup query adopted the DS's key
    k2 = root.keygen()
    root.publish()
    wait_for_states(anchor, ({key_tag(k1): "valid", key_tag(k2): "addpend"}, False), 5)
    wait_for_states(anchor, ({key_tag(k1): "valid", key_tag(k2): "valid"}, False), HOLD_DOWN + 5)

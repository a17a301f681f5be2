"""A signed DNS hierarchy on loopback for the validation tests and benchmarks
(issue 15): a root, a TLD and leaf zones on 127.53.B.1-3:53 served by NSD,
signed by ldns-signzone with keys from dnssec-keygen; the leaf zones are
correct (several algorithms, NSEC, NSEC3, opt-out, an unsigned delegation)
or broken in one way each (see BROKEN).

Also usable as a script: `python3 signed_tree.py DIR` starts it and prints the
root hints path, the trust anchor file and the base address, for
bench/resolver.sh --validate.
"""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conftest import start_nsd  # noqa: E402
from hierarchy import pick_base  # noqa: E402

HOSTS = 50  # h0..h49 in every leaf zone: a few hundred signed names for benchmarks

ROOT, TLD, LEAF = 1, 2, 3

# Leaf zones: how each is signed, and what validating it must give.
SIGNED = {
    "nsec.test.": {"alg": "ECDSAP256SHA256"},
    "nsec3.test.": {"alg": "RSASHA256", "nsec3": 0},
    "ed.test.": {"alg": "ED25519"},
    "optout.test.": {"alg": "ECDSAP256SHA256", "nsec3": 0, "optout": True},
    # Expired half an hour ago, within the clock skew a ten-day validity
    # period is allowed (a tenth of it, at most a day; Unbound's val-sig-skew-max).
    "skew.test.": {"alg": "ECDSAP256SHA256", "dates": (-10 * 86400, -1800)},
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
    hosts = "\n".join(f"h{i} A 192.0.2.{i + 10}" for i in range(HOSTS))
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
{hosts}
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
                                              addr=f"{b}.{i}", control=True))
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

    def queries(self, level=LEAF):
        """Queries the NSD of `level` (ROOT, TLD, LEAF) has answered so far."""
        conf = os.path.join(self.workdir, f"nsd{level}", "nsd.conf")
        out = subprocess.run(["nsd-control", "-c", conf, "stats_noreset"], check=True, capture_output=True,
                             text=True).stdout
        return int(next(line.split("=")[1] for line in out.splitlines() if line.startswith("num.queries=")))

    def stop(self):
        for s in self.servers:
            s.stop()




if __name__ == "__main__":
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    t = SignedTree(d)
    print(f"HINTS={t.hints}")
    print(f"ANCHOR={t.anchor}")
    print(f"BASE={t.base}", flush=True)

    def bye(*_):
        t.stop()
        sys.exit(0)
    signal.signal(signal.SIGTERM, bye)
    signal.signal(signal.SIGINT, bye)
    while True:
        time.sleep(1)

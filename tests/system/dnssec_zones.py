"""Pre-signed test zones for the DNSSEC serving tests (issue 14): zone texts with
every answer shape, signed in the test with BIND's dnssec-keygen and
dnssec-signzone (NSEC, or NSEC3 with opt-out), children linked by DS."""
import os
import shutil
import subprocess

import pytest


def parent_text(origin, child_ds="", far_ds=""):
    """A parent zone with every answer shape: data, MX, a wildcard, empty
    non-terminals, CNAMEs in zone and into other.test, a DNAME, a signed child
    (DS), an unsigned child, delegations served elsewhere (far: signed, away:
    unsigned), and a name whose RRset only fits 512 octets without its RRSIG."""
    big = "\n".join(f'big TXT "{c * 60}"' for c in "abcdef")
    return f"""$TTL 300
@ SOA ns1 hostmaster 1 3600 900 604800 300
@ NS ns1
ns1 A 127.0.0.1
www A 192.0.2.1
www AAAA 2001:db8::1
mail MX 10 www
*.wild TXT "wildcard"
*.wild MX 10 www
a.b.ent A 192.0.2.5
alias CNAME www
ext CNAME www.other.test.
wcname.wild2 CNAME www
*.wild2 CNAME www
dn DNAME other.test.
child NS ns1.child
ns1.child A 127.0.0.1
{child_ds}
insecure NS ns1.insecure
ns1.insecure A 127.0.0.1
far NS ns1.far
ns1.far A 192.0.2.53
{far_ds}
away NS ns1.away
ns1.away A 192.0.2.54
z1 A 192.0.2.9
z2 A 192.0.2.10
{big}
"""


CHILD = """$TTL 300
@ SOA ns1 hostmaster 1 3600 900 604800 300
@ NS ns1
ns1 A 127.0.0.1
www A 192.0.2.20
"""

OTHER = """$TTL 300
@ SOA ns1 hostmaster 1 3600 900 604800 300
@ NS ns1
ns1 A 127.0.0.1
www A 192.0.2.30
"""


def keygen(keydir, origin):
    """A KSK and a ZSK (ECDSA P-256) for `origin` in `keydir`; the KSK's DNSKEY
    record text (the trust anchor)."""
    ksk = subprocess.run(["dnssec-keygen", "-q", "-K", keydir, "-a", "ECDSAP256SHA256", "-f", "KSK",
                          origin], check=True, capture_output=True, text=True).stdout.strip()
    subprocess.run(["dnssec-keygen", "-q", "-K", keydir, "-a", "ECDSAP256SHA256", origin],
                   check=True, capture_output=True, text=True)
    with open(os.path.join(keydir, ksk + ".key")) as f:
        dnskey = [line for line in f if not line.startswith(";")][0].strip()
    ds = subprocess.run(["dnssec-dsfromkey", "-2", os.path.join(keydir, ksk + ".key")],
                        check=True, capture_output=True, text=True).stdout.strip()
    return dnskey, ds


def sign(workdir, origin, text, nsec3=False, optout=False, start=None, end=None):
    """Sign `text` as `origin` with fresh keys in workdir/keys-ORIGIN; returns
    (signed zone path, KSK DNSKEY text, DS text)."""
    if not shutil.which("dnssec-signzone"):
        pytest.skip("dnssec-signzone not installed")
    keydir = os.path.join(workdir, f"keys-{origin}")
    os.makedirs(keydir, exist_ok=True)
    dnskey, ds = keygen(keydir, origin)
    src = os.path.join(workdir, f"{origin}.unsigned")
    with open(src, "w") as f:
        f.write(text)
    out = os.path.join(workdir, f"{origin}.signed")
    cmd = ["dnssec-signzone", "-q", "-S", "-K", keydir, "-o", origin, "-f", out]
    if nsec3:
        cmd += ["-3", "aabbccdd", "-H", "1"] + (["-A"] if optout else [])
    if start:
        cmd += ["-s", start]
    if end:
        cmd += ["-e", end, "-P"]  # -P: no verification (it rejects expired signatures)
    subprocess.run(cmd + [src], check=True, capture_output=True, text=True, cwd=workdir)
    return out, dnskey, ds


def signed_tree(workdir, parent, mode):
    """parent signed with `mode` ("nsec", "nsec3", or "optout": NSEC3 with
    opt-out), its signed child `child.PARENT` linked by DS and its unsigned
    child `insecure.PARENT`. Returns ({origin: zone file}, {origin: KSK
    DNSKEY text})."""
    nsec3 = mode != "nsec"
    child = f"child.{parent}"
    child_path, _, child_ds = sign(workdir, child, CHILD, nsec3=nsec3)
    _, _, far_ds = keygen_only(workdir, f"far.{parent}")
    parent_path, parent_key, _ = sign(workdir, parent, parent_text(parent, child_ds, far_ds),
                                      nsec3=nsec3, optout=mode == "optout")
    insecure = os.path.join(workdir, f"insecure.{parent}.zone")
    with open(insecure, "w") as f:
        f.write(CHILD)
    files = {parent: parent_path, child: child_path, f"insecure.{parent}": insecure}
    return files, {parent: parent_key}


def keygen_only(workdir, origin):
    """Keys for a zone that is never served (a delegation's DS to point at)."""
    keydir = os.path.join(workdir, f"keys-{origin}")
    os.makedirs(keydir, exist_ok=True)
    dnskey, ds = keygen(keydir, origin)
    return None, dnskey, ds

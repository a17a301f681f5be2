"""namae zone sign / verify against BIND's and ldns's signers and verifiers.

A zone with a delegation and its glue, a signed delegation (DS), a wildcard,
an empty non-terminal and a CNAME is signed for each algorithm with NSEC and
with NSEC3; dnssec-verify and ldns-verify-zone must accept the result, and
namae zone verify must accept dnssec-signzone's and ldns-signzone's output
(signed with namae's keys: BIND's key format) and reject damaged zones.
"""
import os
import stat

import pytest

from conftest import run_checked

NAMAE = os.path.join(os.environ.get("NAMAE_BIN", "build/bin"), "namae")
ORIGIN = "example.test"

ZONE = """$ORIGIN example.test.
$TTL 3600
@       IN SOA ns1 hostmaster 2026120601 7200 3600 1209600 300
@       IN NS ns1
@       IN MX 10 mail
ns1     IN A 192.0.2.1
mail    IN A 192.0.2.2
mail    IN AAAA 2001:db8::2
www     IN CNAME mail
*.wild  IN TXT "wildcard"
host.ent.deep IN A 192.0.2.3
sub     IN NS ns.sub
ns.sub  IN A 192.0.2.4
secure  IN NS ns.elsewhere.test.
secure  IN DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
"""


@pytest.fixture
def zone(tmp_path):
    path = tmp_path / "zone"
    path.write_text(ZONE)
    return path


def sign(zone, keydir, out, *extra):
    return run_checked(NAMAE, "zone", "sign", zone, "--origin", ORIGIN, "--key-dir", keydir, "--output", out, *extra)


def verify_all(path, csk=True):
    # -z: a combined signing key has the SEP flag, so dnssec-verify must not
    # require a separate ZSK.
    run_checked("dnssec-verify", "-q", *(["-z"] if csk else []), "-o", ORIGIN, path)
    run_checked("ldns-verify-zone", path)
    p = run_checked(NAMAE, "zone", "verify", path, "--origin", ORIGIN)
    assert "chain complete" in p.stdout


@pytest.mark.parametrize("algorithm", ["ECDSAP256SHA256", "ED25519", "RSASHA256"])
@pytest.mark.parametrize("nsec3", [False, True], ids=["nsec", "nsec3"])
def test_signed_zone_verifies_everywhere(tmp_path, zone, algorithm, nsec3):
    keydir = tmp_path / "keys"
    out = tmp_path / "zone.signed"
    sign(zone, keydir, out, "--algorithm", algorithm, *(["--nsec3"] if nsec3 else []))
    verify_all(out)
    text = out.read_text()
    assert ("NSEC3PARAM" in text) == nsec3
    # New keys were made: one CSK, private file 0600.
    private = [f for f in os.listdir(keydir) if f.endswith(".private")]
    assert len(private) == 1
    assert stat.S_IMODE(os.stat(keydir / private[0]).st_mode) == 0o600
    # A second run reuses the key.
    sign(zone, keydir, out, "--algorithm", algorithm)
    assert len([f for f in os.listdir(keydir) if f.endswith(".private")]) == 1


def test_ksk_zsk_split(tmp_path, zone):
    out = tmp_path / "zone.signed"
    sign(zone, tmp_path / "keys", out, "--ksk-zsk")
    verify_all(out, csk=False)
    assert len([f for f in os.listdir(tmp_path / "keys") if f.endswith(".private")]) == 2


def test_readable_key_refused(tmp_path, zone):
    keydir = tmp_path / "keys"
    sign(zone, keydir, tmp_path / "zone.signed")
    private = keydir / next(f for f in os.listdir(keydir) if f.endswith(".private"))
    os.chmod(private, 0o640)
    p = run_checked(NAMAE, "zone", "sign", zone, "--origin", ORIGIN, "--key-dir", keydir, "--output",
            tmp_path / "again", check=False)
    assert p.returncode == 1
    assert "readable by group or others" in p.stderr


def keys_of(keydir):
    return sorted(str(keydir / f[:-len(".private")]) for f in os.listdir(keydir) if f.endswith(".private"))


@pytest.mark.parametrize("nsec3", [False, True], ids=["nsec", "nsec3"])
def test_accepts_bind_and_ldns_output(tmp_path, zone, nsec3):
    keydir = tmp_path / "keys"
    sign(zone, keydir, tmp_path / "ours")  # makes the key
    bind_out = tmp_path / "bind.signed"
    run_checked("dnssec-signzone", "-q", "-z", "-d", tmp_path, "-S", "-K", keydir, "-o", ORIGIN, "-f", bind_out,
        *(["-3", "-"] if nsec3 else []), zone)
    run_checked(NAMAE, "zone", "verify", bind_out, "--origin", ORIGIN)
    ldns_out = tmp_path / "ldns.signed"
    run_checked("ldns-signzone", *(["-n"] if nsec3 else []), "-f", ldns_out, zone, *keys_of(keydir))
    run_checked(NAMAE, "zone", "verify", ldns_out, "--origin", ORIGIN)


def rewrite(path, out, change):
    lines = path.read_text().splitlines()
    out.write_text("\n".join(change(lines)) + "\n")
    return out


def problems(path):
    p = run_checked(NAMAE, "zone", "verify", path, "--origin", ORIGIN, check=False)
    assert p.returncode == 1, p.stdout + p.stderr
    return p.stderr


def test_rejects_damaged_zones(tmp_path, zone):
    keydir = tmp_path / "keys"
    signed = tmp_path / "zone.signed"
    sign(zone, keydir, signed)

    def changed_rdata(lines):
        return [l.replace("192.0.2.2", "192.0.2.99") for l in lines]
    assert "mail.example.test. A: RRSIG by key" in problems(rewrite(signed, tmp_path / "a", changed_rdata))

    def removed_nsec(lines):
        return [l for l in lines if not (l.startswith("mail.example.test.") and "\tNSEC\t" in l)]
    assert "mail.example.test. NSEC: missing" in problems(rewrite(signed, tmp_path / "b", removed_nsec))

    # Expired: signed by dnssec-signzone with our key, valid only in 2020.
    expired = tmp_path / "expired"
    run_checked("dnssec-signzone", "-q", "-z", "-d", tmp_path, "-S", "-K", keydir, "-o", ORIGIN, "-f", expired,
        "-P", "-s", "20200101000000", "-e", "20200201000000", zone)
    assert "the signature has expired" in problems(expired)
    run_checked(NAMAE, "zone", "verify", expired, "--origin", ORIGIN, "--no-time")

"""Every RR type: namae's presentation text and wire form against BIND 9.18 and dnspython.

tests/data/rdata/rdata.test.zone holds records of every type named-checkzone reads,
rdata.test.bind what `named-compilezone -s full -F text` printed for it (the unit
test RdataBind.* checks namae against that stored copy). Here BIND runs live:

- its output must still equal the stored copy (so the copy cannot drift);
- `namae zone check --dump` must print the same records with the same rdata text;
- a message dnspython builds from BIND's text must decode in namae to the octets
  dnspython encoded (for the types dnspython knows).

BIND splits long hex and base64 fields into 56-character chunks (its `-s full`
style); namae prints them whole, so those chunks are joined before comparing.
"""

import os
import pathlib
import shutil
import subprocess

import dns.exception
import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "rdata"
ZONE = DATA / "rdata.test.zone"
STORED = DATA / "rdata.test.bind"
ORIGIN = "rdata.test."
NAMAE_BIN = pathlib.Path(os.environ.get("NAMAE_BIN", REPO / "build" / "bin"))
NAMAE = NAMAE_BIN / "namae"
MSGTOOL = NAMAE_BIN / "namae_msgtool"
COMPILEZONE = shutil.which("named-compilezone")

pytestmark = [
    pytest.mark.skipif(not NAMAE.exists(), reason=f"{NAMAE} not built"),
    pytest.mark.skipif(COMPILEZONE is None, reason="named-compilezone not installed"),
]

# Types whose last field is hex or base64 that BIND prints in chunks.
CHUNKED = {
    "DS", "CDS", "TA", "DLV", "DNSKEY", "CDNSKEY", "KEY", "RKEY", "RRSIG", "SIG", "CERT",
    "SINK", "SSHFP", "IPSECKEY", "DHCID", "TLSA", "SMIMEA", "OPENPGPKEY", "ZONEMD", "HHIT",
    "BRID", "EID", "NIMLOC",
}
BLOB = set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/=")


def bind_dump():
    """named-compilezone's text for the zone, without its status lines."""
    # -i local: full integrity checks would resolve out-of-zone names over the network.
    r = subprocess.run(
        [COMPILEZONE, "-i", "local", "-s", "full", "-f", "text", "-F", "text", "-o", "-", ORIGIN,
         ZONE.name],
        cwd=DATA, capture_output=True, text=True, timeout=60,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return "".join(l + "\n" for l in r.stdout.splitlines()
                   if not l.startswith("zone ") and l != "OK")


def join_chunks(rdtype, rdata):
    if rdtype not in CHUNKED:
        return rdata
    out, chunk = [], 0
    for tok in rdata.split(" "):
        blob = bool(tok) and set(tok) <= BLOB
        if out and chunk == 56 and blob:
            out[-1] += tok
        else:
            out.append(tok)
        chunk = len(tok) if blob else 0
    return " ".join(out)


def bind_records(text):
    """(owner, ttl, class, type, rdata text) of each record line of BIND's dump."""
    out = []
    for line in text.splitlines():
        if not line.strip() or line.startswith(";"):
            continue
        owner, ttl, rdclass, rest = line.split(None, 3)
        parts = rest.split(None, 1)
        rdtype = parts[0]
        # The rdata starts one separator after the type (A6's empty suffix keeps a second space).
        after = rest[len(rdtype):]
        rdata = after[1:] if after[:1] in (" ", "\t") else after
        rdata = rdata.lstrip("\t")
        out.append((owner.lower(), int(ttl), rdclass, rdtype, join_chunks(rdtype, rdata)))
    return out


def namae_records():
    r = subprocess.run([str(NAMAE), "zone", "check", str(ZONE), "--origin", ORIGIN, "--dump"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    out = []
    for line in r.stdout.splitlines():
        owner, ttl, rdclass, rdtype, rdata = line.split("\t", 4)
        out.append((owner.lower(), int(ttl), rdclass, rdtype, rdata))
    return out


def test_stored_bind_text_is_current():
    assert bind_dump() == STORED.read_text(), (
        "BIND's output changed: regenerate tests/data/rdata/rdata.test.bind "
        "(the command is in rdata.test.zone's header) and review the difference"
    )


def test_namae_dump_prints_what_bind_prints():
    theirs = sorted(bind_records(bind_dump()))
    mine = sorted(namae_records())
    only_bind = [r for r in theirs if r not in mine]
    only_namae = [r for r in mine if r not in theirs]
    assert not only_bind and not only_namae, (
        f"only in BIND: {only_bind[:10]}\nonly in namae: {only_namae[:10]}")


@pytest.mark.skipif(not MSGTOOL.exists(), reason="namae_msgtool not built")
def test_wire_matches_dnspython():
    msg = dns.message.Message(id=1)
    expected = []
    for owner, ttl, rdclass, rdtype, rdata in bind_records(bind_dump()):
        try:
            rd = dns.rdata.from_text(rdclass, rdtype, rdata, relativize=False)
        except (dns.exception.SyntaxError, dns.rdatatype.UnknownRdatatype, dns.exception.DNSException):
            continue  # a type dnspython 2.3 does not know (namae's text is checked against BIND above)
        if isinstance(rd, dns.rdata.GenericRdata):
            continue
        rrset = dns.rrset.RRset(dns.name.from_text(owner), rd.rdclass, rd.rdtype)
        rrset.add(rd, ttl)
        msg.answer.append(rrset)
        expected.append((rdtype, rd.to_wire().hex().upper(), rdata))
    assert len(expected) > 100, "dnspython should know most of the types"
    r = subprocess.run([str(MSGTOOL), "parse", msg.to_wire().hex()], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 0, r.stderr
    import json
    got = json.loads(r.stdout)["answer"]
    assert len(got) == len(expected)
    for rr, (rdtype, wire, text) in zip(got, expected):
        assert rr["wire"].upper() == wire, f"{rdtype} {text}: namae {rr['wire']} dnspython {wire}"
        assert rr["rdata"] == text, f"{rdtype}: namae prints {rr['rdata']!r}, BIND {text!r}"

"""Cross-checks namae's message codec against an independent implementation.

Messages built by dnspython must parse in namae (tests/tools/namae_msgtool) with
the same content, and messages built by namae must parse in dnspython with the
same content. Rdata is compared by value: namae's presentation text is read
back by dnspython and compared with dnspython's own object, and namae's
uncompressed wire form with dnspython's.
"""
import json
import os
import subprocess

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest

BIN = os.environ.get("NAMAE_BIN", os.path.join(os.path.dirname(__file__), "..", "..", "build", "bin"))
TOOL = os.path.join(BIN, "namae_msgtool")

SAMPLES = [
    ("A", "192.0.2.1"),
    ("AAAA", "2001:db8::1"),
    ("AAAA", "::ffff:192.0.2.1"),
    ("NS", "ns1.example.com."),
    ("CNAME", "target.example.com."),
    ("DNAME", "example.net."),
    ("PTR", "host.example.com."),
    ("SOA", "ns1.example.com. hostmaster.example.com. 2026112401 7200 3600 1209600 300"),
    ("MX", "10 mail.example.com."),
    ("TXT", '"v=spf1 -all"'),
    ("TXT", '"two" "strings with \\"quotes\\" and \\\\"'),
    ("TXT", '"bin\\000\\255ary"'),
    ("TXT", '""'),
    ("SRV", "0 5 5060 sipserver.example.com."),
    ("NAPTR", '100 10 "S" "SIP+D2U" "" _sip._udp.example.com.'),
    ("NAPTR", '100 50 "a" "z3950+N2L+N2C" "!^urn:cid:.+@([^\\\\.]+\\\\.)(.*)$!\\\\2!i" .'),
    ("CAA", '0 issue "letsencrypt.org"'),
    ("CAA", '128 iodef "mailto:security@example.com"'),
    ("HINFO", '"Generic PC" "Linux"'),
    ("SSHFP", "4 2 123456789abcdef67890123456789abcdef67890123456789abcdef123456789"),
    ("DS", "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118"),
    ("DNSKEY", "257 3 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU="),
    ("RRSIG", "A 8 3 86400 20261224000000 20261124000000 12345 example.com. oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTrPYGv07h108dUKGMeDPKijVCHX3DDKdfb+v6oB9wfuh3DTJXUAfI/M0zmO/zz8bW0Rznl8O3tGNazPwQKkRN20XPXV6nwwfoXmJQbsLNrLfkGJ5D6fwFm8nN+6pBzeDQfsS3Ap3o="),
    ("NSEC", "host.example.com. A MX RRSIG NSEC TYPE1234"),
    ("NSEC", "\\000.host.example.com. NS SOA CAA"),
    ("TYPE65534", "\\# 3 abcdef"),
    ("TYPE65534", "\\# 0"),
]

IN = dns.rdataclass.IN


def run_tool(*args, stdin=None):
    return subprocess.run([TOOL, *args], input=stdin, capture_output=True, text=True, timeout=20)


def namae_parse(wire):
    r = run_tool("parse", wire.hex())
    assert r.returncode == 0, f"namae rejected a dnspython message: {r.stderr}"
    return json.loads(r.stdout)


def same_rdata(rdtype, namae_text, namae_wire_hex, expected):
    got = dns.rdata.from_text(IN, rdtype, namae_text, relativize=False)
    # Compressed names may take their case from an earlier name; compare canonically.
    assert got.to_digestable() == expected.to_digestable(), f"{namae_text!r} != {expected.to_text()!r}"
    assert bytes.fromhex(namae_wire_hex).lower() == expected.to_wire().lower() or \
        rdtype not in (dns.rdatatype.NS, dns.rdatatype.CNAME, dns.rdatatype.SOA, dns.rdatatype.PTR,
                       dns.rdatatype.MX) and bytes.fromhex(namae_wire_hex) == expected.to_wire()


@pytest.mark.parametrize("rdtype_text,rdata_text", SAMPLES, ids=[f"{t}-{i}" for i, (t, _) in enumerate(SAMPLES)])
def test_dnspython_to_namae(rdtype_text, rdata_text):
    rdtype = dns.rdatatype.from_text(rdtype_text)
    rd = dns.rdata.from_text(IN, rdtype, rdata_text, origin=dns.name.root, relativize=False)
    q = dns.message.make_query("Www.Example.COM.", rdtype)
    m = dns.message.make_response(q)
    m.flags |= dns.flags.AA
    m.answer.append(dns.rrset.from_rdata("Www.Example.COM.", 3600, rd))
    # Compression material: an NS in authority and glue in additional.
    m.authority.append(dns.rrset.from_text("example.com.", 7200, "IN", "NS", "ns1.example.com."))
    m.additional.append(dns.rrset.from_text("ns1.example.com.", 7200, "IN", "A", "192.0.2.53"))
    got = namae_parse(m.to_wire())
    assert got["id"] == m.id and got["qr"] == 1 and got["aa"] == 1 and got["rd"] == 1
    assert got["question"] == [{"name": "Www.Example.COM.", "type": rdtype, "class": 1}]
    assert len(got["answer"]) == 1
    a = got["answer"][0]
    assert (a["name"], a["ttl"], a["class"], a["type"]) == ("Www.Example.COM.", 3600, 1, rdtype)
    same_rdata(rdtype, a["rdata"], a["wire"], rd)
    # dnspython compresses case-insensitively, so the case may come from the question.
    assert got["authority"][0]["rdata"].lower() == "ns1.example.com."
    assert got["additional"][0]["rdata"] == "192.0.2.53"


@pytest.mark.parametrize("rdtype_text,rdata_text", SAMPLES, ids=[f"{t}-{i}" for i, (t, _) in enumerate(SAMPLES)])
def test_namae_to_dnspython(rdtype_text, rdata_text):
    rdtype = dns.rdatatype.from_text(rdtype_text)
    rd = dns.rdata.from_text(IN, rdtype, rdata_text, origin=dns.name.root, relativize=False)
    spec = "\n".join([
        "id 4242", "flags qr aa rd",
        f"question www.example.com. IN {rdtype_text}",
        f"answer www.example.com. 3600 IN {rdtype_text} {rdata_text}",
        "authority example.com. 7200 IN NS ns1.example.com.",
        "additional ns1.example.com. 7200 IN A 192.0.2.53",
        "edns 1232 do",
    ])
    r = run_tool("build", stdin=spec)
    assert r.returncode == 0, r.stderr
    wire = bytes.fromhex(r.stdout.strip())
    m = dns.message.from_wire(wire)
    assert m.id == 4242 and m.flags & dns.flags.QR and m.flags & dns.flags.AA
    assert m.edns == 0 and m.payload == 1232 and m.ednsflags & dns.flags.DO
    assert len(m.answer) == 1 and m.answer[0].ttl == 3600 and list(m.answer[0]) == [rd]
    assert m.authority[0] == dns.rrset.from_text("example.com.", 7200, "IN", "NS", "ns1.example.com.")


def test_namae_compresses_like_a_server():
    """Names repeated across sections are compressed, and dnspython agrees on content."""
    lines = ["id 1", "flags qr aa", "question www.example.com. IN MX"]
    lines += [f"answer www.example.com. 300 IN MX {10 * i} mx{i}.example.com." for i in range(1, 6)]
    lines += [f"additional mx{i}.example.com. 300 IN A 192.0.2.{i}" for i in range(1, 6)]
    r = run_tool("build", stdin="\n".join(lines))
    assert r.returncode == 0, r.stderr
    wire = bytes.fromhex(r.stdout.strip())
    m = dns.message.from_wire(wire)
    assert len(m.answer[0]) == 5 and len(m.additional) == 5
    # dnspython's own compressed encoding of the same message is the yardstick.
    assert len(wire) <= len(m.to_wire()), (len(wire), len(m.to_wire()))


def test_edns_options_and_extended_rcode_both_ways():
    q = dns.message.make_query("example.com.", "A", use_edns=0, payload=4096, want_dnssec=True,
                               options=[dns.edns.GenericOption(10, bytes.fromhex("0102030405060708")),
                                        dns.edns.GenericOption(65001, b"xyz")])
    got = namae_parse(q.to_wire())
    assert got["edns"] == {"udp": 4096, "version": 0, "do": True,
                           "options": [{"code": 10, "data": "0102030405060708"},
                                       {"code": 65001, "data": "78797a"}]}
    # BADVERS (16) needs the extended rcode bits in OPT.
    r = run_tool("build", stdin="id 7\nflags qr\nrcode 16\nquestion example.com. IN A\nedns 1232 option 2 00000e10")
    assert r.returncode == 0, r.stderr
    m = dns.message.from_wire(bytes.fromhex(r.stdout.strip()))
    assert m.rcode() == 16
    assert m.options[0].otype == 2 and m.options[0].to_wire() == bytes.fromhex("00000e10")


BAD = {
    "pointer_loop": "0001 8000 0001 0000 0000 0000 c00c 0001 0001",
    "forward_pointer": "0001 8000 0001 0000 0000 0000 c00e 0001 0001 00",
    "pointer_past_end": "0001 8000 0001 0000 0000 0000 c0ff 0001 0001",
    "label_type_0x40": "0001 8000 0001 0000 0000 0000 4161 00 0001 0001",
    "count_beyond_data": "0001 8000 0001 0001 0000 0000 00 0001 0001",
    "truncated_rdata": "0001 8000 0001 0001 0000 0000 00 0001 0001 00 0001 0001 00000e10 0004 c000",
    "two_opts": "0001 0000 0001 0000 0000 0002 00 0001 0001 00 0029 1000 00000000 0000 00 0029 1000 00000000 0000",
    "opt_in_answer": "0001 8000 0001 0001 0000 0000 00 0001 0001 00 0029 1000 00000000 0000",
    "trailing": "0001 0000 0001 0000 0000 0000 00 0001 0001 ff",
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_rejected_by_both(case):
    wire = bytes.fromhex(BAD[case].replace(" ", ""))
    with pytest.raises(Exception):
        dns.message.from_wire(wire)
    r = run_tool("parse", wire.hex())
    assert r.returncode == 1, f"namae accepted {case}: {r.stdout}"


def test_name_too_long_rejected():
    # 5 labels of 63 octets = 320 octets decompressed.
    label = "3f" + "61" * 63
    wire = bytes.fromhex("0001 0000 0001 0000 0000 0000".replace(" ", "") + label * 5 + "00" + "00010001")
    r = run_tool("parse", wire.hex())
    assert r.returncode == 1 and "255" in r.stderr

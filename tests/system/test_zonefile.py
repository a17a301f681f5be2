"""`namae zone check` against BIND's named-checkzone on the zones in tests/data/zones.

good/NAME.zone  must load in both, and the two canonical dumps must hold the same
                record set.
bad/NAME.zone   must be rejected by both (except the documented divergences below).
*.inc           are $INCLUDE fragments, not zones.

The origin of each zone is its file name without ".zone".

Normalisation: BIND's `-D` dump pads with tabs, splits long base64/hex blobs with
spaces, prints one owner spelling per node and orders NSEC3 names last; namae prints
single tabs and canonical order. Both dumps are therefore parsed with dnspython and
compared as sets of (owner, TTL, class, type, rdata) where owners compare
case-insensitively (DNS semantics) and rdata compares by its canonical wire form.

named-checkzone runs with `-i local` (its default integrity checks resolve
out-of-zone names over the network, which tests must never do) and `-k ignore` because namae does not implement BIND's
check-names hostname policy (a policy, not master-file syntax), and in the zone's
directory so that BIND (which resolves $INCLUDE against its working directory) and
namae (which resolves it against the including file, as Knot does) read the same files.
"""

import os
import pathlib
import re
import shutil
import subprocess

import dns.exception
import dns.name
import dns.rdata
import dns.rdatatype
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
ZONES = REPO / "tests" / "data" / "zones"
NAMAE_BIN = pathlib.Path(os.environ.get("NAMAE_BIN", REPO / "build" / "bin"))
NAMAE = NAMAE_BIN / "namae"
CHECKZONE = shutil.which("named-checkzone")

pytestmark = [
    pytest.mark.skipif(not NAMAE.exists(), reason=f"{NAMAE} not built"),
    pytest.mark.skipif(CHECKZONE is None, reason="named-checkzone not installed"),
]

# Zones where namae is deliberately stricter than BIND: {file: reason}.
DIVERGENT = {
    "out-of-zone.test.zone": "BIND ignores out-of-zone records with a warning; namae rejects the zone",
}


def zone_files(kind):
    return sorted(p for p in (ZONES / kind).glob("*.zone"))


def origin_of(path):
    return path.name[: -len(".zone")] + "."


def run_bind(path, dump=True):
    # -i local: BIND's full integrity checks resolve out-of-zone MX/SRV/NS
    # targets through /etc/resolv.conf, i.e. traffic leaving this machine.
    args = [CHECKZONE, "-k", "ignore", "-i", "local"]
    if dump:
        args += ["-D", "-o", "-"]
    args += [origin_of(path), path.name]
    return subprocess.run(args, cwd=path.parent, capture_output=True, text=True, timeout=60)


def run_namae(path, *extra, origin=True):
    args = [str(NAMAE), "zone", "check", str(path)]
    if origin:
        args += ["--origin", origin_of(path)]
    args += list(extra)
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def record_set(dump_text, origin):
    """Parse a one-RR-a-line dump into a set of comparable tuples.

    Rdata is compared by dnspython's canonical wire form; for the few types
    dnspython 2.3 lacks (MINFO, ...) by its text with whitespace collapsed.
    """
    origin = dns.name.from_text(origin)
    out = set()
    for line in dump_text.splitlines():
        if not line.strip() or line.lstrip().startswith(";"):
            continue
        owner, ttl, rdclass, rdtype, rest = (line.split(None, 4) + [""])[:5]
        name = dns.name.from_text(owner, origin).canonicalize().to_text()
        try:
            rd = dns.rdata.from_text(rdclass, rdtype, rest, origin=origin, relativize=False)
            value = rd.to_digestable(dns.name.root)
            code = rd.rdtype
        except (dns.exception.SyntaxError, dns.rdatatype.UnknownRdatatype):
            value = " ".join(rest.split()).lower()
            code = rdtype.upper()
        out.add((name, int(ttl), rdclass.upper(), code, value))
    return out


@pytest.mark.parametrize("path", zone_files("good"), ids=lambda p: p.name)
def test_good_zone_matches_named_checkzone(path):
    bind = run_bind(path)
    assert bind.returncode == 0, f"named-checkzone rejected a 'good' zone:\n{bind.stderr}"
    ours = run_namae(path, "--dump")
    assert ours.returncode == 0, f"namae rejected {path.name}:\n{ours.stderr}"
    assert "loaded serial" in ours.stderr and ours.stderr.rstrip().endswith("OK")
    theirs = record_set(bind.stdout, origin_of(path))
    mine = record_set(ours.stdout, origin_of(path))
    assert theirs, "BIND dumped nothing?"
    assert mine == theirs, (
        f"only in BIND: {sorted(theirs - mine)[:10]}\nonly in namae: {sorted(mine - theirs)[:10]}"
    )


@pytest.mark.parametrize("path", zone_files("good"), ids=lambda p: p.name)
def test_dump_is_canonical_and_round_trips(path, tmp_path):
    first = run_namae(path, "--dump")
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert all(len(l.split("\t")) == 5 for l in lines), "one RR a line: owner ttl class type rdata"
    # The dump is a zone file in itself: namae and BIND both accept it, and
    # namae's second dump is byte-identical (canonical order is a fixed point).
    again = tmp_path / path.name
    again.write_text(first.stdout)
    second = run_namae(again, "--dump")
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    bind = run_bind(again)
    assert bind.returncode == 0, bind.stdout + bind.stderr
    assert record_set(bind.stdout, origin_of(path)) == record_set(first.stdout, origin_of(path))


@pytest.mark.parametrize("path", zone_files("bad"), ids=lambda p: p.name)
def test_bad_zone_rejected_like_named_checkzone(path):
    bind = run_bind(path, dump=False)
    ours = run_namae(path)
    if path.name in DIVERGENT:
        assert bind.returncode == 0, "BIND now rejects it: drop it from DIVERGENT"
        assert ours.returncode != 0, DIVERGENT[path.name]
        return
    assert bind.returncode != 0, f"named-checkzone accepted a 'bad' zone:\n{bind.stdout}"
    assert ours.returncode != 0, f"namae accepted {path.name}:\n{ours.stdout}{ours.stderr}"
    assert "not loaded due to errors" in ours.stdout
    # Every error names the file (and a line when it comes from one).
    errors = [l for l in ours.stderr.splitlines() if ": error: " in l]
    assert errors, ours.stderr
    for line in errors:
        assert line.startswith(str(path)) or line.startswith(str(path.parent)), line


def test_many_errors_reported_with_line_and_column():
    path = ZONES / "bad" / "bad-rdata.test.zone"
    ours = run_namae(path)
    assert ours.returncode == 1
    where = re.findall(r"^(.*?):(\d+):(\d+): error: ", ours.stderr, re.M)
    assert [(int(l), int(c)) for _, l, c in where] == [(6, 5), (7, 8), (8, 6), (9, 3), (10, 9)], (
        ours.stderr
    )
    assert all(f == str(path) for f, _, _ in where)


def test_error_in_included_file_names_that_file(tmp_path):
    (tmp_path / "inc.db").write_text("ok A 192.0.2.1\nbad A 192.0.2\n")
    main = tmp_path / "t.test.zone"
    main.write_text(
        "$TTL 60\n$ORIGIN t.test.\n@ SOA ns h 1 2 3 4 5\n NS ns\nns A 192.0.2.1\n$INCLUDE inc.db\n"
    )
    ours = run_namae(main)
    assert ours.returncode == 1
    assert f"{tmp_path}/inc.db:2:7: error: bad A rdata" in ours.stderr


def test_include_loop_is_an_error(tmp_path):
    (tmp_path / "a.inc").write_text("$INCLUDE b.inc\n")
    (tmp_path / "b.inc").write_text("$INCLUDE a.inc\n")
    main = tmp_path / "loop.test.zone"
    main.write_text("$TTL 60\n$ORIGIN loop.test.\n@ SOA ns h 1 2 3 4 5\n NS ns\nns A 192.0.2.1\n$INCLUDE a.inc\n")
    ours = run_namae(main)
    assert ours.returncode == 1
    assert "$INCLUDE loop" in ours.stderr
    refused = run_namae(main, "--no-include")
    assert refused.returncode == 1 and "$INCLUDE is not allowed" in refused.stderr


def test_origin_defaults_to_soa_owner():
    path = ZONES / "good" / "include.test.zone"
    with_origin = run_namae(path, "--dump")
    without = run_namae(path, "--dump", origin=False)
    assert without.returncode == 0, without.stderr
    assert without.stdout == with_origin.stdout
    assert "zone include.test/IN: loaded serial 42" in without.stderr


def test_relative_names_without_origin_need_one():
    # The reverse zone uses '@' and never says $ORIGIN, like many real files.
    path = ZONES / "good" / "2.0.192.in-addr.arpa.zone"
    ours = run_namae(path, origin=False)
    assert ours.returncode == 1
    assert "before any $ORIGIN (give an origin)" in ours.stderr


def test_check_output_like_named_checkzone():
    path = ZONES / "good" / "nottl.test.zone"
    ours = run_namae(path)
    assert ours.returncode == 0
    assert ours.stdout == "zone nottl.test/IN: loaded serial 1\nOK\n"
    bind = run_bind(path, dump=False)
    assert "zone nottl.test/IN: loaded serial 1\nOK" in bind.stdout
    # Both warn that the SOA MINIMUM stood in for a missing TTL.
    assert "using SOA MINIMUM (120)" in ours.stderr
    assert "using SOA MINTTL" in bind.stdout


def test_usage_errors():
    assert subprocess.run([str(NAMAE), "zone"], capture_output=True).returncode == 2
    assert subprocess.run([str(NAMAE), "zone", "check"], capture_output=True).returncode == 2
    r = subprocess.run([str(NAMAE), "zone", "check", "/nonexistent/zone"], capture_output=True, text=True)
    assert r.returncode == 1 and "No such file" in r.stderr


def test_origin_unknown_without_soa(tmp_path):
    path = tmp_path / "nosoa.zone"
    path.write_text("$TTL 60\nx.nosoa.test. A 192.0.2.1\n")
    ours = run_namae(path, origin=False)
    assert ours.returncode == 1
    assert f"{path}: error: no SOA record found, so the origin is unknown (give --origin)" in ours.stderr
    assert "not loaded due to errors (1 error)" in ours.stdout


def test_zone_checks_name_file_and_line(tmp_path):
    # The same checks namaed applies (zone::load_zone_file), fatal where
    # named-checkzone's are: a delegation without its glue and an MX without
    # an address are reported and the zone loads; an apex NS that is a CNAME
    # is fatal.
    path = tmp_path / "glue.test.zone"
    body = "$TTL 60\n$ORIGIN glue.test.\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n"
    path.write_text(body + "sub NS ns.sub\nmx MX 10 nomail\n")
    ours = run_namae(path)
    assert ours.returncode == 0, ours.stderr
    assert f"{path}:6: warning: sub.glue.test. NS 'ns.sub.glue.test.' has no REQUIRED GLUE" in ours.stderr
    assert f"{path}:7: warning: mx.glue.test. MX 'nomail.glue.test.' has no address records" in ours.stderr
    assert run_bind(path, dump=False).returncode == 0
    path.write_text(body + "@ NS alias\nalias CNAME ns\n")
    ours = run_namae(path)
    assert ours.returncode == 1
    assert f"{path}:6: error: glue.test. NS 'alias.glue.test.' is a CNAME" in ours.stderr
    assert run_bind(path, dump=False).returncode != 0

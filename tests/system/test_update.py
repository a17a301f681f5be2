"""Dynamic update end to end (issue 4): `namae update` and BIND's nsupdate
against BIND's named and against namaed, with the same scripts.

Every prerequisite kind and update kind, each rcode a client can provoke
(NXDOMAIN, YXDOMAIN, NXRRSET, YXRRSET, NOTZONE, NOTAUTH, REFUSED, FORMERR), and
after every failure the proof that nothing was applied: the SOA serial and every
RRset at every name the test touched are compared before and after (no AXFR
needed). TSIG (wrong secret, unknown key, key without a grant), update-policy
(a key granted only its own name), atomic multi-record transactions, RFC 2136's
special rules, TCP, key files, and RFC 9664 leases (granted in the reply;
expiry removes the record and raises the serial; namaed only, BIND has no
leases).

The behaviour checked against both servers is the RFC's; where named and the
RFC allow a choice, the test says so. Servers listen on 127.0.0.1 only.
"""
import os
import base64
import hmac
import re
import struct
import shutil
import socket
import subprocess
import tempfile
import time

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.tsig
import dns.tsigkeyring
import dns.update
import pytest

from conftest import free_port, namae_bin, start_named, stop_process

ZONE_NAME = "example.test"
ZONE = """$ORIGIN example.test.
$TTL 300
@       IN SOA ns1 hostmaster 100 7200 900 1209600 60
@       IN NS  ns1
ns1     IN A   127.0.0.1
www     IN A   192.0.2.1
www     IN A   192.0.2.2
www     IN AAAA 2001:db8::1
mail    IN MX  10 www
txt     IN TXT "hello"
alias   IN CNAME www
sub     IN NS  ns.sub
ns.sub  IN A   127.0.0.9
"""

# (name, algorithm, secret): the zone's administrator key (any name in the
# zone), a host key granted only its own name for A/AAAA, and a key both
# servers know but grant nothing.
ADMIN = ("testkey", "hmac-sha256", "YWRtaW4ta2V5LWZvci11cGRhdGUtdGVzdHMtMDEyMzQ1Njc4OTAx")
HOST = ("host.example.test", "hmac-sha256", "aG9zdC1rZXktZm9yLXVwZGF0ZS10ZXN0cy0wMTIzNDU2Nzg5MDE=")
NOGRANT = ("nogrant", "hmac-sha512", "bm8tZ3JhbnQta2V5LWZvci11cGRhdGUtdGVzdHMtMDEyMzQ1Njc4OTAx")
KEYS = [ADMIN, HOST, NOGRANT]

NAMED_POLICY = ("update-policy { grant testkey zonesub ANY; "
                "grant host.example.test self host.example.test. A AAAA; };")

# Types looked at when comparing zone contents at a name.
TYPES = ["A", "AAAA", "MX", "TXT", "CNAME", "NS", "SRV", "PTR"]

LEASE_MIN, LEASE_MAX = 1, 4  # short leases in namaed's lease zone (seconds)


def y(key):
    return f"{key[1]}:{key[0]}:{key[2]}"


class Namaed:
    """namaed serving ZONE_NAME as a dynamic zone (journal, update-policy)."""

    kind = "namaed"

    def __init__(self, lease=False, extra_keys=(), extra_zone="", y_keys=()):
        self.dir = tempfile.mkdtemp(prefix="namaed-upd-")
        self.addr = "127.0.0.1"
        self.port = free_port()
        with open(os.path.join(self.dir, f"{ZONE_NAME}.zone"), "w") as f:
            f.write(ZONE)
        keys = "".join(f'[[key]]\nname = "{n}"\nalgorithm = "{a}"\nsecret = "{s}"\n\n'
                       for n, a, s in KEYS + list(extra_keys))
        # Keys pasted in the -y form: (name, "alg:name:secret").
        keys += "".join(f'[[key]]\ny = "{ystr}"\n\n' for _, ystr in y_keys)
        extra_policy = "".join(f', {{ key = "{k[0]}", grant = "zonesub" }}'
                               for k in list(extra_keys) + list(y_keys))
        lease_keys = (f"min-lease = {LEASE_MIN}\nmax-lease = {LEASE_MAX}\n"
                      "lease-required = false\n") if lease else ""
        with open(os.path.join(self.dir, "namaed.toml"), "w") as f:
            f.write(f"""[server]
listen = ["127.0.0.1:{self.port}"]
workers = 1
control = "run/ctl.sock"

[http]
listen = ""

{keys}[[zone]]
name = "{ZONE_NAME}"
file = "{ZONE_NAME}.zone"
journal = "{ZONE_NAME}.db"
update-policy = [ {{ key = "{ADMIN[0]}", grant = "zonesub" }},
                  {{ key = "{HOST[0]}", grant = "self", types = ["A", "AAAA"] }}{extra_policy} ]
{lease_keys}{extra_zone}
""")
        self.log_path = os.path.join(self.dir, "namaed.log")
        self.start()

    def start(self):
        """Start namaed on the files in self.dir (again, after kill())."""
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [namae_bin("namaed"), "--config", os.path.join(self.dir, "namaed.toml"),
             "--foreground"], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"namaed exited:\n{self.log()}")
            try:
                if soa_serial(self) is not None:
                    return
            except Exception:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"namaed did not start:\n{self.log()}")

    def log(self):
        with open(self.log_path) as f:
            return f.read()[-4000:]

    def kill(self):
        """SIGKILL: no clean shutdown, no zone file written."""
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        stop_process(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


def start_server(kind, tmp_path_factory):
    if kind == "named":
        keys = {n: (a, s) for n, a, s in KEYS}
        return start_named(str(tmp_path_factory.mktemp("named-upd")),
                           zones={ZONE_NAME: ZONE}, keys=keys, zone_options=NAMED_POLICY)
    return Namaed()


@pytest.fixture(scope="module", params=["named", "namaed"])
def srv(request, tmp_path_factory):
    """Each server in turn, shared by the module's tests (they touch distinct names)."""
    s = start_server(request.param, tmp_path_factory)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def namaed_srv():
    s = Namaed()
    yield s
    s.stop()


# --- looking at the zone ----------------------------------------------------

def query(srv, name, rdtype, timeout=3.0):
    q = dns.message.make_query(name, rdtype)
    q.flags &= ~0x0100  # no RD: ask the authority
    r = dns.query.udp(q, srv.addr, port=srv.port, timeout=timeout)
    if r.flags & dns.flags.TC:
        r = dns.query.tcp(q, srv.addr, port=srv.port, timeout=timeout)
    return r


def soa_serial(srv):
    r = query(srv, ZONE_NAME, "SOA")
    for rrset in r.answer:
        if rrset.rdtype == dns.rdatatype.SOA:
            return rrset[0].serial
    return None


def rrset_at(srv, name, rdtype):
    """Sorted rdata texts of the RRset (and its TTL), or None when absent."""
    r = query(srv, name, rdtype)
    for rrset in r.answer:
        if rrset.rdtype == dns.rdatatype.from_text(rdtype) and \
                rrset.name == dns.name.from_text(name):
            return (rrset.ttl, tuple(sorted(rd.to_text() for rd in rrset)))
    return None


def snapshot(srv, names):
    """The SOA serial and every RRset of TYPES at each name: what a test
    compares to prove that a failed update changed nothing."""
    state = {"serial": soa_serial(srv)}
    for n in names:
        for t in TYPES:
            state[(n, t)] = rrset_at(srv, n, t)
    return state


def fqdn(label):
    return f"{label}.{ZONE_NAME}" if label != "@" else ZONE_NAME


# --- running the clients ----------------------------------------------------

def run_client(client, srv, script, key=ADMIN, args=(), server_line=True, zone_line=True,
               timeout=30):
    """Run `namae update` or nsupdate with `script` on stdin. `server` and
    `zone` lines for `srv` go first unless told otherwise (a script's own
    `zone` line overrides). Zone discovery is tested on its own below."""
    if zone_line:
        script = f"zone {ZONE_NAME}\n" + script
    if server_line:
        script = f"server {srv.addr} {srv.port}\n" + script
    if client == "namae":
        cmd = [namae_bin("namae"), "update"]
    else:
        if not shutil.which("nsupdate"):
            pytest.skip("nsupdate not installed")
        cmd = ["nsupdate"]
    if key is not None:
        cmd += ["-y", y(key)]
    cmd += list(args)
    return subprocess.run(cmd, input=script, capture_output=True, text=True, timeout=timeout)


CLIENTS = ["namae", "nsupdate"]


def expect_ok(p):
    assert p.returncode == 0, f"exit {p.returncode}\nstdout:{p.stdout}\nstderr:{p.stderr}"


def expect_rcode(client, p, rcode):
    """The update was rejected with `rcode`: both clients exit 2 and print it."""
    out = p.stdout + p.stderr
    assert p.returncode == 2, f"exit {p.returncode}\n{out}"
    assert f"update failed: {rcode}" in out, out


# --- every update kind --------------------------------------------------------

@pytest.mark.parametrize("client", CLIENTS)
def test_update_kinds(srv, client):
    """RFC 2136 2.5.1-2.5.4: add, delete RRset, delete all RRsets, delete RR;
    each accepted update raises the serial."""
    h = f"kinds-{client}"
    name = fqdn(h)
    s0 = soa_serial(srv)
    expect_ok(run_client(client, srv, f"""update add {name} 300 A 192.0.2.10
update add {name} 300 A 192.0.2.11
update add {name} 600 TXT "one" "two"
update add {name} 300 AAAA 2001:db8::10
send
"""))
    assert rrset_at(srv, name, "A") == (300, ("192.0.2.10", "192.0.2.11"))
    assert rrset_at(srv, name, "TXT") == (600, ('"one" "two"',))
    assert rrset_at(srv, name, "AAAA") == (300, ("2001:db8::10",))
    s1 = soa_serial(srv)
    assert s1 > s0

    # Delete one RR (class NONE).
    expect_ok(run_client(client, srv, f"update delete {name} A 192.0.2.10\nsend\n"))
    assert rrset_at(srv, name, "A") == (300, ("192.0.2.11",))
    s2 = soa_serial(srv)
    assert s2 > s1

    # Delete an RRset (class ANY, type T); the shorthand `del` as well.
    expect_ok(run_client(client, srv, f"del {name} TXT\nsend\n"))
    assert rrset_at(srv, name, "TXT") is None
    assert rrset_at(srv, name, "AAAA") == (300, ("2001:db8::10",))
    s3 = soa_serial(srv)
    assert s3 > s2

    # Delete every RRset at the name (class ANY, type ANY).
    expect_ok(run_client(client, srv, f"update delete {name}\nsend\n"))
    assert all(rrset_at(srv, name, t) is None for t in TYPES)
    assert soa_serial(srv) > s3
    r = query(srv, name, "A")
    assert r.rcode() == dns.rcode.NXDOMAIN


@pytest.mark.parametrize("client", CLIENTS)
def test_prerequisites_satisfied(srv, client):
    """All five prerequisite kinds (RFC 2136 2.4.1-2.4.5), each satisfied:
    the update behind them is applied. Value-dependent prerequisites on one
    RRset are compared as a whole set (RFC 2136 3.2.3: www has two A records,
    both must be listed)."""
    name = fqdn(f"pre-ok-{client}")
    expect_ok(run_client(client, srv, f"""prereq nxdomain {name}
update add {name} 300 A 192.0.2.20
send
prereq yxdomain {name}
prereq yxrrset {name} A
prereq yxrrset {name} A 192.0.2.20
prereq nxrrset {name} AAAA
prereq yxrrset www.{ZONE_NAME} A 192.0.2.1
prereq yxrrset www.{ZONE_NAME} A 192.0.2.2
update add {name} 300 AAAA 2001:db8::20
send
"""))
    assert rrset_at(srv, name, "A") == (300, ("192.0.2.20",))
    assert rrset_at(srv, name, "AAAA") == (300, ("2001:db8::20",))


# (prerequisite lines, expected rcode); the host "pf-<n>" does not exist,
# www has A 192.0.2.1 and 192.0.2.2 and AAAA.
PREREQ_FAILURES = [
    ("prereq nxdomain www.{z}", "YXDOMAIN"),
    ("prereq yxdomain {h}", "NXDOMAIN"),
    ("prereq nxrrset www.{z} A", "YXRRSET"),
    ("prereq yxrrset www.{z} MX", "NXRRSET"),
    ("prereq yxrrset {h} A", "NXRRSET"),
    # value-dependent: the RRset must match exactly (RFC 2136 3.2.3)
    ("prereq yxrrset www.{z} A 192.0.2.1", "NXRRSET"),
    ("prereq yxrrset www.{z} A 192.0.2.9", "NXRRSET"),
    # the last of several fails: the whole message is refused
    ("prereq yxdomain www.{z}\nprereq nxrrset www.{z} MX\nprereq nxdomain mail.{z}", "YXDOMAIN"),
]


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("case", range(len(PREREQ_FAILURES)))
def test_prerequisite_failures(srv, client, case):
    """Each failing prerequisite gives its RFC 2136 3.2 rcode and leaves the
    zone unchanged, although the message also carried updates."""
    lines, rcode = PREREQ_FAILURES[case]
    h = fqdn(f"pf-{case}-{client}")
    names = [h, f"www.{ZONE_NAME}", f"mail.{ZONE_NAME}"]
    before = snapshot(srv, names)
    p = run_client(client, srv, lines.format(z=ZONE_NAME, h=h) + f"""
update add {h} 300 A 192.0.2.30
update delete www.{ZONE_NAME} AAAA
update add mail.{ZONE_NAME} 300 TXT "changed"
send
""")
    expect_rcode(client, p, rcode)
    assert snapshot(srv, names) == before


def test_failure_message_names_prerequisite(srv):
    """namae update says which prerequisite failed when only one can have."""
    h = fqdn("blame")
    p = run_client("namae", srv, f"prereq yxrrset {h} A\nupdate add {h} 300 A 192.0.2.1\nsend\n")
    assert p.returncode == 2
    assert f"update failed: NXRRSET (prerequisite 'yxrrset {h}. A' not satisfied)" in p.stderr


@pytest.mark.parametrize("client", CLIENTS)
def test_notzone(srv, client):
    """RFC 2136 3.4.1.3: an update name outside the zone is NOTZONE."""
    before = snapshot(srv, [fqdn("nz")])
    p = run_client(client, srv, f"""zone {ZONE_NAME}
update add {fqdn('nz')} 300 A 192.0.2.40
update add outside.invalid. 300 A 192.0.2.40
send
""")
    expect_rcode(client, p, "NOTZONE")
    assert snapshot(srv, [fqdn("nz")]) == before


@pytest.mark.parametrize("client", CLIENTS)
def test_notauth(srv, client):
    """RFC 2136 3.1.2: a zone the server does not serve is NOTAUTH."""
    p = run_client(client, srv, """zone elsewhere.test
update add host.elsewhere.test 300 A 192.0.2.41
send
""")
    expect_rcode(client, p, "NOTAUTH")


@pytest.mark.parametrize("client", CLIENTS)
def test_unsigned_refused(srv, client):
    """Neither server takes unsigned updates here: REFUSED, nothing applied."""
    name = fqdn(f"unsigned-{client}")
    before = snapshot(srv, [name])
    p = run_client(client, srv, f"update add {name} 300 A 192.0.2.42\nsend\n", key=None)
    expect_rcode(client, p, "REFUSED")
    assert snapshot(srv, [name]) == before


@pytest.mark.parametrize("client", CLIENTS)
def test_tsig_wrong_secret(srv, client):
    """RFC 8945 5.2.2: a MAC that does not verify is NOTAUTH/BADSIG (unsigned
    reply), and nothing is applied."""
    name = fqdn(f"badsig-{client}")
    before = snapshot(srv, [name])
    wrong = (ADMIN[0], ADMIN[1], "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZy0w")
    p = run_client(client, srv, f"update add {name} 300 A 192.0.2.43\nsend\n", key=wrong)
    assert p.returncode != 0
    if client == "namae":
        expect_rcode(client, p, "NOTAUTH")
        assert "BADSIG" in p.stderr
    assert snapshot(srv, [name]) == before


def test_tsig_unknown_key(srv):
    """RFC 8945 5.2.1: an unknown key is NOTAUTH/BADKEY."""
    name = fqdn("badkey")
    before = snapshot(srv, [name])
    stranger = ("stranger", "hmac-sha256", ADMIN[2])
    p = run_client("namae", srv, f"update add {name} 300 A 192.0.2.44\nsend\n", key=stranger)
    expect_rcode("namae", p, "NOTAUTH")
    assert "BADKEY" in p.stderr
    assert snapshot(srv, [name]) == before


@pytest.mark.parametrize("client", CLIENTS)
def test_key_without_grant_refused(srv, client):
    """A key the server knows but the policy grants nothing: REFUSED."""
    name = fqdn(f"nogrant-{client}")
    before = snapshot(srv, [name])
    p = run_client(client, srv, f"update add {name} 300 A 192.0.2.45\nsend\n", key=NOGRANT)
    expect_rcode(client, p, "REFUSED")
    assert snapshot(srv, [name]) == before


@pytest.mark.parametrize("client", CLIENTS)
def test_policy_self(srv, client):
    """A key granted only its own name (self) for A/AAAA: may change that
    name's A/AAAA, not another name, not another type; a message mixing an
    allowed and a refused change is refused whole."""
    own = HOST[0]
    other = fqdn(f"self-other-{client}")
    # Start clean (the admin key may do anything).
    expect_ok(run_client(client, srv, f"update delete {own}\nsend\n"))
    expect_ok(run_client(client, srv, f"update add {own} 60 A 192.0.2.50\nsend\n", key=HOST))
    assert rrset_at(srv, own, "A") == (60, ("192.0.2.50",))
    names = [own, other]
    before = snapshot(srv, names)
    p = run_client(client, srv, f"update add {other} 60 A 192.0.2.51\nsend\n", key=HOST)
    expect_rcode(client, p, "REFUSED")
    p = run_client(client, srv, f"update add {own} 60 TXT \"not allowed\"\nsend\n", key=HOST)
    expect_rcode(client, p, "REFUSED")
    p = run_client(client, srv, f"""update add {own} 60 AAAA 2001:db8::50
update add {other} 60 A 192.0.2.51
send
""", key=HOST)
    expect_rcode(client, p, "REFUSED")
    assert snapshot(srv, names) == before
    expect_ok(run_client(client, srv, f"update delete {own} A\nsend\n", key=HOST))
    assert rrset_at(srv, own, "A") is None


@pytest.mark.parametrize("client", CLIENTS)
def test_atomic_transaction(srv, client):
    """Several changes in one message apply together, with one serial step."""
    a, b, c = (fqdn(f"tx{i}-{client}") for i in range(3))
    s0 = soa_serial(srv)
    expect_ok(run_client(client, srv, f"""update add {a} 300 A 192.0.2.60
update add {b} 300 A 192.0.2.61
update add {c} 300 AAAA 2001:db8::62
update delete www.{ZONE_NAME} A 192.0.2.2
update add www.{ZONE_NAME} 300 A 192.0.2.3
send
"""))
    assert soa_serial(srv) == s0 + 1
    assert rrset_at(srv, a, "A") == (300, ("192.0.2.60",))
    assert rrset_at(srv, b, "A") == (300, ("192.0.2.61",))
    assert rrset_at(srv, c, "AAAA") == (300, ("2001:db8::62",))
    assert rrset_at(srv, f"www.{ZONE_NAME}", "A")[1] == ("192.0.2.1", "192.0.2.3")
    # Put www back for the other tests.
    expect_ok(run_client(client, srv, f"""update delete www.{ZONE_NAME} A 192.0.2.3
update add www.{ZONE_NAME} 300 A 192.0.2.2
send
"""))
    assert rrset_at(srv, f"www.{ZONE_NAME}", "A")[1] == ("192.0.2.1", "192.0.2.2")


@pytest.mark.parametrize("client", CLIENTS)
def test_rfc2136_special_rules(srv, client):
    """RFC 2136 3.4.2: duplicate adds change nothing (no serial step); a
    non-CNAME add at a CNAME, and a CNAME add at a name with other data, are
    ignored; the apex SOA and NS cannot be deleted; an add to an existing
    RRset takes the new TTL for the whole RRset (as BIND, RFC 2181 5.2)."""
    h = fqdn(f"rules-{client}")
    expect_ok(run_client(client, srv, f"update add {h} 300 A 192.0.2.70\nsend\n"))
    s0 = soa_serial(srv)
    expect_ok(run_client(client, srv, f"update add {h} 300 A 192.0.2.70\nsend\n"))
    assert soa_serial(srv) == s0
    names = [h, f"alias.{ZONE_NAME}", ZONE_NAME]
    before = snapshot(srv, names)
    expect_ok(run_client(client, srv, f"""update add alias.{ZONE_NAME} 300 A 192.0.2.71
update add {h} 300 CNAME www.{ZONE_NAME}
update delete {ZONE_NAME} NS
update delete {ZONE_NAME} SOA
send
"""))
    assert snapshot(srv, names) == before
    expect_ok(run_client(client, srv, f"update add {h} 120 A 192.0.2.72\nsend\n"))
    assert rrset_at(srv, h, "A") == (120, ("192.0.2.70", "192.0.2.72"))


def tsig_sign_raw(wire, key):
    """Append an RFC 8945 TSIG to raw message octets. dnspython renders an
    empty RRset with TTL 0 whatever its TTL, so malformed messages are
    patched as octets and signed here."""
    name, alg, secret = key
    secret = base64.b64decode(secret)
    kname = dns.name.from_text(name).canonicalize().to_wire()
    aname = dns.name.from_text(alg).to_wire()
    now = int(time.time())
    time_fudge = struct.pack("!HIH", now >> 32, now & 0xffffffff, 300)
    variables = kname + struct.pack("!HI", 255, 0) + aname + time_fudge + struct.pack("!HH", 0, 0)
    digest = {"hmac-sha256": "sha256", "hmac-sha512": "sha512"}[alg]
    mac = hmac.new(secret, wire + variables, digest).digest()
    rdata = aname + time_fudge + struct.pack("!H", len(mac)) + mac + wire[0:2] + \
        struct.pack("!HH", 0, 0)
    rr = kname + struct.pack("!HHIH", 250, 255, 0, len(rdata)) + rdata
    arcount = struct.unpack("!H", wire[10:12])[0] + 1
    return wire[:10] + struct.pack("!H", arcount) + wire[12:] + rr


def set_ttl_of_record(wire, section, index, ttl):
    """Overwrite the TTL of record `index` of `section` (1 = prerequisite,
    2 = update) in raw message octets."""
    msg = dns.message.from_wire(wire)  # checks it parses; offsets found by walking
    pos = 12
    counts = struct.unpack("!HHHH", wire[4:12])

    def skip_name(p):
        while True:
            n = wire[p]
            if n == 0:
                return p + 1
            if n & 0xc0 == 0xc0:
                return p + 2
            p += n + 1

    for _ in range(counts[0]):
        pos = skip_name(pos) + 4
    for sec in (1, 2, 3):
        for i in range(counts[sec]):
            pos = skip_name(pos)
            if sec == section and i == index:
                assert msg is not None
                return wire[:pos + 4] + struct.pack("!I", ttl) + wire[pos + 8:]
            rdlen = struct.unpack("!H", wire[pos + 8:pos + 10])[0]
            pos += 10 + rdlen
    raise AssertionError("no such record")


def test_formerr(srv):
    """RFC 2136 3.2.1: a prerequisite with a non-zero TTL is FORMERR; so is
    (3.4.1.2) a deletion whose TTL is not zero. Nothing applied. namae update
    cannot write such messages, so they are made here."""
    name = fqdn("formerr")
    before = snapshot(srv, [name, f"www.{ZONE_NAME}"])
    for bad in ("prereq_ttl", "delete_ttl"):
        u = dns.update.UpdateMessage(ZONE_NAME)
        if bad == "prereq_ttl":
            u.present(f"www.{ZONE_NAME}", "A")
            u.add(name, 300, "A", "192.0.2.80")
            wire = set_ttl_of_record(u.to_wire(), 1, 0, 300)
        else:
            u.add(name, 300, "A", "192.0.2.80")
            u.delete(f"www.{ZONE_NAME}", "AAAA")
            wire = set_ttl_of_record(u.to_wire(), 2, 1, 300)
        wire = tsig_sign_raw(wire, ADMIN)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(3)
        sock.sendto(wire, (srv.addr, srv.port))
        reply = sock.recv(65535)
        sock.close()
        assert struct.unpack("!H", reply[:2]) == struct.unpack("!H", wire[:2])
        rcode = reply[3] & 0x0f
        assert rcode == dns.rcode.FORMERR, (bad, dns.rcode.to_text(rcode))
    assert snapshot(srv, [name, f"www.{ZONE_NAME}"]) == before


# --- transport, zone discovery, keys, input -------------------------------------

def test_zone_discovery(srv):
    """Without `zone`, the zone is found by an SOA query for the first name
    (here one that does not exist, several labels below the apex)."""
    name = fqdn("deep.below.disc")
    p = run_client("namae", srv, f"update add {name} 300 A 192.0.2.90\nsend\n", args=["-d"],
                   zone_line=False)
    expect_ok(p)
    assert f";; zone {ZONE_NAME}." in p.stderr
    assert rrset_at(srv, name, "A") == (300, ("192.0.2.90",))


def test_zone_discovery_walks_past_referral(srv):
    """A name below a delegation: the SOA query gets a referral (no SOA), so
    namae update asks again one label up, as nsupdate does, until the zone
    that holds the cut answers."""
    p = run_client("namae", srv, f"prereq nxrrset host.deeper.sub.{ZONE_NAME} TXT\nsend\n",
                   args=["-d"], zone_line=False)
    assert f";; zone {ZONE_NAME}." in p.stderr, p.stderr
    assert p.stderr.count(";; Sending SOA query:") >= 2
    assert p.returncode in (0, 2), p.stderr  # what a server makes of glue names is its own


def test_nsupdate_zone_discovery(srv):
    """nsupdate finds the zone with an SOA query signed with its key, and
    insists on a signed reply (RFC 8945 5.3)."""
    name = fqdn("nsupdate-disc")
    p = run_client("nsupdate", srv, f"update add {name} 300 A 192.0.2.89\nsend\n",
                   zone_line=False)
    expect_ok(p)
    assert rrset_at(srv, name, "A") == (300, ("192.0.2.89",))


def test_tcp_and_large_update(srv):
    """-v sends over TCP; a message over 512 octets goes over TCP by itself."""
    name = fqdn("tcp")
    p = run_client("namae", srv, f"update add {name} 300 A 192.0.2.91\nsend\n", args=["-v", "-d"])
    expect_ok(p)
    assert rrset_at(srv, name, "A") == (300, ("192.0.2.91",))
    big = fqdn("bigtxt")
    txt = " ".join(f'"chunk {i:02d} {"x" * 40}"' for i in range(20))
    p = run_client("namae", srv, f"update add {big} 300 TXT {txt}\nsend\n")
    expect_ok(p)
    assert len(rrset_at(srv, big, "TXT")[1][0]) > 900


def test_key_file(srv, tmp_path):
    """-k reads a BIND key clause (as tsig-keygen / `namae key generate
    --format bind` write it)."""
    path = tmp_path / "admin.key"
    path.write_text(f'key "{ADMIN[0]}" {{\n\talgorithm {ADMIN[1]};\n\tsecret "{ADMIN[2]}";\n}};\n')
    name = fqdn("keyfile")
    p = run_client("namae", srv, f"update add {name} 300 A 192.0.2.92\nsend\n", key=None,
                   args=["-k", str(path)])
    expect_ok(p)
    assert rrset_at(srv, name, "A") == (300, ("192.0.2.92",))


def test_key_command_and_file_argument(srv, tmp_path):
    """The `key` command signs like -y; the script may come from a file."""
    name = fqdn("keycmd")
    script = tmp_path / "script.txt"
    script.write_text(f"server {srv.addr} {srv.port}\nkey {ADMIN[1]}:{ADMIN[0]} {ADMIN[2]}\n"
                      f"add {name} 300 A 192.0.2.93\n\n")  # blank line sends
    p = subprocess.run([namae_bin("namae"), "update", str(script)], capture_output=True,
                       text=True, timeout=30)
    expect_ok(p)
    assert "update succeeded" in p.stdout
    assert rrset_at(srv, name, "A") == (300, ("192.0.2.93",))


def test_show_and_answer(srv):
    name = fqdn("show")
    p = run_client("namae", srv, f"""zone {ZONE_NAME}
prereq nxdomain {name}
update add {name} 300 A 192.0.2.94
show
send
answer
""")
    expect_ok(p)
    out = p.stdout
    assert "Outgoing update query:" in out and "opcode: UPDATE" in out
    assert ";; PREREQUISITE SECTION:" in out and ";; UPDATE SECTION:" in out
    assert re.search(rf"{re.escape(name)}\.\s+300\s+IN\s+A\s+192\.0\.2\.94", out)
    assert "Answer:" in out and "status: NOERROR" in out.split("Answer:")[1]
    assert "TSIG PSEUDOSECTION" in out.split("Answer:")[1]  # the reply was signed


def test_input_errors_send_nothing(srv):
    """A bad line stops the run with exit 1 and `stdin:LINE:`; updates before it
    that were not sent yet are not sent (as nsupdate)."""
    name = fqdn("inputerr")
    before = snapshot(srv, [name])
    p = run_client("namae", srv, f"update add {name} 300 A 192.0.2.95\nupdate add {name} 300 A 999.1.1.1\nsend\n")
    assert p.returncode == 1
    assert "stdin:4:" in p.stderr  # lines 1-2 are the server and zone lines run_client adds
    p = run_client("namae", srv, f"update add {name} A 192.0.2.95\nsend\n")
    assert p.returncode == 1 and "TTL" in p.stderr
    p = run_client("namae", srv, f"update add {name} 300 A 192.0.2.95\n")  # EOF, no send
    assert p.returncode == 0
    assert snapshot(srv, [name]) == before


@pytest.mark.parametrize("kind", ["named", "namaed"])
def test_local_address_and_address_acl(kind, tmp_path_factory):
    """`local` picks the source address; both servers let 127.0.0.2 update
    without TSIG (an address ACL) and refuse the same update from 127.0.0.1."""
    if kind == "named":
        s = start_named(str(tmp_path_factory.mktemp("named-acl")), zones={ZONE_NAME: ZONE},
                        keys={}, zone_options="allow-update { 127.0.0.2; };")
    else:
        s = Namaed(extra_zone='allow-update = ["127.0.0.2/32"]')
    try:
        name = fqdn("acl")
        p = run_client("namae", s, f"local 127.0.0.1\nupdate add {name} 60 A 192.0.2.98\nsend\n",
                       key=None)
        expect_rcode("namae", p, "REFUSED")
        assert rrset_at(s, name, "A") is None
        p = run_client("namae", s, f"local 127.0.0.2\nupdate add {name} 60 A 192.0.2.98\nsend\n",
                       key=None)
        expect_ok(p)
        assert rrset_at(s, name, "A") == (60, ("192.0.2.98",))
    finally:
        s.stop()


def test_unreachable_server():
    """Nothing listening: exit 3 after the retries, with the reason."""
    port = free_port()
    p = subprocess.run([namae_bin("namae"), "update", "-u", "1", "-r", "0"],
                       input=f"server 127.0.0.1 {port}\nzone {ZONE_NAME}\n"
                             f"update add a.{ZONE_NAME} 300 A 192.0.2.1\nsend\n",
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 3, p.stderr
    assert "update failed" in p.stderr


def test_lease_against_any_server(srv):
    """--lease adds UPDATE-LEASE; a server without RFC 9664 support ignores it
    (the update still succeeds, and namae says no lease was granted)."""
    name = fqdn("lease-any")
    p = run_client("namae", srv, f"update add {name} 300 A 192.0.2.96\nsend\n",
                   args=["--lease", "3600"])
    expect_ok(p)
    assert "update succeeded" in p.stdout
    if srv.kind == "named":
        assert "no lease granted" in p.stdout
    assert rrset_at(srv, name, "A") == (300, ("192.0.2.96",))


def test_knsupdate_against_namaed(namaed_srv):
    """Knot's knsupdate, a third client: a transaction guarded by a
    prerequisite applies whole; one whose prerequisite fails is NXRRSET and
    applies nothing; signed with hmac-sha512 (NOGRANT is refused, ADMIN not)."""
    if not shutil.which("knsupdate"):
        pytest.skip("knsupdate not installed")
    srv = namaed_srv
    name = fqdn("knot")

    def knsupdate(script, key=ADMIN):
        return subprocess.run(["knsupdate", "-y", y(key)], capture_output=True, text=True,
                              timeout=30, input=f"server {srv.addr} {srv.port}\n"
                              f"zone {ZONE_NAME}.\norigin {ZONE_NAME}.\n{script}")

    p = knsupdate("prereq nxdomain knot\nadd knot 120 A 192.0.2.160\n"
                  'add knot 120 TXT "from knot"\nsend\n')
    assert p.returncode == 0, p.stdout + p.stderr
    assert rrset_at(srv, name, "A") == (120, ("192.0.2.160",))
    assert rrset_at(srv, name, "TXT") == (120, ('"from knot"',))
    before = snapshot(srv, [name])
    p = knsupdate("prereq yxrrset knot A 192.0.2.99\ndel knot A\nadd knot 120 A 192.0.2.161\nsend\n")
    assert p.returncode != 0 and "NXRRSET" in p.stdout + p.stderr, p.stdout + p.stderr
    assert snapshot(srv, [name]) == before
    p = knsupdate("del knot\nsend\n", key=NOGRANT)
    assert p.returncode != 0 and "REFUSED" in p.stdout + p.stderr, p.stdout + p.stderr
    assert snapshot(srv, [name]) == before
    p = knsupdate("prereq yxrrset knot A 192.0.2.160\ndel knot\nsend\n")
    assert p.returncode == 0, p.stdout + p.stderr
    assert rrset_at(srv, name, "A") is None and rrset_at(srv, name, "TXT") is None
    assert soa_serial(srv) == before["serial"] + 1


# --- namaed only: key generation into its config, leases --------------------------

def test_generated_key_works_with_namaed_and_named(tmp_path_factory):
    """`namae key generate` prints a [[key]] block namaed accepts and a -y
    string that signs updates it verifies (and that namaed takes as `y`);
    the bind form configures named."""
    out = subprocess.run([namae_bin("namae"), "key", "generate", "gen.example.test"],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r'secret = "([^"]+)"', out)
    ystr = re.search(r"^(hmac-sha256:gen\.example\.test:\S+)$", out, re.M).group(1)
    assert m and ystr.endswith(m.group(1))
    bind = subprocess.run([namae_bin("namae"), "key", "generate", "gen2", "--format", "bind",
                           "--algorithm", "hmac-sha512"], capture_output=True, text=True,
                          check=True).stdout
    assert bind.startswith('key "gen2" {') and "algorithm hmac-sha512;" in bind
    gen = ("gen.example.test", "hmac-sha256", m.group(1))
    servers = [Namaed(extra_keys=[gen])]
    # The -y line pasted into namaed's config as it is serves as well.
    servers.append(Namaed(y_keys=[(gen[0], ystr)]))
    try:
        keys = {n: (a, s) for n, a, s in KEYS + [gen]}
        servers.append(start_named(str(tmp_path_factory.mktemp("named-gen")),
                                   zones={ZONE_NAME: ZONE}, keys=keys,
                                   zone_options="update-policy { grant gen.example.test "
                                                "zonesub ANY; };"))
        for s in servers:
            p = run_client("namae", s, f"update add g.{ZONE_NAME} 60 A 192.0.2.97\nsend\n",
                           key=gen)
            expect_ok(p)
            assert rrset_at(s, f"g.{ZONE_NAME}", "A") == (60, ("192.0.2.97",))
    finally:
        for s in servers:
            s.stop()


@pytest.fixture
def lease_srv():
    s = Namaed(lease=True)
    yield s
    s.stop()


def lease_of(reply):
    for opt in reply.options:
        if opt.otype == 2:  # UPDATE-LEASE
            return int.from_bytes(opt.data[:4], "big")
    return None


def test_lease_granted_in_reply(lease_srv):
    """RFC 9664: the reply carries UPDATE-LEASE with the granted lease,
    clamped to max-lease; namae update prints it."""
    name = fqdn("leased")
    p = run_client("namae", lease_srv, f"update add {name} 300 A 192.0.2.100\nsend\n",
                   args=["--lease", "3600"])
    expect_ok(p)
    assert f"update succeeded; lease granted {LEASE_MAX} s" in p.stdout
    # The raw reply, seen by dnspython: the option is there.
    keyring = dns.tsigkeyring.from_text({ADMIN[0]: ADMIN[2]})
    u = dns.update.UpdateMessage(ZONE_NAME, keyring=keyring, keyname=ADMIN[0],
                                 keyalgorithm=ADMIN[1])
    u.add(fqdn("leased2"), 300, "A", "192.0.2.101")
    u.use_edns(0, options=[dns.edns.GenericOption(2, (2).to_bytes(4, "big"))])
    r = dns.query.udp(u, lease_srv.addr, port=lease_srv.port, timeout=3)
    assert r.rcode() == dns.rcode.NOERROR
    assert lease_of(r) == 2


def test_lease_expiry_removes_record_and_bumps_serial(lease_srv):
    """When the lease ends the record goes, by a journaled change that raises
    the serial; a record added without a lease stays."""
    leased, kept = fqdn("expiring"), fqdn("permanent")
    expect_ok(run_client("namae", lease_srv, f"update add {kept} 300 A 192.0.2.111\nsend\n"))
    p = run_client("namae", lease_srv, f"update add {leased} 300 A 192.0.2.110\nsend\n",
                   args=["--lease", "1"])
    expect_ok(p)
    assert f"lease granted {LEASE_MIN} s" in p.stdout
    assert rrset_at(lease_srv, leased, "A") == (300, ("192.0.2.110",))
    s0 = soa_serial(lease_srv)
    deadline = time.time() + 15
    while time.time() < deadline and rrset_at(lease_srv, leased, "A") is not None:
        time.sleep(0.2)
    assert rrset_at(lease_srv, leased, "A") is None, "the leased record did not expire"
    assert soa_serial(lease_srv) > s0
    assert rrset_at(lease_srv, kept, "A") == (300, ("192.0.2.111",))


def test_lease_renewal_keeps_record(lease_srv):
    """Re-sending the same add with a lease renews it: the record outlives the
    first lease."""
    name = fqdn("renewed")
    script = f"update add {name} 300 A 192.0.2.120\nsend\n"
    expect_ok(run_client("namae", lease_srv, script, args=["--lease", "3"]))
    for _ in range(4):
        time.sleep(1.5)
        expect_ok(run_client("namae", lease_srv, script, args=["--lease", "3"]))
        assert rrset_at(lease_srv, name, "A") == (300, ("192.0.2.120",))


def test_nsupdate_against_namaed_lease_zone(lease_srv):
    """nsupdate sends no lease; with lease-required = false the record is permanent."""
    name = fqdn("nsupdate-nolease")
    expect_ok(run_client("nsupdate", lease_srv, f"update add {name} 300 A 192.0.2.130\nsend\n"))
    time.sleep(LEASE_MAX + 1.5)
    assert rrset_at(lease_srv, name, "A") == (300, ("192.0.2.130",))


def test_leases_survive_sigkill(lease_srv):
    """Leases are in the journal with the records: after kill -9 and a restart
    a leased record is still served until its lease ends, then removed (serial
    raised); a lease that ended while namaed was down is removed at start."""
    lasting, lapsed = fqdn("lease-restart"), fqdn("lease-lapsed")
    expect_ok(run_client("namae", lease_srv, f"update add {lapsed} 300 A 192.0.2.141\nsend\n",
                         args=["--lease", "1"]))
    expect_ok(run_client("namae", lease_srv, f"update add {lasting} 300 A 192.0.2.140\nsend\n",
                         args=["--lease", str(LEASE_MAX)]))
    added = time.time()
    s0 = soa_serial(lease_srv)
    lease_srv.kill()
    time.sleep(LEASE_MIN + 0.5)  # the short lease ends while namaed is down
    lease_srv.start()
    assert rrset_at(lease_srv, lapsed, "A") is None, "a lease that ended while down was kept"
    if time.time() - added < LEASE_MAX - 0.5:
        assert rrset_at(lease_srv, lasting, "A") == (300, ("192.0.2.140",)), \
            "a leased record was lost across kill -9"
    deadline = added + LEASE_MAX + 10
    while time.time() < deadline and rrset_at(lease_srv, lasting, "A") is not None:
        time.sleep(0.2)
    assert rrset_at(lease_srv, lasting, "A") is None, "the lease did not end after the restart"
    assert time.time() >= added + LEASE_MAX - 1, "removed before its lease ended"
    assert soa_serial(lease_srv) > s0


def test_required_lease_removes_a_vanished_host(tmp_path):
    """A zone with max-lease and the default lease-required: nsupdate (which
    knows nothing of leases) adds a record, the host never comes back, and
    the record stops being served within max-lease."""
    s = Namaed(extra_zone=f"max-lease = {LEASE_MAX}\nmin-lease = {LEASE_MIN}\n")
    try:
        name = fqdn("vanished")
        expect_ok(run_client("nsupdate", s, f"update add {name} 300 A 192.0.2.150\nsend\n"))
        added = time.time()
        assert rrset_at(s, name, "A") == (300, ("192.0.2.150",))
        s0 = soa_serial(s)
        while time.time() < added + LEASE_MAX + 10 and rrset_at(s, name, "A") is not None:
            time.sleep(0.2)
        assert rrset_at(s, name, "A") is None, "the unleased record outlived max-lease"
        assert time.time() >= added + LEASE_MAX - 1
        assert soa_serial(s) > s0
    finally:
        s.stop()


def test_dynamic_max_ttl_caps_added_records():
    """dynamic-max-ttl: nsupdate adds with a long TTL, the record is served
    with the zone's ceiling (short TTLs for moving hosts); records from the
    zone file keep theirs."""
    s = Namaed(extra_zone="dynamic-max-ttl = 30\n")
    try:
        name = fqdn("mover")
        expect_ok(run_client("nsupdate", s, f"update add {name} 86400 A 192.0.2.170\nsend\n"))
        assert rrset_at(s, name, "A") == (30, ("192.0.2.170",))
        expect_ok(run_client("namae", s, f"update add {name} 10 AAAA 2001:db8::170\nsend\n"))
        assert rrset_at(s, name, "AAAA") == (10, ("2001:db8::170",))
        assert rrset_at(s, fqdn("www"), "A") == (300, ("192.0.2.1", "192.0.2.2"))
    finally:
        s.stop()

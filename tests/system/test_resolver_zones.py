"""The resolver's local, stub and forward zones (issue 15).

One namaed serves home.test. (a dynamic zone) and runs the resolver. Checked:
the resolver answers home.test. from the published zone with no upstream
query and shows an nsupdate at once; with local-zones = false the same name
goes over the network (here a stub to namaed's own listener) and is cached;
a [[resolver.stub]] to NSD, answered as Unbound's stub-zone answers; a
[[resolver.forward]] of "." to an Unbound started by the test, with a dead
first forwarder (failover time measured) and a CNAME from the local zone out
to a forwarded name. The root hints point at a closed port, so anything not
routed fails fast.
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import free_port, namae_bin, namaed_config_head, start_nsd, stop_process
from hierarchy import start_unbound

KEY = ("homekey", "hmac-sha256", "aG9tZS1rZXktZm9yLXJlc29sdmVyLXpvbmUtdGVzdHMtMDE=")
HOME = """$ORIGIN home.test.
$TTL 300
@       SOA ns hostmaster 1 7200 900 1209600 60
@       NS  ns
ns      A   127.0.0.1
laptop  A   10.9.0.5
alias   CNAME www.fwd.test.
"""
CORP = """$ORIGIN corp.test.
$TTL 600
@       SOA ns hostmaster 1 7200 900 1209600 60
@       NS  ns
ns      A   127.0.0.1
www     A   10.1.1.1
"""
# start_unbound waits for an answer about this name; the test root is unreachable.
READY = '    local-data: "a.root-servers.test. 60 IN A 127.0.0.1"\n'


class Namaed:
    """namaed serving home.test. with the resolver on; `resolver_extra` is
    appended to [resolver] (stub and forward tables go after it); with
    `http`, /metrics on 127.0.0.1:http_port."""

    def __init__(self, resolver_extra="", tables="", http=False):
        self.dir = tempfile.mkdtemp(prefix="namaed-rz-")
        self.auth_port = free_port()
        self.port = free_port()
        closed = free_port()  # nothing listens: the root is unreachable
        with open(os.path.join(self.dir, "home.test.zone"), "w") as f:
            f.write(HOME)
        with open(os.path.join(self.dir, "root.hints"), "w") as f:
            f.write(". 3600000 NS a.root.test.\na.root.test. 3600000 A 127.0.0.1\n")
        with open(os.path.join(self.dir, "namaed.toml"), "w") as f:
            head = namaed_config_head(self.auth_port, key=KEY)
            if http:
                self.http_port = free_port()
                head = head.replace('[http]\nlisten = ""', f'[http]\nlisten = "127.0.0.1:{self.http_port}"')
            f.write(head + f"""[[zone]]
name = "home.test"
file = "home.test.zone"
journal = "home.test.db"
update-policy = [ {{ key = "{KEY[0]}", grant = "zonesub" }} ]

[resolver]
listen = ["127.0.0.1:{self.port}"]
root-hints = "root.hints"
validate = false  # the test root is unsigned
do-not-query-localhost = false
upstream-port = {closed}
{resolver_extra}
{tables.replace("{auth_port}", str(self.auth_port))}
""")
        self.log_path = os.path.join(self.dir, "namaed.log")
        self.proc = subprocess.Popen([namae_bin("namaed"), "--config", os.path.join(self.dir, "namaed.toml"),
                                      "--foreground"], stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while not os.path.exists(os.path.join(self.dir, "ctl.sock")):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("namaed did not start:\n" + open(self.log_path).read())
            time.sleep(0.05)

    def query(self, name, rtype="A", port=None, rd=True):
        q = dns.message.make_query(name, rtype, use_edns=0)
        if not rd:
            q.flags &= ~dns.flags.RD
        return dns.query.udp(q, "127.0.0.1", port=port or self.port, timeout=5)

    def stats(self):
        r = subprocess.run([namae_bin("namae"), "ctl", "-s", os.path.join(self.dir, "ctl.sock"), "cache", "stats"],
                           capture_output=True, text=True, timeout=10)
        words = r.stdout.split()
        return {words[i]: int(words[i + 1]) for i in range(1, len(words) - 1, 2) if words[i + 1].isdigit()}

    def update(self, *lines):
        script = f"server 127.0.0.1 {self.auth_port}\nzone home.test\n" + "\n".join(lines) + "\nsend\n"
        r = subprocess.run(["nsupdate", "-y", f"{KEY[1]}:{KEY[0]}:{KEY[2]}"], input=script,
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stdout + r.stderr

    def stop(self):
        stop_process(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


def addresses(resp):
    return sorted(rd.address for rrset in resp.answer if rrset.rdtype == 1 for rd in rrset)


@pytest.fixture
def namaed_factory():
    started = []

    def make(**kwargs):
        n = Namaed(**kwargs)
        started.append(n)
        return n
    yield make
    for n in started:
        n.stop()


@pytest.fixture(scope="module")
def unbound(tmp_path_factory):
    """Unbound as the forwarder: it knows fwd.test. (local data) and nothing else."""
    work = str(tmp_path_factory.mktemp("unbound-fwd"))
    hints = os.path.join(work, "root.hints")
    with open(hints, "w") as f:
        f.write(". 3600000 NS a.root.test.\na.root.test. 3600000 A 127.0.0.1\n")
    port = free_port()
    proc = start_unbound(work, hints, port, extra=READY + """    local-zone: "fwd.test." static
    local-data: "www.fwd.test. 120 IN A 192.0.2.7"
    local-data: "fwd.test. 120 IN SOA ns.fwd.test. h.fwd.test. 1 3600 600 86400 60"
""")
    yield port
    stop_process(proc)


def test_local_zone_without_upstream_and_updates_at_once(namaed_factory):
    n = namaed_factory()
    r = n.query("laptop.home.test.")
    assert r.rcode() == dns.rcode.NOERROR and addresses(r) == ["10.9.0.5"]
    # As BIND answers its own zones with recursion on: AA=1 and RA=1.
    assert r.flags & dns.flags.AA and r.flags & dns.flags.RA and r.flags & dns.flags.RD
    nx = n.query("nothing.home.test.")
    assert nx.rcode() == dns.rcode.NXDOMAIN and nx.authority[0].rdtype == 6
    n.update("update delete laptop.home.test. A", "update add laptop.home.test. 300 A 10.9.0.6")
    assert addresses(n.query("laptop.home.test.")) == ["10.9.0.6"]  # no TTL wait
    n.update("update add new.home.test. 300 A 10.9.0.7")
    assert addresses(n.query("new.home.test.")) == ["10.9.0.7"]  # the NXDOMAIN was not cached
    s = n.stats()
    assert s["upstream-queries"] == 0 and s["served-here"] >= 4 and s["entries"] == 0, s


def test_local_zones_off_goes_over_the_network_and_caches(namaed_factory):
    # The only way to home.test. is then the network: a stub to this
    # namaed's own authoritative listener.
    n = namaed_factory(resolver_extra="local-zones = false",
                       tables='[[resolver.stub]]\nname = "home.test"\nservers = ["127.0.0.1:{auth_port}"]\n')
    r = n.query("laptop.home.test.")
    assert addresses(r) == ["10.9.0.5"]
    assert not r.flags & dns.flags.AA and r.flags & dns.flags.RA  # a resolver's answer
    assert n.stats()["upstream-queries"] >= 1
    n.update("update delete laptop.home.test. A", "update add laptop.home.test. 300 A 10.9.0.6")
    assert addresses(n.query("laptop.home.test.", port=n.auth_port)) == ["10.9.0.6"]
    assert addresses(n.query("laptop.home.test.")) == ["10.9.0.5"]  # cached until its TTL runs out


def test_stub_zone_to_nsd_answers_as_unbound_does(namaed_factory, tmp_path):
    nsd = start_nsd(str(tmp_path / "nsd"), zones={"corp.test": CORP})
    try:
        n = namaed_factory(tables=f'[[resolver.stub]]\nname = "corp.test"\nservers = ["127.0.0.1:{nsd.port}"]\n')
        ub_port = free_port()
        ub = start_unbound(str(tmp_path / "unbound"), os.path.join(n.dir, "root.hints"), ub_port,
                           extra=READY + f'stub-zone:\n    name: "corp.test."\n    stub-addr: 127.0.0.1@{nsd.port}\n')
        try:
            for name, rtype in [("www.corp.test.", "A"), ("nope.corp.test.", "A"), ("www.corp.test.", "MX")]:
                ours, theirs = n.query(name, rtype), n.query(name, rtype, port=ub_port)
                assert ours.rcode() == theirs.rcode(), (name, ours, theirs)
                assert sorted(map(str, ours.answer)) == sorted(map(str, theirs.answer)) or \
                    [(a.name, a.rdtype, sorted(map(str, a))) for a in ours.answer] == \
                    [(a.name, a.rdtype, sorted(map(str, a))) for a in theirs.answer], (ours, theirs)
                assert not ours.flags & dns.flags.AA and ours.flags & dns.flags.RA
        finally:
            stop_process(ub)
        # Outside the stub nothing is reachable: SERVFAIL, fast.
        t = time.time()
        assert n.query("www.elsewhere.test.").rcode() == dns.rcode.SERVFAIL
        assert time.time() - t < 3
    finally:
        nsd.stop()


def test_forward_root_to_unbound_with_a_dead_first_forwarder(namaed_factory, unbound):
    dead = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # bound, never read: timeouts
    dead.bind(("127.0.0.1", 0))
    try:
        n = namaed_factory(tables=f'[[resolver.forward]]\nname = "."\n'
                                  f'servers = ["127.0.0.1:{dead.getsockname()[1]}", "127.0.0.1:{unbound}"]\n')
        times = []
        for i in range(8):
            t = time.time()
            r = n.query(f"www.fwd.test." if i == 0 else f"n{i}.fwd.test.")
            times.append(time.time() - t)
            assert r.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN), r
        assert addresses(n.query("www.fwd.test.")) == ["192.0.2.7"]
        # An unmeasured server is explored (as by Unbound), so one question
        # may pay one timeout on the dead forwarder; after it, it is avoided.
        assert max(times) < 1.5, times
        assert sum(t > 0.3 for t in times) <= 1, times
        nx = n.query("nope.fwd.test.")
        assert nx.rcode() == dns.rcode.NXDOMAIN and nx.authority and nx.authority[0].rdtype == 6
        # A local CNAME to a forwarded name: the chain goes on through Unbound.
        alias = n.query("alias.home.test.")
        assert alias.rcode() == dns.rcode.NOERROR and addresses(alias) == ["192.0.2.7"], alias
        assert [a.rdtype for a in alias.answer] == [5, 1]
        print("forward failover times (s):", [round(x, 3) for x in times])
    finally:
        dead.close()


def test_trace_of_a_forwarded_and_a_stub_name(unbound, tmp_path):
    nsd = start_nsd(str(tmp_path / "nsd"), zones={"corp.test": CORP})
    try:
        r = subprocess.run([namae_bin("namae"), "query", "+trace", "--forward", f".=127.0.0.1:{unbound}",
                            "--stub", f"corp.test=127.0.0.1:{free_port()},127.0.0.1:{nsd.port}",
                            "www.fwd.test", "A"], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stdout + r.stderr
        out = r.stdout
        assert f"zone .: asked (forwarder) (127.0.0.1#{unbound}) over UDP: www.fwd.test. A" in out, out
        assert "why this server: forwarder," in out and "rd ra;" in out, out
        assert out.split(";; ANSWER SECTION:")[1].split() == ["www.fwd.test.", "120", "IN", "A", "192.0.2.7"], out
        r = subprocess.run([namae_bin("namae"), "query", "+trace", "+json", "--forward", f".=127.0.0.1:{unbound}",
                            "--stub", f"corp.test=127.0.0.1:{nsd.port}", "www.corp.test", "A"],
                           capture_output=True, text=True, timeout=30)
        steps = json.loads(r.stdout)["steps"]
        assert [(s["zone"], s["server_name"], s["flags"]["rd"]) for s in steps] == \
            [("corp.test.", "(stub server)", False)], steps
        assert json.loads(r.stdout)["answer"] == ["www.corp.test.\t600\tIN\tA\t10.1.1.1"]
    finally:
        nsd.stop()


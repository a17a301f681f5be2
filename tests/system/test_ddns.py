"""Moving hosts end to end (issue 5): `namae ddns` and the HTTPS DynDNS2 API.

Two network namespaces made here, joined by a veth pair: a server host
(10.77.0.1, fd77::1) running namaed with TLS on its HTTP listener, and a
"mobile" host whose address the test moves with `ip addr del/add`. Nothing
leaves the machine; the namespaces are removed at the end.

RFC 2136 path: `namae ddns` in the mobile namespace keeps laptop.mobile.test
pointing at the host's address; after each move the server answers the new
address (and only it) within 1 s + TTL, and a caching resolver (Unbound,
stub zone to namaed) within 1 s + TTL + its one-second clock granularity;
IPv6 and link down/up are followed; the client renews its short lease
so the name outlives several lease lengths; SIGTERM says goodbye (records
deleted at once); a kill -9'd client's name goes when its lease ends; a
second client with another key cannot take the name over; the client retries
with backoff while the server is away; `--ip-from` publishes a NAT's address.

HTTPS path: curl (and `namae ddns --http`) from the mobile host: source
address, explicit myip, nochg, IPv6, and every bad input (no/unknown user,
wrong password, foreign name, malformed IP, not an FQDN, over-long query)
answered with its DynDNS2 word, nothing changed (serial and records
compared) and a log line; then the failed-login limiter ("abuse"). The JSON
REST API lists zones, records and dynamic hosts with lease and source.
Debian's ddclient, pointed at the same endpoint, updates a name too.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from conftest import make_cert, namae_bin

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")

SUFFIX = str(os.getpid())
SRV_NS, MOB_NS = f"nmsrv{SUFFIX}", f"nmmob{SUFFIX}"
SRV_IF, MOB_IF = f"vs{SUFFIX}"[:15], f"vm{SUFFIX}"[:15]
SRV4, SRV6 = "10.77.0.1", "fd77::1"
HTTPS = f"https://{SRV4}:8443"
RESOLVER_PORT = 5300

LAPTOP = ("laptop.mobile.test", "hmac-sha256", "bGFwdG9wLWtleS1mb3ItZGRucy10ZXN0cy0wMTIzNDU2Nzg5")
INTRUDER = ("intruder.mobile.test", "hmac-sha256",
            "aW50cnVkZXIta2V5LWZvci1kZG5zLXRlc3RzLTAxMjM0NTY3ODk=")
LEASE = 5  # seconds: short, so expiry is seen within the test (renewed at 75%: 1.25 s slack)
TTL = 1    # dynamic-max-ttl of mobile.test

MOBILE_ZONE = f"""$ORIGIN mobile.test.
$TTL 300
@    IN SOA ns1 hostmaster 1 7200 900 1209600 60
@    IN NS  ns1
ns1  IN A   {SRV4}
"""
HOME_ZONE = f"""$ORIGIN home.test.
$TTL 300
@    IN SOA ns1.mobile.test. hostmaster.mobile.test. 1 7200 900 1209600 60
@    IN NS  ns1.mobile.test.
www  IN CNAME ns1.mobile.test.
"""
PASSWORDS = {"alice": "alice-secret-1", "bob": "bob-secret-2", "carol": "carol-secret-3"}
HOSTNAMES = {"alice": "alice.home.test", "bob": "bob.home.test", "carol": "www.home.test"}


def run(*cmd, check=True, ns=None, **kw):
    if ns:
        cmd = ("ip", "netns", "exec", ns) + cmd
    return subprocess.run(cmd, check=check, capture_output=True, text=True, **kw)


def y(key):
    return f"{key[1]}:{key[0]}:{key[2]}"


def dig(name, rdtype="A"):
    """The authoritative answer's addresses, asked in the server namespace."""
    r = run("dig", "+short", "+norec", "+time=1", "+tries=1", f"@{SRV4}", name, rdtype,
            ns=SRV_NS, check=False)
    return sorted(line for line in r.stdout.split() if line and not line.startswith(";"))


def resolve(name, rdtype="A"):
    """The answer of the caching resolver (Unbound, in the server namespace),
    asked from the mobile host as any client of it would."""
    r = run("dig", "+short", "+time=1", "+tries=1", "-p", str(RESOLVER_PORT), f"@{SRV4}", name,
            rdtype, ns=MOB_NS, check=False)
    return sorted(line for line in r.stdout.split() if line and not line.startswith(";"))


def serial(zone):
    r = run("dig", "+short", "+norec", f"@{SRV4}", zone, "SOA", ns=SRV_NS)
    return int(r.stdout.split()[2])


def wait_for(pred, timeout, step=0.05):
    start = time.monotonic()
    while True:
        v = pred()
        if v:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            return None
        time.sleep(step)


class World:
    """The two namespaces and namaed in the server one."""

    def __init__(self, tmp):
        self.dir = tmp
        self.mob4 = None
        self.procs = []
        for ns in (SRV_NS, MOB_NS):
            run("ip", "netns", "add", ns)
        run("ip", "link", "add", SRV_IF, "type", "veth", "peer", "name", MOB_IF)
        run("ip", "link", "set", SRV_IF, "netns", SRV_NS)
        run("ip", "link", "set", MOB_IF, "netns", MOB_NS)
        for ns, dev in ((SRV_NS, SRV_IF), (MOB_NS, MOB_IF)):
            run("ip", "link", "set", "lo", "up", ns=ns)
            run("ip", "link", "set", dev, "up", ns=ns)
        # DAD on the mobile side whatever the host's defaults (a test relies on it).
        run("sysctl", "-qw", f"net.ipv6.conf.{MOB_IF}.accept_dad=1",
            f"net.ipv6.conf.{MOB_IF}.dad_transmits=1", ns=MOB_NS)
        run("ip", "addr", "add", f"{SRV4}/24", "dev", SRV_IF, ns=SRV_NS)
        run("ip", "addr", "add", f"{SRV6}/64", "dev", SRV_IF, "nodad", ns=SRV_NS)
        self.set_mobile4("10.77.0.10")
        # TLS for the HTTP listener: a self-signed certificate for the server's address.
        self.cert, self.key = make_cert(os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem"),
                                        "ns1.mobile.test", san=f"IP:{SRV4},DNS:ns1.mobile.test")
        users = []
        for user, host in HOSTNAMES.items():
            line = run(namae_bin(), "passwd", user, "--hostname", host,
                       input=PASSWORDS[user] + "\n").stdout.strip()
            assert line.startswith("{ name = ") and "$argon2id$" in line, line
            users.append(line)
        for zone, text in (("mobile.test", MOBILE_ZONE), ("home.test", HOME_ZONE)):
            with open(os.path.join(tmp, f"{zone}.zone"), "w") as f:
                f.write(text)
        keys = "".join(f'[[key]]\nname = "{n}"\nalgorithm = "{a}"\nsecret = "{s}"\n\n'
                       for n, a, s in (LAPTOP, INTRUDER))
        self.conf = os.path.join(tmp, "namaed.toml")
        with open(self.conf, "w") as f:
            f.write(f"""[server]
listen = ["{SRV4}:53", "[{SRV6}]:53"]
workers = 1
control = "ctl.sock"

{keys}[[zone]]
name = "mobile.test"
file = "mobile.test.zone"
journal = "mobile.test.db"
update-policy = [ {{ key = "{LAPTOP[0]}", grant = "self", types = ["A", "AAAA"] }},
                  {{ key = "{INTRUDER[0]}", grant = "self", types = ["A", "AAAA"] }} ]
min-lease = 1
max-lease = {LEASE + 1}
dynamic-max-ttl = {TTL}

[[zone]]
name = "home.test"
file = "home.test.zone"
journal = "home.test.db"
max-lease = 3600
dynamic-max-ttl = 60

[http]
listen = "{SRV4}:8443"
tls-cert = "cert.pem"
tls-key = "key.pem"
update-ttl = 30
login-failures-per-source = 4
login-failures-per-user = 6
login-failure-window = 30
max-query-length = 512
users = [
  {users[0]}
  {users[1]}
  {users[2]}
]
""")
        self.log_path = os.path.join(tmp, "namaed.log")
        with open(self.log_path, "w") as log:
            self.namaed = subprocess.Popen(
                ["ip", "netns", "exec", SRV_NS, namae_bin("namaed"), "--config", self.conf,
                 "--foreground"], stdout=log, stderr=subprocess.STDOUT)
        if wait_for(lambda: self.namaed.poll() is None and "ready" in self.log(), 20) is None:
            self.namaed.kill()
            self.namaed.wait()
            raise RuntimeError("namaed did not start:\n" + self.log())
        # A caching resolver in front of namaed, as the mobile host's peers would use.
        with open(os.path.join(tmp, "unbound.conf"), "w") as f:
            f.write(f"""server:
  interface: {SRV4}
  port: {RESOLVER_PORT}
  access-control: 10.77.0.0/24 allow
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "{tmp}"
  pidfile: ""
  use-syslog: no
  logfile: ""
  module-config: "iterator"
  local-zone: "test." nodefault
  prefetch: no
  serve-expired: no
stub-zone:
  name: "mobile.test"
  stub-addr: {SRV4}@53
""")
        self.unbound = subprocess.Popen(
            ["ip", "netns", "exec", SRV_NS, "unbound", "-d", "-c", os.path.join(tmp, "unbound.conf")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(self.unbound)
        if wait_for(lambda: resolve("ns1.mobile.test") == [SRV4], 10) is None:
            raise RuntimeError("unbound did not answer for mobile.test")

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def set_mobile4(self, addr):
        if self.mob4:
            run("ip", "addr", "del", f"{self.mob4}/24", "dev", MOB_IF, ns=MOB_NS)
        run("ip", "addr", "add", f"{addr}/24", "dev", MOB_IF, ns=MOB_NS)
        self.mob4 = addr

    def ddns(self, *args, log_name="ddns.log"):
        path = os.path.join(self.dir, log_name)
        with open(path, "a") as log:
            p = subprocess.Popen(["ip", "netns", "exec", MOB_NS, namae_bin(), "ddns", *args],
                                 stdout=log, stderr=subprocess.STDOUT)
        p.log_path = path
        self.procs.append(p)
        return p

    def curl(self, query, user=None, password=None, extra=()):
        cmd = ["curl", "-s", "--max-time", "5", "--cacert", self.cert,
               "-o", "-", "-w", "\n%{http_code}"]
        if user is not None:
            cmd += ["-u", f"{user}:{password}"]
        cmd += list(extra) + [f"{HTTPS}{query}"]
        r = run(*cmd, ns=MOB_NS, check=False)
        body, _, code = r.stdout.rpartition("\n")
        return int(code or 0), body

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.namaed.send_signal(signal.SIGTERM)
        try:
            self.namaed.wait(10)
        except subprocess.TimeoutExpired:
            self.namaed.kill()
            self.namaed.wait()
        remove_namespaces()


def remove_namespaces():
    for ns in (SRV_NS, MOB_NS):  # deleting a namespace also deletes its end of the veth pair
        run("ip", "netns", "del", ns, check=False)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    try:
        w = World(str(tmp_path_factory.mktemp("ddns")))
    except Exception:
        remove_namespaces()
        raise
    yield w
    w.close()


def text_of(p):
    with open(p.log_path) as f:
        return f.read()


def stop(p, sig=signal.SIGTERM):
    p.send_signal(sig)
    p.wait(10)


# --- RFC 2136: namae ddns in the mobile namespace ----------------------------------------

def test_mobility_over_rfc2136(world):
    """Moves are published within 1 s + TTL; the lease is renewed; goodbye deletes."""
    name = "laptop.mobile.test"
    p = world.ddns("-s", SRV4, "-y", y(LAPTOP), "--lease", str(LEASE), "--ttl", str(TTL),
                   "--retry-max", "2", "-v", name)
    assert wait_for(lambda: dig(name) == [world.mob4], 5) is not None, text_of(p)
    assert dig(name, "AAAA") == []  # the mobile host has no global IPv6 address yet

    latencies, via_resolver = [], []
    for addr in ("10.77.0.11", "10.77.0.12", "10.77.0.13"):
        assert resolve(name) == [world.mob4]  # the resolver has the old address cached
        world.set_mobile4(addr)
        start = time.monotonic()
        took = wait_for(lambda: dig(name) == [addr], 1 + TTL)
        assert took is not None, f"{name} not moved to {addr}: {dig(name)}\n{text_of(p)}"
        latencies.append(took)
        # Through the resolver: the record's TTL later at most (its cache, just
        # refreshed above), plus under a second because Unbound's clock counts
        # whole seconds.
        assert wait_for(lambda: resolve(name) == [addr],
                        1 + TTL + 1 - (time.monotonic() - start)) is not None, \
            f"resolver still answers {resolve(name)}"
        via_resolver.append(time.monotonic() - start)
    print("move latencies, authoritative (s):", ", ".join(f"{t:.3f}" for t in latencies))
    print("move latencies, via resolver (s):", ", ".join(f"{t:.3f}" for t in via_resolver))

    # An IPv6 address appears and goes (nodad: usable at once, no DAD wait).
    run("ip", "addr", "add", "fd77::20/64", "dev", MOB_IF, "nodad", ns=MOB_NS)
    assert wait_for(lambda: dig(name, "AAAA") == ["fd77::20"], 1 + TTL) is not None, text_of(p)
    run("ip", "addr", "del", "fd77::20/64", "dev", MOB_IF, ns=MOB_NS)
    assert wait_for(lambda: dig(name, "AAAA") == [], 1 + TTL) is not None, text_of(p)
    # With duplicate address detection the address is tentative for at least
    # a second (RFC 4862 5.4: one probe, RetransTimer 1 s) and is published
    # only once DAD has finished.
    run("ip", "addr", "add", "fd77::21/64", "dev", MOB_IF, ns=MOB_NS)
    time.sleep(0.4)
    assert dig(name, "AAAA") == [], "a tentative address was published"
    assert wait_for(lambda: dig(name, "AAAA") == ["fd77::21"], 5) is not None, text_of(p)
    run("ip", "addr", "del", "fd77::21/64", "dev", MOB_IF, ns=MOB_NS)
    assert wait_for(lambda: dig(name, "AAAA") == [], 1 + TTL) is not None, text_of(p)
    assert dig(name) == [world.mob4]

    # Link down: nothing to publish, so the name is withdrawn; up again: back.
    run("ip", "link", "set", MOB_IF, "down", ns=MOB_NS)
    time.sleep(1.5)  # the server cannot be reached while the link is down: the client retries
    run("ip", "link", "set", MOB_IF, "up", ns=MOB_NS)
    assert wait_for(lambda: dig(name) == [world.mob4], 5) is not None, text_of(p)

    # The client renews its short lease at 75%, so the name outlives it.
    time.sleep(2 * LEASE)
    assert dig(name) == [world.mob4], text_of(p)
    assert p.poll() is None

    log = text_of(p)
    assert "10.77.0.11 -> 10.77.0.12" in log and "10.77.0.12 -> 10.77.0.13" in log, log
    assert "renewed" in log, log

    # The second key cannot take the name over (REFUSED by the update policy).
    r = run(namae_bin(), "ddns", "--once", "-s", SRV4, "-y", y(INTRUDER), "-4", name,
            ns=MOB_NS, check=False)
    assert r.returncode == 1 and "REFUSED" in r.stderr, r.stderr
    assert dig(name) == [world.mob4]

    # Clean shutdown: goodbye deletes the records at once.
    stop(p)
    assert dig(name) == [], text_of(p)
    assert "goodbye" in text_of(p)


def test_killed_client_disappears_when_its_lease_ends(world):
    name = "laptop.mobile.test"
    p = world.ddns("-s", SRV4, "-y", y(LAPTOP), "--lease", str(LEASE), "-4", name,
                   log_name="ddns-kill.log")
    assert wait_for(lambda: dig(name) == [world.mob4], 5) is not None, text_of(p)
    stop(p, signal.SIGKILL)
    killed = time.monotonic()
    assert dig(name) == [world.mob4]  # no goodbye: still there
    # Gone when the lease (at most LEASE s after the last renewal) ends; expiry runs each second.
    took = wait_for(lambda: dig(name) == [], LEASE + 2.5)
    assert took is not None, world.log()[-3000:]
    print(f"killed client's name gone after {time.monotonic() - killed:.2f} s (lease {LEASE} s)")


def test_once_and_unreachable_server(world):
    name = "laptop.mobile.test"
    r = run(namae_bin(), "ddns", "--once", "-s", SRV4, "-y", y(LAPTOP), "--lease", "60", "-4",
            name, ns=MOB_NS, check=False)
    assert r.returncode == 0, r.stderr
    assert dig(name) == [world.mob4]
    # Nobody listens on port 54: --once fails after its tries, exit status 1.
    r = run(namae_bin(), "ddns", "--once", "-s", SRV4, "-p", "54", "--timeout", "300",
            "-y", y(LAPTOP), "-4", name, ns=MOB_NS, check=False)
    assert r.returncode == 1 and "failed" in r.stderr, r.stderr
    # A wrong secret is rejected (BADSIG) and nothing changes.
    bad = (LAPTOP[0], LAPTOP[1], "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZy0wMQ==")
    before = serial("mobile.test")
    r = run(namae_bin(), "ddns", "--once", "-s", SRV4, "-y", y(bad), "-4", name, ns=MOB_NS,
            check=False)
    assert r.returncode == 1 and "BADSIG" in r.stderr, r.stderr
    assert serial("mobile.test") == before
    run(namae_bin(), "ddns", "--once", "-s", SRV4, "-y", y(LAPTOP), "--lease", "1", "-4", name,
        ns=MOB_NS)


def test_retries_with_backoff_until_the_server_is_back(world):
    """The server vanishes (its address removed) while the host moves; the
    client keeps retrying and publishes the new address once it is back."""
    name = "laptop.mobile.test"
    p = world.ddns("-s", SRV4, "-y", y(LAPTOP), "--lease", "60", "--retry-max", "1",
                   "--timeout", "300", "-4", name, log_name="ddns-retry.log")
    assert wait_for(lambda: dig(name) == [world.mob4], 5) is not None, text_of(p)
    run("ip", "addr", "del", f"{SRV4}/24", "dev", SRV_IF, ns=SRV_NS)
    try:
        world.set_mobile4("10.77.0.50")
        assert wait_for(lambda: text_of(p).count("retry in") >= 2, 5) is not None, text_of(p)
    finally:
        run("ip", "addr", "add", f"{SRV4}/24", "dev", SRV_IF, ns=SRV_NS)
    took = wait_for(lambda: dig(name) == ["10.77.0.50"], 4)
    assert took is not None, text_of(p)
    stop(p)
    assert dig(name) == []
    log = text_of(p)
    assert "retry in 1000 ms" in log and "-> 10.77.0.50" in log, log


def test_ip_from_url_behind_nat(world):
    """--ip-from: publish the address a web service reports, not a local one."""
    www = os.path.join(world.dir, "www")
    os.makedirs(www, exist_ok=True)
    with open(os.path.join(www, "ip"), "w") as f:
        f.write("198.51.100.200\n")
    srv = subprocess.Popen(["ip", "netns", "exec", SRV_NS, "/usr/bin/python3", "-m", "http.server",
                            "--bind", SRV4, "--directory", www, "8099"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        name = "laptop.mobile.test"
        args = ("--once", "-s", SRV4, "-y", y(LAPTOP), "--lease", "60",
                "--ip-from", f"http://{SRV4}:8099/ip", name)
        r = None
        for _ in range(50):  # until the web server listens
            r = run(namae_bin(), "ddns", *args, ns=MOB_NS, check=False)
            if r.returncode == 0:
                break
            time.sleep(0.1)
        assert r.returncode == 0, r.stderr
        assert dig(name) == ["198.51.100.200"]
        assert dig(name, "AAAA") == []  # the host's own addresses are not used
        with open(os.path.join(www, "ip"), "w") as f:
            f.write("not-an-address\n")
        r = run(namae_bin(), "ddns", *args, ns=MOB_NS, check=False)
        assert r.returncode == 1 and "not an address" in r.stderr, r.stderr
        assert dig(name) == ["198.51.100.200"]
        run(namae_bin(), "ddns", "--once", "-s", SRV4, "-y", y(LAPTOP), "--lease", "1", "-4",
            name, ns=MOB_NS)
    finally:
        srv.kill()
        srv.wait()


# --- HTTPS DynDNS2 -------------------------------------------------------------------------

def test_https_dyndns2_with_curl(world):
    code, body = world.curl("/nic/update?hostname=alice.home.test", "alice", PASSWORDS["alice"])
    assert (code, body) == (200, f"good {world.mob4}\n")
    assert dig("alice.home.test") == [world.mob4]
    r = run("curl", "-s", "-D", "-", "-o", "/dev/null", "--cacert", world.cert, "-u",
            f"alice:{PASSWORDS['alice']}", f"{HTTPS}/nic/update?hostname=alice.home.test",
            ns=MOB_NS)
    lease = [int(line.split(":")[1]) for line in r.stdout.lower().splitlines()
             if line.startswith("x-namae-lease:")]
    assert lease and 3598 <= lease[0] <= 3600, r.stdout  # max-lease, less the second(s) passed
    s = serial("home.test")
    code, body = world.curl("/nic/update?hostname=alice.home.test", "alice", PASSWORDS["alice"])
    assert (code, body) == (200, f"nochg {world.mob4}\n")
    # The lease was renewed (journaled) without a new zone version.
    assert serial("home.test") == s

    code, body = world.curl("/nic/update?hostname=alice.home.test&myip=192.0.2.7,2001:db8::7",
                            "alice", PASSWORDS["alice"])
    assert (code, body) == (200, "good 192.0.2.7,2001:db8::7\n")
    assert dig("alice.home.test") == ["192.0.2.7"]
    assert dig("alice.home.test", "AAAA") == ["2001:db8::7"]

    # Moving the client: no myip, the new source address is published.
    world.set_mobile4("10.77.0.30")
    code, body = world.curl("/nic/update?hostname=alice.home.test", "alice", PASSWORDS["alice"])
    assert (code, body) == (200, "good 10.77.0.30\n")
    assert dig("alice.home.test") == ["10.77.0.30"]
    assert dig("alice.home.test", "AAAA") == ["2001:db8::7"]  # the other family is left alone

    # Several hostnames: one line each, in order.
    code, body = world.curl("/nic/update?hostname=alice.home.test,bob.home.test&myip=192.0.2.8",
                            "alice", PASSWORDS["alice"])
    assert (code, body) == (200, "good 192.0.2.8\nnohost\n")
    assert dig("bob.home.test") == []

    # Plain HTTP to a TLS listener does not work, and the TLS certificate is checked.
    r = run("curl", "-s", "--max-time", "3", f"http://{SRV4}:8443/nic/update", ns=MOB_NS,
            check=False)
    assert "good" not in r.stdout


def snapshot():
    return (serial("home.test"), dig("alice.home.test"), dig("bob.home.test"),
            dig("www.home.test", "CNAME"))


BAD_INPUTS = [
    # (what, query, user, password, expected status, expected body, log text)
    ("no credentials", "/nic/update?hostname=alice.home.test&myip=192.0.2.66", None, None,
     401, "badauth\n", "no credentials"),
    ("unknown user", "/nic/update?hostname=alice.home.test&myip=192.0.2.66", "mallory", "x",
     401, "badauth\n", "unknown user 'mallory'"),
    ("wrong password", "/nic/update?hostname=alice.home.test&myip=192.0.2.66", "bob", "nope",
     401, "badauth\n", "wrong password for user 'bob'"),
    ("name not owned", "/nic/update?hostname=bob.home.test&myip=192.0.2.66", "alice", None,
     200, "nohost\n", "bob.home.test. is not theirs"),
    ("malformed ip", "/nic/update?hostname=alice.home.test&myip=192.0.2.666", "alice", None,
     400, "badagent\n", "bad request (192.0.2.666)"),
    ("two IPv4", "/nic/update?hostname=alice.home.test&myip=192.0.2.1,192.0.2.2", "alice", None,
     400, "badagent\n", "bad request"),
    ("not an fqdn", "/nic/update?hostname=alice&myip=192.0.2.66", "alice", None,
     200, "notfqdn\n", "bad request (alice): notfqdn"),
    ("no hostname", "/nic/update?myip=192.0.2.66", "alice", None,
     200, "notfqdn\n", "(no hostname)"),
    ("escape in name", "/nic/update?hostname=al%5C065ice.home.test", "alice", None,
     200, "notfqdn\n", "notfqdn"),
    ("over-long query", "/nic/update?hostname=alice.home.test&myip=192.0.2.66&pad=" + "x" * 600,
     "alice", None, 414, "badagent\n", "over the limit of 512"),
    ("over cpp-httplib's limit", "/nic/update?hostname=" + "a" * 9000, "alice", None,
     414, "badagent\n", None),
    ("a CNAME owns the name", "/nic/update?hostname=www.home.test&myip=192.0.2.66", "carol",
     None, 200, "dnserr\n", "www.home.test. -> 192.0.2.66: dnserr"),
]


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_changes_nothing(world, case):
    what, query, user, password, status, body, log_text = case
    if user in PASSWORDS and password is None:
        password = PASSWORDS[user]
    before = snapshot()
    log_before = len(world.log())
    code, got = world.curl(query, user, password)
    assert (code, got) == (status, body), what
    assert snapshot() == before, what
    if log_text:
        assert wait_for(lambda: log_text in world.log()[log_before:], 2) is not None, \
            world.log()[log_before:]


def test_rest_api(world):
    world.curl("/nic/update?hostname=alice.home.test&myip=192.0.2.9", "alice", PASSWORDS["alice"])
    code, body = world.curl("/api/zones", "bob", PASSWORDS["bob"])
    assert code == 200, body
    zones = {z["name"]: z for z in json.loads(body)["zones"]}
    assert set(zones) == {"mobile.test.", "home.test."}
    assert zones["home.test."]["dynamic"] and zones["home.test."]["serial"] == serial("home.test")

    code, body = world.curl("/api/zones/home.test", "bob", PASSWORDS["bob"])
    assert code == 200
    recs = json.loads(body)["records"]
    assert {"name": "alice.home.test.", "ttl": 30, "type": "A", "data": "192.0.2.9"} in recs

    code, body = world.curl("/api/hosts", "alice", PASSWORDS["alice"])
    hosts = {h["name"]: h for h in json.loads(body)["hosts"]}
    alice = hosts["alice.home.test."]
    assert {a["address"] for a in alice["addresses"]} >= {"192.0.2.9"}
    assert 3500 < alice["lease_remaining"] <= 3600
    assert alice["last_update"]["source"] == world.mob4
    assert alice["last_update"]["user"] == "alice"
    assert hosts["bob.home.test."]["addresses"] == []

    # The API's counters are on /metrics (no authentication, as the rest of it).
    code, metrics = world.curl("/metrics")
    assert code == 200 and "namae_queries_total" in metrics
    counts = {line.split("\"")[1]: int(line.split()[-1]) for line in metrics.splitlines()
              if line.startswith("namae_http_updates_total{")}
    assert counts["good"] >= 3 and counts["badauth"] >= 3 and counts["notfqdn"] >= 2, counts
    assert counts["dnserr"] == 1 and counts["nohost"] >= 2 and counts["badagent"] >= 3, counts

    assert world.curl("/api/zones", None, None)[0] == 401
    assert world.curl("/api/zones", "alice", "wrong")[0] == 401
    assert world.curl("/api/zones/nonexistent.test", "alice", PASSWORDS["alice"])[0] == 404


def test_namae_ddns_over_https(world):
    name = "alice.home.test"
    pwfile = os.path.join(world.dir, "alice.pw")
    with open(pwfile, "w") as f:
        f.write(PASSWORDS["alice"] + "\n")
    p = world.ddns("--http", HTTPS, "--user", "alice", "--password-file", pwfile,
                   "--ca-file", world.cert, "-4", name, log_name="ddns-http.log")
    assert wait_for(lambda: dig(name) == [world.mob4], 5) is not None, text_of(p)
    for addr in ("10.77.0.41", "10.77.0.42"):
        world.set_mobile4(addr)
        assert wait_for(lambda: dig(name) == [addr], 1 + 30) is not None, text_of(p)
        assert dig(name) == [addr]
    stop(p)
    assert "10.77.0.41 -> 10.77.0.42" in text_of(p)
    # The zone's max-lease as X-Namae-Lease told it (less a second if one ticked).
    assert re.search(r"lease (3599|3600) s", text_of(p)), text_of(p)
    # Without the CA the self-signed certificate is refused.
    r = run(namae_bin(), "ddns", "--once", "--http", HTTPS, "--user", "alice", "--password-file",
            pwfile, "-4", name, ns=MOB_NS, check=False)
    assert r.returncode == 1, r.stderr


def ddclient(world, *config, log_name="ddclient"):
    conf = os.path.join(world.dir, f"{log_name}.conf")
    with open(conf, "w") as f:
        f.write("\n".join(config) + "\n")
    os.chmod(conf, 0o600)  # ddclient refuses a world-readable file holding a password
    return run("ddclient", "-foreground", "-daemon=0", "-file", conf, "-cache",
               os.path.join(world.dir, f"{log_name}.cache"), "-verbose", "-noquiet",
               ns=MOB_NS, check=False, timeout=60)


@pytest.mark.skipif(shutil.which("ddclient") is None, reason="ddclient not installed (scripts/deps.sh)")
def test_ddclient_over_https(world):
    """Debian's ddclient, unchanged, speaks to namaed's DynDNS2 endpoint."""
    common = ["ssl=yes", f"ssl_ca_file={world.cert}", "protocol=dyndns2",
              f"server={SRV4}:8443", "login=bob", f"password='{PASSWORDS['bob']}'"]
    r = ddclient(world, *common, "use=ip, ip=192.0.2.123", "bob.home.test")
    assert "good" in r.stdout + r.stderr and "SUCCESS" in r.stdout + r.stderr, r.stdout + r.stderr
    assert dig("bob.home.test") == ["192.0.2.123"]
    # Its own address detection (use=if) on the mobile host's interface.
    r = ddclient(world, *common, f"use=if, if={MOB_IF}", "bob.home.test", log_name="ddclient-if")
    assert "SUCCESS" in r.stdout + r.stderr, r.stdout + r.stderr
    assert dig("bob.home.test") == [world.mob4]
    # A wrong password: ddclient reports the failure, nothing changes.
    before = snapshot()
    bad = [c if not c.startswith("password=") else "password='nope'" for c in common]
    r = ddclient(world, *bad, "use=ip, ip=192.0.2.124", "bob.home.test", log_name="ddclient-bad")
    assert "SUCCESS" not in r.stdout + r.stderr
    assert "FAILED" in r.stdout + r.stderr, r.stdout + r.stderr
    assert snapshot() == before


def test_failed_logins_are_limited(world):
    """Per source: after 4 failures, even the right password gets "abuse" from
    that address (others are fine). Per user: 6 failures from anywhere block
    the user everywhere. Each source here is a fresh address of the mobile host,
    so failures of earlier tests do not count."""
    query = "/nic/update?hostname=alice.home.test&myip=192.0.2.77"
    for a in ("10.77.0.95", "10.77.0.96", "10.77.0.97", "10.77.0.99"):
        run("ip", "addr", "add", f"{a}/24", "dev", MOB_IF, ns=MOB_NS)

    def curl_from(src, password):
        return world.curl(query, "alice", password, extra=("--interface", src))

    for _ in range(4):
        assert curl_from("10.77.0.97", "wrong") == (401, "badauth\n")
    before = snapshot()
    assert curl_from("10.77.0.97", PASSWORDS["alice"]) == (200, "abuse\n")
    assert snapshot() == before
    assert "too many failed logins" in world.log()
    # Another address is not blocked (alice has 4 of her 6 failures); its
    # success clears alice's count.
    assert curl_from("10.77.0.99", PASSWORDS["alice"]) == (200, "good 192.0.2.77\n")
    # Six failures from two addresses (3 each: under the source limit) block alice.
    for src in ("10.77.0.95", "10.77.0.96"):
        for _ in range(3):
            assert curl_from(src, "wrong") == (401, "badauth\n")
    before = snapshot()
    assert curl_from("10.77.0.99", PASSWORDS["alice"]) == (200, "abuse\n")
    assert snapshot() == before
    # Bob, from the same address, is not affected.
    code, body = world.curl("/nic/update?hostname=bob.home.test&myip=192.0.2.78", "bob",
                            PASSWORDS["bob"], extra=("--interface", "10.77.0.99"))
    assert (code, body) == (200, "good 192.0.2.78\n")

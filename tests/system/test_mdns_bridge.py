"""The resolver's bridge to multicast DNS (RFC 8766-style), and RFC 6762 22.1.

Namespaces from test_mdns.Lan (a, b, c on one bridge; nothing reaches the
host's network). namaed runs in a twice: once with `mdns-bridge = true`
and an [mdns] role (host alpha), once with a plain [resolver]. In b, python3-zeroconf publishes a host
and an _http._tcp service; in c, `namae mdns register` publishes a host on a
169.254/16 address (so its reverse name is in a link-local reverse zone).
dig in a asks the bridged resolver for A, AAAA, PTR (browse), SRV, TXT, ANY
and the IPv4/IPv6 link-local reverse PTRs: all are answered through mDNS. The unbridged resolver
answers the same questions NXDOMAIN, and a socket in b joined to
224.0.0.251:5353 sees no query for them (while it does see the bridged ones).
"""
import os
import shutil
import socket
import subprocess
import textwrap
import time

import pytest

from conftest import BIN_DIR
from test_mdns import _why, Lan, ZC_REGISTER, PY, namae, wait_line

pytestmark = [pytest.mark.skipif(_why is not None, reason=_why or ""),
              pytest.mark.skipif(shutil.which("dig") is None, reason="needs dig")]

BRIDGED = 5301
PLAIN = 5302

# Prints the question names of every mDNS query seen on the link.
OBSERVER = textwrap.dedent("""
    import socket, struct, sys
    import dns.message
    ip = sys.argv[1]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("0.0.0.0", 5353))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                 socket.inet_aton("224.0.0.251") + socket.inet_aton(ip))
    print("ready", flush=True)
    while True:
        data, src = s.recvfrom(9000)
        try:
            m = dns.message.from_wire(data, ignore_trailing=True)
        except Exception:
            continue
        if m.flags & 0x8000:
            continue
        for q in m.question:
            print("Q", q.name.to_text().lower(), dns.rdatatype.to_text(q.rdtype), src[0], flush=True)
""")


@pytest.fixture(scope="module")
def lan():
    l = Lan()
    l.prefix = f"nb{os.getpid() % 100000}"  # not test_mdns.py's namespaces
    try:
        l.up()
        # c also holds a link-local address: its reverse name is bridged.
        l.sh("ip", "-n", l.ns("c"), "addr", "add", "169.254.7.3/16", "dev", "eth0")
        yield l
    finally:
        l.down()


@pytest.fixture(scope="module")
def setup(lan):
    d = os.path.join(lan.tmp, "bridge")
    os.makedirs(d)
    cfg = os.path.join(d, "namaed.toml")
    with open(cfg, "w") as f:
        f.write(textwrap.dedent(f"""\
            [server]
            listen = ["127.0.0.1:5300"]
            control = "ctl.sock"

            [http]
            listen = ""

            [mdns]
            interfaces = ["eth0"]
            hostname = "alpha"

            [resolver]
            listen = ["127.0.0.1:{BRIDGED}"]
            mdns-bridge = true
            mdns-bridge-interfaces = ["eth0"]
            mdns-bridge-timeout = 1000
            """))
    cfg2 = os.path.join(d, "plain.toml")
    with open(cfg2, "w") as f:
        f.write(textwrap.dedent(f"""\
            [server]
            listen = ["127.0.0.1:5310"]
            control = "ctl2.sock"

            [http]
            listen = ""

            [resolver]
            listen = ["127.0.0.1:{PLAIN}"]
            """))
    logs = []
    for c in (cfg, cfg2):
        log = open(c + ".log", "w")
        logs.append(log)
        p = subprocess.Popen(["ip", "netns", "exec", lan.ns("a"), os.path.join(BIN_DIR, "namaed"), "--config", c,
                              "--foreground"], stdout=log, stderr=subprocess.STDOUT, cwd=d)
        lan.procs.append(p)
    zc = lan.start("b", [PY, "-c", ZC_REGISTER, "192.0.2.2", "Web Site", "_http._tcp.local.", "8080",
                         "zhost.local.", "path=/index.html"], stdin=subprocess.PIPE)
    line, seen = wait_line(zc, lambda l: l == "registered", timeout=15)
    assert line, seen
    reg = lan.start("c", namae("register", "--verbose", "Cee", "_ipp._tcp", "631", "--host", "rhost"))
    line, seen = wait_line(reg, lambda l: l.startswith("established") and "._" in l, timeout=10)
    assert line, seen
    obs = lan.start("b", [PY, "-c", OBSERVER, "192.0.2.2"])
    line, seen = wait_line(obs, lambda l: l == "ready", timeout=10)
    assert line, seen
    # Both resolvers answer (the loopback listeners are up).
    for port in (BRIDGED, PLAIN):
        for _ in range(50):
            if dig(lan, port, "localhost.", "A", "+tries=1", "+time=1").returncode == 0:
                break
            time.sleep(0.1)
    yield {"obs": obs, "dir": d}
    zc.stdin.close()
    for log in logs:
        log.close()


def dig(lan, port, name, rtype, *extra):
    r = lan.run("a", ["dig", "@127.0.0.1", "-p", str(port), name, rtype, "+rec", "+noall", "+comments",
                      "+answer", "+authority", "+additional", "+stats", *extra], timeout=15)
    took = [l for l in r.stdout.splitlines() if l.startswith(";; Query time:")]
    if took:  # shown by pytest -s: how long the bridge waited
        print(f"port {port} {name} {rtype}: {took[0][3:]}")
    return r


def records(out, section="ANSWER"):
    """(name, ttl, type, rdata) tuples of one section of dig's output."""
    rows, cur = [], None
    for line in out.splitlines():
        if line.startswith(";; ") and "SECTION:" in line:
            cur = line.split()[1]
            continue
        if not line.strip() or line.startswith(";"):
            continue
        if cur == section:
            f = line.split(None, 4)
            rows.append((f[0].lower(), int(f[1]), f[3], f[4] if len(f) > 4 else ""))
    return rows


def status(out):
    for line in out.splitlines():
        if "status:" in line:
            return line.split("status:")[1].split(",")[0].strip()
    return None


def flags(out):
    for line in out.splitlines():
        if line.startswith(";; flags:"):
            return line.split(";")[2].split(":")[1].split()
    return []


def seen_queries(obs, name, wait=0.5):
    """Observer lines for `name` that arrived until now (+ wait)."""
    got = []
    end = time.monotonic() + wait
    while True:
        line, seen = wait_line(obs, lambda l: False, timeout=max(0.0, end - time.monotonic()))
        got += [l for l in seen if l.split()[1:2] == [name]]
        if time.monotonic() >= end:
            return got


def test_address_through_the_bridge(lan, setup):
    seen_queries(setup["obs"], "zhost.local.", wait=0.3)
    r = dig(lan, BRIDGED, "zhost.local.", "A")
    assert status(r.stdout) == "NOERROR", r.stdout + r.stderr
    ans = records(r.stdout)
    assert [(n, t, d) for n, _, t, d in ans] == [("zhost.local.", "A", "192.0.2.2")], r.stdout
    assert all(ttl <= 10 for _, ttl, _, _ in ans)
    fl = flags(r.stdout)
    assert "ra" in fl and "aa" not in fl, fl
    assert seen_queries(setup["obs"], "zhost.local."), "the bridge sent no multicast query"
    # namae's responder in c: case-insensitive match, a second responder implementation.
    r = dig(lan, BRIDGED, "RHOST.local.", "A")
    assert ("rhost.local.", "A") in [(n, t) for n, _, t, _ in records(r.stdout)], r.stdout


def test_own_mdns_role_through_the_bridge(lan, setup):
    # namaed's [mdns] responder on the same host shares 5353 with the
    # bridge's one-shot queries: its own name resolves too.
    for _ in range(30):  # probing and announcing take about 1.5 s after start
        r = dig(lan, BRIDGED, "alpha.local.", "A")
        if status(r.stdout) == "NOERROR":
            break
        time.sleep(0.2)
    assert [(t, d) for _, _, t, d in records(r.stdout)] == [("A", "192.0.2.1")], r.stdout


def test_browse_srv_txt_any(lan, setup):
    r = dig(lan, BRIDGED, "_http._tcp.local.", "PTR")
    assert status(r.stdout) == "NOERROR", r.stdout
    ptrs = [d for n, _, t, d in records(r.stdout) if t == "PTR"]
    assert ptrs == ["Web\\032Site._http._tcp.local."], r.stdout
    inst = "Web\\032Site._http._tcp.local."
    r = dig(lan, BRIDGED, inst, "SRV")
    srv = [(t, d) for n, _, t, d in records(r.stdout)]
    assert srv == [("SRV", "0 0 8080 zhost.local.")], r.stdout
    r = dig(lan, BRIDGED, inst, "TXT")
    assert [(t, d) for n, _, t, d in records(r.stdout)] == [("TXT", '"path=/index.html"')], r.stdout
    r = dig(lan, BRIDGED, inst, "ANY")
    types = {t for _, _, t, _ in records(r.stdout)}
    assert {"SRV", "TXT"} <= types, r.stdout
    assert all(ttl <= 10 for _, ttl, _, _ in records(r.stdout) + records(r.stdout, "ADDITIONAL"))


def test_link_local_reverse_through_the_bridge(lan, setup):
    r = dig(lan, BRIDGED, "3.7.254.169.in-addr.arpa.", "PTR")
    assert status(r.stdout) == "NOERROR", r.stdout
    assert [(t, d) for _, _, t, d in records(r.stdout)] == [("PTR", "rhost.local.")], r.stdout


def test_aaaa_and_ipv6_link_local_reverse(lan, setup):
    # c's IPv6 link-local address, as the kernel gave it.
    out = lan.run("c", ["ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link"]).stdout
    ll = out.split("inet6")[1].split()[0].split("/")[0]
    r = dig(lan, BRIDGED, "rhost.local.", "AAAA")
    assert status(r.stdout) == "NOERROR", r.stdout
    aaaa = [d for n, _, t, d in records(r.stdout) if t == "AAAA"]
    assert aaaa == [ll], (ll, r.stdout)
    rev = socket.inet_pton(socket.AF_INET6, ll).hex()[::-1]
    r = dig(lan, BRIDGED, ".".join(rev) + ".ip6.arpa.", "PTR")
    assert [(t, d) for _, _, t, d in records(r.stdout)] == [("PTR", "rhost.local.")], r.stdout
    # zeroconf's host has no IPv6 address and says so with NSEC: NODATA, not NXDOMAIN.
    r = dig(lan, BRIDGED, "zhost.local.", "AAAA")
    assert status(r.stdout) in ("NOERROR", "NXDOMAIN") and not records(r.stdout), r.stdout


def test_bridge_nxdomain_with_local_soa(lan, setup):
    t0 = time.monotonic()
    r = dig(lan, BRIDGED, "nobody-here.local.", "A")
    took = time.monotonic() - t0
    assert status(r.stdout) == "NXDOMAIN", r.stdout
    auth = records(r.stdout, "AUTHORITY")
    assert [(n, t) for n, _, t, _ in auth] == [("local.", "SOA")], r.stdout
    assert auth[0][1] <= 10
    assert took < 3.0  # one bounded wait (1 s), not a resolver timeout


def test_without_bridge_nxdomain_and_no_multicast(lan, setup):
    obs = setup["obs"]
    seen_queries(obs, "zhost.local.", wait=0.3)  # drain what earlier tests caused
    for name, rtype in (("zhost.local.", "A"), ("_http._tcp.local.", "PTR"),
                        ("3.7.254.169.in-addr.arpa.", "PTR")):
        r = dig(lan, PLAIN, name, rtype)
        assert status(r.stdout) == "NXDOMAIN", r.stdout
        assert "aa" in flags(r.stdout)
        assert not records(r.stdout)
    for name in ("zhost.local.", "_http._tcp.local.", "3.7.254.169.in-addr.arpa."):
        assert seen_queries(obs, name, wait=0.3 if name != "zhost.local." else 1.5) == [], name
    # Positive control: the same observer sees the bridged resolver's query.
    dig(lan, BRIDGED, "zhost.local.", "A")
    assert seen_queries(obs, "zhost.local."), "observer saw nothing: the check above proves nothing"

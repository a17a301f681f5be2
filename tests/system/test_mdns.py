"""Multicast DNS and DNS-SD between network namespaces (RFC 6762/6763).

Three namespaces (a, b, c) hang off one bridge (in a fourth namespace), so
multicast flows between them and nothing reaches the host's own network.
namae talks to itself, to python3-zeroconf and to Avahi (avahi-daemon with a
private dbus-daemon, in namespace c): each side resolves and browses the
other's services; conflicts rename, goodbyes empty the peer's cache within
2 s, QU questions get unicast answers, and bad input leaves the responder
serving.
"""
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import textwrap
import time

import dns.message
import dns.rdatatype
import pytest

from conftest import BIN_DIR

PY = "/usr/bin/python3"


def _netns_possible():
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    if not shutil.which("ip"):
        return "needs iproute2 (ip)"
    probe = f"nmprobe{os.getpid() % 100000}"
    r = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if r.returncode != 0:
        return f"cannot create a network namespace: {r.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


_why = _netns_possible()
pytestmark = pytest.mark.skipif(_why is not None, reason=_why or "")

HOSTS = {"a": "192.0.2.1", "b": "192.0.2.2", "c": "192.0.2.3"}


class Lan:
    """The namespaces, and the processes started in them (stopped at teardown)."""

    def __init__(self):
        self.prefix = f"nm{os.getpid() % 100000}"
        self.procs = []
        self.tmp = tempfile.mkdtemp(prefix="namae-mdns-")

    def ns(self, host):
        return self.prefix + host

    def sh(self, *args):
        subprocess.run(list(args), check=True, capture_output=True)

    def up(self):
        br = self.ns("br")
        self.sh("ip", "netns", "add", br)
        self.sh("ip", "-n", br, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0")
        self.sh("ip", "-n", br, "link", "set", "br0", "up")
        for h, addr in HOSTS.items():
            n = self.ns(h)
            self.sh("ip", "netns", "add", n)
            # No duplicate address detection: link-local IPv6 is usable at once.
            self.sh("ip", "netns", "exec", n, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0",
                    "net.ipv6.conf.default.accept_dad=0")
            self.sh("ip", "-n", br, "link", "add", "v" + h, "type", "veth", "peer", "name", "eth0", "netns", n)
            self.sh("ip", "-n", br, "link", "set", "v" + h, "master", "br0", "up")
            self.sh("ip", "-n", n, "addr", "add", addr + "/24", "dev", "eth0")
            self.sh("ip", "-n", n, "link", "set", "eth0", "up")
            self.sh("ip", "-n", n, "link", "set", "lo", "up")

    def down(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for h in list(HOSTS) + ["br"]:
            subprocess.run(["ip", "netns", "del", self.ns(h)], capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, host, args, env=None, **kw):
        """Start `args` inside namespace `host` with stdout as a pipe of text lines."""
        p = subprocess.Popen(["ip", "netns", "exec", self.ns(host)] + list(args), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env, **kw)
        self.procs.append(p)
        return p

    def run(self, host, args, timeout=20, env=None):
        return subprocess.run(["ip", "netns", "exec", self.ns(host)] + list(args), capture_output=True, text=True,
                              timeout=timeout, env=env)

    def stop(self, p, sig=signal.SIGTERM):
        """Signal p and collect its output (again: returns empty output)."""
        if p.stdout is not None and p.stdout.closed:
            return "", ""
        if p.stdin is not None and p.stdin.closed:
            p.stdin = None
        if p.poll() is None:
            p.send_signal(sig)
        try:
            out, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        return out, err


@pytest.fixture(scope="module")
def lan():
    l = Lan()
    try:
        l.up()
        yield l
    finally:
        l.down()


def namae(*args):
    return [os.path.join(BIN_DIR, "namae"), "mdns"] + list(args)


def wait_line(p, pred, timeout=10):
    """Read p's stdout until a line satisfies pred; returns (line, lines seen).

    Reads the pipe's descriptor directly with a buffer kept on p, so lines
    that arrive together are never stranded in a file object's buffer
    while select() waits for more."""
    import select
    seen = []
    buf = getattr(p, "_line_buf", b"")
    fd = p.stdout.fileno()
    end = time.monotonic() + timeout
    try:
        while True:
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                seen.append(raw.decode("utf-8", "replace"))
                if pred(seen[-1]):
                    return seen[-1], seen
            left = end - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None, seen
            chunk = os.read(fd, 65536)
            if not chunk:
                return None, seen
            buf += chunk
    finally:
        p._line_buf = buf


def register(lan, host, *args):
    p = lan.start(host, namae("register", "--verbose", *args))
    line, seen = wait_line(p, lambda l: l.startswith("established") and "._" in l, timeout=10)
    if not line:
        _, err = lan.stop(p)
        pytest.fail(f"registration did not complete: {seen} {err}")
    return p, line


# python3-zeroconf helpers, run inside a namespace.
ZC_REGISTER = textwrap.dedent("""
    import os, socket, sys, time
    from zeroconf import Zeroconf, ServiceInfo, IPVersion
    ip, name, typ, port, host = sys.argv[1:6]
    props = dict(kv.split("=", 1) for kv in sys.argv[6:])
    # ZC_ADDRESSES: the addresses published, when not the one it sends from.
    published = os.environ.get("ZC_ADDRESSES", ip).split()
    zc = Zeroconf(interfaces=[ip], ip_version=IPVersion.V4Only)
    info = ServiceInfo(typ, name + "." + typ, addresses=[socket.inet_aton(a) for a in published], port=int(port),
                       properties=props, server=host)
    zc.register_service(info)
    print("registered", flush=True)
    try:
        sys.stdin.read()
    finally:
        zc.unregister_service(info)
        zc.close()
        print("unregistered", flush=True)
""")

ZC_BROWSE = textwrap.dedent("""
    import json, sys, time
    from zeroconf import Zeroconf, ServiceBrowser, ServiceStateChange, IPVersion
    ip, typ = sys.argv[1:3]
    zc = Zeroconf(interfaces=[ip], ip_version=IPVersion.V4Only)
    def changed(zeroconf, service_type, name, state_change):
        ev = {"event": state_change.name, "name": name, "t": time.time()}
        if state_change is ServiceStateChange.Added:
            info = zeroconf.get_service_info(service_type, name, timeout=3000)
            if info:
                ev.update(port=info.port, server=info.server, addresses=info.parsed_addresses(),
                          txt={k.decode(): (v.decode() if v is not None else None)
                               for k, v in info.properties.items()})
        print(json.dumps(ev), flush=True)
    ServiceBrowser(zc, typ, handlers=[changed])
    print(json.dumps({"event": "ready"}), flush=True)
    sys.stdin.read()
    zc.close()
""")


def zc_browser(lan, host, typ):
    p = lan.start(host, [PY, "-c", ZC_BROWSE, HOSTS[host], typ], stdin=subprocess.PIPE)
    line, _ = wait_line(p, lambda l: '"ready"' in l, timeout=10)
    assert line
    return p


def zc_register(lan, host, name, typ, port, server, *txt):
    p = lan.start(host, [PY, "-c", ZC_REGISTER, HOSTS[host], name, typ, str(port), server] + list(txt),
                  stdin=subprocess.PIPE)
    line, seen = wait_line(p, lambda l: l == "registered", timeout=15)
    assert line, seen
    return p


# --- namae with itself -------------------------------------------------------

def test_namae_resolves_browses_and_lists_its_own_kind(lan):
    p, line = register(lan, "a", "My Printer", "_ipp._tcp", "631", "rp=queue1", "--host", "alpha",
                       "--subtype", "_universal")
    try:
        r = lan.run("b", namae("resolve", "alpha.local"))
        assert r.returncode == 0, r.stderr
        assert "alpha.local.\t192.0.2.1" in r.stdout
        r = lan.run("b", namae("resolve", "My Printer._ipp._tcp.local", "--json"))
        assert r.returncode == 0, r.stderr
        svc = json.loads(r.stdout)
        assert svc["instance"] == "My Printer" and svc["port"] == 631
        assert svc["txt"] == ["rp=queue1"] and "192.0.2.1" in svc["addresses"]
        assert svc["host"] == "alpha.local."
        r = lan.run("c", namae("services"))
        assert "_ipp._tcp.local." in r.stdout.split("\n")
        r = lan.run("c", namae("browse", "_ipp._tcp", "--timeout", "2500", "--json"))
        events = [json.loads(l) for l in r.stdout.splitlines()]
        assert any(e["event"] == "add" and e["instance"] == "My Printer" and e.get("port") == 631 for e in events)
        # The subtype PTR answers too (RFC 6763 7.1).
        reply = legacy_query(lan, "c", dns.message.make_query("_universal._sub._ipp._tcp.local.", "PTR"))
        assert reply is not None
        assert [str(rr) for rrset in reply.answer for rr in rrset] == ["My\\032Printer._ipp._tcp.local."]
    finally:
        lan.stop(p)


def test_reverse_lookup_by_avahi_style_query(lan):
    p, _ = register(lan, "a", "Rev", "_http._tcp", "80", "--host", "alpha")
    try:
        q = dns.message.make_query("1.2.0.192.in-addr.arpa.", "PTR")
        reply = legacy_query(lan, "b", q)
        assert reply is not None
        assert any(str(rr) == "alpha.local." for rrset in reply.answer for rr in rrset)
        r = lan.run("c", namae("resolve", "192.0.2.1"))
        assert r.stdout == "192.0.2.1\talpha.local.\n", r.stdout + r.stderr
    finally:
        lan.stop(p)


# --- python3-zeroconf ---------------------------------------------------------

def test_zeroconf_browses_and_resolves_namae_service(lan):
    zb = zc_browser(lan, "b", "_ipp._tcp.local.")
    p, _ = register(lan, "a", "Zero Printer", "_ipp._tcp", "632", "rp=q2", "note=hello world", "--host", "alpha")
    try:
        line, seen = wait_line(zb, lambda l: '"Added"' in l, timeout=10)
        assert line, seen
        ev = json.loads(line)
        assert ev["name"] == "Zero Printer._ipp._tcp.local."
        assert ev["port"] == 632 and ev["server"] == "alpha.local."
        assert "192.0.2.1" in ev["addresses"]
        assert ev["txt"] == {"rp": "q2", "note": "hello world"}
        # Goodbye: stopping namae's responder removes the service from
        # zeroconf's cache within 2 s (RFC 6762 10.1).
        t0 = time.time()
        lan.stop(p)
        line, seen = wait_line(zb, lambda l: '"Removed"' in l, timeout=5)
        assert line, seen
        print(f"goodbye: zeroconf dropped namae's service after {json.loads(line)['t'] - t0:.3f} s")
        assert json.loads(line)["t"] - t0 < 2.0
    finally:
        lan.stop(p)
        zb.stdin.close()
        lan.stop(zb)


def test_namae_browses_and_resolves_zeroconf_service(lan):
    br = lan.start("a", namae("browse", "_http._tcp"))
    zp = zc_register(lan, "b", "Zero Conf Web", "_http._tcp.local.", 8081, "zeta.local.", "path=/z")
    try:
        line, seen = wait_line(br, lambda l: l.startswith("+") and "Zero Conf Web" in l, timeout=10)
        assert line, seen
        assert "zeta.local.:8081" in line and "192.0.2.2" in line and '"path=/z"' in line
        r = lan.run("c", namae("resolve", "Zero Conf Web._http._tcp.local", "--json"))
        assert r.returncode == 0, r.stderr
        svc = json.loads(r.stdout)
        assert svc["port"] == 8081 and svc["txt"] == ["path=/z"] and "192.0.2.2" in svc["addresses"]
        r = lan.run("c", namae("resolve", "zeta.local"))
        assert "192.0.2.2" in r.stdout, r.stderr
        # Goodbye the other way: zeroconf unregisters, namae's browse shows the removal within 2 s.
        t0 = time.monotonic()
        zp.stdin.close()
        line, seen = wait_line(br, lambda l: l.startswith("-") and "Zero Conf Web" in l, timeout=5)
        assert line, seen
        print(f"goodbye: namae dropped zeroconf's service after {time.monotonic() - t0:.3f} s")
        assert time.monotonic() - t0 < 2.0
    finally:
        lan.stop(zp)
        lan.stop(br)


# --- Avahi ----------------------------------------------------------------------

DBUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={sock}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""

AVAHI_CONF = """[server]
host-name={host}
domain-name=local
use-ipv4=yes
use-ipv6=yes
allow-interfaces=eth0
enable-dbus=yes
ratelimit-interval-usec=0
[wide-area]
enable-wide-area={wide_area}
[publish]
publish-hinfo=no
publish-workstation=no
[reflector]
enable-reflector=no
"""


def start_avahi(lan, host, wide_area=False, resolv_conf=None):
    """avahi-daemon (host name `host`) with a private system bus in namespace c.

    Returns the environment its clients need and the processes to stop.
    `resolv_conf`: a file bind-mounted on /etc/resolv.conf for it (its
    wide-area DNS-SD servers), in the private mount namespace of ip netns exec."""
    for tool in ("avahi-daemon", "avahi-browse", "avahi-publish", "avahi-resolve", "dbus-daemon"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} is not installed (scripts/deps.sh installs avahi-daemon avahi-utils dbus)")
    d = tempfile.mkdtemp(prefix="avahi-", dir=lan.tmp)
    sock = os.path.join(d, "bus")
    with open(os.path.join(d, "dbus.conf"), "w") as f:
        f.write(DBUS_CONF.format(sock=sock))
    with open(os.path.join(d, "avahi.conf"), "w") as f:
        f.write(AVAHI_CONF.format(host=host, wide_area="yes" if wide_area else "no"))
    bus = lan.start("c", ["dbus-daemon", "--nofork", "--config-file=" + os.path.join(d, "dbus.conf")])
    for _ in range(50):
        if os.path.exists(sock):
            break
        time.sleep(0.1)
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=" + sock)
    # avahi-daemon keeps its pid file and socket in /run/avahi-daemon: give it
    # a private tmpfs there (ip netns exec runs us in our own mount namespace).
    mounts = "mkdir -p /run/avahi-daemon && mount -t tmpfs tmpfs /run/avahi-daemon && "
    if resolv_conf:
        mounts += f"mount --bind {resolv_conf} /etc/resolv.conf && "
    daemon = lan.start("c", ["sh", "-c", mounts + "exec avahi-daemon -f " + os.path.join(d, "avahi.conf") +
                                         " --no-drop-root --no-chroot --no-rlimits"], env=env)
    deadline = time.monotonic() + 15
    ok = False
    while time.monotonic() < deadline:
        line = daemon.stderr.readline()
        if "Server startup complete" in line:
            ok = True
            break
        if not line and daemon.poll() is not None:
            break
    assert ok, "avahi-daemon did not start"
    return env, [daemon, bus]


@pytest.fixture(scope="module")
def avahi(lan):
    env, procs = start_avahi(lan, "charlie")
    yield env
    for p in procs:
        lan.stop(p)


def test_avahi_browses_and_resolves_namae(lan, avahi):
    p, _ = register(lan, "a", "Namae Printer", "_ipp._tcp", "631", "rp=queue1", "--host", "alpha")
    try:
        r = lan.run("c", ["avahi-browse", "-rpt", "_ipp._tcp"], env=avahi)
        resolved = [l.split(";") for l in r.stdout.splitlines() if l.startswith("=")]
        mine = [f for f in resolved if f[3] == "Namae\\032Printer" and f[2] == "IPv4"]
        assert mine, r.stdout
        f = mine[0]
        assert f[6] == "alpha.local" and f[7] == "192.0.2.1" and f[8] == "631" and f[9] == '"rp=queue1"'
        r = lan.run("c", ["avahi-resolve", "-4", "-n", "alpha.local"], env=avahi)
        assert r.stdout.split() == ["alpha.local", "192.0.2.1"], r.stderr
        r = lan.run("c", ["avahi-resolve", "-a", "192.0.2.1"], env=avahi)
        assert r.stdout.split() == ["192.0.2.1", "alpha.local"], r.stderr
    finally:
        lan.stop(p)


def test_namae_browses_and_resolves_avahi(lan, avahi):
    br = lan.start("a", namae("browse", "_http._tcp"))
    pub = lan.start("c", ["avahi-publish", "-s", "Avahi Web", "_http._tcp", "8080", "path=/x"], env=avahi)
    try:
        line, seen = wait_line(br, lambda l: l.startswith("+") and "Avahi Web" in l, timeout=10)
        assert line, seen
        assert "charlie.local.:8080" in line and "192.0.2.3" in line and '"path=/x"' in line
        r = lan.run("b", namae("resolve", "charlie.local"))
        assert "charlie.local.\t192.0.2.3" in r.stdout, r.stderr
        # Goodbye: avahi-publish ends, the removal shows within 2 s.
        t0 = time.monotonic()
        lan.stop(pub, signal.SIGINT)
        line, seen = wait_line(br, lambda l: l.startswith("-") and "Avahi Web" in l, timeout=5)
        assert line, seen
        print(f"goodbye: namae dropped avahi's service after {time.monotonic() - t0:.3f} s")
        assert time.monotonic() - t0 < 2.0
    finally:
        lan.stop(pub)
        lan.stop(br)


def test_host_name_conflict_with_avahi_renames(lan, avahi):
    # Avahi holds charlie.local: namae, arriving later, must take charlie-2.local.
    p = lan.start("a", namae("register", "Clash", "_http._tcp", "80", "--host", "charlie"))
    try:
        line, seen = wait_line(p, lambda l: l.startswith("established") and "charlie" in l and "._" not in l,
                               timeout=15)
        assert line, seen
        assert "charlie-2.local." in line and "renamed" in line
        r = lan.run("c", ["avahi-resolve", "-4", "-n", "charlie-2.local"], env=avahi)
        assert r.stdout.split() == ["charlie-2.local", "192.0.2.1"], r.stderr
        r = lan.run("b", namae("resolve", "charlie.local"))
        assert "192.0.2.3" in r.stdout and "192.0.2.1" not in r.stdout
        # The service follows the renamed host: its SRV points at charlie-2.local.
        deadline = time.monotonic() + 10
        svc = None
        while time.monotonic() < deadline:
            r = lan.run("b", namae("resolve", "Clash._http._tcp.local", "--json"))
            svc = json.loads(r.stdout) if r.returncode == 0 else None
            if svc and svc["host"] == "charlie-2.local.":
                break
            time.sleep(0.5)
        assert svc and svc["host"] == "charlie-2.local." and "192.0.2.1" in svc["addresses"], svc
    finally:
        lan.stop(p)


def test_coexists_with_avahi_on_the_same_host(lan, avahi):
    # namae and avahi-daemon share port 5353 in namespace c (SO_REUSEPORT),
    # and each sees the other's records through multicast loopback.
    p, _ = register(lan, "c", "Same Host", "_http._tcp", "8088", "--host", "golf")
    try:
        r = lan.run("c", ["avahi-browse", "-rpt", "_http._tcp"], env=avahi)
        resolved = [l.split(";") for l in r.stdout.splitlines() if l.startswith("=")]
        assert any(f[3] == "Same\\032Host" and f[8] == "8088" for f in resolved), r.stdout
        r = lan.run("a", namae("resolve", "Same Host._http._tcp.local", "--json"))
        assert r.returncode == 0, r.stderr
        svc = json.loads(r.stdout)
        assert svc["port"] == 8088 and "192.0.2.3" in svc["addresses"]
        r = lan.run("a", namae("resolve", "charlie.local"))
        assert "192.0.2.3" in r.stdout
    finally:
        lan.stop(p)


def test_namae_defends_its_name_against_avahi(lan, avahi):
    p, _ = register(lan, "a", "Defended", "_http._tcp", "80", "--host", "delta")
    try:
        pub = lan.start("c", ["avahi-publish", "-a", "delta.local", "192.0.2.3"], env=avahi)
        time.sleep(3)
        out, err = lan.stop(pub, signal.SIGINT)
        assert "collision" in (out + err).lower(), out + err
        r = lan.run("b", namae("resolve", "delta.local"))
        assert "192.0.2.1" in r.stdout and "192.0.2.3" not in r.stdout
    finally:
        lan.stop(p)


def test_service_name_conflict_between_two_namae(lan):
    p1, l1 = register(lan, "a", "Dup", "_http._tcp", "80", "--host", "alpha")
    p2, l2 = register(lan, "b", "Dup", "_http._tcp", "81", "--host", "bravo")
    try:
        assert "Dup._http._tcp.local." in l1
        assert "Dup (2)._http._tcp.local." in l2 and "renamed" in l2
        r = lan.run("c", namae("browse", "_http._tcp", "--timeout", "2500", "--json"))
        names = {json.loads(l)["instance"]: json.loads(l).get("port") for l in r.stdout.splitlines()}
        assert names.get("Dup") == 80 and names.get("Dup (2)") == 81, r.stdout
    finally:
        lan.stop(p2)
        lan.stop(p1)


def test_host_name_conflict_between_two_namae(lan):
    p1, _ = register(lan, "a", "One", "_http._tcp", "80", "--host", "echo")
    p2 = lan.start("b", namae("register", "Two", "_http._tcp", "81", "--host", "echo"))
    try:
        line, seen = wait_line(p2, lambda l: l.startswith("established") and "._" not in l, timeout=15)
        assert line and "echo-2.local." in line, seen
        r = lan.run("c", namae("resolve", "echo-2.local"))
        assert "192.0.2.2" in r.stdout
        r = lan.run("c", namae("resolve", "echo.local"))
        assert "192.0.2.1" in r.stdout and "192.0.2.2" not in r.stdout
    finally:
        lan.stop(p2)
        lan.stop(p1)


# --- raw packets: QU, legacy unicast, bad input ------------------------------

RAW_QUERY = textwrap.dedent("""
    import socket, struct, sys, time, base64
    mode, wire_b64, wait, ip = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    wire = base64.b64decode(wire_b64)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IP, 49, 0)  # IP_MULTICAST_ALL off: unicast only
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(ip))  # no routes here
    s.bind(("0.0.0.0", 5353 if mode == "mdns" else 0))
    s.sendto(wire, ("224.0.0.251", 5353))
    s.settimeout(wait)
    end = time.monotonic() + wait
    while time.monotonic() < end:
        try:
            data, addr = s.recvfrom(9000)
        except socket.timeout:
            break
        print(addr[0], addr[1], base64.b64encode(data).decode(), flush=True)
""")


def raw_exchange(lan, host, wire, mode, wait=1.5):
    import base64
    r = lan.run(host, [PY, "-c", RAW_QUERY, mode, base64.b64encode(wire).decode(), str(wait), HOSTS[host]])
    assert r.returncode == 0, r.stderr
    out = []
    for line in r.stdout.splitlines():
        ip, port, b64 = line.split()
        out.append((ip, int(port), dns.message.from_wire(base64.b64decode(b64), ignore_trailing=True)))
    return out


def addresses(msg):
    """A-record addresses of a message (records with the cache-flush bit come back as generic rdata)."""
    out = []
    for rrset in msg.answer + msg.additional:
        for rr in rrset:
            if rrset.rdtype == dns.rdatatype.A:
                out.append(rr.address if hasattr(rr, "address") else socket.inet_ntoa(rr.data))
    return out


def legacy_query(lan, host, q):
    replies = raw_exchange(lan, host, q.to_wire(), "legacy")
    return replies[0][2] if replies else None


def test_qu_question_gets_unicast_reply(lan):
    p, _ = register(lan, "a", "Qu", "_http._tcp", "80", "--host", "alpha")
    try:
        q = dns.message.make_query("alpha.local.", "A")
        q.id = 0
        q.flags = 0
        q.question[0].rdclass = 0x8001  # QU
        wire = q.to_wire()
        # The socket on 5353 joined no group: only a unicast reply can reach it.
        replies = raw_exchange(lan, "b", wire, "mdns")
        assert replies, "no unicast reply to a QU question"
        ip, port, msg = replies[0]
        assert ip == "192.0.2.1" and port == 5353
        assert "192.0.2.1" in addresses(msg)
        # The same question without QU is answered by multicast only.
        q.question[0].rdclass = 1
        assert raw_exchange(lan, "b", q.to_wire(), "mdns", wait=1.0) == []
    finally:
        lan.stop(p)


def test_legacy_unicast_reply_echoes_id_and_caps_ttl(lan):
    p, _ = register(lan, "a", "Legacy", "_http._tcp", "80", "--host", "alpha")
    try:
        q = dns.message.make_query("alpha.local.", "A")
        q.id = 0x4242
        reply = legacy_query(lan, "b", q)
        assert reply is not None
        assert reply.id == 0x4242
        assert [str(x.name) for x in reply.question] == ["alpha.local."]
        rrs = [rr for rr in reply.answer if rr.rdtype == dns.rdatatype.A]
        assert rrs and rrs[0].ttl <= 10 and rrs[0].rdclass == 1  # no cache-flush bit
    finally:
        lan.stop(p)


def test_bad_input_and_floods_leave_responder_serving(lan):
    p, _ = register(lan, "a", "Sturdy", "_http._tcp", "80", "--host", "alpha")
    try:
        flood = textwrap.dedent("""
            import os, socket, struct
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("192.0.2.2"))
            good = bytes.fromhex("000000000001000000000000") + b"\\x05alpha\\x05local\\x00" + struct.pack("!HH", 1, 1)
            bad = [b"", b"\\x00" * 5, good[:-3], good + b"junk",
                   bytes.fromhex("0000000000010000000000") + b"\\x00\\xc0\\x0c\\x00\\x01\\x00\\x01",
                   bytes.fromhex("000084000000000100000000") + b"\\xc0\\x0c" + b"\\x00" * 10]
            for i in range(300):
                s.sendto(bad[i % len(bad)] + os.urandom(i % 7), ("224.0.0.251", 5353))
            for i in range(3000):
                s.sendto(good, ("224.0.0.251", 5353))
        """)
        r = lan.run("b", [PY, "-c", flood])
        assert r.returncode == 0, r.stderr
        assert p.poll() is None, "responder died"
        time.sleep(1.0)
        r = lan.run("c", namae("resolve", "alpha.local"))
        assert "192.0.2.1" in r.stdout, r.stderr
    finally:
        lan.stop(p)


# --- namaed's [mdns] role ------------------------------------------------------

def test_namaed_mdns_role_publishes_and_says_goodbye(lan):
    d = os.path.join(lan.tmp, "namaed-a")
    os.makedirs(d)
    cfg = os.path.join(d, "namaed.toml")
    with open(cfg, "w") as f:
        f.write(textwrap.dedent("""\
            [server]
            listen = ["127.0.0.1:5300"]
            control = "ctl.sock"

            [http]
            listen = ""

            [mdns]
            interfaces = ["eth0"]
            hostname = "foxtrot"
            services = [
              { name = "Büro Drucker", type = "_ipp._tcp", port = 631, txt = ["rp=queue1", "note=2nd floor"], subtypes = ["_universal"] },
              { name = "Empty TXT", type = "_http._tcp", port = 8000 },
            ]
            """))
    zb = zc_browser(lan, "b", "_ipp._tcp.local.")
    log = open(os.path.join(d, "log"), "w")
    daemon = subprocess.Popen(["ip", "netns", "exec", lan.ns("a"), os.path.join(BIN_DIR, "namaed"), "--config", cfg,
                               "--foreground"], stdout=log, stderr=subprocess.STDOUT)
    lan.procs.append(daemon)
    try:
        line, seen = wait_line(zb, lambda l: '"Added"' in l, timeout=10)
        assert line, (seen, open(os.path.join(d, "log")).read())
        ev = json.loads(line)
        assert ev["name"] == "Büro Drucker._ipp._tcp.local."
        assert ev["port"] == 631 and ev["server"] == "foxtrot.local." and "192.0.2.1" in ev["addresses"]
        assert ev["txt"] == {"rp": "queue1", "note": "2nd floor"}
        r = lan.run("c", namae("resolve", "foxtrot.local"))
        assert "foxtrot.local.\t192.0.2.1" in r.stdout, r.stderr
        r = lan.run("c", namae("resolve", "Empty TXT._http._tcp.local", "--json"))
        svc = json.loads(r.stdout)
        assert svc["port"] == 8000 and svc["txt"] == []
        # RFC 6763 6.1: an empty TXT record is one zero octet, not empty rdata.
        reply = legacy_query(lan, "c", dns.message.make_query("Empty\\032TXT._http._tcp.local.", "TXT"))
        assert reply is not None and reply.answer and reply.answer[0][0].to_wire() == b"\x00"
        r = lan.run("c", namae("services", "--json"))
        assert set(json.loads(r.stdout)) >= {"_ipp._tcp.local.", "_http._tcp.local."}
        st = subprocess.run([os.path.join(BIN_DIR, "namae"), "ctl", "-s", os.path.join(d, "ctl.sock"), "status"],
                            capture_output=True, text=True, timeout=10)
        assert "mdns interface eth0 host foxtrot.local." in st.stdout, st.stdout + st.stderr
        # Shutdown sends goodbyes: zeroconf drops the service within 2 s.
        t0 = time.time()
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=10) == 0
        line, seen = wait_line(zb, lambda l: '"Removed"' in l, timeout=5)
        assert line, seen
        assert json.loads(line)["t"] - t0 < 2.0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        log.close()
        zb.stdin.close()
        lan.stop(zb)


def test_address_changes_are_followed(lan):
    p, _ = register(lan, "a", "Mover", "_http._tcp", "80", "--host", "hotel")
    try:
        lan.sh("ip", "-n", lan.ns("a"), "addr", "add", "192.0.2.11/24", "dev", "eth0")
        # rtnetlink wakes the stack; the new address set is probed (~1 s) and announced.
        deadline = time.monotonic() + 8
        out = ""
        while time.monotonic() < deadline:
            out = lan.run("b", namae("resolve", "hotel.local")).stdout
            if "192.0.2.11" in out:
                break
            time.sleep(0.5)
        assert "192.0.2.11" in out and "192.0.2.1\n" in out, out
        lan.sh("ip", "-n", lan.ns("a"), "addr", "del", "192.0.2.11/24", "dev", "eth0")
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            out = lan.run("b", namae("resolve", "hotel.local")).stdout
            if "192.0.2.11" not in out and "192.0.2.1\n" in out:
                break
            time.sleep(0.5)
        assert "192.0.2.11" not in out and "192.0.2.1\n" in out, out
    finally:
        lan.stop(p)


def test_avahi_drops_namae_service_on_goodbye(lan, avahi):
    ab = lan.start("c", ["avahi-browse", "-p", "_ipp._tcp"], env=avahi)
    p, _ = register(lan, "a", "Leaving", "_ipp._tcp", "631", "--host", "alpha")
    try:
        line, seen = wait_line(ab, lambda l: l.startswith("+;") and "Leaving" in l, timeout=10)
        assert line, seen
        t0 = time.monotonic()
        lan.stop(p)
        line, seen = wait_line(ab, lambda l: l.startswith("-;") and "Leaving" in l, timeout=5)
        assert line, seen
        print(f"goodbye: avahi dropped namae's service after {time.monotonic() - t0:.3f} s")
        assert time.monotonic() - t0 < 2.0
    finally:
        lan.stop(p)
        lan.stop(ab, signal.SIGINT)

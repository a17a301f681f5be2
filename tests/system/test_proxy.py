"""The DNS-SD Discovery Proxy (RFC 8766): `[[proxy]]` answers unicast
questions under lan.example.net from multicast DNS on a link.

Namespaces from test_mdns.Lan (a, b, c on one bridge; nothing reaches the
host's network). namaed runs in a with a proxy on its eth0; python3-zeroconf
registers an _http._tcp service in b, and a second one in c that later
goes away with goodbye packets. dig in a browses lan.example.net (service
types, PTR, SRV, TXT, A) and sees the services with rewritten names, TTLs
capped at 10 s and link-local addresses left out; the apex answers SOA and
NS at once; a name nobody has is NODATA after the wait; a goodbye removes a
service. A real DNS-SD client, avahi-daemon with wide-area DNS-SD pointed at
namaed, browses and resolves the domain (avahi-browse -d). With push-listen, `namae watch` (DNS Push, RFC 8765) subscribed to
the browse name gets what is there at once, a service registered later
within a second and its goodbye as a removal. Configuration mistakes (an interface that does not exist, a zone
served inside the proxy's domain) stop namaed at start with a clear error.
A second namaed with `host-domain` and `reverse` (RFC 8766 5.3, 5.4): avahi-daemon
in c answers the reverse question for its address asked on the link, and its
host name comes back in the host-name domain; SRV targets and addresses are
named there too; the domain enumeration names of RFC 6763 11 name the proxy's domain.
"""
import json
import os
import shutil
import subprocess
import textwrap
import time

import pytest

from conftest import BIN_DIR, make_cert, namae_bin
from test_mdns import _why, Lan, ZC_REGISTER, PY, wait_line, start_avahi, register
from test_mdns_bridge import records, status, flags

pytestmark = [pytest.mark.skipif(_why is not None, reason=_why or ""),
              pytest.mark.skipif(shutil.which("dig") is None, reason="needs dig")]

PORT = 5331
PUSH_PORT = 5332
DOMAIN = "lan.example.net."


@pytest.fixture(scope="module")
def lan():
    l = Lan()
    l.prefix = f"np{os.getpid() % 100000}"  # not test_mdns.py's namespaces
    try:
        l.up()
        # b also holds a link-local address: the proxy must leave it out.
        l.sh("ip", "-n", l.ns("b"), "addr", "add", "169.254.7.2/16", "dev", "eth0")
        yield l
    finally:
        l.down()


def write_config(d, body, server="", listen=()):
    cfg = os.path.join(d, "namaed.toml")
    addresses = ", ".join(f'"{a}"' for a in (f"127.0.0.1:{PORT}",) + tuple(listen))
    with open(cfg, "w") as f:
        f.write(textwrap.dedent(f"""\
            [server]
            listen = [{addresses}]
            control = "ctl.sock"
            {server}

            [http]
            listen = ""
            """) + textwrap.dedent(body))
    return cfg


def zc_register(lan, host, ip, name, port, server, *txt, addresses=None):
    env = dict(os.environ, ZC_ADDRESSES=" ".join(addresses)) if addresses else None
    p = lan.start(host, [PY, "-c", ZC_REGISTER, ip, name, "_http._tcp.local.", str(port), server] + list(txt),
                  stdin=subprocess.PIPE, env=env)
    line, seen = wait_line(p, lambda l: l == "registered", timeout=15)
    assert line, seen
    return p


def dig(lan, name, rtype, *extra):
    r = lan.run("a", ["dig", "@127.0.0.1", "-p", str(PORT), name, rtype, "+norec", "+noall", "+comments",
                         "+answer", "+authority", "+additional", "+stats", "+tries=1", "+time=5", *extra],
               timeout=15)
    took = [l for l in r.stdout.splitlines() if l.startswith(";; Query time:")]
    if took:  # shown by pytest -s: answered from the cache, or after waiting for the link
        print(f"{name} {rtype}: {took[0][3:]}")
    return r


@pytest.fixture(scope="module")
def proxy(lan):
    d = os.path.join(lan.tmp, "proxy")
    os.makedirs(d)
    cert, key = make_cert(os.path.join(d, "cert.pem"), os.path.join(d, "key.pem"))
    cfg = write_config(d, f"""
        [[proxy]]
        name = "{DOMAIN}"
        interface = "eth0"
        nameservers = ["ns1.example.net"]
        timeout = 1000
        """, listen=("192.0.2.1:53",), server=f'push-listen = ["127.0.0.1:{PUSH_PORT}"]\ntls-cert = "{cert}"\ntls-key = "{key}"')
    log = open(cfg + ".log", "w")
    p = subprocess.Popen(["ip", "netns", "exec", lan.ns("a"), os.path.join(BIN_DIR, "namaed"), "--config", cfg,
                          "--foreground"], stdout=log, stderr=subprocess.STDOUT, cwd=d)
    lan.procs.append(p)
    web = zc_register(lan, "b", "192.0.2.2", "Web Site", 8080, "zhost.local.", "path=/index.html")
    for _ in range(50):
        if dig(lan, DOMAIN, "SOA").returncode == 0:
            break
        time.sleep(0.1)
    yield {"dir": d, "log": cfg + ".log", "web": web, "cert": cert}
    web.stdin.close()
    log.close()


def test_apex_soa_and_ns_at_once(lan, proxy):
    t = time.monotonic()
    r = dig(lan, DOMAIN, "SOA")
    assert time.monotonic() - t < 1.0
    assert status(r.stdout) == "NOERROR", r.stdout
    assert "aa" in flags(r.stdout)
    (name, ttl, typ, data), = records(r.stdout)
    assert (name, typ) == (DOMAIN, "SOA")
    # RFC 8766 6.1: MNAME the proxy's name server, serial 0, minimum 10.
    assert data.split()[0] == "ns1.example.net." and data.split()[2:] == ["0", "7200", "3600", "86400", "10"], data
    r = dig(lan, DOMAIN, "NS")
    assert [(n, t, d) for n, _, t, d in records(r.stdout)] == [(DOMAIN, "NS", "ns1.example.net.")]


def test_browse_with_rewritten_names(lan, proxy):
    r = dig(lan, "_services._dns-sd._udp." + DOMAIN, "PTR")
    assert status(r.stdout) == "NOERROR", r.stdout
    assert ("PTR", "_http._tcp." + DOMAIN) in [(t, d) for _, _, t, d in records(r.stdout)], r.stdout
    r = dig(lan, "_http._tcp." + DOMAIN, "PTR")
    assert "aa" in flags(r.stdout), r.stdout
    ans = records(r.stdout)
    assert ("_http._tcp." + DOMAIN, "PTR", "Web\\032Site._http._tcp." + DOMAIN) in [(n, t, d) for n, _, t, d in ans], r.stdout
    assert all(ttl <= 10 for _, ttl, _, _ in ans)
    # RFC 6763 12: the instance's SRV (target rewritten), TXT and address come along.
    extra = [(t, d) for _, _, t, d in records(r.stdout, "ADDITIONAL")]
    assert ("SRV", "0 0 8080 zhost." + DOMAIN) in extra, r.stdout
    assert ("A", "192.0.2.2") in extra, r.stdout


def test_srv_txt_and_address(lan, proxy):
    inst = "Web\\032Site._http._tcp." + DOMAIN
    r = dig(lan, inst, "SRV")
    assert [(t, d) for _, _, t, d in records(r.stdout)] == [("SRV", "0 0 8080 zhost." + DOMAIN)], r.stdout
    r = dig(lan, inst, "TXT")
    assert [(t, d) for _, _, t, d in records(r.stdout)] == [("TXT", '"path=/index.html"')], r.stdout
    r = dig(lan, "zhost." + DOMAIN, "A")
    # zeroconf publishes 192.0.2.2 only; b's link-local address never leaves the link.
    assert [(n, t, d) for n, _, t, d in records(r.stdout)] == [("zhost." + DOMAIN, "A", "192.0.2.2")], r.stdout
    assert all(ttl <= 10 for _, ttl, _, _ in records(r.stdout))


def test_service_on_a_link_local_only_host_is_left_out(lan, proxy):
    # RFC 8766 5.5.2: zeroconf in b publishes "Link Only" on a host whose only
    # address is b's 169.254.7.2: its SRV and its browse PTR are not passed on.
    inst = "Link\\032Only._http._tcp." + DOMAIN
    ll = zc_register(lan, "b", "192.0.2.2", "Link Only", 8090, "llonly.local.", "k=v", addresses=["169.254.7.2"])
    try:
        for _ in range(30):  # its announcement (PTR, SRV, TXT, A in one packet) reached the proxy's cache
            if records(dig(lan, inst, "TXT").stdout):
                break
            time.sleep(0.2)
        else:
            pytest.fail("the link-local service's TXT never showed")
        r = dig(lan, inst, "SRV")
        assert status(r.stdout) == "NOERROR" and records(r.stdout) == [], r.stdout
        r = dig(lan, "_http._tcp." + DOMAIN, "PTR")
        got = [(t, d) for _, _, t, d in records(r.stdout)]
        assert ("PTR", "Web\\032Site._http._tcp." + DOMAIN) in got and ("PTR", inst) not in got, r.stdout
        assert "llonly." not in r.stdout, r.stdout
    finally:
        ll.stdin.close()
        wait_line(ll, lambda l: l == "unregistered", timeout=10)


def test_nsec_denial_and_nsec_questions(lan, proxy):
    # namae register in c publishes gamma.local (A only) with the NSEC of
    # RFC 6762 6.1 saying so, and a printer on it.
    p, _ = register(lan, "c", "Printer", "_ipp._tcp", "631", "--host", "gamma")
    try:
        r = dig(lan, "gamma." + DOMAIN, "AAAA")
        assert status(r.stdout) == "NOERROR" and records(r.stdout) == [], r.stdout
        # The mDNS NSEC is in the cache now: a negative answer given at once
        # (RFC 8766 5.6), not after the 1 s timeout.
        t = time.monotonic()
        r = dig(lan, "gamma." + DOMAIN, "AAAA")
        took = time.monotonic() - t
        assert status(r.stdout) == "NOERROR" and records(r.stdout) == [], r.stdout
        assert [t for _, _, t, _ in records(r.stdout, "AUTHORITY")] == ["SOA"], r.stdout
        assert took < 0.5, took
        # RFC 8766 5.5.3: an NSEC for that name alone, NSEC bit set.
        r = dig(lan, "gamma." + DOMAIN, "NSEC")
        assert [(n, t, d) for n, _, t, d in records(r.stdout)] == [
            ("gamma." + DOMAIN, "NSEC", "\\000.gamma." + DOMAIN + " A NSEC")], r.stdout
        r = dig(lan, "Printer._ipp._tcp." + DOMAIN, "NSEC")
        assert [d for _, _, t, d in records(r.stdout)] == ["\\000.Printer._ipp._tcp." + DOMAIN + " TXT SRV NSEC"], r.stdout
    finally:
        lan.stop(p)


def test_ctl_status_counts_the_proxy(lan, proxy):
    r = lan.run("a", [namae_bin("namae"), "ctl", "-s", os.path.join(proxy["dir"], "ctl.sock"), "status"])
    line = [l for l in r.stdout.splitlines() if l.startswith("proxy " + DOMAIN)]
    assert line, r.stdout + r.stderr
    f = line[0].split()
    assert int(f[f.index("queries") + 1]) > 0 and int(f[f.index("waited") + 1]) > 0, line


def test_nothing_on_the_link_is_nodata_after_the_wait(lan, proxy):
    t = time.monotonic()
    r = dig(lan, "nobody." + DOMAIN, "A")
    took = time.monotonic() - t
    # RFC 8766 5.6: "no error no answer", with the SOA (minimum 10).
    assert status(r.stdout) == "NOERROR", r.stdout
    assert records(r.stdout) == []
    assert [t for _, _, t, _ in records(r.stdout, "AUTHORITY")] == ["SOA"]
    assert 0.9 <= took < 3, took


def wait_until_browsed(lan, want):
    """Until the proxy's browse answer holds `want` (a (type, data) pair)."""
    for _ in range(30):
        if want in [(t, d) for _, _, t, d in records(dig(lan, "_http._tcp." + DOMAIN, "PTR").stdout)]:
            return
        time.sleep(0.2)
    pytest.fail("the new service never showed")


def test_goodbye_removes_a_service(lan, proxy):
    gone = zc_register(lan, "c", "192.0.2.3", "Gone Soon", 8081, "chost.local.")
    want = ("PTR", "Gone\\032Soon._http._tcp." + DOMAIN)
    wait_until_browsed(lan, want)
    gone.stdin.close()  # zeroconf unregisters: goodbye packets (TTL 0)
    line, seen = wait_line(gone, lambda l: l == "unregistered", timeout=10)
    assert line, seen
    time.sleep(1.5)  # RFC 6762 10.1: a goodbye takes effect after one second
    r = dig(lan, "_http._tcp." + DOMAIN, "PTR")
    got = [(t, d) for _, _, t, d in records(r.stdout)]
    assert want not in got and ("PTR", "Web\\032Site._http._tcp." + DOMAIN) in got, r.stdout


def watch_line(p, timeout):
    line, seen = wait_line(p, lambda l: l.startswith("{"), timeout=timeout)
    return json.loads(line) if line else None


def test_push_subscriber_hears_services_come_and_go(lan, proxy):
    r = dig(lan, "_dns-push-tls._tcp." + DOMAIN, "SRV")
    assert [(t, d) for _, _, t, d in records(r.stdout)] == [("SRV", f"0 0 {PUSH_PORT} ns1.example.net.")], r.stdout
    w = lan.start("a", [namae_bin("namae"), "watch", "_http._tcp." + DOMAIN, "PTR", "--server",
                        f"127.0.0.1:{PUSH_PORT}", "--tls-name", "dns.test", "--ca", proxy["cert"], "--json"])
    first = watch_line(w, 5)
    assert first, lan.stop(w)
    # What the link's cache holds, at once, TTL unmodified (RFC 8766 5.5.1).
    assert first["change"] == "add" and first["data"] == "Web\\032Site._http._tcp." + DOMAIN, first
    assert first["ttl"] > 10, first
    t0 = time.monotonic()
    late = zc_register(lan, "c", "192.0.2.3", "Late Comer", 8082, "lhost.local.")
    t = time.monotonic()  # zeroconf has probed and announced
    ev = watch_line(w, 1.0)
    assert ev and ev["change"] == "add" and ev["data"] == "Late\\032Comer._http._tcp." + DOMAIN, ev
    print(f"new service pushed {time.monotonic() - t:.3f} s after zeroconf's register_service returned "
          f"({time.monotonic() - t0:.3f} s after it started)")
    late.stdin.close()
    line, seen = wait_line(late, lambda l: l == "unregistered", timeout=10)
    assert line, seen
    t = time.monotonic()
    ev = watch_line(w, 5)
    assert ev and ev["change"] == "remove" and ev["data"] == "Late\\032Comer._http._tcp." + DOMAIN, ev
    took = time.monotonic() - t
    print(f"goodbye pushed as a removal {took:.3f} s after zeroconf unregistered")
    assert took < 3  # RFC 6762 10.1: one second, then the cache lets go
    lan.stop(w)


def test_avahi_browses_the_domain_over_unicast_dns(lan, proxy):
    # A real DNS-SD client: avahi-daemon in c with wide-area DNS-SD on, its
    # unicast server namaed in a (port 53 of a's address), browsing
    # lan.example.net and resolving what it finds there (SRV, TXT, A).
    resolv = os.path.join(lan.tmp, "resolv.conf")
    with open(resolv, "w") as f:
        f.write("nameserver 192.0.2.1\n")
    env, procs = start_avahi(lan, "widearea", wide_area=True, resolv_conf=resolv)
    try:
        # -p: ";"-separated, names escaped; -k: the type as it is, not its description.
        r = lan.run("c", ["avahi-browse", "-d", DOMAIN.rstrip("."), "-rptk", "_http._tcp"], env=env, timeout=30)
        resolved = [l.split(";") for l in r.stdout.splitlines() if l.startswith("=")]
        assert ["Web\\032Site", "_http._tcp", DOMAIN.rstrip("."), "zhost." + DOMAIN.rstrip("."), "192.0.2.2", "8080",
                '"path=/index.html"'] in [f[3:] for f in resolved], r.stdout + r.stderr
    finally:
        for p in procs:
            lan.stop(p)


def test_bad_interface_and_overlapping_zone_stop_the_start(lan):
    d = os.path.join(lan.tmp, "bad")
    os.makedirs(d)
    cfg = write_config(d, f"""
        [[proxy]]
        name = "{DOMAIN}"
        interface = "nosuch0"
        """)
    r = lan.run("a", [os.path.join(BIN_DIR, "namaed"), "--config", cfg, "--foreground"], timeout=10)
    assert r.returncode != 0
    assert "[[proxy]] 'lan.example.net.': interface 'nosuch0' does not exist" in r.stderr + r.stdout
    with open(os.path.join(d, "z.zone"), "w") as f:
        f.write("@ 60 SOA ns1.example.net. h.example.net. 1 60 60 600 60\n@ 60 NS ns1.example.net.\n")
    cfg = write_config(d, f"""
        [[zone]]
        name = "sub.{DOMAIN}"
        file = "z.zone"

        [[proxy]]
        name = "{DOMAIN}"
        interface = "eth0"
        """)
    r = subprocess.run([os.path.join(BIN_DIR, "namaed"), "--config", cfg, "--check"], capture_output=True, text=True)
    assert r.returncode != 0
    assert f"namaed.toml:13: [[proxy]] '{DOMAIN}': zone 'sub.{DOMAIN}' is served here" in r.stderr, r.stderr


# --- RFC 8766 5.3 host-name domain, 5.4 reverse mapping, RFC 6763 11 domain enumeration

WIDE_PORT = 5333
HOSTS = "hosts.example.net."


def dig_at(lan, port, *args):
    return lan.run("a", ["dig", "@127.0.0.1", "-p", str(port), *args, "+norec", "+noall", "+comments", "+answer",
                         "+authority", "+additional", "+tries=1", "+time=5"], timeout=15)


@pytest.fixture(scope="module")
def wide_proxy(lan, proxy):
    """A second namaed in a with a host-name domain and the link's reverse zone."""
    d = os.path.join(lan.tmp, "wide")
    os.makedirs(d)
    cfg = os.path.join(d, "namaed.toml")
    with open(cfg, "w") as f:
        f.write(textwrap.dedent(f"""\
            [server]
            listen = ["127.0.0.1:{WIDE_PORT}"]
            control = "ctl.sock"

            [http]
            listen = ""

            [[proxy]]
            name = "{DOMAIN}"
            interface = "eth0"
            nameservers = ["ns1.example.net"]
            timeout = 1500
            host-domain = "{HOSTS}"
            reverse = ["192.0.2.0/24"]
            """))
    log = open(cfg + ".log", "w")
    p = subprocess.Popen(["ip", "netns", "exec", lan.ns("a"), os.path.join(BIN_DIR, "namaed"), "--config", cfg,
                          "--foreground"], stdout=log, stderr=subprocess.STDOUT, cwd=d)
    lan.procs.append(p)
    for _ in range(50):
        if dig_at(lan, WIDE_PORT, HOSTS, "SOA").returncode == 0:
            break
        time.sleep(0.1)
    yield p
    log.close()


def test_reverse_mapping_asks_the_link_and_names_the_host_domain(lan, wide_proxy):
    # RFC 8766 5.4: avahi-daemon in c (charlie, 192.0.2.3) answers the
    # reverse question asked on the link as it is; the .local name comes
    # back in the host-name domain, which then answers its address.
    env, procs = start_avahi(lan, "charlie")
    try:
        r = dig_at(lan, WIDE_PORT, "-x", "192.0.2.3")
        assert status(r.stdout) == "NOERROR" and "aa" in flags(r.stdout), r.stdout
        assert [(n, t, d) for n, _, t, d in records(r.stdout)] == [
            ("3.2.0.192.in-addr.arpa.", "PTR", "charlie." + HOSTS)], r.stdout
        assert all(ttl <= 10 for _, ttl, _, _ in records(r.stdout))
        r = dig_at(lan, WIDE_PORT, "charlie." + HOSTS, "A")
        assert [(n, t, d) for n, _, t, d in records(r.stdout)] == [("charlie." + HOSTS, "A", "192.0.2.3")], r.stdout
    finally:
        for p in procs:
            lan.stop(p)
    # The reverse zone's apex is the proxy's, answered at once; an address
    # outside the configured prefix is not its business.
    r = dig_at(lan, WIDE_PORT, "2.0.192.in-addr.arpa", "SOA")
    assert [(n, t) for n, _, t, _ in records(r.stdout)] == [("2.0.192.in-addr.arpa.", "SOA")], r.stdout
    r = dig_at(lan, WIDE_PORT, "-x", "198.51.100.1")
    assert status(r.stdout) == "REFUSED", r.stdout


def test_srv_targets_and_addresses_are_in_the_host_domain(lan, wide_proxy):
    # RFC 8766 5.3/5.5: the service keeps the rich-text domain, its host the LDH one.
    r = dig_at(lan, WIDE_PORT, "_http._tcp." + DOMAIN, "PTR")
    assert ("PTR", "Web\\032Site._http._tcp." + DOMAIN) in [(t, d) for _, _, t, d in records(r.stdout)], r.stdout
    extra = [(n, t, d) for n, _, t, d in records(r.stdout, "ADDITIONAL")]
    # (records() writes owner names in lower case)
    assert ("web\\032site._http._tcp." + DOMAIN, "SRV", "0 0 8080 zhost." + HOSTS) in extra, r.stdout
    assert ("zhost." + HOSTS, "A", "192.0.2.2") in extra, r.stdout
    r = dig_at(lan, WIDE_PORT, "zhost." + HOSTS, "A")
    assert [(n, t, d) for n, _, t, d in records(r.stdout)] == [("zhost." + HOSTS, "A", "192.0.2.2")], r.stdout


def test_domain_enumeration_names_the_proxys_domain(lan, wide_proxy):
    # RFC 6763 11: a client on 192.0.2.0/24 asks b/db/lb._dns-sd._udp under
    # its subnet's reverse name, one told lan.example.net under that domain.
    for name in ("b._dns-sd._udp.0.2.0.192.in-addr.arpa", "lb._dns-sd._udp.0.2.0.192.in-addr.arpa",
                 "b._dns-sd._udp." + DOMAIN, "db._dns-sd._udp." + DOMAIN):
        t = time.monotonic()
        r = dig_at(lan, WIDE_PORT, name, "PTR")
        assert time.monotonic() - t < 1.0  # not asked on the link
        assert [(t, d) for _, _, t, d in records(r.stdout)] == [("PTR", DOMAIN)], r.stdout
    r = dig_at(lan, WIDE_PORT, "r._dns-sd._udp." + DOMAIN, "PTR")
    assert status(r.stdout) == "NOERROR" and records(r.stdout) == [], r.stdout


def test_bad_host_domain_and_reverse_prefix_stop_the_start(lan):
    d = os.path.join(lan.tmp, "badwide")
    os.makedirs(d)
    for extra, msg in [('host-domain = "bldg 1.example.net"', "is not a letter-digit-hyphen domain name"),
                       ('reverse = ["192.0.2.0/25"]', "does not end on a label boundary"),
                       ('reverse = ["nonsense"]', "is not an address"),
                       (f'host-domain = "x.{DOMAIN}"', "overlap")]:
        cfg = write_config(d, f"""
            [[proxy]]
            name = "{DOMAIN}"
            interface = "eth0"
            {extra}
            """)
        r = subprocess.run([os.path.join(BIN_DIR, "namaed"), "--config", cfg, "--check"], capture_output=True, text=True)
        assert r.returncode != 0 and msg in r.stderr, (extra, r.stderr)


# A DSO client in the namespace (RFC 8490, RFC 8765): subscribes to the
# browse PTRs, and once the instance named on the command line is pushed,
# sends a RECONFIRM of exactly that record; prints "reconfirmed", then
# "removed SECONDS" when its removal is pushed.
RECONFIRM_CLIENT = textwrap.dedent("""
    import socket, ssl, struct, sys, time
    port, cafile, browse, instance = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4].encode()
    def wire(name):
        return b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split(".")) + b"\\0"
    def header(msg_id):
        return struct.pack(">HBBHHHH", msg_id, 6 << 3, 0, 0, 0, 0, 0)
    def tlv(kind, data):
        return struct.pack(">HH", kind, len(data)) + data
    ctx = ssl.create_default_context(cafile=cafile)
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30), server_hostname="dns.test")
    buf = b""
    def send(msg):
        s.sendall(struct.pack(">H", len(msg)) + msg)
    def read():
        global buf
        while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
            chunk = s.recv(65536)
            if not chunk:
                sys.exit("closed")
            buf += chunk
        n = struct.unpack(">H", buf[:2])[0]
        msg, buf = buf[2:2 + n], buf[2 + n:]
        return msg
    def changes(msg):  # the records of a PUSH: (ttl, rrtype, rdata)
        out, pos, data = [], 0, msg[16:]
        while pos < len(data):
            while data[pos] != 0:
                pos += 1 + data[pos]
            rtype, _, ttl, rdlen = struct.unpack(">HHIH", data[pos + 1:pos + 11])
            out.append((ttl, rtype, data[pos + 11:pos + 11 + rdlen]))
            pos += 11 + rdlen
        return out
    send(header(1) + tlv(0x40, wire(browse) + struct.pack(">HH", 12, 1)))
    target = None
    while target is None:
        m = read()
        if m[2] & 0x80 or struct.unpack(">H", m[12:14])[0] != 0x41:
            continue
        for ttl, rtype, rdata in changes(m):
            if ttl < 0xFFFFFFFE and instance in rdata:
                target = rdata
    send(header(0) + tlv(0x43, wire(browse) + struct.pack(">HH", 12, 1) + target))
    t = time.monotonic()
    print("reconfirmed", flush=True)
    while True:
        m = read()
        if m[2] & 0x80 or struct.unpack(">H", m[12:14])[0] != 0x41:
            continue
        if any(ttl == 0xFFFFFFFF and rdata == target for ttl, _, rdata in changes(m)):
            print(f"removed {time.monotonic() - t:.3f}", flush=True)
            break
""")


def test_push_reconfirm_of_a_silently_gone_service_reconfirms_it_on_the_link(lan, proxy):
    """RFC 8765 6.5 through the proxy: a subscriber's RECONFIRM of a service
    whose responder died without a goodbye makes the proxy reconfirm it on
    the link (RFC 6762 10.4); nobody answers, so about 10 s later it is
    flushed and its removal pushed. Without the RECONFIRM the PTR would stay
    for its TTL (zeroconf's: 4500 s)."""
    gone = zc_register(lan, "c", "192.0.2.3", "Vanish", 8083, "vhost.local.")
    want = ("PTR", "Vanish._http._tcp." + DOMAIN)
    wait_until_browsed(lan, want)
    gone.kill()  # ip netns exec became python: SIGKILL, so no goodbye
    gone.wait()
    c = lan.start("a", [PY, "-c", RECONFIRM_CLIENT, str(PUSH_PORT), proxy["cert"], "_http._tcp." + DOMAIN,
                        "Vanish"])
    line, seen = wait_line(c, lambda l: l == "reconfirmed", timeout=10)
    assert line, (seen, lan.stop(c))
    line, seen = wait_line(c, lambda l: l.startswith("removed"), timeout=20)
    assert line, (seen, lan.stop(c))
    took = float(line.split()[1])
    print(f"RECONFIRM to pushed removal: {took:.3f} s")
    assert 8 <= took <= 14, took  # three queries over 6 s, flushed at 10 s
    r = dig(lan, "_http._tcp." + DOMAIN, "PTR")
    assert want not in [(t, d) for _, _, t, d in records(r.stdout)], r.stdout
    lan.stop(c)

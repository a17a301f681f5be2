"""Live reconfiguration: `namae ctl reconfigure` and SIGHUP re-read the whole
config file. Zones added (answered at once), removed (REFUSED), changed
(new file's data); a TSIG key and grant added (nsupdate works) and revoked
(refused); allow-query, rrl and the resolver's allow changed; a config with
an error refused whole (ctl exits 1, the message names file:line: reason,
the old config still serves); an open TCP connection survives; secondaries
added (transferred) and removed (timers stop); reconfiguring 10 times
under dnsperf load loses no query; and 20 reconfigurations with a bad one
amid dnsperf load and a stream of signed updates lose no query and no
update."""
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import time

import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import dig_status as status, dig_stdout as dig, free_port, namae_bin
from test_server import ZONE, Namaed

KEY_NAME = "upd-key"
KEY_SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTAxMjM="
OTHER = """$ORIGIN other.test.
$TTL 300
@     IN SOA ns1 hostmaster {serial} 7200 900 1209600 60
@     IN NS  ns1
ns1   IN A   127.0.0.1
www   IN A   198.51.100.{last}
"""
DYN = OTHER.replace("other.test.", "dyn.test.")


class Server(Namaed):
    """namaed whose config the test rewrites: `extra` goes in [server],
    `tail` after the example.test zone."""

    def __init__(self, extra="", tail=""):
        self.extra, self.tail = extra, tail
        super().__init__(extra_server=extra)

    def write_config(self, idle_ms, extra_server):
        super().write_config(idle_ms, self.extra)
        with open(self.config, "a") as f:
            f.write(self.tail)

    def rewrite(self, extra=None, tail=None):
        self.extra = self.extra if extra is None else extra
        self.tail = self.tail if tail is None else tail
        self.write_config(1500, self.extra)

    def ctl(self, *words):
        p = subprocess.run([namae_bin(), "ctl", "-s", self.control, *words], capture_output=True, text=True,
                           timeout=60)
        return p.returncode, p.stdout + p.stderr

    def reconfigure(self, how="ctl"):
        """Apply the config file; the reply (ctl) or the log lines it added (SIGHUP)."""
        if how == "ctl":
            rc, out = self.ctl("reconfigure")
            assert rc == 0 and out.startswith("ok"), out
            return out
        self.drain_notify()
        before = self.log_text().count("reconfigure (SIGHUP):")
        self.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while time.time() < deadline:
            log = self.log_text()
            if log.count("reconfigure (SIGHUP):") > before:
                time.sleep(0.1)  # the change lines follow the summary
                return log
            time.sleep(0.05)
        raise AssertionError("no reconfigure after SIGHUP:\n" + self.log_text())


    def drain_notify(self):
        """Reads what namaed sent the notify socket, as systemd would (each
        SIGHUP sends RELOADING=1 and READY=1; test_unread_notify_socket_never_
        blocks is the one test that leaves them unread)."""
        self.notify.setblocking(False)
        try:
            while self.notify.recv(4096):
                pass
        except BlockingIOError:
            pass
        self.notify.settimeout(0.2)


def zone_table(name, file, more=""):
    return f'\n[[zone]]\nname = "{name}"\nfile = "{file}"\n{more}'


def write(server, name, text):
    path = os.path.join(server.dir, name)
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


@pytest.fixture
def server():
    s = Server()
    yield s
    s.stop()


@pytest.mark.parametrize("how", ["ctl", "sighup"])
def test_zones_added_changed_removed(server, how):
    assert status(dig(server.port, "www.other.test", "A")) == "REFUSED"
    write(server, "other.zone", OTHER.format(serial=1, last=1))
    server.rewrite(tail=zone_table("other.test", "other.zone"))
    out = server.reconfigure(how)
    assert "zone other.test: added" in out, out
    out = dig(server.port, "www.other.test", "A")
    assert status(out) == "NOERROR" and "198.51.100.1" in out, out

    write(server, "other2.zone", OTHER.format(serial=2, last=2))
    server.rewrite(tail=zone_table("other.test", "other2.zone"))
    out = server.reconfigure(how)
    assert "zone other.test: file changed: served anew" in out, out
    assert "198.51.100.2" in dig(server.port, "www.other.test", "A")

    server.rewrite(tail="")
    out = server.reconfigure(how)
    assert "zone other.test: removed" in out, out
    assert status(dig(server.port, "www.other.test", "A")) == "REFUSED"
    assert "192.0.2.1" in dig(server.port, "www.example.test", "A")  # untouched


def nsupdate(server, key=True):
    script = f"server 127.0.0.1 {server.port}\nzone dyn.test\nupdate add new.dyn.test 60 A 203.0.113.9\nsend\n"
    args = ["nsupdate"] + (["-y", f"hmac-sha256:{KEY_NAME}:{KEY_SECRET}"] if key else [])
    return subprocess.run(args, input=script, capture_output=True, text=True, timeout=30)


DYN_ZONE = zone_table("dyn.test", "dyn.zone", 'journal = "dyn.db"\n')
GRANT = f'update-policy = [ {{ key = "{KEY_NAME}", grant = "zonesub", types = ["A"] }} ]\n'
KEY = f'\n[[key]]\nname = "{KEY_NAME}"\nsecret = "{KEY_SECRET}"\n'


@pytest.mark.parametrize("how", ["ctl", "sighup"])
def test_key_and_grant_added_then_revoked(server, how):
    write(server, "dyn.zone", DYN.format(serial=1, last=1))
    server.rewrite(tail=DYN_ZONE)
    server.reconfigure(how)
    assert status(dig(server.port, "www.dyn.test", "A")) == "NOERROR"
    p = nsupdate(server)
    assert p.returncode != 0, p.stdout + p.stderr  # no such key yet

    server.rewrite(tail=DYN_ZONE + GRANT + KEY)
    out = server.reconfigure(how)
    assert "keys: [[key]] tables changed" in out and "zone dyn.test: update-policy changed" in out, out
    p = nsupdate(server)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "203.0.113.9" in dig(server.port, "new.dyn.test", "A")

    server.rewrite(tail=DYN_ZONE)
    server.reconfigure(how)
    p = nsupdate(server)
    assert p.returncode != 0 and re.search(r"NOTAUTH|REFUSED|BADKEY|tsig", p.stdout + p.stderr, re.I), \
        p.stdout + p.stderr
    # The journal kept the update through both changes.
    assert "203.0.113.9" in dig(server.port, "new.dyn.test", "A")


@pytest.mark.parametrize("how", ["ctl", "sighup"])
def test_allow_query_changes(server, how):
    server.rewrite(extra='allow-query = ["127.0.0.2/32"]')
    out = server.reconfigure(how)
    assert "allow-query" in out, out
    out = dig(server.port, "www.example.test", "A")
    assert status(out) == "REFUSED" and "EDE: 18 (Prohibited)" in out, out
    server.rewrite(extra='allow-query = ["127.0.0.1/32"]')
    server.reconfigure(how)
    out = dig(server.port, "www.example.test", "A")
    assert status(out) == "NOERROR" and "192.0.2.1" in out, out


def udp_burst(port, n=60):
    """Answers to `n` queries sent at once from one source."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    q = dns.message.make_query("www.example.test", "A")
    for i in range(n):
        q.id = i
        s.sendto(q.to_wire(), ("127.0.0.1", port))
    got = 0
    try:
        while True:
            s.recvfrom(4096)
            got += 1
    except socket.timeout:
        pass
    s.close()
    return got


def test_rrl_rate_changes(server):
    server.rewrite(extra="rrl = { responses-per-second = 2, slip = 0 }")
    out = server.reconfigure()
    assert "server: rrl changed" in out, out
    limited = udp_burst(server.port)
    assert limited <= 10, limited
    server.rewrite(extra="rrl = { responses-per-second = 1000, slip = 0 }")
    server.reconfigure("sighup")
    assert udp_burst(server.port) == 60


def resolver_tail(allow):
    return f'\n[resolver]\nlisten = ["127.0.0.1:{RESOLVER_PORT}"]\nallow = ["{allow}"]\n'


RESOLVER_PORT = free_port()


def test_resolver_allow_changes():
    s = Server(tail=resolver_tail("127.0.0.2/32"))
    try:
        # An RFC 6303 empty zone: answered by the resolver itself, no upstream.
        out = dig(RESOLVER_PORT, "1.10.in-addr.arpa", "PTR")
        assert status(out) == "REFUSED", out
        s.rewrite(tail=resolver_tail("127.0.0.1/32"))
        out = s.reconfigure("sighup")
        assert "resolver: allow changed" in out, out
        assert status(dig(RESOLVER_PORT, "1.10.in-addr.arpa", "PTR")) == "NXDOMAIN"
    finally:
        s.stop()


@pytest.mark.parametrize("how", ["ctl", "sighup"])
def test_bad_config_refused_whole(server, how):
    write(server, "other.zone", OTHER.format(serial=1, last=1))
    good = zone_table("other.test", "other.zone")
    cases = [
        (good + "\n[[zone]\nname = 1\n", r"namaed\.toml:\d+"),  # TOML syntax
        (good + 'bogus-key = 1\n', r"namaed\.toml:\d+:.*bogus-key"),  # unknown key
        (good + zone_table("gone.test", "missing.zone"), r"missing\.zone.*(No such file|cannot)"),
    ]
    for tail, message in cases:
        server.rewrite(extra="", tail=tail)
        if how == "ctl":
            rc, out = server.ctl("reconfigure")
            assert rc != 0 and out.startswith("error: configuration refused"), out
        else:
            out = server.reconfigure("sighup")
            out = out[out.rindex("reconfigure (SIGHUP)"):]
            assert "refused" in out, out
        assert re.search(message, out), (message, out)
        # Nothing of it applied, not even the good zone; the old config serves.
        assert status(dig(server.port, "www.other.test", "A")) == "REFUSED"
        assert "192.0.2.1" in dig(server.port, "www.example.test", "A")


def tcp_query(sock, name, qid):
    q = dns.message.make_query(name, "A")
    q.id = qid
    w = q.to_wire()
    sock.sendall(struct.pack("!H", len(w)) + w)


def tcp_read(sock):
    def exact(n):
        b = b""
        while len(b) < n:
            chunk = sock.recv(n - len(b))
            assert chunk, "connection closed"
            b += chunk
        return b
    (n,) = struct.unpack("!H", exact(2))
    return dns.message.from_wire(exact(n))


def test_open_tcp_connection_survives(server):
    write(server, "other.zone", OTHER.format(serial=1, last=1))
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        for i in range(3):
            tcp_query(s, "www.example.test", i)
        got = [tcp_read(s) for _ in range(3)]
        assert sorted(m.id for m in got) == [0, 1, 2]
        server.rewrite(tail=zone_table("other.test", "other.zone"))
        server.reconfigure()
        for i in range(3, 6):
            tcp_query(s, "www.other.test" if i % 2 else "www.example.test", i)
        got = [tcp_read(s) for _ in range(3)]
        assert sorted(m.id for m in got) == [3, 4, 5]
        assert all(m.rcode() == dns.rcode.NOERROR and m.answer for m in got), got


def test_secondary_added_transfers_and_removed_stops(server, peers):
    name = "sec.test"
    primary = peers("named", zones={name: OTHER.replace("other.test.", "sec.test.").format(serial=7, last=7)})
    sec = zone_table(name, "sec.zone", f'primaries = ["127.0.0.1:{primary.port}"]\n')
    server.rewrite(tail=sec)
    out = server.reconfigure()
    assert f"zone {name}: added" in out, out
    deadline = time.time() + 10
    while time.time() < deadline and status(dig(server.port, name, "SOA")) != "NOERROR":
        time.sleep(0.1)
    out = dig(server.port, "www." + name, "A")
    assert status(out) == "NOERROR" and "198.51.100.7" in out, server.log_text()
    rc, out = server.ctl("zone", "status", name)
    assert rc == 0, out
    server.rewrite(tail="")
    out = server.reconfigure("sighup")
    assert status(dig(server.port, name, "SOA")) == "REFUSED"
    rc, out = server.ctl("zone", "status", name)
    assert rc != 0, out  # no secondary (and no timers) left


def test_restart_keys_reported(server):
    server.rewrite(extra="tcp-workers = 3\nudp-batch = 8")
    out = server.reconfigure()
    assert "[server] tcp-workers: needs a restart" in out, out
    assert "[server] udp-batch: needs a restart" in out, out
    assert "192.0.2.1" in dig(server.port, "www.example.test", "A")


@pytest.mark.skipif(not shutil.which("dnsperf"), reason="dnsperf not installed")
def test_reconfigure_under_load(server, tmp_path):
    """dnsperf at a moderate rate while the config changes 10 times (a zone and
    a key added and removed in turn): no query lost, none answered SERVFAIL."""
    write(server, "other.zone", OTHER.format(serial=1, last=1))
    data = tmp_path / "queries"
    data.write_text("www.example.test A\nwww.example.test AAAA\nexample.test SOA\n")
    perf = subprocess.Popen(["dnsperf", "-s", "127.0.0.1", "-p", str(server.port), "-d", str(data),
                             "-l", "6", "-Q", "2000", "-t", "2", "-c", "4"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(0.5)
    for i in range(10):
        tail = zone_table("other.test", "other.zone") + KEY if i % 2 == 0 else ""
        server.rewrite(tail=tail)
        server.reconfigure("ctl" if i % 3 else "sighup")
        time.sleep(0.4)
    out, _ = perf.communicate(timeout=30)
    sent = int(re.search(r"Queries sent:\s+(\d+)", out).group(1))
    completed = int(re.search(r"Queries completed:\s+(\d+)", out).group(1))
    lost = int(re.search(r"Queries lost:\s+(\d+)", out).group(1))
    print(f"dnsperf during 10 reconfigurations: sent {sent} completed {completed} lost {lost}")
    assert sent > 5000, out
    assert lost == 0 and completed == sent, out
    assert "SERVFAIL" not in out and "REFUSED" not in out, out


ROT_KEY, ROT_SECRET = "rot-key", "cm90YXRlZC1yb3RhdGVkLXJvdGF0ZWQtcm90YXRlZDA="
DYN2 = OTHER.replace("other.test.", "dyn2.test.")


def key_table(name, secret):
    return f'\n[[key]]\nname = "{name}"\nsecret = "{secret}"\n'


def grant(key):
    return f'{{ key = "{key}", grant = "zonesub", types = ["A"] }}'


def churn_tail(i):
    """Reconfiguration i's tail: dyn.test (updated throughout) stays; on even
    steps other.test, rot-key and rot-key's grant on dyn.test are there, on odd
    steps the dynamic zone dyn2.test is instead."""
    even = i % 2 == 0
    keys = key_table(KEY_NAME, KEY_SECRET) + (key_table(ROT_KEY, ROT_SECRET) if even else "")
    grants = [grant(KEY_NAME)] + ([grant(ROT_KEY)] if even else [])
    dyn = zone_table("dyn.test", "dyn.zone", f'journal = "dyn.db"\nupdate-policy = [ {", ".join(grants)} ]\n')
    other = zone_table("other.test", "other.zone") if even else \
        zone_table("dyn2.test", "dyn2.zone", f'journal = "dyn2.db"\nupdate-policy = [ {grant(KEY_NAME)} ]\n')
    return keys + dyn + other


def signed_update(port, name, key, secret, address="203.0.113.7"):
    """The rcode of a TSIG-signed update adding `name` A to dyn.test over TCP,
    or the exception's text when none came (timeout, bad signature...)."""
    import dns.tsigkeyring
    import dns.update
    upd = dns.update.UpdateMessage("dyn.test", keyring=dns.tsigkeyring.from_text({key: secret}),
                                   keyname=key, keyalgorithm="hmac-sha256")
    upd.add(name, 60, "A", address)
    try:
        return dns.rcode.to_text(dns.query.tcp(upd, "127.0.0.1", port=port, timeout=5).rcode())
    except Exception as e:  # the caller counts it as failed
        return f"{type(e).__name__}: {e}"


def udp_rcode(port, name, rdtype="A"):
    r = dns.query.udp(dns.message.make_query(name, rdtype), "127.0.0.1", port=port, timeout=2)
    return dns.rcode.to_text(r.rcode()), r


@pytest.mark.skipif(not shutil.which("dnsperf"), reason="dnsperf not installed")
def test_reconfigure_under_load_with_updates(tmp_path):
    """dnsperf queries example.test while a thread sends TSIG-signed updates to
    dyn.test one after another, and 20 reconfigurations (ctl and SIGHUP in turn)
    add and remove other.test, the dynamic dyn2.test, rot-key and its grant,
    with a bad config in the middle: no query lost, every update NOERROR and in
    the zone afterwards, each change visible at once, the bad config refused
    while the old one serves."""
    import threading
    stop = threading.Event()
    s = Server()
    try:
        for name, text in (("dyn.zone", DYN), ("other.zone", OTHER), ("dyn2.zone", DYN2)):
            write(s, name, text.format(serial=1, last=1))
        s.rewrite(tail=churn_tail(1))
        s.reconfigure()
        assert udp_rcode(s.port, "www.dyn.test")[0] == "NOERROR"
        data = tmp_path / "queries"
        data.write_text("www.example.test A\nwww.example.test AAAA\nexample.test SOA\n")
        perf = subprocess.Popen(["dnsperf", "-s", "127.0.0.1", "-p", str(s.port), "-d", str(data),
                                 "-l", "7", "-Q", "2000", "-t", "2", "-c", "4"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        results = []

        def updater():
            n = 0
            while not stop.is_set():
                name = f"u{n}.dyn.test."
                results.append((name, signed_update(s.port, name, KEY_NAME, KEY_SECRET)))
                n += 1
                time.sleep(0.005)

        thread = threading.Thread(target=updater, daemon=True)
        thread.start()
        time.sleep(0.3)
        refused_bad, rot_checked = False, 0
        for i in range(20):
            if i == 10:  # a bad config: refused whole, the running one serves on
                s.rewrite(tail=churn_tail(i) + zone_table("gone.test", "missing.zone"))
                rc, out = s.ctl("reconfigure")
                assert rc != 0 and out.startswith("error: configuration refused"), out
                refused_bad = True
                assert udp_rcode(s.port, "www.dyn2.test")[0] == "NOERROR"  # step 9's config
                assert udp_rcode(s.port, "www.other.test")[0] == "REFUSED"
                assert udp_rcode(s.port, "www.gone.test")[0] == "REFUSED"
            s.rewrite(tail=churn_tail(i))
            s.reconfigure("ctl" if i % 2 == 0 else "sighup")
            even = i % 2 == 0
            assert udp_rcode(s.port, "www.other.test")[0] == ("NOERROR" if even else "REFUSED"), i
            assert udp_rcode(s.port, "www.dyn2.test")[0] == ("REFUSED" if even else "NOERROR"), i
            rot = signed_update(s.port, f"rot{i}.dyn.test.", ROT_KEY, ROT_SECRET)
            assert (rot == "NOERROR") == even, (i, rot, s.log_text()[-3000:])
            rot_checked += 1
            time.sleep(0.1)
        load_running = perf.poll() is None
        stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive(), "an update hung"
        out, _ = perf.communicate(timeout=30)
        sent = int(re.search(r"Queries sent:\s+(\d+)", out).group(1))
        lost = int(re.search(r"Queries lost:\s+(\d+)", out).group(1))
        acked = [name for name, rcode in results if rcode == "NOERROR"]
        failed = [(name, rcode) for name, rcode in results if rcode != "NOERROR"]
        missing = [name for name in acked if udp_rcode(s.port, name)[0] != "NOERROR"]
        print(f"20 reconfigurations (+1 refused) under load: dnsperf sent {sent} lost {lost}; "
              f"updates sent {len(results)} acknowledged {len(acked)} missing afterwards {len(missing)}; "
              f"rot-key updates checked {rot_checked}")
        assert load_running, "dnsperf ended before the reconfigurations did"
        assert refused_bad
        assert sent > 5000 and lost == 0, out
        assert "SERVFAIL" not in out and "REFUSED" not in out, out
        assert len(results) > 50 and not failed, failed[:5]
        assert not missing, missing[:5]
    finally:
        stop.set()
        s.stop()


XFR_KEY, XFR_OLD, XFR_NEW = "xfr-key", "b2xkLXNlY3JldC1vbGQtc2VjcmV0LW9sZC1zZWNyZXQ=", \
    "bmV3LXNlY3JldC1uZXctc2VjcmV0LW5ldy1zZWNyZXQ="
SEC = OTHER.replace("other.test.", "sec.test.")


def signed(query, secret):
    import dns.tsigkeyring
    query.use_tsig(dns.tsigkeyring.from_text({XFR_KEY: secret}), keyname=XFR_KEY, algorithm="hmac-sha256")
    return query


def notify_rcode(port, secret):
    """The rcode of a NOTIFY for sec.test signed with `secret` (a reply to a
    bad signature is unsigned: read without checking it)."""
    q = signed(dns.message.make_query("sec.test", "SOA"), secret)
    q.set_opcode(dns.opcode.NOTIFY)
    q.flags |= dns.flags.AA
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(q.to_wire(), ("127.0.0.1", port))
        wire = s.recv(4096)
    return dns.rcode.to_text(dns.rcode.from_flags(struct.unpack("!H", wire[2:4])[0], 0))


def axfr_outcome(port, secret):
    try:
        r = dns.query.tcp(signed(dns.message.make_query("sec.test", "AXFR"), secret), "127.0.0.1", port=port,
                          timeout=5)
        return dns.rcode.to_text(r.rcode())
    except Exception as e:  # dnspython refuses the unsigned BADSIG reply
        return type(e).__name__


def wait_serial(server, serial):
    deadline = time.time() + 15
    while time.time() < deadline:
        if f" {serial} " in dig(server.port, "sec.test", "SOA"):
            return
        time.sleep(0.1)
    raise AssertionError(f"serial {serial} never arrived:\n" + server.log_text())


def test_key_secret_change_reaches_transfers_and_notify():
    """A [[key]]'s secret changed while the zones using it stay as they are:
    after the reconfiguration the primary's transfers, the secondary's
    NOTIFY check and its SOA queries and transfers use the new secret, and
    the old one is refused."""
    import dns.flags
    import dns.opcode
    primary, secondary = Server(), Server()
    try:
        write(primary, "sec.zone", SEC.format(serial=1, last=1))
        p_tail = lambda secret: key_table(XFR_KEY, secret) + zone_table(
            "sec.test", "sec.zone", f'allow-transfer = ["key:{XFR_KEY}"]\n')
        s_tail = lambda secret: key_table(XFR_KEY, secret) + zone_table(
            "sec.test", "sec.zone", f'primaries = ["127.0.0.1:{primary.port}"]\ntransfer-key = "{XFR_KEY}"\n')
        primary.rewrite(tail=p_tail(XFR_OLD))
        primary.reconfigure()
        secondary.rewrite(tail=s_tail(XFR_OLD))
        secondary.reconfigure()
        wait_serial(secondary, 1)

        for server, tail in ((primary, p_tail), (secondary, s_tail)):
            server.rewrite(tail=tail(XFR_NEW))
            out = server.reconfigure()
            assert "keys: [[key]] tables changed" in out and "sec.test" not in out, out
        assert axfr_outcome(primary.port, XFR_OLD) != "NOERROR"
        assert axfr_outcome(primary.port, XFR_NEW) == "NOERROR"
        assert notify_rcode(secondary.port, XFR_OLD) == "NOTAUTH"

        write(primary, "sec.zone", SEC.format(serial=2, last=2))
        primary.ctl("reload")
        assert notify_rcode(secondary.port, XFR_NEW) == "NOERROR"
        wait_serial(secondary, 2)  # the check and IXFR went out signed with the new secret
        assert "198.51.100.2" in dig(secondary.port, "www.sec.test", "A")
    finally:
        primary.stop()
        secondary.stop()


def test_unread_notify_socket_never_blocks(server):
    """Nobody reads the notify socket (its queue holds 10 datagrams by
    default, net.unix.max_dgram_qlen): 15 SIGHUPs, two messages each, are
    all applied, and namaed still answers and stops on SIGTERM."""
    for i in range(15):
        before = server.log_text().count("reconfigure (SIGHUP):")
        server.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 5
        while server.log_text().count("reconfigure (SIGHUP):") == before:
            assert time.time() < deadline, f"SIGHUP {i + 1} not handled:\n" + server.log_text()
            time.sleep(0.02)
    assert "192.0.2.1" in dig(server.port, "www.example.test", "A")
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=10) == 0


def http_user(name, password, host):
    line = subprocess.run([namae_bin(), "passwd", name, "--hostname", host], input=password + "\n",
                          capture_output=True, text=True, check=True).stdout.strip()
    return f"users = [ {line} ]\n"


def nic_update(server, user, password, host, ip):
    """(HTTP status, body) of a DynDNS2 update."""
    import base64
    import urllib.error
    import urllib.request
    req = urllib.request.Request(f"http://127.0.0.1:{server.http_port}/nic/update?hostname={host}&myip={ip}")
    req.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode().strip()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode().strip()


def test_http_user_password_changes_live(server):
    """An [http] user added, its password changed and the user removed by
    reconfigurations: DynDNS2 takes the new password at once and refuses the
    old one, and the listener keeps serving throughout."""
    write(server, "dyn.zone", DYN.format(serial=1, last=1))
    dyn = zone_table("dyn.test", "dyn.zone", 'journal = "dyn.db"\n')
    server.rewrite(tail=http_user("alice", "first-pass", "alice.dyn.test") + dyn)
    out = server.reconfigure()
    assert "http: users changed" in out and "zone dyn.test: added" in out and "nohost" not in out, out
    assert nic_update(server, "alice", "first-pass", "alice.dyn.test", "192.0.2.7") == (200, "good 192.0.2.7")

    server.rewrite(tail=http_user("alice", "second-pass", "alice.dyn.test") + dyn)
    out = server.reconfigure("sighup")
    assert "http: users changed" in out, out
    assert nic_update(server, "alice", "first-pass", "alice.dyn.test", "192.0.2.8")[0] == 401
    assert nic_update(server, "alice", "second-pass", "alice.dyn.test", "192.0.2.8") == (200, "good 192.0.2.8")
    assert "192.0.2.8" in dig(server.port, "alice.dyn.test", "A")

    server.rewrite(tail=dyn)
    assert "http: users changed" in server.reconfigure()
    assert nic_update(server, "alice", "second-pass", "alice.dyn.test", "192.0.2.9")[0] == 401


def test_consumed_catalog_needs_a_restart(server):
    """A consumed catalog (RFC 9432) owns the zones it lists: adding one live
    is reported as needing a restart, nothing of it is served or fetched,
    and the rest of the file still applies."""
    write(server, "other.zone", OTHER.format(serial=1, last=1))
    cat = zone_table("cat.test", "cat.zone", 'primaries = ["127.0.0.1:9"]\ncatalog-role = "consume"\n'
                     'catalog-member-dir = "members"\n')
    server.rewrite(tail=zone_table("other.test", "other.zone") + cat)
    out = server.reconfigure()
    assert '[[zone]] cat.test (catalog-role = "consume"): needs a restart (the running value stays)' in out, out
    assert "zone other.test: added" in out, out
    assert status(dig(server.port, "cat.test", "SOA")) == "REFUSED"
    assert not os.path.exists(os.path.join(server.dir, "members"))
    rc, out = server.ctl("zone", "status", "cat.test")
    assert rc != 0, out


class ListenServer(Server):
    """A Server whose [server] listen the test sets (`listen`: addresses
    beside its own 127.0.0.1 port, `own`: whether that one stays)."""

    def __init__(self):
        self.listen, self.own = [], True
        super().__init__()

    def write_config(self, idle_ms, extra_server):
        super().write_config(idle_ms, extra_server)
        addrs = ([f"127.0.0.1:{self.port}"] if self.own else []) + self.listen
        text = open(self.config).read()
        text = re.sub(r"^listen = \[.*\]$", "listen = [" + ", ".join(f'"{a}"' for a in addrs) + "]", text,
                      count=1, flags=re.M)
        with open(self.config, "w") as f:
            f.write(text)


def test_listeners_added_and_removed_live():
    """A [server] listen address added is bound at once (UDP and TCP) and one
    a reconfiguration added is closed when removed; one bound at start stays
    (reported as needing a restart), and one that cannot be bound (taken by
    another socket) is reported and left out while the rest applies."""
    server = ListenServer()
    try:
        extra = free_port()
        server.listen = [f"127.0.0.1:{extra}"]
        server.rewrite()
        out = server.reconfigure()
        assert f"server: listen 127.0.0.1:{extra} added" in out, out
        assert "192.0.2.1" in dig(server.port, "www.example.test", "A")
        assert "192.0.2.1" in dig(extra, "www.example.test", "A")
        assert "192.0.2.1" in dig(extra, "www.example.test", "A", "+tcp")
        rc, out = server.ctl("status")
        assert f"listen 127.0.0.1:{extra}" in out, out

        taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        taken.bind(("127.0.0.1", 0))
        busy = taken.getsockname()[1]
        try:
            server.listen, server.own = [f"127.0.0.1:{busy}"], False
            server.rewrite()
            out = server.reconfigure("sighup")
            assert f"server: listen 127.0.0.1:{extra} removed" in out, out
            assert f"[server] listen 127.0.0.1:{server.port}: bound at start, removing it needs a restart" in out
            assert f"[server] listen 127.0.0.1:{busy}: cannot bind now" in out, out
        finally:
            taken.close()
        assert "status: NOERROR" not in dig(extra, "www.example.test", "A")  # nothing listens there
        assert "192.0.2.1" in dig(server.port, "www.example.test", "A")
        rc, out = server.ctl("status")
        assert f"listen 127.0.0.1:{extra}" not in out and f"listen 127.0.0.1:{busy}" not in out, out
    finally:
        server.stop()

"""Replication chains: namaed primary -> namaed secondary -> namaed secondary.

Every server here is a real namaed on 127.0.0.1 with ports chosen by the
test, every transfer and NOTIFY is TSIG-signed with one key, and every
zone's SOA refresh is an hour, so that nothing in a test moves but by
NOTIFY (or `ctl`). Covered: AXFR then IXFR from a namaed primary; updates
flowing down a chain, the leaf compared record by record with the primary
by dig AXFR, and the mid secondary answering IXFR from its own journal
(AXFR once the asked serial is compacted away); UPDATEs forwarded up the
chain and coming back down; the mid secondary killed (-9) and restarted;
`ctl zone retransfer` on it; a burst of 100 updates reaching the leaf; the
NOTIFY sent at start reaching a secondary that asks back at once; Knot and
BIND as secondaries of a namaed secondary. Latencies are printed (-s).
"""
import os
import re
import shutil
import signal
import subprocess
import time

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsigkeyring
import dns.update
import pytest

from conftest import free_port, namae_bin

ZONE = "chain.test"
KEY = ("xfrkey", "hmac-sha256", "Y2hhaW4ta2V5LWZvci1uYW1hZS14ZnItdGVzdHMtMDEyMzQ1Njc4OQ==")
ZONE_TEXT = f"""$ORIGIN {ZONE}.
$TTL 300
@     SOA ns1 hostmaster 1 3600 600 86400 60
@     NS  ns1
ns1   A   127.0.0.1
www   A   192.0.2.1
www   AAAA 2001:db8::1
mail  MX  10 www
txt   TXT "hello" "chain"
"""


def keyring():
    return dns.tsigkeyring.from_text({KEY[0]: (KEY[1], KEY[2])})


class Node:
    """One namaed with ZONE: a primary (`zone_text`, dynamic, updates by
    KEY) or a secondary of `primary` (a port). Transfers out need KEY."""

    def __init__(self, root, name, port=None):
        self.name = name
        self.dir = os.path.join(root, name)
        self.port = port or free_port()
        self.log_path = os.path.join(self.dir, "namaed.log")
        self.proc = None
        os.makedirs(os.path.join(self.dir, "zone"), exist_ok=True)

    def configure(self, zone_text=None, primary=None, notify=(), forward=False, journal_keep=None):
        z = [f'name = "{ZONE}"', f'file = "zone/{ZONE}.zone"', f'allow-transfer = ["key:{KEY[0]}"]']
        if zone_text is not None:
            with open(os.path.join(self.dir, "zone", f"{ZONE}.zone"), "w") as f:
                f.write(zone_text)
            z += [f'journal = "zone/{ZONE}.db"',
                  f'update-policy = [ {{ key = "{KEY[0]}", grant = "zonesub" }} ]']
        else:
            z += [f'primaries = ["127.0.0.1:{primary}"]', f'transfer-key = "{KEY[0]}"',
                  f"forward-updates = {'true' if forward else 'false'}"]
        if notify:
            z += ["notify = [" + ", ".join(f'"127.0.0.1:{p}"' for p in notify) + "]",
                  f'notify-key = "{KEY[0]}"']
        if journal_keep is not None:
            z.append(f"journal-keep = {journal_keep}")
        conf = ["[server]", f'listen = ["127.0.0.1:{self.port}"]', "workers = 1", 'control = "ctl.sock"',
                "[http]", 'listen = ""',
                "[[key]]", f'name = "{KEY[0]}"', f'algorithm = "{KEY[1]}"', f'secret = "{KEY[2]}"',
                "[[zone]]"] + z
        with open(os.path.join(self.dir, "namaed.toml"), "w") as f:
            f.write("\n".join(conf) + "\n")
        return self

    def start(self):
        """Start and wait until it answers for ZONE (SERVFAIL counts: a
        secondary without a copy yet)."""
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen(
                [namae_bin("namaed"), "--config", os.path.join(self.dir, "namaed.toml"), "--foreground"],
                stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)
        deadline = time.time() + 20
        while time.time() < deadline:
            assert self.proc.poll() is None, f"{self.name} exited:\n{self.log()[-3000:]}"
            try:
                dns.query.udp(dns.message.make_query(ZONE, "SOA"), "127.0.0.1", port=self.port, timeout=0.2)
                return self
            except Exception:
                time.sleep(0.02)
        raise AssertionError(f"{self.name} did not start:\n{self.log()[-3000:]}")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)
        self.proc = None

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def ctl(self, *words):
        r = subprocess.run([namae_bin("namae"), "ctl", "-s", os.path.join(self.dir, "ctl.sock"), *words],
                           capture_output=True, text=True, timeout=30)
        return r.returncode, r.stdout + r.stderr

    def serial(self):
        return serial(self.port)


@pytest.fixture
def nodes(tmp_path):
    """Factory: nodes(name) -> Node, every one stopped after the test."""
    made = []

    def make(name, port=None):
        n = Node(str(tmp_path), name, port)
        made.append(n)
        return n

    yield make
    for n in made:
        n.stop()


def serial(port):
    """The SOA serial `port` serves for ZONE, or the rcode's text."""
    try:
        r = dns.query.udp(dns.message.make_query(ZONE, "SOA"), "127.0.0.1", port=port, timeout=1)
    except Exception as e:  # noqa: BLE001 - a server not (yet) answering
        return type(e).__name__
    if r.rcode() != dns.rcode.NOERROR or not r.answer:
        return dns.rcode.to_text(r.rcode())
    return r.answer[0][0].serial


def wait_serial(port, want, timeout=15.0, what=""):
    """Wait until `port` serves serial `want`; the seconds it took."""
    start = time.time()
    got = None
    while time.time() - start < timeout:
        got = serial(port)
        if got == want:
            return time.time() - start
        time.sleep(0.002)
    raise AssertionError(f"{what or port}: serial {got}, not {want}, after {timeout}s")


def update(port, *adds, delete=()):
    """A signed UPDATE over TCP (adds: (name, type, data)); its rcode."""
    u = dns.update.UpdateMessage(ZONE, keyring=keyring(), keyname=KEY[0], keyalgorithm=KEY[1])
    for name, rdtype, data in adds:
        u.add(name, 300, rdtype, data)
    for name, rdtype in delete:
        u.delete(name, rdtype)
    return dns.query.tcp(u, "127.0.0.1", port=port, timeout=10).rcode()


def nsupdate(port, *lines):
    script = f"server 127.0.0.1 {port}\nzone {ZONE}\n" + "\n".join(lines) + "\nsend\n"
    r = subprocess.run(["nsupdate", "-y", f"{KEY[1]}:{KEY[0]}:{KEY[2]}"], input=script,
                       capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


def axfr(port):
    """The zone as `dig AXFR` (signed) prints it: one normalized line per
    record, TSIG and the closing SOA left out."""
    r = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), ZONE, "AXFR", "-y",
                        f"{KEY[1]}:{KEY[0]}:{KEY[2]}", "+nocmd", "+nostats", "+nocomments"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = [" ".join(l.split()) for l in r.stdout.splitlines() if l.strip() and not l.startswith(";")]
    lines = [l for l in lines if l.split()[3] != "TSIG"]
    assert "Transfer failed" not in r.stdout and len(lines) >= 7, r.stdout
    return sorted(set(lines))


def assert_same_zone(primary, other):
    ours, theirs = axfr(primary.port), axfr(other.port)
    assert theirs == ours, f"{other.name} differs from {primary.name}:\n" + "\n".join(
        sorted(set(ours) ^ set(theirs)))


def ixfr_answer(port, from_serial):
    """The records of an IXFR from `from_serial` (signed, TCP), in order."""
    records = []
    for msg in dns.query.xfr("127.0.0.1", ZONE, port=port, rdtype=dns.rdatatype.IXFR,
                             serial=from_serial, keyring=keyring(), keyname=KEY[0],
                             keyalgorithm=KEY[1], relativize=False):
        assert msg.rcode() == dns.rcode.NOERROR
        for rrset in msg.answer:
            for rd in rrset:
                records.append((rrset.name, rrset.rdtype, rd))
    return records


def is_incremental(records):
    """RFC 1995 4: an incremental answer's second record is the SOA of the
    client's serial; an AXFR-style one goes on with the zone's records."""
    return len(records) > 1 and records[1][1] == dns.rdatatype.SOA


def chain(nodes, forward=False, journal_keep=None, leaf=True):
    """primary -> mid -> leaf (ports chosen first: each NOTIFYs the next),
    started in order and up to date at serial 1."""
    p, m = nodes("primary"), nodes("mid")
    l = nodes("leaf") if leaf else None
    m.configure(primary=p.port, notify=[l.port] if l else (), forward=forward, journal_keep=journal_keep)
    p.configure(zone_text=ZONE_TEXT, notify=[m.port]).start()
    m.start()
    wait_serial(m.port, 1, what="mid's first AXFR")
    if l:
        l.configure(primary=m.port, forward=forward).start()
        wait_serial(l.port, 1, what="leaf's first AXFR")
    # The NOTIFYs of serial 1, sent before their target was up, are answered
    # on a retry (1 s); until then a newer serial waits behind them (one
    # NOTIFY in flight per target). Measure from the steady state.
    wait_answered(p, 1)
    if l:
        wait_answered(m, 1)
    return p, m, l


def wait_answered(node, serial_no, count=1, timeout=10):
    deadline = time.time() + timeout
    while node.log().count(f"NOTIFY serial {serial_no} answered") < count:
        assert time.time() < deadline, f"{node.name}: NOTIFY {serial_no} not answered\n{node.log()[-2000:]}"
        time.sleep(0.05)


def test_namaed_primary_to_namaed_secondary_axfr_then_ixfr(nodes):
    p, s, _ = chain(nodes, leaf=False)
    assert "serial 1 now served (AXFR (" in s.log()
    assert_same_zone(p, s)
    rc, out = nsupdate(p.port, "update add new.chain.test. 300 A 192.0.2.99")
    assert rc == 0, out
    wait_serial(s.port, 2, what="the NOTIFY-driven IXFR")
    assert "serial 2 now served (IXFR (1 steps))" in s.log(), s.log()[-2000:]
    assert_same_zone(p, s)
    # Without the key nobody transfers (allow-transfer is key-only here).
    q = dns.message.make_query(ZONE, "AXFR")
    assert dns.query.tcp(q, "127.0.0.1", port=s.port, timeout=5).rcode() == dns.rcode.REFUSED


def test_updates_flow_down_the_chain_with_ixfr_from_the_mid_journal(nodes):
    p, m, l = chain(nodes)
    hops = []
    for i in range(2, 7):
        assert update(p.port, (f"h{i}", "A", f"192.0.2.{i}")) == dns.rcode.NOERROR
        t_mid = wait_serial(m.port, i, what="mid")
        t_leaf = wait_serial(l.port, i, what="leaf")
        hops.append((t_mid, t_leaf))
    print("\nchain per-hop latency after the update's ack (ms): " + ", ".join(
        f"mid {a * 1000:.1f} leaf {b * 1000:.1f}" for a, b in hops))
    # The leaf got every version by IXFR, which the mid answered from the
    # steps it received (it has no update journal).
    assert l.log().count("now served (IXFR (1 steps))") == 5, l.log()[-3000:]
    assert "now served (AXFR" not in l.log().split("serial 1 now served")[1]
    assert_same_zone(p, l)
    assert_same_zone(p, m)
    # Asked directly: the mid's IXFR from serial 3 is the steps 3 -> 6.
    recs = ixfr_answer(m.port, 3)
    assert is_incremental(recs)
    soas = [r[2].serial for r in recs if r[1] == dns.rdatatype.SOA]
    assert soas == [6, 3, 4, 4, 5, 5, 6, 6], soas


def test_ixfr_older_than_the_mid_journal_is_answered_in_full(nodes):
    p, m, _ = chain(nodes, journal_keep=4, leaf=False)
    for i in range(2, 12):
        assert update(p.port, (f"k{i}", "A", f"192.0.2.{i}")) == dns.rcode.NOERROR
        wait_serial(m.port, i, what="mid")
    full = ixfr_answer(m.port, 1)  # compacted away (4 kept at most)
    assert not is_incremental(full)
    assert full[0][2].serial == 11 and full[-1][1] == dns.rdatatype.SOA
    assert len(full) >= 17  # SOA, 7 records, 10 added A, SOA
    recent = ixfr_answer(m.port, 10)
    assert is_incremental(recent)
    assert [r[2].serial for r in recent if r[1] == dns.rdatatype.SOA] == [11, 10, 11, 11]


def test_update_forwarded_up_the_chain_comes_back_down(nodes):
    p, m, l = chain(nodes, forward=True)
    t0 = time.time()
    assert update(l.port, ("fwd", "A", "192.0.2.77")) == dns.rcode.NOERROR
    acked = time.time() - t0
    r = dns.query.udp(dns.message.make_query(f"fwd.{ZONE}", "A"), "127.0.0.1", port=p.port, timeout=2)
    assert r.answer and r.answer[0][0].address == "192.0.2.77", "the primary did not get the update"
    back = wait_serial(l.port, 2, what="the change back at the leaf")
    print(f"\nforwarded update: acked in {acked * 1000:.1f} ms, back at the leaf {back * 1000:.1f} ms later")
    assert_same_zone(p, l)


def test_mid_killed_and_restarted_serves_at_once_and_goes_on_by_ixfr(nodes):
    p, m, l = chain(nodes)
    assert update(p.port, ("before", "A", "192.0.2.10")) == dns.rcode.NOERROR
    wait_serial(l.port, 2, what="leaf")
    m.stop(signal.SIGKILL)
    # While the mid is down the primary moves on.
    assert update(p.port, ("during", "A", "192.0.2.11")) == dns.rcode.NOERROR
    before = len(m.log())
    m.start()
    first = serial(m.port)
    assert first in (2, 3), first  # served at once from file plus journal (or already caught up)
    wait_serial(m.port, 3, what="mid catching up")
    wait_serial(l.port, 3, what="leaf after the mid's restart")
    assert update(p.port, ("after", "A", "192.0.2.12")) == dns.rcode.NOERROR
    wait_serial(l.port, 4, what="leaf")
    after = m.log()[before:]
    assert "serving saved serial 2" in after, after[-2000:]
    assert "serial 3 now served (IXFR (1 steps))" in after and "serial 4 now served (IXFR (1 steps))" in after, after[-2000:]
    assert "now served (AXFR" not in after
    assert l.log().count("now served (IXFR (1 steps))") == 3, l.log()[-3000:]
    assert_same_zone(p, l)


def test_retransfer_on_the_mid(nodes):
    p, m, l = chain(nodes)
    assert update(p.port, ("a", "A", "192.0.2.20")) == dns.rcode.NOERROR
    wait_serial(l.port, 2, what="leaf")
    axfrs = m.log().count("now served (AXFR")
    rc, out = m.ctl("zone", "retransfer", ZONE)
    assert rc == 0 and "scheduled" in out, out
    deadline = time.time() + 10
    while m.log().count("now served (AXFR") == axfrs and time.time() < deadline:
        time.sleep(0.05)
    assert m.log().count("now served (AXFR") == axfrs + 1, m.log()[-2000:]
    # The mid's journal starts again after the AXFR; the leaf, at the same
    # serial, goes on by IXFR from it.
    assert update(p.port, ("b", "A", "192.0.2.21")) == dns.rcode.NOERROR
    wait_serial(l.port, 3, what="leaf after the retransfer")
    assert "serial 3 now served (IXFR (1 steps))" in l.log(), l.log()[-3000:]
    assert_same_zone(p, l)
    rc, out = m.ctl("zone", "status", ZONE)
    assert rc == 0 and "serial 3" in out and "last-error -" in out, out


def test_burst_of_100_updates_reaches_the_leaf(nodes):
    p, m, l = chain(nodes)
    began = time.time()
    for i in range(100):
        assert update(p.port, (f"burst{i}", "A", f"198.51.100.{i % 250}")) == dns.rcode.NOERROR
    acked = time.time()
    wait_serial(l.port, 101, timeout=60, what="the leaf after the burst")
    ms = (time.time() - acked) * 1000
    print(f"\nburst of 100 updates ({(acked - began) * 1000:.0f} ms to send and ack them all): "
          f"leaf at serial 101 {ms:.1f} ms after the last ack")
    assert_same_zone(p, l)
    assert_same_zone(p, m)


def test_notify_at_start_reaches_a_waiting_secondary(nodes):
    """The leaf starts first (no primary yet: its next try is in 10 s); the
    primary's NOTIFY at start goes out after its listeners are up, so the
    leaf's SOA query and AXFR, sent at once, find it."""
    p, s = nodes("primary"), nodes("secondary")
    s.configure(primary=p.port).start()
    assert s.serial() == "SERVFAIL"
    time.sleep(0.5)  # its first check has failed by now
    p.configure(zone_text=ZONE_TEXT, notify=[s.port]).start()
    took = wait_serial(s.port, 1, timeout=5, what="the secondary, NOTIFYed at start")
    print(f"\nNOTIFY at start: secondary served serial 1 {took * 1000:.1f} ms after the primary answered")


# --- Knot and BIND as secondaries of a namaed secondary --------------------------

def start_knot(workdir, port, primary_port):
    # The database directory must exist, or knotd cannot keep a journal and
    # takes every IXFR as "not exists", falling back to AXFR.
    os.makedirs(os.path.join(workdir, "db"), exist_ok=True)
    conf = f"""server:
    listen: 127.0.0.1@{port}
    rundir: {workdir}
database:
    storage: {workdir}/db
log:
  - target: stderr
    any: info
key:
  - id: {KEY[0]}
    algorithm: {KEY[1]}
    secret: {KEY[2]}
remote:
  - id: mid
    address: 127.0.0.1@{primary_port}
    key: {KEY[0]}
acl:
  - id: notify_from_mid
    address: 127.0.0.1
    key: {KEY[0]}
    action: notify
zone:
  - domain: {ZONE}
    storage: {workdir}
    file: {ZONE}.zone
    master: mid
    acl: notify_from_mid
"""
    path = os.path.join(workdir, "knot.conf")
    with open(path, "w") as f:
        f.write(conf)
    log = open(os.path.join(workdir, "knotd.log"), "w")
    proc = subprocess.Popen(["knotd", "-c", path], stdout=log, stderr=subprocess.STDOUT)
    log.close()
    return proc


def start_bind(workdir, port, primary_port):
    os.makedirs(workdir, exist_ok=True)
    path = os.path.join(workdir, "named.conf")
    with open(path, "w") as f:
        f.write(f"""options {{
  directory "{workdir}";
  pid-file "{workdir}/named.pid";
  session-keyfile "{workdir}/session.key";
  managed-keys-directory "{workdir}";
  listen-on port {port} {{ 127.0.0.1; }};
  listen-on-v6 {{ none; }};
  recursion no;
  dnssec-validation no;
  notify no;
}};
controls {{ }};
key "{KEY[0]}" {{ algorithm {KEY[1]}; secret "{KEY[2]}"; }};
zone "{ZONE}" {{
  type secondary;
  file "{workdir}/{ZONE}.bk";
  primaries port {primary_port} {{ 127.0.0.1 key "{KEY[0]}"; }};
  allow-notify {{ key {KEY[0]}; }};
}};
""")
    log = open(os.path.join(workdir, "named.log"), "w")
    proc = subprocess.Popen(["named", "-g", "-c", path, "-n", "1"], stdout=log, stderr=subprocess.STDOUT)
    log.close()
    return proc


def test_knot_and_bind_secondaries_of_a_namaed_secondary(nodes, tmp_path):
    """namaed primary -> namaed secondary -> (knotd, named), driven by the
    namaed secondary's NOTIFY alone (SOA refresh is an hour)."""
    for tool in ("knotd", "named"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} is not installed")
    knot_port, bind_port = free_port(), free_port()
    p, m = nodes("primary"), nodes("mid")
    m.configure(primary=p.port, notify=[knot_port, bind_port])
    p.configure(zone_text=ZONE_TEXT, notify=[m.port]).start()
    m.start()
    wait_serial(m.port, 1, what="mid")
    procs = [start_knot(str(tmp_path / "knot"), knot_port, m.port),
             start_bind(str(tmp_path / "bind"), bind_port, m.port)]
    try:
        wait_serial(knot_port, 1, timeout=30, what="knotd's first transfer")
        wait_serial(bind_port, 1, timeout=30, what="named's first transfer")
        wait_answered(p, 1)
        wait_answered(m, 1, count=2)
        times = {"knotd": [], "named": []}
        for i in range(2, 7):
            assert update(p.port, (f"peer{i}", "A", f"192.0.2.{i}")) == dns.rcode.NOERROR
            t0 = time.time()
            waiting = {"knotd": knot_port, "named": bind_port}
            while waiting:  # each peer timed on its own
                assert time.time() - t0 < 15, f"{list(waiting)} not at serial {i} (NOTIFY from the namaed secondary)"
                for name, port in list(waiting.items()):
                    if serial(port) == i:
                        times[name].append((time.time() - t0) * 1000)
                        del waiting[name]
                time.sleep(0.002)
            assert serial(m.port) == i
        print("\nupdate ack to serving at the third hop (ms): " +
              "; ".join(f"{k} " + ", ".join(f"{v:.1f}" for v in vs) for k, vs in times.items()))
        knot_log = open(tmp_path / "knot" / "knotd.log").read()
        # knotd took the namaed secondary's IXFR answers (from its journal)
        # as they came: no fallback to AXFR.
        assert len(re.findall(r"IXFR, incoming, remote 127\.0\.0\.1@\d+, finished", knot_log)) == 5, knot_log[-3000:]
        assert "fallback to AXFR" not in knot_log and "failed to store" not in knot_log, knot_log[-3000:]
        bind_log = open(tmp_path / "bind" / "named.log").read()
        # named: the first transfer, then five incremental ones (the SOA
        # three times, the old SOA, the added A: 5 records each).
        assert bind_log.count("Transfer completed") == 6, bind_log[-3000:]
        assert bind_log.count("Transfer completed: 1 messages, 5 records") == 5, bind_log[-3000:]
        for port in (knot_port, bind_port):
            got = dns.query.udp(dns.message.make_query(f"peer6.{ZONE}", "A"), "127.0.0.1", port=port, timeout=2)
            assert got.answer and got.answer[0][0].address == "192.0.2.6"
        assert m.log().count("NOTIFY serial 6 answered") == 2, m.log()[-3000:]
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)

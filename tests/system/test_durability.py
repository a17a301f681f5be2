"""Durability of dynamic updates (issue 4, Durability): an UPDATE is acknowledged
only after its diff is in the journal, so after SIGKILL at any moment a restart
(zone file + journal replay) gives every acknowledged change, and no update
half-applied.

Several client threads send hundreds of TSIG-signed updates (dnspython) over
TCP: single adds of one A record, and multi-record transactions that delete a
"victim" record from the zone file and add three records at once. The daemon is
SIGKILLed after a random number of acknowledgements, with updates in flight,
then restarted; every acknowledged transaction must be present, every
transaction fully present or fully absent (victim gone exactly when its three
records are there), a transaction seen applied once stays applied in every
later round, and the SOA serial must have advanced by exactly the number of
transactions applied. Several rounds kill at different moments; a final clean
shutdown must write the zone file (atomic rename) and keep the same state.

Everything runs on 127.0.0.1 with ports from conftest.free_port.
"""
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update
import dns.zone
import pytest

from conftest import free_port, namae_bin

ZONE = "example.test"
KEY_NAME = "ddns-key"
KEY_SECRET = "ZHVyYWJpbGl0eS10ZXN0LWtleS1mb3ItbmFtYWUtMDEyMzQ1Njc4OQ=="
KEYRING = dns.tsigkeyring.from_text({KEY_NAME: KEY_SECRET})
VICTIMS = 4000  # records in the zone file that multi-record transactions delete

ROUNDS = 4
THREADS = 6


def zone_text():
    lines = [f"$ORIGIN {ZONE}.", "$TTL 300",
             "@   IN SOA ns1 hostmaster 1000 7200 900 1209600 60",
             "@   IN NS  ns1",
             "ns1 IN A   127.0.0.1"]
    lines += [f"v{k} IN A 198.18.{k // 256}.{k % 256}" for k in range(VICTIMS)]
    return "\n".join(lines) + "\n"


def addr(n):
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


class Daemon:
    """namaed with a dynamic zone; the directory (zone file, journal) outlives
    restarts of the process."""

    def __init__(self, workdir, zone_extra=""):
        self.dir = workdir
        self.port = free_port()
        self.zone_path = os.path.join(workdir, f"{ZONE}.zone")
        self.journal_path = os.path.join(workdir, f"{ZONE}.db")
        with open(self.zone_path, "w") as f:
            f.write(zone_text())
        self.config = os.path.join(workdir, "namaed.toml")
        with open(self.config, "w") as f:
            f.write(f"""[server]
listen = ["127.0.0.1:{self.port}"]
workers = 1
control = "run/ctl.sock"

[http]
listen = ""

[[key]]
name = "{KEY_NAME}"
algorithm = "hmac-sha256"
secret = "{KEY_SECRET}"

[[zone]]
name = "{ZONE}"
file = "{ZONE}.zone"
journal = "{ZONE}.db"
update-policy = [ {{ key = "{KEY_NAME}", grant = "zonesub", types = ["A"] }} ]
{zone_extra}
""")
        self.proc = None
        self.starts = 0

    def log_text(self):
        try:
            with open(os.path.join(self.dir, f"namaed.{self.starts}.log")) as f:
                return f.read()[-6000:]
        except OSError:
            return ""

    def start(self):
        self.starts += 1
        log = open(os.path.join(self.dir, f"namaed.{self.starts}.log"), "w")
        self.proc = subprocess.Popen([namae_bin("namaed"), "--config", self.config, "--foreground"],
                                     stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"namaed exited ({self.proc.returncode}):\n{self.log_text()}")
            try:
                r = self.query(ZONE, "SOA", timeout=0.5)
                if r.rcode() == dns.rcode.NOERROR and r.answer:
                    return
            except Exception:
                pass
            time.sleep(0.05)
        self.kill()
        raise AssertionError("namaed did not start answering:\n" + self.log_text())

    def query(self, name, rdtype, timeout=3.0):
        q = dns.message.make_query(name, rdtype)
        q.flags &= ~0x0100  # RD off: we ask the authority
        return dns.query.udp(q, "127.0.0.1", port=self.port, timeout=timeout)

    def serial(self):
        return self.query(ZONE, "SOA").answer[0][0].serial

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError("namaed did not stop on SIGTERM:\n" + self.log_text())
        return self.proc.returncode if self.proc else None


class Txn:
    """One UPDATE message: adds `names` (one A record each); a multi-record
    transaction also deletes the A record of `victim`."""

    def __init__(self, ident, names, victim=None):
        self.ident = ident
        self.names = names      # [(name, address)]
        self.victim = victim    # (name, address) or None
        self.sent = False
        self.acked = False
        self.rcode = None
        self.seen = None        # True/False once observed after a restart

    def message(self):
        m = dns.update.UpdateMessage(ZONE, keyring=KEYRING, keyname=KEY_NAME,
                                     keyalgorithm=dns.tsig.HMAC_SHA256)
        if self.victim:
            m.delete(self.victim[0], "A", self.victim[1])
        for name, a in self.names:
            m.add(name, 300, "A", a)
        return m


class Sender:
    """THREADS clients sending transactions from a shared list until told to
    stop or the server goes away."""

    def __init__(self, daemon, txns):
        self.daemon = daemon
        self.txns = txns
        self.next = 0
        self.acked = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.errors = []
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(THREADS)]

    def take(self):
        with self.lock:
            if self.next >= len(self.txns) or self.stop.is_set():
                return None
            t = self.txns[self.next]
            self.next += 1
            t.sent = True
            return t

    def run(self):
        while True:
            t = self.take()
            if t is None:
                return
            try:
                r = dns.query.tcp(t.message(), "127.0.0.1", port=self.daemon.port, timeout=10)
            except Exception as e:
                # Killed (connection refused/reset, EOF): unacknowledged. Any
                # other failure (bad TSIG on the reply, timeout) is an error.
                if not self.stop.is_set():
                    self.errors.append(f"{t.ident}: {type(e).__name__}: {e}")
                return
            t.rcode = r.rcode()
            if not r.had_tsig:  # RFC 8945 5.3: the reply to a signed request is signed
                self.errors.append(f"{t.ident}: unsigned reply")
            elif t.rcode == dns.rcode.NOERROR:
                with self.lock:
                    t.acked = True
                    self.acked += 1
            else:
                self.errors.append(f"{t.ident}: {dns.rcode.to_text(t.rcode)}")

    def start(self):
        for th in self.threads:
            th.start()

    def kill_server(self):
        """SIGKILL the daemon with transactions in flight, every time.
        SIGSTOP freezes it at an arbitrary moment (mid-commit, mid-reply,
        wherever a kill would land); the client threads go on until each
        waits for a reply that cannot come; then SIGKILL, without the
        daemon running again in between. Returns how many transactions
        were sent and never answered."""
        self.daemon.proc.send_signal(signal.SIGSTOP)
        last, stable_since = None, time.time()
        deadline = time.time() + 30
        while time.time() < deadline:
            with self.lock:
                now = (self.next, self.acked)
            if now != last:
                last, stable_since = now, time.time()
            elif time.time() - stable_since > 0.3:
                break  # every thread is waiting for its reply
            time.sleep(0.01)
        self.stop.set()
        self.daemon.kill()
        self.join()
        return self.next - self.acked

    def join(self):
        self.stop.set()
        for th in self.threads:
            th.join(30)
            assert not th.is_alive(), "a client thread hung"


def make_round(rnd, count, victims):
    txns = []
    for i in range(count):
        n = rnd * 100000 + i
        if i % 4 == 3 and victims:
            k = victims.pop()
            txns.append(Txn(f"r{rnd}t{i}",
                            [(f"m{rnd}-{i}-{s}.{ZONE}.", addr(n * 4 + j))
                             for j, s in enumerate("abc")],
                            victim=(f"v{k}.{ZONE}.", f"198.18.{k // 256}.{k % 256}")))
        else:
            txns.append(Txn(f"r{rnd}t{i}", [(f"n{rnd}-{i}.{ZONE}.", addr(n * 4))]))
    return txns


def present(daemon, name, a):
    r = daemon.query(name, "A")
    if r.rcode() == dns.rcode.NXDOMAIN:
        return False
    assert r.rcode() == dns.rcode.NOERROR, (name, dns.rcode.to_text(r.rcode()))
    return any(rr.address == a for rrset in r.answer for rr in rrset)


def check_all(daemon, txns):
    """Every acknowledged transaction present; each all-or-nothing; a state
    seen before never changes. Returns the number of applied transactions."""
    applied = 0
    for t in txns:
        if not t.sent:
            continue
        parts = [present(daemon, name, a) for name, a in t.names]
        if t.victim:
            parts.append(not present(daemon, *t.victim))
        state = all(parts)
        assert state or not any(parts), \
            f"{t.ident} half-applied: {list(zip([n for n, _ in t.names] + ['victim gone'], parts))}"
        if t.acked:
            assert state, f"{t.ident} was acknowledged but is missing after restart"
        if t.seen is not None:
            assert state == t.seen, f"{t.ident} changed from {t.seen} to {state} across restarts"
        t.seen = state
        applied += state
    return applied


def serial_add(s, n):
    return (s + n) % (1 << 32)


# Default: the zone file is written only at clean shutdown, so every restart
# replays the whole journal. "sync": the file is rewritten every second and the
# journal compacted to a short tail, so kills also land around a rewrite and a
# compaction and restarts replay from a rewritten file.
MODES = {"replay": "", "sync": "file-sync-interval = 1\njournal-keep = 5"}


@pytest.fixture(params=sorted(MODES))
def daemon(request):
    workdir = tempfile.mkdtemp(prefix="namae-dur-")
    d = Daemon(workdir, MODES[request.param])
    d.mode = request.param
    yield d
    d.kill()
    shutil.rmtree(workdir, ignore_errors=True)


def test_sigkill_keeps_every_acknowledged_update(daemon):
    rng = random.Random(int(os.environ.get("NAMAE_DURABILITY_SEED", "2136")))
    daemon.start()
    serial = daemon.serial()
    assert serial == 1000
    victims = list(range(VICTIMS))
    rng.shuffle(victims)
    everything = []
    kill_points = [rng.randint(150, 700) for _ in range(ROUNDS)]
    for rnd, kill_after in enumerate(kill_points):
        txns = make_round(rnd, 4000, victims)
        everything += txns
        sender = Sender(daemon, txns)
        sender.start()
        deadline = time.time() + 120
        while sender.acked < kill_after and time.time() < deadline:
            assert not sender.errors, sender.errors[:5]
            time.sleep(0.001)
        assert sender.acked >= kill_after, \
            f"round {rnd}: only {sender.acked} acks in 120 s\n{daemon.log_text()}"
        # Killed with updates in flight (stopping the clients first let the
        # server answer everything before the signal landed, now and then).
        in_flight = sender.kill_server()
        assert not sender.errors, sender.errors[:5]
        assert in_flight == THREADS  # each client had one update in flight

        # `namaed --check` replays the journal as start-up will and says where it ends.
        check = subprocess.run([namae_bin("namaed"), "--config", daemon.config, "--check"],
                               capture_output=True, text=True, timeout=60)
        assert check.returncode == 0, check.stdout + check.stderr
        m = re.search(r"(\d+) entries replay, serial (\d+) -> (\d+)", check.stdout)
        up_to_date = re.search(r"up to date with the file \(serial (\d+)\)", check.stdout)
        assert m or up_to_date, check.stdout
        checked_serial = int(m.group(3) if m else up_to_date.group(1))

        daemon.start()
        assert daemon.serial() == checked_serial
        applied_before = sum(1 for t in everything if t.seen)
        applied = check_all(daemon, everything)
        new = applied - applied_before
        acked = sum(t.acked for t in txns)
        print(f"{daemon.mode} round {rnd}: killed after {sender.acked} acks ({kill_after} wanted), "
              f"{in_flight} in flight, {new} applied")
        assert acked <= new <= acked + THREADS, (rnd, acked, new)
        # One serial per applied update (RFC 2136 3.6, increment of one).
        now = daemon.serial()
        assert now == serial_add(serial, new), (rnd, serial, new, now)
        serial = now

    if daemon.mode == "sync":
        # The file really was rewritten while running (not only at shutdown).
        with open(daemon.zone_path) as f:
            assert f.read() != zone_text(), "zone file never rewritten with file-sync-interval = 1"

    # A clean shutdown rewrites the zone file from memory; the state survives it.
    assert daemon.stop() == 0, daemon.log_text()
    z = dns.zone.from_file(daemon.zone_path, origin=ZONE, relativize=False)
    assert z.get_soa().serial == serial
    with_file = {str(name) for name in z.nodes}
    for t in everything:
        if t.seen:
            for name, _ in t.names:
                assert name in with_file, f"{name} missing from the rewritten zone file"
    # ... and compacts the journal to its tail (journal-keep, default 1000).
    with sqlite3.connect(daemon.journal_path) as db:
        kept = db.execute("SELECT count(*) FROM entries").fetchone()[0]
    assert kept <= (5 if daemon.mode == "sync" else 1000), kept
    daemon.start()
    assert daemon.serial() == serial
    check_all(daemon, everything)
    # And updates still work after all of that.
    t = Txn("final", [(f"final.{ZONE}.", "10.255.255.1")])
    r = dns.query.tcp(t.message(), "127.0.0.1", port=daemon.port, timeout=10)
    assert r.rcode() == dns.rcode.NOERROR
    assert present(daemon, f"final.{ZONE}.", "10.255.255.1")
    assert daemon.serial() == serial_add(serial, 1)


def test_sigkill_right_after_start_and_between_bursts(daemon):
    """Kills at quiet moments: just after start (nothing written yet), and after
    a burst has been fully acknowledged (journal idle, nothing in flight)."""
    daemon.start()
    daemon.kill()
    daemon.start()
    assert daemon.serial() == 1000
    txns = make_round(0, 50, list(range(50)))
    sender = Sender(daemon, txns)
    sender.start()
    for th in sender.threads:
        th.join(60)
    assert not sender.errors, sender.errors[:5]
    assert all(t.acked for t in txns)
    daemon.kill()
    daemon.start()
    assert check_all(daemon, txns) == 50
    assert daemon.serial() == 1050
    # A second server on the same journal is refused before it serves anything.
    second = subprocess.run([namae_bin("namaed"), "--config", daemon.config, "--foreground"],
                            capture_output=True, text=True, timeout=30, cwd=daemon.dir)
    assert second.returncode != 0
    assert "in use by another process" in second.stdout + second.stderr, second.stderr
    assert daemon.serial() == 1050
    daemon.kill()
    daemon.start()
    assert check_all(daemon, txns) == 50
    assert daemon.serial() == 1050

"""Catalog zones (RFC 9432) between namaed and real peers, both ways.

namaed consumes (`catalog-role = "consume"`): Knot generates a catalog
(`catalog-role: generate`) and BIND serves one written by hand and changed
with nsupdate; each adds and drops members and namaed starts and stops
serving them, with their files in catalog-member-dir, without a restart. A
restart serves the members at once from the saved copies. A broken catalog
version (wrong schema version, a zone under two ids) changes nothing, and a
member that is one of namaed's own zones is refused.

namaed produces (`catalog-role = "generate"`): Knot (`catalog-role:
interpret`), BIND (`catalog-zones`) and another namaed consume it and serve
the members' data.

Only 127.0.0.1 and ports chosen here are used.
"""
import os
import shutil
import subprocess
import time

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.tsigkeyring
import dns.update
import pytest

from conftest import free_port, namae_bin, stop_process

CATALOG = "catalog.test"
KEY = ("catkey", "hmac-sha256", "Y2F0YWxvZy1rZXktZm9yLW5hbWFlLWNhdGFsb2ctdGVzdHM=")
RNDC_SECRET = "cm5kYy1rZXktZm9yLW5hbWFlLWNhdGFsb2ctdGVzdHMtMDEy"


def member_text(zone, address):
    return (f"$ORIGIN {zone}.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 60\n"
            f"@ NS ns1\nns1 A 127.0.0.1\nwww A {address}\n")


def query(port, name, rdtype, timeout=2.0):
    return dns.query.udp(dns.message.make_query(name, rdtype), "127.0.0.1", port=port, timeout=timeout)


def www(port, zone):
    """The address of www.<zone> at `port`, or the rcode's name."""
    try:
        r = query(port, f"www.{zone}", "A")
    except Exception as e:  # a timeout counts as "not there yet"
        return repr(e)
    if r.rcode() == dns.rcode.NOERROR and r.answer:
        return r.answer[0][0].address
    return dns.rcode.to_text(r.rcode())


def answers(port, zone):
    """True once something answers on `port` (any rcode)."""
    try:
        query(port, zone, "SOA", timeout=0.3)
        return True
    except Exception:
        return False


def wait_for(cond, timeout=20.0, what=""):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = cond()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def wait_serving(port, zone, address, log=lambda: "", timeout=20.0):
    try:
        wait_for(lambda: www(port, zone) == address, timeout, f"{zone} served")
    except AssertionError as e:
        raise AssertionError(f"{e}: got {www(port, zone)}\n{log()}") from None


def wait_gone(port, zone, log=lambda: "", timeout=20.0):
    try:
        wait_for(lambda: www(port, zone) in ("REFUSED", "NOTAUTH"), timeout, f"{zone} gone")
    except AssertionError as e:
        raise AssertionError(f"{e}: got {www(port, zone)}\n{log()}") from None


def keyring():
    return dns.tsigkeyring.from_text({KEY[0]: (KEY[1], KEY[2])})


class Daemon:
    """A peer process in `dir` with its log; stop() is idempotent."""

    def __init__(self, kind, dir, port):
        self.kind, self.dir, self.port = kind, dir, port
        self.proc = None
        self.log_path = os.path.join(dir, f"{kind}.log")

    def launch(self, argv):
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)
        log.close()

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def alive(self):
        assert self.proc.poll() is None, f"{self.kind} exited:\n{self.log()}"
        return True

    def stop(self):
        stop_process(self.proc)
        self.proc = None


# --- namaed --------------------------------------------------------------------

class Namaed(Daemon):
    """namaed consuming CATALOG from `primary` (port) and/or generating one."""

    def __init__(self, dir, port=None):
        os.makedirs(dir, exist_ok=True)
        super().__init__("namaed", dir, port or free_port())
        self.zones = ""

    def consume(self, primary_port, key=True):
        self.zones += (f'[[zone]]\nname = "{CATALOG}"\nfile = "saved/{CATALOG}.zone"\n'
                       f'catalog-role = "consume"\nprimaries = ["127.0.0.1:{primary_port}"]\n'
                       f'catalog-member-dir = "members"\n' + (f'transfer-key = "{KEY[0]}"\n' if key else "") + "\n")
        return self

    def own_zone(self, zone, address, extra=""):
        with open(os.path.join(self.dir, f"{zone}.zone"), "w") as f:
            f.write(member_text(zone, address))
        self.zones += f'[[zone]]\nname = "{zone}"\nfile = "{zone}.zone"\n{extra}\n'
        return self

    def generate(self, members, notify_port=None):
        self.zones += (f'[[zone]]\nname = "{CATALOG}"\nfile = "{CATALOG}.zone"\ncatalog-role = "generate"\n'
                       'allow-transfer = ["127.0.0.0/8"]\n'
                       + (f'notify = ["127.0.0.1:{notify_port}"]\n' if notify_port else "") + "\n")
        for zone, address in members:
            self.own_zone(zone, address, f'catalog-zone = "{CATALOG}"\nallow-transfer = ["127.0.0.0/8"]\n')
        return self

    def start(self):
        with open(os.path.join(self.dir, "namaed.toml"), "w") as f:
            f.write(f'[server]\nlisten = ["127.0.0.1:{self.port}"]\nworkers = 1\ncontrol = "ctl.sock"\n\n'
                    f'[http]\nlisten = ""\n\n[[key]]\nname = "{KEY[0]}"\nalgorithm = "{KEY[1]}"\n'
                    f'secret = "{KEY[2]}"\n\n' + self.zones)
        os.makedirs(os.path.join(self.dir, "saved"), exist_ok=True)
        before = len(self.log())
        self.launch([namae_bin("namaed"), "--config", os.path.join(self.dir, "namaed.toml"), "--foreground"])
        wait_for(lambda: self.alive() and " ready" in self.log()[before:], 20, "namaed ready")
        return self

    def ctl(self, *words):
        r = subprocess.run([namae_bin("namae"), "ctl", "-s", os.path.join(self.dir, "ctl.sock"), *words],
                           capture_output=True, text=True, timeout=30)
        return r.stdout + r.stderr

    def member_files(self):
        d = os.path.join(self.dir, "members")
        return sorted(f for f in os.listdir(d) if f.endswith(".zone")) if os.path.isdir(d) else []


# --- Knot ----------------------------------------------------------------------

class Knot(Daemon):
    """knotd; zones are added to its config file and picked up by `knotc reload`."""

    def __init__(self, dir):
        os.makedirs(os.path.join(dir, "db"), exist_ok=True)
        super().__init__("knotd", dir, free_port())
        self.sock = os.path.join(dir, "knot.sock")
        self.head = [
            "server:", f"    listen: 127.0.0.1@{self.port}", f"    rundir: {dir}",
            "control:", f"    listen: {self.sock}",
            "database:", f"    storage: {dir}/db",
            "log:", "  - target: stderr", "    any: info",
            "key:", f"  - id: {KEY[0]}", f"    algorithm: {KEY[1]}", f"    secret: {KEY[2]}",
        ]
        self.zones = []

    def write(self):
        with open(os.path.join(self.dir, "knot.conf"), "w") as f:
            f.write("\n".join(self.head + ["zone:"] + self.zones) + "\n")

    def start(self, ready_zone):
        if not shutil.which("knotd"):
            pytest.skip("knotd not installed")
        self.write()
        self.launch(["knotd", "-c", os.path.join(self.dir, "knot.conf")])
        wait_for(lambda: self.alive() and answers(self.port, ready_zone), 20, "knotd ready")
        return self

    def knotc(self, *words):
        r = subprocess.run(["knotc", "-s", self.sock, *words], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stdout + r.stderr
        return r.stdout

    def reload(self):
        self.write()
        self.knotc("reload")


def knot_producer(dir, namaed_port):
    knot = Knot(dir)
    knot.head += ["remote:", "  - id: namaed", f"    address: 127.0.0.1@{namaed_port}", f"    key: {KEY[0]}",
                  "acl:", "  - id: xfr", f"    key: {KEY[0]}", "    action: transfer"]
    knot.zones += [f"  - domain: {CATALOG}", "    catalog-role: generate", "    acl: xfr", "    notify: namaed"]
    return knot


def knot_member(knot, zone, address):
    with open(os.path.join(knot.dir, f"{zone}.zone"), "w") as f:
        f.write(member_text(zone, address))
    knot.zones += [f"  - domain: {zone}", f"    file: {zone}.zone", f"    storage: {knot.dir}",
                   "    catalog-role: member", f"    catalog-zone: {CATALOG}", "    acl: xfr", "    notify: namaed"]


def test_knot_catalog_members_come_and_go(tmp_path):
    ns_port = free_port()
    knot = knot_producer(str(tmp_path / "knot"), ns_port)
    knot_member(knot, "one.test", "192.0.2.1")
    knot.start("one.test")
    ours = Namaed(str(tmp_path / "namaed"), ns_port).consume(knot.port)
    try:
        ours.start()
        wait_serving(ours.port, "one.test", "192.0.2.1", ours.log)
        assert ours.member_files() == ["one.test.zone"]
        # A member added at Knot: its catalog changes, NOTIFY, the member is
        # transferred. A leftover file under its name (same serial, other
        # data) is not taken for its copy.
        with open(os.path.join(ours.dir, "members", "two.test.zone"), "w") as f:
            f.write(member_text("two.test", "198.51.100.1"))
        knot_member(knot, "two.test", "192.0.2.2")
        knot.reload()
        wait_serving(ours.port, "two.test", "192.0.2.2", ours.log)
        assert "catalog-member" in ours.ctl("status")
        # Removed at Knot: namaed stops serving it and forgets its files.
        knot.zones = drop_zone(knot.zones, "one.test")
        knot.reload()
        wait_gone(ours.port, "one.test", ours.log)
        wait_for(lambda: ours.member_files() == ["two.test.zone"], 10, "one.test's files deleted")
        assert www(ours.port, "two.test") == "192.0.2.2"
        # A restart serves the members at once, from the saved copies, before any transfer.
        ours.stop()
        knot.stop()
        ours.start()
        assert www(ours.port, "two.test") == "192.0.2.2"
        assert www(ours.port, "one.test") == "REFUSED"
    finally:
        ours.stop()
        knot.stop()


def drop_zone(lines, zone):
    """Knot config lines without the `- domain: zone` entry and its options."""
    out, skipping = [], False
    for line in lines:
        if line.startswith("  - domain:"):
            skipping = line.split(":", 1)[1].strip() == zone
        if not skipping:
            out.append(line)
    return out


# --- BIND ----------------------------------------------------------------------

def bind_catalog_text(serial, members, version="2", extra=""):
    text = (f"$ORIGIN {CATALOG}.\n$TTL 0\n@ SOA invalid. invalid. {serial} 3600 600 2147483646 0\n"
            f"@ NS invalid.\nversion TXT \"{version}\"\n")
    for unique, zone in members:
        text += f"{unique}.zones PTR {zone}.\n"
    return text + extra


class Bind(Daemon):
    """named as primary of CATALOG and of member zones, NOTIFY to namaed, rndc on a port of its own."""

    def __init__(self, dir, namaed_port, members):
        os.makedirs(dir, exist_ok=True)
        super().__init__("named", dir, free_port())
        self.ctl_port = free_port()
        self.namaed_port = namaed_port
        self.members = members

    def start(self, catalog_text):
        if not shutil.which("named"):
            pytest.skip("named not installed")
        with open(os.path.join(self.dir, f"{CATALOG}.zone"), "w") as f:
            f.write(catalog_text)
        conf = [
            "options {", f'  directory "{self.dir}";', f'  pid-file "{self.dir}/named.pid";',
            f'  session-keyfile "{self.dir}/session.key";', f'  managed-keys-directory "{self.dir}";',
            f"  listen-on port {self.port} {{ 127.0.0.1; }};", "  listen-on-v6 { none; };",
            "  recursion no;", "  dnssec-validation no;", "  notify explicit;", "  notify-delay 0;", "};",
            f'key "{KEY[0]}" {{ algorithm {KEY[1]}; secret "{KEY[2]}"; }};',
            f'key "rndc-key" {{ algorithm hmac-sha256; secret "{RNDC_SECRET}"; }};',
            f'controls {{ inet 127.0.0.1 port {self.ctl_port} allow {{ 127.0.0.1; }} keys {{ "rndc-key"; }}; }};',
        ]
        for zone in [CATALOG] + [z for z, _ in self.members]:
            if zone != CATALOG:
                with open(os.path.join(self.dir, f"{zone}.zone"), "w") as f:
                    f.write(member_text(zone, dict(self.members)[zone]))
            conf.append(f'zone "{zone}" {{ type primary; file "{zone}.zone"; allow-update {{ key "{KEY[0]}"; }};'
                        f' allow-transfer {{ key "{KEY[0]}"; }};'
                        f' also-notify {{ 127.0.0.1 port {self.namaed_port} key "{KEY[0]}"; }}; }};')
        with open(os.path.join(self.dir, "named.conf"), "w") as f:
            f.write("\n".join(conf) + "\n")
        self.launch(["named", "-g", "-c", os.path.join(self.dir, "named.conf"), "-n", "1"])
        wait_for(lambda: self.alive() and www(self.port, self.members[0][0]) == self.members[0][1], 20,
                 "named ready")
        return self

    def update(self, *changes):
        """Apply (op, name, rdtype, text) changes to the catalog with a signed UPDATE."""
        u = dns.update.UpdateMessage(CATALOG, keyring=keyring(), keyalgorithm=KEY[1])
        for op, name, rdtype, text in changes:
            getattr(u, op)(name, 0, rdtype, text) if op == "add" else u.delete(name, rdtype, text)
        r = dns.query.tcp(u, "127.0.0.1", port=self.port, timeout=5)
        assert r.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(r.rcode())


def test_bind_catalog_members_come_and_go_and_broken_versions_change_nothing(tmp_path):
    ns_port = free_port()
    members = [("one.test", "192.0.2.1"), ("two.test", "192.0.2.2"), ("mine.test", "192.0.2.66")]
    bind = Bind(str(tmp_path / "named"), ns_port, members)
    bind.start(bind_catalog_text(1, [("m1", "one.test")]))
    ours = Namaed(str(tmp_path / "namaed"), ns_port).consume(bind.port).own_zone("mine.test", "192.0.2.99")
    try:
        ours.start()
        wait_serving(ours.port, "one.test", "192.0.2.1", ours.log)
        # nsupdate-style change of the hand-written catalog: a member added.
        bind.update(("add", f"m2.zones.{CATALOG}.", "PTR", "two.test."))
        wait_serving(ours.port, "two.test", "192.0.2.2", ours.log)
        # A member that is namaed's own zone is refused (RFC 9432 5.2); ours stays.
        bind.update(("add", f"m3.zones.{CATALOG}.", "PTR", "mine.test."))
        wait_for(lambda: "it is a configured zone" in ours.log(), 20, "clash refused")
        assert www(ours.port, "mine.test") == "192.0.2.99"
        # Broken versions: a zone listed twice, then a wrong schema version. Nothing changes.
        bind.update(("add", f"dup.zones.{CATALOG}.", "PTR", "one.test."))
        wait_for(lambda: "is listed under both" in ours.log(), 20, "duplicate refused")
        bind.update(("delete", f"dup.zones.{CATALOG}.", "PTR", "one.test."),
                    ("delete", f"m1.zones.{CATALOG}.", "PTR", "one.test."),
                    ("delete", f"version.{CATALOG}.", "TXT", '"2"'),
                    ("add", f"version.{CATALOG}.", "TXT", '"3"'))
        wait_for(lambda: "schema version is not" in ours.log(), 20, "wrong version refused")
        assert www(ours.port, "one.test") == "192.0.2.1"
        assert www(ours.port, "two.test") == "192.0.2.2"
        # Fixed: the member dropped meanwhile goes now.
        bind.update(("delete", f"version.{CATALOG}.", "TXT", '"3"'), ("add", f"version.{CATALOG}.", "TXT", '"2"'))
        wait_gone(ours.port, "one.test", ours.log)
        assert www(ours.port, "two.test") == "192.0.2.2"
        assert ours.member_files() == ["two.test.zone"]
    finally:
        ours.stop()
        bind.stop()


# --- namaed as producer ----------------------------------------------------------

def test_namaed_catalog_to_namaed(tmp_path):
    consumer_port = free_port()
    producer = Namaed(str(tmp_path / "producer")).generate([("one.test", "192.0.2.1")], consumer_port)
    producer.start()
    consumer = Namaed(str(tmp_path / "consumer"), consumer_port).consume(producer.port, key=False)
    try:
        consumer.start()
        wait_serving(consumer.port, "one.test", "192.0.2.1", consumer.log)
        # The producer restarted with another member: its NOTIFY of the new
        # catalog (sent once its listeners are up) does the rest.
        producer.stop()
        producer.zones = ""
        producer.generate([("one.test", "192.0.2.1"), ("two.test", "192.0.2.2")], consumer_port).start()
        wait_serving(consumer.port, "two.test", "192.0.2.2", consumer.log)
        producer.stop()
        producer.zones = ""
        producer.generate([("two.test", "192.0.2.2")], consumer_port).start()
        wait_gone(consumer.port, "one.test", consumer.log)
        assert www(consumer.port, "two.test") == "192.0.2.2"
    finally:
        consumer.stop()
        producer.stop()


def test_knot_consumes_namaeds_catalog(tmp_path):
    producer = Namaed(str(tmp_path / "producer")).generate([("one.test", "192.0.2.1"), ("two.test", "192.0.2.2")])
    producer.start()
    knot = Knot(str(tmp_path / "knot"))
    knot.head += ["remote:", "  - id: namaed", f"    address: 127.0.0.1@{producer.port}",
                  "template:", "  - id: member", "    master: namaed", f"    storage: {knot.dir}",
                  "    file: %s.zone"]
    knot.zones += [f"  - domain: {CATALOG}", "    master: namaed", f"    storage: {knot.dir}",
                   "    catalog-role: interpret", "    catalog-template: member"]
    try:
        knot.start(CATALOG)
        wait_serving(knot.port, "one.test", "192.0.2.1", knot.log)
        wait_serving(knot.port, "two.test", "192.0.2.2", knot.log)
    finally:
        knot.stop()
        producer.stop()


def test_bind_consumes_namaeds_catalog(tmp_path):
    if not shutil.which("named"):
        pytest.skip("named not installed")
    producer = Namaed(str(tmp_path / "producer")).generate([("one.test", "192.0.2.1"), ("two.test", "192.0.2.2")])
    producer.start()
    bind = Daemon("named", str(tmp_path / "named"), free_port())
    os.makedirs(bind.dir)
    conf = [
        "options {", f'  directory "{bind.dir}";', f'  pid-file "{bind.dir}/named.pid";',
        f'  session-keyfile "{bind.dir}/session.key";', f'  managed-keys-directory "{bind.dir}";',
        f"  listen-on port {bind.port} {{ 127.0.0.1; }};", "  listen-on-v6 { none; };",
        "  recursion no;", "  dnssec-validation no;", "  notify no;", "  allow-new-zones yes;",
        f'  catalog-zones {{ zone "{CATALOG}" default-primaries {{ 127.0.0.1 port {producer.port}; }}; }};',
        "};", "controls { };",
        f'zone "{CATALOG}" {{ type secondary; file "{CATALOG}.bk"; '
        f"primaries {{ 127.0.0.1 port {producer.port}; }}; }};",
    ]
    with open(os.path.join(bind.dir, "named.conf"), "w") as f:
        f.write("\n".join(conf) + "\n")
    bind.launch(["named", "-g", "-c", os.path.join(bind.dir, "named.conf"), "-n", "1"])
    try:
        wait_serving(bind.port, "one.test", "192.0.2.1", bind.log, timeout=30)
        wait_serving(bind.port, "two.test", "192.0.2.2", bind.log, timeout=30)
    finally:
        bind.stop()
        producer.stop()

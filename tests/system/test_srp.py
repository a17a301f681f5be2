"""SRP, the Service Registration Protocol (RFC 9665), end to end.

namaed serves default.service.arpa with `srp = true` and short leases.
`namae srp register` registers a host and a service (dig then sees PTR,
SRV, TXT, A, AAAA), renews before its lease ends, removes on SIGTERM; a
registration left alone goes at its lease end while the KEY (and with it
the name) stays for its key lease; a second key is refused the first one's
names (YXDOMAIN); unsigned, badly signed and malformed updates are refused
with the zone unchanged.

Interop: a requester written here in Python (dnspython builds the UPDATE,
python3-cryptography signs the SIG(0) with ECDSA P-256, independently of
namae's C++ signer), and BIND's `nsupdate -k` with a SIG(0) KEY made by
`dnssec-keygen -T KEY -a ECDSAP256SHA256`.
"""
import json
import os
import shutil
import select
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

import dns.edns
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.update
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from conftest import free_port, make_cert, namae_bin, stop_process

ZONE = "default.service.arpa"
ZONE_TEXT = f"""$ORIGIN {ZONE}.
$TTL 300
@    IN SOA ns1 hostmaster 1 7200 900 1209600 60
@    IN NS  ns1
ns1  IN A   127.0.0.1
www  IN A   192.0.2.80
"""
MAX_LEASE, MAX_KEY_LEASE = 60, 30
UPDATE_LEASE = 2  # EDNS option code (RFC 9664)


class Namaed:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="namaed-srp-")
        self.port, self.push_port = free_port(), free_port()
        self.cert, key = make_cert(os.path.join(self.dir, "cert.pem"), os.path.join(self.dir, "key.pem"))
        with open(os.path.join(self.dir, "zone"), "w") as f:
            f.write(ZONE_TEXT)
        with open(os.path.join(self.dir, "namaed.toml"), "w") as f:
            f.write(f"""[server]
listen = ["127.0.0.1:{self.port}"]
workers = 1
push-listen = ["127.0.0.1:{self.push_port}"]
tls-cert = "{self.cert}"
tls-key = "{key}"

[http]
listen = ""

[[zone]]
name = "{ZONE}"
file = "zone"
journal = "zone.db"
srp = true
min-lease = 1
max-lease = {MAX_LEASE}
max-key-lease = {MAX_KEY_LEASE}
""")
        self.log_path = os.path.join(self.dir, "namaed.log")
        log = open(self.log_path, "w")
        self.proc = subprocess.Popen([namae_bin("namaed"), "--config",
                                      os.path.join(self.dir, "namaed.toml"), "--foreground"],
                                     stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.time() + 20
        while time.time() < deadline:
            assert self.proc.poll() is None, self.log()
            try:
                if serial(self) is not None:
                    return
            except Exception:
                time.sleep(0.05)
        raise RuntimeError("namaed did not start:\n" + self.log())

    def log(self):
        with open(self.log_path) as f:
            return f.read()[-4000:]

    def stop(self):
        stop_process(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def srv():
    s = Namaed()
    yield s
    s.stop()


def query(srv, name, rdtype):
    q = dns.message.make_query(name, rdtype)
    q.flags &= ~0x0100
    return dns.query.udp(q, "127.0.0.1", port=srv.port, timeout=3)


def serial(srv):
    r = query(srv, ZONE, "SOA")
    return r.answer[0][0].serial if r.answer else None


def dig(srv, name, rdtype):
    out = subprocess.run(["dig", "+short", "+norec", "-p", str(srv.port), "@127.0.0.1", name, rdtype],
                         capture_output=True, text=True, timeout=10).stdout
    return sorted(out.split("\n")[:-1])


def fqdn(label):
    return f"{label}.{ZONE}."


def register(srv, tmp_path, instance, host, key, *extra, addresses=("192.0.2.10",), wait=True):
    args = [namae_bin("namae"), "srp", "register", instance, "_ipp._tcp", "631", "rp=ipp",
            "--server", f"127.0.0.1:{srv.port}", "--domain", ZONE, "--host", host,
            "--key", str(tmp_path / key)] + [a for ad in addresses for a in ("--address", ad)] + list(extra)
    if wait:
        return subprocess.run(args, capture_output=True, text=True, timeout=20)
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(pred, timeout=8.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


# --- namae srp register -------------------------------------------------------

def test_register_renew_and_remove_on_sigterm(srv, tmp_path):
    p = register(srv, tmp_path, "Printer One", "h1", "k1.pem", "--lease", "2",
                 addresses=("192.0.2.11", "2001:db8::11"), wait=False)
    try:
        line = p.stdout.readline()
        assert line.startswith("registered"), line + p.stderr.read()
        assert "lease 2 s" in line and f"key lease {MAX_KEY_LEASE} s" in line, line
        assert oct(os.stat(tmp_path / "k1.pem").st_mode & 0o777) == "0o600"
        inst = f"Printer\\032One._ipp._tcp.{ZONE}."
        assert dig(srv, f"_ipp._tcp.{ZONE}", "PTR") == [inst]
        assert dig(srv, inst, "SRV") == [f"0 0 631 {fqdn('h1')}"]
        assert dig(srv, inst, "TXT") == ['"rp=ipp"']
        assert dig(srv, fqdn("h1"), "A") == ["192.0.2.11"]
        assert dig(srv, fqdn("h1"), "AAAA") == ["2001:db8::11"]
        # Renewed at 80 % of the 2 s lease: still there well past it.
        assert p.stdout.readline().startswith("renewed")
        time.sleep(2.5)
        assert dig(srv, inst, "SRV") == [f"0 0 631 {fqdn('h1')}"]
    finally:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=10)
    assert p.returncode == 0, err
    assert "removed" in out
    assert dig(srv, fqdn("h1"), "A") == []
    assert dig(srv, inst, "SRV") == []
    assert inst not in dig(srv, f"_ipp._tcp.{ZONE}", "PTR")
    assert len(dig(srv, fqdn("h1"), "KEY")) == 1  # the name stays the key's


def global_addresses():
    """This host's addresses as `ip` lists them: links up and running, not loopback,
    global scope, neither temporary, tentative, DAD-failed nor deprecated."""
    out = subprocess.run(["ip", "-j", "addr", "show", "scope", "global"], capture_output=True, text=True,
                         check=True).stdout
    v4, v6 = [], []
    for link in json.loads(out):
        flags = link.get("flags", [])
        if "UP" not in flags or "LOWER_UP" not in flags or "LOOPBACK" in flags:
            continue
        for a in link.get("addr_info", []):
            if "family" not in a or any(a.get(f) for f in ("temporary", "tentative", "dadfailed", "deprecated")):
                continue
            (v4 if a["family"] == "inet" else v6).append(a["local"])
    return sorted(v4), sorted(v6)


def test_default_addresses_are_the_hosts_global_ones(srv, tmp_path):
    v4, v6 = global_addresses()
    if not v4 and not v6:
        pytest.skip("this host has no global address to register")
    r = register(srv, tmp_path, "Printer Default", "hd", "kd.pem", "--once", addresses=())
    assert r.returncode == 0, r.stderr
    assert dig(srv, fqdn("hd"), "A") == v4
    assert dig(srv, fqdn("hd"), "AAAA") == v6


def test_lease_end_removes_records_then_key(srv, tmp_path):
    r = register(srv, tmp_path, "Short", "h2", "k2.pem", "--once", "--lease", "1", "--key-lease", "3")
    assert r.returncode == 0, r.stderr
    inst = f"Short._ipp._tcp.{ZONE}."
    assert dig(srv, inst, "SRV") != []
    assert wait_for(lambda: dig(srv, inst, "SRV") == [] and dig(srv, fqdn("h2"), "A") == [])
    assert inst not in dig(srv, f"_ipp._tcp.{ZONE}", "PTR")
    assert len(dig(srv, fqdn("h2"), "KEY")) == 1
    assert wait_for(lambda: dig(srv, fqdn("h2"), "KEY") == [])


def test_second_key_is_refused(srv, tmp_path):
    r = register(srv, tmp_path, "Shared", "h3", "first.pem", "--once", "--lease", "30")
    assert r.returncode == 0, r.stderr
    before = serial(srv)
    taken = register(srv, tmp_path, "Other", "h3", "second.pem", "--once")
    assert taken.returncode == 1 and "YXDOMAIN" in taken.stderr, taken.stderr
    same_instance = register(srv, tmp_path, "Shared", "h3b", "second.pem", "--once")
    assert same_instance.returncode == 1 and "YXDOMAIN" in same_instance.stderr
    zone_file_name = register(srv, tmp_path, "Web", "www", "second.pem", "--once")
    assert zone_file_name.returncode == 1 and "YXDOMAIN" in zone_file_name.stderr
    assert serial(srv) == before
    assert dig(srv, fqdn("h3"), "A") == ["192.0.2.10"]
    assert dig(srv, fqdn("www"), "A") == ["192.0.2.80"]
    # The first key renews (same key file): accepted.
    again = register(srv, tmp_path, "Shared", "h3", "first.pem", "--once", addresses=("192.0.2.33",))
    assert again.returncode == 0, again.stderr
    assert dig(srv, fqdn("h3"), "A") == ["192.0.2.33"]


def wait_change(watch, kind, data, timeout=10.0):
    """Read `namae watch --json` lines (unbuffered, so select sees every
    one) until one says `kind` `data`."""
    deadline = time.time() + timeout
    fd = watch.stdout.fileno()
    while time.time() < deadline:
        while b"\n" in watch.pending:
            line, watch.pending = watch.pending.split(b"\n", 1)
            change = json.loads(line)
            if change["change"] == kind and change.get("data") == data:
                return True
        if not select.select([fd], [], [], max(0.0, deadline - time.time()))[0]:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        watch.pending += chunk
    return False


def test_push_subscriber_sees_the_registration(srv, tmp_path):
    """A DNS Push subscriber browsing _ipp._tcp hears the service arrive
    and leave (RFC 8765 over the registrar's own zone)."""
    watch = subprocess.Popen([namae_bin("namae"), "watch", f"_ipp._tcp.{ZONE}", "PTR", "--server",
                              f"127.0.0.1:{srv.push_port}", "--tls-name", "dns.test", "--ca", srv.cert,
                              "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    watch.pending = b""
    try:
        time.sleep(0.5)  # subscribed before the registration
        inst = f"Pushed._ipp._tcp.{ZONE}."
        r = register(srv, tmp_path, "Pushed", "h5", "k5.pem", "--once", "--lease", "30")
        assert r.returncode == 0, r.stderr
        assert wait_change(watch, "add", inst)
        r = register(srv, tmp_path, "Pushed", "h5", "k5.pem", "--once", "--lease", "0")
        assert r.returncode == 0, r.stderr
        assert wait_change(watch, "remove", inst)
    finally:
        stop_process(watch)


# --- an independent requester: dnspython + python3-cryptography -------------

class PyKey:
    def __init__(self):
        self.priv = ec.generate_private_key(ec.SECP256R1())
        nums = self.priv.public_key().public_numbers()
        pub = nums.x.to_bytes(32, "big") + nums.y.to_bytes(32, "big")
        self.rdata = struct.pack("!HBB", 0x0200, 3, 13) + pub
        # dnspython has no KEY type: RFC 3597's generic form.
        self.text = f"\\# {len(self.rdata)} {self.rdata.hex()}"

    def tag(self):
        acc = 0
        for i, b in enumerate(self.rdata):
            acc += b if i & 1 else b << 8
        return (acc + (acc >> 16)) & 0xFFFF

    def sign(self, wire, signer, inception=None, expiration=None, corrupt=False):
        """RFC 2931 3.1: SIG rdata less the signature, then the message as sent
        before the SIG; the SIG appended last, ARCOUNT raised."""
        now = int(time.time())
        inc = now - 60 if inception is None else inception
        exp = now + 300 if expiration is None else expiration
        prefix = struct.pack("!HBBIIIH", 0, 13, 0, 0, exp, inc, self.tag()) + \
            dns.name.from_text(signer).to_wire()
        der = self.priv.sign(prefix + wire, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        if corrupt:
            sig = sig[:-1] + bytes([sig[-1] ^ 1])
        rdata = prefix + sig
        arcount = struct.unpack("!H", wire[10:12])[0]
        return wire[:10] + struct.pack("!H", arcount + 1) + wire[12:] + \
            b"\x00" + struct.pack("!HHIH", 24, 255, 0, len(rdata)) + rdata


def py_update(key, host, instance, lease=40, key_lease=20, address="192.0.2.50", skip=()):
    u = dns.update.UpdateMessage(ZONE)
    inst = f"{instance}._http._tcp.{ZONE}."
    if "ptr" not in skip:
        u.add(f"_http._tcp.{ZONE}.", 120, "PTR", inst)
    u.delete(inst)
    u.add(inst, 120, "SRV", f"0 0 80 {host}.{ZONE}.")
    if "txt" not in skip:
        u.add(inst, 120, "TXT", "path=/")
    u.delete(f"{host}.{ZONE}.")
    u.add(f"{host}.{ZONE}.", 120, "A", address)
    u.add(f"{host}.{ZONE}.", 120, "KEY", key.text)
    u.use_edns(0, options=[dns.edns.GenericOption(UPDATE_LEASE, struct.pack("!II", lease, key_lease))])
    return u.to_wire()


def send(srv, wire):
    """One UDP exchange of a prepared message; the parsed reply."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(3)
        sock.sendto(wire, ("127.0.0.1", srv.port))
        reply = sock.recv(65535)
    assert reply[:2] == wire[:2]
    return dns.message.from_wire(reply)


def test_python_requester_interop(srv):
    key = PyKey()
    wire = key.sign(py_update(key, "py1", "pyweb", lease=100000, key_lease=100000), f"py1.{ZONE}.")
    r = send(srv, wire)
    assert r.rcode() == dns.rcode.NOERROR, srv.log()
    lease = [o for o in r.options if o.otype == UPDATE_LEASE]
    assert lease and struct.unpack("!II", lease[0].data) == (MAX_LEASE, MAX_KEY_LEASE)
    assert dig(srv, f"pyweb._http._tcp.{ZONE}", "SRV") == [f"0 0 80 {fqdn('py1')}"]
    assert dig(srv, fqdn("py1"), "A") == ["192.0.2.50"]
    assert f"pyweb._http._tcp.{ZONE}." in dig(srv, f"_http._tcp.{ZONE}", "PTR")
    # A requester without a clock (inception = expiration = 0) is accepted.
    wire = key.sign(py_update(key, "py1", "pyweb", address="192.0.2.51"), f"py1.{ZONE}.",
                    inception=0, expiration=0)
    assert send(srv, wire).rcode() == dns.rcode.NOERROR
    assert dig(srv, fqdn("py1"), "A") == ["192.0.2.51"]


@pytest.mark.parametrize("case,rcode", [
    ("unsigned", dns.rcode.REFUSED),
    ("bad signature", dns.rcode.REFUSED),
    ("expired signature", dns.rcode.REFUSED),
    ("signed by another key", dns.rcode.REFUSED),
    ("no PTR for the instance", dns.rcode.FORMERR),
    ("no TXT", dns.rcode.FORMERR),
])
def test_bad_updates_change_nothing(srv, case, rcode):
    key, other = PyKey(), PyKey()
    host = "bad-" + case.replace(" ", "-")
    skip = {"no PTR for the instance": ("ptr",), "no TXT": ("txt",)}.get(case, ())
    wire = py_update(key, host, "badweb", skip=skip)
    signer = f"{host}.{ZONE}."
    if case == "bad signature":
        wire = key.sign(wire, signer, corrupt=True)
    elif case == "expired signature":
        wire = key.sign(wire, signer, inception=1000, expiration=2000)
    elif case == "signed by another key":
        wire = other.sign(wire, signer)
    elif case != "unsigned":
        wire = key.sign(wire, signer)
    before = serial(srv)
    assert send(srv, wire).rcode() == rcode
    assert serial(srv) == before
    assert dig(srv, f"{host}.{ZONE}", "A") == []


# --- BIND's nsupdate with a SIG(0) key ---------------------------------------

def test_nsupdate_sig0(srv, tmp_path):
    host = f"ns-host.{ZONE}"
    made = subprocess.run(["dnssec-keygen", "-q", "-K", str(tmp_path), "-T", "KEY", "-a",
                           "ECDSAP256SHA256", "-n", "HOST", host],
                          capture_output=True, text=True, timeout=30)
    assert made.returncode == 0, made.stderr
    base = tmp_path / made.stdout.strip()
    key_rr = open(f"{base}.key").read().split("KEY", 1)[1].strip()
    script = f"""server 127.0.0.1 {srv.port}
zone {ZONE}
update delete {host}.
update add {host}. 120 A 192.0.2.60
update add {host}. 120 KEY {key_rr}
send
"""
    r = subprocess.run(["nsupdate", "-k", f"{base}.private"], input=script,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr + srv.log()
    assert dig(srv, host, "A") == ["192.0.2.60"]
    # The same host name from another nsupdate key: YXDOMAIN.
    other = subprocess.run(["dnssec-keygen", "-q", "-K", str(tmp_path), "-T", "KEY", "-a",
                            "ECDSAP256SHA256", "-n", "HOST", host],
                           capture_output=True, text=True, timeout=30)
    obase = tmp_path / other.stdout.strip()
    okey = open(f"{obase}.key").read().split("KEY", 1)[1].strip()
    r = subprocess.run(["nsupdate", "-k", f"{obase}.private"],
                       input=script.replace(key_rr, okey).replace("192.0.2.60", "192.0.2.61"),
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "YXDOMAIN" in r.stdout + r.stderr
    assert dig(srv, host, "A") == ["192.0.2.60"]


# --- several services, subtypes, TCP ----------------------------------------

class TcpRelay:
    """A TCP-only port relaying to namaed's: UDP sent there reaches nobody,
    so a registration through it proves `--tcp` (RFC 7766 framing both ways)."""
    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.target = port
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with c, socket.create_connection(("127.0.0.1", self.target), timeout=5) as up:
                while True:
                    r, _, _ = select.select([c, up], [], [], 5)
                    if not r:
                        break
                    data = b""
                    for s in r:
                        data = s.recv(65535)
                        if not data:
                            break
                        (up if s is c else c).sendall(data)
                    if not data:
                        break

    def close(self):
        self.sock.close()


def test_subtypes_and_several_services_over_tcp(srv, tmp_path):
    relay = TcpRelay(srv.port)
    watch = subprocess.Popen([namae_bin("namae"), "watch", f"_printer._sub._ipp._tcp.{ZONE}", "PTR", "--server",
                              f"127.0.0.1:{srv.push_port}", "--tls-name", "dns.test", "--ca", srv.cert,
                              "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    watch.pending = b""
    printer, web = f"Multi\\032Printer._ipp._tcp.{ZONE}.", f"Multi\\032Web._http._tcp.{ZONE}."
    args = [namae_bin("namae"), "srp", "register", "--subtype", "_printer", "Multi Printer", "_ipp._tcp", "631",
            "rp=ipp", "--subtype", "_color", "+", "Multi Web", "_http._tcp", "80", "path=/", "--subtype", "_admin",
            "--server", f"127.0.0.1:{relay.port}", "--tcp", "--domain", ZONE, "--host", "hm",
            "--key", str(tmp_path / "km.pem"), "--address", "192.0.2.70", "--lease", "30"]
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)  # the subscription is in place first
        line = p.stdout.readline()
        assert line.startswith(f"registered Multi Printer._ipp._tcp.{ZONE}., Multi Web._http._tcp.{ZONE}. "
                               f"on hm.{ZONE}."), line
        assert relay.connections >= 1
        assert dig(srv, f"_printer._sub._ipp._tcp.{ZONE}", "PTR") == [printer]
        assert dig(srv, f"_color._sub._ipp._tcp.{ZONE}", "PTR") == [printer]
        assert dig(srv, f"_admin._sub._http._tcp.{ZONE}", "PTR") == [web]
        assert printer in dig(srv, f"_ipp._tcp.{ZONE}", "PTR") and web in dig(srv, f"_http._tcp.{ZONE}", "PTR")
        assert dig(srv, web, "SRV") == [f"0 0 80 {fqdn('hm')}"]
        assert dig(srv, printer, "TXT") == ['"rp=ipp"']
        assert wait_change(watch, "add", printer)
    finally:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=10)
    try:
        assert p.returncode == 0, err
        assert "removed" in out
        # Removal takes the subtype PTRs with the services (RFC 9665 3.2.5.5).
        assert dig(srv, f"_printer._sub._ipp._tcp.{ZONE}", "PTR") == []
        assert dig(srv, f"_admin._sub._http._tcp.{ZONE}", "PTR") == []
        assert web not in dig(srv, f"_http._tcp.{ZONE}", "PTR")
        # The subtype's one PTR went, so the whole RRset did: RFC 8765 6.3.1's
        # RRset removal (no data), as the push service sends it.
        assert wait_change(watch, "remove-rrset", None)
    finally:
        stop_process(watch)
        relay.close()


def test_subtype_goes_at_lease_end(srv, tmp_path):
    r = subprocess.run([namae_bin("namae"), "srp", "register", "Brief", "_ipp._tcp", "631", "--subtype", "_brief",
                        "--server", f"127.0.0.1:{srv.port}", "--domain", ZONE, "--host", "hb",
                        "--key", str(tmp_path / "kb.pem"), "--address", "192.0.2.71", "--once", "--lease", "1",
                        "--key-lease", "3"], capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    inst = f"Brief._ipp._tcp.{ZONE}."
    assert dig(srv, f"_brief._sub._ipp._tcp.{ZONE}", "PTR") == [inst]
    assert wait_for(lambda: dig(srv, f"_brief._sub._ipp._tcp.{ZONE}", "PTR") == [])
    assert inst not in dig(srv, f"_ipp._tcp.{ZONE}", "PTR")


def test_bad_service_arguments_are_usage_errors(tmp_path):
    base = [namae_bin("namae"), "srp", "register"]
    for extra, msg in [(["A", "_ipp._tcp", "631", "+"], "for each service"),
                       (["A", "_ipp._tcp", "631", "+", "B", "_ipp._tcp"], "for each service"),
                       (["A", "_ipp._tcp", "631", "--subtype", "a.b"], "bad subtype"),
                       (["A", "_ipp._tcp", "631", "+", "A", "_ipp._tcp", "632"], "given twice")]:
        r = subprocess.run(base + extra + ["--key", str(tmp_path / "ku.pem"), "--address", "192.0.2.1",
                                           "--host", "hu"], capture_output=True, text=True, timeout=10)
        assert r.returncode == 2 and msg in r.stderr, (extra, r.stderr)

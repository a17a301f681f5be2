"""[[resolver.forward]] over TLS (RFC 7858, RFC 8310 strict profile).

Unbound is the forwarder, with a DoT listener whose certificate a test CA
signed for dot.test. Checked: queries go over TLS and share one kept
connection; an idle connection is closed after tls-idle-timeout and the next
one resumes the TLS session (RFC 7858 3.4, RFC 8446 tickets); a wrong
tls-name, a CA that did not sign the certificate, a server that is not
speaking TLS and a refused connection get SERVFAIL with EDE 22 (No Reachable
Authority) whose extra text says why, and nothing answered in clear; a first
server that accepts TCP but never completes the handshake is failed over to
the second within the resolution timeout.
"""
import json
import os
import socket
import subprocess
import threading
import time
import urllib.request

import dns.edns
import dns.rcode
import pytest

from conftest import free_port, make_cert, stop_process
from hierarchy import start_unbound
from test_resolver_zones import READY, Namaed, addresses


def make_ca(d, name):
    return make_cert(os.path.join(d, name + ".pem"), os.path.join(d, name + ".key"), name, ca_root=True)


def make_server_cert(d, ca, dns_name):
    """A key and a certificate for `dns_name` signed by `ca` (cert, key)."""
    return make_cert(os.path.join(d, "server.pem"), os.path.join(d, "server.key"), dns_name, signed_by=ca)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("pki"))
    ca = make_ca(d, "test-ca")
    other_ca = make_ca(d, "other-ca")
    return {"ca": ca[0], "other_ca": other_ca[0], "server": make_server_cert(d, ca, "dot.test")}


@pytest.fixture(scope="module")
def unbound_dot(tmp_path_factory, pki):
    """Unbound knowing fwd.test. (local data), with DoT on its own port."""
    work = str(tmp_path_factory.mktemp("unbound-dot"))
    hints = os.path.join(work, "root.hints")
    with open(hints, "w") as f:
        f.write(". 3600000 NS a.root.test.\na.root.test. 3600000 A 127.0.0.1\n")
    port, tls_port = free_port(), free_port()
    cert, key = pki["server"]
    proc = start_unbound(work, hints, port, extra=READY + f"""    interface: 127.0.0.1@{tls_port}
    tls-port: {tls_port}
    tls-service-pem: "{cert}"
    tls-service-key: "{key}"
    local-zone: "fwd.test." static
    local-data: "www.fwd.test. 120 IN A 192.0.2.7"
    local-data: "fwd.test. 120 IN SOA ns.fwd.test. h.fwd.test. 1 3600 600 86400 60"
""")
    yield tls_port
    stop_process(proc)


@pytest.fixture
def namaed_factory():
    started = []

    def make(servers, tls_name="dot.test", ca=None, idle_ms=None, http=False):
        table = (f'[[resolver.forward]]\nname = "."\nservers = {servers!r}\ntls = true\n'
                 f'tls-name = "{tls_name}"\n').replace("'", '"')
        if ca:
            table += f'tls-ca-file = "{ca}"\n'
        if idle_ms:
            table += f'tls-idle-timeout = {idle_ms}\n'
        n = Namaed(tables=table, http=http)
        started.append(n)
        return n
    yield make
    for n in started:
        n.stop()


def established_to(port):
    out = subprocess.run(["ss", "-Htn", "state", "established", f"( dport = :{port} )"], capture_output=True,
                         text=True).stdout
    return len(out.splitlines())


def ede_codes(resp):
    return [o.code for o in resp.options if isinstance(o, dns.edns.EDEOption)]


def ede_texts(resp):
    return [o.text for o in resp.options if isinstance(o, dns.edns.EDEOption)]


def forward_tls_metrics(n):
    with urllib.request.urlopen(f"http://127.0.0.1:{n.http_port}/metrics", timeout=5) as r:
        text = r.read().decode()
    return {k: float(v) for k, v in (line.rsplit(" ", 1) for line in text.splitlines()
                                      if line.startswith("namae_forward_tls_"))}


def wait_until(predicate, timeout):
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_forward_over_tls_reuses_one_connection(namaed_factory, unbound_dot, pki):
    n = namaed_factory([f"127.0.0.1:{unbound_dot}"], ca=pki["ca"])
    assert addresses(n.query("www.fwd.test.")) == ["192.0.2.7"]
    for i in range(10):
        assert n.query(f"n{i}.fwd.test.").rcode() == dns.rcode.NXDOMAIN
    assert established_to(unbound_dot) == 1


def test_idle_connection_closed_and_session_resumed(namaed_factory, unbound_dot, pki):
    n = namaed_factory([f"127.0.0.1:{unbound_dot}"], ca=pki["ca"], idle_ms=400, http=True)
    handshakes = 'namae_forward_tls_handshakes_total{forward=".",resumed="%s"}'
    assert addresses(n.query("www.fwd.test.")) == ["192.0.2.7"]
    assert established_to(unbound_dot) == 1
    # Idle for tls-idle-timeout: namaed closes it (Unbound's own timeout is 30 s).
    assert wait_until(lambda: established_to(unbound_dot) == 0, 3)
    m = forward_tls_metrics(n)
    assert m['namae_forward_tls_idle_closed_total{forward="."}'] == 1, m
    assert m['namae_forward_tls_connections{forward="."}'] == 0, m
    assert m[handshakes % "false"] == 1 and m[handshakes % "true"] == 0, m
    # The reconnect offers Unbound's ticket and resumes.
    assert n.query("n1.fwd.test.").rcode() == dns.rcode.NXDOMAIN
    m = forward_tls_metrics(n)
    assert m[handshakes % "false"] == 1 and m[handshakes % "true"] == 1, m
    # Busy connections stay: queries closer together than the timeout share one.
    for i in range(6):
        assert n.query(f"m{i}.fwd.test.").rcode() == dns.rcode.NXDOMAIN
        time.sleep(0.1)
    m = forward_tls_metrics(n)
    assert m[handshakes % "false"] + m[handshakes % "true"] == 2, m


@pytest.mark.parametrize("case", ["wrong name", "untrusted CA"])
def test_unverified_forwarder_is_servfail_with_ede(namaed_factory, unbound_dot, pki, case):
    if case == "wrong name":
        n = namaed_factory([f"127.0.0.1:{unbound_dot}"], tls_name="other.test", ca=pki["ca"])
        why = "certificate name mismatch for other.test"
    else:
        n = namaed_factory([f"127.0.0.1:{unbound_dot}"], ca=pki["other_ca"])
        why = "certificate not trusted (unable to get local issuer certificate)"
    t = time.time()
    r = n.query("www.fwd.test.")
    assert time.time() - t < 3
    assert r.rcode() == dns.rcode.SERVFAIL and not r.answer, r
    assert ede_codes(r) == [22], r
    assert ede_texts(r) == [f"TLS to 127.0.0.1:{unbound_dot}: {why}"], r
    assert established_to(unbound_dot) == 0


def serve_plain_dns_over_tcp(listener):
    """Answers whatever comes with a few bytes of clear-text DNS framing: a
    server that is not speaking TLS."""
    def run():
        while True:
            try:
                c, _ = listener.accept()
            except OSError:
                return
            with c:
                try:
                    c.recv(4096)
                    c.sendall(b"\x00\x0c" + bytes(12))
                except OSError:
                    pass
    threading.Thread(target=run, daemon=True).start()


@pytest.mark.parametrize("case", ["not TLS", "refused"])
def test_unreachable_forwarder_ede_says_why(namaed_factory, case):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    if case == "not TLS":
        s.listen(4)
        serve_plain_dns_over_tcp(s)
        why = "handshake failed: wrong version number"
    else:
        s.close()  # nothing listens
        why = "Connection refused"
    try:
        n = namaed_factory([f"127.0.0.1:{port}"])
        r = n.query("www.fwd.test.")
        assert r.rcode() == dns.rcode.SERVFAIL and not r.answer, r
        assert ede_codes(r) == [22], r
        assert ede_texts(r) == [f"TLS to 127.0.0.1:{port}: {why}"], r
    finally:
        s.close()


def test_failover_from_a_server_that_never_completes_the_handshake(namaed_factory, unbound_dot, pki):
    mute = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # accepts TCP, never speaks TLS
    mute.bind(("127.0.0.1", 0))
    mute.listen(16)
    try:
        n = namaed_factory([f"127.0.0.1:{mute.getsockname()[1]}", f"127.0.0.1:{unbound_dot}"], ca=pki["ca"])
        times = []
        for i in range(6):
            t = time.time()
            r = n.query("www.fwd.test." if i == 0 else f"n{i}.fwd.test.")
            times.append(time.time() - t)
            assert r.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN), r
        # The mute server costs one question its handshake timeout, then is avoided.
        assert max(times) < 2.5, times
        assert sum(t > 0.5 for t in times) <= 1, times
    finally:
        mute.close()


def test_tls_without_tls_name_is_a_startup_error(tmp_path):
    from conftest import namae_bin
    conf = tmp_path / "namaed.toml"
    conf.write_text(f"""[server]
listen = ["127.0.0.1:{free_port()}"]
[resolver]
listen = ["127.0.0.1:{free_port()}"]
[[resolver.forward]]
name = "."
servers = ["127.0.0.1"]
tls = true
""")
    r = subprocess.run([namae_bin("namaed"), "--config", str(conf), "--check"], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode != 0
    assert "'tls = true' needs 'tls-name'" in r.stdout + r.stderr, r.stdout + r.stderr


def trace(*args):
    from conftest import namae_bin
    return subprocess.run([namae_bin("namae"), "query", "+trace", *args], capture_output=True, text=True, timeout=30)


def test_trace_forwards_over_tls(unbound_dot, pki):
    fwd = f".=127.0.0.1:{unbound_dot}"
    r = trace("+tls", "+tls-hostname=dot.test", f"+tls-ca={pki['ca']}", "--forward", fwd, "www.fwd.test", "A")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"zone .: asked (forwarder) (127.0.0.1#{unbound_dot}) over TLS: www.fwd.test. A" in r.stdout, r.stdout
    assert r.stdout.split(";; ANSWER SECTION:")[1].split() == ["www.fwd.test.", "120", "IN", "A", "192.0.2.7"]
    # A certificate for another name: no answer, and the trace says why.
    r = trace("+json", "+tls", "+tls-hostname=other.test", f"+tls-ca={pki['ca']}", "--forward", fwd,
              "www.fwd.test", "A")
    out = json.loads(r.stdout)
    why = f"TLS to 127.0.0.1:{unbound_dot}: certificate name mismatch for other.test"
    assert out["rcode"] == "SERVFAIL" and out["ede"] == 22 and out["ede_text"] == why, out
    assert [s["error"] for s in out["steps"]] == [why, "no reachable server for zone ."], out
    # Not verifiable without a name, as [[resolver.forward]] tls = true.
    r = trace("+tls", "--forward", fwd, "www.fwd.test", "A")
    assert r.returncode == 2 and "+tls needs +tls-hostname=NAME" in r.stderr, r.stderr

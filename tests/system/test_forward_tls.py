"""[[resolver.forward]] over TLS (RFC 7858, RFC 8310 strict profile).

Unbound is the forwarder, with a DoT listener whose certificate a test CA
signed for dot.test. Checked: queries go over TLS and share one kept
connection; a wrong tls-name or a CA that did not sign the certificate gets
SERVFAIL with EDE 22 (No Reachable Authority) and nothing answered in clear;
a first server that accepts TCP but never completes the handshake is failed
over to the second within the resolution timeout.
"""
import os
import socket
import subprocess
import time

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

    def make(servers, tls_name="dot.test", ca=None):
        table = (f'[[resolver.forward]]\nname = "."\nservers = {servers!r}\ntls = true\n'
                 f'tls-name = "{tls_name}"\n').replace("'", '"')
        if ca:
            table += f'tls-ca-file = "{ca}"\n'
        n = Namaed(tables=table)
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


def test_forward_over_tls_reuses_one_connection(namaed_factory, unbound_dot, pki):
    n = namaed_factory([f"127.0.0.1:{unbound_dot}"], ca=pki["ca"])
    assert addresses(n.query("www.fwd.test.")) == ["192.0.2.7"]
    for i in range(10):
        assert n.query(f"n{i}.fwd.test.").rcode() == dns.rcode.NXDOMAIN
    assert established_to(unbound_dot) == 1


@pytest.mark.parametrize("case", ["wrong name", "untrusted CA"])
def test_unverified_forwarder_is_servfail_with_ede(namaed_factory, unbound_dot, pki, case):
    if case == "wrong name":
        n = namaed_factory([f"127.0.0.1:{unbound_dot}"], tls_name="other.test", ca=pki["ca"])
    else:
        n = namaed_factory([f"127.0.0.1:{unbound_dot}"], ca=pki["other_ca"])
    t = time.time()
    r = n.query("www.fwd.test.")
    assert time.time() - t < 3
    assert r.rcode() == dns.rcode.SERVFAIL and not r.answer, r
    assert ede_codes(r) == [22], r
    assert established_to(unbound_dot) == 0


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

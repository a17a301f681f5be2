"""TSIG on ordinary queries against namaed (RFC 8945 5.2, issue 4).

dig -y and kdig -y sign their queries and verify the reply's TSIG; namaed must
answer a query signed with a [[key]] with a reply signed with the same key, and
a query signed with an unknown key or a wrong secret with NOTAUTH and the TSIG
error (BADKEY/BADSIG, unsigned). dnspython checks the same from the library
side, including BADTIME with a skewed clock. Everything runs on 127.0.0.1.
"""
import base64
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import dns.message
import dns.query
import dns.rcode
import dns.tsig
import dns.tsigkeyring
import pytest

from conftest import free_port, namae_bin, stop_process

KEY = ("qkey.", "hmac-sha256", base64.b64encode(bytes(range(32))).decode())
SHA1_KEY = ("other-key.", "hmac-sha1", base64.b64encode(b"another secret of 20").decode())
WRONG_SECRET = base64.b64encode(bytes(range(1, 33))).decode()

ZONE = """$ORIGIN example.test.
$TTL 300
@     IN SOA ns1 hostmaster 1 7200 900 1209600 60
@     IN NS  ns1
ns1   IN A   127.0.0.1
www   IN A   192.0.2.1
""" + "\n".join(f'big IN TXT "record {i:03d} padding padding padding padding"' for i in range(40)) + "\n"


class Server:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="namaed-tsig-")
        self.port = free_port()
        with open(os.path.join(self.dir, "example.test.zone"), "w") as f:
            f.write(ZONE)
        config = os.path.join(self.dir, "namaed.toml")
        with open(config, "w") as f:
            f.write(f"""[server]
listen = ["127.0.0.1:{self.port}"]
workers = 1
control = "ctl.sock"

[[key]]
name = "{SHA1_KEY[0]}"
algorithm = "{SHA1_KEY[1]}"
secret = "{SHA1_KEY[2]}"

[[key]]
name = "{KEY[0]}"
algorithm = "{KEY[1]}"
secret = "{KEY[2]}"

[[zone]]
name = "example.test"
file = "example.test.zone"
""")
        self.log = open(os.path.join(self.dir, "namaed.log"), "w")
        self.proc = subprocess.Popen([namae_bin("namaed"), "--config", config, "--foreground"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                dns.query.udp(dns.message.make_query("example.test", "SOA"), "127.0.0.1",
                              port=self.port, timeout=0.5)
                return
            except (dns.exception.Timeout, OSError):
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        raise AssertionError("namaed did not start")

    def stop(self):
        stop_process(self.proc)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.stop()


def run(tool, server, key, *args):
    name, alg, secret = key
    cmd = [tool, "+norec", "-p", str(server.port), "@127.0.0.1", "-y", f"{alg}:{name}:{secret}",
           *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=15)


@pytest.mark.parametrize("transport", [[], ["+tcp"]])
@pytest.mark.parametrize("key", [KEY, SHA1_KEY], ids=["sha256", "sha1"])
def test_dig_signed_query_verifies(server, transport, key):
    p = run("dig", server, key, *transport, "www.example.test", "A")
    out = p.stdout + p.stderr
    assert "status: NOERROR" in out, out
    assert ";; TSIG PSEUDOSECTION" in out, out
    assert "tsig verify failure" not in out.lower(), out
    assert "192.0.2.1" in out, out
    # The TSIG record in the pseudosection carries no error.
    tsig_line = [l for l in out.splitlines() if "\tTSIG\t" in l or " TSIG " in l]
    assert tsig_line and "NOERROR" in tsig_line[-1], out


def test_dig_truncated_signed_reply(server):
    """A reply cut to 512 octets still carries a TSIG that dig accepts."""
    p = run("dig", server, KEY, "+noedns", "+ignore", "big.example.test", "TXT")
    out = p.stdout + p.stderr
    assert " tc" in out.split("flags:")[1].split(";")[0], out
    assert ";; TSIG PSEUDOSECTION" in out, out
    assert "tsig verify failure" not in out.lower(), out
    # Without +ignore dig retries over TCP and gets the whole RRset, signed.
    p = run("dig", server, KEY, "+noedns", "big.example.test", "TXT")
    out = p.stdout + p.stderr
    assert "ANSWER: 40" in out, out
    assert "tsig verify failure" not in out.lower(), out


@pytest.mark.parametrize("transport", [[], ["+tcp"]])
def test_kdig_signed_query_verifies(server, transport):
    p = run("kdig", server, KEY, *transport, "www.example.test", "A")
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert "NOERROR" in out, out
    assert "192.0.2.1" in out, out
    assert ";; TSIG PSEUDOSECTION" in out, out
    assert "failed" not in out.lower() and "error" not in out.lower().replace("noerror", ""), out


def test_dig_wrong_secret_is_badsig(server):
    p = run("dig", server, (KEY[0], KEY[1], WRONG_SECRET), "www.example.test", "A")
    out = p.stdout + p.stderr
    assert "status: NOTAUTH" in out, out
    assert "BADSIG" in out, out
    assert "ANSWER SECTION" not in out, out


def test_kdig_wrong_secret_is_badsig(server):
    p = run("kdig", server, (KEY[0], KEY[1], WRONG_SECRET), "www.example.test", "A")
    out = p.stdout + p.stderr
    # kdig shows the TSIG error as the status; the TSIG carries it unsigned.
    assert "status: BADSIG" in out, out
    assert "ANSWER: 0" in out, out
    # time signed, fudge, MAC size 0 (unsigned), original id, error.
    assert re.search(r"TSIG\s+hmac-sha256\.\s+\d+\s+300\s+0\s+\d+\s+BADSIG\b", out), out


def test_dig_unknown_key_is_badkey(server):
    p = run("dig", server, ("stranger.", KEY[1], KEY[2]), "www.example.test", "A")
    out = p.stdout + p.stderr
    assert "status: NOTAUTH" in out, out
    assert "BADKEY" in out, out


def keyring(key, secret=None):
    return dns.tsigkeyring.from_text({key[0]: (key[1], secret or key[2])})


def test_dnspython_signed_query(server):
    ring = keyring(KEY)
    q = dns.message.make_query("www.example.test", "A", use_edns=0)
    q.use_tsig(ring, keyname=KEY[0], algorithm=KEY[1])
    # from_wire inside dns.query verifies the reply against the request MAC.
    r = dns.query.udp(q, "127.0.0.1", port=server.port, timeout=3)
    assert r.rcode() == dns.rcode.NOERROR
    assert r.had_tsig
    assert r.answer[0].to_text().endswith("192.0.2.1")
    r = dns.query.tcp(q, "127.0.0.1", port=server.port, timeout=3)
    assert r.had_tsig and r.rcode() == dns.rcode.NOERROR


def raw_exchange(server, wire):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    try:
        s.sendto(wire, ("127.0.0.1", server.port))
        return s.recv(65535)
    finally:
        s.close()


def test_dnspython_badtime(server):
    """A query signed an hour ago: NOTAUTH with BADTIME (RFC 8945 5.2.3);
    the unit tests check its MAC and Other Data."""
    ring = keyring(KEY)
    q = dns.message.make_query("www.example.test", "A")
    q.use_tsig(ring, keyname=KEY[0], algorithm=KEY[1])
    # dnspython signs with time.time(): sign with a clock an hour behind.
    real_time = time.time
    try:
        time.time = lambda: real_time() - 3600
        qwire = q.to_wire()
    finally:
        time.time = real_time
    rwire = raw_exchange(server, qwire)
    assert rwire[3] & 0x0F == dns.rcode.NOTAUTH
    with pytest.raises(dns.tsig.PeerBadTime):
        dns.message.from_wire(rwire, keyring=ring, request_mac=q.mac)


def test_dnspython_wrong_key_algorithm_is_badkey(server):
    # other-key. exists only as hmac-sha1.
    ring = keyring((SHA1_KEY[0], "hmac-sha256", SHA1_KEY[2]))
    q = dns.message.make_query("www.example.test", "A")
    q.use_tsig(ring, keyname=SHA1_KEY[0], algorithm="hmac-sha256")
    qwire = q.to_wire()
    rwire = raw_exchange(server, qwire)
    assert rwire[3] & 0x0F == dns.rcode.NOTAUTH
    with pytest.raises(dns.tsig.PeerBadKey):
        dns.message.from_wire(rwire, keyring=ring, request_mac=q.mac)


def test_unsigned_query_still_unsigned(server):
    r = dns.query.udp(dns.message.make_query("www.example.test", "A"), "127.0.0.1",
                      port=server.port, timeout=3)
    assert r.rcode() == dns.rcode.NOERROR and not r.had_tsig

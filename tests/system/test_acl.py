"""allow-query ([server], per [[zone]] and per [server] listen table) and
the resolver's allow, from dig and kdig: an admitted client gets the answer,
any other REFUSED with Extended DNS Error 18 "Prohibited" (RFC 8914 4.19)
when it sent EDNS, none without (RFC 8914 3). Sources: 127.0.0.1 and
127.0.0.2 (dig -b), and a TSIG key (dig -y) that admits a query from
anywhere. Two listeners, one open and one restricted: a query must pass the
listener's list and the zone's, and the restricted one's list changes live
(an open TCP connection's next query meets it)."""
import os
import re
import socket
import subprocess

import dns.rcode
import pytest

from conftest import free_port, namae_bin, dig_stdout as dig, dig_status as status
from test_reconfigure import Server, tcp_query, tcp_read
from test_resolver import Resolverd
from test_server import Namaed


def tcp_ask(conn, name, qid):
    tcp_query(conn, name, qid)
    return tcp_read(conn)

KEY = "hmac-sha256:acl-key:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTAxMjM="
OTHER_ZONE = """$ORIGIN other.test.
$TTL 300
@     IN SOA ns1 hostmaster 1 7200 900 1209600 60
@     IN NS  ns1
ns1   IN A   127.0.0.1
www   IN A   198.51.100.7
"""


def server_with(extra):
    """namaed serving example.test under `extra` ([server] keys) and
    other.test (a zone admitting 127.0.0.2 only)."""
    s = Namaed.__new__(Namaed)
    base = Namaed.write_config

    def write_config(self, idle_ms, extra_server):
        base(self, idle_ms, extra_server)
        with open(os.path.join(self.dir, "other.test.zone"), "w") as f:
            f.write(OTHER_ZONE)
        with open(self.config, "a") as f:
            f.write('\n[[zone]]\nname = "other.test"\nfile = "other.test.zone"\nallow-query = ["127.0.0.2"]\n')
    s.write_config = write_config.__get__(s)
    Namaed.__init__(s, extra_server=extra)
    return s


@pytest.fixture
def server():
    s = server_with('allow-query = ["127.0.0.1/32", "key:acl-key"]\n'
                    f'\n[[key]]\ny = "{KEY}"\n')
    yield s
    s.stop()


def test_dig_admitted_and_prohibited(server):
    out = dig(server.port, "www.example.test", "A")
    assert status(out) == "NOERROR" and "192.0.2.1" in out, out
    assert "EDE" not in out, out
    out = dig(server.port, "-b", "127.0.0.2", "www.example.test", "A")
    assert status(out) == "REFUSED", out
    assert "EDE: 18 (Prohibited)" in out, out
    assert "192.0.2.1" not in out, out


def test_no_ede_without_edns(server):
    out = dig(server.port, "-b", "127.0.0.2", "+noedns", "www.example.test", "A")
    assert status(out) == "REFUSED", out
    assert "EDE" not in out and "OPT PSEUDOSECTION" not in out, out


def test_tcp_is_checked_too(server):
    out = dig(server.port, "-b", "127.0.0.2", "+tcp", "www.example.test", "A")
    assert status(out) == "REFUSED" and "EDE: 18" in out, out


def test_tsig_key_admits_from_anywhere(server):
    out = dig(server.port, "-b", "127.0.0.2", "-y", KEY, "www.example.test", "A")
    assert status(out) == "NOERROR" and "192.0.2.1" in out, out
    assert "TSIG" in out and "NOERROR" in out, out
    wrong = "hmac-sha256:acl-key:b3RoZXItb3RoZXItb3RoZXItb3RoZXItMDEyMzQ1Njc="
    out = dig(server.port, "-b", "127.0.0.2", "-y", wrong, "www.example.test", "A")
    assert status(out) == "NOTAUTH", out  # BADSIG, whatever the list says (RFC 8945 5.2)


def test_zone_list_replaces_the_servers(server):
    out = dig(server.port, "-b", "127.0.0.2", "www.other.test", "A")
    assert status(out) == "NOERROR" and "198.51.100.7" in out, out
    out = dig(server.port, "www.other.test", "A")
    assert status(out) == "REFUSED" and "EDE: 18 (Prohibited)" in out, out
    out = dig(server.port, "-y", KEY, "www.other.test", "A")  # the server's key is not on the zone's list
    assert status(out) == "REFUSED", out


def test_kdig(server):
    r = subprocess.run(["kdig", "@127.0.0.1", "-p", str(server.port), "-b", "127.0.0.2", "+edns",
                        "www.example.test", "A"], capture_output=True, text=True, timeout=15)
    assert "REFUSED" in r.stdout, r.stdout
    assert re.search(r"EDE: 18 \(Prohibited\)", r.stdout), r.stdout
    r = subprocess.run(["kdig", "@127.0.0.1", "-p", str(server.port), "+edns", "www.example.test", "A"],
                       capture_output=True, text=True, timeout=15)
    assert "NOERROR" in r.stdout and "192.0.2.1" in r.stdout, r.stdout


def test_namae_query_shows_ede(server):
    # other.test admits 127.0.0.2 only; namae query asks from 127.0.0.1.
    r = subprocess.run([namae_bin("namae"), "query", "-p", str(server.port), "@127.0.0.1",
                        "www.other.test", "A", "+time=2", "+tries=1"], capture_output=True, text=True, timeout=15)
    assert "REFUSED" in r.stdout and "EDE: 18 (Prohibited)" in r.stdout, r.stdout + r.stderr


def test_bad_entry_is_a_config_error(tmp_path):
    cfg = tmp_path / "namaed.toml"
    cfg.write_text('[server]\nlisten = ["127.0.0.1:5399"]\nallow-query = ["10.1.2.3/8"]\n')
    r = subprocess.run([namae_bin("namaed"), "--config", str(cfg), "--check"], capture_output=True, text=True,
                       timeout=15)
    assert r.returncode != 0
    assert re.search(r"namaed.toml:3: 'allow-query': ", r.stdout + r.stderr), r.stdout + r.stderr


@pytest.fixture
def resolver():
    r = Resolverd("", "", allow=["127.0.0.1/32"])
    yield r
    r.stop()


def test_resolver_allow_prohibited(resolver):
    # An RFC 6303 zone is answered locally: no upstream needed.
    out = dig(resolver.port, "1.0.168.192.in-addr.arpa", "PTR")
    assert status(out) == "NXDOMAIN", out
    out = dig(resolver.port, "-b", "127.0.0.2", "1.0.168.192.in-addr.arpa", "PTR")
    assert status(out) == "REFUSED" and "EDE: 18 (Prohibited)" in out, out
    out = dig(resolver.port, "-b", "127.0.0.2", "+noedns", "1.0.168.192.in-addr.arpa", "PTR")
    assert status(out) == "REFUSED" and "EDE" not in out, out
    r = subprocess.run(["kdig", "@127.0.0.1", "-p", str(resolver.port), "-b", "127.0.0.2", "+edns",
                        "1.0.168.192.in-addr.arpa", "PTR"], capture_output=True, text=True, timeout=15)
    assert "REFUSED" in r.stdout and "EDE: 18 (Prohibited)" in r.stdout, r.stdout


class TwoListeners(Server):
    """namaed on two ports: `port`, a plain address (open), and `restricted`,
    a listen table whose allow-query the test sets (None: a plain address).
    other.test admits 127.0.0.1 and 127.0.0.2 only."""

    def __init__(self, acl):
        self.acl, self.restricted, self.for_port = acl, None, None
        super().__init__(extra=f'\n[[key]]\ny = "{KEY}"\n',
                         tail='\n[[zone]]\nname = "other.test"\nfile = "other.test.zone"\n'
                              'allow-query = ["127.0.0.1", "127.0.0.2"]\n')

    def write_config(self, idle_ms, extra_server):
        if self.for_port != self.port:  # Namaed picked a (new) port: pick the second beside it
            self.restricted, self.for_port = free_port(), self.port
        with open(os.path.join(self.dir, "other.test.zone"), "w") as f:
            f.write(OTHER_ZONE)
        super().write_config(idle_ms, extra_server)
        second = f'"127.0.0.1:{self.restricted}"'
        if self.acl is not None:
            second = f'{{ address = {second}, allow-query = [{", ".join(map(repr, self.acl))}] }}'.replace("'", '"')
        text = re.sub(r"^listen = \[.*\]$", f'listen = ["127.0.0.1:{self.port}", {second}]',
                      open(self.config).read(), count=1, flags=re.M)
        with open(self.config, "w") as f:
            f.write(text)


@pytest.fixture
def listeners():
    s = TwoListeners(["127.0.0.2", "key:acl-key"])
    yield s
    s.stop()


def test_listener_list_restricts_only_its_listener(listeners):
    for source in ("127.0.0.1", "127.0.0.2"):
        out = dig(listeners.port, "-b", source, "www.example.test", "A")
        assert status(out) == "NOERROR" and "192.0.2.1" in out, out
    for transport in ("+notcp", "+tcp"):
        out = dig(listeners.restricted, "-b", "127.0.0.1", transport, "www.example.test", "A")
        assert status(out) == "REFUSED" and "EDE: 18 (Prohibited)" in out, out
        out = dig(listeners.restricted, "-b", "127.0.0.2", transport, "www.example.test", "A")
        assert status(out) == "NOERROR" and "192.0.2.1" in out, out
    out = dig(listeners.restricted, "-b", "127.0.0.1", "+noedns", "www.example.test", "A")
    assert status(out) == "REFUSED" and "EDE" not in out, out


def test_listener_key_entry_and_zone_list_both_apply(listeners):
    out = dig(listeners.restricted, "-b", "127.0.0.1", "-y", KEY, "www.example.test", "A")
    assert status(out) == "NOERROR" and "192.0.2.1" in out, out
    # other.test admits 127.0.0.1 and .2: through the restricted listener .2
    # passes both lists, .1 fails the listener's, .3 with the key passes the
    # listener's (by the key) and fails the zone's.
    out = dig(listeners.restricted, "-b", "127.0.0.2", "www.other.test", "A")
    assert status(out) == "NOERROR" and "198.51.100.7" in out, out
    out = dig(listeners.restricted, "-b", "127.0.0.1", "www.other.test", "A")
    assert status(out) == "REFUSED" and "EDE: 18" in out, out
    out = dig(listeners.restricted, "-b", "127.0.0.3", "-y", KEY, "www.other.test", "A")
    assert status(out) == "REFUSED" and "EDE: 18" in out, out
    out = dig(listeners.restricted, "-b", "127.0.0.3", "-y", KEY, "www.example.test", "A")
    assert status(out) == "NOERROR", out
    out = dig(listeners.port, "-b", "127.0.0.1", "www.other.test", "A")
    assert status(out) == "NOERROR", out


def test_listener_list_changes_live_without_rebinding(listeners):
    with socket.create_connection(("127.0.0.1", listeners.restricted), timeout=5) as conn:
        assert tcp_ask(conn, "www.example.test", 1).rcode() == dns.rcode.REFUSED
        listeners.acl = ["127.0.0.1"]
        listeners.rewrite()
        out = listeners.reconfigure()
        assert "server: a listen entry's allow-query changed" in out, out
        assert "added" not in out and "removed" not in out, out
        # The open connection's next query meets the new list.
        reply = tcp_ask(conn, "www.example.test", 2)
        assert reply.rcode() == dns.rcode.NOERROR and reply.answer, reply
    out = dig(listeners.restricted, "-b", "127.0.0.2", "www.example.test", "A")
    assert status(out) == "REFUSED" and "EDE: 18" in out, out
    listeners.acl = None  # the plain address: everyone
    listeners.rewrite()
    listeners.reconfigure("sighup")
    out = dig(listeners.restricted, "-b", "127.0.0.2", "www.example.test", "A")
    assert status(out) == "NOERROR", out


def test_listener_list_with_an_unknown_key_is_refused_whole(listeners):
    listeners.acl = ["key:nokey"]
    listeners.rewrite()
    rc, out = listeners.ctl("reconfigure")
    assert rc != 0 and re.search(r"namaed.toml:\d+: allow-query: no \[\[key\]\] named 'nokey.'", out), out
    out = dig(listeners.restricted, "-b", "127.0.0.1", "www.example.test", "A")
    assert status(out) == "REFUSED", out  # the running list stays

"""DNS cookies (RFC 7873) with RFC 9018 server cookies: dig and kdig as
clients, BADCOOKIE, FORMERR, a secret shared by two namaed, and BIND
accepting namaed's cookies (and namaed BIND's) when they share the secret."""
import re
import subprocess

import dns.edns
import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import namae_bin, start_named, dig_stdout as dig, dig_status as status
from test_server import Namaed

SECRET = "e5e973e5a6b2a43f48e7dc849e37bfcf"
OTHER_SECRET = "445536bcd2513298075a5d379663c962"


@pytest.fixture
def server():
    s = Namaed(extra_server=f'cookie-secret = "{SECRET}"')
    yield s
    s.stop()


def cookie_of(out):
    m = re.search(r"; COOKIE: ([0-9a-f]+)", out)
    assert m, out
    return m.group(1)


def query_with_cookie(port, cookie_hex, tcp=False, addr="127.0.0.1"):
    q = dns.message.make_query("www.example.test", "A", use_edns=0,
                               options=[dns.edns.GenericOption(dns.edns.COOKIE, bytes.fromhex(cookie_hex))])
    if tcp:
        return dns.query.tcp(q, addr, port=port, timeout=3)
    return dns.query.udp(q, addr, port=port, timeout=3)


def cookie_option(reply):
    return any(opt.otype == dns.edns.COOKIE for opt in reply.options)


def test_dig_learns_a_server_cookie_and_it_comes_back_valid(server):
    out = dig(server.port, "www.example.test", "+cookie")
    assert status(out) == "NOERROR"
    assert "(good)" in out, out  # our client cookie came back, with a server cookie
    full = cookie_of(out)
    assert len(full) == 48 and full[16:18] == "01", full  # client 8 + server 16 octets, version 1
    again = dig(server.port, "www.example.test", f"+cookie={full}")
    assert status(again) == "NOERROR"
    assert cookie_of(again) == full  # young and ours: returned as it came (RFC 9018 4.3)


def test_kdig_cookie(server):
    r = subprocess.run(["kdig", "@127.0.0.1", "-p", str(server.port), "www.example.test", "+cookie"],
                       capture_output=True, text=True, timeout=15)
    assert "NOERROR" in r.stdout, r.stdout
    m = re.search(r"COOKIE: ([0-9a-f]{16})([0-9a-f]{32})", r.stdout, re.I)
    assert m, r.stdout


def test_no_cookie_no_cookie_option(server):
    r = query_with_cookie(server.port, "0102030405060708")
    assert cookie_option(r)
    q = dns.message.make_query("www.example.test", "A", use_edns=0)
    r = dns.query.udp(q, "127.0.0.1", port=server.port, timeout=3)
    assert r.rcode() == dns.rcode.NOERROR and not r.options


def test_server_cookie_we_did_not_make_is_badcookie_over_udp_only(server):
    bogus = "0102030405060708" + "01000000" + "5cf79f11" + "1f8130c3eee29480"
    out = dig(server.port, "www.example.test", f"+cookie={bogus}", "+nobadcookie")
    assert status(out) == "BADCOOKIE", out
    fresh = cookie_of(out)
    assert fresh[:16] == "0102030405060708" and fresh[16:] != bogus[16:]
    # Retrying with the cookie the BADCOOKIE carried works (what dig does by default).
    assert status(dig(server.port, "www.example.test", f"+cookie={fresh}")) == "NOERROR"
    assert status(dig(server.port, "www.example.test", f"+cookie={bogus}")) == "NOERROR"  # dig retried
    # Over TCP the answer goes out, with a fresh cookie.
    r = query_with_cookie(server.port, bogus, tcp=True)
    assert r.rcode() == dns.rcode.NOERROR and r.answer


def test_malformed_cookie_is_formerr(server):
    for length in (7, 9, 15, 41):
        r = query_with_cookie(server.port, "ab" * length)
        assert r.rcode() == dns.rcode.FORMERR, length
    r = server.query()  # still answering
    assert r.rcode() == dns.rcode.NOERROR


def test_two_servers_with_one_secret_accept_each_others_cookies(server):
    twin = Namaed(extra_server=f'cookie-secret = "{SECRET}"')
    stranger = Namaed(extra_server=f'cookie-secret = "{OTHER_SECRET}"')
    try:
        full = cookie_of(dig(server.port, "www.example.test", "+cookie"))
        out = dig(twin.port, "www.example.test", f"+cookie={full}", "+nobadcookie")
        assert status(out) == "NOERROR" and cookie_of(out) == full
        out = dig(stranger.port, "www.example.test", f"+cookie={full}", "+nobadcookie")
        assert status(out) == "BADCOOKIE"
    finally:
        twin.stop()
        stranger.stop()


def test_cookies_off_ignores_the_option():
    s = Namaed(extra_server="cookies = false")
    try:
        r = query_with_cookie(s.port, "ab" * 7)  # malformed, but nobody looks
        assert r.rcode() == dns.rcode.NOERROR and not r.options
    finally:
        s.stop()


def test_bad_secret_is_a_config_error(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[server]\ncookie-secret = "abc"\n')
    r = subprocess.run([namae_bin("namaed"), "--config", str(cfg), "--check"],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 1
    assert "bad.toml:2: 'cookie-secret': a cookie secret is 32 hex digits" in r.stderr, r.stderr


def test_bind_and_namaed_sharing_a_secret_accept_each_others_cookies(server, tmp_path):
    named = start_named(str(tmp_path / "named"), zones={"example.test": open(server.zone_path).read()},
                        options=f'  cookie-algorithm siphash24;\n  cookie-secret "{SECRET}";\n'
                                "  require-server-cookie yes;\n  answer-cookie yes;")
    try:
        # BIND requires a valid server cookie: one namaed made passes.
        ours = cookie_of(dig(server.port, "www.example.test", "+cookie"))
        out = dig(named.port, "www.example.test", f"+cookie={ours}", "+nobadcookie")
        assert status(out) == "NOERROR", out
        # A cookie BIND made is accepted by namaed.
        theirs = cookie_of(dig(named.port, "www.example.test", "+cookie"))
        assert len(theirs) == 48 and theirs[16:18] == "01", theirs
        out = dig(server.port, "www.example.test", f"+cookie={theirs}", "+nobadcookie")
        assert status(out) == "NOERROR", out
        # And BIND refuses what a server with another secret made.
        bogus = theirs[:16] + "01000000" + theirs[24:32] + "00" * 8
        out = dig(named.port, "www.example.test", f"+cookie={bogus}", "+nobadcookie")
        assert status(out) == "BADCOOKIE", out
    finally:
        named.stop()

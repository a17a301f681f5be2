"""Primaries for namaed's secondary tests (test_xfr_in.py): BIND and Knot
serving one zone that nsupdate may change (so they keep a journal and answer
IXFR), with TSIG, and sending NOTIFY to namaed when it changes. Also a small
fake primary in Python whose AXFR can be told to break off midway."""
import os
import shutil
import socket
import socketserver
import struct
import threading

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from conftest import Peer, _launch, _write_zones, free_port


def start_bind_primary(workdir, zone, text, key, notify_port):
    """named as primary of `zone`: updates and transfers with `key` (name,
    alg, secret), NOTIFY signed with it to 127.0.0.1:`notify_port`."""
    if not shutil.which("named"):
        pytest.skip("named not installed")
    name, alg, secret = key
    port = free_port()
    os.makedirs(workdir, exist_ok=True)
    path = _write_zones(workdir, {zone: text})[zone]
    conf = [
        "options {",
        f'  directory "{workdir}";',
        f'  pid-file "{workdir}/named.pid";',
        f'  session-keyfile "{workdir}/session.key";',
        f'  managed-keys-directory "{workdir}";',
        f"  listen-on port {port} {{ 127.0.0.1; }};",
        "  listen-on-v6 { none; };",
        "  recursion no;",
        "  dnssec-validation no;",
        "  notify explicit;",
        "};",
        "controls { };",
        f'key "{name}" {{ algorithm {alg}; secret "{secret}"; }};',
        f'zone "{zone}" {{ type primary; file "{path}"; allow-update {{ key "{name}"; }};',
        f'  allow-transfer {{ key "{name}"; }};',
        f'  also-notify {{ 127.0.0.1 port {notify_port} key "{name}"; }}; }};',
    ]
    return _launch("named", "named.conf", conf, lambda c: ["named", "-g", "-c", c, "-n", "1"],
                   workdir, "127.0.0.1", port, {name: (alg, secret)}, {zone: text})


def start_knot_primary(workdir, zone, text, key, notify_port):
    """knotd as primary of `zone`, keeping changes in its journal for IXFR."""
    if not shutil.which("knotd"):
        pytest.skip("knotd not installed")
    name, alg, secret = key
    port = free_port()
    os.makedirs(workdir, exist_ok=True)
    path = _write_zones(workdir, {zone: text})[zone]
    os.makedirs(os.path.join(workdir, "db"), exist_ok=True)  # the journal lives here
    conf = [
        "server:", f"    listen: 127.0.0.1@{port}", f"    rundir: {workdir}",
        "database:", f"    storage: {workdir}/db",
        "log:", "  - target: stderr", "    any: info",
        "key:", f"  - id: {name}", f"    algorithm: {alg}", f"    secret: {secret}",
        "remote:", "  - id: namaed", f"    address: 127.0.0.1@{notify_port}", f"    key: {name}",
        "acl:", "  - id: keyed", f"    key: {name}", "    action: [transfer, update]",
        "zone:", f"  - domain: {zone}", f"    file: {path}", "    zonefile-sync: -1",
        "    journal-content: changes", "    notify: namaed", "    acl: keyed",
    ]
    return _launch("knotd", "knot.conf", conf, lambda c: ["knotd", "-c", c],
                   workdir, "127.0.0.1", port, {name: (alg, secret)}, {zone: text})


class FakePrimary:
    """Answers SOA over UDP and AXFR over TCP from `records` (a list of
    dnspython rrsets, SOA first). `cut` makes the AXFR stop after the first
    message and close the connection; `silent` stops all answers."""

    def __init__(self, zone, records):
        self.zone = zone
        self.records = records
        self.cut = False
        self.silent = False
        self.port = free_port()
        outer = self

        class Udp(socketserver.BaseRequestHandler):
            def handle(self):
                data, sock = self.request
                if outer.silent:
                    return
                q = dns.message.from_wire(data)
                r = dns.message.make_response(q)
                r.flags |= dns.flags.AA
                r.answer.append(outer.records[0])
                sock.sendto(r.to_wire(), self.client_address)

        class Tcp(socketserver.BaseRequestHandler):
            def handle(self):
                if outer.silent:
                    return
                n = struct.unpack(">H", self.request.recv(2))[0]
                q = dns.message.from_wire(self.request.recv(n))
                qtype = q.question[0].rdtype
                if qtype != dns.rdatatype.AXFR:
                    r = dns.message.make_response(q)
                    r.set_rcode(dns.rcode.NOTIMP)
                    self.send(r)
                    return
                recs = outer.records + [outer.records[0]]
                for i in range(0, len(recs), 2):
                    r = dns.message.make_response(q)
                    r.flags |= dns.flags.AA
                    if i:
                        r.question = []
                    r.answer = recs[i:i + 2]
                    self.send(r)
                    if outer.cut:
                        return  # half a zone, then the connection closes

            def send(self, r):
                w = r.to_wire()
                self.request.sendall(struct.pack(">H", len(w)) + w)

        socketserver.ThreadingUDPServer.allow_reuse_address = True
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.udp = socketserver.ThreadingUDPServer(("127.0.0.1", self.port), Udp)
        self.tcp = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Tcp)
        for s in (self.udp, self.tcp):
            threading.Thread(target=s.serve_forever, daemon=True).start()

    def stop(self):
        for s in (self.udp, self.tcp):
            s.shutdown()
            s.server_close()

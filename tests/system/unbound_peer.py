"""Unbound as the reference resolver of the system tests: one config shape
(loopback servers allowed, the test names not local data, no remote control,
one thread) and one start that returns only once Unbound answers.

Callers add what makes their Unbound theirs: root hints or stub zones, trust
anchors for a validating one, DoT, local data.
"""

import os
import shutil
import subprocess
import time

import dns.message
import dns.query
import pytest

from conftest import free_port


def unbound_conf(workdir, port, addr="127.0.0.1", threads=1, lines=(), stubs=None):
    """The config text: the shared server lines, then `lines` (server
    options, each without indentation), then a stub zone per entry of
    `stubs` ({zone: port on 127.0.0.1, or "ADDRESS@PORT"})."""
    server = [f"interface: {addr}@{port}", f"port: {port}", f"num-threads: {threads}", 'username: ""',
              'chroot: ""', f'directory: "{workdir}"', f'pidfile: "{workdir}/unbound.pid"', 'logfile: ""',
              "use-syslog: no", "verbosity: 1", "do-not-query-localhost: no", "access-control: 127.0.0.0/8 allow",
              'local-zone: "test." nodefault', "do-ip6: no"]
    text = "server:\n" + "".join(f"    {line}\n" for line in server + list(lines))
    for zone, p in (stubs or {}).items():
        where = p if isinstance(p, str) else f"127.0.0.1@{p}"
        text += f'stub-zone:\n    name: "{zone}"\n    stub-addr: {where}\n'
    return text + "remote-control:\n    control-enable: no\n"


def run_unbound(workdir, conf_text, port, probe, addr="127.0.0.1"):
    """Starts `unbound -d` with conf_text and waits (10 s at most) until it
    answers the probe question (name, type); its log is workdir/unbound.log."""
    if not shutil.which("unbound"):
        pytest.skip("unbound not installed")
    os.makedirs(workdir, exist_ok=True)
    conf = os.path.join(workdir, "unbound.conf")
    with open(conf, "w") as f:
        f.write(conf_text)
    log_path = os.path.join(workdir, "unbound.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(["unbound", "-d", "-c", conf], stdout=log, stderr=subprocess.STDOUT)
    q = dns.message.make_query(*probe)
    deadline = time.time() + 10
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("unbound exited: " + open(log_path).read())
        try:
            dns.query.udp(q, addr, port=port, timeout=1)
            return proc
        except Exception:
            time.sleep(0.1)
    proc.terminate()
    proc.wait(timeout=10)
    raise RuntimeError("unbound did not start: " + open(log_path).read())


def start_validating_unbound(workdir, probe, anchors=(), anchor_file=None, hints=None, stubs=None, lines=()):
    """A validating Unbound on a free port, trusting `anchors` (DS or DNSKEY
    record texts) or `anchor_file`, iterating from `hints` or asking `stubs`.
    Returns (process, port)."""
    port = free_port()
    conf = ['module-config: "validator iterator"', "val-log-level: 2", "trust-anchor-signaling: no",
            "root-key-sentinel: no"]
    conf += [f'trust-anchor: "{a}"' for a in anchors]
    if anchor_file:
        conf.append(f'trust-anchor-file: "{anchor_file}"')
    if hints:
        conf.append(f'root-hints: "{hints}"')
    text = unbound_conf(workdir, port, lines=conf + list(lines), stubs=stubs)
    return run_unbound(workdir, text, port, probe), port

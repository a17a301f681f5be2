"""`make run` (scripts/run.sh): namaed with its built-in configuration in a
state directory of its own. On the first run the script makes the self-signed
certificate of the resolver's DNS-over-TLS and DNS-over-HTTPS listeners (key
0600); kdig then gets the example zone's answer over TLS and over HTTPS,
verifying the certificate against it by name, and a second run keeps it.

The built-in configuration's ports are fixed (5300, 5301, 8053, 8853, 8443 on
loopback): the test fails at once, naming the port, if another process holds
one."""
import os
import signal
import socket
import stat
import subprocess
import time

from conftest import BIN_DIR, REPO

PORTS = (5300, 5301, 8053, 8853, 8443)


def port_taken(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return False
        except OSError:
            return True


def start(build):
    log = open(os.path.join(build, "run.log"), "w")  # this run's alone: "ready" below is its own
    proc = subprocess.Popen(["bash", os.path.join(REPO, "scripts", "run.sh"), build], stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(open(os.path.join(build, "run.log")).read())
        if "ready" in open(os.path.join(build, "run.log")).read().split("Ctrl-C stops the server.")[-1]:
            return proc
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("make run never got ready:\n" + open(os.path.join(build, "run.log")).read())


def stop(proc):
    proc.send_signal(signal.SIGTERM)  # run.sh execs namaed
    assert proc.wait(timeout=15) == 0


def kdig(*args):
    r = subprocess.run(["kdig", "@127.0.0.1", "+tls-hostname=localhost", "+time=5", "+retry=0", *args],
                       capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


def test_make_run_serves_dot_and_doh_with_its_own_certificate(tmp_path):
    taken = [p for p in PORTS if port_taken(p)]
    assert not taken, f"ports of the built-in configuration in use by another process: {taken}"
    build = str(tmp_path / "build")
    os.makedirs(build)
    os.symlink(BIN_DIR, os.path.join(build, "bin"))  # the state goes under this build dir, not the real one
    tls = os.path.join(build, "run-example", "tls")
    proc = start(build)
    try:
        key = os.stat(os.path.join(tls, "namaed.key"))
        assert stat.S_IMODE(key.st_mode) == 0o600, oct(key.st_mode)
        ca = "+tls-ca=" + os.path.join(tls, "namaed.crt")
        for transport in (["-p", "8853", "+tls"], ["-p", "8443", "+https"]):
            rc, out = kdig(*transport, ca, "www.example.net", "A")
            assert rc == 0 and "status: NOERROR" in out and "192.0.2.10" in out, out
        rc, out = kdig("-p", "8853", "+tls-ca=/etc/ssl/certs/ca-certificates.crt", "www.example.net")
        assert "status: NOERROR" not in out, out  # the certificate really is checked
    finally:
        stop(proc)
    first = open(os.path.join(tls, "namaed.crt")).read()
    proc = start(build)
    try:
        assert open(os.path.join(tls, "namaed.crt")).read() == first  # made once
        rc, out = kdig("-p", "8853", "+tls", "+tls-ca=" + os.path.join(tls, "namaed.crt"), "www.example.net")
        assert rc == 0 and "status: NOERROR" in out, out
    finally:
        stop(proc)

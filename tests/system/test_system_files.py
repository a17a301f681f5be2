"""The files around the programs: the systemd unit, the man pages and
`make install` (CMakeLists.txt's install() rules).

- build/systemd/namaed.service passes `systemd-analyze verify` (ExecStart
  pointed at the built binary, MANPATH at the built man pages so its
  Documentation= resolves) and `systemd-analyze security --offline=true`
  rates it "OK" or better (systemd 252: exposure below 5.0; MEDIUM from 5.0,
  EXPOSED from 7.5). The score is printed (pytest -s) and kept in
  build/systemd/security.txt.
- build/man/man{1,5,8}: roff from pandoc with a .TH header; namae(1) names
  every subcommand of `namae --help`; namaed.toml(5) has every key of
  docs/config.md's tables (it is made from that file).
- `cmake --install` with DESTDIR into a temporary directory gives the tree
  the README's "Install" section describes.
"""

import os
import re
import shutil
import signal
import socket
import time
import subprocess

import pytest

from conftest import BIN_DIR, REPO, namae_bin

BUILD = os.path.dirname(BIN_DIR)
UNIT = os.path.join(BUILD, "systemd", "namaed.service")
MAN = os.path.join(BUILD, "man")
PAGES = {"namae.1": "man1", "namaed.toml.5": "man5", "namaed.8": "man8"}


def need(tool):
    if not shutil.which(tool):
        pytest.skip(f"{tool} not installed")


@pytest.fixture
def unit(tmp_path):
    if not os.path.exists(UNIT):
        pytest.skip(f"{UNIT} not generated (cmake configure)")
    with open(UNIT) as f:
        text = f.read()
    text = re.sub(r"^ExecStart=\S+", f"ExecStart={namae_bin('namaed')}", text, flags=re.M)
    path = tmp_path / "namaed.service"
    path.write_text(text)
    return path


def test_unit_verifies(unit):
    need("systemd-analyze")
    env = dict(os.environ, MANPATH=MAN, SYSTEMD_LOG_LEVEL="notice")
    p = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True,
                       env=env, cwd=unit.parent, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "namaed.service" not in p.stderr, p.stderr  # no warning about the unit either


def test_unit_security_exposure_is_ok(unit):
    need("systemd-analyze")
    p = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", str(unit)],
                       capture_output=True, text=True, cwd=unit.parent, timeout=60)
    out = p.stdout + p.stderr
    m = re.search(r"Overall exposure level for namaed\.service: ([0-9.]+) (\w+)", out)
    assert m, out
    score, level = float(m.group(1)), m.group(2)
    with open(os.path.join(BUILD, "systemd", "security.txt"), "w") as f:
        f.write(out)
    print(f"systemd-analyze security: {score} {level}")
    assert level in ("OK", "SAFE", "PERFECT") and score < 5.0, out


def test_unit_settings():
    if not os.path.exists(UNIT):
        pytest.skip(f"{UNIT} not generated")
    with open(UNIT) as f:
        text = f.read()
    for line in ("Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "StateDirectory=namae",
                 "RuntimeDirectory=namae", "ConfigurationDirectory=namae",
                 "CapabilityBoundingSet=CAP_NET_BIND_SERVICE", "AmbientCapabilities=CAP_NET_BIND_SERVICE",
                 "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK", "UMask=0077"):
        assert f"\n{line}\n" in text, line
    execstart = re.search(r"^ExecStart=(\S+) (.*)$", text, re.M)
    assert execstart.group(1).endswith("/sbin/namaed"), execstart.group(1)
    assert "--foreground" in execstart.group(2)


def page(name):
    path = os.path.join(MAN, PAGES[name], name)
    if not os.path.exists(path):
        pytest.skip(f"{path} not built")
    with open(path) as f:
        return f.read()


@pytest.mark.parametrize("name", sorted(PAGES))
def test_man_page_is_roff_with_a_title(name):
    text = page(name)
    # pandoc's preamble (comments, font definitions) comes before the header.
    first = next(line for line in text.splitlines() if line.startswith(".") and not line.startswith('.\\"')
                 and not line.startswith((".ie", ".el", ". ftr", ".\\}")))
    title, section = name.rsplit(".", 1)
    assert first == f'.TH "{title.upper()}" "{section}" "" "namae 0.1.0" "namae manual"', first
    assert "\n.SH NAME\n" in text
    need("man")
    p = subprocess.run(["man", "-l", os.path.join(MAN, PAGES[name], name)], capture_output=True, text=True,
                       env=dict(os.environ, MANWIDTH="100", MAN_KEEP_STDERR="0"), timeout=30)
    assert p.returncode == 0 and "NAME" in p.stdout, p.stderr


def test_namae_page_names_every_subcommand():
    text = page("namae.1")
    p = subprocess.run([namae_bin("namae"), "--help"], capture_output=True, text=True, timeout=10)
    usage = p.stdout + p.stderr
    commands = re.findall(r"^  (\w+)\s{2,}", usage.split("commands:", 1)[1], re.M)
    assert len(commands) >= 8, usage
    for c in commands:
        assert f".SH NAMAE {c.upper()}\n" in text, c
        assert f"\\f[B]namae {c}" in text or f"\\f[B]namae\\f[R] \\f[B]{c}" in text or \
            f"\\f[B]namae {c}\\f[R]" in text, c


def test_config_page_is_docs_config_md():
    text = page("namaed.toml.5")
    with open(os.path.join(REPO, "docs", "config.md")) as f:
        doc = f.read()
    keys = re.findall(r"^\| `([a-z0-9-]+)` \|", doc, re.M)
    assert "user" in keys and "listen" in keys
    for key in keys:
        assert f"\\f[V]{key}\\f[R]" in text, key
    assert "../" not in text  # repository links are plain text


def test_unit_example_config_parses_and_writes_only_state_dirs():
    """examples/systemd/namaed.toml: valid, and every path namaed writes is
    under the unit's StateDirectory or RuntimeDirectory (the rest is read-only)."""
    conf = os.path.join(REPO, "examples", "systemd", "namaed.toml")
    p = subprocess.run([namae_bin("namaed"), "--config", conf, "--print-config"], capture_output=True, text=True,
                       timeout=10)
    assert p.returncode == 0, p.stderr
    for key in ("control", "journal", "file", "pid-file"):
        for value in re.findall(rf'^{key} = "(.+)"', p.stdout, re.M):
            assert value.startswith(("/var/lib/namae/", "/run/namae/")), (key, value)


def test_cmake_install_tree(tmp_path):
    need("cmake")
    cache = os.path.join(BUILD, "CMakeCache.txt")
    if not os.path.exists(cache):
        pytest.skip("no CMake build directory")
    with open(cache) as f:
        prefix = re.search(r"^CMAKE_INSTALL_PREFIX:PATH=(.*)$", f.read(), re.M).group(1)
    dest = tmp_path / "root"
    p = subprocess.run(["cmake", "--install", BUILD, "--prefix", prefix], capture_output=True, text=True,
                       env=dict(os.environ, DESTDIR=str(dest)), timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    root = str(dest) + prefix
    files = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)
    expected = ["bin/namae", "sbin/namaed", "share/man/man1/namae.1", "share/man/man5/namaed.toml.5",
                "share/man/man8/namaed.8", "lib/systemd/system/namaed.service", "lib/sysusers.d/namae.conf",
                "share/doc/namae/examples/namae.toml", "share/doc/namae/examples/systemd/namaed.toml",
                "share/doc/namae/examples/systemd/namae-ddns.service",
                "share/doc/namae/examples/zones/example.net.zone"]
    for e in expected:
        assert e in files, (e, files)
    assert not [f for f in files if f not in expected], files
    assert os.access(os.path.join(root, "sbin/namaed"), os.X_OK)
    with open(os.path.join(root, "lib/systemd/system/namaed.service")) as f:
        assert f"ExecStart={prefix}/sbin/namaed --config /etc/namae/namaed.toml --foreground" in f.read()
    v = subprocess.run([os.path.join(root, "sbin/namaed"), "--version"], capture_output=True, text=True)
    assert v.returncode == 0 and v.stdout.startswith("namaed ")


def syscall_groups():
    """systemd-analyze syscall-filter: group name -> its members (calls and @groups)."""
    p = subprocess.run(["systemd-analyze", "syscall-filter", "--no-pager"], capture_output=True, text=True,
                       timeout=30)
    groups, current = {}, None
    for line in p.stdout.splitlines():
        if line.startswith("@"):
            current = groups.setdefault(line.strip(), set())
        elif current is not None and line.strip() and not line.strip().startswith("#"):
            current.add(line.strip())
    return groups


def expand(names, groups):
    out = set()
    for n in names:
        out |= expand(groups.get(n, ()), groups) if n.startswith("@") else {n}
    return out


def unit_filter(text, groups):
    """The calls the unit's SystemCallFilter= lines allow (@default always is)."""
    allowed = expand(["@default"], groups)
    for line in re.findall(r"^SystemCallFilter=(.*)$", text, re.M):
        if line.startswith("~"):
            allowed -= expand(line[1:].split(), groups)
        else:
            allowed |= expand(line.split(), groups)
    return allowed


def test_namaed_needs_no_call_the_unit_filters(tmp_path):
    """Runs namaed as the unit does (an unprivileged user with ambient
    CAP_NET_BIND_SERVICE) under strace through start, queries over UDP and
    TCP, a signed update, SIGHUP, `namae ctl status`, /metrics and SIGTERM:
    every system call it makes must pass the unit's SystemCallFilter=."""
    need("systemd-analyze"), need("strace"), need("setpriv")
    if os.geteuid() != 0:
        pytest.skip("needs root to start namaed as another user")
    from test_privileges import State, nsupdate, ZONE
    with open(UNIT) as f:
        allowed = unit_filter(f.read(), syscall_groups())
    assert "recvmmsg" in allowed and "setresuid" not in allowed
    s = State()
    trace = os.path.join(s.dir, "strace.txt")
    try:
        with open(s.config) as f:
            text = f.read().replace('user = "nobody"\ngroup = "nogroup"\n', "")
        with open(s.config, "w") as f:
            f.write(text)
        cmd = ["strace", "-f", "-qq", "-o", trace, "setpriv", "--reuid=nobody", "--regid=nogroup",
               "--clear-groups", "--inh-caps=+net_bind_service", "--ambient-caps=+net_bind_service",
               namae_bin("namaed"), "--config", s.config, "--foreground"]
        with open(os.path.join(s.dir, "namaed.1.log"), "w") as log:
            s.starts = 1
            s.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while "ready" not in s.log() and time.time() < deadline:
            assert s.proc.poll() is None, s.log()
            time.sleep(0.1)
        assert s.query(ZONE, "SOA").answer and s.query(ZONE, "SOA", tcp=True).answer
        assert nsupdate(s, "update add t.priv.test. 60 A 192.0.2.1").returncode == 0, s.log()
        ctl = subprocess.run([namae_bin("namae"), "ctl", "-s", os.path.join(s.dir, "run", "ctl.sock"), "status"],
                             capture_output=True, text=True, timeout=10)
        assert ctl.returncode == 0, ctl.stderr
        with socket.create_connection(("127.0.0.1", s.http_port), timeout=5) as c:
            c.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
            assert c.recv(100).startswith(b"HTTP/1.")
        namaed_pid = None
        with open(trace) as f:
            for line in f:
                if re.search(r'execve\("[^"]*/namaed"', line):
                    namaed_pid = line.split()[0]
        os.kill(int(namaed_pid), signal.SIGHUP)
        time.sleep(0.5)
        os.kill(int(namaed_pid), signal.SIGTERM)
        s.proc.wait(timeout=30)
    finally:
        s.kill()
    calls, started = set(), False
    with open(trace) as f:
        for line in f:
            if not started:
                started = re.search(r'execve\("[^"]*/namaed"', line) is not None
                continue
            m = re.match(r"^\d+\s+(?:<\.\.\. )?(\w+)[( ]", line)
            if m and not line.split(None, 1)[1].startswith(("+++", "---")):
                calls.add(m.group(1))
    shutil.rmtree(s.dir, ignore_errors=True)
    assert started and "bind" in calls and "recvmmsg" in calls, sorted(calls)
    denied = sorted(calls - allowed)
    print(f"namaed made {len(calls)} kinds of system call; outside the unit's filter: {denied}")
    assert not denied, denied


def test_namaed_page_names_every_option():
    text = page("namaed.8").replace("\\-", "-")
    p = subprocess.run([namae_bin("namaed"), "--help"], capture_output=True, text=True, timeout=10)
    options = set(re.findall(r"(--[a-z-]+)", p.stdout))
    assert {"--config", "--foreground", "--check", "--print-config", "--version"} <= options, p.stdout
    for o in options:
        assert f"\\f[B]{o}" in text, o


def test_namae_page_names_every_long_option():
    """Every --option in each `namae CMD --help` is in namae(1): the page
    cannot fall behind an option added to a subcommand."""
    text = page("namae.1").replace("\\-", "-")
    usage = subprocess.run([namae_bin("namae"), "--help"], capture_output=True, text=True, timeout=10)
    commands = re.findall(r"^  (\w+)\s{2,}", (usage.stdout + usage.stderr).split("commands:", 1)[1], re.M)
    missing = []
    for c in commands:
        p = subprocess.run([namae_bin("namae"), c, "--help"], capture_output=True, text=True, timeout=10)
        for o in set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", p.stdout + p.stderr)):
            if o != "--help" and o not in text:
                missing.append(f"namae {c} {o}")
    assert not missing, missing

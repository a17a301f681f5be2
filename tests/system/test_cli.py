"""The `namae` command line: every subcommand has --help (exit 0, its usage on
stdout) and reports a bad command line the same way: "namae SUBCOMMAND: what is
wrong" on stderr and exit status 2 (1 stays for operations that failed)."""
import subprocess

import pytest

from conftest import namae_bin

# Subcommand words, then a command line that is wrong for it.
SUBCOMMANDS = {
    "query": (["query"], ["+bogus"]),
    "update": (["update"], ["--bogus"]),
    "key": (["key"], ["frobnicate"]),
    "key generate": (["key", "generate"], ["--format", "xml", "name"]),
    "zone": (["zone"], ["frobnicate"]),
    "zone check": (["zone", "check"], ["--bogus", "x.zone"]),
    "ctl": (["ctl"], ["--bogus", "status"]),
    "passwd": (["passwd"], ["--bogus"]),
    "ddns": (["ddns"], ["--bogus", "host.example.test"]),
    "mdns": (["mdns"], ["frobnicate"]),
    "mdns resolve": (["mdns", "resolve"], ["--bogus", "host.local"]),
    "mdns browse": (["mdns", "browse"], ["--timeout", "soon", "_http._tcp"]),
    "mdns register": (["mdns", "register"], ["--bogus"]),
    "mdns services": (["mdns", "services"], ["--bogus"]),
}


def run(*args):
    return subprocess.run([namae_bin(), *args], capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_help_exits_0_with_usage_on_stdout(name):
    words, _ = SUBCOMMANDS[name]
    for flag in ("--help", "-h"):
        r = run(*words, flag)
        assert r.returncode == 0, (flag, r.stderr)
        assert r.stdout.startswith(f"usage: namae {words[0]}"), r.stdout
        assert r.stderr == ""


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_usage_error_exits_2_naming_the_subcommand(name):
    words, bad = SUBCOMMANDS[name]
    r = run(*words, *bad)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    prefix = "namae " + (name if not name.startswith("mdns ") else "mdns")
    assert r.stderr.startswith(prefix), r.stderr
    assert f"(see namae {words[0]}" in r.stderr, r.stderr
    assert r.stdout == ""


@pytest.mark.parametrize("words", [["query", "-p"], ["update", "-p"], ["ddns", "--ttl"],
                                   ["ctl", "-s"], ["passwd", "--hostname"], ["mdns", "browse", "-i"],
                                   ["key", "generate", "--algorithm"], ["zone", "check", "--origin"]])
def test_option_without_its_value_exits_2(words):
    r = run(*words)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "namae " in r.stderr and "(see namae" in r.stderr, r.stderr


@pytest.mark.parametrize("words", [["key"], ["zone"], ["ctl"], ["mdns"], ["ddns"], ["passwd"],
                                   ["key", "generate"], ["zone", "check"]])
def test_missing_arguments_exit_2(words):
    r = run(*words)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stderr.startswith("namae " + words[0]), r.stderr


def test_top_level_lists_every_subcommand():
    r = run("--help")
    assert r.returncode == 0
    for name in ("query", "zone", "ctl", "update", "key", "passwd", "ddns", "mdns"):
        assert f"  {name} " in r.stderr, r.stderr
    r = run()
    assert r.returncode == 2
    r = run("frobnicate")
    assert r.returncode == 2 and "namae: unknown command 'frobnicate'" in r.stderr

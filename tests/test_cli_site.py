"""Site commands: `migrate`, and the one clear line a broken database URL gives every command."""
from __future__ import annotations

import subprocess

import pytest
from conftest import PYTHON, ROOT


def run(env, *args):
    return subprocess.run([PYTHON, str(ROOT / "run.py"), *args], env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.slow
def test_migrate_creates_then_reports_up_to_date(run_env):
    first = run(run_env, "migrate")
    assert first.returncode == 0 and "schema upgraded: ran 1, 2, 3, 4" in first.stdout
    again = run(run_env, "migrate")
    assert again.returncode == 0 and "up to date" in again.stdout


@pytest.mark.slow
def test_unreachable_database_is_one_line_and_exit_1(run_env):
    for command in (["migrate"], ["tasks", "list"], ["check"], ["cron"]):
        result = run(run_env, "--db", "postgresql://u:secret@127.0.0.1:1/db", *command)
        assert result.returncode == 1, (command, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("cms: error: cannot connect to"), result.stderr
        assert "secret" not in result.stderr


@pytest.mark.slow
def test_a_reader_that_goes_away_is_no_traceback(run_env, site):
    """`tasks list | head -1`: the pipe closes before the command has written. It ends
    quietly with 141 (128 + SIGPIPE), as `cat` or `grep` would."""
    site.modules.get("Tasker")
    reader = subprocess.Popen([PYTHON, str(ROOT / "run.py"), "user", "list"], env=run_env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    reader.stdout.close()                          # as `head` does once it has its lines
    stderr = reader.stderr.read().decode()
    assert reader.wait(timeout=120) == 141
    assert stderr == "", stderr


@pytest.mark.slow
def test_a_site_directory_that_is_a_file_is_named_so(run_env, tmp_path):
    file = tmp_path / "not-a-folder"
    file.write_text("")
    result = run(run_env, "--site", str(file), "tasks", "list")
    assert result.returncode == 1
    assert result.stderr.strip().endswith("is a file, not a directory"), result.stderr


@pytest.mark.slow
def test_unknown_command_is_usage_error(run_env):
    assert run(run_env, "frobnicate").returncode == 2


@pytest.mark.slow
def test_the_demo_refuses_a_taken_port_before_making_its_admin(run_env, site):
    import socket
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(run_env, "demo", "--port", str(port), "--no-worker")
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "nothing was changed" in result.stderr
    assert "python run.py demo --port N" in result.stderr        # a command that works
    assert not site.users.get("admin")       # no password was made and lost


@pytest.mark.slow
def test_the_demo_refuses_a_site_of_the_user_s_own(run_env, site):
    """`python run.py` in the folder of a site with pages of its own (its site.db found there)
    added the demo's pages, its module and tasks, and a new superuser "admin" to that site."""
    site.templates.add("article", fields=["title"])
    site.pages.add("article", 1, "news", title="News")
    result = run(run_env, "demo", "--port", "0", "--no-worker")
    assert result.returncode == 1, result.stderr
    assert "has pages of its own" in result.stderr and "python run.py serve" in result.stderr
    assert "nothing was changed" in result.stderr
    assert not site.users.get("admin") and not site.pages.get("/about/")
    assert not site.modules.is_installed("Dictionary")


def test_every_command_and_action_prints_its_help():
    """`--help` of every command and action formats (a stray `%` in a help text made argparse
    raise a traceback for `tasks --help`)."""
    import argparse

    from cms.cli import build_parser

    def walk(parser: argparse.ArgumentParser, prog: str) -> list[str]:
        seen = [prog]
        assert parser.format_help(), prog
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    seen += walk(child, f"{prog} {name}")
        return seen

    progs = walk(build_parser(), "cms")
    assert "cms tasks reset" in progs and "cms user add" in progs and len(progs) > 20

"""`retail-sync` answers --help and --version, and refuses bad input with one line and exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from retail_sync import __version__
from retail_sync.cli import main


def _run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "retail_sync.cli", *arguments], capture_output=True, text=True
    )


def test_version() -> None:
    completed = _run("--version")
    assert completed.returncode == 0
    assert completed.stdout.strip() == f"retail-sync {__version__}"


def test_help_lists_the_commands() -> None:
    completed = _run("--help")
    assert completed.returncode == 0
    for command in ("demo", "dev", "journals", "sandbox"):
        assert command in completed.stdout


@pytest.mark.parametrize(
    "arguments",
    [
        ("frobnicate",),
        ("--no-such-option",),
        ("demo", "--days", "zero"),
        ("demo", "--days", "-3"),
        ("journals", "reject", "0123abcd"),  # a rejection needs --reason
        ("journals", "waive", "exc_1", "--reason", "x"),  # and a waiver its --shop
    ],
)
def test_bad_input_is_one_line_and_exit_2(arguments: tuple[str, ...]) -> None:
    completed = _run(*arguments)
    assert completed.returncode == 2
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith("retail-sync")
    assert "error:" in lines[0]
    assert "Traceback" not in completed.stderr


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: retail-sync" in capsys.readouterr().out


def _commands_with_bad_input(file: Path, missing: Path) -> dict[str, list[str]]:
    """Every command, each given input it must refuse: a home that is a file, a world that is
    not there, an output folder that is a file."""
    home = ["--home", str(file)]
    return {
        "demo": ["demo", *home],
        "dev": ["dev", *home],
        "ingest": ["ingest", *home, "--start", "2026-11-01", "--end", "2026-11-01"],
        "journals list": ["journals", *home, "list"],
        "journals approve": ["journals", *home, "approve", "0123abcd"],
        "runs recover": ["runs", *home, "recover"],
        "runs free": ["runs", *home, "free", "0123abcd"],
        "sandbox generate": [
            "sandbox", "generate", "--out", str(file), "--seed", "1",
            "--start", "2026-11-01", "--days", "1",
        ],
        "sandbox serve": ["sandbox", "serve", "--world", str(missing)],
    }  # fmt: skip


def test_every_command_refuses_bad_input_in_one_line_without_a_traceback(tmp_path: Path) -> None:
    file = tmp_path / "a-file"
    file.write_text("not a folder")
    commands = _commands_with_bad_input(file, tmp_path / "no-such-world")
    subcommands = {name.split()[0] for name in commands}
    # A new command joins here.
    assert subcommands == {"demo", "dev", "ingest", "journals", "runs", "sandbox"}
    for name, arguments in commands.items():
        completed = _run(*arguments)
        assert completed.returncode in (1, 2), (name, completed.returncode, completed.stderr)
        lines = completed.stderr.strip().splitlines()
        assert len(lines) == 1, (name, completed.stderr)
        assert lines[0].startswith("retail-sync"), (name, lines)
        assert "Traceback" not in completed.stderr, name


def test_dev_warns_that_dg_dev_replaces_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started: list[list[str]] = []
    monkeypatch.setattr("os.execv", lambda _path, argv: started.append(list(argv)))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("RETAIL_SYNC_HOME", str(tmp_path / "home"))
    main(["dev", "--home", str(tmp_path / "home"), "--port", "3999"])  # execv never returns
    warning = capsys.readouterr().err
    assert "deprecated" in warning and "dg dev" in warning
    assert f"DAGSTER_HOME={tmp_path / 'home' / 'dagster_home'}" in warning
    (argv,) = started
    assert argv[1:4] == ["-m", "dagster", "dev"] and "3999" in argv

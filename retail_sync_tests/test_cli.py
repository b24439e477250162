"""`retail-sync` answers --help and --version, and refuses bad input with one line and exit 2."""

from __future__ import annotations

import subprocess
import sys

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
    for command in ("demo", "dev", "sandbox"):
        assert command in completed.stdout


@pytest.mark.parametrize(
    "arguments",
    [("frobnicate",), ("--no-such-option",), ("demo", "--days", "zero"), ("demo", "--days", "-3")],
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

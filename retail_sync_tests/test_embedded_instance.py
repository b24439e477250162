"""The embedded instance is created once even when commands start together on a fresh home
(before, one of them could die with "table secondary_indexes already exists")."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

HOMES = 8
CHILDREN = 3
# Each child prepares the same fresh homes as its siblings, each at the same agreed moment.
CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import dagster as dg
    from retail_sync.cli import prepare_embedded_instance
    from retail_sync.settings import Paths

    base, start_at, homes = Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    for number in range(homes):
        time.sleep(max(0.0, start_at + 0.5 * number - time.time()))
        prepare_embedded_instance(Paths(base / f"home-{number}"))
        with dg.DagsterInstance.get() as instance:
            assert instance.get_runs() == []
    print("ok")
    """
)


@pytest.mark.slow
def test_commands_starting_together_on_a_fresh_home_all_start(tmp_path: Path) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    start_at = time.time() + 8.0  # after every child has imported dagster
    children = [
        subprocess.Popen(
            [sys.executable, str(script), str(tmp_path), str(start_at), str(HOMES)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(CHILDREN)
    ]
    for child in children:
        out, err = child.communicate(timeout=180)
        assert child.returncode == 0, err[-2000:]
        assert out.strip() == "ok"


def _drop_table(dagster_home: Path, table: str) -> None:
    import sqlite3

    for database in dagster_home.rglob("*.db"):
        with sqlite3.connect(database) as connection:
            tables = {row[0] for row in connection.execute("select name from sqlite_master")}
            if table in tables:
                connection.execute(f"drop table {table}")
                return
    raise AssertionError(f"no table {table}")


def test_an_interrupted_creation_is_created_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command killed while creating the storage left it without a table (seen with SIGKILL
    4.8 s into a first ingest); the next command sets it aside and starts clean."""
    import dagster as dg

    from retail_sync.cli import INSTANCE_READY_MARKER, prepare_embedded_instance
    from retail_sync.settings import Paths

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))  # restored after the test
    paths = Paths(tmp_path / "home")
    prepare_embedded_instance(paths)
    (paths.dagster_home / INSTANCE_READY_MARKER).unlink()
    _drop_table(paths.dagster_home, "dynamic_partitions")

    prepare_embedded_instance(paths)
    with dg.DagsterInstance.get() as instance:
        assert instance.get_dynamic_partitions("shop") == []
    assert list(paths.dagster_home.glob(".interrupted-*/*"))


def test_a_complete_home_from_before_the_marker_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dagster as dg

    from retail_sync.cli import INSTANCE_READY_MARKER, prepare_embedded_instance
    from retail_sync.settings import Paths

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    paths = Paths(tmp_path / "home")
    prepare_embedded_instance(paths)
    with dg.DagsterInstance.get() as instance:
        instance.add_dynamic_partitions("shop", ["north-outfitters"])
    (paths.dagster_home / INSTANCE_READY_MARKER).unlink()

    prepare_embedded_instance(paths)
    with dg.DagsterInstance.get() as instance:
        assert instance.get_dynamic_partitions("shop") == ["north-outfitters"]
    assert not list(paths.dagster_home.glob(".interrupted-*"))

"""No lake path escapes the lake root, and concurrent writers of one partition never remove each
other's temporary files: each writer's file names its host, pid namespace and pid, and a leftover is
removed only when its writer is provably gone (pid not running here) or it is a day old.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from retail_sync.warehouse import lake as lake_module
from retail_sync.warehouse.lake import (
    IN_PROGRESS_SUFFIX,
    PARTITION_FILE,
    Lake,
    write_partition,
    write_table_partition,
)

SCHEMA = pa.schema([("order_id", pa.int64()), ("amount", pa.decimal128(18, 2))])
DATE = "2026-10-01"


def table(*order_ids: int) -> pa.Table:
    return pa.table(
        {"order_id": list(order_ids), "amount": [Decimal("1.00")] * len(order_ids)}, schema=SCHEMA
    )


def temporaries(directory: Path) -> list[Path]:
    return sorted(directory.glob(f".{PARTITION_FILE}.*{IN_PROGRESS_SUFFIX}"))


def files_under(root: Path) -> set[Path]:
    return {path for path in root.rglob("*") if path.is_file()}


@pytest.mark.parametrize(
    "shop",
    [
        "../../etc",
        "../../../../../../../../../../tmp/escaped",
        "..",
        "north/../../x",
        "North",
        "",
        "a\x00b",
    ],
)
def test_a_shop_segment_that_is_not_a_shop_id_is_refused(tmp_path: Path, shop: str) -> None:
    lake = Lake(tmp_path / "lake")
    with pytest.raises(lake_module.LakePathError, match="shop"):
        lake.partition_dir("raw", "shopify", "orders", shop=shop, date=DATE)


@pytest.mark.parametrize("day", ["2026-13-01", "2026-02-30", "../../x", "2026-10-01/..", "today"])
def test_a_date_segment_that_is_not_a_date_is_refused(tmp_path: Path, day: str) -> None:
    with pytest.raises(lake_module.LakePathError, match="date"):
        Lake(tmp_path).partition_dir("raw", "shopify", "orders", shop="north", date=day)


@pytest.mark.parametrize(
    ("zone", "source", "entity"),
    [("..", "shopify", "orders"), ("raw", "../..", "orders"), ("raw", "shopify", "a/b")],
)
def test_zone_source_and_entity_are_plain_names(
    tmp_path: Path, zone: str, source: str, entity: str
) -> None:
    with pytest.raises(lake_module.LakePathError):
        Lake(tmp_path).partition_dir(zone, source, entity)


def test_a_path_through_a_link_out_of_the_lake_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    lake = Lake(tmp_path / "lake")
    lake.root.mkdir()
    (lake.root / "raw").symlink_to(outside, target_is_directory=True)
    with pytest.raises(lake_module.LakePathError, match="outside the lake"):
        lake.partition_dir("raw", "shopify", "orders", shop="north", date=DATE)


def test_a_lake_root_that_is_itself_a_link_works(tmp_path: Path) -> None:
    (tmp_path / "disk").mkdir()
    (tmp_path / "lake").symlink_to(tmp_path / "disk", target_is_directory=True)
    directory = Lake(tmp_path / "lake").partition_dir(
        "raw", "shopify", "orders", shop="n", date=DATE
    )
    assert write_table_partition(directory, table(1)) == 1
    assert (tmp_path / "disk" / "raw" / "shopify" / "orders" / "shop=n" / f"date={DATE}").is_dir()


@pytest.mark.parametrize(
    "relative",
    ["shop=north/date=2026-10-01/../../../../escaped", "shop=../date=2026-10-01", "date=20261001"],
)
def test_write_partition_refuses_a_directory_that_climbs_or_is_malformed(
    tmp_path: Path, relative: str
) -> None:
    lake_root = tmp_path / "home" / "lake" / "raw" / "shopify" / "orders"
    before = files_under(tmp_path)
    with pytest.raises(lake_module.LakePathError):
        write_table_partition(lake_root / relative, table(1))
    assert files_under(tmp_path) == before


def slow_batches(started: threading.Event, release: threading.Event) -> Iterator[pa.Table]:
    yield table(1, 2)
    started.set()
    assert release.wait(timeout=30)
    yield table(3)


def test_two_threads_writing_one_partition_both_succeed(tmp_path: Path) -> None:
    directory = Lake(tmp_path).partition_dir("raw", "shopify", "orders", shop="north", date=DATE)
    started, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def first_writer() -> None:
        try:
            outcome["rows"] = write_partition(directory, SCHEMA, slow_batches(started, release))
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=first_writer)
    thread.start()
    assert started.wait(timeout=30)
    mine = temporaries(directory)
    assert len(mine) == 1
    # A second writer of the same partition (a retry, an overlapping run) writes meanwhile...
    assert write_table_partition(directory, table(9)) == 1
    assert temporaries(directory) == mine  # ...and leaves the first writer's file alone
    release.set()
    thread.join(timeout=30)
    assert outcome == {"rows": 3}
    assert temporaries(directory) == []
    rows = duckdb.sql(f"select order_id from '{directory / PARTITION_FILE}' order by 1").fetchall()
    assert rows == [(1,), (2,), (3,)]  # the last rename wins, whole


CHILD_WRITER = """
import sys, time
from pathlib import Path
import pyarrow as pa
from retail_sync.warehouse.lake import write_partition
directory, flag = Path(sys.argv[1]), Path(sys.argv[2])
schema = pa.schema([("order_id", pa.int64())])
def batches():
    yield pa.table({"order_id": [1]}, schema=schema)
    deadline = time.monotonic() + 60
    while not flag.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    yield pa.table({"order_id": [2]}, schema=schema)
print(write_partition(directory, schema, batches()))
"""


def test_another_processes_temporary_file_survives_a_write(tmp_path: Path) -> None:
    directory = Lake(tmp_path).partition_dir("raw", "shopify", "orders", shop="north", date=DATE)
    directory.mkdir(parents=True)
    flag = tmp_path / "go"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD_WRITER, str(directory), str(flag)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        deadline = time.monotonic() + 60
        while not temporaries(directory) and time.monotonic() < deadline:
            time.sleep(0.02)
        theirs = temporaries(directory)
        assert len(theirs) == 1 and f".{child.pid}." in theirs[0].name
        write_partition(directory, pa.schema([("order_id", pa.int64())]), [])
        assert temporaries(directory) == theirs
    finally:
        flag.touch()
        out, _ = child.communicate(timeout=60)
    assert child.returncode == 0
    assert out.strip() == "2"
    assert temporaries(directory) == []


def dead_pid() -> int:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    return finished.pid


def leftover_of(directory: Path, pid: int) -> Path:
    name = lake_module.temporary_name()
    host, namespace, _, token = name.removeprefix(f".{PARTITION_FILE}.").split(".")[:4]
    path = directory / f".{PARTITION_FILE}.{host}.{namespace}.{pid}.{token}{IN_PROGRESS_SUFFIX}"
    path.write_bytes(b"half a parquet file")
    return path


def test_a_dead_writers_leftover_is_removed_and_a_live_ones_is_kept(tmp_path: Path) -> None:
    directory = tmp_path / "partition"
    directory.mkdir()
    gone = dead_pid()
    dead = leftover_of(directory, gone)
    alive = leftover_of(directory, os.getpid())
    elsewhere = directory / f".{PARTITION_FILE}.otherhost.1.{gone}.{'0' * 32}{IN_PROGRESS_SUFFIX}"
    elsewhere.write_bytes(b"?")
    older_version = directory / f".{PARTITION_FILE}.{'0' * 32}{IN_PROGRESS_SUFFIX}"
    older_version.write_bytes(b"?")
    write_table_partition(directory, table(1))
    assert not dead.exists()
    assert alive.exists()  # this process could be writing it (another thread)
    assert elsewhere.exists()  # another host's process ids say nothing here: only age decides
    assert older_version.exists()  # a name without its writer: only age decides


def test_a_day_old_leftover_is_removed_whoever_wrote_it(tmp_path: Path) -> None:
    directory = tmp_path / "partition"
    directory.mkdir()
    reused = leftover_of(directory, os.getpid())  # a pid reused since its writer died
    elsewhere = directory / f".{PARTITION_FILE}.otherhost.1.2.{'0' * 32}{IN_PROGRESS_SUFFIX}"
    elsewhere.write_bytes(b"?")
    two_days_ago = time.time() - 2 * 24 * 60 * 60
    for path in (reused, elsewhere):
        os.utime(path, (two_days_ago, two_days_ago))
    write_table_partition(directory, table(1))
    assert temporaries(directory) == []

"""Lake partition writes: atomic replacement, byte-identical re-runs, crash leaves the old file."""

from __future__ import annotations

import os
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from retail_sync.warehouse.lake import PARTITION_FILE, Lake, write_partition, write_table_partition

SCHEMA = pa.schema([("order_id", pa.int64()), ("amount", pa.decimal128(18, 2))])


def _table(*rows: tuple[int, str]) -> pa.Table:
    return pa.table(
        {
            "order_id": [row[0] for row in rows],
            "amount": [Decimal(row[1]) for row in rows],
        },
        schema=SCHEMA,
    )


def test_partition_paths_follow_the_lake_layout(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    directory = lake.partition_dir("raw", "shopify", "orders", shop="north", date="2026-10-01")
    assert directory == tmp_path / "raw" / "shopify" / "orders" / "shop=north" / "date=2026-10-01"


def test_rewrite_replaces_the_partition_and_is_byte_identical(tmp_path: Path) -> None:
    directory = Lake(tmp_path).partition_dir(
        "raw", "shopify", "orders", shop="s", date="2026-10-01"
    )
    assert write_table_partition(directory, _table((1, "10.00"), (2, "0.10"))) == 2
    first = (directory / PARTITION_FILE).read_bytes()
    write_table_partition(directory, _table((1, "10.00"), (2, "0.10")))
    assert (directory / PARTITION_FILE).read_bytes() == first
    assert sorted(path.name for path in directory.iterdir()) == [PARTITION_FILE]

    write_table_partition(directory, _table((3, "7.25")))
    rows = duckdb.sql(f"select order_id, amount from '{directory / PARTITION_FILE}'").fetchall()
    assert rows == [(3, Decimal("7.25"))]


def test_crash_mid_write_leaves_the_previous_partition(tmp_path: Path) -> None:
    directory = tmp_path / "partition"
    write_table_partition(directory, _table((1, "1.00")))

    def batches_then_crash():
        yield _table((2, "2.00"))
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError, match="killed mid-write"):
        write_partition(directory, SCHEMA, batches_then_crash())
    assert sorted(path.name for path in directory.iterdir()) == [PARTITION_FILE]
    glob = str(tmp_path / "**" / "*.parquet")
    assert duckdb.sql(f"select order_id from read_parquet('{glob}')").fetchall() == [(1,)]


def test_a_killed_writers_leftover_is_invisible_and_cleaned_up(tmp_path: Path) -> None:
    directory = tmp_path / "partition"
    write_table_partition(directory, _table((1, "1.00")))
    # A name from an older version says nothing about its writer: only its age makes it stale.
    leftover = directory / f".{PARTITION_FILE}.deadbeef.inprogress"
    leftover.write_bytes(b"half a parquet file")
    two_days_ago = time.time() - 2 * 24 * 60 * 60
    os.utime(leftover, (two_days_ago, two_days_ago))
    glob = str(tmp_path / "**" / "*.parquet")
    assert duckdb.sql(f"select count(*) from read_parquet('{glob}')").fetchall() == [(1,)]
    write_table_partition(directory, _table((2, "2.00")))
    assert not leftover.exists()

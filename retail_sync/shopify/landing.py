"""Land JSONL records (bulk output, or paged nodes written in the same shape) as Parquet partitions.

DuckDB reads the JSONL once into a table (spilling to disk beyond `memory_limit`), then per entity
drops duplicate ids, validates, and streams the good rows, sorted by id, through the lake's atomic
`write_partition` in fixed-size batches, so identical input always gives byte-identical files.
Malformed records go to the `quarantine` table with their reason and payload.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from retail_sync.shopify.tables import QUARANTINE_SCHEMA, Entity
from retail_sync.warehouse.lake import write_partition

BATCH_ROWS = 65_536


def connect(
    work_dir: Path, *, threads: int = 2, memory_limit: str = "768MB"
) -> duckdb.DuckDBPyConnection:
    """A scratch DuckDB file in `work_dir` (tables can leave memory), spilling there, in UTC."""
    con = duckdb.connect(
        str(work_dir / "landing.duckdb"),
        config={
            "threads": threads,
            "memory_limit": memory_limit,
            "temp_directory": str(work_dir / "duckdb-spill"),
            "preserve_insertion_order": False,
        },
    )
    con.execute("SET TimeZone = 'UTC'")
    return con


def load_lines(
    con: duckdb.DuckDBPyConnection, paths: Sequence[Path], columns: dict[str, str]
) -> int:
    """Read JSONL files into the `lines` table with an explicit schema; return the line count."""
    spec = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items()) + "}"
    existing = [str(p) for p in paths if p.exists() and p.stat().st_size > 0]
    if not existing:
        con.execute(
            "CREATE OR REPLACE TABLE lines AS SELECT * FROM (SELECT "
            + ", ".join(f'NULL::{kind} AS "{name}"' for name, kind in columns.items())
            + ") WHERE false"
        )
        return 0
    con.execute(
        "CREATE OR REPLACE TABLE lines AS SELECT * FROM read_json(?, format='newline_delimited', "
        f"columns={spec})",
        [existing],
    )
    row = con.execute("SELECT count(*) FROM lines").fetchone()
    return int(row[0]) if row else 0


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _fixed_batches(reader: pa.RecordBatchReader, rows: int) -> Iterator[pa.Table]:
    """Re-cut a stream into tables of exactly `rows` rows (the last may be shorter)."""
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in reader:
        pending.append(batch)
        held += batch.num_rows
        while held >= rows:
            table = pa.Table.from_batches(pending)
            yield table.slice(0, rows)
            rest = table.slice(rows)
            pending = rest.to_batches()
            held = rest.num_rows
    if held:
        yield pa.Table.from_batches(pending)


def land_entity(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    *,
    shop_id: str,
    directory: Path,
) -> tuple[int, int]:
    """Dedupe, validate and write one entity; queue its rejects in `quarantine_rows`.

    Returns (rows written, records quarantined).
    """
    # Duplicates are resolved on a narrow (gid, key) aggregate, then joined back, so the wide
    # records stream through a hash join instead of sitting in an aggregate's state.
    rank = (
        f"struct_pack(latest := {entity.latest_first}, key := _key)"
        if entity.latest_first
        else "_key"
    )
    checks = [check for f in entity.fields for check in f.checks]
    reason = f"coalesce({', '.join(checks)})" if checks else "NULL::VARCHAR"
    payload = (
        "to_json(struct_pack("
        + ", ".join(f'"{c}" := "{c}"' for c in entity.payload_columns)
        + "))::VARCHAR"
    )
    values = ", ".join(f'{f.value} AS "{f.column}"' for f in entity.fields)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE checked AS
        WITH source AS ({entity.source}),
        winners AS (SELECT arg_max(_key, {rank}) AS _winner FROM source GROUP BY gid),
        deduplicated AS (SELECT source.* FROM source JOIN winners ON _key = _winner),
        judged AS (SELECT *, {reason} AS _reason FROM deduplicated)
        SELECT {values}, gid AS _gid, _reason,
               CASE WHEN _reason IS NOT NULL THEN {payload} END AS _payload
        FROM judged"""
    )
    columns = ", ".join(f'"{f.column}"' for f in entity.fields)
    sort = ", ".join(f'"{c}"' for c in entity.sort)
    reader = con.sql(
        f"SELECT {_sql_text(shop_id)} AS shop_id, {columns} FROM checked "
        f"WHERE _reason IS NULL ORDER BY {sort}"
    ).to_arrow_reader(BATCH_ROWS)
    rows = write_partition(directory, entity.schema, _fixed_batches(reader, BATCH_ROWS))
    first_id = f'"{entity.fields[0].column}"'
    con.execute(
        f"""INSERT INTO quarantine_rows
        SELECT {_sql_text(entity.table)}, _gid, {first_id}, _reason, _payload
        FROM checked WHERE _reason IS NOT NULL"""
    )
    quarantined = con.execute(
        f"SELECT count(*) FROM quarantine_rows WHERE source_table = {_sql_text(entity.table)}"
    ).fetchone()
    con.execute("DROP TABLE checked")
    return rows, int(quarantined[0]) if quarantined else 0


def partition_label(directory: Path) -> str:
    """`shop=…/date=…`: the hive keys in a partition path."""
    return "/".join(part for part in directory.parts if "=" in part)


def land(
    con: duckdb.DuckDBPyConnection,
    entities: Sequence[Entity],
    *,
    shop_id: str,
    window_start: datetime,
    window_end: datetime,
    partition_dir_for: Callable[[str], Path],
    family: str,
) -> tuple[dict[str, int], int]:
    """Write every entity's partition and the quarantine partition from the `lines` table.

    Quarantine has one table; each extraction family owns the sub-partition
    `partition_dir_for("quarantine")/source=<family>`, so families never overwrite each other.
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE quarantine_rows (source_table VARCHAR, record_gid VARCHAR, "
        "record_id BIGINT, reason VARCHAR, raw_payload VARCHAR)"
    )
    rows: dict[str, int] = {}
    for entity in entities:
        rows[entity.table], _ = land_entity(
            con, entity, shop_id=shop_id, directory=partition_dir_for(entity.table)
        )
    quarantine_dir = partition_dir_for("quarantine") / f"source={family}"
    reader = con.sql(
        f"""SELECT {_sql_text(shop_id)} AS shop_id, source_table, record_gid, record_id, reason,
               raw_payload, {_sql_text(window_start.isoformat())}::TIMESTAMPTZ AS window_start,
               {_sql_text(window_end.isoformat())}::TIMESTAMPTZ AS window_end,
               {_sql_text(partition_label(quarantine_dir))} AS partition
        FROM quarantine_rows ORDER BY source_table, record_gid"""
    ).to_arrow_reader(BATCH_ROWS)
    quarantined = write_partition(
        quarantine_dir, QUARANTINE_SCHEMA, _fixed_batches(reader, BATCH_ROWS)
    )
    return rows, quarantined

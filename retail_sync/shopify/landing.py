"""Land JSONL records (bulk output, or paged nodes written in the same shape) as Parquet partitions.

DuckDB reads the JSONL once into an in-memory table (spilling to `work_dir` beyond
`memory_limit`), then per entity drops duplicate ids, validates, and hands the good rows, sorted by
id, to a writer thread that cuts them into fixed-size batches for the lake's atomic
`write_partition` while DuckDB works on the next entity. Identical input always gives
byte-identical files. Malformed records go to the `quarantine` table with their reason and payload.

Reading the lines (and quarantining those DuckDB cannot read) is `shopify/lines.py`; how free
text that can carry PII lands is `shopify/free_text.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from retail_sync.shopify.free_text import (
    DROP_FREE_TEXT,
    FREE_TEXT_KEY_ENV,
    FreeTextPolicy,
    FreeTextSettingError,
)
from retail_sync.shopify.lines import UnreadableLine, load_lines
from retail_sync.shopify.tables import (
    QUARANTINE_SCHEMA,
    Entity,
    of_record_type,
)
from retail_sync.warehouse.lake import write_partition

__all__ = [  # what importers of landing use: the lines and free-text parts live beside it
    "DROP_FREE_TEXT",
    "FREE_TEXT_KEY_ENV",
    "FreeTextPolicy",
    "FreeTextSettingError",
    "UnreadableLine",
    "connect",
    "judge_entity",
    "land",
    "land_entity",
    "load_lines",
    "partition_label",
    "write_rows",
]

BATCH_ROWS = 65_536


def connect(
    work_dir: Path, *, threads: int = 2, memory_limit: str = "768MB"
) -> duckdb.DuckDBPyConnection:
    """A scratch in-memory DuckDB, spilling to `work_dir` past `memory_limit`, in UTC.

    In memory rather than a database file: the read and the entity passes never wait on a disk
    write, and a table bigger than `memory_limit` still leaves memory through the spill directory.
    """
    con = duckdb.connect(
        ":memory:",
        config={
            "threads": threads,
            "memory_limit": memory_limit,
            "temp_directory": str(work_dir / "duckdb-spill"),
            "preserve_insertion_order": False,
        },
    )
    con.execute("SET TimeZone = 'UTC'")
    return con


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _fixed_batches(table: pa.Table, rows: int) -> Iterator[pa.Table]:
    """Cut `table` into contiguous tables of exactly `rows` rows (the last may be shorter).

    Each slice is one chunk, so the Parquet pages do not depend on how DuckDB batched the result.
    """
    for start in range(0, table.num_rows, rows):
        yield table.slice(start, rows).combine_chunks()


def _reason_sql(entity: Entity) -> str:
    """SQL: the first failing check's reason or NULL (full checks only where a pass fails)."""
    checks = [check for f in entity.fields for check in f.checks]
    passes = [condition for f in entity.fields for condition in f.passes]
    reason = f"coalesce({', '.join(checks)})" if checks else "NULL::VARCHAR"
    if passes:
        # CASE runs the ELSE branch only on the rows failing the conjunction.
        reason = f"CASE WHEN {' AND '.join(passes)} THEN NULL::VARCHAR ELSE {reason} END"
    return reason


def _payload_sql(entity: Entity) -> str:
    return (
        "to_json(struct_pack("
        + ", ".join(f'"{c}" := "{c}"' for c in entity.payload_columns)
        + "))::VARCHAR"
    )


def _sort_sql(entity: Entity) -> str:
    # The gid breaks ties between distinct gids carrying the same numeric id, so the order (and
    # so the file) never depends on thread scheduling.
    return ", ".join([*(f'"{c}"' for c in entity.sort), "_gid"])


def _has_duplicate_gid(entity: Entity, gids: pa.ChunkedArray) -> bool:
    """Whether a gid occurs twice (a null counts as one value) in `gids`, sorted by `_sort_sql`.

    Where the sort columns follow from the gid, rows sharing a gid are neighbours, so comparing
    each gid with the next is enough (hashing every gid costs 15–100× more).
    """
    if len(gids) < 2:
        return False
    if not entity.sort_follows_gid:
        return bool(pc.count_distinct(gids, mode="all").as_py() != len(gids))
    if gids.null_count > 1:
        return True
    return bool(pc.any(pc.equal(gids[1:], gids[:-1])).as_py())


def _judge_unique(
    con: duckdb.DuckDBPyConnection, entity: Entity, *, shop_id: str
) -> pa.Table | None:
    """Validate and sort one entity in a single pass, assuming its gids are unique.

    Returns the good rows, their rejects queued in `quarantine_rows`; or None, having queued
    nothing, when some gid occurs twice (the caller then de-duplicates first). A bulk export has
    no duplicates, so the usual case skips the dedupe aggregate, its join and a temporary table.
    """
    values = ", ".join(f'{f.value} AS "{f.column}"' for f in entity.fields)
    # Values and checks in one projection (no subquery for `_reason`): DuckDB then extracts the
    # sub-expressions they share once. Names in the payload still bind to the source's columns,
    # which take precedence over the values' aliases (`test`, `name`).
    table = con.sql(
        f"""SELECT {_sql_text(shop_id)} AS shop_id, {values}, gid AS _gid,
               {_reason_sql(entity)} AS _reason,
               CASE WHEN _reason IS NOT NULL THEN {_payload_sql(entity)} END AS _payload
        FROM ({entity.source})
        ORDER BY {_sort_sql(entity)}"""
    ).to_arrow_table()
    if _has_duplicate_gid(entity, table["_gid"]):
        return None
    extra = ["_gid", "_reason", "_payload"]
    reasons = table["_reason"]
    if reasons.null_count == table.num_rows:
        return table.drop_columns(extra)
    rejected = pc.is_valid(reasons)
    rejects = table.filter(rejected).select(
        ["_gid", entity.fields[0].column, "_reason", "_payload"]
    )
    con.register("_rejects", rejects)
    try:
        con.execute(
            f"INSERT INTO quarantine_rows SELECT {_sql_text(entity.table)}, * FROM _rejects"
        )
    finally:
        con.unregister("_rejects")
    return table.filter(pc.invert(rejected)).drop_columns(extra)


def judge_entity(con: duckdb.DuckDBPyConnection, entity: Entity, *, shop_id: str) -> pa.Table:
    """Dedupe and validate one entity: its good rows, sorted by id; rejects to `quarantine_rows`."""
    good = _judge_unique(con, entity, shop_id=shop_id)
    if good is not None:
        return good
    # Duplicates are resolved on narrow (gid, key, rank, content) rows, then joined back, so the
    # wide records stream through a hash join instead of sitting in an aggregate's state. The
    # most recent copies of a gid are current (every copy, without `latest_first`); if those
    # differ, which one is right is unknown, so each distinct one is quarantined as a conflict
    # instead of one being kept silently. Identical copies are one record: the one with the
    # smallest key stands for them (their values are equal, so which is immaterial even though
    # rowids follow DuckDB's threads). Records without a gid are copies only when identical.
    content = _payload_sql(entity)
    latest = entity.latest_first or "NULL::INTEGER"
    group = "gid, _anonymous"
    conflict = "'conflicting copies of ' || gid || ': ' || _versions || ' different records'" + (
        " || ', equally recent (' || coalesce(CAST(_latest AS VARCHAR), 'no time') || ')'"
        if entity.latest_first
        else " || ' with this id'"
    )
    values = ", ".join(f'{f.value} AS "{f.column}"' for f in entity.fields)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE checked AS
        WITH source AS ({entity.source}),
        copies AS (
            SELECT gid, _key, {latest} AS _latest, {content} AS _content,
                   CASE WHEN gid IS NULL THEN _content END AS _anonymous
            FROM source
        ),
        current_copies AS (
            SELECT * FROM copies
            QUALIFY _latest IS NOT DISTINCT FROM max(_latest) OVER (PARTITION BY {group})
        ),
        versions AS (
            SELECT {group}, _latest, min(_key) AS _chosen FROM current_copies
            GROUP BY {group}, _latest, _content
        ),
        chosen AS (
            SELECT _chosen, _latest, count(*) OVER (PARTITION BY {group}) AS _versions
            FROM versions
        ),
        deduplicated AS (
            SELECT source.*, chosen._latest, chosen._versions
            FROM source JOIN chosen ON source._key = chosen._chosen
        ),
        judged AS (
            SELECT *, CASE WHEN _versions > 1 THEN {conflict} ELSE {_reason_sql(entity)} END
                AS _reason
            FROM deduplicated
        )
        SELECT {values}, gid AS _gid, _reason,
               CASE WHEN _reason IS NOT NULL THEN {content} END AS _payload
        FROM judged"""
    )
    columns = ", ".join(f'"{f.column}"' for f in entity.fields)
    good = con.sql(
        f"SELECT {_sql_text(shop_id)} AS shop_id, {columns} FROM checked "
        f"WHERE _reason IS NULL ORDER BY {_sort_sql(entity)}"
    ).to_arrow_table()
    first_id = f'"{entity.fields[0].column}"'
    con.execute(
        f"""INSERT INTO quarantine_rows
        SELECT {_sql_text(entity.table)}, _gid, {first_id}, _reason, _payload
        FROM checked WHERE _reason IS NOT NULL"""
    )
    con.execute("DROP TABLE checked")
    return good


def write_rows(directory: Path, entity: Entity, good: pa.Table) -> int:
    """Write an entity's judged rows as its partition (atomically, in fixed-size row groups)."""
    return write_partition(directory, entity.schema, _fixed_batches(good, BATCH_ROWS))


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
    rows = write_rows(directory, entity, judge_entity(con, entity, shop_id=shop_id))
    quarantined = con.execute(
        f"SELECT count(*) FROM quarantine_rows WHERE source_table = {_sql_text(entity.table)}"
    ).fetchone()
    return rows, int(quarantined[0]) if quarantined else 0


def _quarantine_unrecognised(con: duckdb.DuckDBPyConnection, entities: Sequence[Entity]) -> None:
    """Queue in `quarantine_rows` the lines none of `entities` reads: no id, or a record type
    they do not land. Each would otherwise be skipped without a trace."""
    types = [entity.record_type for entity in entities if entity.record_type]
    if not types:
        return
    read = " OR ".join(of_record_type(kind) for kind in types)
    con.execute(
        f"""INSERT INTO quarantine_rows
        SELECT {_sql_text(entities[0].table)}, id, NULL,
            CASE WHEN id IS NULL THEN 'record without an id'
                ELSE 'record of a type this extraction does not land: ' || id END,
            to_json(lines)::VARCHAR
        FROM lines WHERE id IS NULL OR NOT ({read})"""
    )


def _quarantine_unreadable(con: duckdb.DuckDBPyConnection, entities: Sequence[Entity]) -> None:
    """Queue in `quarantine_rows` the lines `load_lines` could not read, under the table of their
    gid's type when an entity reads that type (else the extraction's first table)."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'unreadable_lines'"
    ).fetchone()
    if not exists or not exists[0]:
        return
    tables = " ".join(
        f"WHEN {_sql_text(entity.record_type)} THEN {_sql_text(entity.table)}"
        for entity in entities
        if entity.record_type
    )
    table = (
        f"CASE record_type {tables} ELSE {_sql_text(entities[0].table)} END"
        if tables
        else (_sql_text(entities[0].table))
    )
    con.execute(
        f"""INSERT INTO quarantine_rows
        SELECT {table}, record_gid, record_id, reason, raw_payload FROM unreadable_lines"""
    )


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
    # One writer thread: an entity's Parquet file is encoded while DuckDB judges the next one.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="landing-writer") as writer:
        written: dict[str, Future[int]] = {}
        for entity in entities:
            good = judge_entity(con, entity, shop_id=shop_id)
            written[entity.table] = writer.submit(
                write_rows, partition_dir_for(entity.table), entity, good
            )
            del good
        rows = {table: future.result() for table, future in written.items()}
    _quarantine_unrecognised(con, entities)
    _quarantine_unreadable(con, entities)
    quarantine_dir = partition_dir_for("quarantine") / f"source={family}"
    rejects = con.sql(
        f"""SELECT {_sql_text(shop_id)} AS shop_id, source_table, record_gid, record_id, reason,
               raw_payload, {_sql_text(window_start.isoformat())}::TIMESTAMPTZ AS window_start,
               {_sql_text(window_end.isoformat())}::TIMESTAMPTZ AS window_end,
               {_sql_text(partition_label(quarantine_dir))} AS partition
        FROM quarantine_rows
        ORDER BY source_table, record_gid, record_id, reason, raw_payload"""
    ).to_arrow_table()
    quarantined = write_partition(
        quarantine_dir, QUARANTINE_SCHEMA, _fixed_batches(rejects, BATCH_ROWS)
    )
    return rows, quarantined

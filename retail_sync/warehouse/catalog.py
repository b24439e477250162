"""The analyst catalog: a DuckDB file of views over the lake, republished atomically.

The file is built beside its final name and renamed over it. A session holding the old file open
keeps reading its snapshot and never blocks a publish; the pipeline never holds the published file
open, so it never blocks an analyst.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from retail_sync.warehouse.lake import Lake

SCHEMAS = ("raw", "staging", "recon", "journals")
# Top-level sql/ of the repository: one model per file, `<schema>/<view name>.sql`.
SQL_DIR = Path(__file__).resolve().parents[2] / "sql"


@dataclass
class CatalogSummary:
    """What a publish put in the catalog, and the models it could not create yet (with why)."""

    path: Path
    views: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def raw_view_name(source: str, entity: str) -> str:
    return f"{source}__{entity}"


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def define_raw_views(connection: duckdb.DuckDBPyConnection, lake: Lake) -> list[str]:
    """A `raw.<source>__<entity>` view per lake entity holding at least one Parquet file.

    Hive partition folders (`shop=`, `date=`) become columns `shop` and `date`.
    """
    names: list[str] = []
    raw = lake.root / "raw"
    if not raw.exists():
        return names
    for source in sorted(path for path in raw.iterdir() if path.is_dir()):
        for entity in sorted(path for path in source.iterdir() if path.is_dir()):
            if next(entity.rglob("*.parquet"), None) is None:
                continue
            name = raw_view_name(source.name, entity.name)
            connection.execute(
                f'create or replace view raw."{name}" as select * from read_parquet('
                f"'{_quote(entity)}/**/*.parquet', hive_partitioning = true, "
                "hive_types_autocast = false, union_by_name = true)"
            )
            names.append(name)
    return names


def define_models(
    connection: duckdb.DuckDBPyConnection, schema: str, sql_dir: Path
) -> tuple[list[str], dict[str, str]]:
    """Create `schema.<model>` views from `sql_dir/<schema>/*.sql`, in name order.

    A model whose inputs are not in the lake yet is skipped and reported, not fatal.
    """
    created, skipped = [], {}
    for model in sorted((sql_dir / schema).glob("*.sql")):
        body = model.read_text(encoding="utf-8").strip().rstrip(";")
        try:
            connection.execute(f'create or replace view {schema}."{model.stem}" as {body}')
        except duckdb.CatalogException as error:
            skipped[f"{schema}.{model.stem}"] = str(error).splitlines()[0]
            continue
        created.append(model.stem)
    return created, skipped


def publish_catalog(lake: Lake, target: Path, *, sql_dir: Path = SQL_DIR) -> CatalogSummary:
    """Build the catalog in a temporary file and rename it over `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.inprogress")
    summary = CatalogSummary(path=target)
    try:
        connection = duckdb.connect(str(temporary))
        try:
            for schema in SCHEMAS:
                connection.execute(f"create schema if not exists {schema}")
            summary.views["raw"] = define_raw_views(connection, lake)
            for schema in SCHEMAS[1:]:
                created, skipped = define_models(connection, schema, sql_dir)
                summary.views[schema] = created
                summary.skipped |= skipped
            connection.execute("checkpoint")
        finally:
            connection.close()
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
        Path(f"{temporary}.wal").unlink(missing_ok=True)
    return summary

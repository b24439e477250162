"""The analyst catalog: a DuckDB file of views over the lake, republished atomically.

The file is built beside its final name and renamed over it. A session holding the old file open
keeps reading its snapshot and never blocks a publish; the pipeline never holds the published file
open, so it never blocks an analyst.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import duckdb

from retail_sync.shops import ShopSettings
from retail_sync.warehouse.lake import Lake

SCHEMAS = ("raw", "staging", "recon", "journals")
# The package's SQL models (retail_sync/sql, shipped as package data and read through
# importlib.resources, so an installed wheel reconciles too): one model per file,
# `<schema>/<view name>.sql`. The package is installed as files, never zipped.
SQL_DIR = Path(str(resources.files("retail_sync").joinpath("sql")))


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


def define_config_views(
    connection: duckdb.DuckDBPyConnection, shops: Sequence[ShopSettings]
) -> None:
    """`raw.config__shops`: each shop's timezone, currency and subsidiary, for the models."""
    columns = "shop_id, domain, currency, timezone, erp_subsidiary_id"
    if not shops:
        connection.execute(
            f"create or replace view raw.config__shops as select * from (values "
            f"(null::varchar, null::varchar, null::varchar, null::varchar, null::varchar)) "
            f"as shops({columns}) where false"
        )
        return
    rows = ", ".join(
        "(" + ", ".join(_literal(value) for value in (
            shop.id, shop.domain, shop.currency, shop.timezone, shop.erp_subsidiary_id
        )) + ")"
        for shop in shops
    )  # fmt: skip
    connection.execute(
        f"create or replace view raw.config__shops as select * from (values {rows}) "
        f"as shops({columns})"
    )


def define_matching_view(
    connection: duckdb.DuckDBPyConnection, shops: Sequence[ShopSettings]
) -> None:
    """`raw.config__matching`: each shop's matching rules (retail_sync/matching.py)."""
    from retail_sync.matching import MATCHING_COLUMNS, MatchingRules

    rows = [(_literal(shop.id), *shop.matching.sql_values()) for shop in shops]
    if not rows:
        rows = [("null::varchar", *MatchingRules().sql_values())]
    values = ", ".join("(" + ", ".join(row) + ")" for row in rows)
    connection.execute(
        f"create or replace view raw.config__matching as select * from (values {values}) "
        f"as rules(shop_id, {', '.join(MATCHING_COLUMNS)})" + (" where false" if not shops else "")
    )


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def define_models(
    connection: duckdb.DuckDBPyConnection, schema: str, sql_dir: Path
) -> tuple[list[str], dict[str, str]]:
    """Create `schema.<model>` views from `sql_dir/<schema>/*.sql`.

    Models may read each other, so creation repeats until no more can be made; a model whose
    inputs are not in the lake yet is skipped and reported, not fatal.
    """
    pending = {model.stem: model for model in sorted((sql_dir / schema).glob("*.sql"))}
    created: list[str] = []
    skipped: dict[str, str] = {}
    progressed = True
    while pending and progressed:
        skipped, progressed = {}, False
        for name, model in list(pending.items()):
            body = model.read_text(encoding="utf-8").strip().rstrip(";")
            try:
                connection.execute(f'create or replace view {schema}."{name}" as {body}')
            except duckdb.CatalogException as error:
                skipped[f"{schema}.{name}"] = str(error).splitlines()[0]
                continue
            created.append(name)
            del pending[name]
            progressed = True
    return created, skipped


def define_catalog(
    connection: duckdb.DuckDBPyConnection,
    summary: CatalogSummary,
    lake: Lake,
    shops: Sequence[ShopSettings],
    sql_dir: Path = SQL_DIR,
) -> None:
    """Create every schema and view of the catalog in `connection`, recording them in `summary`."""
    for schema in SCHEMAS:
        connection.execute(f"create schema if not exists {schema}")
    summary.views["raw"] = define_raw_views(connection, lake)
    define_config_views(connection, shops)
    define_matching_view(connection, shops)
    created, skipped = define_models(connection, "staging", sql_dir)
    summary.views["staging"], summary.skipped = created, skipped
    # The reconciliation as the pipeline published it (per date and shop, after the checks), not
    # its SQL models recomputed live: reading it is instant, and it is what the reports show.
    summary.views["recon"] = define_published_views(connection, lake, "recon")
    # The journals' state as the pipeline last published it from the state store
    # (defs/journals/export.py): proposals, journal_lines, outbox, audit, exception_status.
    summary.views["journals"] = define_published_views(connection, lake, "journals")


def define_published_views(
    connection: duckdb.DuckDBPyConnection, lake: Lake, zone: str
) -> list[str]:
    """A `<zone>.<entity>` view per entity the pipeline wrote under `<lake>/<zone>/<source>/`."""
    names: list[str] = []
    root = lake.root / zone
    if not root.exists():
        return names
    for source in sorted(path for path in root.iterdir() if path.is_dir()):
        for entity in sorted(path for path in source.iterdir() if path.is_dir()):
            if next(entity.rglob("*.parquet"), None) is None:
                continue
            connection.execute(
                f'create or replace view {zone}."{entity.name}" as select * from read_parquet('
                f"'{_quote(entity)}/**/*.parquet', hive_partitioning = false, "
                "union_by_name = true)"
            )
            names.append(entity.name)
    return names


def models_connection(
    lake: Lake, shops: Sequence[ShopSettings], sql_dir: Path = SQL_DIR
) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with the raw views, the shops' configuration and the staging
    models, for the pipeline's own queries (the reconciliation has its own: reconcile/engine.py)."""
    connection = duckdb.connect()
    try:
        for schema in ("raw", "staging"):
            connection.execute(f"create schema {schema}")
        define_raw_views(connection, lake)
        define_config_views(connection, shops)
        define_matching_view(connection, shops)
        define_models(connection, "staging", sql_dir)
    except BaseException:
        connection.close()
        raise
    return connection


def publish_catalog(
    lake: Lake, target: Path, *, shops: Sequence[ShopSettings] = (), sql_dir: Path = SQL_DIR
) -> CatalogSummary:
    """Build the catalog in a temporary file and rename it over `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.inprogress")
    summary = CatalogSummary(path=target)
    try:
        connection = duckdb.connect(str(temporary))
        try:
            define_catalog(connection, summary, lake, shops, sql_dir)
            connection.execute("checkpoint")
        finally:
            connection.close()
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
        Path(f"{temporary}.wal").unlink(missing_ok=True)
    return summary

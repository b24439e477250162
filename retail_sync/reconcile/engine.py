"""Run the reconciliation: the SQL models of sql/recon over staging, materialized in DuckDB.

The models are views in the analyst catalog; here they run as tables, each computed once in
dependency order (a view referenced by several models would be recomputed by each). Staging comes
from the lake's materialized staging partitions (what the quality checks passed) or, for a lake
with raw data only, from the staging models over raw. The payout consistency the quality checks
wrote is `quality.payout_consistency`, so the reconciliation holds what the checks held.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import duckdb

from retail_sync.errors import RetailSyncError
from retail_sync.quality.payouts import define_payout_consistency_view
from retail_sync.shops import ShopSettings
from retail_sync.warehouse.catalog import (
    SQL_DIR,
    define_config_views,
    define_matching_view,
    define_raw_views,
    raw_view_name,
)
from retail_sync.warehouse.lake import Lake

# What the reconciliation publishes per (business date, shop): each is a model of sql/recon and an
# entity of the lake's `recon/shopify` zone.
RECON_OUTPUTS = (
    "exceptions",
    "exception_lines",
    "corrected_exceptions",
    "holds",
    "match_summary",
    "clearing_rollforward",
    "posting_latency",
    "inventory_status",
)


class ReconciliationError(RetailSyncError):
    """A model could not be computed (its inputs are missing or it is wrong)."""


def materialize_models(
    connection: duckdb.DuckDBPyConnection, schema: str, models: dict[str, str]
) -> None:
    """Create `schema.<name>` tables from `models` (name → SQL), in dependency order."""
    pending = {name: models[name] for name in _reference_order(schema, models)}
    while pending:
        errors: dict[str, str] = {}
        before = len(pending)
        for name, body in list(pending.items()):
            try:
                connection.execute(f'create or replace table {schema}."{name}" as {body}')
            except duckdb.CatalogException as error:
                errors[name] = str(error).splitlines()[0]
                continue
            del pending[name]
        if len(pending) == before:
            detail = "; ".join(f"{schema}.{name}: {message}" for name, message in errors.items())
            raise ReconciliationError(f"cannot compute {detail}")


def _reference_order(schema: str, models: dict[str, str]) -> list[str]:
    """The model names with each after the models of `schema` its SQL names (`schema.<name>`),
    so that the loop above computes each model at its first attempt; a failed attempt binds the
    whole query for nothing. A name it cannot order (a cycle) keeps its place: the loop reports it.
    """
    pattern = re.compile(rf"\b{re.escape(schema)}\.\"?(\w+)")
    inputs = {
        name: {found for found in pattern.findall(body) if found in models and found != name}
        for name, body in models.items()
    }
    ordered: list[str] = []
    placed: set[str] = set()

    def place(name: str, visiting: frozenset[str]) -> None:
        if name in placed or name in visiting:
            return
        for needed in sorted(inputs[name]):
            place(needed, visiting | {name})
        placed.add(name)
        ordered.append(name)

    for name in models:
        place(name, frozenset())
    return ordered


def read_models(sql_dir: Path, schema: str) -> dict[str, str]:
    """The models of `sql_dir/<schema>/*.sql`: file stem → SQL (no trailing `;`)."""
    return {
        path.stem: path.read_text(encoding="utf-8").strip().rstrip(";")
        for path in sorted((sql_dir / schema).glob("*.sql"))
    }


def create_empty_raw_tables(connection: duckdb.DuckDBPyConnection, landed: list[str]) -> None:
    """An empty `raw.<table>` (the landed columns, no rows) for each table nothing landed yet:
    a shop with no payouts so far, no inventory snapshot (Shopify answers today's only), a
    first run. The reconciliation then has nothing to say about it instead of failing."""
    import pyarrow as pa

    from retail_sync.erp.landing import (
        ACCOUNTS_SCHEMA,
        GL_LINES_SCHEMA,
        ON_HAND_SCHEMA,
        PERIODS_SCHEMA,
        QUARANTINE_SCHEMA,
    )
    from retail_sync.shopify.tables import SCHEMAS as SHOPIFY_SCHEMAS

    known: dict[str, pa.Schema] = {
        raw_view_name("shopify", entity): schema for entity, schema in SHOPIFY_SCHEMAS.items()
    } | {
        raw_view_name("erp", "gl_lines"): GL_LINES_SCHEMA,
        raw_view_name("erp", "on_hand"): ON_HAND_SCHEMA,
        raw_view_name("erp", "accounts"): ACCOUNTS_SCHEMA,
        raw_view_name("erp", "periods"): PERIODS_SCHEMA,
        raw_view_name("erp", "quarantine"): QUARANTINE_SCHEMA,
    }
    for name, schema in known.items():
        if name in landed:
            continue
        # The partition folders a landed table carries as columns (hive partitioning).
        partition_columns = [
            pa.field(column, pa.string())
            for column in ("shop", "date")
            if column not in schema.names
        ]
        empty = pa.schema([*schema, *partition_columns]).empty_table()
        connection.register("empty_input", empty)
        try:
            connection.execute(f'create table raw."{name}" as select * from empty_input')
        finally:
            connection.unregister("empty_input")


def reconciliation_connection(
    lake: Lake,
    shops: Sequence[ShopSettings],
    *,
    staging_from_lake: bool = True,
    sql_dir: Path = SQL_DIR,
) -> duckdb.DuckDBPyConnection:
    """An in-memory connection holding `recon.*` tables for every landed date of `shops`."""
    connection = duckdb.connect()
    try:
        for schema in ("raw", "staging", "quality", "recon"):
            connection.execute(f"create schema {schema}")
        create_empty_raw_tables(connection, define_raw_views(connection, lake))
        define_payout_consistency_view(connection, lake)
        define_config_views(connection, shops)
        define_matching_view(connection, shops)
        staging = read_models(sql_dir, "staging")
        if staging_from_lake:
            for name in list(staging):
                source, entity = name.removeprefix("stg_").split("__", 1)
                directory = lake.entity_dir("staging", source, entity)
                if next(directory.rglob("*.parquet"), None) is not None:
                    staging[name] = (
                        f"select * from read_parquet('{str(directory).replace(chr(39), '')}"
                        "/**/*.parquet', hive_partitioning = false, union_by_name = true)"
                    )
        materialize_models(connection, "staging", staging)
        materialize_models(connection, "recon", read_models(sql_dir, "recon"))
    except BaseException:
        connection.close()
        raise
    return connection

"""The journals' state, published to the lake for the analyst catalog (`journals.*` views).

The state store (SQLite or PostgreSQL) is the truth; analysts read DuckDB. After every journals
step the store's tables are written whole to `<lake>/journals/state/<table>/part-0.parquet`
(temporary file, then rename), and the catalog's `journals` schema has one view per table:
`proposals`, `journal_lines`, `outbox`, `audit` and `exception_status` (every exception's
lifecycle status). Integer cents become DECIMAL(18,2) columns without the `_cents` suffix.
"""

import os
import uuid
from collections.abc import Iterable
from datetime import UTC
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from retail_sync.warehouse.lake import Lake

MONEY = pa.decimal128(18, 2)


def _base_type(column: sa.Column[Any]) -> Any:
    kind = column.type
    return kind.impl_instance if isinstance(kind, sa.types.TypeDecorator) else kind


def _arrow_type(column: sa.Column[Any]) -> pa.DataType:
    kind = _base_type(column)
    if column.name.endswith("_cents"):
        return MONEY
    if isinstance(kind, sa.Boolean):
        return pa.bool_()
    if isinstance(kind, sa.Integer):
        return pa.int64()
    if isinstance(kind, sa.DateTime):
        return pa.timestamp("us", tz="UTC")
    if isinstance(kind, sa.Date):
        return pa.date32()
    return pa.string()


def _value(column: sa.Column[Any], value: Any) -> Any:
    if value is None:
        return None
    if column.name.endswith("_cents"):
        return Decimal(int(value)).scaleb(-2)
    if isinstance(_base_type(column), sa.DateTime) and getattr(value, "tzinfo", None) is None:
        return value.replace(tzinfo=UTC)  # stored as UTC; SQLite drops the offset
    return value


def table_rows(connection: sa.Connection, table: sa.Table) -> pa.Table:
    """One state table as Arrow, money as decimals, sorted by its primary key."""
    columns = list(table.columns)
    schema = pa.schema(
        [pa.field(column.name.removesuffix("_cents"), _arrow_type(column)) for column in columns]
    )
    order = list(table.primary_key.columns) or columns[:1]
    rows = connection.execute(sa.select(table).order_by(*order)).all()
    data = {
        field.name: [_value(column, row[index]) for row in rows]
        for index, (field, column) in enumerate(zip(schema, columns, strict=True))
    }
    return pa.table(data, schema=schema)


def export_tables(
    engine: sa.Engine, lake: Lake, tables: Iterable[tuple[str, sa.Table]]
) -> dict[str, int]:
    """Write each (view name, table) to the lake's journals zone; returns rows per view."""
    written: dict[str, int] = {}
    with engine.connect() as connection:
        for name, table in tables:
            arrow = table_rows(connection, table)
            _write(lake.root / "journals" / "state" / name, arrow)
            written[name] = arrow.num_rows
    return written


def _write(directory: Path, table: pa.Table) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "part-0.parquet"
    temporary = directory / f".part-0.{uuid.uuid4().hex}.inprogress"
    try:
        pq.write_table(table, temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)

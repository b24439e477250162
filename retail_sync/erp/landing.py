"""Land what the ERP port reads into lake partitions, streamed in bounded batches.

Works with any `ERPPort`; the tables are ERP-neutral (account numbers, ISO currencies).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

import pyarrow as pa

from retail_sync.erp.port import ERPPort, GLLine, OnHand
from retail_sync.warehouse.lake import write_partition

MONEY = pa.decimal128(18, 2)
BATCH_ROWS = 50_000

GL_LINES_SCHEMA = pa.schema(
    [
        ("transaction_id", pa.string()),
        ("line_id", pa.string()),
        ("external_id", pa.string()),
        ("document_number", pa.string()),
        ("trandate", pa.date32()),
        ("period_id", pa.string()),
        ("subsidiary_id", pa.string()),
        ("account_number", pa.string()),
        ("debit", MONEY),
        ("credit", MONEY),
        ("currency", pa.string()),
        ("memo", pa.string()),
        ("header_memo", pa.string()),
    ]
)
ACCOUNTS_SCHEMA = pa.schema(
    [
        ("account_id", pa.string()),
        ("account_number", pa.string()),
        ("name", pa.string()),
        ("type", pa.string()),
        ("active", pa.bool_()),
    ]
)
PERIODS_SCHEMA = pa.schema(
    [
        ("period_id", pa.string()),
        ("name", pa.string()),
        ("start_date", pa.date32()),
        ("end_date", pa.date32()),
        ("status", pa.string()),
    ]
)
ON_HAND_SCHEMA = pa.schema(
    [
        ("item_id", pa.string()),
        ("sku", pa.string()),
        ("location_id", pa.string()),
        ("location_name", pa.string()),
        ("quantity_on_hand", pa.decimal128(18, 4)),
        ("as_of", pa.date32()),
    ]
)


@dataclass(frozen=True)
class LandingStats:
    """What a landing wrote: rows, and the window it read (dates inclusive)."""

    table: str
    rows: int
    window_start: date | None = None
    window_end: date | None = None


def _gl_row(line: GLLine) -> dict[str, Any]:
    return {
        "transaction_id": line.transaction_id,
        "line_id": line.line_id,
        "external_id": line.external_id,
        "document_number": line.document_number,
        "trandate": line.date,
        "period_id": line.period_id,
        "subsidiary_id": line.subsidiary_id,
        "account_number": line.account_number,
        "debit": line.debit,
        "credit": line.credit,
        "currency": line.currency,
        "memo": line.memo,
        "header_memo": line.header_memo,
    }


def _on_hand_row(row: OnHand, as_of: date) -> dict[str, Any]:
    return {
        "item_id": row.item_id,
        "sku": row.sku,
        "location_id": row.location_id,
        "location_name": row.location_name,
        "quantity_on_hand": row.quantity,
        "as_of": row.as_of or as_of,
    }


def _batches(rows: Iterable[dict[str, Any]], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, BATCH_ROWS)):
        yield pa.RecordBatch.from_pylist(chunk, schema=schema)


def land_gl_lines(
    erp: ERPPort, *, start: date, end: date, subsidiary_id: str | None, directory: Path
) -> LandingStats:
    """GL lines dated start..end (inclusive) for one subsidiary, replacing the partition."""
    lines = erp.gl_lines(start, end, subsidiary_id=subsidiary_id)
    rows = write_partition(
        directory, GL_LINES_SCHEMA, _batches(map(_gl_row, lines), GL_LINES_SCHEMA)
    )
    return LandingStats("gl_lines", rows, start, end)


def land_accounts(erp: ERPPort, *, directory: Path) -> LandingStats:
    """The chart of accounts, replacing the snapshot."""
    rows = (
        {
            "account_id": account.id,
            "account_number": account.number,
            "name": account.name,
            "type": account.type,
            "active": account.active,
        }
        for account in erp.accounts()
    )
    written = write_partition(directory, ACCOUNTS_SCHEMA, _batches(rows, ACCOUNTS_SCHEMA))
    return LandingStats("accounts", written)


def land_periods(erp: ERPPort, *, directory: Path) -> LandingStats:
    """Accounting periods with their status (open / locked / closed), replacing the snapshot."""
    rows = (
        {
            "period_id": period.id,
            "name": period.name,
            "start_date": period.start,
            "end_date": period.end,
            "status": period.status,
        }
        for period in erp.periods()
    )
    written = write_partition(directory, PERIODS_SCHEMA, _batches(rows, PERIODS_SCHEMA))
    return LandingStats("periods", written)


def land_on_hand(
    erp: ERPPort, *, as_of: date, subsidiary_id: str | None, directory: Path
) -> LandingStats:
    """On-hand per item and location at the end of `as_of`, sorted for stable bytes."""
    rows = sorted(
        (_on_hand_row(row, as_of) for row in erp.on_hand(as_of, subsidiary_id=subsidiary_id)),
        key=lambda row: (row["item_id"], row["location_id"]),
    )
    written = write_partition(directory, ON_HAND_SCHEMA, _batches(rows, ON_HAND_SCHEMA))
    return LandingStats("on_hand", written, as_of, as_of)

"""Land what the ERP port reads into lake partitions, streamed in bounded batches.

Works with any `ERPPort`; the tables are ERP-neutral (account numbers, ISO currencies). A row the
port could not read (a `RejectedRow`) goes to the ERP quarantine with its reason and the row as
received, and the good rows land: one bad row never stops a partition. The quarantine of a
partitioned table is `raw/erp/quarantine/shop=…/date=…/source=<table>` (each table owns its
`source=` folder, so the assets never overwrite each other's), that of a snapshot table
`raw/erp/reference_quarantine/source=<table>`; both are replaced on every landing, so a re-run
that reads clean rows leaves an empty quarantine.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa

from retail_sync.erp.port import (
    ERPError,
    ERPPort,
    GLLine,
    OnHand,
    RejectedRow,
)
from retail_sync.warehouse.lake import Lake, write_partition

log = logging.getLogger(__name__)
Row = TypeVar("Row")
QUARANTINE = "quarantine"
REFERENCE_QUARANTINE = "reference_quarantine"

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
        # The item's cost per unit in the ERP (null: none) and its currency.
        ("unit_cost", pa.decimal128(18, 6)),
        ("unit_cost_currency", pa.string()),
    ]
)


QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("source_table", pa.string(), nullable=False),
        pa.field("record_key", pa.string()),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("raw_payload", pa.string(), nullable=False),
        pa.field("subsidiary_id", pa.string()),
        pa.field("window_start", pa.date32()),
        pa.field("window_end", pa.date32()),
        pa.field("partition", pa.string()),
    ]
)


class ERPRowsRejected(ERPError):
    """Rows could not be read and no quarantine was given to put them in."""


@dataclass(frozen=True)
class LandingStats:
    """What a landing wrote: rows, rows quarantined, and the window it read (dates inclusive)."""

    table: str
    rows: int
    window_start: date | None = None
    window_end: date | None = None
    quarantined: int = 0


def quarantine_dir(
    lake: Lake, table: str, *, shop: str | None = None, date: str | None = None
) -> Path:
    """Where `table`'s rejected rows land: per shop and date, or beside a snapshot table."""
    if shop is None and date is None:
        return lake.partition_dir("raw", "erp", REFERENCE_QUARANTINE) / f"source={table}"
    return lake.partition_dir("raw", "erp", QUARANTINE, shop=shop, date=date) / f"source={table}"


def _accepted(
    records: Iterable[Row | RejectedRow], rejects: list[RejectedRow], quarantine: Path | None
) -> Iterator[Row]:
    """The readable records; each rejected one is kept in `rejects` (or, with no quarantine
    to put it in, raised: never dropped)."""
    for record in records:
        if not isinstance(record, RejectedRow):
            yield record
        elif quarantine is None:
            raise ERPRowsRejected(
                f"ERP {record.table} row {record.key or '(no key)'} cannot be landed: "
                f"{record.reason}",
                code="MALFORMED_RECORD",
            )
        else:
            rejects.append(record)


def _write_quarantine(
    directory: Path | None,
    rejects: list[RejectedRow],
    *,
    subsidiary_id: str | None = None,
    window: tuple[date, date] | None = None,
) -> int:
    """Replace the quarantine partition with `rejects` (sorted, for stable bytes)."""
    if directory is None:
        return 0
    label = "/".join(part for part in directory.parts if "=" in part)
    rows = [
        {
            "source_table": reject.table,
            "record_key": reject.key,
            "reason": reject.reason,
            "raw_payload": reject.raw_payload,
            "subsidiary_id": subsidiary_id,
            "window_start": window[0] if window else None,
            "window_end": window[1] if window else None,
            "partition": label,
        }
        for reject in sorted(rejects, key=lambda r: (r.key or "", r.reason, r.raw_payload))
    ]
    written = write_partition(directory, QUARANTINE_SCHEMA, _batches(rows, QUARANTINE_SCHEMA))
    if written:
        log.warning(
            "quarantined %d ERP %s row(s) in %s; first: %s",
            written,
            rejects[0].table,
            label or directory,
            rejects[0].reason,
        )
    return written


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
        "unit_cost": row.unit_cost,
        "unit_cost_currency": row.cost_currency,
    }


def _batches(rows: Iterable[dict[str, Any]], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, BATCH_ROWS)):
        yield pa.RecordBatch.from_pylist(chunk, schema=schema)


def land_gl_lines(
    erp: ERPPort,
    *,
    start: date,
    end: date,
    subsidiary_id: str | None,
    directory: Path,
    quarantine_directory: Path | None = None,
) -> LandingStats:
    """GL lines dated start..end (inclusive) for one subsidiary, replacing the partition and its
    quarantine (without `quarantine_directory`, a row that cannot be read is an error)."""
    rejects: list[RejectedRow] = []
    lines = _accepted(
        erp.gl_lines(start, end, subsidiary_id=subsidiary_id), rejects, quarantine_directory
    )
    rows = write_partition(
        directory, GL_LINES_SCHEMA, _batches(map(_gl_row, lines), GL_LINES_SCHEMA)
    )
    quarantined = _write_quarantine(
        quarantine_directory, rejects, subsidiary_id=subsidiary_id, window=(start, end)
    )
    return LandingStats("gl_lines", rows, start, end, quarantined)


def land_accounts(
    erp: ERPPort, *, directory: Path, quarantine_directory: Path | None = None
) -> LandingStats:
    """The chart of accounts, replacing the snapshot and its quarantine."""
    rejects: list[RejectedRow] = []
    rows = (
        {
            "account_id": account.id,
            "account_number": account.number,
            "name": account.name,
            "type": account.type,
            "active": account.active,
        }
        for account in _accepted(erp.accounts(), rejects, quarantine_directory)
    )
    written = write_partition(directory, ACCOUNTS_SCHEMA, _batches(rows, ACCOUNTS_SCHEMA))
    quarantined = _write_quarantine(quarantine_directory, rejects)
    return LandingStats("accounts", written, quarantined=quarantined)


def land_periods(
    erp: ERPPort, *, directory: Path, quarantine_directory: Path | None = None
) -> LandingStats:
    """Accounting periods with their status (open / locked / closed), replacing the snapshot
    and its quarantine."""
    rejects: list[RejectedRow] = []
    rows = (
        {
            "period_id": period.id,
            "name": period.name,
            "start_date": period.start,
            "end_date": period.end,
            "status": period.status,
        }
        for period in _accepted(erp.periods(), rejects, quarantine_directory)
    )
    written = write_partition(directory, PERIODS_SCHEMA, _batches(rows, PERIODS_SCHEMA))
    quarantined = _write_quarantine(quarantine_directory, rejects)
    return LandingStats("periods", written, quarantined=quarantined)


def land_on_hand(
    erp: ERPPort,
    *,
    as_of: date,
    subsidiary_id: str | None,
    directory: Path,
    quarantine_directory: Path | None = None,
) -> LandingStats:
    """On-hand per item and location at the end of `as_of`, sorted for stable bytes, replacing
    the partition and its quarantine."""
    rejects: list[RejectedRow] = []
    read = erp.on_hand(as_of, subsidiary_id=subsidiary_id)
    rows = sorted(
        (_on_hand_row(row, as_of) for row in _accepted(read, rejects, quarantine_directory)),
        key=lambda row: (row["item_id"], row["location_id"]),
    )
    written = write_partition(directory, ON_HAND_SCHEMA, _batches(rows, ON_HAND_SCHEMA))
    quarantined = _write_quarantine(
        quarantine_directory, rejects, subsidiary_id=subsidiary_id, window=(as_of, as_of)
    )
    return LandingStats("on_hand", written, as_of, as_of, quarantined)

"""What the store knows: exceptions now or as of a date, their status changes, daily backlogs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from retail_sync.reconcile.lifecycle.schema import (
    MONEY_FIELDS,
    UNRESOLVED_STATUSES,
    daily_snapshots_table,
    exception_events_table,
    exceptions_table,
    from_cents,
)
from retail_sync.reconcile.lifecycle.store import LifecycleStore, in_chunks


@dataclass(frozen=True)
class ExceptionRecord:
    """One exception as the store knows it: the latest amounts and its lifecycle."""

    exception_id: str
    shop_id: str
    business_date: date
    domain: str
    kind: str
    shopify_ref: str | None
    erp_ref: str | None
    account: str | None
    currency: str | None
    shopify_amount: Decimal | None
    erp_amount: Decimal | None
    variance: Decimal | None
    detail: str | None
    status: str
    first_seen: date
    last_seen: date
    resolved_on: date | None
    reopened_on: date | None
    status_changed_on: date

    def age_days(self, as_of: date) -> int:
        """Days since first seen (0 on the day it appeared)."""
        return (as_of - self.first_seen).days


@dataclass(frozen=True)
class DailySnapshot:
    """The shop's backlog after the last run recorded on a day."""

    seen_on: date
    unresolved: int
    unresolved_abs_variance: Decimal
    new: int
    reopened: int
    resolved: int


@dataclass(frozen=True)
class StatusEvent:
    exception_id: str
    changed_on: date
    from_status: str | None
    to_status: str


# The record's fields stored as they are (the money fields are stored as cents).
_STORED_AS_IS = tuple(
    field.name for field in fields(ExceptionRecord) if field.name not in MONEY_FIELDS
)


def _record(row: Mapping[Any, Any]) -> ExceptionRecord:
    values: dict[str, Any] = {name: row[name] for name in _STORED_AS_IS}
    values.update((name, from_cents(row[f"{name}_cents"])) for name in MONEY_FIELDS)
    return ExceptionRecord(**values)


def exceptions(
    store: LifecycleStore,
    shop_id: str,
    *,
    business_dates: Iterable[date] | None = None,
    exception_ids: Iterable[str] | None = None,
) -> list[ExceptionRecord]:
    """Every exception of a shop as recorded now (optionally of some dates or ids), by id."""
    table = exceptions_table
    query = sa.select(table).where(table.c.shop_id == shop_id)
    filters: list[Sequence[Any]] = []
    if business_dates is not None:
        query = query.where(table.c.business_date.in_(sa.bindparam("values", expanding=True)))
        filters = list(in_chunks(sorted(set(business_dates))))
    elif exception_ids is not None:
        query = query.where(table.c.exception_id.in_(sa.bindparam("values", expanding=True)))
        filters = list(in_chunks(sorted(set(exception_ids))))
    with store.engine.connect() as connection:
        if business_dates is None and exception_ids is None:
            rows = list(connection.execute(query).mappings())
        else:
            rows = [
                row
                for chunk in filters
                for row in connection.execute(query, {"values": list(chunk)}).mappings()
            ]
    return sorted((_record(row) for row in rows), key=lambda record: record.exception_id)


def status_events(store: LifecycleStore, shop_id: str) -> list[StatusEvent]:
    """The shop's status changes, oldest first."""
    events = exception_events_table
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.select(events)
            .where(events.c.shop_id == shop_id)
            .order_by(events.c.changed_on, events.c.event_id)
        ).mappings()
        return [
            StatusEvent(
                row["exception_id"], row["changed_on"], row["from_status"], row["to_status"]
            )
            for row in rows
        ]


def open_exceptions(
    store: LifecycleStore, shop_id: str, *, as_of: date | None = None
) -> list[ExceptionRecord]:
    """The shop's unresolved exceptions (open, proposed, …, correction_failed), now or as of a date.

    As of a date, the status is the one the event log gives on that day; the amounts are the
    latest recorded.
    """
    records = exceptions(store, shop_id)
    if as_of is None:
        return [record for record in records if record.status in UNRESOLVED_STATUSES]
    status_on: dict[str, str] = {}
    for event in status_events(store, shop_id):
        if event.changed_on <= as_of:
            status_on[event.exception_id] = event.to_status
    return [
        record for record in records if status_on.get(record.exception_id) in UNRESOLVED_STATUSES
    ]


def daily_history(
    store: LifecycleStore, shop_id: str, *, days: int, until: date
) -> list[DailySnapshot]:
    """The recorded backlog snapshots of the `days` days ending on `until`, oldest first."""
    snapshots = daily_snapshots_table
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.select(snapshots)
            .where(
                snapshots.c.shop_id == shop_id,
                snapshots.c.seen_on > until - timedelta(days=days),
                snapshots.c.seen_on <= until,
            )
            .order_by(snapshots.c.seen_on)
        ).mappings()
        return [
            DailySnapshot(
                seen_on=row["seen_on"],
                unresolved=row["unresolved"],
                unresolved_abs_variance=from_cents(row["unresolved_abs_variance_cents"])
                or Decimal("0.00"),
                new=row["new"],
                reopened=row["reopened"],
                resolved=row["resolved"],
            )
            for row in rows
        ]

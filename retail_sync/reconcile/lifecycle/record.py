"""Recording: what a reconciliation run found, and status changes the journals stage makes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from retail_sync.reconcile.lifecycle.schema import (
    EXCEPTION_FIELDS,
    KEPT_WHEN_GONE,
    MONEY_FIELDS,
    OPEN,
    RESOLVED,
    STATUSES,
    UNRESOLVED_STATUSES,
    VERIFIED,
    LifecycleError,
    daily_snapshots_table,
    exception_events_table,
    exceptions_table,
    to_cents,
)
from retail_sync.reconcile.lifecycle.store import LifecycleStore, in_chunks

# The columns a recorded run may change (all but the key).
_UPDATABLE = tuple(
    column.name
    for column in exceptions_table.columns
    if column.name not in ("shop_id", "exception_id")
)


@dataclass(frozen=True)
class LifecycleSummary:
    """What one recorded run did: ids first seen, seen again, reopened, and resolved."""

    new: int
    persisting: int
    reopened: int
    resolved: int


def record_run(
    store: LifecycleStore,
    shop_id: str,
    dates_reconciled: Iterable[date],
    exceptions_rows: Iterable[Mapping[str, Any]],
    seen_on: date,
) -> LifecycleSummary:
    """Record what a reconciliation of `dates_reconciled` for one shop found, seen on `seen_on`.

    `exceptions_rows` are the rows of the recon `exceptions` partitions of those dates (mappings
    with the partition's column names, amounts as Decimal). One transaction; re-recording the same
    run gives the same state and the same summary.
    """
    dates = sorted(set(dates_reconciled))
    incoming = _incoming_by_id(shop_id, dates, exceptions_rows)
    with store.transaction(shop_id) as connection:
        existing = _stored_rows(connection, shop_id, dates, incoming)
        changes = _RunChanges(shop_id, seen_on)
        for exception_id, values in incoming.items():
            changes.found(exception_id, values, existing.get(exception_id))
        for exception_id, before in existing.items():
            if exception_id not in incoming and before["business_date"] in dates:
                changes.not_found(exception_id, before)
        _write_changes(connection, shop_id, changes)
        _write_snapshot(connection, shop_id, seen_on)
    return changes.summary()


def _row_values(row: Mapping[str, Any]) -> dict[str, Any]:
    """The table columns for a run's exception row (money to cents)."""
    missing = [name for name in ("exception_id", "domain", "kind") if not row.get(name)]
    if missing:
        raise LifecycleError(f"exception row lacks {', '.join(missing)}: {dict(row)}")
    values = {
        name: row.get(name)
        for name in EXCEPTION_FIELDS
        if name not in MONEY_FIELDS and name != "shop_id"
    }
    for name in MONEY_FIELDS:
        values[f"{name}_cents"] = to_cents(row.get(name))
    return values


def _incoming_by_id(
    shop_id: str, dates: Sequence[date], rows: Iterable[Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The run's rows as table values by exception id, each of the shop and of a run's date."""
    incoming: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row.get("shop_id") not in (None, shop_id):
            raise LifecycleError(f"exception {row.get('exception_id')} is not shop {shop_id}'s")
        values = _row_values(row)
        if values["business_date"] not in dates:
            raise LifecycleError(
                f"exception {values['exception_id']} is dated {values['business_date']}, "
                f"outside the dates this run reconciled"
            )
        if values["exception_id"] in incoming and incoming[values["exception_id"]] != values:
            raise LifecycleError(f"exception id {values['exception_id']} repeats in one run")
        incoming[values["exception_id"]] = values
    return incoming


def _stored_rows(
    connection: sa.Connection, shop_id: str, dates: Sequence[date], incoming: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """The stored rows of the run's dates, and of incoming ids stored under another date."""
    table = exceptions_table

    def rows_where(condition: sa.ColumnElement[bool]) -> Iterable[tuple[str, dict[str, Any]]]:
        query = sa.select(table).where(table.c.shop_id == shop_id, condition)
        for found in connection.execute(query).mappings():
            yield found["exception_id"], dict(found)

    existing: dict[str, dict[str, Any]] = {}
    for some_dates in in_chunks(dates):
        existing.update(rows_where(table.c.business_date.in_(some_dates)))
    unknown = [key for key in incoming if key not in existing]
    for some_ids in in_chunks(unknown):
        existing.update(rows_where(table.c.exception_id.in_(some_ids)))
    return existing


@dataclass
class _RunChanges:
    """What recording one run writes (rows to insert or update, status events) and counts."""

    shop_id: str
    seen_on: date
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    new: int = 0
    persisting: int = 0
    reopened: int = 0
    resolved: int = 0

    def summary(self) -> LifecycleSummary:
        return LifecycleSummary(
            new=self.new, persisting=self.persisting, reopened=self.reopened, resolved=self.resolved
        )

    def found(
        self, exception_id: str, values: dict[str, Any], before: dict[str, Any] | None
    ) -> None:
        """The run found the exception: first seen, or seen again."""
        if before is None:
            self._first_seen(exception_id, values)
        else:
            self._seen_again(exception_id, values, before)

    def not_found(self, exception_id: str, before: dict[str, Any]) -> None:
        """The run reconciled the exception's date and did not find it: it is resolved.

        Unless it is waived or verified (closed already), or a later run than this one saw it.
        """
        if before["status"] in (RESOLVED, VERIFIED):
            self.resolved += int(before["resolved_on"] == self.seen_on)
            return
        if before["status"] in KEPT_WHEN_GONE or self.seen_on < before["last_seen"]:
            return
        self.updates.append(
            {
                **before,
                "status": RESOLVED,
                "resolved_on": self.seen_on,
                "status_changed_on": self.seen_on,
            }
        )
        self._event(exception_id, before["status"], RESOLVED)
        self.resolved += 1

    def _first_seen(self, exception_id: str, values: dict[str, Any]) -> None:
        self.inserts.append(
            {
                **values,
                "shop_id": self.shop_id,
                "status": OPEN,
                "first_seen": self.seen_on,
                "last_seen": self.seen_on,
                "resolved_on": None,
                "reopened_on": None,
                "status_changed_on": self.seen_on,
            }
        )
        self._event(exception_id, None, OPEN)
        self.new += 1

    def _seen_again(
        self, exception_id: str, values: dict[str, Any], before: dict[str, Any]
    ) -> None:
        """Take the run's amounts unless a later run was recorded; a resolved one reopens."""
        seen_on = self.seen_on
        after = dict(before)
        if seen_on >= before["last_seen"]:
            after.update(values)
            after["last_seen"] = seen_on
        after["first_seen"] = min(before["first_seen"], seen_on)
        # Resolved, or verified and the difference is back: it reopens.
        if before["status"] in (RESOLVED, VERIFIED) and seen_on >= (
            before["resolved_on"] or before["status_changed_on"]
        ):
            after.update(
                status=OPEN, resolved_on=None, reopened_on=seen_on, status_changed_on=seen_on
            )
            self._event(exception_id, before["status"], OPEN)
        if after["first_seen"] == seen_on:
            self.new += 1
        elif after["reopened_on"] == seen_on:
            self.reopened += 1
        else:
            self.persisting += 1
        if after != before:
            self.updates.append(after)

    def _event(self, exception_id: str, from_status: str | None, to_status: str) -> None:
        self.events.append(_event(self.shop_id, exception_id, self.seen_on, from_status, to_status))


def _write_changes(connection: sa.Connection, shop_id: str, changes: _RunChanges) -> None:
    table = exceptions_table
    if changes.inserts:
        connection.execute(sa.insert(table), changes.inserts)
    if changes.updates:
        connection.execute(
            sa.update(table)
            .where(
                table.c.shop_id == sa.bindparam("key_shop_id"),
                table.c.exception_id == sa.bindparam("key_exception_id"),
            )
            .values({name: sa.bindparam(name) for name in _UPDATABLE}),
            [
                {
                    "key_shop_id": shop_id,
                    "key_exception_id": row["exception_id"],
                    **{name: row[name] for name in _UPDATABLE},
                }
                for row in changes.updates
            ],
        )
    if changes.events:
        connection.execute(sa.insert(exception_events_table), changes.events)


def _event(
    shop_id: str, exception_id: str, on: date, from_status: str | None, to_status: str
) -> dict[str, Any]:
    return {
        "shop_id": shop_id,
        "exception_id": exception_id,
        "changed_on": on,
        "from_status": from_status,
        "to_status": to_status,
    }


def _write_snapshot(connection: sa.Connection, shop_id: str, seen_on: date) -> None:
    table = exceptions_table
    unresolved, abs_variance = connection.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(
                sa.func.sum(
                    sa.case(
                        (table.c.currency.is_not(None), sa.func.abs(table.c.variance_cents)),
                        else_=0,
                    )
                ),
                0,
            ),
        ).where(table.c.shop_id == shop_id, table.c.status.in_(UNRESOLVED_STATUSES))
    ).one()

    def count(column: sa.Column[Any]) -> int:
        return int(
            connection.execute(
                sa.select(sa.func.count()).where(table.c.shop_id == shop_id, column == seen_on)
            ).scalar_one()
        )

    values = {
        "unresolved": int(unresolved),
        "unresolved_abs_variance_cents": int(abs_variance),
        "new": count(table.c.first_seen),
        "reopened": count(table.c.reopened_on),
        "resolved": count(table.c.resolved_on),
    }
    snapshots = daily_snapshots_table
    connection.execute(
        sa.delete(snapshots).where(snapshots.c.shop_id == shop_id, snapshots.c.seen_on == seen_on)
    )
    connection.execute(sa.insert(snapshots).values(shop_id=shop_id, seen_on=seen_on, **values))


def set_status(
    store: LifecycleStore,
    shop_id: str,
    exception_ids: Iterable[str],
    status: str,
    changed_on: date,
) -> int:
    """Move exceptions to `status` (the journals stage: proposed, posted, …; or waived).

    Returns how many changed. Unknown ids are an error; setting the current status is a no-op.
    """
    if status not in STATUSES:
        raise LifecycleError(f"unknown status {status!r} (known: {', '.join(STATUSES)})")
    ids = sorted(set(exception_ids))
    table = exceptions_table
    changed = 0
    with store.transaction(shop_id) as connection:
        current: dict[str, str] = {}
        for chunk in in_chunks(ids):
            rows = connection.execute(
                sa.select(table.c.exception_id, table.c.status).where(
                    table.c.shop_id == shop_id, table.c.exception_id.in_(chunk)
                )
            )
            current.update((exception_id, status) for exception_id, status in rows)
        missing = [key for key in ids if key not in current]
        if missing:
            raise LifecycleError(f"shop {shop_id}: no exceptions {', '.join(missing[:5])}")
        for exception_id in ids:
            if current[exception_id] == status:
                continue
            connection.execute(
                sa.update(table)
                .where(table.c.shop_id == shop_id, table.c.exception_id == exception_id)
                .values(
                    status=status,
                    status_changed_on=changed_on,
                    resolved_on=changed_on if status in (RESOLVED, VERIFIED) else None,
                )
            )
            connection.execute(
                sa.insert(exception_events_table).values(
                    _event(shop_id, exception_id, changed_on, current[exception_id], status)
                )
            )
            changed += 1
    return changed

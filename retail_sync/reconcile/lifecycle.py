"""The exception lifecycle: what each reconciliation run found, kept across runs in one transaction.

Every exception id the reconciliation produces (deterministic: the same discrepancy has the same id
on every run) has one row here with its first and last seen dates, its latest amounts and its
status. Recording a run, per shop and in one transaction:

- an id seen for the first time is inserted `open` with first_seen = last_seen = the run's day;
- an id seen again keeps first_seen, moves last_seen and takes the run's amounts; a `resolved` one
  reopens; statuses the journals stage set (proposed, awaiting_approval, posted, verified) and
  `waived` are kept;
- an id of a business date this run reconciled that the run no longer finds is `resolved` on the
  run's day (never deleted), unless it is already resolved or waived.

Re-recording the same run leaves the same state. Every status change is appended to an event log,
and each recorded day keeps a snapshot of the shop's backlog for the history chart.

The store is a SQLAlchemy URL: SQLite under the home by default
(`sqlite:///<home>/state/retail_sync.sqlite`), PostgreSQL in production
(`postgresql+psycopg2://…`), chosen with `RETAIL_SYNC_STATE_URL`. Money is kept as integer cents.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from retail_sync.errors import RetailSyncError
from retail_sync.settings import Paths

STATE_URL_ENV = "RETAIL_SYNC_STATE_URL"

OPEN = "open"
PROPOSED = "proposed"
AWAITING_APPROVAL = "awaiting_approval"
POSTED = "posted"
VERIFIED = "verified"
RESOLVED = "resolved"
WAIVED = "waived"
STATUSES = (OPEN, PROPOSED, AWAITING_APPROVAL, POSTED, VERIFIED, RESOLVED, WAIVED)
# Statuses in which an exception still needs someone's attention (or the journals stage's).
UNRESOLVED_STATUSES = (OPEN, PROPOSED, AWAITING_APPROVAL, POSTED, VERIFIED)
CLOSED_STATUSES = (RESOLVED, WAIVED)

# The row fields a run gives for each exception (the recon `exceptions` partition's columns).
EXCEPTION_FIELDS = (
    "exception_id",
    "shop_id",
    "business_date",
    "domain",
    "kind",
    "shopify_ref",
    "erp_ref",
    "account",
    "shopify_amount",
    "erp_amount",
    "variance",
    "currency",
    "detail",
)
_MONEY_FIELDS = ("shopify_amount", "erp_amount", "variance")
_WRITER_OPTION = "retail_sync_writer"
# Keeps each IN (…) list well under SQLite's and PostgreSQL's bound-parameter limits.
_CHUNK = 500


class LifecycleError(RetailSyncError):
    """A run's exceptions cannot be recorded as given (wrong shop, date outside the run, …)."""


metadata = sa.MetaData()

exceptions_table = sa.Table(
    "recon_exceptions",
    metadata,
    sa.Column("shop_id", sa.String(200), primary_key=True),
    sa.Column("exception_id", sa.String(400), primary_key=True),
    sa.Column("business_date", sa.Date, nullable=False),
    sa.Column("domain", sa.String(40), nullable=False),
    sa.Column("kind", sa.String(80), nullable=False),
    sa.Column("shopify_ref", sa.String(400)),
    sa.Column("erp_ref", sa.String(400)),
    sa.Column("account", sa.String(40)),
    sa.Column("currency", sa.String(3)),
    # Integer cents: exact on every backend (SQLite has no exact decimal type).
    sa.Column("shopify_amount_cents", sa.BigInteger),
    sa.Column("erp_amount_cents", sa.BigInteger),
    sa.Column("variance_cents", sa.BigInteger),
    sa.Column("detail", sa.Text),
    sa.Column("status", sa.String(40), nullable=False),
    sa.Column("first_seen", sa.Date, nullable=False),
    sa.Column("last_seen", sa.Date, nullable=False),
    sa.Column("resolved_on", sa.Date),
    sa.Column("reopened_on", sa.Date),
    sa.Column("status_changed_on", sa.Date, nullable=False),
    sa.Index("ix_recon_exceptions_shop_date", "shop_id", "business_date"),
    sa.Index("ix_recon_exceptions_shop_status", "shop_id", "status"),
)

# One row per status change: the audit trail of every exception, and "status as of a date".
exception_events_table = sa.Table(
    "recon_exception_events",
    metadata,
    sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("shop_id", sa.String(200), nullable=False),
    sa.Column("exception_id", sa.String(400), nullable=False),
    sa.Column("changed_on", sa.Date, nullable=False),
    sa.Column("from_status", sa.String(40)),
    sa.Column("to_status", sa.String(40), nullable=False),
    sa.Index("ix_recon_exception_events_shop", "shop_id", "exception_id"),
)

# The shop's backlog after the last run of each day (money exceptions only: inventory is units).
daily_snapshots_table = sa.Table(
    "recon_daily_snapshots",
    metadata,
    sa.Column("shop_id", sa.String(200), primary_key=True),
    sa.Column("seen_on", sa.Date, primary_key=True),
    sa.Column("unresolved", sa.Integer, nullable=False),
    sa.Column("unresolved_abs_variance_cents", sa.BigInteger, nullable=False),
    sa.Column("new", sa.Integer, nullable=False),
    sa.Column("reopened", sa.Integer, nullable=False),
    sa.Column("resolved", sa.Integer, nullable=False),
)


def default_state_url(paths: Paths) -> str:
    """The embedded default: a SQLite file under the home."""
    return f"sqlite:///{paths.home / 'state' / 'retail_sync.sqlite'}"


def state_url_from_environment(paths: Paths) -> str:
    """`RETAIL_SYNC_STATE_URL` if set (PostgreSQL in production), else the embedded default."""
    return os.environ.get(STATE_URL_ENV) or default_state_url(paths)


def to_cents(amount: Decimal | None) -> int | None:
    """Exact integer cents of an amount with at most two decimals; anything finer is an error."""
    if amount is None:
        return None
    cents = Decimal(amount) * 100
    if cents != cents.to_integral_value():
        raise LifecycleError(f"amount {amount} has more than two decimals")
    return int(cents)


def from_cents(cents: int | None) -> Decimal | None:
    return None if cents is None else Decimal(int(cents)).scaleb(-2)


class LifecycleStore:
    """The transactional store behind a SQLAlchemy URL; tables are created when absent."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _engine(url)
        metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> LifecycleStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self, shop_id: str) -> Iterator[sa.Connection]:
        """A transaction holding the shop's writer lock (one writer per shop)."""
        with (
            self.engine.connect().execution_options(**{_WRITER_OPTION: True}) as connection,
            connection.begin(),
        ):
            if self.is_postgresql:
                # SQLite's BEGIN IMMEDIATE already serializes writers; PostgreSQL locks per shop.
                connection.execute(
                    sa.text("select pg_advisory_xact_lock(:key)"), {"key": _lock_key(shop_id)}
                )
            yield connection


def _lock_key(shop_id: str) -> int:
    digest = hashlib.sha256(f"retail_sync.lifecycle:{shop_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _engine(url: str) -> sa.Engine:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30})

    # pysqlite starts transactions lazily and never for reads; take the write lock up front so
    # two writers queue instead of failing on a lock upgrade (SQLAlchemy's documented recipe).
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("pragma journal_mode=wal")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # Readers take no write lock; with WAL they never wait for a writer.
        writer = connection.get_execution_options().get(_WRITER_OPTION)
        connection.exec_driver_sql("begin immediate" if writer else "begin")

    return engine


@dataclass(frozen=True)
class LifecycleSummary:
    """What one recorded run did: ids first seen, seen again, reopened, and resolved."""

    new: int
    persisting: int
    reopened: int
    resolved: int


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


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _row_values(row: Mapping[str, Any]) -> dict[str, Any]:
    """The table columns for a run's exception row (money to cents)."""
    missing = [name for name in ("exception_id", "domain", "kind") if not row.get(name)]
    if missing:
        raise LifecycleError(f"exception row lacks {', '.join(missing)}: {dict(row)}")
    values = {
        name: row.get(name)
        for name in EXCEPTION_FIELDS
        if name not in _MONEY_FIELDS and name != "shop_id"
    }
    for name in _MONEY_FIELDS:
        values[f"{name}_cents"] = to_cents(row.get(name))
    return values


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
    incoming: dict[str, dict[str, Any]] = {}
    for row in exceptions_rows:
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

    table = exceptions_table
    with store.transaction(shop_id) as connection:
        existing: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(dates):
            for found in connection.execute(
                sa.select(table).where(table.c.shop_id == shop_id, table.c.business_date.in_(chunk))
            ).mappings():
                existing[found["exception_id"]] = dict(found)
        unknown = [key for key in incoming if key not in existing]
        for chunk in _chunks(unknown):
            for found in connection.execute(
                sa.select(table).where(table.c.shop_id == shop_id, table.c.exception_id.in_(chunk))
            ).mappings():
                existing[found["exception_id"]] = dict(found)

        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        new = persisting = reopened = resolved = 0
        for exception_id, values in incoming.items():
            before = existing.get(exception_id)
            if before is None:
                inserts.append(
                    {
                        **values,
                        "shop_id": shop_id,
                        "status": OPEN,
                        "first_seen": seen_on,
                        "last_seen": seen_on,
                        "resolved_on": None,
                        "reopened_on": None,
                        "status_changed_on": seen_on,
                    }
                )
                events.append(_event(shop_id, exception_id, seen_on, None, OPEN))
                new += 1
                continue
            after = dict(before)
            if seen_on >= before["last_seen"]:
                after.update(values)
                after["last_seen"] = seen_on
            after["first_seen"] = min(before["first_seen"], seen_on)
            if before["status"] == RESOLVED and seen_on >= (before["resolved_on"] or seen_on):
                after.update(
                    status=OPEN, resolved_on=None, reopened_on=seen_on, status_changed_on=seen_on
                )
                events.append(_event(shop_id, exception_id, seen_on, RESOLVED, OPEN))
            if after["first_seen"] == seen_on:
                new += 1
            elif after["reopened_on"] == seen_on:
                reopened += 1
            else:
                persisting += 1
            if after != before:
                updates.append(after)

        for exception_id, before in existing.items():
            if exception_id in incoming or before["business_date"] not in dates:
                continue
            if before["status"] == RESOLVED:
                resolved += int(before["resolved_on"] == seen_on)
                continue
            if before["status"] == WAIVED or seen_on < before["last_seen"]:
                continue
            updates.append(
                {**before, "status": RESOLVED, "resolved_on": seen_on, "status_changed_on": seen_on}
            )
            events.append(_event(shop_id, exception_id, seen_on, before["status"], RESOLVED))
            resolved += 1

        if inserts:
            connection.execute(sa.insert(table), inserts)
        if updates:
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
                    for row in updates
                ],
            )
        if events:
            connection.execute(sa.insert(exception_events_table), events)
        _write_snapshot(connection, shop_id, seen_on)
    return LifecycleSummary(new=new, persisting=persisting, reopened=reopened, resolved=resolved)


_UPDATABLE = tuple(
    column.name
    for column in exceptions_table.columns
    if column.name not in ("shop_id", "exception_id")
)


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
        for chunk in _chunks(ids):
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
                    resolved_on=changed_on if status == RESOLVED else None,
                )
            )
            connection.execute(
                sa.insert(exception_events_table).values(
                    _event(shop_id, exception_id, changed_on, current[exception_id], status)
                )
            )
            changed += 1
    return changed


def _record(row: Mapping[Any, Any]) -> ExceptionRecord:
    return ExceptionRecord(
        exception_id=row["exception_id"],
        shop_id=row["shop_id"],
        business_date=row["business_date"],
        domain=row["domain"],
        kind=row["kind"],
        shopify_ref=row["shopify_ref"],
        erp_ref=row["erp_ref"],
        account=row["account"],
        currency=row["currency"],
        shopify_amount=from_cents(row["shopify_amount_cents"]),
        erp_amount=from_cents(row["erp_amount_cents"]),
        variance=from_cents(row["variance_cents"]),
        detail=row["detail"],
        status=row["status"],
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        resolved_on=row["resolved_on"],
        reopened_on=row["reopened_on"],
        status_changed_on=row["status_changed_on"],
    )


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
        filters = list(_chunks(sorted(set(business_dates))))
    elif exception_ids is not None:
        query = query.where(table.c.exception_id.in_(sa.bindparam("values", expanding=True)))
        filters = list(_chunks(sorted(set(exception_ids))))
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
    """The shop's unresolved exceptions (open, proposed, …, verified), now or as of a date.

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

"""The exception lifecycle: what each reconciliation run found, kept across runs in one transaction.

Every exception id the reconciliation produces (deterministic: the same discrepancy has the same id
on every run) has one row here with its first and last seen dates, its latest amounts and its
status. Recording a run, per shop and in one transaction:

- an id seen for the first time is inserted `open` with first_seen = last_seen = the run's day;
- an id seen again keeps first_seen, moves last_seen and takes the run's amounts; a `resolved` or
  `verified` one reopens; statuses the journals stage set (proposed, awaiting_approval, posted,
  correction_failed) and `waived` are kept;
- an id of a business date this run reconciled that the run no longer finds is `resolved` on the
  run's day (never deleted), unless it is already resolved, waived or verified (our journal fixed
  it, and the re-reconciliation proved it).

Re-recording the same run leaves the same state. Every status change is appended to an event log,
and each recorded day keeps a snapshot of the shop's backlog for the history chart.

The store is a SQLAlchemy URL: SQLite under the home by default
(`sqlite:///<home>/state/retail_sync.sqlite`), PostgreSQL in production
(`postgresql+psycopg2://…`), chosen with `RETAIL_SYNC_STATE_URL`. Money is kept as integer cents.

Modules: `schema` (tables, statuses, cents), `store` (the URL and the transactional store),
`record` (recording runs and status changes), `read` (what the store knows).
"""

from retail_sync.reconcile.lifecycle.read import (
    DailySnapshot,
    ExceptionRecord,
    StatusEvent,
    daily_history,
    exceptions,
    open_exceptions,
    status_events,
)
from retail_sync.reconcile.lifecycle.record import LifecycleSummary, record_run, set_status
from retail_sync.reconcile.lifecycle.schema import (
    AWAITING_APPROVAL,
    CORRECTION_FAILED,
    EXCEPTION_FIELDS,
    OPEN,
    POSTED,
    PROPOSED,
    RESOLVED,
    STATUSES,
    UNRESOLVED_STATUSES,
    VERIFIED,
    WAIVED,
    LifecycleError,
    daily_snapshots_table,
    exception_events_table,
    exceptions_table,
    from_cents,
    metadata,
    to_cents,
)
from retail_sync.reconcile.lifecycle.store import (
    STATE_URL_ENV,
    LifecycleStore,
    default_state_url,
    state_url_from_environment,
)

__all__ = [
    "AWAITING_APPROVAL",
    "CORRECTION_FAILED",
    "EXCEPTION_FIELDS",
    "OPEN",
    "POSTED",
    "PROPOSED",
    "RESOLVED",
    "STATE_URL_ENV",
    "STATUSES",
    "UNRESOLVED_STATUSES",
    "VERIFIED",
    "WAIVED",
    "DailySnapshot",
    "ExceptionRecord",
    "LifecycleError",
    "LifecycleStore",
    "LifecycleSummary",
    "StatusEvent",
    "daily_history",
    "daily_snapshots_table",
    "default_state_url",
    "exception_events_table",
    "exceptions",
    "exceptions_table",
    "from_cents",
    "metadata",
    "open_exceptions",
    "record_run",
    "set_status",
    "state_url_from_environment",
    "status_events",
    "to_cents",
]

"""The store's tables, the exception statuses, and money as exact integer cents."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from retail_sync.errors import RetailSyncError

OPEN = "open"
PROPOSED = "proposed"
AWAITING_APPROVAL = "awaiting_approval"
POSTED = "posted"
VERIFIED = "verified"
RESOLVED = "resolved"
WAIVED = "waived"
CORRECTION_FAILED = "correction_failed"
STATUSES = (
    OPEN, PROPOSED, AWAITING_APPROVAL, POSTED, VERIFIED, RESOLVED, WAIVED, CORRECTION_FAILED
)  # fmt: skip
# Statuses in which an exception still needs someone's attention (or the journals stage's).
UNRESOLVED_STATUSES = (OPEN, PROPOSED, AWAITING_APPROVAL, POSTED, CORRECTION_FAILED)
# Closed statuses a run that no longer finds the exception keeps: waived by a person, or verified
# (our journal landed and the re-reconciliation found the difference gone).
KEPT_WHEN_GONE = (WAIVED, VERIFIED)

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
# The amounts among them, each stored as a `<name>_cents` column.
MONEY_FIELDS = ("shopify_amount", "erp_amount", "variance")


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

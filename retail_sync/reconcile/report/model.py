"""The settlement report's data: the recon rows read for a shop-day, and the report built from them.

Money stays Decimal; variance totals add money exceptions only (an inventory variance is a
quantity of units, not money).

A shop-day is reconciled when its partitions were written (computed), nothing in it is held, no
exception dated that day is open (unresolved in the lifecycle: a waived or resolved one is not;
one the lifecycle has not recorded yet is) and every clearing account's `residual` is 0.00. A
period is reconciled when every one of its days is. Otherwise the day's status says the first
reason of `not reconciled` (not computed), `held`, `unexplained difference` (a residual) and
`open exceptions`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from retail_sync.reconcile.lifecycle import DailySnapshot

# The unit of a variance that is not money (an inventory count).
QUANTITY_UNIT = "units"

# A shop-day's status, in the order the reasons are checked (the first that applies is shown).
NOT_RECONCILED = "not reconciled"
HELD = "held"
UNEXPLAINED_DIFFERENCE = "unexplained difference"
OPEN_EXCEPTIONS = "open exceptions"
RECONCILED = "reconciled"
DAY_STATUSES = (NOT_RECONCILED, HELD, UNEXPLAINED_DIFFERENCE, OPEN_EXCEPTIONS, RECONCILED)


def day_status(*, computed: bool, held: bool, unexplained: bool, open_exceptions: int) -> str:
    """The status of a shop-day: `reconciled`, or the first reason it is not."""
    if not computed:
        return NOT_RECONCILED
    if held:
        return HELD
    if unexplained:
        return UNEXPLAINED_DIFFERENCE
    if open_exceptions:
        return OPEN_EXCEPTIONS
    return RECONCILED


def has_residual(rollforward: Iterable[Mapping[str, Any]]) -> bool:
    """Some account's residual is not 0.00 (a missing residual counts as not 0.00)."""
    return any(row.get("residual") is None or row["residual"] != 0 for row in rollforward)


@dataclass(frozen=True)
class ReconPartition:
    """The recon rows of one shop and date; `computed` is False when none were written."""

    shop_id: str
    business_date: date
    computed: bool
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    holds: list[dict[str, Any]] = field(default_factory=list)
    match_summary: list[dict[str, Any]] = field(default_factory=list)
    clearing_rollforward: list[dict[str, Any]] = field(default_factory=list)
    posting_latency: list[dict[str, Any]] = field(default_factory=list)
    inventory_status: list[dict[str, Any]] = field(default_factory=list)
    exception_lines: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status(self) -> str:
        """The shop-day's status without the lifecycle: every exception dated that day is open."""
        return day_status(
            computed=self.computed,
            held=bool(self.holds),
            unexplained=has_residual(self.clearing_rollforward),
            open_exceptions=len(self.exceptions),
        )

    @property
    def reconciled(self) -> bool:
        """Written, nothing held, no exception and no residual on any clearing account."""
        return self.status == RECONCILED


@dataclass(frozen=True)
class HeldRecord:
    """A record the reconciliation cannot vouch for (sql/recon/holds.sql)."""

    domain: str
    shopify_ref: str
    reason: str
    detail: str


@dataclass(frozen=True)
class DailyExceptions:
    """Exceptions found for one business date (money variance only); `computed`: written."""

    business_date: date
    computed: bool
    exceptions: int
    abs_variance: Decimal


@dataclass(frozen=True)
class AccountBridge:
    """One clearing account's bridge over a day or a period: why the ledger moved otherwise.

    `difference` (ledger − expected movement) = `explained` (Σ exception line deltas on the account
    and ledger dates, `clearing_unexplained` left out) + `timing` (entries booked on another day
    than their business date) + `residual` (what nothing explains). `by_kind` splits the lines
    the report found by exception kind; `unattributed` is what of `explained` they do not cover
    (0.00 unless some exception lines are not in the lake).
    """

    account: str
    difference: Decimal | None
    explained: Decimal | None
    by_kind: tuple[tuple[str, Decimal], ...]
    timing: Decimal | None
    residual: Decimal | None

    @property
    def unattributed(self) -> Decimal:
        found = sum((amount for _, amount in self.by_kind), Decimal("0.00"))
        return (self.explained or Decimal("0.00")) - found

    @property
    def unexplained(self) -> bool:
        return self.residual is None or self.residual != 0


@dataclass(frozen=True)
class DayStatus:
    """A day of the period as far as the report's date: its status and why."""

    business_date: date
    status: str
    open_exceptions: int
    abs_residual: Decimal


@dataclass(frozen=True)
class DomainMatch:
    domain: str
    records: int
    matched: int
    shopify_amount: Decimal | None
    erp_amount: Decimal | None

    @property
    def matched_pct(self) -> float | None:
        return _pct(self.matched, self.records)


@dataclass(frozen=True)
class KindTotal:
    domain: str
    kind: str
    count: int
    abs_variance: Decimal
    unit: str


@dataclass(frozen=True)
class OpenException:
    exception_id: str
    domain: str
    kind: str
    variance: Decimal | None
    unit: str
    shopify_ref: str | None
    erp_ref: str | None
    account: str | None
    counter_account: str | None
    status: str
    first_seen: date | None
    age_days: int | None
    detail: str | None


@dataclass(frozen=True)
class LatencyStats:
    posted: int
    not_posted: int
    p50_days: int | None
    p95_days: int | None
    max_days: int | None


@dataclass(frozen=True)
class InventoryStats:
    items: int
    matched: int
    captured_at: datetime | None
    freshness_hours: float | None


@dataclass(frozen=True)
class LifecycleCounts:
    """This business date's exceptions by what the run of `seen_on` did to them."""

    new: int
    persisting: int
    reopened: int
    resolved: int
    unresolved: int


@dataclass(frozen=True)
class SettlementReport:
    shop_id: str
    business_date: date
    seen_on: date
    computed: bool
    holds: list[HeldRecord]
    domains: list[DomainMatch]
    kinds: list[KindTotal]
    abs_variance_by_currency: dict[str, Decimal]
    exception_count: int
    rollforward: list[dict[str, Any]]
    payouts_reconciled: int
    payouts_total: int
    latency: LatencyStats
    inventory: InventoryStats | None
    lifecycle: LifecycleCounts
    largest_open: list[OpenException]
    trend: list[DailyExceptions]
    backlog: list[DailySnapshot]
    # Exceptions dated this day that are unresolved (after waivers); the clearing bridge of the
    # day and of its period to date (from the 1st of the month through this day), per account.
    open_exceptions: int
    bridge: list[AccountBridge]
    period: str
    period_bridge: list[AccountBridge]
    period_days: list[DayStatus]

    @property
    def unexplained(self) -> bool:
        """Some clearing account's residual is not 0.00 this day."""
        return any(account.unexplained for account in self.bridge)

    @property
    def abs_residual(self) -> Decimal:
        """Σ|residual| over the clearing accounts this day."""
        return sum(
            (abs(account.residual) for account in self.bridge if account.residual is not None),
            Decimal("0.00"),
        )

    @property
    def status(self) -> str:
        """`reconciled`, or why not: `not reconciled` (not computed), `held`, `unexplained
        difference` (a residual on a clearing account) or `open exceptions`."""
        return day_status(
            computed=self.computed,
            held=bool(self.holds),
            unexplained=self.unexplained,
            open_exceptions=self.open_exceptions,
        )

    @property
    def reconciled(self) -> bool:
        """Computed, nothing held, no open exception and no residual: nothing left to explain."""
        return self.status == RECONCILED

    @property
    def period_reconciled(self) -> bool:
        """Every day of the period to date is reconciled."""
        return bool(self.period_days) and all(day.status == RECONCILED for day in self.period_days)

    @property
    def held_payouts(self) -> int:
        return sum(hold.domain == "payouts" for hold in self.holds)

    @property
    def records(self) -> int:
        return sum(domain.records for domain in self.domains)

    @property
    def matched(self) -> int:
        return sum(domain.matched for domain in self.domains)

    @property
    def matched_pct(self) -> float | None:
        return _pct(self.matched, self.records)

    @property
    def total_abs_variance(self) -> Decimal | None:
        """Σ|variance| of money exceptions; None when they are in more than one currency."""
        if len(self.abs_variance_by_currency) > 1:
            return None
        return next(iter(self.abs_variance_by_currency.values()), Decimal("0.00"))

    @property
    def payouts_reconciled_pct(self) -> float | None:
        return _pct(self.payouts_reconciled, self.payouts_total)


def _pct(part: int, whole: int) -> float | None:
    if not whole:
        return None
    return float(round(Decimal(part) * 100 / Decimal(whole), 2))

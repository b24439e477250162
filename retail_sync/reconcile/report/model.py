"""The settlement report's data: the recon rows read for a shop-day, and the report built from them.

Money stays Decimal; variance totals add money exceptions only (an inventory variance is a
quantity of units, not money).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from retail_sync.reconcile.lifecycle import DailySnapshot

# The unit of a variance that is not money (an inventory count).
QUANTITY_UNIT = "units"


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

    @property
    def reconciled(self) -> bool:
        """Written, and no record of the shop-day held."""
        return self.computed and not self.holds


@dataclass(frozen=True)
class HeldRecord:
    """A record the reconciliation cannot vouch for (sql/recon/holds.sql)."""

    domain: str
    shopify_ref: str
    reason: str
    detail: str


@dataclass(frozen=True)
class DailyExceptions:
    """Exceptions found for one business date (money variance only)."""

    business_date: date
    reconciled: bool
    exceptions: int
    abs_variance: Decimal


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

    @property
    def reconciled(self) -> bool:
        """Computed and nothing held: the day's figures can be relied on as a whole."""
        return self.computed and not self.holds

    @property
    def status(self) -> str:
        """`reconciled`, `held` (computed, some records held) or `not reconciled`."""
        if not self.computed:
            return "not reconciled"
        return "held" if self.holds else "reconciled"

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

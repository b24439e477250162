"""Building the report of one shop-day from its recon rows and lifecycle records (pure).

Everything here is a function of its inputs: the same partition, records and dates give the same
report.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from retail_sync.reconcile.lifecycle import (
    OPEN,
    UNRESOLVED_STATUSES,
    DailySnapshot,
    ExceptionRecord,
)
from retail_sync.reconcile.report.model import (
    QUANTITY_UNIT,
    AccountBridge,
    DailyExceptions,
    DayStatus,
    DomainMatch,
    HeldRecord,
    InventoryStats,
    KindTotal,
    LatencyStats,
    LifecycleCounts,
    OpenException,
    ReconPartition,
    SettlementReport,
    day_status,
    has_residual,
)

# The kind of a clearing residual's own exception: its line is left out of `explained`.
UNEXPLAINED_KIND = "clearing_unexplained"
# How the bridge names exception lines whose exception is not in the lake.
UNKNOWN_KIND = "(exception not in the lake)"
# The bridge's money columns of a roll-forward row.
BRIDGE_COLUMNS = ("difference", "explained", "timing", "residual")
# The order in which the report lists the domains.
DOMAINS = ("orders", "refunds", "fees", "payouts", "clearing", "inventory")
LARGEST_OPEN_LIMIT = 20
# (name, Dagster table column type, description) of the largest-open-exceptions table.
LARGEST_OPEN_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("exception_id", "string", "Deterministic id: the same discrepancy has it on every run"),
    ("domain", "string", "orders, refunds, fees, payouts, clearing or inventory"),
    ("kind", "string", "What is wrong (docs/finance.md lists every kind)"),
    ("variance", "float", "ERP − Shopify, in the unit given"),
    ("unit", "string", "Currency code, or units for inventory"),
    ("shopify_ref", "string", "The Shopify record"),
    ("erp_ref", "string", "The ERP transaction"),
    ("account", "string", "GL account"),
    ("counter_account", "string", "The other account (a misposting's, or the offset)"),
    ("status", "string", "open, proposed, awaiting_approval, posted, correction_failed"),
    ("first_seen", "string", "First run that found it"),
    ("age_days", "int", "Days since first seen"),
    ("detail", "string", "What the reconciliation saw"),
)


def build_settlement_report(
    partition: ReconPartition,
    records: Iterable[ExceptionRecord],
    *,
    seen_on: date,
    trend: Sequence[DailyExceptions] = (),
    backlog: Sequence[DailySnapshot] = (),
    period: Sequence[ReconPartition] = (),
    bridge_lines: Iterable[Mapping[str, Any]] = (),
    largest_limit: int = LARGEST_OPEN_LIMIT,
) -> SettlementReport:
    """The report of one partition, given the lifecycle records of its business date.

    `period`: the partitions of the period's days to date (this one last; just this one when not
    given), with `records` covering their dates. `bridge_lines`: Σ exception line delta per
    `ledger_date`, `account` and `kind` over those days (`read.read_bridge_lines`).
    """
    by_id = {record.exception_id: record for record in records}
    rows = partition.exceptions
    domains = _domain_matches(partition.match_summary)
    payouts = next((match for match in domains if match.domain == "payouts"), None)
    days = [day for day in period if day.business_date != partition.business_date] + [partition]
    lines = [line for line in bridge_lines if line["kind"] != UNEXPLAINED_KIND]
    open_rows = _open_exceptions(rows, by_id, seen_on)
    in_period = set(period_dates(partition.business_date))
    return SettlementReport(
        shop_id=partition.shop_id,
        business_date=partition.business_date,
        seen_on=seen_on,
        computed=partition.computed,
        holds=_held_records(partition.holds),
        domains=domains,
        kinds=_kind_totals(rows),
        abs_variance_by_currency=_abs_variance_by_currency(rows),
        exception_count=len(rows),
        rollforward=list(partition.clearing_rollforward),
        payouts_reconciled=payouts.matched if payouts else 0,
        payouts_total=payouts.records if payouts else 0,
        latency=_latency_stats(partition.posting_latency),
        inventory=_inventory_stats(partition.inventory_status),
        lifecycle=_lifecycle_counts(rows, by_id, partition.business_date, seen_on),
        largest_open=open_rows[:largest_limit],
        trend=list(trend),
        backlog=list(backlog),
        open_exceptions=len(open_rows),
        bridge=_account_bridges(
            partition.clearing_rollforward,
            [line for line in lines if line["ledger_date"] == partition.business_date],
        ),
        period=_period(partition.business_date),
        period_bridge=_account_bridges(
            [row for day in days for row in day.clearing_rollforward],
            [line for line in lines if line["ledger_date"] in in_period],
        ),
        period_days=sorted(
            (_day_status(day, by_id, seen_on) for day in days),
            key=lambda status: status.business_date,
        ),
    )


def _period(day: date) -> str:
    return day.strftime("%Y-%m")


def period_dates(business_date: date) -> list[date]:
    """The days of the business date's period (its calendar month) up to and including it."""
    first = business_date.replace(day=1)
    return [first + timedelta(days=offset) for offset in range((business_date - first).days + 1)]


def _day_status(
    partition: ReconPartition, by_id: Mapping[str, ExceptionRecord], seen_on: date
) -> DayStatus:
    """A day of the period: its status, with open exceptions per the lifecycle."""
    open_count = len(_open_exceptions(partition.exceptions, by_id, seen_on))
    return DayStatus(
        business_date=partition.business_date,
        status=day_status(
            computed=partition.computed,
            held=bool(partition.holds),
            unexplained=has_residual(partition.clearing_rollforward),
            open_exceptions=open_count,
        ),
        open_exceptions=open_count,
        abs_residual=sum(
            (abs(row["residual"]) for row in partition.clearing_rollforward if row.get("residual")),
            Decimal("0.00"),
        ),
    )


def _sum_or_none(values: Iterable[Decimal | None]) -> Decimal | None:
    """Σ of the values; None when one of them is missing (a bridge term not computed)."""
    total = Decimal("0.00")
    for value in values:
        if value is None:
            return None
        total += value
    return total


def _account_bridges(
    rollforward: Iterable[Mapping[str, Any]], lines: Iterable[Mapping[str, Any]]
) -> list[AccountBridge]:
    """Per clearing account, the roll-forward rows' bridge terms summed and the lines by kind.

    Accounts come from the roll-forward: lines on other accounts are not part of the bridge.
    """
    terms: dict[str, dict[str, list[Decimal | None]]] = defaultdict(
        lambda: {name: [] for name in BRIDGE_COLUMNS}
    )
    for row in rollforward:
        for name in BRIDGE_COLUMNS:
            terms[row["account"]][name].append(row.get(name))
    kinds: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for line in lines:
        if line["account"] in terms:
            kinds[line["account"]][line["kind"] or UNKNOWN_KIND] += line["delta"] or 0
    return [
        AccountBridge(
            account=account,
            difference=_sum_or_none(values["difference"]),
            explained=_sum_or_none(values["explained"]),
            by_kind=tuple(
                (kind, amount.quantize(Decimal("0.01")))
                for kind, amount in sorted(kinds[account].items())
                if amount != 0
            ),
            timing=_sum_or_none(values["timing"]),
            residual=_sum_or_none(values["residual"]),
        )
        for account, values in sorted(terms.items())
    ]


def _held_records(holds: Iterable[Mapping[str, Any]]) -> list[HeldRecord]:
    return [
        HeldRecord(
            domain=row["domain"],
            shopify_ref=row["shopify_ref"],
            reason=row["reason"],
            detail=row["detail"],
        )
        for row in holds
    ]


def _domain_matches(match_summary: Iterable[Mapping[str, Any]]) -> list[DomainMatch]:
    """Records and matches per domain, in the order of DOMAINS (others after, by name)."""
    return sorted(
        (
            DomainMatch(
                domain=row["domain"],
                records=int(row["records"] or 0),
                matched=int(row["matched"] or 0),
                shopify_amount=row["shopify_amount"],
                erp_amount=row["erp_amount"],
            )
            for row in match_summary
        ),
        key=lambda match: (_domain_rank(match.domain), match.domain),
    )


def _domain_rank(domain: str) -> int:
    return DOMAINS.index(domain) if domain in DOMAINS else len(DOMAINS)


def _unit(row: Mapping[str, Any]) -> str:
    return row.get("currency") or QUANTITY_UNIT


def _kind_totals(rows: Iterable[Mapping[str, Any]]) -> list[KindTotal]:
    """Exceptions and Σ|variance| per domain, kind and unit; the most frequent first."""
    kind_counts: dict[tuple[str, str, str], list[Any]] = defaultdict(lambda: [0, Decimal("0.00")])
    for row in rows:
        total = kind_counts[(row["domain"], row["kind"], _unit(row))]
        total[0] += 1
        total[1] += abs(row["variance"] or 0)
    return sorted(
        (
            KindTotal(domain, kind, count, Decimal(variance).quantize(Decimal("0.01")), unit)
            for (domain, kind, unit), (count, variance) in kind_counts.items()
        ),
        key=lambda total: (-total.count, -total.abs_variance, total.domain, total.kind),
    )


def _abs_variance_by_currency(rows: Iterable[Mapping[str, Any]]) -> dict[str, Decimal]:
    """Σ|variance| of the money exceptions per currency, by currency code."""
    by_currency: dict[str, Decimal] = {}
    for row in rows:
        if row.get("currency"):
            by_currency[row["currency"]] = by_currency.get(row["currency"], Decimal("0.00")) + abs(
                row["variance"] or 0
            )
    return {
        currency: total.quantize(Decimal("0.01")) for currency, total in sorted(by_currency.items())
    }


def _nearest_rank(sorted_values: Sequence[int], quantile: float) -> int | None:
    """The smallest value with at least `quantile` of the values at or below it."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(quantile * len(sorted_values)))
    return sorted_values[rank - 1]


def _latency_stats(posting_latency: Sequence[Mapping[str, Any]]) -> LatencyStats:
    lags = sorted(int(row["lag_days"]) for row in posting_latency if row["lag_days"] is not None)
    return LatencyStats(
        posted=len(lags),
        not_posted=sum(row["lag_days"] is None for row in posting_latency),
        p50_days=_nearest_rank(lags, 0.50),
        p95_days=_nearest_rank(lags, 0.95),
        max_days=lags[-1] if lags else None,
    )


def _inventory_stats(inventory_status: Sequence[Mapping[str, Any]]) -> InventoryStats | None:
    """Items and matches summed; the capture time and freshness of the first row."""
    if not inventory_status:
        return None
    first = inventory_status[0]
    return InventoryStats(
        items=sum(int(row["items"] or 0) for row in inventory_status),
        matched=sum(int(row["matched"] or 0) for row in inventory_status),
        captured_at=first["captured_at"],
        freshness_hours=(
            None if first["freshness_hours"] is None else float(first["freshness_hours"])
        ),
    )


def _lifecycle_counts(
    rows: Iterable[Mapping[str, Any]],
    by_id: Mapping[str, ExceptionRecord],
    business_date: date,
    seen_on: date,
) -> LifecycleCounts:
    """The business date's exceptions by what the run of `seen_on` did to them."""
    present = {row["exception_id"] for row in rows}
    date_records = [r for r in by_id.values() if r.business_date == business_date]
    return LifecycleCounts(
        new=sum(r.exception_id in present and r.first_seen == seen_on for r in date_records),
        reopened=sum(
            r.exception_id in present and r.first_seen != seen_on and r.reopened_on == seen_on
            for r in date_records
        ),
        persisting=sum(
            r.exception_id in present and r.first_seen != seen_on and r.reopened_on != seen_on
            for r in date_records
        ),
        resolved=sum(
            r.exception_id not in present and r.resolved_on == seen_on for r in date_records
        ),
        unresolved=sum(
            r.exception_id in present and r.status in UNRESOLVED_STATUSES for r in date_records
        ),
    )


def _open_exceptions(
    rows: Iterable[Mapping[str, Any]], by_id: Mapping[str, ExceptionRecord], seen_on: date
) -> list[OpenException]:
    """The unresolved exceptions (open when not recorded yet), the largest |variance| first."""
    open_rows: list[OpenException] = []
    for row in rows:
        record = by_id.get(row["exception_id"])
        status = record.status if record else OPEN
        if status not in UNRESOLVED_STATUSES:
            continue
        open_rows.append(
            OpenException(
                exception_id=row["exception_id"],
                domain=row["domain"],
                kind=row["kind"],
                variance=row["variance"],
                unit=_unit(row),
                shopify_ref=row.get("shopify_ref"),
                erp_ref=row.get("erp_ref"),
                account=row.get("account"),
                counter_account=row.get("counter_account"),
                status=status,
                first_seen=record.first_seen if record else None,
                age_days=record.age_days(seen_on) if record else None,
                detail=row.get("detail"),
            )
        )
    open_rows.sort(key=lambda item: (-abs(item.variance or Decimal(0)), item.exception_id))
    return open_rows


def report_figures(report: SettlementReport) -> dict[str, float | int | None]:
    """The numbers to plot per partition (None where there is nothing to measure)."""
    total = report.total_abs_variance
    inventory = report.inventory
    return {
        "exception_count": report.exception_count,
        "unresolved_exceptions": report.lifecycle.unresolved,
        "new_exceptions": report.lifecycle.new,
        "resolved_exceptions": report.lifecycle.resolved,
        "total_abs_variance": None if total is None else float(total),
        "matched_pct": report.matched_pct,
        "order_posting_latency_p50_days": report.latency.p50_days,
        "order_posting_latency_p95_days": report.latency.p95_days,
        "orders_not_posted": report.latency.not_posted,
        "inventory_freshness_hours": None if inventory is None else inventory.freshness_hours,
        "payouts_reconciled_pct": report.payouts_reconciled_pct,
        "held_records": len(report.holds),
        "held_payouts": report.held_payouts,
        "open_exceptions": report.open_exceptions,
        "abs_residual": float(report.abs_residual),
    }


def largest_open_rows(report: SettlementReport) -> list[dict[str, str | int | float | None]]:
    """The largest unresolved exceptions as plain values (columns of LARGEST_OPEN_COLUMNS)."""
    return [
        {
            "exception_id": item.exception_id,
            "domain": item.domain,
            "kind": item.kind,
            "variance": None if item.variance is None else float(item.variance),
            "unit": item.unit,
            "shopify_ref": item.shopify_ref,
            "erp_ref": item.erp_ref,
            "account": item.account,
            "counter_account": item.counter_account,
            "status": item.status,
            "first_seen": item.first_seen.isoformat() if item.first_seen else None,
            "age_days": item.age_days,
            "detail": item.detail,
        }
        for item in report.largest_open
    ]

"""The settlement report of one shop and business date, for a finance reader (docs/finance.md).

Built from the six `recon` partitions of that date (read with DuckDB from the lake) and the
exception lifecycle store: matched % per domain, exceptions by kind, the clearing roll-forward,
payouts reconciled, posting latency, inventory freshness, the largest unresolved exceptions, and
a chart of exceptions and variance over the recent business dates. Reading is kept apart from
building, so everything between the reads and the files is a pure function of its inputs; the
same inputs give a byte-identical HTML file.

A shop-day is reconciled when its partitions were written and nothing in it is held; a held
record (an inconsistent payout, a quarantined record: `recon/holds`) makes its shop-day "held",
listed with the reason, while the rest of the day is reported as usual.

Money stays Decimal here; variance totals add money exceptions only (an inventory variance is a
quantity of units, not money).
"""

from __future__ import annotations

import html
import io
import math
import os
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from retail_sync.reconcile.lifecycle import (
    UNRESOLVED_STATUSES,
    DailySnapshot,
    ExceptionRecord,
    LifecycleStore,
    daily_history,
    exceptions,
)
from retail_sync.settings import Paths
from retail_sync.warehouse.lake import PARTITION_FILE, Lake

RECON_ZONE = "recon"
RECON_SOURCE = "shopify"
# Each recon entity and the columns the report reads from it.
RECON_COLUMNS: dict[str, tuple[str, ...]] = {
    "exceptions": (
        "exception_id", "shop_id", "business_date", "domain", "kind", "shopify_ref", "erp_ref",
        "account", "shopify_amount", "erp_amount", "variance", "currency", "detail",
    ),
    "holds": ("shop_id", "business_date", "domain", "shopify_ref", "reason", "detail"),
    "match_summary": (
        "shop_id", "business_date", "domain", "records", "matched", "shopify_amount",
        "erp_amount",
    ),
    "clearing_rollforward": (
        "shop_id", "business_date", "period", "account", "opening", "charges", "refunds", "fees",
        "disputes", "adjustments", "reserves", "payouts", "expected_closing", "ledger_closing",
        "difference", "unpaid_balance",
    ),
    "posting_latency": ("shop_id", "business_date", "order_id", "lag_days"),
    "inventory_status": (
        "shop_id", "business_date", "items", "matched", "captured_at", "freshness_hours",
    ),
}  # fmt: skip
ORDER_BY: dict[str, str] = {
    "exceptions": "exception_id",
    "holds": "domain, shopify_ref, reason",
    "match_summary": "domain",
    "clearing_rollforward": "account",
    "posting_latency": "order_id",
    "inventory_status": "items",
}
DOMAINS = ("orders", "refunds", "fees", "payouts", "clearing", "inventory")
ROLLFORWARD_LINES = (
    ("opening", "Opening balance"),
    ("charges", "Charges"),
    ("refunds", "Refunds"),
    ("fees", "Processing fees"),
    ("disputes", "Disputes"),
    ("adjustments", "Adjustments"),
    ("reserves", "Reserves"),
    ("payouts", "Payouts"),
    ("expected_closing", "Expected closing"),
    ("ledger_closing", "Ledger closing"),
    ("difference", "Difference (ledger − expected)"),
    ("unpaid_balance", "Not yet paid out (Σ balance transactions)"),
)
LARGEST_OPEN_LIMIT = 20
TREND_DAYS = 30
QUANTITY_UNIT = "units"
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
    ("status", "string", "open, proposed, awaiting_approval, posted, verified"),
    ("first_seen", "string", "First run that found it"),
    ("age_days", "int", "Days since first seen"),
    ("detail", "string", "What the reconciliation saw"),
)


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


# Reading -----------------------------------------------------------------------------------------


def recon_file(lake: Lake, entity: str, shop_id: str, business_date: date) -> Path:
    """Where the recon engine writes an entity's partition."""
    directory = lake.partition_dir(
        RECON_ZONE, RECON_SOURCE, entity, shop=shop_id, date=business_date.isoformat()
    )
    return directory / PARTITION_FILE


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def read_recon_partition(lake: Lake, shop_id: str, business_date: date) -> ReconPartition:
    """The five recon partitions of one shop and date (absent ones read as no rows)."""
    import duckdb

    tables: dict[str, list[dict[str, Any]]] = {}
    with duckdb.connect() as connection:
        connection.execute("set TimeZone = 'UTC'")
        for entity, columns in RECON_COLUMNS.items():
            path = recon_file(lake, entity, shop_id, business_date)
            if not path.exists():
                tables[entity] = []
                continue
            result = connection.execute(
                f"select {', '.join(columns)} from read_parquet({_quote(path)}) "
                f"order by {ORDER_BY[entity]}"
            )
            names = [description[0] for description in result.description]
            tables[entity] = [dict(zip(names, row, strict=True)) for row in result.fetchall()]
    return ReconPartition(
        shop_id=shop_id,
        business_date=business_date,
        computed=recon_file(lake, "exceptions", shop_id, business_date).exists(),
        **tables,
    )


def read_exception_trend(
    lake: Lake, shop_id: str, until: date, *, days: int = TREND_DAYS
) -> list[DailyExceptions]:
    """Exceptions and Σ|money variance| per business date, for the `days` dates ending `until`."""
    import duckdb

    dates = [until - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    files = {
        day: path
        for day in dates
        if (path := recon_file(lake, "exceptions", shop_id, day)).exists()
    }
    found: dict[date, tuple[int, Decimal]] = {}
    if files:
        with duckdb.connect() as connection:
            rows = connection.execute(
                "select business_date, count(*), "
                "coalesce(sum(abs(variance)) filter (where currency is not null), 0) "
                f"from read_parquet([{', '.join(_quote(path) for path in files.values())}]) "
                "group by business_date"
            ).fetchall()
        found = {row[0]: (int(row[1]), Decimal(row[2]).quantize(Decimal("0.01"))) for row in rows}
    return [
        DailyExceptions(
            business_date=day,
            reconciled=day in files,
            exceptions=found.get(day, (0, Decimal("0.00")))[0],
            abs_variance=found.get(day, (0, Decimal("0.00")))[1],
        )
        for day in dates
    ]


def load_settlement_report(
    lake: Lake,
    store: LifecycleStore,
    shop_id: str,
    business_date: date,
    seen_on: date,
    *,
    partition: ReconPartition | None = None,
    trend_days: int = TREND_DAYS,
) -> SettlementReport:
    """Read everything the report of one shop and date needs (but `partition`, if given)."""
    return build_settlement_report(
        partition or read_recon_partition(lake, shop_id, business_date),
        exceptions(store, shop_id, business_dates=[business_date]),
        seen_on=seen_on,
        trend=read_exception_trend(lake, shop_id, business_date, days=trend_days),
        backlog=daily_history(store, shop_id, days=trend_days, until=seen_on),
    )


# Building (pure) ---------------------------------------------------------------------------------


def _nearest_rank(sorted_values: Sequence[int], quantile: float) -> int | None:
    """The smallest value with at least `quantile` of the values at or below it."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(quantile * len(sorted_values)))
    return sorted_values[rank - 1]


def _unit(row: Mapping[str, Any]) -> str:
    return row.get("currency") or QUANTITY_UNIT


def build_settlement_report(
    partition: ReconPartition,
    records: Iterable[ExceptionRecord],
    *,
    seen_on: date,
    trend: Sequence[DailyExceptions] = (),
    backlog: Sequence[DailySnapshot] = (),
    largest_limit: int = LARGEST_OPEN_LIMIT,
) -> SettlementReport:
    """The report of one partition, given the lifecycle records of its business date."""
    by_id = {record.exception_id: record for record in records}
    rows = partition.exceptions

    domains = sorted(
        (
            DomainMatch(
                domain=row["domain"],
                records=int(row["records"] or 0),
                matched=int(row["matched"] or 0),
                shopify_amount=row["shopify_amount"],
                erp_amount=row["erp_amount"],
            )
            for row in partition.match_summary
        ),
        key=lambda match: (_domain_rank(match.domain), match.domain),
    )

    kind_counts: dict[tuple[str, str, str], list[Any]] = defaultdict(lambda: [0, Decimal("0.00")])
    by_currency: dict[str, Decimal] = {}
    for row in rows:
        total = kind_counts[(row["domain"], row["kind"], _unit(row))]
        total[0] += 1
        total[1] += abs(row["variance"] or 0)
        if row.get("currency"):
            by_currency[row["currency"]] = by_currency.get(row["currency"], Decimal("0.00")) + abs(
                row["variance"] or 0
            )
    kinds = sorted(
        (
            KindTotal(domain, kind, count, Decimal(variance).quantize(Decimal("0.01")), unit)
            for (domain, kind, unit), (count, variance) in kind_counts.items()
        ),
        key=lambda total: (-total.count, -total.abs_variance, total.domain, total.kind),
    )

    payouts = next((match for match in domains if match.domain == "payouts"), None)

    lags = sorted(
        int(row["lag_days"]) for row in partition.posting_latency if row["lag_days"] is not None
    )
    latency = LatencyStats(
        posted=len(lags),
        not_posted=sum(row["lag_days"] is None for row in partition.posting_latency),
        p50_days=_nearest_rank(lags, 0.50),
        p95_days=_nearest_rank(lags, 0.95),
        max_days=lags[-1] if lags else None,
    )

    inventory = None
    if partition.inventory_status:
        first = partition.inventory_status[0]
        inventory = InventoryStats(
            items=sum(int(row["items"] or 0) for row in partition.inventory_status),
            matched=sum(int(row["matched"] or 0) for row in partition.inventory_status),
            captured_at=first["captured_at"],
            freshness_hours=(
                None if first["freshness_hours"] is None else float(first["freshness_hours"])
            ),
        )

    present = {row["exception_id"] for row in rows}
    date_records = [r for r in by_id.values() if r.business_date == partition.business_date]
    lifecycle = LifecycleCounts(
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

    open_rows: list[OpenException] = []
    for row in rows:
        record = by_id.get(row["exception_id"])
        status = record.status if record else "open"
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
                status=status,
                first_seen=record.first_seen if record else None,
                age_days=record.age_days(seen_on) if record else None,
                detail=row.get("detail"),
            )
        )
    open_rows.sort(key=lambda item: (-abs(item.variance or Decimal(0)), item.exception_id))

    return SettlementReport(
        shop_id=partition.shop_id,
        business_date=partition.business_date,
        seen_on=seen_on,
        computed=partition.computed,
        holds=[
            HeldRecord(
                domain=row["domain"],
                shopify_ref=row["shopify_ref"],
                reason=row["reason"],
                detail=row["detail"],
            )
            for row in partition.holds
        ],
        domains=domains,
        kinds=kinds,
        abs_variance_by_currency={
            currency: total.quantize(Decimal("0.01"))
            for currency, total in sorted(by_currency.items())
        },
        exception_count=len(rows),
        rollforward=list(partition.clearing_rollforward),
        payouts_reconciled=payouts.matched if payouts else 0,
        payouts_total=payouts.records if payouts else 0,
        latency=latency,
        inventory=inventory,
        lifecycle=lifecycle,
        largest_open=open_rows[:largest_limit],
        trend=list(trend),
        backlog=list(backlog),
    )


def _domain_rank(domain: str) -> int:
    return DOMAINS.index(domain) if domain in DOMAINS else len(DOMAINS)


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
            "status": item.status,
            "first_seen": item.first_seen.isoformat() if item.first_seen else None,
            "age_days": item.age_days,
            "detail": item.detail,
        }
        for item in report.largest_open
    ]


# Rendering ---------------------------------------------------------------------------------------


def money(amount: Decimal | None) -> str:
    return "—" if amount is None else f"{amount:,.2f}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} %"


def _amount_in(amount: Decimal | None, unit: str) -> str:
    if amount is None:
        return "—"
    if unit == QUANTITY_UNIT:
        return f"{amount.normalize():f} {unit}"
    return f"{money(amount)} {unit}"


def _variance_text(report: SettlementReport) -> str:
    if not report.abs_variance_by_currency:
        return "no money variance"
    return " + ".join(
        f"{money(total)} {currency}" for currency, total in report.abs_variance_by_currency.items()
    )


def _days(value: int | None) -> str:
    return "—" if value is None else f"{value} d"


def summary_sections(report: SettlementReport) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of each table the markdown and the HTML both show."""
    sections: list[tuple[str, list[str], list[list[str]]]] = []
    if report.holds:
        sections.append(
            (
                "Held records (not reconciled, no journal proposed)",
                ["domain", "record", "reason", "detail"],
                [
                    [hold.domain, hold.shopify_ref, hold.reason, hold.detail]
                    for hold in report.holds
                ],
            )
        )
    sections.append(
        (
            "Matched by domain",
            ["domain", "records", "matched", "matched %", "Shopify", "ERP"],
            [
                [
                    match.domain,
                    str(match.records),
                    str(match.matched),
                    _percent(match.matched_pct),
                    money(match.shopify_amount),
                    money(match.erp_amount),
                ]
                for match in report.domains
            ],
        )
    )
    sections.append(
        (
            "Exceptions by kind",
            ["kind", "domain", "count", "Σ |variance|"],
            [
                [
                    total.kind,
                    total.domain,
                    str(total.count),
                    _amount_in(total.abs_variance, total.unit),
                ]
                for total in report.kinds
            ],
        )
    )
    if report.rollforward:
        header = ["line"] + [f"{row['account']} ({row['period']})" for row in report.rollforward]
        sections.append(
            (
                "Clearing account roll-forward",
                header,
                [
                    [label] + [money(row[name]) for row in report.rollforward]
                    for name, label in ROLLFORWARD_LINES
                ],
            )
        )
    return sections


def _markdown_cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def _markdown_table(header: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "_none_"
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_markdown_cell(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def headline(report: SettlementReport) -> list[str]:
    """The few sentences a finance reader needs before any table."""
    if not report.computed:
        return [
            f"{report.business_date} has not been reconciled yet for {report.shop_id}: "
            "no exceptions partition was written."
        ]
    life = report.lifecycle
    latency = report.latency
    lines = []
    if report.holds:
        reasons = ", ".join(sorted({hold.reason for hold in report.holds}))
        lines.append(
            f"**Not reconciled: {len(report.holds)} record(s) held** ({reasons}); they get no "
            "journal until resolved (see Held records). Everything else below is reconciled."
        )
    held_payouts = f" ({report.held_payouts} held)" if report.held_payouts else ""
    lines += [
        f"**{_percent(report.matched_pct)}** of {report.records} Shopify records matched the "
        f"ledger; **{report.exception_count}** exceptions ({_variance_text(report)} "
        "in absolute variance).",
        f"Payouts reconciled: **{report.payouts_reconciled} of {report.payouts_total}**"
        f"{held_payouts}.",
        f"Lifecycle on {report.seen_on}: {life.new} new, {life.persisting} still open from "
        f"earlier runs, {life.reopened} reopened, {life.resolved} resolved; "
        f"{life.unresolved} unresolved.",
        f"Orders posted: {latency.posted} (median {_days(latency.p50_days)}, "
        f"95th percentile {_days(latency.p95_days)} after the business date); "
        f"{latency.not_posted} not posted.",
    ]
    if report.inventory is not None:
        inventory = report.inventory
        captured = inventory.captured_at.isoformat() if inventory.captured_at else "unknown"
        freshness = (
            "unknown" if inventory.freshness_hours is None else f"{inventory.freshness_hours:.1f} h"
        )
        lines.append(
            f"Inventory: {inventory.matched} of {inventory.items} items match; Shopify snapshot "
            f"taken {captured} ({freshness} from the end of the business day)."
        )
    return lines


def report_markdown(report: SettlementReport) -> str:
    """The summary a finance reader reads in the Dagster UI, without SQL."""
    parts = [f"## Settlement report — {report.shop_id}, {report.business_date}", ""]
    parts += [f"- {line}" for line in headline(report)]
    if report.computed:
        for title, header, rows in summary_sections(report):
            parts += ["", f"### {title}", "", _markdown_table(header, rows)]
        parts += [
            "",
            f"### Largest unresolved exceptions (top {len(report.largest_open)})",
            "",
            _markdown_table(
                ["kind", "variance", "Shopify", "ERP", "status", "age"],
                [
                    [
                        item.kind,
                        _amount_in(item.variance, item.unit),
                        item.shopify_ref or "—",
                        item.erp_ref or "—",
                        item.status,
                        _days(item.age_days),
                    ]
                    for item in report.largest_open[:10]
                ],
            ),
        ]
    return "\n".join(parts) + "\n"


def exception_chart_svg(report: SettlementReport) -> str:
    """An inline SVG: exceptions and Σ|variance| per business date, and the unresolved backlog.

    matplotlib is imported here, not with the module: it costs ~0.3 s and only reports need it.
    """
    import matplotlib
    from matplotlib.dates import AutoDateLocator, DateFormatter
    from matplotlib.figure import Figure

    trend = report.trend
    panels = 2 if report.backlog else 1
    with matplotlib.rc_context(
        {"svg.hashsalt": "retail_sync", "svg.fonttype": "none", "font.size": 9}
    ):
        figure = Figure(figsize=(9, 3.0 * panels), layout="constrained")
        axes = figure.subplots(panels, 1, squeeze=False, sharex=True)[:, 0]
        days = [day.business_date for day in trend]
        # A date not reconciled is a gap, not a zero.
        counts = [day.exceptions if day.reconciled else math.nan for day in trend]
        variances = [float(day.abs_variance) if day.reconciled else math.nan for day in trend]
        top = axes[0]
        top.bar(days, counts, width=0.8, color="#4c78a8", label="exceptions (bars)")
        top.set_ylabel("exceptions")
        top.set_title(
            f"Exceptions per business date — {report.shop_id}\n(gaps: not reconciled)",
            loc="left",
        )
        right = top.twinx()
        unit = " + ".join(report.abs_variance_by_currency)
        right.plot(
            days, variances, color="#e45756", marker="o", markersize=3,
            label=f"Σ |variance| {unit} (line)".replace("  ", " "),
        )  # fmt: skip
        right.set_ylabel(f"Σ |variance| {unit}".strip())
        right.set_ylim(bottom=0)
        handles = top.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
        top.legend(
            handles=handles, loc="lower right", bbox_to_anchor=(1, 1), ncols=2, frameon=False,
            fontsize=8,
        )  # fmt: skip
        if report.backlog:
            bottom = axes[1]
            bottom.step(
                [snapshot.seen_on for snapshot in report.backlog],
                [snapshot.unresolved for snapshot in report.backlog],
                where="post",
                marker="o",
                markersize=3,
                color="#54a24b",
            )
            bottom.set_ylabel("unresolved")
            bottom.set_title("Unresolved backlog after each day's run (by run date)", loc="left")
            bottom.set_ylim(bottom=0)
        shown = days + [snapshot.seen_on for snapshot in report.backlog]
        if shown:
            # (Dates: a margin of whole days; date + 12 hours is the same date.)
            top.set_xlim(min(shown) - timedelta(days=1), max(shown) + timedelta(days=1))
        axes[-1].xaxis.set_major_locator(AutoDateLocator(maxticks=12))
        axes[-1].xaxis.set_major_formatter(DateFormatter("%m-%d"))
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1100px; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; font-size: 0.9em; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.chart svg { max-width: 100%; height: auto; }
"""


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "<p><em>none</em></p>"
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{html.escape(cell)}</td>'
            if _looks_numeric(cell)
            else f"<td>{html.escape(cell)}</td>"
            for cell in row
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _looks_numeric(cell: str) -> bool:
    return bool(cell) and (cell[0].isdigit() or (cell[0] == "-" and cell[1:2].isdigit()))


def render_html(report: SettlementReport) -> str:
    """A standalone page (styles and chart inline, nothing fetched) for the shop and date."""
    title = f"Settlement report — {report.shop_id}, {report.business_date}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<ul>"
        + "".join(f"<li>{html.escape(line).replace('**', '')}</li>" for line in headline(report))
        + "</ul>",
        f'<div class="chart">{exception_chart_svg(report)}</div>',
    ]
    if report.computed:
        for section_title, header, rows in summary_sections(report):
            parts += [f"<h2>{html.escape(section_title)}</h2>", _html_table(header, rows)]
        parts += [
            f"<h2>Largest unresolved exceptions (top {len(report.largest_open)})</h2>",
            _html_table(
                ["kind", "domain", "variance", "Shopify", "ERP", "account", "status",
                 "first seen", "age", "detail"],
                [
                    [item.kind, item.domain, _amount_in(item.variance, item.unit),
                     item.shopify_ref or "—", item.erp_ref or "—", item.account or "—",
                     item.status, item.first_seen.isoformat() if item.first_seen else "—",
                     _days(item.age_days), item.detail or ""]
                    for item in report.largest_open
                ],
            ),
        ]  # fmt: skip
    parts += [
        f"<p><small>Lifecycle as recorded on {report.seen_on}. "
        "How to read this report: docs/finance.md.</small></p>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def reports_dir(paths: Paths) -> Path:
    """Where HTML settlement reports are written: `<home>/reports`."""
    return paths.home / "reports"


def report_path(directory: Path, shop_id: str, business_date: date) -> Path:
    return directory / shop_id / f"{business_date.isoformat()}.html"


def write_html_report(directory: Path, report: SettlementReport) -> Path:
    """Write the report's page to `<directory>/<shop>/<date>.html`, replacing it atomically."""
    path = report_path(directory, report.shop_id, report.business_date)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.inprogress")
    try:
        with temporary.open("w", encoding="utf-8") as handle:
            handle.write(render_html(report))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path

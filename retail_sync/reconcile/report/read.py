"""Reading a shop-day's recon partitions from the lake (with DuckDB) and the lifecycle store.

Besides the day's own partitions, the report reads the days of its period to date (for the
period's status and bridge) and the shop's exception lines by ledger date: a line sits on the day
its delta is booked, which need not be its exception's date (a duplicate, a wrong period).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from retail_sync.reconcile.lifecycle import LifecycleStore, daily_history, exceptions
from retail_sync.reconcile.report.build import build_settlement_report, period_dates
from retail_sync.reconcile.report.model import DailyExceptions, ReconPartition, SettlementReport
from retail_sync.warehouse.lake import PARTITION_FILE, Lake

RECON_ZONE = "recon"
RECON_SOURCE = "shopify"
# Each recon entity and the columns the report reads from it.
RECON_COLUMNS: dict[str, tuple[str, ...]] = {
    "exceptions": (
        "exception_id", "shop_id", "business_date", "domain", "kind", "shopify_ref", "erp_ref",
        "account", "counter_account", "shopify_amount", "erp_amount", "variance", "currency",
        "detail",
    ),
    "exception_lines": (
        "exception_id", "shop_id", "business_date", "ledger_date", "account", "shopify_amount",
        "erp_amount", "delta", "currency",
    ),
    "holds": ("shop_id", "business_date", "domain", "shopify_ref", "reason", "detail"),
    "match_summary": (
        "shop_id", "business_date", "domain", "records", "matched", "shopify_amount",
        "erp_amount",
    ),
    "clearing_rollforward": (
        "shop_id", "business_date", "period", "account", "opening", "charges", "refunds", "fees",
        "disputes", "adjustments", "reserves", "payouts", "expected_movement", "ledger_movement",
        "expected_closing", "ledger_closing", "difference", "explained", "timing", "residual",
        "unpaid_balance",
    ),
    "posting_latency": ("shop_id", "business_date", "order_id", "lag_days"),
    "inventory_status": (
        "shop_id", "business_date", "items", "matched", "captured_at", "freshness_hours",
    ),
}  # fmt: skip
ORDER_BY: dict[str, str] = {
    "exceptions": "exception_id",
    "exception_lines": "exception_id, account, ledger_date",
    "holds": "domain, shopify_ref, reason",
    "match_summary": "domain",
    "clearing_rollforward": "account",
    "posting_latency": "order_id",
    "inventory_status": "items",
}
TREND_DAYS = 30


def recon_file(lake: Lake, entity: str, shop_id: str, business_date: date) -> Path:
    """Where the recon engine writes an entity's partition."""
    directory = lake.partition_dir(
        RECON_ZONE, RECON_SOURCE, entity, shop=shop_id, date=business_date.isoformat()
    )
    return directory / PARTITION_FILE


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _parquet(paths: Sequence[Path]) -> str:
    """`read_parquet` over some partition files (their folders are not read as columns)."""
    files = ", ".join(_quote(path) for path in paths)
    return f"read_parquet([{files}], hive_partitioning = false, union_by_name = true)"


def read_recon_partitions(
    lake: Lake, shop_id: str, business_dates: Sequence[date]
) -> list[ReconPartition]:
    """The recon partitions of one shop and some dates (absent ones read as no rows), in order.

    One query per entity over the dates' files.
    """
    import duckdb

    dates = sorted(set(business_dates))
    tables: dict[date, dict[str, list[dict[str, Any]]]] = {
        day: {entity: [] for entity in RECON_COLUMNS} for day in dates
    }
    with duckdb.connect() as connection:
        connection.execute("set TimeZone = 'UTC'")
        for entity, columns in RECON_COLUMNS.items():
            paths = [
                path for day in dates if (path := recon_file(lake, entity, shop_id, day)).exists()
            ]
            if not paths:
                continue
            result = connection.execute(
                f"select {', '.join(columns)} from {_parquet(paths)} "
                f"order by business_date, {ORDER_BY[entity]}"
            )
            names = [description[0] for description in result.description]
            for row in result.fetchall():
                values = dict(zip(names, row, strict=True))
                if values["business_date"] in tables:
                    tables[values["business_date"]][entity].append(values)
    return [
        ReconPartition(
            shop_id=shop_id,
            business_date=day,
            computed=recon_file(lake, "exceptions", shop_id, day).exists(),
            **tables[day],
        )
        for day in dates
    ]


def read_recon_partition(lake: Lake, shop_id: str, business_date: date) -> ReconPartition:
    """The recon partitions of one shop and date (absent ones read as no rows)."""
    return read_recon_partitions(lake, shop_id, [business_date])[0]


def _shop_files(lake: Lake, entity: str, shop_id: str) -> list[Path]:
    directory = lake.partition_dir(RECON_ZONE, RECON_SOURCE, entity, shop=shop_id)
    return sorted(directory.glob(f"date=*/{PARTITION_FILE}"))


def read_bridge_lines(lake: Lake, shop_id: str, first: date, last: date) -> list[dict[str, Any]]:
    """Σ exception line delta per ledger date, account and exception kind, for ledger dates
    `first`..`last`, over every exceptions partition of the shop (a line's kind is its
    exception's; None when that exception's partition is not in the lake)."""
    import duckdb

    lines = _shop_files(lake, "exception_lines", shop_id)
    if not lines:
        return []
    found = _shop_files(lake, "exceptions", shop_id)
    kind = "kinds.kind" if found else "cast(null as varchar)"
    join = (
        f"left join (select distinct exception_id, business_date, kind from {_parquet(found)}) "
        "as kinds using (exception_id, business_date)"
        if found
        else ""
    )
    with duckdb.connect() as connection:
        connection.execute("set TimeZone = 'UTC'")
        result = connection.execute(
            f"select lines.ledger_date, lines.account, {kind} as kind, sum(lines.delta) as delta "
            f"from {_parquet(lines)} as lines {join} "
            "where lines.ledger_date between $first and $last "
            "group by all order by all",
            {"first": first, "last": last},
        )
        names = [description[0] for description in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


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
            computed=day in files,
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
    """Read everything the report of one shop and date needs (but `partition`, if given).

    The period to date (the 1st of the month through `business_date`) is read too: its days'
    partitions and lifecycle records, and the exception lines booked on its days.
    """
    days = period_dates(business_date)
    earlier = read_recon_partitions(lake, shop_id, days[:-1])
    day = partition or read_recon_partition(lake, shop_id, business_date)
    return build_settlement_report(
        day,
        exceptions(store, shop_id, business_dates=days),
        seen_on=seen_on,
        trend=read_exception_trend(lake, shop_id, business_date, days=trend_days),
        backlog=daily_history(store, shop_id, days=trend_days, until=seen_on),
        period=[*earlier, day],
        bridge_lines=read_bridge_lines(lake, shop_id, days[0], business_date),
    )

"""Reading a shop-day's recon partitions from the lake (with DuckDB) and the lifecycle store."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from retail_sync.reconcile.lifecycle import LifecycleStore, daily_history, exceptions
from retail_sync.reconcile.report.build import build_settlement_report
from retail_sync.reconcile.report.model import DailyExceptions, ReconPartition, SettlementReport
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
TREND_DAYS = 30


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

"""The settlement report: built from recon partitions written here with pyarrow (the fixtures stand
in for the reconciliation engine) and the lifecycle store. Covers the markdown a finance reader
sees, the largest-exceptions table order, the figures, the standalone HTML page with its chart,
exceptions that disappear (resolved with a date, not deleted), re-runs (same ids, same figures,
same page), a date not reconciled yet, and the Dagster asset over several partitions in one run."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow as pa
import pytest

from retail_sync.defs.keys import partition_key
from retail_sync.defs.partitions import SHOP_PARTITIONS
from retail_sync.defs.reconcile.report import (
    SETTLEMENT_REPORT_KEY,
    ReportsResource,
    StateStoreResource,
    reconcile_report_assets,
)
from retail_sync.defs.resources import LakeResource, ShopsResource
from retail_sync.reconcile.lifecycle import (
    LifecycleStore,
    default_state_url,
    exceptions,
    record_run,
)
from retail_sync.reconcile.report import (
    SettlementReport,
    largest_open_rows,
    load_settlement_report,
    read_recon_partition,
    recon_file,
    report_figures,
    report_markdown,
    reports_dir,
    write_html_report,
)
from retail_sync.settings import Paths
from retail_sync.warehouse.lake import Lake, write_table_partition
from retail_sync_tests.conftest import TINY_WORLD

SHOP = "alpen-supply"
DAY = date(2026, 3, 4)
NEXT_DAY = date(2026, 3, 5)
MONEY = pa.decimal128(18, 2)

SCHEMAS = {
    "exceptions": pa.schema(
        [("exception_id", pa.string()), ("shop_id", pa.string()), ("business_date", pa.date32()),
         ("domain", pa.string()), ("kind", pa.string()), ("shopify_ref", pa.string()),
         ("erp_ref", pa.string()), ("account", pa.string()), ("shopify_amount", MONEY),
         ("erp_amount", MONEY), ("variance", MONEY), ("currency", pa.string()),
         ("detail", pa.string())]
    ),
    "match_summary": pa.schema(
        [("shop_id", pa.string()), ("business_date", pa.date32()), ("domain", pa.string()),
         ("records", pa.int64()), ("matched", pa.int64()), ("shopify_amount", MONEY),
         ("erp_amount", MONEY)]
    ),
    "clearing_rollforward": pa.schema(
        [("shop_id", pa.string()), ("business_date", pa.date32()), ("period", pa.string()),
         ("account", pa.string())]
        + [(name, MONEY) for name in ("opening", "charges", "refunds", "fees", "disputes",
                                      "adjustments", "reserves", "payouts", "expected_closing",
                                      "ledger_closing", "difference", "unpaid_balance")]
    ),
    "posting_latency": pa.schema(
        [("shop_id", pa.string()), ("business_date", pa.date32()), ("order_id", pa.int64()),
         ("lag_days", pa.int32())]
    ),
    "inventory_status": pa.schema(
        [("shop_id", pa.string()), ("business_date", pa.date32()), ("items", pa.int64()),
         ("matched", pa.int64()), ("captured_at", pa.timestamp("us", tz="UTC")),
         ("freshness_hours", pa.float64())]
    ),
}  # fmt: skip


def exception(exception_id: str, domain: str, kind: str, variance: str, **extra: Any) -> dict:
    return {
        "exception_id": exception_id, "domain": domain, "kind": kind,
        "shopify_ref": f"shopify:order:{exception_id}", "erp_ref": None, "account": "1205",
        "shopify_amount": Decimal("100.00"), "erp_amount": Decimal("100.00") + Decimal(variance),
        "variance": Decimal(variance), "currency": "EUR", "detail": f"{kind} on {exception_id}",
        **extra,
    }  # fmt: skip


EXCEPTIONS = [
    exception("exc-tax", "orders", "order_tax_mismatch", "12.50", account="2200"),
    exception("exc-missing", "orders", "order_missing_in_erp", "-230.00", erp_amount=None),
    exception("exc-rounding", "orders", "order_rounding_difference", "0.02"),
    exception("exc-payout", "payouts", "payout_deposit_amount_mismatch", "-5.00"),
    exception("exc-stock", "inventory", "inventory_on_hand_mismatch", "4", currency=None,
              shopify_amount=Decimal(10), erp_amount=Decimal(14), account=None),
]  # fmt: skip


def write_recon(lake: Lake, day: date, exception_rows: list[dict], shop: str = SHOP) -> None:
    """Write the five recon partitions of one shop and date, as the engine would."""
    tables: dict[str, list[dict]] = {
        "exceptions": exception_rows,
        "match_summary": [
            {"domain": "orders", "records": 10, "matched": 7,
             "shopify_amount": Decimal("1500.00"), "erp_amount": Decimal("1282.52")},
            {"domain": "refunds", "records": 2, "matched": 2,
             "shopify_amount": Decimal("40.00"), "erp_amount": Decimal("40.00")},
            {"domain": "payouts", "records": 4, "matched": 3,
             "shopify_amount": Decimal("900.00"), "erp_amount": Decimal("895.00")},
            {"domain": "inventory", "records": 20, "matched": 19,
             "shopify_amount": None, "erp_amount": None},
        ],
        "clearing_rollforward": [
            {"period": "2026-03", "account": "1205", "opening": Decimal("1000.00"),
             "charges": Decimal("1500.00"), "refunds": Decimal("40.00"), "fees": Decimal("45.30"),
             "disputes": Decimal("0.00"), "adjustments": Decimal("0.00"),
             "reserves": Decimal("0.00"), "payouts": Decimal("900.00"),
             "expected_closing": Decimal("1514.70"), "ledger_closing": Decimal("1509.70"),
             "difference": Decimal("-5.00"), "unpaid_balance": Decimal("1514.70")},
        ],
        "posting_latency": [
            {"order_id": order_id, "lag_days": lag}
            for order_id, lag in enumerate([0, 1, 1, 2, 5, None], start=1001)
        ],
        "inventory_status": [
            {"items": 20, "matched": 19,
             "captured_at": datetime(2026, 3, 4, 21, 30, tzinfo=UTC), "freshness_hours": 1.5},
        ],
    }  # fmt: skip
    for entity, rows in tables.items():
        full = [{"shop_id": shop, "business_date": day, **row} for row in rows]
        directory = recon_file(lake, entity, shop, day).parent
        write_table_partition(directory, pa.Table.from_pylist(full, schema=SCHEMAS[entity]))


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths(tmp_path / "home")


@pytest.fixture
def store(paths: Paths) -> Any:
    with LifecycleStore(default_state_url(paths)) as opened:
        yield opened


def run_report(paths: Paths, store: LifecycleStore, day: date, seen_on: date) -> SettlementReport:
    """What the asset does for one partition: record the lifecycle, then build the report."""
    lake = Lake(paths.lake)
    partition = read_recon_partition(lake, SHOP, day)
    record_run(store, SHOP, [day], partition.exceptions, seen_on)
    return load_settlement_report(lake, store, SHOP, day, seen_on)


def test_markdown_tells_the_day_without_sql(paths: Paths, store: LifecycleStore) -> None:
    write_recon(Lake(paths.lake), DAY, EXCEPTIONS)
    markdown = report_markdown(run_report(paths, store, DAY, DAY))
    assert markdown.startswith("## Settlement report — alpen-supply, 2026-03-04")
    assert "**86.1 %** of 36 Shopify records matched" in markdown  # 31 of 36
    assert "**5** exceptions (247.52 EUR in absolute variance)" in markdown
    assert "Payouts reconciled: **3 of 4**." in markdown
    assert "5 new, 0 still open from earlier runs, 0 reopened, 0 resolved; 5 unresolved" in markdown
    assert "median 1 d, 95th percentile 5 d" in markdown and "1 not posted" in markdown
    assert "19 of 20 items match" in markdown and "1.5 h" in markdown
    assert "| orders | 10 | 7 | 70.0 % | 1,500.00 | 1,282.52 |" in markdown
    assert "| order_missing_in_erp | orders | 1 | 230.00 EUR |" in markdown
    assert "| inventory_on_hand_mismatch | inventory | 1 | 4 units |" in markdown
    assert "| Difference (ledger − expected) | -5.00 |" in markdown
    assert "| Not yet paid out (Σ balance transactions) | 1,514.70 |" in markdown


def test_figures_and_largest_exceptions(paths: Paths, store: LifecycleStore) -> None:
    write_recon(Lake(paths.lake), DAY, EXCEPTIONS)
    report = run_report(paths, store, DAY, DAY)
    assert report_figures(report) == {
        "exception_count": 5,
        "unresolved_exceptions": 5,
        "new_exceptions": 5,
        "resolved_exceptions": 0,
        "total_abs_variance": 247.52,
        "matched_pct": 86.11,
        "order_posting_latency_p50_days": 1,
        "order_posting_latency_p95_days": 5,
        "orders_not_posted": 1,
        "inventory_freshness_hours": 1.5,
        "payouts_reconciled_pct": 75.0,
        "held_records": 0,
        "held_payouts": 0,
    }
    assert report.total_abs_variance == Decimal("247.52")
    rows = largest_open_rows(report)
    assert [(row["exception_id"], row["variance"], row["unit"]) for row in rows] == [
        ("exc-missing", -230.0, "EUR"),
        ("exc-tax", 12.5, "EUR"),
        ("exc-payout", -5.0, "EUR"),
        ("exc-stock", 4.0, "units"),
        ("exc-rounding", 0.02, "EUR"),
    ]
    assert rows[0]["status"] == "open" and rows[0]["age_days"] == 0
    assert all(
        isinstance(value, str | int | float | type(None)) for r in rows for value in r.values()
    )


def test_html_page_is_standalone_with_its_chart(paths: Paths, store: LifecycleStore) -> None:
    write_recon(Lake(paths.lake), DAY, EXCEPTIONS)
    page = write_html_report(reports_dir(paths), run_report(paths, store, DAY, DAY))
    assert page == paths.home / "reports" / SHOP / "2026-03-04.html"
    text = page.read_text(encoding="utf-8")
    assert text.count("<svg") == 1 and "</svg>" in text
    assert "order_missing_in_erp" in text and "230.00 EUR" in text
    # Nothing to fetch: no scripts, stylesheets, images or fonts from elsewhere.
    # (The chart's clip paths refer to its own elements: url(#…).)
    assert not re.search(r"<script|<link|<img|@import|src=|url\((?!#)", text)
    assert not re.search(r"(href|src)=\"(https?:)?//", text)
    assert not list(page.parent.glob(".*inprogress"))


def test_disappeared_exceptions_are_resolved_and_reruns_are_identical(
    paths: Paths, store: LifecycleStore
) -> None:
    lake = Lake(paths.lake)
    write_recon(lake, DAY, EXCEPTIONS)
    run_report(paths, store, DAY, DAY)
    # Next day the rounding difference is corrected in the ERP: the engine no longer finds it.
    write_recon(lake, DAY, [row for row in EXCEPTIONS if row["exception_id"] != "exc-rounding"])
    first = run_report(paths, store, DAY, NEXT_DAY)
    first_page = write_html_report(reports_dir(paths), first).read_bytes()
    again = run_report(paths, store, DAY, NEXT_DAY)
    assert report_figures(again) == report_figures(first)
    assert largest_open_rows(again) == largest_open_rows(first)
    assert write_html_report(reports_dir(paths), again).read_bytes() == first_page

    figures = report_figures(first)
    assert (figures["exception_count"], figures["resolved_exceptions"]) == (4, 1)
    assert figures["new_exceptions"] == 0 and figures["unresolved_exceptions"] == 4
    assert "exc-rounding" not in {row["exception_id"] for row in largest_open_rows(first)}
    kept = {record.exception_id: record for record in exceptions(store, SHOP)}
    assert len(kept) == 5  # never deleted
    assert (kept["exc-rounding"].status, kept["exc-rounding"].resolved_on) == ("resolved", NEXT_DAY)
    assert kept["exc-tax"].age_days(NEXT_DAY) == 1
    assert "0 new, 4 still open from earlier runs, 0 reopened, 1 resolved" in report_markdown(first)


def test_a_date_not_reconciled_yet_says_so(paths: Paths, store: LifecycleStore) -> None:
    report = load_settlement_report(Lake(paths.lake), store, SHOP, DAY, DAY)
    assert not report.reconciled
    assert "has not been reconciled yet" in report_markdown(report)
    assert report_figures(report)["matched_pct"] is None


def _ranged(start: str, end: str) -> dict[str, str]:
    return {"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end}


def test_asset_reports_each_partition_of_a_single_run(paths: Paths) -> None:
    lake = Lake(paths.lake)
    write_recon(lake, DAY, EXCEPTIONS)
    # Deterministic ids differ per date (the engine puts the business date in the id).
    write_recon(lake, NEXT_DAY, [{**row, "exception_id": f"{row['exception_id']}-0305"}
                                 for row in EXCEPTIONS[:2]])  # fmt: skip
    resources = {
        "lake": LakeResource(root=str(paths.lake)),
        "shops": ShopsResource(path=str(TINY_WORLD / "shopify" / "shops.json")),
        "state": StateStoreResource(url=default_state_url(paths)),
        "reports": ReportsResource(directory=str(reports_dir(paths))),
    }
    run_config = {"ops": {"recon__settlement_report": {"config": {"seen_on": "2026-03-06"}}}}
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(SHOP_PARTITIONS, [SHOP])
        results = [
            dg.materialize(
                reconcile_report_assets,
                instance=instance,
                resources=resources,
                run_config=run_config,
                tags=_ranged(partition_key(DAY, SHOP), partition_key(NEXT_DAY, SHOP)),
            )
            for _ in range(2)  # a re-run gives the same figures
        ]
    by_partition = [
        {
            event.partition: event.step_materialization_data.materialization.metadata
            for event in result.get_asset_materialization_events()
            if event.asset_key == SETTLEMENT_REPORT_KEY
        }
        for result in results
    ]
    first = by_partition[0]
    assert sorted(first) == [partition_key(DAY, SHOP), partition_key(NEXT_DAY, SHOP)]  # one each
    assert len(results[0].get_asset_materialization_events()) == 2
    day, next_day = first[partition_key(DAY, SHOP)], first[partition_key(NEXT_DAY, SHOP)]
    assert (day["exception_count"].value, next_day["exception_count"].value) == (5, 2)
    assert day["total_abs_variance"].value == 247.52
    assert day["matched_pct"].value == 86.11 and day["payouts_reconciled_pct"].value == 75.0
    assert day["seen_on"].value == "2026-03-06"
    assert isinstance(day["summary"], dg.MarkdownMetadataValue)
    table = day["largest_open_exceptions"]
    assert isinstance(table, dg.TableMetadataValue)
    assert [record.data["exception_id"] for record in table.records][:2] == [
        "exc-missing",
        "exc-tax",
    ]
    assert Path(day["report"].value).is_file()
    assert "<svg" in Path(next_day["report"].value).read_text(encoding="utf-8")
    figures = {
        key: {name: value.value for name, value in metadata.items() if name != "summary"}
        for key, metadata in by_partition[1].items()
    }
    assert figures == {
        key: {name: value.value for name, value in metadata.items() if name != "summary"}
        for key, metadata in first.items()
    }

"""The settlement report: built from recon partitions written here with pyarrow (the fixtures stand
in for the reconciliation engine) and the lifecycle store. Covers the markdown a finance reader
sees, the largest-exceptions table order, the figures, the standalone HTML page with its chart,
exceptions that disappear (resolved with a date, not deleted), re-runs (same ids, same figures,
same page), a date not reconciled yet, the clearing bridge (difference = explained by kind +
timing + residual, per account, day and period) and when a day or a period is reconciled (never
with a residual or an open exception), and the Dagster asset over several partitions in one run."""

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
    WAIVED,
    LifecycleStore,
    default_state_url,
    exceptions,
    record_run,
    set_status,
)
from retail_sync.reconcile.report import (
    AccountBridge,
    SettlementReport,
    largest_open_rows,
    load_settlement_report,
    read_recon_partition,
    recon_file,
    render_html,
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
CLEARING = ("1205", "1210", "1220")
ROLLFORWARD_MONEY = (
    "opening", "charges", "refunds", "fees", "disputes", "adjustments", "reserves", "payouts",
    "expected_movement", "ledger_movement", "expected_closing", "ledger_closing", "difference",
    "explained", "timing", "residual", "unpaid_balance",
)  # fmt: skip

SCHEMAS = {
    "exceptions": pa.schema(
        [("exception_id", pa.string()), ("shop_id", pa.string()), ("business_date", pa.date32()),
         ("domain", pa.string()), ("kind", pa.string()), ("shopify_ref", pa.string()),
         ("erp_ref", pa.string()), ("account", pa.string()), ("counter_account", pa.string()),
         ("shopify_amount", MONEY), ("erp_amount", MONEY), ("variance", MONEY),
         ("currency", pa.string()), ("detail", pa.string())]
    ),
    "exception_lines": pa.schema(
        [("exception_id", pa.string()), ("shop_id", pa.string()), ("business_date", pa.date32()),
         ("ledger_date", pa.date32()), ("account", pa.string()), ("shopify_amount", MONEY),
         ("erp_amount", MONEY), ("delta", MONEY), ("currency", pa.string())]
    ),
    "holds": pa.schema(
        [("shop_id", pa.string()), ("business_date", pa.date32()), ("domain", pa.string()),
         ("shopify_ref", pa.string()), ("reason", pa.string()), ("detail", pa.string())]
    ),
    "match_summary": pa.schema(
        [("shop_id", pa.string()), ("business_date", pa.date32()), ("domain", pa.string()),
         ("records", pa.int64()), ("matched", pa.int64()), ("shopify_amount", MONEY),
         ("erp_amount", MONEY)]
    ),
    "clearing_rollforward": pa.schema(
        [("shop_id", pa.string()), ("business_date", pa.date32()), ("period", pa.string()),
         ("account", pa.string())]
        + [(name, MONEY) for name in ROLLFORWARD_MONEY]
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
        "counter_account": None, "shopify_amount": Decimal("100.00"),
        "erp_amount": Decimal("100.00") + Decimal(variance),
        "variance": Decimal(variance), "currency": "EUR", "detail": f"{kind} on {exception_id}",
        **extra,
    }  # fmt: skip


EXCEPTIONS = [
    exception("exc-tax", "orders", "order_tax_mismatch", "12.50", account="2200",
              counter_account="1205"),
    exception("exc-missing", "orders", "order_missing_in_erp", "-230.00", erp_amount=None),
    exception("exc-rounding", "orders", "order_rounding_difference", "0.02",
              counter_account="7950"),
    exception("exc-payout", "payouts", "payout_deposit_amount_mismatch", "-5.00",
              account="1000", counter_account="1205"),
    exception("exc-stock", "inventory", "inventory_on_hand_mismatch", "4", currency=None,
              shopify_amount=Decimal(10), erp_amount=Decimal(14), account=None),
]  # fmt: skip
# Each exception's lines as (account, delta); ledger date = the exception's date unless given.
LINES: dict[str, list[tuple[str, str]]] = {
    "exc-tax": [("1205", "12.50"), ("2200", "-12.50")],
    "exc-missing": [("1205", "-230.00"), ("4000", "200.00"), ("2200", "30.00")],
    "exc-rounding": [("1205", "0.02"), ("7950", "-0.02")],
    "exc-payout": [("1000", "-5.00"), ("1205", "5.00")],
}


def lines_of(
    rows: list[dict], day: date, more: dict[str, list[tuple[str, str]]] | None = None
) -> list[dict]:
    """The exception lines of `rows` (LINES, and `more`), all on `day`."""
    table = LINES | (more or {})
    return [
        {"exception_id": row["exception_id"], "business_date": day, "ledger_date": day,
         "account": account, "shopify_amount": Decimal("0.00"), "erp_amount": Decimal(delta),
         "delta": Decimal(delta), "currency": "EUR"}
        for row in rows
        for account, delta in table.get(row["exception_id"], [])
    ]  # fmt: skip


def rollforward_row(
    account: str,
    *,
    explained: str = "0.00",
    timing: str = "0.00",
    residual: str = "0.00",
    **amounts: Any,
) -> dict:
    """A roll-forward row whose difference is explained + timing + residual (the identity)."""
    difference = Decimal(explained) + Decimal(timing) + Decimal(residual)
    row: dict[str, Any] = {name: Decimal("0.00") for name in ROLLFORWARD_MONEY}
    row |= {"period": "2026-03", "account": account, "difference": difference,
            "explained": Decimal(explained), "timing": Decimal(timing),
            "residual": Decimal(residual), "ledger_movement": difference,
            "ledger_closing": difference, "unpaid_balance": None}  # fmt: skip
    return row | amounts


def busy_rollforward(explained_1205: str) -> list[dict]:
    """1205 with a day of charges, refunds, fees and a payout; 1210 and 1220 quiet."""
    expected = Decimal("514.70")  # 1500.00 − 40.00 − 45.30 − 900.00
    ledger = expected + Decimal(explained_1205)
    return [
        rollforward_row(
            "1205", explained=explained_1205, opening=Decimal("1000.00"),
            charges=Decimal("1500.00"), refunds=Decimal("-40.00"), fees=Decimal("-45.30"),
            payouts=Decimal("-900.00"), expected_movement=expected, ledger_movement=ledger,
            expected_closing=Decimal("1000.00") + expected,
            ledger_closing=Decimal("1000.00") + ledger, unpaid_balance=Decimal("1514.70"),
        ),
        rollforward_row("1210"),
        rollforward_row("1220"),
    ]  # fmt: skip


def write_recon(
    lake: Lake,
    day: date,
    exception_rows: list[dict],
    shop: str = SHOP,
    *,
    rollforward: list[dict] | None = None,
    lines: list[dict] | None = None,
    holds: list[dict] | None = None,
) -> None:
    """Write the recon partitions of one shop and date, as the engine would.

    By default the lines are the exceptions' own (LINES) and the roll-forward explains 1205 by
    the sum of their 1205 deltas, as the engine's `explained` does.
    """
    lines = lines_of(exception_rows, day) if lines is None else lines
    if rollforward is None:
        explained = sum(
            (line["delta"] for line in lines if line["account"] == "1205"), Decimal("0.00")
        )
        rollforward = busy_rollforward(str(explained))
    tables: dict[str, list[dict]] = {
        "exceptions": exception_rows,
        "exception_lines": lines,
        "holds": holds or [],
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
        "clearing_rollforward": rollforward,
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
    assert "| line | 1205 (2026-03) | 1210 (2026-03) | 1220 (2026-03) |" in markdown
    assert "| Difference (ledger − expected) | -212.48 | 0.00 | 0.00 |" in markdown
    assert "| Not yet paid out (Σ balance transactions) | 1,514.70 | — | — |" in markdown
    # The day's bridge: 1205's difference is the four exceptions' 1205 deltas, by kind.
    assert "### Clearing bridge — 2026-03-04\n\n| line | 1205 | 1210 | 1220 |" in markdown
    assert "| Explained: order_missing_in_erp | -230.00 | 0.00 | 0.00 |" in markdown
    assert "| Explained: payout_deposit_amount_mismatch | 5.00 | 0.00 | 0.00 |" in markdown
    assert "| Explained by exceptions (Σ) | -212.48 | 0.00 | 0.00 |" in markdown
    assert "| Residual (unexplained) | 0.00 | 0.00 | 0.00 |" in markdown
    assert "lines not in the lake" not in markdown
    # Open exceptions: not reconciled, and the headline says why.
    assert "**Not reconciled: 5 open exception(s)** dated this day" in markdown
    assert "Period 2026-03 to date: not reconciled, **0 of 4** days reconciled " in markdown
    assert "(3 not computed, 1 with open exceptions)" in markdown


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
        "open_exceptions": 5,
        "abs_residual": 0.0,
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
    assert (rows[2]["account"], rows[2]["counter_account"]) == ("1000", "1205")
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
    assert "<h2>Clearing bridge — 2026-03-04</h2>" in text
    assert "<h2>Clearing bridge — period 2026-03 to date</h2>" in text
    assert '<td>Explained: order_tax_mismatch</td><td class="n">12.50</td>' in text
    assert '<td>Residual (unexplained)</td><td class="n">0.00</td>' in text
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
    assert not report.reconciled and not report.period_reconciled
    assert report.status == "not reconciled"
    assert "has not been reconciled yet" in report_markdown(report)
    assert report_figures(report)["matched_pct"] is None


def clean_day(lake: Lake, day: date, **extra: Any) -> None:
    """A shop-day with nothing to explain: no exception, every residual 0.00."""
    write_recon(
        lake, day, [], rollforward=[rollforward_row(account) for account in CLEARING], **extra
    )


def unexplained_exception(day: date, residual: str) -> dict:
    """The exception the engine raises for a 1220 residual (domain clearing)."""
    return exception(
        f"exc-residual-{day:%m%d}", "clearing", "clearing_unexplained", residual,
        account="1220", shopify_ref=None, shopify_amount=Decimal("0.00"),
        erp_amount=Decimal(residual),
    )  # fmt: skip


def residual_day(lake: Lake, day: date, residual: str) -> None:
    """A 1220 journal nothing claims: a residual, its exception and its (excluded) line."""
    raised = unexplained_exception(day, residual)
    write_recon(
        lake, day, [raised],
        rollforward=[rollforward_row("1205"), rollforward_row("1210"),
                     rollforward_row("1220", residual=residual)],
        lines=[{"exception_id": raised["exception_id"], "business_date": day, "ledger_date": day,
                "account": "1220", "shopify_amount": Decimal("0.00"),
                "erp_amount": Decimal(residual), "delta": Decimal(residual), "currency": "EUR"}],
    )  # fmt: skip


def test_a_clean_day_and_period_are_reconciled(paths: Paths, store: LifecycleStore) -> None:
    lake = Lake(paths.lake)
    for day in (date(2026, 3, 1), date(2026, 3, 2)):
        clean_day(lake, day)
    report = run_report(paths, store, date(2026, 3, 2), date(2026, 3, 2))
    assert report.computed and report.open_exceptions == 0
    assert (report.status, report.reconciled, report.period_reconciled) == (
        "reconciled", True, True,
    )  # fmt: skip
    assert read_recon_partition(lake, SHOP, date(2026, 3, 2)).reconciled
    markdown = report_markdown(report)
    assert "**Reconciled**: nothing held, no open exception" in markdown
    assert "Period 2026-03 to date: **reconciled** (all 2 days)." in markdown
    assert "Not reconciled" not in markdown
    assert "| Residual (unexplained) | 0.00 | 0.00 | 0.00 |" in markdown


def test_a_day_with_a_residual_is_not_reconciled_even_waived(
    paths: Paths, store: LifecycleStore
) -> None:
    lake = Lake(paths.lake)
    clean_day(lake, date(2026, 3, 3))
    residual_day(lake, DAY, "153.44")
    report = run_report(paths, store, DAY, DAY)
    assert (report.status, report.reconciled) == ("unexplained difference", False)
    assert [(bridge.account, bridge.residual) for bridge in report.bridge] == [
        ("1205", Decimal("0.00")), ("1210", Decimal("0.00")), ("1220", Decimal("153.44")),
    ]  # fmt: skip
    # The residual's own exception is not part of `explained` (the identity cannot hide it).
    assert all(bridge.by_kind == () for bridge in report.bridge)
    assert report_figures(report)["abs_residual"] == 153.44
    markdown = report_markdown(report)
    assert "**Not reconciled: unexplained difference** of 153.44 on 1220" in markdown
    assert "**Not reconciled: 1 open exception(s)**" in markdown
    assert "| Residual (unexplained) | 0.00 | 0.00 | 153.44 |" in markdown
    assert "| Difference (ledger − expected) | 0.00 | 0.00 | 153.44 |" in markdown
    assert "Explained: clearing_unexplained" not in markdown
    assert "**Reconciled**" not in markdown and "**Reconciled**" not in render_html(report)
    # The trend's gaps follow what was computed, not what was reconciled.
    assert [(day.business_date, day.computed) for day in report.trend[-3:]] == [
        (date(2026, 3, 2), False), (date(2026, 3, 3), True), (DAY, True),
    ]  # fmt: skip

    # Waiving the residual's exception closes the exception, not the difference.
    set_status(store, SHOP, ["exc-residual-0304"], WAIVED, DAY)
    waived = load_settlement_report(lake, store, SHOP, DAY, DAY)
    assert waived.open_exceptions == 0
    assert (waived.status, waived.reconciled) == ("unexplained difference", False)
    assert "open exception" not in report_markdown(waived)

    # The next day is clean, but its period holds the residual day.
    clean_day(lake, NEXT_DAY)
    later = run_report(paths, store, NEXT_DAY, NEXT_DAY)
    assert later.reconciled and not later.period_reconciled
    assert [(day.business_date.day, day.status) for day in later.period_days] == [
        (1, "not reconciled"), (2, "not reconciled"), (3, "reconciled"),
        (4, "unexplained difference"), (5, "reconciled"),
    ]  # fmt: skip
    markdown = report_markdown(later)
    assert "**2 of 5** days reconciled (2 not computed, 1 with an unexplained difference)" in (
        markdown
    )
    assert "| 2026-03-04 | unexplained difference | 0 | 153.44 |" in markdown
    assert "| Residual (unexplained) | 0.00 | 0.00 | 153.44 |" in markdown  # the period's


def test_a_day_with_an_open_exception_is_not_reconciled(
    paths: Paths, store: LifecycleStore
) -> None:
    lake = Lake(paths.lake)
    clean_day(lake, date(2026, 3, 1))
    tax = EXCEPTIONS[0]
    write_recon(lake, date(2026, 3, 2), [tax])
    day = date(2026, 3, 2)
    report = run_report(paths, store, day, day)
    assert report.bridge[0].residual == Decimal("0.00") and not report.unexplained
    assert (report.status, report.reconciled, report.open_exceptions) == (
        "open exceptions", False, 1,
    )  # fmt: skip
    assert not report.period_reconciled
    # Without the lifecycle, every exception dated that day counts as open.
    assert read_recon_partition(lake, SHOP, day).status == "open exceptions"
    # Proposed or posted is still unresolved; waived is not.
    set_status(store, SHOP, ["exc-tax"], "posted", day)
    assert load_settlement_report(lake, store, SHOP, day, day).status == "open exceptions"
    set_status(store, SHOP, ["exc-tax"], WAIVED, day)
    waived = load_settlement_report(lake, store, SHOP, day, day)
    assert (waived.status, waived.reconciled, waived.period_reconciled) == (
        "reconciled", True, True,
    )  # fmt: skip
    assert read_recon_partition(lake, SHOP, day).status == "open exceptions"

    # A held record comes first, whatever else is wrong with the day.
    write_recon(
        lake, day, [tax],
        holds=[{"domain": "payouts", "shopify_ref": "shopify:payout:1", "reason": "quarantined",
                "detail": "bad amount"}],
        rollforward=[rollforward_row("1205", explained="12.50", residual="1.00"),
                     rollforward_row("1210"), rollforward_row("1220")],
    )  # fmt: skip
    held = load_settlement_report(lake, store, SHOP, day, day)
    assert (held.status, held.reconciled) == ("held", False)
    markdown = report_markdown(held)
    assert "**Not reconciled: 1 record(s) held** (quarantined)" in markdown
    assert "**Not reconciled: unexplained difference** of 1.00 on 1205" in markdown


def test_the_bridge_by_kind_sums_to_explained(paths: Paths, store: LifecycleStore) -> None:
    """Lines join their exceptions by ledger date: a line can sit on another day than its
    exception (a wrong period, a duplicate); lines on other accounts stay out of the bridge."""
    lake = Lake(paths.lake)
    # A duplicate found for a February order, booked a second time on DAY: its exception is in
    # February's partition, its lines on DAY.
    february = date(2026, 2, 27)
    duplicate = exception("exc-dup", "orders", "order_duplicate_posting", "7.00")
    duplicate_lines = [
        {**line, "ledger_date": DAY}
        for line in lines_of(
            [duplicate], february, {"exc-dup": [("1205", "7.00"), ("4000", "-7.00")]}
        )
    ]
    write_recon(
        lake, february, [duplicate], lines=duplicate_lines,
        rollforward=[rollforward_row(account, period="2026-02") for account in CLEARING],
    )  # fmt: skip
    early = date(2026, 3, 3)
    moved = exception("exc-period", "orders", "order_wrong_period", "0.00", counter_account=None)
    moved_lines = lines_of([moved], early, {"exc-period": [("1205", "-40.00"), ("4000", "40.00")]})
    # The booking sits on DAY instead: +40.00 on 1205 there, −40.00 on its own date.
    moved_lines += [{**line, "ledger_date": DAY, "delta": -line["delta"],
                     "erp_amount": -line["erp_amount"]} for line in moved_lines]  # fmt: skip
    write_recon(
        lake, early, [moved], lines=moved_lines,
        rollforward=[rollforward_row("1205", explained="-40.00", timing="15.00"),
                     rollforward_row("1210"), rollforward_row("1220")],
    )  # fmt: skip
    fee = exception("exc-fee", "fees", "fee_misposted", "3.10", account="1210",
                    counter_account="1205")  # fmt: skip
    day_rows = [*EXCEPTIONS, fee]
    day_lines = lines_of(day_rows, DAY, {"exc-fee": [("1210", "-3.10"), ("1205", "3.10")]})
    # 1205: −212.48 (EXCEPTIONS) + 3.10 (fee) + 40.00 (the early exception's line) + 7.00 (the
    # February duplicate's) = −162.38.
    write_recon(
        lake, DAY, day_rows, lines=day_lines,
        rollforward=[rollforward_row("1205", explained="-162.38", timing="-15.00"),
                     rollforward_row("1210", explained="-3.10"), rollforward_row("1220")],
    )  # fmt: skip
    run_report(paths, store, february, DAY)
    run_report(paths, store, early, DAY)
    report = run_report(paths, store, DAY, DAY)

    def by_kind(bridge: AccountBridge) -> dict[str, Decimal]:
        return dict(bridge.by_kind)

    day_1205, day_1210, day_1220 = report.bridge
    assert by_kind(day_1205) == {
        "fee_misposted": Decimal("3.10"),
        "order_duplicate_posting": Decimal("7.00"),
        "order_missing_in_erp": Decimal("-230.00"),
        "order_rounding_difference": Decimal("0.02"),
        "order_tax_mismatch": Decimal("12.50"),
        "order_wrong_period": Decimal("40.00"),
        "payout_deposit_amount_mismatch": Decimal("5.00"),
    }
    assert by_kind(day_1210) == {"fee_misposted": Decimal("-3.10")} and day_1220.by_kind == ()
    for bridge in report.bridge:
        assert sum(by_kind(bridge).values(), Decimal("0.00")) == bridge.explained
        assert bridge.unattributed == 0
        terms = [bridge.explained, bridge.timing, bridge.residual]
        assert bridge.difference == sum((term for term in terms if term is not None), Decimal(0))
        assert None not in terms
    # The period to date: the wrong period nets to 0.00, timing too; the rest adds up by day.
    period_1205, period_1210, _ = report.period_bridge
    assert (period_1205.difference, period_1205.explained, period_1205.timing) == (
        Decimal("-202.38"), Decimal("-202.38"), Decimal("0.00"),
    )  # fmt: skip
    assert "order_wrong_period" not in by_kind(period_1205)
    assert sum(by_kind(period_1205).values(), Decimal("0.00")) == period_1205.explained
    assert by_kind(period_1210) == {"fee_misposted": Decimal("-3.10")}
    markdown = report_markdown(report)
    assert "| Explained: order_wrong_period | 40.00 | 0.00 | 0.00 |" in markdown
    assert "| Explained: fee_misposted | 3.10 | -3.10 | 0.00 |" in markdown
    assert "| Timing (booked on another day) | -15.00 | 0.00 | 0.00 |" in markdown
    assert "| Explained: order_duplicate_posting | 7.00 | 0.00 | 0.00 |" in markdown
    assert "| Explained by exceptions (Σ) | -162.38 | -3.10 | 0.00 |" in markdown

    # An exceptions partition missing from the lake: its lines cannot be attributed to a kind,
    # and the bridge says so instead of hiding the gap.
    recon_file(lake, "exceptions", SHOP, early).unlink()
    gap = load_settlement_report(lake, store, SHOP, DAY, DAY)
    assert by_kind(gap.bridge[0])["(exception not in the lake)"] == Decimal("40.00")
    recon_file(lake, "exception_lines", SHOP, early).unlink()
    gap = load_settlement_report(lake, store, SHOP, DAY, DAY)
    assert gap.bridge[0].unattributed == Decimal("40.00")
    assert "| Explained: lines not in the lake | 40.00 | 0.00 | 0.00 |" in report_markdown(gap)


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

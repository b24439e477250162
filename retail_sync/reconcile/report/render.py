"""Rendering a report for a finance reader: the markdown summary and the standalone HTML page."""

from __future__ import annotations

import html
from decimal import Decimal

from retail_sync.reconcile.report.chart import exception_chart_svg
from retail_sync.reconcile.report.model import (
    HELD,
    NOT_RECONCILED,
    OPEN_EXCEPTIONS,
    QUANTITY_UNIT,
    RECONCILED,
    UNEXPLAINED_DIFFERENCE,
    AccountBridge,
    SettlementReport,
)

ROLLFORWARD_LINES = (
    ("opening", "Opening balance"),
    ("charges", "Charges"),
    ("refunds", "Refunds"),
    ("fees", "Processing fees"),
    ("disputes", "Disputes"),
    ("adjustments", "Adjustments"),
    ("reserves", "Reserves"),
    ("payouts", "Payouts"),
    ("expected_movement", "Expected movement (the rules)"),
    ("expected_closing", "Expected closing"),
    ("ledger_movement", "Ledger movement"),
    ("ledger_closing", "Ledger closing"),
    ("difference", "Difference (ledger − expected)"),
    ("unpaid_balance", "Not yet paid out (Σ balance transactions)"),
)
# The lines of the clearing bridge; the explained lines by kind come between the first two.
BRIDGE_DIFFERENCE = "Difference (ledger − expected)"
BRIDGE_KIND = "Explained: {kind}"
BRIDGE_UNATTRIBUTED = "Explained: lines not in the lake"
BRIDGE_EXPLAINED = "Explained by exceptions (Σ)"
BRIDGE_TIMING = "Timing (booked on another day)"
BRIDGE_RESIDUAL = "Residual (unexplained)"
# How the period's headline counts the days that are not reconciled.
_PERIOD_COUNTS = (
    (NOT_RECONCILED, "not computed"),
    (HELD, "held"),
    (UNEXPLAINED_DIFFERENCE, "with an unexplained difference"),
    (OPEN_EXCEPTIONS, "with open exceptions"),
)


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


# (title, header, rows) of a table.
Section = tuple[str, list[str], list[list[str]]]


def summary_sections(report: SettlementReport) -> list[Section]:
    """(title, header, rows) of each table the markdown and the HTML both show."""
    sections: list[Section] = []
    if report.holds:
        sections.append(_held_section(report))
    sections.append(_domain_section(report))
    sections.append(_kind_section(report))
    if report.rollforward:
        sections.append(_rollforward_section(report))
    if report.bridge:
        sections.append(_bridge_section(f"Clearing bridge — {report.business_date}", report.bridge))
    if report.period_bridge:
        sections.append(
            _bridge_section(
                f"Clearing bridge — period {report.period} to date", report.period_bridge
            )
        )
    unreconciled = [
        day
        for day in report.period_days
        if day.status not in (RECONCILED, NOT_RECONCILED)
        and day.business_date != report.business_date
    ]
    if unreconciled:
        sections.append(
            (
                f"Earlier days of {report.period} not reconciled",
                ["date", "status", "open exceptions", "Σ |residual|"],
                [
                    [
                        day.business_date.isoformat(),
                        day.status,
                        str(day.open_exceptions),
                        money(day.abs_residual),
                    ]
                    for day in unreconciled
                ],
            )
        )
    return sections


def _held_section(report: SettlementReport) -> Section:
    return (
        "Held records (not reconciled, no journal proposed)",
        ["domain", "record", "reason", "detail"],
        [[hold.domain, hold.shopify_ref, hold.reason, hold.detail] for hold in report.holds],
    )


def _domain_section(report: SettlementReport) -> Section:
    return (
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


def _kind_section(report: SettlementReport) -> Section:
    return (
        "Exceptions by kind",
        ["kind", "domain", "count", "Σ |variance|"],
        [
            [total.kind, total.domain, str(total.count), _amount_in(total.abs_variance, total.unit)]
            for total in report.kinds
        ],
    )


def _rollforward_section(report: SettlementReport) -> Section:
    """One column per clearing account, one row per line of ROLLFORWARD_LINES."""
    return (
        "Clearing account roll-forward",
        ["line"] + [f"{row['account']} ({row['period']})" for row in report.rollforward],
        [
            [label] + [money(row[name]) for row in report.rollforward]
            for name, label in ROLLFORWARD_LINES
        ],
    )


def _bridge_section(title: str, bridges: list[AccountBridge]) -> Section:
    """One column per clearing account: difference = explained (by kind) + timing + residual."""
    kinds = sorted({kind for bridge in bridges for kind, _ in bridge.by_kind})
    amounts = [dict(bridge.by_kind) for bridge in bridges]
    rows = [[BRIDGE_DIFFERENCE] + [money(bridge.difference) for bridge in bridges]]
    rows += [
        [BRIDGE_KIND.format(kind=kind)]
        + [money(by_kind.get(kind, Decimal("0.00"))) for by_kind in amounts]
        for kind in kinds
    ]
    if any(bridge.unattributed for bridge in bridges):
        rows.append([BRIDGE_UNATTRIBUTED] + [money(bridge.unattributed) for bridge in bridges])
    rows += [
        [BRIDGE_EXPLAINED] + [money(bridge.explained) for bridge in bridges],
        [BRIDGE_TIMING] + [money(bridge.timing) for bridge in bridges],
        [BRIDGE_RESIDUAL] + [money(bridge.residual) for bridge in bridges],
    ]
    return title, ["line"] + [bridge.account for bridge in bridges], rows


def _status_lines(report: SettlementReport) -> list[str]:
    """Why the day is not reconciled (each reason that applies), or that it is."""
    lines = []
    if report.holds:
        reasons = ", ".join(sorted({hold.reason for hold in report.holds}))
        lines.append(
            f"**Not reconciled: {len(report.holds)} record(s) held** ({reasons}); they get no "
            "journal until resolved (see Held records). Everything else below is reported as usual."
        )
    unexplained = [bridge for bridge in report.bridge if bridge.unexplained]
    if unexplained:
        amounts = ", ".join(
            f"{money(bridge.residual)} on {bridge.account}" for bridge in unexplained
        )
        lines.append(
            f"**Not reconciled: unexplained difference** of {amounts}: ledger movement that no "
            "exception or timing explains (see Clearing bridge)."
        )
    if report.open_exceptions:
        lines.append(
            f"**Not reconciled: {report.open_exceptions} open exception(s)** dated this day "
            "(unresolved: not resolved or waived)."
        )
    if report.reconciled:
        lines.append(
            "**Reconciled**: nothing held, no open exception, and no unexplained difference on "
            "the clearing accounts."
        )
    return lines


def _period_line(report: SettlementReport) -> str:
    days = report.period_days
    reconciled = sum(day.status == RECONCILED for day in days)
    if report.period_reconciled:
        return f"Period {report.period} to date: **reconciled** (all {len(days)} days)."
    counts = ", ".join(
        f"{count} {label}"
        for status, label in _PERIOD_COUNTS
        if (count := sum(day.status == status for day in days))
    )
    return (
        f"Period {report.period} to date: not reconciled, **{reconciled} of {len(days)}** days "
        f"reconciled ({counts})."
    )


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
    lines = _status_lines(report)
    if report.period_days:
        lines.append(_period_line(report))
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
                ["kind", "domain", "variance", "Shopify", "ERP", "account", "counter account",
                 "status", "first seen", "age", "detail"],
                [
                    [item.kind, item.domain, _amount_in(item.variance, item.unit),
                     item.shopify_ref or "—", item.erp_ref or "—", item.account or "—",
                     item.counter_account or "—", item.status,
                     item.first_seen.isoformat() if item.first_seen else "—",
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

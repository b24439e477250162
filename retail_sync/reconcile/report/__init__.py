"""The settlement report of one shop and business date, for a finance reader (docs/finance.md).

Built from the `recon` partitions of that date (read with DuckDB from the lake), those of the
earlier days of its period (the calendar month), the shop's exception lines by ledger date and
the exception lifecycle store: matched % per domain, exceptions by kind, the clearing
roll-forward and its bridge (per clearing account, day and period to date: the difference ledger
− expected = the exceptions' deltas by kind + timing + residual), payouts reconciled, posting
latency, inventory freshness, the largest unresolved exceptions, and a chart of exceptions and
variance over the recent business dates. Reading is kept apart from building, so everything
between the reads and the files is a pure function of its inputs; the same inputs give a
byte-identical HTML file.

A shop-day is reconciled when its partitions were written, nothing in it is held, no exception
dated that day is open (unresolved in the lifecycle) and every clearing account's residual is
0.00; a period when every one of its days to date is. Otherwise its status says why, the first
of: `not reconciled` (nothing written), `held` (an inconsistent payout, a quarantined record:
`recon/holds`; listed with the reason while the rest of the day is reported as usual),
`unexplained difference` (a residual) and `open exceptions`.

Money stays Decimal here; variance totals add money exceptions only (an inventory variance is a
quantity of units, not money).

Modules, in the order the data flows: `read` (the lake and the store), `model` (the report's
data), `build` (the report from what was read), `render` and `chart` (markdown, HTML, SVG),
`write` (the HTML file).
"""

from retail_sync.reconcile.report.build import (
    DOMAINS,
    LARGEST_OPEN_COLUMNS,
    LARGEST_OPEN_LIMIT,
    UNEXPLAINED_KIND,
    build_settlement_report,
    largest_open_rows,
    period_dates,
    report_figures,
)
from retail_sync.reconcile.report.chart import exception_chart_svg
from retail_sync.reconcile.report.model import (
    DAY_STATUSES,
    HELD,
    NOT_RECONCILED,
    OPEN_EXCEPTIONS,
    QUANTITY_UNIT,
    RECONCILED,
    UNEXPLAINED_DIFFERENCE,
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
)
from retail_sync.reconcile.report.read import (
    ORDER_BY,
    RECON_COLUMNS,
    RECON_SOURCE,
    RECON_ZONE,
    TREND_DAYS,
    load_settlement_report,
    read_bridge_lines,
    read_exception_trend,
    read_recon_partition,
    read_recon_partitions,
    recon_file,
)
from retail_sync.reconcile.report.render import (
    ROLLFORWARD_LINES,
    headline,
    money,
    render_html,
    report_markdown,
    summary_sections,
)
from retail_sync.reconcile.report.write import report_path, reports_dir, write_html_report

__all__ = [
    "DAY_STATUSES",
    "DOMAINS",
    "HELD",
    "LARGEST_OPEN_COLUMNS",
    "LARGEST_OPEN_LIMIT",
    "NOT_RECONCILED",
    "OPEN_EXCEPTIONS",
    "ORDER_BY",
    "QUANTITY_UNIT",
    "RECONCILED",
    "RECON_COLUMNS",
    "RECON_SOURCE",
    "RECON_ZONE",
    "ROLLFORWARD_LINES",
    "TREND_DAYS",
    "UNEXPLAINED_DIFFERENCE",
    "UNEXPLAINED_KIND",
    "AccountBridge",
    "DailyExceptions",
    "DayStatus",
    "DomainMatch",
    "HeldRecord",
    "InventoryStats",
    "KindTotal",
    "LatencyStats",
    "LifecycleCounts",
    "OpenException",
    "ReconPartition",
    "SettlementReport",
    "build_settlement_report",
    "day_status",
    "exception_chart_svg",
    "headline",
    "largest_open_rows",
    "load_settlement_report",
    "money",
    "period_dates",
    "read_bridge_lines",
    "read_exception_trend",
    "read_recon_partition",
    "read_recon_partitions",
    "recon_file",
    "render_html",
    "report_figures",
    "report_markdown",
    "report_path",
    "reports_dir",
    "summary_sections",
    "write_html_report",
]

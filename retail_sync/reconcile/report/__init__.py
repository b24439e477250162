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

Modules, in the order the data flows: `read` (the lake and the store), `model` (the report's
data), `build` (the report from what was read), `render` and `chart` (markdown, HTML, SVG),
`write` (the HTML file).
"""

from retail_sync.reconcile.report.build import (
    DOMAINS,
    LARGEST_OPEN_COLUMNS,
    LARGEST_OPEN_LIMIT,
    build_settlement_report,
    largest_open_rows,
    report_figures,
)
from retail_sync.reconcile.report.chart import exception_chart_svg
from retail_sync.reconcile.report.model import (
    QUANTITY_UNIT,
    DailyExceptions,
    DomainMatch,
    HeldRecord,
    InventoryStats,
    KindTotal,
    LatencyStats,
    LifecycleCounts,
    OpenException,
    ReconPartition,
    SettlementReport,
)
from retail_sync.reconcile.report.read import (
    ORDER_BY,
    RECON_COLUMNS,
    RECON_SOURCE,
    RECON_ZONE,
    TREND_DAYS,
    load_settlement_report,
    read_exception_trend,
    read_recon_partition,
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
    "DOMAINS",
    "LARGEST_OPEN_COLUMNS",
    "LARGEST_OPEN_LIMIT",
    "ORDER_BY",
    "QUANTITY_UNIT",
    "RECON_COLUMNS",
    "RECON_SOURCE",
    "RECON_ZONE",
    "ROLLFORWARD_LINES",
    "TREND_DAYS",
    "DailyExceptions",
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
    "exception_chart_svg",
    "headline",
    "largest_open_rows",
    "load_settlement_report",
    "money",
    "read_exception_trend",
    "read_recon_partition",
    "recon_file",
    "render_html",
    "report_figures",
    "report_markdown",
    "report_path",
    "reports_dir",
    "summary_sections",
    "write_html_report",
]

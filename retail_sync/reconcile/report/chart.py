"""The report's chart: exceptions and variance per business date, and the unresolved backlog."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from retail_sync.reconcile.lifecycle import DailySnapshot
from retail_sync.reconcile.report.model import SettlementReport

# A matplotlib Axes: its type stubs refuse dates as x values, which matplotlib plots.
_DateAxes = Any


def exception_chart_svg(report: SettlementReport) -> str:
    """An inline SVG: exceptions and Σ|variance| per business date, and the unresolved backlog.

    matplotlib is imported here, not with the module: it costs ~0.3 s and only reports need it.
    """
    import matplotlib
    from matplotlib.dates import AutoDateLocator, DateFormatter
    from matplotlib.figure import Figure

    panels = 2 if report.backlog else 1
    with matplotlib.rc_context(
        {"svg.hashsalt": "retail_sync", "svg.fonttype": "none", "font.size": 9}
    ):
        figure = Figure(figsize=(9, 3.0 * panels), layout="constrained")
        axes = figure.subplots(panels, 1, squeeze=False, sharex=True)[:, 0]
        _plot_exceptions(axes[0], report)
        if report.backlog:
            _plot_backlog(axes[1], report.backlog)
        shown = [day.business_date for day in report.trend]
        shown += [snapshot.seen_on for snapshot in report.backlog]
        if shown:
            # (Dates: a margin of whole days; date + 12 hours is the same date.)
            axes[0].set_xlim(min(shown) - timedelta(days=1), max(shown) + timedelta(days=1))
        axes[-1].xaxis.set_major_locator(AutoDateLocator(maxticks=12))
        axes[-1].xaxis.set_major_formatter(DateFormatter("%m-%d"))
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


def _plot_exceptions(top: _DateAxes, report: SettlementReport) -> None:
    """Exceptions per business date as bars, Σ|variance| as a line on a second axis."""
    trend = report.trend
    days = [day.business_date for day in trend]
    # A date with no reconciliation written is a gap, not a zero (one with exceptions is a bar).
    counts = [day.exceptions if day.computed else math.nan for day in trend]
    variances = [float(day.abs_variance) if day.computed else math.nan for day in trend]
    top.bar(days, counts, width=0.8, color="#4c78a8", label="exceptions (bars)")
    top.set_ylabel("exceptions")
    top.set_title(
        f"Exceptions per business date — {report.shop_id}\n(gaps: no reconciliation written)",
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


def _plot_backlog(bottom: _DateAxes, backlog: Sequence[DailySnapshot]) -> None:
    """The unresolved backlog after each day's run, as a step line."""
    bottom.step(
        [snapshot.seen_on for snapshot in backlog],
        [snapshot.unresolved for snapshot in backlog],
        where="post",
        marker="o",
        markersize=3,
        color="#54a24b",
    )
    bottom.set_ylabel("unresolved")
    bottom.set_title("Unresolved backlog after each day's run (by run date)", loc="left")
    bottom.set_ylim(bottom=0)

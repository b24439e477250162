"""Writing a report's HTML page under the home, replaced atomically."""

from __future__ import annotations

import os
import uuid
from datetime import date
from pathlib import Path

from retail_sync.reconcile.report.model import SettlementReport
from retail_sync.reconcile.report.render import render_html
from retail_sync.settings import Paths


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

"""`retail-sync demo` end to end: a fresh home, a world generated, the nightly job recorded in the
embedded (SQLite) instance, the truth table in the lake; a second run replaces rather than adds."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.long]


def _demo(home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "retail_sync.cli", "demo", "--home", str(home), "--days", "2",
         "--orders-per-day", "30"],
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip


def test_demo_runs_the_nightly_job_on_the_embedded_instance(tmp_path: Path) -> None:
    home = tmp_path / "home"
    completed = _demo(home)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "succeeded (nightly_settlement)" in completed.stdout
    assert "retail-sync dev" in completed.stdout
    # The auto-corrections are posted and verified; the summary says so, and what waits.
    journals = re.findall(
        r": (\d+) posted \(([0-9.]+) [A-Z]{3}\), (\d+) verified, (\d+) awaiting approval",
        completed.stdout,
    )
    assert journals, completed.stdout[-3000:]
    assert all(posted == verified for posted, _, verified, _ in journals), journals
    assert sum(int(posted) for posted, *_ in journals) > 0, journals

    truth = home / "lake" / "sandbox" / "truth" / "discrepancies" / "part-0.parquet"
    lake_rows = duckdb.sql(f"select count(*) from '{truth}'").fetchall()[0][0]
    csv_rows = sum(1 for line in (home / "world" / "truth" / "discrepancies.csv").open()) - 1
    assert lake_rows == csv_rows > 0

    with dg.DagsterInstance.from_config(str(home / "dagster_home")) as instance:
        runs = {run.job_name: run for run in instance.get_runs()}
        assert set(runs) == {"sandbox_setup", "nightly_settlement"}
        assert {run.status for run in runs.values()} == {dg.DagsterRunStatus.SUCCESS}
        event = instance.get_latest_materialization_event(dg.AssetKey("sandbox_discrepancy_truth"))
        assert event is not None and event.run_id == runs["sandbox_setup"].run_id
        nightly = runs["nightly_settlement"].run_id
        for key in (["raw", "shopify", "orders"], ["raw", "erp", "gl_lines"], ["analyst_catalog"]):
            event = instance.get_latest_materialization_event(dg.AssetKey(key))
            assert event is not None and event.run_id == nightly, key

    # The analyst catalog sees what the run landed, through the staging models.
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as catalog:
        orders = catalog.execute(
            "select count(distinct order_id) from raw.shopify__orders"
        ).fetchall()
        lines = catalog.execute("select count(*) from staging.stg_erp__gl_lines").fetchall()
    world_orders = sum(
        1 for path in (home / "world" / "shopify").glob("*/orders.jsonl") for _ in path.open()
    )
    assert orders[0][0] > 0 and lines[0][0] > 0
    assert orders[0][0] <= world_orders

    first_world = sorted(path.name for path in (home / "world").rglob("*"))
    again = _demo(home)
    assert again.returncode == 0, again.stderr[-3000:]
    assert sorted(path.name for path in (home / "world").rglob("*")) == first_world
    assert duckdb.sql(f"select count(*) from '{truth}'").fetchall()[0][0] == lake_rows

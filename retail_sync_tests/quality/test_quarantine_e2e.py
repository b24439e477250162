"""Against the simulators' `malformed` fault profile, `retail-sync ingest` quarantines malformed
records, and for every raw table with quarantined records the `no_quarantined_records` check of
that table reports exactly as many, naming the records."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from retail_sync.sandbox.netsuite import SANDBOX_CREDENTIALS, start_netsuite_simulator
from retail_sync.sandbox.shopify import start_shopify_simulator
from retail_sync.sandbox.world import World
from retail_sync.settings import Paths
from retail_sync.shops import token_variable
from retail_sync_tests.conftest import TINY_WORLD

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.long]


@pytest.fixture
def malformed(tmp_path: Path) -> Iterator[tuple[Paths, dict[str, str]]]:
    """The tiny world served with 5% malformed records (as `serve_sandbox`, with a profile)."""
    paths = Paths(tmp_path / "home")
    paths.home.mkdir()
    shutil.copytree(TINY_WORLD, paths.world)
    world = World.open(paths.world)
    environment = dict(os.environ)
    environment.pop("DAGSTER_HOME", None)
    shops = []
    for shop in world.shops:
        variable = token_variable(shop["id"])
        environment[variable] = shop["access_token"]
        shops.append(
            {k: v for k, v in shop.items() if k not in ("access_token", "webhook_secret")}
            | {"access_token_variable": variable}
        )
    paths.shops_file.write_text(json.dumps(shops), encoding="utf-8")
    shopify = start_shopify_simulator(world, faults="malformed")
    netsuite = start_netsuite_simulator(world, state_dir=paths.home / "netsuite-state")
    try:
        environment |= SANDBOX_CREDENTIALS.environment(netsuite.url)
        environment["RETAIL_SYNC_SHOPIFY_URL"] = shopify.url
        yield paths, environment
    finally:
        shopify.stop()
        netsuite.stop()


def test_quarantined_records_are_reported_by_a_check(
    malformed: tuple[Paths, dict[str, str]],
) -> None:
    paths, environment = malformed
    completed = subprocess.run(
        [sys.executable, "-m", "retail_sync.cli", "ingest", "--home", str(paths.home),
         "--start", "2026-10-31", "--end", "2026-11-01"],
        capture_output=True, text=True, env=environment, timeout=600,
    )  # fmt: skip
    # Quarantine checks are advisory: the ingest succeeds and reports them.
    assert completed.returncode == 0, completed.stderr[-3000:]

    quarantine = paths.lake / "raw" / "shopify" / "quarantine"
    quarantined = dict(
        duckdb.sql(
            f"select source_table, count(*) from read_parquet('{quarantine}/**/*.parquet', "
            "union_by_name = true) group by all"
        ).fetchall()
    )
    assert sum(quarantined.values()) > 0

    with dg.DagsterInstance.from_config(str(paths.dagster_home)) as instance:
        for table, count in quarantined.items():
            key = dg.AssetCheckKey(dg.AssetKey(["raw", "shopify", table]), "no_quarantined_records")
            history = instance.event_log_storage.get_asset_check_execution_history(key, limit=50)
            evaluations = [
                record.event.dagster_event.event_specific_data
                for record in history
                if record.event and record.event.dagster_event
            ]
            failed = [evaluation for evaluation in evaluations if not evaluation.passed]
            assert failed, f"{table}: {count} quarantined, no check reported it"
            assert all(e.severity == dg.AssetCheckSeverity.WARN for e in failed)
            assert sum(e.metadata["unexpected_count"].value for e in failed) == count
            assert all(e.metadata["offending_ids"].value for e in failed)

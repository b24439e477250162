"""`retail-sync ingest` end to end against both simulators serving the hand-written world: every
order updated in the window lands exactly once, the GL lines of both subsidiaries land, the
catalog is republished, and re-running gives byte-identical partitions."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime

import dagster as dg
import duckdb
import pytest

from retail_sync.app.demo import serve_sandbox
from retail_sync.sandbox.world import World
from retail_sync.settings import Paths
from retail_sync.shops import load_shops
from retail_sync_tests.conftest import TINY_WORLD

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.long]
START, END = date(2026, 10, 31), date(2026, 11, 1)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Paths, dict[str, str]]]:
    paths = Paths(tmp_path_factory.mktemp("ingest") / "home")
    paths.home.mkdir()
    shutil.copytree(TINY_WORLD, paths.world)
    before = dict(os.environ)
    try:
        with serve_sandbox(paths, World.open(paths.world)) as endpoints:
            environment = dict(os.environ) | {"RETAIL_SYNC_SHOPIFY_URL": endpoints.shopify_url}
            environment.pop("DAGSTER_HOME", None)
            yield paths, environment
    finally:
        os.environ.clear()
        os.environ.update(before)


@pytest.fixture(scope="module")
def ingested(
    served: tuple[Paths, dict[str, str]],
) -> tuple[Paths, dict[str, str], subprocess.CompletedProcess[str]]:
    """One `retail-sync ingest` of the window, shared by the tests that start from it (each
    costs tens of seconds: a Python process, Dagster, Great Expectations, five runs)."""
    paths, environment = served
    return paths, environment, _ingest(paths, environment)


def _ingest(paths: Paths, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "retail_sync.cli", "ingest", "--home", str(paths.home),
         "--start", START.isoformat(), "--end", END.isoformat()],
        capture_output=True, text=True, env=environment, timeout=600,
    )  # fmt: skip


def _orders_updated_in_window(paths: Paths) -> set[int]:
    shops = {shop.id: shop for shop in load_shops(paths.shops_file)}
    expected = set()
    for shop_id, shop in shops.items():
        for line in (paths.world / "shopify" / shop_id / "orders.jsonl").open():
            if line.strip():
                order = json.loads(line)
                updated = shop.business_date(datetime.fromisoformat(order["updated_at"]))
                if START <= updated <= END:
                    expected.add(order["id"])
    return expected


def test_ingest_lands_every_record_once_and_reruns_identically(
    ingested: tuple[Paths, dict[str, str], subprocess.CompletedProcess[str]],
) -> None:
    paths, environment, completed = ingested
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "Ingested 4 partitions" in completed.stdout

    with duckdb.connect(str(paths.warehouse), read_only=True) as catalog:
        landed = catalog.execute("select order_id from raw.shopify__orders").fetchall()
        subsidiaries = catalog.execute(
            "select distinct subsidiary_id from staging.stg_erp__gl_lines order by 1"
        ).fetchall()
    ids = [row[0] for row in landed]
    assert len(ids) == len(set(ids))
    assert set(ids) == _orders_updated_in_window(paths)
    assert subsidiaries == [("1",), ("2",)]

    raw = paths.lake / "raw"
    before = {path: path.read_bytes() for path in raw.rglob("*.parquet")}
    again = _ingest(paths, environment)
    assert again.returncode == 0, again.stderr[-3000:]
    assert {path: path.read_bytes() for path in raw.rglob("*.parquet")} == before


def test_staging_dates_each_record_in_its_shops_timezone(
    ingested: tuple[Paths, dict[str, str], subprocess.CompletedProcess[str]],
) -> None:
    from retail_sync.definitions import build_definitions
    from retail_sync.defs.settlement.schedules import settlement_range_tags
    from retail_sync.defs.staging.assets import staging_assets

    paths, _, completed = ingested
    assert completed.returncode == 0, completed.stderr[-3000:]
    shops = {shop.id: shop for shop in load_shops(paths.shops_file)}
    with dg.DagsterInstance.from_config(str(paths.dagster_home)) as instance:
        known = instance.get_dynamic_partitions("shop")
        result = dg.materialize(
            staging_assets,
            instance=instance,
            resources=build_definitions(paths).resources,
            tags=settlement_range_tags(START, END, known),
        )
        assert result.success

    staged = duckdb.sql(
        f"select shop_id, business_date, order_id, processed_at from read_parquet("
        f"'{paths.lake}/staging/shopify/orders/**/*.parquet', hive_partitioning = true)"
    ).fetchall()
    ids = [row[2] for row in staged]
    assert len(ids) == len(set(ids)) > 0
    for shop_id, business_date, _, processed_at in staged:
        assert business_date == shops[shop_id].business_date(processed_at)
        assert START <= business_date <= END

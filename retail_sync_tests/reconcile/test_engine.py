"""The reconciliation asset: per-partition Parquet outputs, identical on a re-run."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from retail_sync.defs.partitions import SHOP_PARTITIONS
from retail_sync.defs.reconcile.assets import RECON_OUTPUTS, reconciliation
from retail_sync.defs.resources import LakeResource, ShopsResource
from retail_sync_tests.reconcile.harness import land_world

pytestmark = pytest.mark.e2e
WORLD = Path(__file__).parent / "worlds" / "order_duplicate_posting"


def test_rerun_gives_identical_exception_ids_and_figures(tmp_path: Path) -> None:
    lake, shops = land_world(WORLD, tmp_path / "work")
    (truth,) = csv.DictReader((WORLD / "truth" / "discrepancies.csv").open(encoding="utf-8"))
    shop, day = truth["shop_id"], truth["business_date"]
    resources = {
        "lake": LakeResource(root=str(lake.root)),
        "shops": ShopsResource(path=str(tmp_path / "work" / "shops.json")),
    }
    outputs: list[dict[Path, bytes]] = []
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(SHOP_PARTITIONS, [s.id for s in shops])
        for _ in range(2):
            result = dg.materialize(
                [reconciliation],
                instance=instance,
                resources=resources,
                partition_key=dg.MultiPartitionKey({"date": day, "shop": shop}),
            )
            assert result.success
            outputs.append(
                {path: path.read_bytes() for path in (lake.root / "recon").rglob("*.parquet")}
            )
    assert outputs[0] == outputs[1]
    assert {path.parts[-4] for path in outputs[0]} == set(RECON_OUTPUTS)
    exceptions = duckdb.sql(
        f"select exception_id, kind, variance, business_date from read_parquet("
        f"'{lake.root}/recon/shopify/exceptions/shop={shop}/date={day}/*.parquet')"
    ).fetchall()
    assert [(kind, str(variance), found_day) for _, kind, variance, found_day in exceptions] == [
        (truth["kind"], truth["expected_variance"], date.fromisoformat(day))
    ]
    assert exceptions[0][0].startswith("exc_")

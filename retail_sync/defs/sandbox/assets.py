"""The sandbox world as assets: generated deterministically, its ground truth landed in the lake."""

# No `from __future__ import annotations` here: Dagster reads Config and resource annotations at
# runtime.

import shutil
import uuid
from datetime import date
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.csv as pa_csv

from retail_sync.defs.keys import SANDBOX_GROUP
from retail_sync.defs.metadata import markdown_table
from retail_sync.defs.resources import LakeResource, SandboxWorldResource
from retail_sync.warehouse.lake import write_table_partition

TRUTH_SCHEMA = pa.schema(
    [
        ("discrepancy_id", pa.string()),
        ("kind", pa.string()),
        ("domain", pa.string()),
        ("shop_id", pa.string()),
        ("shopify_ref", pa.string()),
        ("erp_ref", pa.string()),
        ("account", pa.string()),
        ("expected_variance", pa.decimal128(18, 2)),
        ("currency", pa.string()),
        ("business_date", pa.date32()),
        ("note", pa.string()),
    ]
)


class SandboxWorldConfig(dg.Config):
    """How big a world to generate; the same values always give the same world."""

    seed: int = 7
    start: str = "2026-10-01"
    days: int = 3
    orders_per_day: int = 200
    shops: int = 2
    discrepancy_rate: float = 0.02


@dg.asset(
    group_name=SANDBOX_GROUP,
    description="A seeded sandbox world (Shopify shops and their ERP) that the simulators serve.",
    kinds={"json"},
)
def sandbox_world(
    config: SandboxWorldConfig, sandbox: SandboxWorldResource
) -> dg.MaterializeResult:
    # The generator is only needed here; importing it lazily keeps definition loading fast.
    from retail_sync.sandbox.generate import generate_world

    target = Path(sandbox.path)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{uuid.uuid4().hex}.inprogress")
    generate_world(
        staging,
        seed=config.seed,
        start=date.fromisoformat(config.start),
        days=config.days,
        orders_per_day=config.orders_per_day,
        shops=config.shops,
        discrepancy_rate=config.discrepancy_rate,
    )
    _replace_directory(staging, target)
    world = sandbox.world()
    shop_rows = [
        {
            "shop": shop["id"],
            "currency": shop["currency"],
            "timezone": shop["timezone"],
            "orders": _count_lines(world.shop_path(shop["id"], "orders.jsonl")),
            "payouts": _count_lines(world.shop_path(shop["id"], "payouts.jsonl")),
        }
        for shop in world.shops
    ]
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(target)),
            "seed": config.seed,
            "business_dates": f"{config.start} + {config.days} days",
            "shops": dg.MetadataValue.md(markdown_table(shop_rows)),
            "orders": sum(row["orders"] for row in shop_rows),
            "journal_entries": _count_lines(world.erp_path("journal_entries.jsonl")),
            "injected_discrepancies": max(_count_lines(world.truth_path) - 1, 0),
        }
    )


@dg.asset(
    deps=[sandbox_world],
    group_name=SANDBOX_GROUP,
    description="The discrepancies the generator injected, as a lake table to score against.",
    kinds={"parquet"},
)
def sandbox_discrepancy_truth(
    sandbox: SandboxWorldResource, lake: LakeResource
) -> dg.MaterializeResult:
    world = sandbox.world()
    table = pa_csv.read_csv(
        world.truth_path,
        convert_options=pa_csv.ConvertOptions(
            column_types=TRUTH_SCHEMA,
            include_columns=TRUTH_SCHEMA.names,
            strings_can_be_null=True,
        ),
    ).select(TRUTH_SCHEMA.names)
    directory = lake.lake().partition_dir("sandbox", "truth", "discrepancies")
    rows = write_table_partition(directory, table)
    by_kind = table.group_by("kind").aggregate([("discrepancy_id", "count")]).to_pylist()
    by_kind.sort(key=lambda row: str(row["kind"]))
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "path": dg.MetadataValue.path(str(directory)),
            "kinds": len(by_kind),
            "by_kind": dg.MetadataValue.md(
                markdown_table(
                    [{"kind": row["kind"], "count": row["discrepancy_id_count"]} for row in by_kind]
                )
            ),
        }
    )


def _replace_directory(new: Path, target: Path) -> None:
    """Put `new` at `target`; the old folder is removed only once the new one is in place."""
    if target.exists():
        retired = target.with_name(f".{target.name}.{uuid.uuid4().hex}.retired")
        target.rename(retired)
        new.rename(target)
        shutil.rmtree(retired)
    else:
        new.rename(target)


def _count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())

"""Reconciliation: the SQL models of sql/recon over staging, published per business date × shop.

One multi-asset computes the reconciliation once for the run's shops (every landed date: an order
may be booked on another day than it happened, a payout is matched by id, not by date) and writes
each output's rows of every (date, shop) partition of the run to
`<lake>/recon/shopify/<entity>/shop=<shop>/date=<date>/part-0.parquet`, sorted, so a re-run is
byte-identical.

A malformed or inconsistent record holds only itself: the quality checks that hold records
(payout consistency) report WARN, so this asset still runs for every shop, and `recon/holds` lists
each held record with the reason; its metadata shows them, and the settlement report marks those
shop-days not reconciled.
"""

# No `from __future__ import annotations`: Dagster reads resource annotations at runtime.

from collections.abc import Iterator, Sequence
from datetime import date
from typing import TYPE_CHECKING

import dagster as dg

from retail_sync.defs.keys import RECONCILE_GROUP, partition_key
from retail_sync.defs.metadata import markdown_table, rows_metadata
from retail_sync.defs.partitions import date_shop_partitions, partitions_of, single_run
from retail_sync.defs.quality.automation import checked_eager
from retail_sync.defs.resources import LakeResource, ShopsResource
from retail_sync.defs.staging.assets import MODEL_INPUTS, staging_location
from retail_sync.reconcile.engine import RECON_OUTPUTS

if TYPE_CHECKING:
    from retail_sync.shops import ShopSettings
    from retail_sync.warehouse.lake import Lake

RECON_KEYS = [dg.AssetKey(["recon", name]) for name in RECON_OUTPUTS]
STAGING_KEYS = [dg.AssetKey(["staging", *staging_location(model)]) for model in MODEL_INPUTS]
DESCRIPTIONS = {
    "exceptions": "Every difference between Shopify and the ledger, classified, with a "
    "deterministic id (sql/recon/exceptions.sql).",
    "exception_lines": "Per exception, the difference on each account it touches: the rules' "
    "amount, the ledger's and the delta, with the ledger date (sql/recon/exception_lines.sql).",
    "corrected_exceptions": "Exceptions our corrective journals put right: every line's remaining "
    "delta is 0.00, with what the corrections booked, their external ids and latest date "
    "(sql/recon/corrected_exceptions.sql).",
    "holds": "Records the reconciliation cannot vouch for (an inconsistent payout, a "
    "quarantined record), with the reason: their shop-day is not reconciled and no journal is "
    "proposed for them (sql/recon/holds.sql).",
    "match_summary": "Records reconciled and matched per domain (sql/recon/match_summary.sql).",
    "clearing_rollforward": "The clearing accounts (1205, 1210, 1220) rolled forward per day, "
    "with the bridge from each day's difference to the exceptions and the residual "
    "(sql/recon/clearing_rollforward.sql).",
    "posting_latency": "Days from each order to its ERP entry (sql/recon/posting_latency.sql).",
    "inventory_status": "Inventory comparison size and snapshot freshness "
    "(sql/recon/inventory_status.sql).",
}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["recon", name],
            deps=STAGING_KEYS,
            partitions_def=date_shop_partitions,
            group_name=RECONCILE_GROUP,
            description=DESCRIPTIONS[name],
            kinds={"duckdb", "parquet"},
            automation_condition=checked_eager(),
        )
        for name in RECON_OUTPUTS
    ],
    backfill_policy=single_run,
    name="reconciliation",
)
def reconciliation(
    context: dg.AssetExecutionContext, lake: LakeResource, shops: ShopsResource
) -> Iterator[dg.MaterializeResult]:
    the_lake = lake.lake()
    partitions = partitions_of(context)
    run_shops = {shop_id for _, shop_id in partitions}
    settings = [shop for shop in shops.shops().values() if shop.id in run_shops]
    rows, holds = write_reconciliation(the_lake, settings, partitions)
    if holds:
        context.log.warning(
            f"{len(holds)} record(s) held in {len({hold['partition'] for hold in holds})} "
            "shop-day(s); the rest is reconciled (see recon/holds)"
        )
    for name in RECON_OUTPUTS:
        metadata = rows_metadata(rows[name])
        if name == "holds":
            metadata |= _holds_metadata(holds)
        yield dg.MaterializeResult(asset_key=["recon", name], metadata=metadata)


def write_reconciliation(
    the_lake: "Lake", settings: "Sequence[ShopSettings]", partitions: "Sequence[tuple[date, str]]"
) -> tuple[dict[str, dict[str, int]], list[dict[str, str]]]:
    """Reconcile the shops of `settings` and write every output's rows of `partitions`.

    Returns the rows written per output and partition key, and the held records of those
    partitions. The journals' verification calls it again after posting, on the ledger re-read.
    """
    from retail_sync.reconcile.engine import reconciliation_connection
    from retail_sync.warehouse.lake import write_partition

    rows: dict[str, dict[str, int]] = {name: {} for name in RECON_OUTPUTS}
    holds: list[dict[str, str]] = []
    run_partitions = set(partitions)
    with reconciliation_connection(the_lake, settings) as connection:
        for name in RECON_OUTPUTS:
            for business_date, shop_id in partitions:
                reader = connection.sql(
                    f"select * from recon.{name} "
                    "where shop_id = $shop and business_date = $business_date order by all",
                    params={"shop": shop_id, "business_date": business_date},
                ).to_arrow_reader(50_000)
                directory = the_lake.partition_dir(
                    "recon", "shopify", name, shop=shop_id, date=business_date.isoformat()
                )
                rows[name][partition_key(business_date, shop_id)] = write_partition(
                    directory, reader.schema, reader
                )
        for shop_id, business_date, shopify_ref, reason, detail in connection.execute(
            "select shop_id, business_date, shopify_ref, reason, detail from recon.holds "
            "order by all"
        ).fetchall():
            if (business_date, shop_id) in run_partitions:
                holds.append(
                    {
                        "partition": partition_key(business_date, shop_id),
                        "record": shopify_ref,
                        "reason": reason,
                        "detail": detail.replace("|", "\\|"),
                    }
                )
    return rows, holds


HOLDS_SHOWN = 50


def _holds_metadata(holds: list[dict[str, str]]) -> dict[str, object]:
    """What is held and why, for the run's partitions (the first `HOLDS_SHOWN` in full)."""
    return {
        "held_records": len(holds),
        "held_shop_days": dg.MetadataValue.json(sorted({hold["partition"] for hold in holds})),
        "holds": dg.MetadataValue.md(markdown_table(holds[:HOLDS_SHOWN])),
    }

"""Staging: the SQL models of sql/staging, materialized per business date and shop.

Each model is a view over the raw lake (latest version of each record, dated in the shop's
timezone); its asset writes the rows of one (business date, shop) to
`<lake>/staging/<source>/<entity>/shop=<shop>/date=<date>/part-0.parquet`, sorted so a re-run is
byte-identical.
"""

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import dagster as dg

from retail_sync.defs.keys import STAGING_GROUP, partition_key
from retail_sync.defs.metadata import rows_metadata
from retail_sync.defs.partitions import date_shop_partitions, partitions_of, single_run
from retail_sync.defs.resources import LakeResource, ShopsResource

if TYPE_CHECKING:
    from retail_sync.shops import ShopSettings
    from retail_sync.warehouse.lake import Lake

# Each model and the raw assets it reads.
MODEL_INPUTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "stg_shopify__orders": (("raw", "shopify", "orders"),),
    "stg_shopify__order_line_items": (
        ("raw", "shopify", "orders"),
        ("raw", "shopify", "order_line_items"),
    ),
    "stg_shopify__order_refunds": (
        ("raw", "shopify", "orders"),
        ("raw", "shopify", "order_refunds"),
    ),
    "stg_shopify__order_refund_line_items": (
        ("raw", "shopify", "orders"),
        ("raw", "shopify", "order_refunds"),
        ("raw", "shopify", "order_refund_line_items"),
    ),
    "stg_shopify__order_refund_shipping_lines": (
        ("raw", "shopify", "orders"),
        ("raw", "shopify", "order_refunds"),
        ("raw", "shopify", "order_refund_shipping_lines"),
    ),
    "stg_shopify__order_transactions": (
        ("raw", "shopify", "orders"),
        ("raw", "shopify", "order_transactions"),
    ),
    "stg_shopify__order_settlements": (
        ("raw", "shopify", "orders"),
        ("raw", "shopify", "order_line_items"),
        ("raw", "shopify", "order_transactions"),
    ),
    "stg_shopify__refund_settlements": (
        ("raw", "shopify", "orders"),
        ("raw", "shopify", "order_line_items"),
        ("raw", "shopify", "order_refunds"),
        ("raw", "shopify", "order_refund_line_items"),
        ("raw", "shopify", "order_refund_shipping_lines"),
        ("raw", "shopify", "order_transactions"),
    ),
    "stg_shopify__balance_transactions": (("raw", "shopify", "balance_transactions"),),
    "stg_shopify__payouts": (("raw", "shopify", "payouts"),),
    "stg_shopify__inventory_levels": (("raw", "shopify", "inventory_levels"),),
    "stg_erp__gl_lines": (("raw", "erp", "gl_lines"),),
    "stg_erp__on_hand": (("raw", "erp", "on_hand"),),
}


def staging_location(model: str) -> tuple[str, str]:
    """`stg_shopify__orders` → (`shopify`, `orders`)."""
    source, entity = model.removeprefix("stg_").split("__", 1)
    return source, entity


def _staging_asset(model: str, inputs: tuple[tuple[str, ...], ...]) -> dg.AssetsDefinition:
    source, entity = staging_location(model)

    @dg.asset(
        name=entity,
        key_prefix=["staging", source],
        deps=[dg.AssetKey(list(key)) for key in inputs],
        partitions_def=date_shop_partitions,
        backfill_policy=single_run,
        group_name=STAGING_GROUP,
        description=f"Model sql/staging/{model}.sql for the business date and shop.",
        kinds={"duckdb", "parquet"},
    )
    def _asset(
        context: dg.AssetExecutionContext, lake: LakeResource, shops: ShopsResource
    ) -> dg.MaterializeResult:
        rows = write_staging(
            lake.lake(), list(shops.shops().values()), model, partitions_of(context)
        )
        if rows is None:
            # Its raw inputs have no partition anywhere yet (a new shop, no payouts so far).
            return dg.MaterializeResult(
                metadata={"run_rows": 0, "waiting_for": "raw data this model reads"}
            )
        return dg.MaterializeResult(metadata=rows_metadata(rows))

    return _asset


def write_staging(
    the_lake: "Lake",
    shops: "Sequence[ShopSettings]",
    model: str,
    partitions: "Sequence[tuple[date, str]]",
) -> dict[str, int] | None:
    """Compute one staging model and write its rows of `partitions`; None when its raw inputs
    have no partition anywhere yet. The journals' verification calls it again for the ledger
    lines it re-read after posting."""
    from retail_sync.warehouse.catalog import models_connection
    from retail_sync.warehouse.lake import write_partition

    source, entity = staging_location(model)
    rows: dict[str, int] = {}
    with models_connection(the_lake, shops) as connection:
        defined = connection.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'staging' and table_name = ?",
            [model],
        ).fetchall()[0][0]
        if not defined:
            return None
        # The model runs once for the whole run (a view over the raw lake costs about the same
        # for one date as for all of them), then each partition is cut from the result.
        connection.execute(
            f"create temp table run_rows as select * from staging.{model} "
            "where list_contains($shops, shop_id) and business_date between $first and $last",
            {
                "shops": sorted({shop_id for _, shop_id in partitions}),
                "first": min(business_date for business_date, _ in partitions),
                "last": max(business_date for business_date, _ in partitions),
            },
        )
        for business_date, shop_id in partitions:
            reader = connection.sql(
                "select * from run_rows "
                "where shop_id = $shop and business_date = $business_date order by all",
                params={"shop": shop_id, "business_date": business_date},
            ).to_arrow_reader(50_000)
            directory = the_lake.partition_dir(
                "staging", source, entity, shop=shop_id, date=business_date.isoformat()
            )
            rows[partition_key(business_date, shop_id)] = write_partition(
                directory, reader.schema, reader
            )
    return rows


staging_assets = [_staging_asset(model, inputs) for model, inputs in MODEL_INPUTS.items()]

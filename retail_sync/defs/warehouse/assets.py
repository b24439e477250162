"""The analyst catalog: DuckDB views over the lake, republished after every run."""

from typing import Any

import dagster as dg

from retail_sync.defs.erp import assets as erp_assets
from retail_sync.defs.journals.assets import JOURNAL_KEYS
from retail_sync.defs.keys import WAREHOUSE_GROUP
from retail_sync.defs.metadata import markdown_table
from retail_sync.defs.reconcile.assets import RECON_KEYS
from retail_sync.defs.resources import LakeResource, ShopsResource, WarehouseResource
from retail_sync.defs.shopify import assets as shopify_assets
from retail_sync.defs.staging.assets import staging_assets

RAW_ASSETS = [
    erp_assets.accounts,
    erp_assets.periods,
    erp_assets.gl_lines,
    erp_assets.on_hand,
    shopify_assets.orders,
    shopify_assets.payouts,
    shopify_assets.balance_transactions,
    shopify_assets.inventory_levels,
]


@dg.asset(
    deps=[*RAW_ASSETS, *staging_assets, *RECON_KEYS, *JOURNAL_KEYS],
    group_name=WAREHOUSE_GROUP,
    pool="duckdb_writer",
    description="A DuckDB file of views (schemas raw, staging, recon, journals) over the lake, "
    "for analysts; replaced atomically, never held open by the pipeline (docs/analysts.md).",
    kinds={"duckdb"},
)
def analyst_catalog(
    lake: LakeResource, warehouse: WarehouseResource, shops: ShopsResource
) -> dg.MaterializeResult:
    from retail_sync.warehouse.catalog import publish_catalog

    summary = publish_catalog(
        lake.lake(), warehouse.catalog_path(), shops=list(shops.shops().values())
    )
    views = [
        {"schema": schema, "view": name}
        for schema, names in summary.views.items()
        for name in names
    ]
    metadata: dict[str, Any] = {
        "path": dg.MetadataValue.path(str(summary.path)),
        "views": len(views),
        "catalog": dg.MetadataValue.md(markdown_table(views)),
    }
    if summary.skipped:
        metadata["models_waiting_for_data"] = dg.MetadataValue.md(
            markdown_table([{"model": k, "why": v} for k, v in sorted(summary.skipped.items())])
        )
    return dg.MaterializeResult(metadata=metadata)

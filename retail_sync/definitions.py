"""The Dagster code location: every asset, check, job, schedule, sensor and resource."""

from __future__ import annotations

import dagster as dg

from retail_sync.defs.erp import assets as erp_assets
from retail_sync.defs.resources import (
    ERPResource,
    LakeResource,
    SandboxWorldResource,
    ShopifyResource,
    ShopsResource,
    WarehouseResource,
)
from retail_sync.defs.sandbox import assets as sandbox_assets
from retail_sync.defs.settlement.jobs import nightly_settlement_job, sandbox_setup_job
from retail_sync.defs.settlement.schedules import (
    nightly_settlement_schedule,
    shop_registry_sensor,
)
from retail_sync.defs.shopify import assets as shopify_assets
from retail_sync.defs.warehouse import assets as warehouse_assets
from retail_sync.settings import Paths


def build_definitions(paths: Paths, *, shopify_base_url: str = "") -> dg.Definitions:
    """Assemble the definitions for a given home (tests and the demo pass their own)."""
    return dg.Definitions(
        assets=dg.load_assets_from_modules(
            [sandbox_assets, shopify_assets, erp_assets, warehouse_assets]
        ),
        jobs=[nightly_settlement_job, sandbox_setup_job],
        schedules=[nightly_settlement_schedule],
        sensors=[shop_registry_sensor],
        resources={
            "lake": LakeResource(root=str(paths.lake)),
            "shops": ShopsResource(path=str(paths.shops_file)),
            "shopify": ShopifyResource(base_url=shopify_base_url),
            "erp": ERPResource(),
            "sandbox": SandboxWorldResource(path=str(paths.world)),
            "warehouse": WarehouseResource(catalog=str(paths.warehouse)),
        },
    )


defs = build_definitions(Paths.from_environment())

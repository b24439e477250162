"""The Dagster code location: every asset, check, job, schedule, sensor and resource."""

from __future__ import annotations

import os

import dagster as dg

from retail_sync.defs.erp import assets as erp_assets
from retail_sync.defs.journals.assets import journal_assets, journals_resources
from retail_sync.defs.quality.checks import quality_checks
from retail_sync.defs.quality.freshness import with_freshness_policies
from retail_sync.defs.reconcile import assets as reconcile_assets
from retail_sync.defs.reconcile.report import reconcile_report_assets, reconcile_report_resources
from retail_sync.defs.recovery import stale_run_slots_sensor
from retail_sync.defs.resources import (
    ERPResource,
    LakeResource,
    SandboxWorldResource,
    ShopifyResource,
    ShopsResource,
    WarehouseResource,
)
from retail_sync.defs.sandbox import assets as sandbox_assets
from retail_sync.defs.settlement.jobs import (
    approve_journal_job,
    ingest_job,
    nightly_settlement_job,
    publish_catalog_job,
    reject_journal_job,
    sandbox_setup_job,
)
from retail_sync.defs.settlement.schedules import (
    nightly_settlement_schedule,
    shop_registry_sensor,
)
from retail_sync.defs.shopify import assets as shopify_assets
from retail_sync.defs.staging import assets as staging_assets
from retail_sync.defs.warehouse import assets as warehouse_assets
from retail_sync.settings import Paths

SHOPIFY_URL_ENV = "RETAIL_SYNC_SHOPIFY_URL"


def build_definitions(paths: Paths, *, shopify_base_url: str | None = None) -> dg.Definitions:
    """Assemble the definitions for a given home (tests and the demo pass their own).

    Shopify is each shop's own domain unless `RETAIL_SYNC_SHOPIFY_URL` (or `shopify_base_url`)
    names another endpoint, such as a running `retail-sync sandbox serve`.
    """
    if shopify_base_url is None:
        shopify_base_url = os.environ.get(SHOPIFY_URL_ENV, "")
    return dg.Definitions(
        assets=with_freshness_policies(
            [
                *dg.load_assets_from_modules(
                    [
                        sandbox_assets,
                        shopify_assets,
                        erp_assets,
                        staging_assets,
                        warehouse_assets,
                        reconcile_assets,
                    ]
                ),
                *reconcile_report_assets,
                *journal_assets,
            ]
        ),
        asset_checks=quality_checks,
        jobs=[
            nightly_settlement_job,
            sandbox_setup_job,
            ingest_job,
            publish_catalog_job,
            approve_journal_job,
            reject_journal_job,
        ],
        schedules=[nightly_settlement_schedule],
        sensors=[shop_registry_sensor, stale_run_slots_sensor],
        resources={
            "lake": LakeResource(root=str(paths.lake)),
            "shops": ShopsResource(path=str(paths.shops_file)),
            "shopify": ShopifyResource(base_url=shopify_base_url),
            "erp": ERPResource.from_environment(),
            "sandbox": SandboxWorldResource(path=str(paths.world)),
            "warehouse": WarehouseResource(catalog=str(paths.warehouse)),
            **reconcile_report_resources(paths),
            **journals_resources(paths),
        },
    )


defs = build_definitions(Paths.from_environment())

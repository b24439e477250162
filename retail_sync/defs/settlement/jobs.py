"""Jobs: the nightly settlement (the main job) and the sandbox set-up the demo runs first."""

import dagster as dg

from retail_sync.defs.keys import (
    ERP_GROUP,
    RECONCILE_GROUP,
    SANDBOX_GROUP,
    SHOPIFY_GROUP,
    STAGING_GROUP,
    WAREHOUSE_GROUP,
)

NIGHTLY_SETTLEMENT_JOB = "nightly_settlement"
SANDBOX_SETUP_JOB = "sandbox_setup"
INGEST_JOB = "ingest"
CATALOG_JOB = "publish_catalog"

INGEST_GROUPS = (SHOPIFY_GROUP, ERP_GROUP)
SETTLEMENT_GROUPS = (*INGEST_GROUPS, STAGING_GROUP, RECONCILE_GROUP, WAREHOUSE_GROUP)

nightly_settlement_job = dg.define_asset_job(
    name=NIGHTLY_SETTLEMENT_JOB,
    selection=dg.AssetSelection.groups(*SETTLEMENT_GROUPS),
    description="Pull Shopify and the ERP for a range of business dates and shops, check, "
    "reconcile and report. One run covers the whole range (single-run backfill policy).",
    tags={"retail_sync/job": NIGHTLY_SETTLEMENT_JOB},
)

sandbox_setup_job = dg.define_asset_job(
    name=SANDBOX_SETUP_JOB,
    selection=dg.AssetSelection.groups(SANDBOX_GROUP),
    description="Generate the sandbox world the simulators serve and land its ground truth.",
)

ingest_job = dg.define_asset_job(
    name=INGEST_JOB,
    selection=dg.AssetSelection.groups(*INGEST_GROUPS),
    description="Pull Shopify and the ERP into the lake for the chosen dates and shops only "
    "(what `retail-sync ingest` runs).",
)

publish_catalog_job = dg.define_asset_job(
    name=CATALOG_JOB,
    selection=dg.AssetSelection.groups(WAREHOUSE_GROUP),
    description="Republish the analyst catalog over the lake as it is now.",
)

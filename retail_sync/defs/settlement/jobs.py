"""Jobs: the nightly settlement (the main job) and the sandbox set-up the demo runs first."""

import dagster as dg

NIGHTLY_SETTLEMENT_JOB = "nightly_settlement"
SANDBOX_SETUP_JOB = "sandbox_setup"

SETTLEMENT_GROUPS = ("ingest_shopify", "ingest_erp", "warehouse")

nightly_settlement_job = dg.define_asset_job(
    name=NIGHTLY_SETTLEMENT_JOB,
    selection=dg.AssetSelection.groups(*SETTLEMENT_GROUPS),
    description="Pull Shopify and the ERP for a range of business dates and shops, check, "
    "reconcile and report. One run covers the whole range (single-run backfill policy).",
    tags={"retail_sync/job": NIGHTLY_SETTLEMENT_JOB},
)

sandbox_setup_job = dg.define_asset_job(
    name=SANDBOX_SETUP_JOB,
    selection=dg.AssetSelection.groups("sandbox"),
    description="Generate the sandbox world the simulators serve and land its ground truth.",
)

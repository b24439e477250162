"""Jobs: the nightly settlement (the main job) and the sandbox set-up the demo runs first."""

import dagster as dg

from retail_sync.defs.journals.assets import APPROVED_KEY, JOURNAL_KEYS, REJECTED_KEY
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
APPROVE_JOURNAL_JOB = "approve_journal"
REJECT_JOURNAL_JOB = "reject_journal"

INGEST_GROUPS = (SHOPIFY_GROUP, ERP_GROUP)
SETTLEMENT_GROUPS = (*INGEST_GROUPS, STAGING_GROUP, RECONCILE_GROUP, WAREHOUSE_GROUP)

nightly_settlement_job = dg.define_asset_job(
    name=NIGHTLY_SETTLEMENT_JOB,
    selection=dg.AssetSelection.groups(*SETTLEMENT_GROUPS)
    | dg.AssetSelection.assets(*JOURNAL_KEYS),
    description="Pull Shopify and the ERP for a range of business dates and shops, check, "
    "reconcile, propose corrective journals, post the approved ones, verify them by reading the "
    "ledger back, and report. One run covers the whole range (single-run backfill policy).",
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

approve_journal_job = dg.define_asset_job(
    name=APPROVE_JOURNAL_JOB,
    selection=dg.AssetSelection.assets(APPROVED_KEY),
    description="Approve one proposal (a journal_proposal partition): post it and verify it "
    "(what `retail-sync journals approve` runs).",
)

reject_journal_job = dg.define_asset_job(
    name=REJECT_JOURNAL_JOB,
    selection=dg.AssetSelection.assets(REJECTED_KEY),
    description="Reject one proposal with a reason: it is never posted "
    "(what `retail-sync journals reject` runs).",
)

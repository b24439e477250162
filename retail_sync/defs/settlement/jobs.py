"""The nightly settlement: the main job, which grows as domains land."""

from __future__ import annotations

import dagster as dg

NIGHTLY_SETTLEMENT_JOB = "nightly_settlement"

nightly_settlement_job = dg.define_asset_job(
    name=NIGHTLY_SETTLEMENT_JOB,
    selection=dg.AssetSelection.all(),
    description="Pull, check, reconcile and report; the job the demo and the nightly schedule run.",
    tags={"retail_sync/job": NIGHTLY_SETTLEMENT_JOB},
)

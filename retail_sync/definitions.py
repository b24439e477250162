"""The Dagster code location: every asset, check, job, schedule, sensor and resource."""

from __future__ import annotations

import dagster as dg

from retail_sync.defs.resources import LakeResource, SandboxWorldResource
from retail_sync.defs.sandbox import assets as sandbox_assets
from retail_sync.defs.settlement.jobs import nightly_settlement_job
from retail_sync.settings import Paths


def build_definitions(paths: Paths) -> dg.Definitions:
    """Assemble the definitions for a given home (tests pass their own `tmp_path`)."""
    return dg.Definitions(
        assets=dg.load_assets_from_modules([sandbox_assets]),
        jobs=[nightly_settlement_job],
        resources={
            "lake": LakeResource(root=str(paths.lake)),
            "sandbox": SandboxWorldResource(path=str(paths.world)),
        },
    )


defs = build_definitions(Paths.from_environment())

"""The embedded-default demo: a seeded sandbox world through the nightly settlement job."""

from __future__ import annotations

import dagster as dg

from retail_sync.definitions import build_definitions
from retail_sync.defs.settlement.jobs import NIGHTLY_SETTLEMENT_JOB
from retail_sync.errors import RetailSyncError
from retail_sync.settings import Paths


class DemoFailed(RetailSyncError):
    """The demo run did not succeed; the message names the failed steps."""


def run_demo(paths: Paths, *, seed: int, days: int, orders_per_day: int) -> str:
    """Run the nightly settlement on a fresh world in the current DAGSTER_HOME; return a summary."""
    definitions = build_definitions(paths)
    job = definitions.resolve_job_def(NIGHTLY_SETTLEMENT_JOB)
    run_config = {
        # Step-by-step engine events stay in the run's event log (the UI); the terminal gets
        # what the assets themselves report.
        "loggers": {"console": {"config": {"log_level": "INFO"}}},
        "ops": {
            "sandbox_world": {
                "config": {"seed": seed, "days": days, "orders_per_day": orders_per_day}
            }
        }
    }
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=False
        )
        if not result.success:
            failed = [event.step_key for event in result.all_events if event.is_step_failure]
            raise DemoFailed(f"run {result.run_id} failed in steps: {', '.join(map(str, failed))}")
        lines = [f"Run {result.run_id} succeeded ({NIGHTLY_SETTLEMENT_JOB}).", ""]
        for event in result.get_asset_materialization_events():
            materialization = event.materialization
            lines.append(f"  {materialization.asset_key.to_user_string()}")
            for label, value in materialization.metadata.items():
                if isinstance(value, dg.MarkdownMetadataValue):
                    continue
                lines.append(f"    {label}: {value.value}")
    lines += [
        "",
        f"Data is under {paths.home}; the run is recorded in {paths.dagster_home}.",
        "Open the Dagster UI on it with `retail-sync dev` (http://127.0.0.1:3000).",
    ]
    return "\n".join(lines)

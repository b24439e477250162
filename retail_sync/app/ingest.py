"""`retail-sync ingest`: pull chosen shops and business dates into the lake, with progress."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import dagster as dg

from retail_sync.app.run_outcome import run_outcome
from retail_sync.definitions import build_definitions
from retail_sync.defs.partitions import SHOP_PARTITIONS, partition_key
from retail_sync.defs.preflight import check_configuration
from retail_sync.defs.recovery import recover_stale_runs, worker_tags
from retail_sync.defs.settlement.jobs import CATALOG_JOB, INGEST_JOB
from retail_sync.errors import RetailSyncError
from retail_sync.settings import Paths

# Step-by-step engine events stay in the run's event log; the terminal shows the progress bar.
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


class IngestFailed(RetailSyncError):
    """A partition could not be ingested; the message names it and the run to look at."""


@dataclass
class IngestSummary:
    """What an ingest did: one run per shop and date, then the catalog."""

    partitions: list[str] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        lines = [f"Ingested {len(self.partitions)} partitions in {len(self.run_ids)} runs."]
        lines += [f"  {asset}: {rows} rows" for asset, rows in sorted(self.rows.items())]
        return "\n".join(lines)


def business_dates(start: date, end: date) -> list[date]:
    if end < start:
        raise RetailSyncError(f"--end {end} is before --start {start}")
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def run_ingest(
    paths: Paths,
    *,
    shop_ids: Sequence[str],
    start: date,
    end: date,
    progress: Callable[[str], None] = lambda _: None,
) -> IngestSummary:
    """One in-process run per (shop, date) on the current instance, then republish the catalog.

    Runs are per partition so the progress is honest and a failure names its partition; an
    in-process run costs about a second, unlike a queued one.
    """
    chosen = [
        shop.id
        for shop in check_configuration(paths, shop_ids=shop_ids, dates=(start, end), policy=False)
    ]
    definitions = build_definitions(paths)
    summary = IngestSummary()
    with dg.DagsterInstance.get() as instance:
        # A run killed earlier must not hold the pools this one needs.
        recover_stale_runs(instance, log=lambda line: print(f"retail-sync: {line}"))
        known = set(instance.get_dynamic_partitions(SHOP_PARTITIONS))
        missing = [shop for shop in chosen if shop not in known]
        if missing:
            instance.add_dynamic_partitions(SHOP_PARTITIONS, missing)
        job = definitions.resolve_job_def(INGEST_JOB)
        for business_date in business_dates(start, end):
            for shop_id in chosen:
                key = partition_key(business_date, shop_id)
                result = job.execute_in_process(
                    instance=instance, partition_key=key, run_config=QUIET_LOGS,
                    raise_on_error=False, tags=worker_tags(),
                )  # fmt: skip
                if not result.success:
                    outcome = run_outcome(result)
                    if outcome.only_blocked:
                        problem = "blocking checks failed: " + "; ".join(outcome.blocked_by)
                    else:
                        problem = "failed in " + ", ".join(outcome.errored_steps)
                    raise IngestFailed(
                        f"{key}: run {result.run_id} {problem} (the Dagster UI has the details)"
                    )
                for event in result.get_asset_materialization_events():
                    count = event.materialization.metadata.get("dagster/row_count")
                    if count is not None:
                        name = event.materialization.asset_key.to_user_string()
                        summary.rows[name] = summary.rows.get(name, 0) + int(count.value)  # type: ignore[arg-type]
                summary.partitions.append(key)
                summary.run_ids.append(result.run_id)
                progress(key)
        catalog = definitions.resolve_job_def(CATALOG_JOB).execute_in_process(
            instance=instance, run_config=QUIET_LOGS, raise_on_error=False, tags=worker_tags()
        )
        if not catalog.success:
            raise IngestFailed(f"publishing the analyst catalog failed (run {catalog.run_id})")
        summary.run_ids.append(catalog.run_id)
    return summary

"""The embedded-default demo: a seeded sandbox world through the nightly settlement job, with
the local Shopify and NetSuite simulators serving it over their real protocols."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg

from retail_sync.app.run_outcome import RunOutcome, describe, run_outcome
from retail_sync.definitions import build_definitions
from retail_sync.defs.partitions import SHOP_PARTITIONS
from retail_sync.defs.preflight import check_configuration
from retail_sync.defs.recovery import recover_stale_runs, worker_tags
from retail_sync.defs.settlement.jobs import NIGHTLY_SETTLEMENT_JOB, SANDBOX_SETUP_JOB
from retail_sync.defs.settlement.schedules import settlement_range_tags
from retail_sync.errors import RetailSyncError
from retail_sync.sandbox.world import World
from retail_sync.settings import Paths
from retail_sync.shops import token_variable

# Step-by-step engine events stay in the run's event log (the UI); the terminal gets what the
# assets themselves report.
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


class DemoFailed(RetailSyncError):
    """A demo run did not succeed; the message names the failed steps."""


@dataclass(frozen=True)
class SandboxEndpoints:
    """Where the simulators listen while the demo runs."""

    shopify_url: str
    netsuite_url: str


@contextmanager
def serve_sandbox(paths: Paths, world: World) -> Iterator[SandboxEndpoints]:
    """Serve `world` on loopback, and point the shops file and credentials at the simulators."""
    from retail_sync.sandbox.netsuite import SANDBOX_CREDENTIALS, start_netsuite_simulator
    from retail_sync.sandbox.shopify import start_shopify_simulator

    state = paths.home / "netsuite-state"
    # The ERP simulator keeps what was posted to it; a regenerated world starts a fresh ledger,
    # and so a fresh state store: its outbox and lifecycle describe the ledger just thrown away.
    shutil.rmtree(state, ignore_errors=True)
    _reset_embedded_state(paths)
    shops = []
    for shop in world.shops:
        variable = token_variable(shop["id"])
        os.environ[variable] = shop["access_token"]
        shops.append(
            {
                key: value
                for key, value in shop.items()
                if key not in ("access_token", "webhook_secret")
            }
            | {"access_token_variable": variable}
        )
    paths.shops_file.write_text(json.dumps(shops, indent=2), encoding="utf-8")
    shopify = start_shopify_simulator(world)
    netsuite = start_netsuite_simulator(world, state_dir=state)
    try:
        os.environ.update(SANDBOX_CREDENTIALS.environment(netsuite.url))
        yield SandboxEndpoints(shopify_url=shopify.url, netsuite_url=netsuite.url)
    finally:
        shopify.stop()
        netsuite.stop()


def _reset_embedded_state(paths: Paths) -> None:
    """Remove the embedded state store (SQLite under the home); one named by
    RETAIL_SYNC_STATE_URL is the operator's and is left alone."""
    from retail_sync.reconcile.lifecycle import STATE_URL_ENV, default_state_url

    if os.environ.get(STATE_URL_ENV):
        return
    database = Path(default_state_url(paths).removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)


def _run(
    job: dg.JobDefinition, instance: dg.DagsterInstance, **kwargs: Any
) -> tuple[dg.ExecuteInProcessResult, RunOutcome]:
    """Run in process; a run stopped only by failed blocking checks is an outcome to report
    (the sandbox world injects Shopify-side inconsistencies on purpose), a raised error is not."""
    kwargs["tags"] = worker_tags() | kwargs.get("tags", {})
    result = job.execute_in_process(instance=instance, raise_on_error=False, **kwargs)
    outcome = run_outcome(result)
    if not result.success and not outcome.only_blocked:
        failed = ", ".join(outcome.errored_steps) or "the run itself"
        raise DemoFailed(f"run {result.run_id} of {job.name} failed in: {failed}")
    return result, outcome


def _summary(result: dg.ExecuteInProcessResult, outcome: RunOutcome) -> list[str]:
    """One line per asset; a single-run range records the same figures on every partition."""
    verdict = "succeeded" if result.success else "was stopped by failed blocking checks"
    lines = [f"Run {result.run_id} {verdict} ({result.job_def.name})."]
    seen: set[dg.AssetKey] = set()
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        if materialization.asset_key in seen:
            continue
        seen.add(materialization.asset_key)
        shown = ", ".join(
            f"{label}={value.value}"
            for label, value in materialization.metadata.items()
            if not isinstance(
                value,
                dg.MarkdownMetadataValue | dg.PathMetadataValue | dg.TableMetadataValue,
            )
        )
        lines.append(f"  {materialization.asset_key.to_user_string()}: {shown}")
    if outcome.checks_passed or outcome.warnings or outcome.blocked_by:
        lines += describe(outcome)
    return lines


def run_nightly(
    paths: Paths,
    instance: dg.DagsterInstance,
    endpoints: SandboxEndpoints,
    first: date,
    last: date,
    shops: Sequence[str],
) -> tuple[dg.ExecuteInProcessResult, RunOutcome]:
    """The nightly settlement over first..last for `shops`, against the served sandbox."""
    definitions = build_definitions(paths, shopify_base_url=endpoints.shopify_url)
    return _run(
        definitions.resolve_job_def(NIGHTLY_SETTLEMENT_JOB),
        instance,
        run_config=QUIET_LOGS,
        tags=settlement_range_tags(first, last, shops),
    )


def journals_summary(paths: Paths, shop_ids: Sequence[str]) -> list[str]:
    """Corrective journals after the run: posted (count, amount), awaiting approval, failed."""
    from retail_sync.journals.store import JournalStore
    from retail_sync.reconcile.lifecycle import LifecycleStore, state_url_from_environment
    from retail_sync.shops import load_shops

    currencies = {shop.id: shop.currency for shop in load_shops(paths.shops_file)}
    lines = ["Corrective journals (docs/journals.md):"]
    with LifecycleStore(state_url_from_environment(paths)) as lifecycle:
        journals = JournalStore(lifecycle)
        for shop_id in shop_ids:
            records = journals.proposals(shop_id)
            currency = currencies.get(shop_id, "")

            def total(statuses: tuple[str, ...], chosen: list[Any] = records) -> tuple[int, Any]:
                picked = [record for record in chosen if record.status in statuses]
                return len(picked), sum((record.amount for record in picked), Decimal("0.00"))

            posted, posted_amount = total(("posted", "verified", "correction_failed"))
            verified, _ = total(("verified",))
            awaiting, awaiting_amount = total(("awaiting_approval",))
            failed, _ = total(("correction_failed", "post_failed"))
            lines.append(
                f"  {shop_id}: {posted} posted ({posted_amount} {currency}), {verified} verified, "
                f"{awaiting} awaiting approval ({awaiting_amount} {currency}), {failed} failed"
            )
    lines.append(
        "  Approve or reject in the UI (journals/approved, journals/rejected) or with "
        "`retail-sync journals list|approve|reject`."
    )
    return lines


@dataclass(frozen=True)
class DemoWorld:
    """The generated world, its business dates and its shops (as registered partitions)."""

    world: World
    first: date
    last: date
    shop_ids: list[str]
    known_shops: Sequence[str]


def set_up_world(
    paths: Paths, instance: dg.DagsterInstance, *, seed: int, days: int, orders_per_day: int
) -> tuple[dg.ExecuteInProcessResult, RunOutcome, DemoWorld]:
    """Run the sandbox set-up job (generate the world, land its truth) and register its shops."""
    setup, outcome = _run(
        build_definitions(paths).resolve_job_def(SANDBOX_SETUP_JOB),
        instance,
        run_config=QUIET_LOGS
        | {
            "ops": {
                "sandbox_world": {
                    "config": {"seed": seed, "days": days, "orders_per_day": orders_per_day}
                }
            }
        },
    )
    world = World.open(paths.world)
    shop_ids = sorted(shop["id"] for shop in world.shops)
    first = date.fromisoformat(world.manifest["start"])
    last = first + timedelta(days=int(world.manifest["days"]) - 1)
    instance.add_dynamic_partitions(SHOP_PARTITIONS, shop_ids)
    known = instance.get_dynamic_partitions(SHOP_PARTITIONS)
    return setup, outcome, DemoWorld(world, first, last, shop_ids, known)


def run_demo(paths: Paths, *, seed: int, days: int, orders_per_day: int) -> str:
    """Generate a world, serve it, run the nightly settlement over it; return a summary."""
    paths.home.mkdir(parents=True, exist_ok=True)
    with dg.DagsterInstance.get() as instance:
        # A demo killed earlier must not hold the pools this one needs.
        recover_stale_runs(instance, log=lambda line: print(f"retail-sync: {line}"))
        setup, setup_outcome, demo_world = set_up_world(
            paths, instance, seed=seed, days=days, orders_per_day=orders_per_day
        )
        world, first, last = demo_world.world, demo_world.first, demo_world.last
        shop_ids, known_shops = demo_world.shop_ids, demo_world.known_shops
        with serve_sandbox(paths, world) as endpoints:
            check_configuration(paths)
            nightly, nightly_outcome = run_nightly(
                paths, instance, endpoints, first, last, known_shops
            )
    lines = [*_summary(setup, setup_outcome), "", *_summary(nightly, nightly_outcome)]
    lines += ["", *journals_summary(paths, shop_ids)]
    lines += [
        "",
        f"Business dates {first} .. {last} for shops {', '.join(shop_ids)} "
        "(figures above cover the whole run).",
        f"Data is under {paths.home}; the runs are recorded in {paths.dagster_home}.",
        "Open the Dagster UI on it with `retail-sync dev` (http://127.0.0.1:3000).",
    ]
    return "\n".join(lines)

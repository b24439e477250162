"""Runs that died holding pool slots: find them, mark them failed, free their slots.

A run worker killed outright (SIGKILL, OOM, a lost machine) never reports its end, so Dagster
keeps the run STARTED and the pool slots its steps claimed (`shopify_api`, `duckdb_writer`, …)
stay taken: every later run waits for that pool forever. Dagster's own run monitoring frees the
slots of runs that *ended* (`free_slots_after_run_end_seconds`) and notices dead workers only for
run launchers that can check them (Kubernetes, ECS); the embedded default runs in process and
`dagster dev` launches local subprocesses, which it cannot check.

So before a run starts (the CLI), and every minute in a deployment with a daemon (the sensor),
each run that holds or waits for a slot is judged:

- it has ended (success, failure, cancel): its slots are freed;
- its worker is known and gone — every process that wrote the run's first or newest events no
  longer exists on this host (or its pid now belongs to a younger process): the run is marked
  failed with the reason and its slots are freed.

A worker is *known* when the run was started on this host: every run of the embedded default
(SQLite, one machine) and every run tagged with this host by `worker_tags`. Runs elsewhere are
left to Dagster's run monitoring; `retail-sync runs free RUN_ID` frees one by hand.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import dagster as dg
from dagster._core.storage.dagster_run import FINISHED_STATUSES

from retail_sync.errors import RetailSyncError

WORKER_HOST_TAG = "retail_sync/worker_host"
# How many of a run's first and newest events are read to find the processes working on it.
_EVENTS_READ = 50


class RunRecoveryError(RetailSyncError):
    """A run named for recovery does not exist or cannot be freed."""


@dataclass(frozen=True)
class StaleRun:
    """A run whose pool slots were (or would be) freed, and why."""

    run_id: str
    status: str
    reason: str
    pools: tuple[str, ...]

    def __str__(self) -> str:
        pools = ", ".join(self.pools) or "no pool"
        return f"run {self.run_id} ({self.status}, holding {pools}): {self.reason}"


def worker_tags() -> dict[str, str]:
    """Tags naming this host as the run's worker, for runs executed in this process."""
    return {WORKER_HOST_TAG: socket.gethostname()}


def _pools_by_run(instance: dg.DagsterInstance) -> dict[str, set[str]]:
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return {}
    infos = storage.get_concurrency_infos(sorted(storage.get_concurrency_keys()))
    pools: dict[str, set[str]] = {}
    for key, info in infos.items():
        for slot in info.claimed_slots:
            pools.setdefault(slot.run_id, set()).add(key)
        for step in info.pending_steps:
            pools.setdefault(step.run_id, set()).add(key)
    for run_id in storage.get_concurrency_run_ids():
        pools.setdefault(run_id, set())
    return pools


def _is_local(instance: dg.DagsterInstance, run: dg.DagsterRun) -> bool:
    from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage

    if run.tags.get(WORKER_HOST_TAG) == socket.gethostname():
        return True
    # SQLite storage cannot be shared between machines: every run of it ran here.
    return isinstance(instance.run_storage, SqliteRunStorage)


def _workers(instance: dg.DagsterInstance, run_id: str) -> dict[int, float]:
    """Every process that wrote one of the run's first or newest events, with its newest time.

    The first events come from the run worker itself, the newest from whichever process (the
    worker, or a step's subprocess) last worked on the run.
    """
    seen: dict[int, float] = {}
    for ascending in (True, False):
        records = instance.get_records_for_run(
            run_id, ascending=ascending, limit=_EVENTS_READ
        ).records
        for record in records:
            event = record.event_log_entry.dagster_event
            if event is not None and event.pid is not None:
                timestamp = record.event_log_entry.timestamp
                seen[event.pid] = max(seen.get(event.pid, timestamp), timestamp)
    return seen


def _worker_gone(pid: int, seen_at: float) -> str | None:
    """Why the process `pid`, seen writing at `seen_at`, is gone; None while it lives."""
    import psutil

    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return f"its worker (pid {pid}) has exited"
        # A pid reused by a process started after the run's last event is not the run's worker.
        if process.create_time() > seen_at + 1:
            return f"its worker (pid {pid}) has exited; the pid now belongs to another process"
    except psutil.NoSuchProcess:
        return f"its worker (pid {pid}) no longer exists"
    except psutil.AccessDenied:
        return None
    return None


def find_stale_runs(instance: dg.DagsterInstance) -> list[StaleRun]:
    """Runs holding or waiting for pool slots that have ended or whose local worker is gone."""
    stale = []
    for run_id, pools in sorted(_pools_by_run(instance).items()):
        run = instance.get_run_by_id(run_id)
        if run is None:
            stale.append(
                StaleRun(run_id, "DELETED", "the run no longer exists", tuple(sorted(pools)))
            )
            continue
        if run.status in FINISHED_STATUSES:
            stale.append(
                StaleRun(run_id, run.status.value, "the run has ended", tuple(sorted(pools)))
            )
            continue
        if run.status != dg.DagsterRunStatus.STARTED or not _is_local(instance, run):
            continue
        workers = _workers(instance, run_id)
        reasons = [_worker_gone(pid, seen_at) for pid, seen_at in sorted(workers.items())]
        # Dead only when every process that worked on it is gone.
        if workers and all(reasons):
            stale.append(
                StaleRun(
                    run_id, run.status.value, "; ".join(filter(None, reasons)), tuple(sorted(pools))
                )
            )
    return stale


def _release(instance: dg.DagsterInstance, stale: StaleRun) -> None:
    run = instance.get_run_by_id(stale.run_id)
    if run is not None and run.status not in FINISHED_STATUSES:
        instance.report_run_failed(
            run, f"retail_sync marked this run failed and freed its pool slots: {stale.reason}"
        )
    instance.event_log_storage.free_concurrency_slots_for_run(stale.run_id)


def recover_stale_runs(
    instance: dg.DagsterInstance, log: Callable[[str], None] = lambda _: None
) -> list[StaleRun]:
    """Mark dead runs failed and free the slots of every stale run; returns what was freed."""
    stale = find_stale_runs(instance)
    for run in stale:
        _release(instance, run)
        log(f"freed the pool slots of {run}")
    return stale


def free_runs(instance: dg.DagsterInstance, run_ids: Iterable[str]) -> list[StaleRun]:
    """Free named runs by hand (a worker on another machine known to be dead)."""
    pools = _pools_by_run(instance)
    freed = []
    for run_id in run_ids:
        run = instance.get_run_by_id(run_id)
        if run is None and run_id not in pools:
            raise RunRecoveryError(f"no run {run_id!r} on this instance")
        status = run.status.value if run is not None else "DELETED"
        stale = StaleRun(run_id, status, "freed by hand", tuple(sorted(pools.get(run_id, ()))))
        _release(instance, stale)
        freed.append(stale)
    return freed


@dg.sensor(
    minimum_interval_seconds=60,
    description="Frees the pool slots of runs that ended or whose worker process died, so a "
    "killed run never blocks the runs after it (docs/runbooks.md, 'A run waits for a pool').",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def stale_run_slots_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    freed = recover_stale_runs(context.instance, context.log.warning)
    if not freed:
        return dg.SkipReason("no run holds a pool slot it should not")
    return dg.SkipReason("freed: " + "; ".join(str(run) for run in freed))

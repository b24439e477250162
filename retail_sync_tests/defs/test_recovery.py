"""Runs killed while holding a pool slot: found, marked failed and freed, so the next run starts.

A child process runs a one-asset job whose step holds a `shopify_api` slot and blocks; the test
kills it with SIGKILL (no run end is ever reported), then checks that recovery frees the slot and
that a run needing the same pool completes. Also: a live run is never touched, ended runs' slots
are freed, a run on another host is left alone, and `retail-sync runs` frees by hand.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from retail_sync.cli import EMBEDDED_DAGSTER_YAML, main
from retail_sync.defs.recovery import (
    WORKER_HOST_TAG,
    find_stale_runs,
    free_runs,
    recover_stale_runs,
)

POOL = "shopify_api"

# A job whose only step takes a slot of the pool, says so, then blocks until killed.
HOLDER = textwrap.dedent(
    """
    import sys, time
    import dagster as dg

    @dg.asset(pool="shopify_api")
    def holds_the_pool() -> None:
        print("holding", flush=True)
        time.sleep(600)

    job = dg.define_asset_job("holder", selection=[holds_the_pool])
    defs = dg.Definitions(assets=[holds_the_pool], jobs=[job])
    with dg.DagsterInstance.get() as instance:
        tags = dict(arg.split("=", 1) for arg in sys.argv[1:])
        defs.resolve_job_def("holder").execute_in_process(instance=instance, tags=tags)
    """
)


@dg.asset(pool=POOL)
def needs_the_pool() -> int:
    return 1


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(EMBEDDED_DAGSTER_YAML, encoding="utf-8")
    before = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        with dg.DagsterInstance.get() as opened:
            yield opened
    finally:
        if before is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = before


def _start_holder(tmp_path: Path, *tags: str) -> subprocess.Popen[str]:
    script = tmp_path / "holder.py"
    script.write_text(HOLDER, encoding="utf-8")
    child = subprocess.Popen(
        [sys.executable, str(script), *tags],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=dict(os.environ),
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "holding"
    return child


def _claimed(instance: dg.DagsterInstance) -> list[str]:
    info = instance.event_log_storage.get_concurrency_info(POOL)
    return [slot.run_id for slot in info.claimed_slots]


def _kill(child: subprocess.Popen[str]) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)


def _run_needing_the_pool(instance: dg.DagsterInstance) -> bool:
    job = dg.define_asset_job("needs", selection=[needs_the_pool]).resolve(
        asset_graph=dg.Definitions(assets=[needs_the_pool]).resolve_asset_graph()
    )
    return job.execute_in_process(instance=instance).success


def test_a_killed_run_is_marked_failed_and_its_slot_freed(
    tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    child = _start_holder(tmp_path)
    [held_by] = _claimed(instance)
    assert find_stale_runs(instance) == []  # alive: never touched
    _kill(child)

    [stale] = find_stale_runs(instance)
    assert stale.run_id == held_by
    assert stale.pools == (POOL,)
    assert f"pid {child.pid}" in stale.reason

    assert recover_stale_runs(instance) == [stale]
    assert _claimed(instance) == []
    run = instance.get_run_by_id(held_by)
    assert run is not None and run.status == dg.DagsterRunStatus.FAILURE
    assert _run_needing_the_pool(instance)
    assert find_stale_runs(instance) == []


def test_slots_of_ended_runs_are_freed(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    child = _start_holder(tmp_path)
    [held_by] = _claimed(instance)
    _kill(child)
    run = instance.get_run_by_id(held_by)
    assert run is not None
    # Marking the run failed (what an operator does in the UI) does not give the slot back.
    instance.report_run_failed(run, "marked failed by hand")
    assert _claimed(instance) == [held_by]
    [stale] = recover_stale_runs(instance)
    assert stale.reason == "the run has ended"
    assert _claimed(instance) == []


def test_a_run_of_another_host_is_left_to_run_monitoring(
    tmp_path: Path, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    import retail_sync.defs.recovery as recovery

    child = _start_holder(tmp_path, f"{WORKER_HOST_TAG}=another-host")
    _kill(child)
    # Pretend the instance is shared between machines (PostgreSQL): only tagged runs are local.
    monkeypatch.setattr(
        recovery, "_is_local", lambda _, run: run.tags.get(WORKER_HOST_TAG) == "this-host"
    )
    assert find_stale_runs(instance) == []
    [held_by] = _claimed(instance)
    [freed] = free_runs(instance, [held_by])
    assert freed.reason == "freed by hand"
    assert _claimed(instance) == []


def test_the_cli_recovers_and_frees(
    tmp_path: Path, instance: dg.DagsterInstance, capsys: pytest.CaptureFixture[str]
) -> None:
    child = _start_holder(tmp_path)
    [held_by] = _claimed(instance)
    _kill(child)
    assert main(["runs", "recover"]) == 0
    assert f"freed the pool slots of run {held_by}" in capsys.readouterr().out
    assert _claimed(instance) == []
    assert main(["runs", "recover"]) == 0
    assert "no run holds a pool slot" in capsys.readouterr().out
    assert main(["runs", "free", "no-such-run"]) == 1
    assert "no run 'no-such-run'" in capsys.readouterr().err


def test_the_daemon_sensor_frees_a_killed_run(tmp_path: Path, instance: dg.DagsterInstance) -> None:
    from retail_sync.defs.recovery import stale_run_slots_sensor

    child = _start_holder(tmp_path)
    [held_by] = _claimed(instance)
    _kill(child)
    started = time.monotonic()
    result = stale_run_slots_sensor(dg.build_sensor_context(instance=instance))
    assert isinstance(result, dg.SkipReason)
    assert held_by in (result.skip_message or "")
    assert _claimed(instance) == []
    assert time.monotonic() - started < 30

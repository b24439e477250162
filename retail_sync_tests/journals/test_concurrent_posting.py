"""Two posting processes for the same shop at the same time, on PostgreSQL, never double-post: the
posting lock (a session advisory lock) makes one wait for the other.

The test holds the shop's posting lock itself, starts two posting processes, and reads from each
the line it prints when it starts waiting for that lock; then it lets go. Both were started and
both wanted to post the same journals at the same moment: one posts them all, the other — still
waiting until the first is done — finds nothing left to post."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

import pytest

from retail_sync.journals.store import OUTBOX_POSTED, POSTED, JournalStore
from retail_sync.sandbox.netsuite import SANDBOX_CREDENTIALS
from retail_sync.state import StateStore
from retail_sync_tests.conftest import REPOSITORY
from retail_sync_tests.journals.conftest import (
    OCT_5,
    SHOP,
    NetSuite,
    Recorder,
    Ticker,
    correction,
    fresh_state,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.e2e]


def start_worker(url: str, erp_url: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "RETAIL_SYNC_FAILPOINT"}
    env |= SANDBOX_CREDENTIALS.environment(erp_url)
    env["PYTHONPATH"] = str(REPOSITORY)
    return subprocess.Popen(
        [sys.executable, "-m", "retail_sync_tests.journals.posting_worker", url, SHOP],
        cwd=REPOSITORY,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def next_event(stream: IO[str], timeout: float = 60) -> dict[str, Any]:
    ready, _, _ = select.select([stream], [], [], timeout)
    assert ready, "the worker printed nothing"
    line = stream.readline()
    assert line, "the worker ended without a word"
    return json.loads(line)


def test_two_processes_posting_one_shop_never_double_post(
    postgres_url: str, netsuite: NetSuite, tmp_path: Path
) -> None:
    state = fresh_state(postgres_url)
    store = JournalStore(state)
    proposals = [
        correction(f"exc-{n}", [("4100", f"-{n}.25", OCT_5), ("1205", f"{n}.25", OCT_5)])
        for n in range(1, 7)
    ]
    Recorder(store, clock=Ticker())(proposals)
    intended = sorted(j.external_id for p in proposals for j in p.journals)

    workers = []
    try:
        with store.posting_lock(SHOP):
            workers = [start_worker(postgres_url, netsuite.server.url) for _ in range(2)]
            for worker in workers:
                assert worker.stdout is not None
                assert next_event(worker.stdout) == {"event": "waiting"}
            assert netsuite.counts() == {}  # both are waiting on the lock
        results = []
        for worker in workers:
            assert worker.stdout is not None
            results.append(next_event(worker.stdout))
            assert worker.wait(timeout=60) == 0, worker.stderr.read() if worker.stderr else ""
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    assert all(result["event"] == "done" and result["lock_waited"] for result in results)
    assert sorted(result["posted"] for result in results) == [0, 6]
    assert all(result["already_posted"] == 0 for result in results)
    assert netsuite.counts() == dict.fromkeys(intended, 1)
    outbox = store.outbox(SHOP)
    assert sorted(row.external_id for row in outbox) == intended
    assert {row.status for row in outbox} == {OUTBOX_POSTED}
    assert {p.status for p in store.proposals(SHOP)} == {POSTED}
    written = [str(e.journal_id) for e in store.audit(SHOP) if e.action == "outbox_written"]
    assert sorted(written) == sorted(j.journal_id for p in proposals for j in p.journals)
    state.close()


def test_the_posting_lock_is_freed_when_its_holder_is_killed(
    postgres_url: str, netsuite: NetSuite
) -> None:
    """A pass killed while it holds the lock (SIGKILL: no unlock) does not block the next one:
    the server drops the lock with the dead process's connection."""
    state = fresh_state(postgres_url)
    store = JournalStore(state)
    Recorder(store, clock=Ticker())([correction("exc-1")])
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    env |= SANDBOX_CREDENTIALS.environment(netsuite.server.url)
    env["RETAIL_SYNC_FAILPOINT"] = "journals.post.lock_acquired"
    killed = subprocess.run(
        [
            sys.executable,
            "-m",
            "retail_sync_tests.journals.posting_worker",
            postgres_url,
            SHOP,
        ],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert killed.returncode == -9
    with (
        StateStore(postgres_url) as other,
        JournalStore(other).posting_lock(SHOP, timeout=10) as lock,
    ):
        assert lock.shop_id == SHOP
    state.close()

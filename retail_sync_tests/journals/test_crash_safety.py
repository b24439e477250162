"""Crash safety: the posting process (posting_worker: post, then verify) is SIGKILLed at named
failpoints and run again; the ERP then holds each intended journal exactly once, the outbox
agrees with it, and the audit trail tells each journal's story once.

One NetSuite simulator (started here, outside the worker, so it survives the kills) serves every
case; each case has its own state database and its own exceptions, hence its own journals. A case
is a list of failpoints: the worker is run with each in turn (each run must die by SIGKILL: a
later point can be one only reached when resolving what an earlier crash left), then once more
without. Cases run a few at a time (each is independent)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest

from retail_sync.journals.posting import FAILPOINTS
from retail_sync.journals.store import OUTBOX_POSTED, VERIFIED, JournalStore
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
    start_netsuite,
)

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

SEP_20, OCT_6, OCT_7 = date(2026, 9, 20), date(2026, 10, 6), date(2026, 10, 7)
LANDED = ("posted", "already_posted", "found_by_lookup")

# Each case: the failpoints the worker is killed at, in order. 4 journals per case: proposal 0
# has two (5 and 6 October), proposal 1 one dated in closed September (it moves to 1 October),
# proposal 2 one on 7 October.
CASES: list[list[str]] = [
    ["journals.post.lock_acquired"],
    ["journals.post.before_proposal"],
    ["journals.post.periods_read"],
    ["journals.post.before_outbox_write"],
    ["journals.post.after_outbox_write"],
    ["journals.post.after_outbox_write@2"],
    ["journals.post.before_erp_call"],
    ["journals.post.after_erp_call"],  # the ERP committed, the outbox does not know
    ["journals.post.after_erp_call@3"],
    ["journals.post.before_outbox_update"],
    ["journals.post.before_outbox_update@2"],
    ["journals.post.after_outbox_update"],
    ["journals.post.between_journals"],
    ["journals.post.before_proposal_status"],
    ["journals.post.after_proposal_status"],
    ["journals.post.after_proposal_status@2"],
    ["journals.post.pass_done"],
    # A crash leaves a row `sending`; the rerun crashes while resolving it.
    ["journals.post.after_outbox_write", "journals.post.before_lookup"],
    ["journals.post.after_outbox_write", "journals.post.after_lookup"],
    ["journals.post.after_outbox_write", "journals.post.before_repost"],
    ["journals.post.after_outbox_write", "journals.post.after_attempt_recorded"],
    ["journals.post.after_erp_call", "journals.post.after_lookup"],  # found by lookup
    ["journals.post.after_erp_call@2", "journals.post.before_outbox_update"],
    ["journals.verify.start"],
    ["journals.verify.before_read"],
    ["journals.verify.after_read@2"],
    ["journals.verify.before_status"],
    ["journals.verify.after_status"],
    ["journals.verify.done"],
]


def test_the_cases_cover_at_least_twenty_named_failpoints() -> None:
    used = {spec.partition("@")[0] for case in CASES for spec in case}
    assert used <= set(FAILPOINTS)
    assert len(used) >= 20
    assert len(set(FAILPOINTS)) == len(FAILPOINTS) >= 20


def test_every_failpoint_in_the_code_is_listed() -> None:
    sources = (REPOSITORY / "retail_sync" / "journals").glob("*.py")
    named = {
        name for path in sources for name in re.findall(r'failpoint\("([^"]+)"\)', path.read_text())
    }
    assert named == set(FAILPOINTS)


@pytest.fixture(scope="module")
def netsuite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetSuite]:
    running = start_netsuite(tmp_path_factory.mktemp("erp"))
    yield running
    running.client.close()
    running.server.stop()


def seed(url: str, case: int) -> list[str]:
    """The case's proposals, all auto-approved; returns their journals' external ids."""
    proposals = [
        correction(
            f"exc-{case}-0",
            [
                ("2200", "-0.40", OCT_5),
                ("1205", "0.40", OCT_5),
                ("4000", f"{case}.10", OCT_6),
                ("1205", f"-{case}.10", OCT_6),
            ],
            kind="order_amount_mismatch",
        ),
        correction(f"exc-{case}-1", [("4100", "-3.00", SEP_20), ("1205", "3.00", SEP_20)]),
        correction(f"exc-{case}-2", [("6100", "1.75", OCT_7), ("1205", "-1.75", OCT_7)]),
    ]
    with StateStore(url) as state:
        store = JournalStore(state)
        Recorder(store, business_date=OCT_5, clock=Ticker())(proposals)
    return sorted(j.external_id for p in proposals for j in p.journals)


def run_worker(url: str, erp_url: str, failpoint: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "RETAIL_SYNC_FAILPOINT"}
    env |= SANDBOX_CREDENTIALS.environment(erp_url)
    env["PYTHONPATH"] = str(REPOSITORY)
    if failpoint:
        env["RETAIL_SYNC_FAILPOINT"] = failpoint
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "retail_sync_tests.journals.posting_worker",
            url,
            SHOP,
            "--verify",
            OCT_5.isoformat(),
        ],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_case(root: Path, netsuite: NetSuite, case: int) -> tuple[str, list[str], list[str]]:
    """Run one case; return (url, intended external ids, problems found while running)."""
    url = f"sqlite:///{root / f'case-{case}' / 'state.sqlite'}"
    intended = seed(url, case)
    problems = []
    for spec in CASES[case]:
        killed = run_worker(url, netsuite.server.url, spec)
        if killed.returncode != -signal.SIGKILL:
            problems.append(
                f"{spec}: exit {killed.returncode}, not SIGKILL: {killed.stderr[-2000:]}"
            )
    clean = run_worker(url, netsuite.server.url, None)
    if clean.returncode != 0:
        problems.append(f"clean rerun failed ({clean.returncode}): {clean.stderr[-2000:]}")
    return url, intended, problems


def check_case(
    url: str, netsuite: NetSuite, intended: list[str], counts: dict[str, int]
) -> list[str]:
    problems = []
    mine = {eid: counts.get(eid, 0) for eid in intended}
    if mine != dict.fromkeys(intended, 1):
        problems.append(f"ERP counts {mine}")
    with StateStore(url) as state:
        store = JournalStore(state)
        outbox = {row.external_id: row for row in store.outbox(SHOP)}
        if sorted(outbox) != intended:
            problems.append(f"outbox rows {sorted(outbox)}")
        for external_id, row in outbox.items():
            found = netsuite.erp.find_journal(external_id)
            if found is None or row.status != OUTBOX_POSTED or row.erp_id != found.erp_id:
                problems.append(f"outbox {external_id}: {row.status} {row.erp_id} vs {found}")
        statuses = {p.exception_id: p.status for p in store.proposals(SHOP)}
        if set(statuses.values()) != {VERIFIED}:
            problems.append(f"proposal statuses {statuses}")
        audit = store.audit(SHOP)
        landed = Counter(e.journal_id for e in audit if e.action in LANDED)
        written = Counter(e.journal_id for e in audit if e.action == "outbox_written")
        moved = [e for e in audit if e.action == "moved_period"]
        verified = Counter(e.proposal_id for e in audit if e.action == VERIFIED)
        journal_ids = {row.journal_id for row in outbox.values()}
        if landed != Counter(journal_ids) or written != Counter(journal_ids):
            problems.append(f"audit: landed {dict(landed)}, written {dict(written)}")
        if len(moved) != 1 or moved[0].detail != (
            "original date 2026-09-20, posting date 2026-10-01"
        ):
            problems.append(f"audit: moved {moved}")
        if sorted(verified.values()) != [1, 1, 1]:
            problems.append(f"audit: verified {dict(verified)}")
    return problems


def test_killed_at_any_point_the_rerun_posts_each_journal_exactly_once(
    netsuite: NetSuite, tmp_path: Path
) -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        runs = list(pool.map(lambda case: run_case(tmp_path, netsuite, case), range(len(CASES))))
    counts = netsuite.counts()
    failures = {}
    for case, (url, intended, problems) in enumerate(runs):
        problems = problems + check_case(url, netsuite, intended, counts)
        if problems:
            failures[" → ".join(CASES[case])] = problems
    assert failures == {}
    # Every case's journals, and nothing else of ours, are in the ERP: 4 per case.
    assert sum(counts.values()) == 4 * len(CASES) and set(counts.values()) == {1}

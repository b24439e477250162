"""Posting through the real NetSuite simulator on loopback: exactly once, also under the flaky
(5xx + 429), maintenance and lost-responses fault profiles; locked periods move the journal; a
refusal fails the proposal; the posting lock makes a second pass wait or give up."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retail_sync.erp.netsuite import CircuitBreaker
from retail_sync.erp.port import Period, PeriodStatus
from retail_sync.journals.posting import post_approved, posting_date
from retail_sync.journals.store import (
    APPROVED,
    AWAITING_APPROVAL,
    OUTBOX_FAILED,
    OUTBOX_POSTED,
    POST_FAILED,
    POSTED,
    REJECTED,
    Actor,
    JournalError,
    JournalStore,
    PostingBusy,
)
from retail_sync.retrying import Backoff
from retail_sync.sandbox.netsuite import FaultProfile
from retail_sync.state import StateStore
from retail_sync_tests.clocks import FakeClock
from retail_sync_tests.journals.conftest import (
    OCT_5,
    SHOP,
    T0,
    NetSuite,
    Recorder,
    Ticker,
    correction,
    start_netsuite,
)

pytestmark = pytest.mark.slow

ALICE = Actor("alice", "cli")
SEP_20, OCT_6, OCT_20 = date(2026, 9, 20), date(2026, 10, 6), date(2026, 10, 20)
BIG = [("2200", "-600.00", OCT_5), ("1205", "600.00", OCT_5)]


@pytest.fixture
def store(sqlite_state: StateStore) -> JournalStore:
    return JournalStore(sqlite_state)


def seed(store: JournalStore, count: int = 4) -> list[str]:
    """`count` auto proposals on 5 October (the first with two journals: 5 and 6 October), one
    awaiting approval and one rejected. Returns the external ids that should reach the ERP."""
    proposals = [
        correction(
            "exc-0",
            [
                ("2200", "-0.40", OCT_5),
                ("1205", "0.40", OCT_5),
                ("4000", "12.00", OCT_6),
                ("1205", "-12.00", OCT_6),
            ],
            kind="order_amount_mismatch",
        )
    ]
    for n in range(1, count):
        proposals.append(
            correction(f"exc-{n}", [("4100", f"-{n}.25", OCT_5), ("1205", f"{n}.25", OCT_5)])
        )
    waiting, rejected = correction("exc-waiting", BIG), correction("exc-rejected", BIG)
    Recorder(store)([*proposals, waiting, rejected])
    store.decide(rejected.proposal_id, "reject", actor=ALICE, reason="not ours", now=T0)
    return sorted(j.external_id for p in proposals for j in p.journals)


def assert_exactly_once(store: JournalStore, netsuite: NetSuite, intended: list[str]) -> None:
    """Each intended journal is in the ERP once, nothing else of ours is, and the outbox agrees
    (every row posted, with the ERP's id for that external id)."""
    assert netsuite.counts() == dict.fromkeys(intended, 1)
    outbox = {row.external_id: row for row in store.outbox(SHOP)}
    assert sorted(outbox) == intended
    for external_id, row in outbox.items():
        found = netsuite.erp.find_journal(external_id)
        assert found is not None
        assert (row.status, row.erp_id) == (OUTBOX_POSTED, found.erp_id), external_id
        assert found.date == row.posting_date and found.memo == row.memo


def landed_events(store: JournalStore) -> dict[str, list[str]]:
    landed: dict[str, list[str]] = {}
    for event in store.audit(SHOP):
        if event.action in ("posted", "already_posted", "found_by_lookup") and event.journal_id:
            landed.setdefault(event.journal_id, []).append(event.action)
    return landed


def test_approved_proposals_post_once_and_a_second_pass_posts_nothing(
    store: JournalStore, netsuite: NetSuite
) -> None:
    intended = seed(store)
    summary = post_approved(store, netsuite.erp, SHOP, now=Ticker())
    assert (summary.posted, summary.already_posted, summary.pending_uncertain) == (5, 0, 0)
    assert summary.failed == () and summary.moved == () and not summary.lock_waited
    # 0.40 + 12.00 + 1.25 + 2.25 + 3.25
    assert summary.amount == Decimal("19.15")
    assert len(summary.proposals_posted) == 4
    assert_exactly_once(store, netsuite, intended)
    statuses = {p.exception_id: p.status for p in store.proposals(SHOP)}
    assert statuses == {
        "exc-0": POSTED,
        "exc-1": POSTED,
        "exc-2": POSTED,
        "exc-3": POSTED,
        "exc-waiting": AWAITING_APPROVAL,
        "exc-rejected": REJECTED,
    }
    assert all(actions == ["posted"] for actions in landed_events(store).values())
    # Each post is audited with the correlation id of the request that created it.
    posted_audit = [event for event in store.audit(SHOP) if event.action == "posted"]
    assert len(posted_audit) == 5
    assert all(event.correlation_id for event in posted_audit)
    assert len({event.correlation_id for event in posted_audit}) == 5
    requests = netsuite.simulator.requests_seen
    again = post_approved(store, netsuite.erp, SHOP, now=Ticker())
    assert (again.posted, again.already_posted, again.amount) == (0, 0, Decimal("0.00"))
    assert netsuite.simulator.requests_seen == requests  # not even a lookup
    assert_exactly_once(store, netsuite, intended)

    # Approving the waiting one posts it on the next pass; the rejected one never goes.
    waiting = store.proposals(SHOP, statuses=[AWAITING_APPROVAL])[0]
    store.decide(waiting.proposal_id, "approve", actor=ALICE, reason="ok", now=T0)
    third = post_approved(store, netsuite.erp, SHOP, now=Ticker())
    assert (third.posted, third.amount) == (1, Decimal("600.00"))
    assert_exactly_once(store, netsuite, sorted([*intended, waiting.journals[0].external_id]))


def test_only_the_proposals_asked_for_are_posted(store: JournalStore, netsuite: NetSuite) -> None:
    seed(store)
    chosen = next(p for p in store.proposals(SHOP) if p.exception_id == "exc-2")
    summary = post_approved(
        store, netsuite.erp, SHOP, now=Ticker(), proposal_ids=[chosen.proposal_id]
    )
    assert summary.proposals_posted == (chosen.proposal_id,)
    assert netsuite.counts() == {chosen.journals[0].external_id: 1}


@pytest.mark.parametrize(
    ("faults", "seed_value"), [("flaky", 3), ("lost-responses", 1), ("flaky+lost-responses", 7)]
)
def test_faults_never_double_post(
    store: JournalStore, tmp_path: Path, faults: str, seed_value: int
) -> None:
    netsuite = start_netsuite(
        tmp_path,
        faults=faults,
        seed=seed_value,
        retry=Backoff(max_attempts=8, base_seconds=0.001, cap_seconds=0.01),
    )
    try:
        intended = seed(store, count=8)
        passes = []
        for _ in range(5):
            passes.append(post_approved(store, netsuite.erp, SHOP, now=Ticker()))
            if passes[-1].pending_uncertain == 0:
                break
        assert passes[-1].pending_uncertain == 0, passes
        assert sum(p.posted + p.already_posted for p in passes) == len(intended)
        assert_exactly_once(store, netsuite, intended)
        assert all(len(actions) == 1 for actions in landed_events(store).values())
        injector = netsuite.simulator.faults
        if "lost" in faults:
            # Some responses really were lost, and were resolved by looking the id up.
            assert injector._lost > 0
            assert sum(p.already_posted for p in passes) > 0
        if "flaky" in faults:
            assert netsuite.simulator.requests_seen > len(intended) * 2
    finally:
        netsuite.client.close()
        netsuite.server.stop()


def test_a_maintenance_window_leaves_journals_in_doubt_until_the_next_pass(
    store: JournalStore, tmp_path: Path
) -> None:
    clock = FakeClock(datetime.now(UTC))
    # The window opens 6 s into the simulator's life; the code under test moves the clock one
    # second per step (`now`), so it opens in the middle of the pass, and lasts a minute.
    profile = FaultProfile(
        maintenance_after=timedelta(seconds=6), maintenance_for=timedelta(seconds=60)
    )

    def now() -> datetime:
        clock.sleep(1)
        return clock()

    netsuite = start_netsuite(
        tmp_path,
        faults=profile,
        clock=clock,
        sleep=clock.sleep,
        breaker=CircuitBreaker(clock=clock.monotonic),
        retry=Backoff(max_attempts=2, base_seconds=0.5, cap_seconds=1, max_retry_after_seconds=5),
    )
    try:
        intended = seed(store, count=6)
        first = post_approved(store, netsuite.erp, SHOP, now=now)
        assert first.posted >= 1 and first.pending_uncertain >= 1, first
        doubt = [e for e in store.audit(SHOP) if e.action == "post_uncertain"]
        assert doubt and {e.erp_code for e in doubt} <= {"SERVICE_UNAVAILABLE", "CIRCUIT_OPEN"}
        clock.sleep(90)  # the window is over (and the breaker's pause with it)
        # What the outbox says is posted is in the ERP once; the rest is in doubt or not there.
        in_doubt = {row.external_id for row in store.outbox(SHOP) if row.status != OUTBOX_POSTED}
        counts = netsuite.counts()
        assert {eid: n for eid, n in counts.items() if eid not in in_doubt} == {
            row.external_id: 1 for row in store.outbox(SHOP) if row.status == OUTBOX_POSTED
        }
        assert all(counts.get(eid, 0) <= 1 for eid in in_doubt)
        second = post_approved(store, netsuite.erp, SHOP, now=now)
        assert second.pending_uncertain == 0, second
        assert_exactly_once(store, netsuite, intended)
        assert {p.status for p in store.proposals(SHOP, statuses=[POSTED])} == {POSTED}
        assert len(store.proposals(SHOP, statuses=[POSTED])) == 6
    finally:
        netsuite.client.close()
        netsuite.server.stop()


def test_a_locked_period_moves_the_journal_and_says_why(
    store: JournalStore, tmp_path: Path
) -> None:
    # locked-period locks October 2026 (the world's first month); September is closed.
    netsuite = start_netsuite(tmp_path, faults="locked-period")
    try:
        proposals = [
            correction("exc-oct", [("2200", "-0.40", OCT_20), ("1205", "0.40", OCT_20)]),
            correction("exc-sep", [("2200", "-1.00", SEP_20), ("1205", "1.00", SEP_20)]),
        ]
        Recorder(store)(proposals)
        summary = post_approved(store, netsuite.erp, SHOP, now=Ticker())
        assert summary.failed == () and summary.posted == 2
        moved = {m.original_date: (m.posting_date, m.reason) for m in summary.moved}
        nov_1 = date(2026, 11, 1)
        assert moved == {
            OCT_20: (nov_1, "period Oct 2026 is locked"),
            SEP_20: (nov_1, "period Sep 2026 is closed"),
        }
        for proposal in proposals:
            (journal,) = proposal.journals
            row = store.outbox_row(journal.journal_id)
            assert row is not None
            assert (row.original_date, row.posting_date) == (journal.trandate, nov_1)
            assert row.moved_reason == moved[journal.trandate][1]
            assert row.memo.startswith(journal.memo)  # the correction token stays
            assert row.memo.endswith(
                f"; originally dated {journal.trandate.isoformat()}: {row.moved_reason}"
            )
            found = netsuite.erp.find_journal(journal.external_id)
            assert found is not None and found.date == nov_1 and found.memo == row.memo
            (audit,) = [
                e
                for e in store.audit(SHOP)
                if e.action == "moved_period" and e.journal_id == journal.journal_id
            ]
            assert audit.reason == row.moved_reason
            assert audit.detail == (
                f"original date {journal.trandate.isoformat()}, posting date 2026-11-01"
            )
    finally:
        netsuite.client.close()
        netsuite.server.stop()


def test_no_open_period_to_move_to_fails_without_touching_the_erp(
    store: JournalStore, tmp_path: Path
) -> None:
    netsuite = start_netsuite(tmp_path, faults="locked-period")
    try:
        netsuite.simulator.store.lock_period_covering(date(2026, 11, 1))  # November too
        proposal = correction("exc-oct", [("2200", "-0.40", OCT_20), ("1205", "0.40", OCT_20)])
        Recorder(store)([proposal])
        summary = post_approved(store, netsuite.erp, SHOP, now=Ticker())
        ((journal_id, reason),) = summary.failed
        assert journal_id == proposal.journals[0].journal_id
        assert reason == "period Oct 2026 is locked and no open period follows it: cannot post"
        stored = store.proposal(proposal.proposal_id)
        assert stored is not None and stored.status == POST_FAILED and stored.detail == reason
        assert store.outbox(SHOP) == [] and netsuite.counts() == {}
        assert post_approved(store, netsuite.erp, SHOP, now=Ticker()).failed == ()
    finally:
        netsuite.client.close()
        netsuite.server.stop()


def test_a_refused_journal_fails_its_proposal_and_stops_its_other_journals(
    store: JournalStore, netsuite: NetSuite
) -> None:
    # 1300/5100 are not in the fixture chart: NetSuite refuses the first journal.
    refused = correction(
        "exc-inventory",
        [
            ("1300", "25.00", OCT_5),
            ("1205", "-25.00", OCT_5),
            ("1205", "4.00", OCT_6),
            ("2200", "-4.00", OCT_6),
        ],
        kind="order_amount_mismatch",
    )
    assert refused.route == "auto" and len(refused.journals) == 2
    fine = correction("exc-fine")
    Recorder(store)([refused, fine])
    summary = post_approved(store, netsuite.erp, SHOP, now=Ticker())
    ((journal_id, reason),) = summary.failed
    assert journal_id == refused.journals[0].journal_id
    assert "UNKNOWN_ACCOUNT" in reason or "1300" in reason
    assert summary.posted == 1
    stored = store.proposal(refused.proposal_id)
    assert stored is not None and stored.status == POST_FAILED
    outbox = {row.journal_id: row for row in store.outbox(SHOP)}
    assert outbox[journal_id].status == OUTBOX_FAILED
    assert outbox[journal_id].last_code == "UNKNOWN_ACCOUNT"
    assert refused.journals[1].journal_id not in outbox  # never started
    assert netsuite.counts() == {fine.journals[0].external_id: 1}
    assert post_approved(store, netsuite.erp, SHOP, now=Ticker()).failed == ()

    # Someone adds 1300 to the chart in NetSuite and approves the proposal again: it posts, both
    # journals, once each; a refused proposal cannot be rejected (only retried or waived).
    with pytest.raises(JournalError, match="can be rejected"):
        store.decide(refused.proposal_id, "reject", actor=ALICE, reason="no", now=T0)
    simulator = netsuite.simulator.store
    with simulator.lock:
        simulator.con.execute(
            "INSERT INTO account VALUES (9130, '1300', 'Inventory', 'Inventory', "
            "'OthCurrAsset', 'F')"
        )
    retried = store.decide(refused.proposal_id, "approve", actor=ALICE, reason="fixed", now=T0)
    assert retried.status == "approved"
    again = post_approved(store, netsuite.erp, SHOP, now=Ticker())
    assert (again.posted, again.failed) == (2, ())
    assert store.proposal(refused.proposal_id).status == POSTED  # type: ignore[union-attr]
    assert netsuite.counts() == {
        fine.journals[0].external_id: 1,
        refused.journals[0].external_id: 1,
        refused.journals[1].external_id: 1,
    }
    retry_audit = [
        event
        for event in store.audit(SHOP)
        if event.proposal_id == refused.proposal_id and event.action == "approved"
    ]
    assert retry_audit[-1].detail == "post again after the ERP refused 1 journal(s)"


# ---- the posting lock -----------------------------------------------------------------------


@pytest.fixture
def held(store: JournalStore) -> Iterator[None]:
    with store.posting_lock(SHOP) as lock:
        assert not lock.waited
        yield


def test_a_second_pass_gives_up_after_its_timeout(
    store: JournalStore, netsuite: NetSuite, held: None
) -> None:
    seed(store)
    waited = threading.Event()
    with pytest.raises(PostingBusy, match="another posting pass holds the posting lock"):
        post_approved(
            store, netsuite.erp, SHOP, now=Ticker(), lock_timeout=0, on_lock_wait=waited.set
        )
    assert waited.is_set() and netsuite.counts() == {}
    assert {p.status for p in store.proposals(SHOP)} == {APPROVED, AWAITING_APPROVAL, REJECTED}


def test_a_second_pass_waits_for_the_first(store: JournalStore, netsuite: NetSuite) -> None:
    intended = seed(store)
    waiting = threading.Event()
    results = []
    with store.posting_lock(SHOP):
        worker = threading.Thread(
            target=lambda: results.append(
                post_approved(store, netsuite.erp, SHOP, now=Ticker(), on_lock_wait=waiting.set)
            )
        )
        worker.start()
        assert waiting.wait(timeout=30)
        assert netsuite.counts() == {}  # it is waiting, not posting
    worker.join(timeout=60)
    (summary,) = results
    assert summary.lock_waited and summary.posted == len(intended)
    assert_exactly_once(store, netsuite, intended)


def test_the_lock_is_per_shop(store: JournalStore, netsuite: NetSuite, held: None) -> None:
    summary = post_approved(store, netsuite.erp, "another-shop", now=Ticker(), lock_timeout=0)
    assert not summary.lock_waited and summary.posted == 0


# ---- the period move, as a property --------------------------------------------------------

STATUS_CHOICES: list[PeriodStatus] = ["open", "open", "locked", "closed"]
STATUSES = st.sampled_from(STATUS_CHOICES)


@st.composite
def calendars(draw: st.DrawFn) -> list[Period]:
    """Consecutive monthly-ish periods with random statuses."""
    start = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 400)))
    periods = []
    for n in range(draw(st.integers(1, 8))):
        length = draw(st.integers(1, 40))
        end = start + timedelta(days=length - 1)
        periods.append(Period(str(n), f"P{n}", start, end, draw(STATUSES)))
        start = end + timedelta(days=1)
    return periods


@given(periods=calendars(), offset=st.integers(-30, 400))
def test_a_journal_moves_to_the_first_open_day_after_its_closed_period(
    periods: list[Period], offset: int
) -> None:
    day = periods[0].start + timedelta(days=offset)
    moved_to, reason = posting_date(day, periods)
    covering = [p for p in periods if p.start <= day <= p.end]
    if not covering or covering[0].is_open:
        assert (moved_to, reason) == (day, None)
        return
    (period,) = covering
    assert reason is not None and reason.startswith(f"period {period.name} is {period.status}")
    following = [p for p in periods if p.start > period.end and p.is_open]
    if not following:
        assert moved_to is None and reason.endswith("cannot post")
        return
    assert moved_to == following[0].start and moved_to > day
    assert all(not p.is_open for p in periods if period.start <= p.start < following[0].start)

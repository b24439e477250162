"""The journal store: recording proposals (idempotent, supersede, withdraw, forced approval),
decisions, waivers, refusals, reads and the snapshot. Hand-written cases run on SQLite under
tmp_path and on PostgreSQL; the properties run on SQLite."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retail_sync.erp.port import JournalEntryDraft, JournalLineDraft
from retail_sync.journals.proposals import Proposal
from retail_sync.journals.store import (
    APPROVED,
    AWAITING_APPROVAL,
    POSTED,
    POSTING,
    REJECTED,
    SUPERSEDED,
    WAIVED,
    WITHDRAWN,
    Actor,
    JournalError,
    JournalStore,
    ProposalRecord,
    from_cents,
    to_cents,
)
from retail_sync.state import StateStore
from retail_sync_tests.journals.conftest import (
    OCT_5,
    SHOP,
    T0,
    Recorder,
    Ticker,
    correction,
    refusal,
)

ALICE = Actor("alice@example.com", "trusted_header")
OCT_6 = date(2026, 10, 6)


def actions(store: JournalStore) -> list[tuple[str, str | None]]:
    return [(event.action, event.proposal_id) for event in store.audit(SHOP)]


def by_id(store: JournalStore) -> dict[str, ProposalRecord]:
    return {record.proposal_id: record for record in store.proposals(SHOP)}


def post_by_hand(
    store: JournalStore, record: ProposalRecord, clock: Callable[[], datetime]
) -> None:
    """Mark a proposal's journals posted through the store's outbox API (no ERP involved)."""
    for journal in record.journals:
        draft = JournalEntryDraft(
            external_id=journal.external_id,
            subsidiary_id=record.subsidiary_id,
            currency=record.currency,
            date=journal.ledger_date,
            memo=journal.memo,
            lines=tuple(
                JournalLineDraft(line.account, line.debit, line.credit) for line in journal.lines
            ),
        )
        row = store.begin_posting(
            record.proposal_id,
            journal.journal_id,
            draft=draft,
            original_date=journal.ledger_date,
            moved_reason=None,
            now=clock(),
        )
        assert row is not None
        assert store.record_landed(
            journal.journal_id, erp_id=f"9{len(journal.journal_id)}", how="posted", now=clock()
        )
    assert store.settle_proposal(record.proposal_id, now=clock()) == POSTED


# ---- recording ------------------------------------------------------------------------------


def test_auto_is_approved_by_the_policy_and_approval_waits(
    journals: JournalStore, record: Recorder
) -> None:
    small = correction("exc-small")  # 0.40 tax: auto
    large = correction(
        "exc-large", [("2200", "-600.00", OCT_5), ("1205", "600.00", OCT_5)]
    )  # above the 500.00 threshold: approval
    sync = record([small, large], variances={"exc-small": Decimal("-0.40")})
    assert (sync.new, sync.unchanged, sync.superseded, sync.withdrawn) == (2, 0, 0, 0)
    assert sync.new_auto == (small.proposal_id,)
    assert sync.new_approval == (large.proposal_id,)

    records = by_id(journals)
    auto, waiting = records[small.proposal_id], records[large.proposal_id]
    assert (auto.status, auto.decided_by, auto.decided_via) == (APPROVED, "policy", "policy")
    assert auto.decided_at is not None and auto.decided_at.tzinfo is not None
    assert (waiting.status, waiting.decided_by) == (AWAITING_APPROVAL, None)
    assert auto.business_date == OCT_5
    assert auto.amount == Decimal("0.40") and auto.variance == Decimal("-0.40")
    assert waiting.amount == Decimal("600.00") and waiting.variance is None
    # The journals and lines come back exactly as proposed.
    (journal,) = auto.journals
    assert journal.external_id == small.journals[0].external_id
    assert journal.memo == small.journals[0].memo
    assert [(line.account, line.debit, line.credit) for line in journal.lines] == [
        ("1205", Decimal("0.00"), Decimal("0.40")),
        ("2200", Decimal("0.40"), Decimal("0.00")),
    ]
    assert actions(journals) == [
        ("proposed", small.proposal_id),
        ("approved", small.proposal_id),
        ("proposed", large.proposal_id),
    ]
    assert journals.exception_statuses(SHOP) == {
        "exc-large": AWAITING_APPROVAL,
        "exc-small": APPROVED,
    }


def test_recording_the_same_run_again_changes_nothing(
    journals: JournalStore, record: Recorder
) -> None:
    proposals = [correction("exc-a"), correction("exc-b", kind="order_shipping_mismatch")]
    refusals = [refusal("exc-c")]
    record(proposals, refusals)
    before = journals.snapshot()
    again = record(proposals, refusals)
    assert (again.new, again.unchanged, again.superseded, again.withdrawn) == (0, 2, 0, 0)
    assert again.refused == 1 and again.new_ids == ()
    assert journals.snapshot() == before  # not one audit row more, nothing updated


def test_a_changed_difference_supersedes_the_pending_proposal(
    journals: JournalStore, record: Recorder
) -> None:
    first = correction("exc-a")
    record([first])
    changed = correction("exc-a", [("2200", "-0.55", OCT_5), ("1205", "0.55", OCT_5)])
    assert changed.proposal_id != first.proposal_id
    sync = record([changed])
    assert (sync.new, sync.superseded) == (1, 1)
    records = by_id(journals)
    assert records[first.proposal_id].status == SUPERSEDED
    assert records[first.proposal_id].superseded_by == changed.proposal_id
    assert records[changed.proposal_id].status == APPROVED
    assert records[changed.proposal_id].revision == 2
    assert journals.exception_statuses(SHOP) == {"exc-a": APPROVED}
    # Back to the first difference: the first proposal is current again.
    back = record([first])
    assert (back.new, back.superseded) == (1, 1)
    records = by_id(journals)
    assert records[first.proposal_id].status == APPROVED
    assert records[first.proposal_id].superseded_by is None
    assert records[changed.proposal_id].status == SUPERSEDED
    assert journals.exception_statuses(SHOP) == {"exc-a": APPROVED}
    assert record([first]).unchanged == 1


def test_a_proposal_whose_exception_closed_is_withdrawn_on_its_dates_only(
    journals: JournalStore, record: Recorder
) -> None:
    gone, other_day = correction("exc-gone"), correction("exc-other-day")
    record([gone])
    Recorder(journals, business_date=OCT_6, clock=record.clock)([other_day])
    # A run of 5 October in which exc-gone is no longer open; exc-other-day is of the 6th.
    sync = record([], open_ids=[])
    assert sync.withdrawn == 1
    records = by_id(journals)
    assert records[gone.proposal_id].status == WITHDRAWN
    assert records[gone.proposal_id].detail == "the exception is no longer open"
    assert records[other_day.proposal_id].status == APPROVED
    assert record([], open_ids=[]).withdrawn == 0  # once


def test_a_proposal_whose_lines_are_now_refused_is_withdrawn(
    journals: JournalStore, record: Recorder
) -> None:
    stale = correction("exc-a")
    record([stale])
    sync = record([], [refusal("exc-a", "the lines on 2026-10-05 do not balance")])
    assert sync.withdrawn == 1
    withdrawn = journals.proposal(stale.proposal_id)
    assert withdrawn is not None and withdrawn.status == WITHDRAWN
    assert withdrawn.detail is not None and "do not balance" in withdrawn.detail


def test_refusals_are_audited_once_per_exception_and_reason(
    journals: JournalStore, record: Recorder
) -> None:
    record([], [refusal("exc-a", "reason one"), refusal("exc-b", "reason one")])
    record([], [refusal("exc-a", "reason one"), refusal("exc-b", "reason one")])
    record([], [refusal("exc-a", "reason two")])
    refused = [(e.exception_id, e.reason) for e in journals.audit(SHOP) if e.action == "refused"]
    assert refused == [("exc-a", "reason one"), ("exc-b", "reason one"), ("exc-a", "reason two")]


def test_a_further_correction_after_a_posted_one_always_needs_approval(
    journals: JournalStore, record: Recorder
) -> None:
    first = correction("exc-a")
    record([first])
    first_record = journals.proposal(first.proposal_id)
    assert first_record is not None
    post_by_hand(journals, first_record, record.clock)
    # The re-reconciliation still finds 0.10: a further correction, small enough for auto.
    further = correction("exc-a", [("2200", "-0.10", OCT_5), ("1205", "0.10", OCT_5)])
    assert further.route == "auto"
    sync = record([further])
    assert sync.new_approval == (further.proposal_id,) and sync.superseded == 0
    forced = journals.proposal(further.proposal_id)
    assert forced is not None and forced.status == AWAITING_APPROVAL
    assert forced.route == "auto"
    assert forced.detail is not None and first.proposal_id in forced.detail
    assert "needs approval" in forced.detail
    assert journals.proposal(first.proposal_id).status == POSTED  # type: ignore[union-attr]
    assert journals.exception_statuses(SHOP) == {"exc-a": AWAITING_APPROVAL}


def test_a_proposal_being_posted_is_neither_superseded_nor_withdrawn(
    journals: JournalStore, record: Recorder
) -> None:
    first = correction("exc-a")
    record([first])
    journal = first.journals[0]
    draft = JournalEntryDraft(
        journal.external_id,
        "1",
        "USD",
        journal.trandate,
        journal.memo,
        tuple(JournalLineDraft(line.account, line.debit, line.credit) for line in journal.lines),
    )
    assert journals.begin_posting(
        first.proposal_id,
        journal.journal_id,
        draft=draft,
        original_date=journal.trandate,
        moved_reason=None,
        now=record.clock(),
    )
    record([], open_ids=[])
    changed = correction("exc-a", [("2200", "-0.55", OCT_5), ("1205", "0.55", OCT_5)])
    record([changed])
    records = by_id(journals)
    assert records[first.proposal_id].status == POSTING
    assert records[changed.proposal_id].status == AWAITING_APPROVAL  # forced: one is in flight


# ---- decisions and waivers ------------------------------------------------------------------


def test_decide_approves_or_rejects_only_what_awaits_approval(
    journals: JournalStore, record: Recorder
) -> None:
    big = [("2200", "-600.00", OCT_5), ("1205", "600.00", OCT_5)]
    one, two, auto = correction("exc-1", big), correction("exc-2", big), correction("exc-3")
    record([one, two, auto])
    approved = journals.decide(
        one.proposal_id, "approve", actor=ALICE, reason="checked the invoice", now=T0
    )
    assert (approved.status, approved.decided_by, approved.decided_via) == (
        APPROVED,
        "alice@example.com",
        "trusted_header",
    )
    assert approved.decided_at == T0 and approved.decision_reason == "checked the invoice"
    with pytest.raises(JournalError, match="needs a reason"):
        journals.decide(two.proposal_id, "reject", actor=ALICE, reason="  ", now=T0)
    rejected = journals.decide(
        two.proposal_id, "reject", actor=Actor("bob", "self_declared"), reason="duplicate", now=T0
    )
    assert (rejected.status, rejected.decided_via) == (REJECTED, "self_declared")
    for proposal_id, status in (
        (one.proposal_id, "approved"),
        (two.proposal_id, "rejected"),
        (auto.proposal_id, "approved"),
    ):
        with pytest.raises(JournalError, match=f"{proposal_id} is {status}"):
            journals.decide(proposal_id, "approve", actor=ALICE, reason="", now=T0)
    with pytest.raises(JournalError, match="no proposal 'nope'"):
        journals.decide("nope", "approve", actor=ALICE, reason="", now=T0)
    decisions = [
        (e.action, e.actor, e.actor_source, e.reason)
        for e in journals.audit(SHOP)
        if e.action in ("approved", "rejected") and e.actor != "policy"
    ]
    assert decisions == [
        ("approved", "alice@example.com", "trusted_header", "checked the invoice"),
        ("rejected", "bob", "self_declared", "duplicate"),
    ]
    # A rejected proposal stays rejected when the same difference is proposed again.
    assert record([one, two, auto]).unchanged == 3
    assert journals.proposal(two.proposal_id).status == REJECTED  # type: ignore[union-attr]


def test_waive_withdraws_pending_proposals_and_keeps_new_ones_out(
    journals: JournalStore, record: Recorder
) -> None:
    pending = correction("exc-a")
    record([pending, correction("exc-b")])
    with pytest.raises(JournalError, match="needs a reason"):
        journals.waive(SHOP, "exc-a", actor=ALICE, reason="", now=T0)
    waiver = journals.waive(SHOP, "exc-a", actor=ALICE, reason="immaterial", now=T0)
    assert waiver.withdrawn == (pending.proposal_id,)
    assert (waiver.actor, waiver.actor_source, waiver.reason) == (
        ALICE.name,
        ALICE.source,
        "immaterial",
    )
    assert journals.proposal(pending.proposal_id).status == WITHDRAWN  # type: ignore[union-attr]
    again = journals.waive(SHOP, "exc-a", actor=ALICE, reason="other", now=T0 + timedelta(1))
    assert again.reason == "immaterial" and again.withdrawn == ()
    assert [e.action for e in journals.audit(SHOP)].count(WAIVED) == 1
    changed = correction("exc-a", [("2200", "-0.55", OCT_5), ("1205", "0.55", OCT_5)])
    sync = record([changed, correction("exc-b")])
    assert sync.waived == 1 and sync.new == 0
    assert journals.proposal(changed.proposal_id) is None
    assert journals.exception_statuses(SHOP) == {"exc-a": WAIVED, "exc-b": APPROVED}


# ---- validation -----------------------------------------------------------------------------


def test_bad_input_is_refused_with_a_clear_message(
    journals: JournalStore, record: Recorder
) -> None:
    proposal = correction("exc-a")
    with pytest.raises(JournalError, match="not among the open exceptions"):
        record([proposal], open_ids=[])
    with pytest.raises(JournalError, match="not among the business dates"):
        record([proposal], dates=[OCT_6])
    with pytest.raises(JournalError, match="two proposals for one exception"):
        record([proposal, correction("exc-a", [("2200", "-1.00", OCT_5), ("1205", "1.00", OCT_5)])])
    with pytest.raises(JournalError, match="both a proposal and a refusal"):
        record([proposal], [refusal("exc-a")])
    with pytest.raises(JournalError, match="no time zone"):
        journals.record_proposals(
            SHOP,
            [proposal],
            [],
            business_dates=[OCT_5],
            open_exception_dates={"exc-a": OCT_5},
            now=datetime(2026, 11, 2),  # a naive time
        )
    with pytest.raises(JournalError, match="is shop north-outfitters's, not other's"):
        journals.record_proposals(
            "other",
            [proposal],
            [],
            business_dates=[OCT_5],
            open_exception_dates={"exc-a": OCT_5},
            now=T0,
        )
    with pytest.raises(JournalError, match="source 'header'"):
        Actor("x", "header")  # type: ignore[arg-type]
    assert journals.proposals(SHOP) == [] and journals.audit(SHOP) == []


def test_reads_and_snapshot(journals: JournalStore, record: Recorder) -> None:
    record([correction("exc-a")], [refusal("exc-b")])
    snapshot = journals.snapshot()
    assert set(snapshot) == {"proposals", "journals", "lines", "outbox", "waivers", "audit"}
    (proposal,) = snapshot["proposals"]
    assert proposal["amount"] == Decimal("0.40") and "amount_cents" not in proposal
    assert proposal["created_at"].tzinfo is not None
    assert {(row["account"], row["debit"], row["credit"]) for row in snapshot["lines"]} == {
        ("1205", Decimal("0.00"), Decimal("0.40")),
        ("2200", Decimal("0.40"), Decimal("0.00")),
    }
    assert all(event["at"].utcoffset() == timedelta(0) for event in snapshot["audit"])
    assert journals.proposals(SHOP, statuses=[AWAITING_APPROVAL]) == []
    assert journals.proposals("another-shop") == []
    with pytest.raises(JournalError, match="unknown proposal status 'open'"):
        journals.proposals(SHOP, statuses=["open"])
    assert journals.outbox(SHOP) == []


# ---- properties (SQLite in memory: a fresh store per example) -------------------------------

CENTS = st.integers(min_value=1, max_value=10**15)


@given(cents=st.lists(CENTS, min_size=1, max_size=4))
def test_money_round_trips_exactly(cents: list[int]) -> None:
    for value in cents:
        amount = from_cents(value)
        assert to_cents(amount) == value and amount == Decimal(value) / 100
    with pytest.raises(JournalError):
        to_cents(Decimal("0.001"))


RUN = st.lists(
    st.tuples(st.sampled_from(["exc-a", "exc-b", "exc-c"]), st.integers(1, 4), st.booleans()),
    max_size=3,
    unique_by=lambda item: item[0],
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs=st.lists(RUN, min_size=1, max_size=5))
def test_any_sequence_of_runs_keeps_one_current_proposal_per_exception(
    runs: list[list[tuple[str, int, bool]]],
) -> None:
    """Runs of (exception, delta in dimes, big?) — whatever the sequence: at most one pending
    proposal per exception, and it is the one of the latest run that proposed for it; a repeat
    of the last run changes nothing; the amounts are exact."""
    with StateStore("sqlite://") as state:
        journals = JournalStore(state)
        record = Recorder(journals, clock=Ticker())
        latest: dict[str, str] = {}
        proposals: list[Proposal] = []
        for run in runs:
            proposals = []
            for exception_id, dimes, big in run:
                amount = Decimal(dimes) / 10 + (Decimal("1000") if big else 0)
                proposals.append(
                    correction(
                        exception_id, [("2200", f"{-amount}", OCT_5), ("1205", f"{amount}", OCT_5)]
                    )
                )
            record(proposals)
            for proposal in proposals:
                latest[proposal.exception_id] = proposal.proposal_id
            pending: dict[str, list[str]] = {}
            for stored in journals.proposals(SHOP, statuses=[APPROVED, AWAITING_APPROVAL]):
                pending.setdefault(stored.exception_id, []).append(stored.proposal_id)
            proposed_now = {p.exception_id for p in proposals}
            assert set(pending) == proposed_now  # the others were withdrawn: not open any more
            for exception_id, ids in pending.items():
                assert ids == [latest[exception_id]]
        snapshot = journals.snapshot()
        assert record(proposals).new == 0
        assert journals.snapshot() == snapshot
        for stored in journals.proposals(SHOP):
            debit = sum((j.total_debit for j in stored.journals), Decimal(0))
            assert stored.amount == debit
            assert stored.status != POSTED


def test_the_clock_is_utc_whatever_zone_it_is_given_in(
    journals: JournalStore, record: Recorder
) -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2026, 11, 2, 7, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    journals.record_proposals(
        SHOP,
        [correction("exc-a")],
        [],
        business_dates=[OCT_5],
        open_exception_dates={"exc-a": OCT_5},
        now=local,
    )
    (stored,) = journals.proposals(SHOP)
    assert stored.created_at == datetime(2026, 11, 2, 6, 30, tzinfo=UTC)
    assert stored.created_at.tzinfo == UTC
    assert journals.audit(SHOP)[0].at == stored.created_at

"""Verification against the real NetSuite simulator: a posted correction read back as drafted
and gone from the re-reconciliation is verified; one whose difference persists, whose journal is
missing or was changed in the ERP is correction_failed, saying which with both figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from retail_sync.erp.netsuite import CircuitBreaker
from retail_sync.erp.port import Account
from retail_sync.journals.posting import post_approved
from retail_sync.journals.store import (
    CORRECTION_FAILED,
    POSTED,
    VERIFIED,
    JournalStore,
    ProposalRecord,
)
from retail_sync.journals.verification import verify_posted
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

OCT_6 = date(2026, 10, 6)


@pytest.fixture
def store(sqlite_state: StateStore) -> JournalStore:
    return JournalStore(sqlite_state)


def posted(
    store: JournalStore, netsuite: NetSuite, *exception_ids: str
) -> dict[str, ProposalRecord]:
    proposals = [
        correction(exception_id, [("2200", f"-{n}.40", OCT_5), ("1205", f"{n}.40", OCT_5)])
        for n, exception_id in enumerate(exception_ids, start=1)
    ]
    Recorder(store)(proposals, variances={p.exception_id: -p.amount for p in proposals})
    summary = post_approved(store, netsuite.erp, SHOP, now=Ticker())
    assert summary.posted == len(proposals)
    return {p.exception_id: p for p in store.proposals(SHOP)}


def test_posted_corrections_whose_difference_is_gone_are_verified_once(
    store: JournalStore, netsuite: NetSuite
) -> None:
    records = posted(store, netsuite, "exc-a", "exc-b")
    summary = verify_posted(store, netsuite.erp, SHOP, remaining={}, checked_dates=[OCT_5], now=T0)
    assert {v.exception_id for v in summary.verified} == {"exc-a", "exc-b"}
    assert summary.verified_amount == Decimal("3.80")  # 1.40 + 2.40
    assert summary.failed == () and summary.unverified == ()
    assert {p.status for p in store.proposals(SHOP)} == {VERIFIED}
    verified_events = [e for e in store.audit(SHOP) if e.action == VERIFIED]
    assert {e.proposal_id for e in verified_events} == {r.proposal_id for r in records.values()}
    again = verify_posted(
        store, netsuite.erp, SHOP, remaining={}, checked_dates=[OCT_5], now=T0 + timedelta(1)
    )
    assert again.verified == () and again.failed == ()
    assert [e for e in store.audit(SHOP) if e.action == VERIFIED] == verified_events


def test_a_difference_that_persists_fails_with_both_figures(
    store: JournalStore, netsuite: NetSuite
) -> None:
    posted(store, netsuite, "exc-a", "exc-b")
    summary = verify_posted(
        store,
        netsuite.erp,
        SHOP,
        remaining={"exc-b": Decimal("-0.15")},
        checked_dates=[OCT_5],
        now=T0,
    )
    assert [v.exception_id for v in summary.verified] == ["exc-a"]
    (failed,) = summary.failed
    assert (failed.exception_id, failed.variance_before, failed.variance_after) == (
        "exc-b",
        Decimal("-2.40"),
        Decimal("-0.15"),
    )
    assert failed.reason.endswith("variance before -2.40, after -0.15")
    stored = store.proposal(failed.proposal_id)
    assert stored is not None and stored.status == CORRECTION_FAILED
    assert stored.detail == failed.reason
    (event,) = [e for e in store.audit(SHOP) if e.action == CORRECTION_FAILED]
    assert event.detail == failed.reason and event.proposal_id == failed.proposal_id


def test_a_journal_missing_or_changed_in_the_erp_fails_saying_which(
    store: JournalStore, netsuite: NetSuite
) -> None:
    records = posted(store, netsuite, "exc-missing", "exc-changed", "exc-fine")
    missing = records["exc-missing"].journals[0]
    changed = records["exc-changed"].journals[0]
    # Someone deletes one entry in NetSuite and edits another (a PUT replaces its lines).
    sim_store = netsuite.simulator.store
    with sim_store.lock:
        internal = sim_store.find_journal_id(missing.external_id)
        for table, key in (
            ("transactionaccountingline", "transaction"),
            ("transactionline", "transaction"),
            ("transaction", "id"),
        ):
            sim_store.con.execute(f'DELETE FROM "{table}" WHERE "{key}" = ?', [internal])
    accounts = {a.number: a.id for a in netsuite.erp.accounts() if isinstance(a, Account)}
    netsuite.client.upsert_journal(
        changed.external_id,
        {
            "externalId": changed.external_id,
            "tranDate": OCT_6.isoformat(),
            "subsidiary": {"id": "1"},
            "memo": changed.memo,
            "line": {
                "items": [
                    {"account": {"id": accounts["2200"]}, "debit": 2.00},
                    {"account": {"id": accounts["1205"]}, "credit": 2.00},
                ]
            },
        },
    )
    summary = verify_posted(store, netsuite.erp, SHOP, remaining={}, checked_dates=[OCT_5], now=T0)
    assert [v.exception_id for v in summary.verified] == ["exc-fine"]
    reasons = {f.exception_id: f.reason for f in summary.failed}
    assert reasons["exc-missing"] == f"journal {missing.external_id} is not in the ERP"
    assert reasons["exc-changed"] == (
        f"journal {changed.external_id} is dated 2026-10-06 in the ERP, not 2026-10-05; "
        f"journal {changed.external_id} lines differ: missing 1205 Cr 2.40, 2200 Dr 2.40; "
        "unexpected 1205 Cr 2.00, 2200 Dr 2.00"
    )
    assert store.proposal(records["exc-changed"].proposal_id).status == CORRECTION_FAILED  # type: ignore[union-attr]


def test_only_the_checked_dates_are_verified(store: JournalStore, netsuite: NetSuite) -> None:
    posted(store, netsuite, "exc-a")
    summary = verify_posted(store, netsuite.erp, SHOP, remaining={}, checked_dates=[OCT_6], now=T0)
    assert summary.verified == () and summary.failed == ()
    assert {p.status for p in store.proposals(SHOP)} == {POSTED}


def test_an_unreachable_erp_leaves_the_proposal_posted_for_the_next_run(
    store: JournalStore, tmp_path: Path
) -> None:
    clock = FakeClock(datetime.now(UTC))
    profile = FaultProfile(
        maintenance_after=timedelta(seconds=30), maintenance_for=timedelta(seconds=60)
    )
    netsuite = start_netsuite(
        tmp_path,
        faults=profile,
        clock=clock,
        sleep=clock.sleep,
        breaker=CircuitBreaker(clock=clock.monotonic),
        retry=Backoff(max_attempts=2, base_seconds=0.5, cap_seconds=1, max_retry_after_seconds=5),
    )
    try:
        records = posted(store, netsuite, "exc-a")
        clock.sleep(31)  # maintenance
        summary = verify_posted(
            store, netsuite.erp, SHOP, remaining={}, checked_dates=[OCT_5], now=T0
        )
        ((proposal_id, reason),) = summary.unverified
        assert proposal_id == records["exc-a"].proposal_id and "cannot read it back" in reason
        assert store.proposal(proposal_id).status == POSTED  # type: ignore[union-attr]
        clock.sleep(120)
        later = verify_posted(
            store, netsuite.erp, SHOP, remaining={}, checked_dates=[OCT_5], now=T0
        )
        assert [v.proposal_id for v in later.verified] == [proposal_id]
    finally:
        netsuite.client.close()
        netsuite.server.stop()

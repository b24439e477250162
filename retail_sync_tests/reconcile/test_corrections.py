"""The reconciliation sees our corrective journals (issue 16; docs/finance.md, "Corrections").

A corrective journal of ours carries the external id `retail-sync-<24 hex>` and, in its memo, the
token `retail-sync:exception:<exception id>:<ledger date>`. The reconciliation reads it from the
ledger alone: it is no ERP entry of any Shopify record, its lines are added to the exception it
names (per account and ledger date), an exception left with nothing is `corrected` (it leaves
`exceptions` for `corrected_exceptions`, under the same id), a partial correction stays visible,
a correction naming no exception is an `unmatched_correction`, and the clearing bridge ties on
every day, a correction dated after its ledger date (a closed period) counted as timing.

Hand-written ledgers (ledger_cases.py, no simulators); the corrections come from
`retail_sync.journals.proposals.propose` over the exception lines the first reconciliation wrote,
or are written directly when a case needs a wrong one. Expected figures are worked out here from
the journals booked, never read back from the SQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import permutations
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from retail_sync.exception_kinds import KNOWN_KINDS, STANDALONE_KINDS
from retail_sync.journals.policy import DEFAULT_LISTS, ShopPolicy
from retail_sync.journals.proposals import Proposal, propose
from retail_sync_tests.reconcile.ledger_cases import (
    CHART_ACCOUNTS,
    CLEARING_ACCOUNTS,
    SHOP,
    ZERO,
    Journal,
    LedgerCase,
    Record,
    correction_of,
    lines_by_exception,
    money,
    posted_correction,
)
from retail_sync_tests.reconcile.test_exception_lines import (
    KINDS,
    PRIMARY,
    Figures,
    bridge_problems,
    create,
    figures,
    movements,
    rules,
)

DAY = date(2026, 3, 10)
# Every kind proposed (nothing in `never`): the reconciliation, not the policy, is under test.
POLICY = ShopPolicy(shop_id=SHOP.id, subsidiary_id=SHOP.erp_subsidiary_id or "7", never=())
UNKNOWN = "exc_" + "0" * 20


# Helpers -----------------------------------------------------------------------------------


def order(case: LedgerCase, day: date = DAY) -> Record:
    """Order: goods 100.00, tax 8.00, paid 108.00 by Shopify Payments (1205 +108, 4000 −100,
    2200 −8)."""
    return case.order(day, goods=money(100), tax=money(8), paid_shopify_payments=money(108))


def first_pass(case: LedgerCase, journals: Iterable[Journal]) -> list[dict[str, Any]]:
    """Book `journals` as the whole ledger and reconcile: the exceptions found."""
    case.book(journals)
    case.reconcile()
    return case.exceptions()


def proposals(case: LedgerCase) -> dict[str, Proposal]:
    """The corrective journals of every exception of the last reconciliation, by exception id
    (each must be proposable)."""
    grouped = lines_by_exception(case.exception_lines())
    found: dict[str, Proposal] = {}
    for exception in case.exceptions():
        proposal = propose(exception, grouped.get(exception["exception_id"], []), POLICY)
        assert isinstance(proposal, Proposal), proposal
        found[exception["exception_id"]] = proposal
    return found


def bridge_breaks(case: LedgerCase) -> list[dict[str, Any]]:
    """Roll-forward rows with a residual, or where difference ≠ explained + timing + residual."""
    return [
        row
        for row in case.rollforward()
        if row["residual"] != 0
        or row["difference"] != row["explained"] + row["timing"] + row["residual"]
    ]


def ledger_clearing(journals: Iterable[Journal]) -> dict[tuple[date, str], Decimal]:
    """Σ of the journals' clearing lines per (date, account), worked out here."""
    total: dict[tuple[date, str], Decimal] = defaultdict(lambda: ZERO)
    for journal in journals:
        for account, amount in journal.lines.items():
            if account in CLEARING_ACCOUNTS:
                total[journal.trandate, account] += amount
    return total


def bridge(case: LedgerCase) -> dict[tuple[date, str], tuple[Decimal, ...]]:
    """(difference, explained, timing, residual) per nonzero roll-forward row."""
    return {
        (row["business_date"], row["account"]): (
            row["difference"],
            row["explained"],
            row["timing"],
            row["residual"],
        )
        for row in case.rollforward()
        if any(row[name] for name in ("difference", "explained", "timing", "residual"))
    }


def tax_high(case: LedgerCase) -> tuple[Record, list[Journal]]:
    """The order booked with tax credited 8.40 and 1205 debited 108.40 (order_tax_mismatch)."""
    record = order(case)
    journals = case.correct_journals()
    journals[record.ref, "order"].change("2200", money("-0.40")).change("1205", money("0.40"))
    return record, list(journals.values())


def line_figures(lines: Iterable[Mapping[str, Any]]) -> set[tuple[Any, ...]]:
    return {
        (
            line["account"],
            line["ledger_date"],
            line["shopify_amount"],
            line["erp_amount"],
            line["original_delta"],
            line["corrected"],
            line["delta"],
        )
        for line in lines
    }


# Corrected ---------------------------------------------------------------------------------


def test_an_exact_correction_of_a_tax_mismatch_corrects_it() -> None:
    with LedgerCase() as case:
        _, journals = tax_high(case)
        (found,) = first_pass(case, journals)
        assert found["kind"] == "order_tax_mismatch"
        assert (found["corrected_amount"], found["held"], found["hold_reason"]) == (
            ZERO,
            False,
            None,
        )
        (proposal,) = proposals(case).values()
        (journal,) = proposal.journals
        correction = posted_correction(case, journal)
        assert correction.lines == {"2200": money("0.40"), "1205": money("-0.40")}
        case.book([*journals, correction])
        case.reconcile()

        assert case.exceptions() == []
        assert case.exception_lines() == []
        (corrected,) = case.corrected_exceptions()
        assert corrected == {
            "exception_id": found["exception_id"],
            "shop_id": SHOP.id,
            "business_date": DAY,
            "domain": "orders",
            "kind": "order_tax_mismatch",
            "shopify_ref": found["shopify_ref"],
            "erp_ref": found["erp_ref"],
            "currency": "USD",
            "corrected_amount": money("0.40"),
            "correction_external_ids": journal.external_id,
            "last_correction_date": DAY,
        }
        # 1205 moved 108.40 − 0.40 on the day: the rules' 108.00, nothing to explain.
        assert bridge_breaks(case) == []
        assert bridge(case) == {}


def test_a_missing_order_booked_whole_by_its_correction_is_corrected() -> None:
    with LedgerCase() as case:
        record = order(case)
        (found,) = first_pass(case, [])
        assert found["kind"] == "order_missing_in_erp"
        (proposal,) = proposals(case).values()
        (journal,) = proposal.journals
        assert journal.memo.count(record.ref) == 1  # the memo names the order: still no entry
        case.book([posted_correction(case, journal)])
        case.reconcile()
        assert case.exceptions() == []
        assert [
            (c["exception_id"], c["corrected_amount"]) for c in case.corrected_exceptions()
        ] == [(found["exception_id"], money(108))]
        assert bridge_breaks(case) == []
        assert bridge(case) == {}
        # The order reads as matched (no exception names it any more).
        (summary,) = case.fetch("select * from recon.match_summary where domain = 'orders'")
        assert (summary["records"], summary["matched"]) == (1, 1)


def test_a_duplicate_and_its_reversal_are_corrected() -> None:
    later = DAY + timedelta(days=2)
    with LedgerCase() as case:
        order(case)
        journals = list(case.correct_journals().values())
        copy = journals[0].copy(case.transaction_id(), external_id=None, trandate=later)
        (found,) = first_pass(case, [*journals, copy])
        assert found["kind"] == "order_duplicate_posting"
        (proposal,) = proposals(case).values()
        (journal,) = proposal.journals
        assert journal.trandate == later
        case.book([*journals, copy, posted_correction(case, journal)])
        case.reconcile()
        assert case.exceptions() == []
        (corrected,) = case.corrected_exceptions()
        assert (corrected["exception_id"], corrected["corrected_amount"]) == (
            found["exception_id"],
            money(108),
        )
        assert bridge_breaks(case) == []
        assert bridge(case) == {}


@pytest.mark.parametrize("repost_moved_to", [None, date(2026, 4, 2)])
def test_a_wrong_period_and_its_two_journals_are_corrected(repost_moved_to: date | None) -> None:
    """The reversal on 1 April and the reposting on 31 March; when March is closed the reposting
    moves to 2 April (its memo keeps 31 March): still corrected, and the bridge ties every day."""
    last, booked = date(2026, 3, 31), date(2026, 4, 1)
    with LedgerCase() as case:
        order(case, last)
        (journal,) = case.correct_journals().values()
        journal.trandate = booked
        (found,) = first_pass(case, [journal])
        assert found["kind"] == "order_wrong_period"
        (proposal,) = proposals(case).values()
        repost, reverse = proposal.journals
        assert (repost.trandate, reverse.trandate) == (last, booked)
        corrections = [
            posted_correction(case, repost, trandate=repost_moved_to),
            posted_correction(case, reverse),
        ]
        case.book([journal, *corrections])
        case.reconcile()
        assert case.exceptions() == []
        (corrected,) = case.corrected_exceptions()
        assert corrected["exception_id"] == found["exception_id"]
        assert corrected["corrected_amount"] == money(216)
        assert corrected["correction_external_ids"] == ",".join(
            sorted([repost.external_id, reverse.external_id])
        )
        assert corrected["last_correction_date"] == (repost_moved_to or booked)
        assert bridge_breaks(case) == []
        want: dict[tuple[date, str], tuple[Decimal, ...]] = {}
        if repost_moved_to is not None:
            # 31 March: the rules' +108.00 is not in the ledger; the correction counting for it
            # sits on 2 April. Timing on both days, like a booking on another day.
            want[last, "1205"] = (money(-108), ZERO, money(-108), ZERO)
            want[repost_moved_to, "1205"] = (money(108), ZERO, money(108), ZERO)
        assert bridge(case) == want


def test_a_correction_dated_after_its_ledger_date_is_corrected_and_timing_on_both_days() -> None:
    moved = DAY + timedelta(days=3)
    with LedgerCase() as case:
        _, journals = tax_high(case)
        (found,) = first_pass(case, journals)
        (proposal,) = proposals(case).values()
        (journal,) = proposal.journals
        case.book([*journals, posted_correction(case, journal, trandate=moved)])
        case.reconcile()
        assert case.exceptions() == []
        (corrected,) = case.corrected_exceptions()
        assert (corrected["exception_id"], corrected["last_correction_date"]) == (
            found["exception_id"],
            moved,
        )
        assert bridge_breaks(case) == []
        assert bridge(case) == {
            (DAY, "1205"): (money("0.40"), ZERO, money("0.40"), ZERO),
            (moved, "1205"): (money("-0.40"), ZERO, money("-0.40"), ZERO),
        }


# Not corrected -----------------------------------------------------------------------------


def test_a_partial_correction_leaves_the_remaining_difference() -> None:
    with LedgerCase() as case:
        _, journals = tax_high(case)
        (found,) = first_pass(case, journals)
        partial = correction_of(
            case, found["exception_id"], DAY, {"2200": money("0.30"), "1205": money("-0.30")}
        )
        case.book([*journals, partial])
        case.reconcile()
        (left,) = case.exceptions()
        assert (left["exception_id"], left["kind"], left["variance"]) == (
            found["exception_id"],
            "order_tax_mismatch",
            money("0.10"),
        )
        assert left["corrected_amount"] == money("0.30")
        assert case.corrected_exceptions() == []
        m = money
        assert line_figures(case.exception_lines()) == {
            ("1205", DAY, m(108), m("108.40"), m("0.40"), m("-0.30"), m("0.10")),
            ("2200", DAY, m(-8), m("-8.40"), m("-0.40"), m("0.30"), m("-0.10")),
        }
        assert bridge_breaks(case) == []
        assert bridge(case) == {(DAY, "1205"): (money("0.10"), money("0.10"), ZERO, ZERO)}


def test_a_correction_on_the_wrong_account_stays_visible() -> None:
    """Booked on 4000 instead of 2200: 1205 is put right, 2200 is not, and 4000 gains a line."""
    with LedgerCase() as case:
        _, journals = tax_high(case)
        (found,) = first_pass(case, journals)
        wrong = correction_of(
            case, found["exception_id"], DAY, {"4000": money("0.40"), "1205": money("-0.40")}
        )
        case.book([*journals, wrong])
        case.reconcile()
        (left,) = case.exceptions()
        assert (left["exception_id"], left["variance"], left["corrected_amount"]) == (
            found["exception_id"],
            money("0.40"),
            money("0.40"),
        )
        assert line_figures(case.exception_lines()) == {
            ("1205", DAY, money(108), money("108.40"), money("0.40"), money("-0.40"), ZERO),
            ("2200", DAY, money(-8), money("-8.40"), money("-0.40"), ZERO, money("-0.40")),
            ("4000", DAY, ZERO, ZERO, ZERO, money("0.40"), money("0.40")),
        }
        assert bridge_breaks(case) == []


def test_a_correction_of_an_exception_the_run_does_not_find_is_unmatched() -> None:
    """The tax was also put right by hand: the correction is now extra money, and says so."""
    with LedgerCase() as case:
        record, journals = tax_high(case)
        (found,) = first_pass(case, journals)
        (proposal,) = proposals(case).values()
        (journal,) = proposal.journals
        correction = posted_correction(case, journal)
        by_hand = case.correct_journals()[record.ref, "order"]
        stray = correction_of(
            case, UNKNOWN, DAY + timedelta(days=1), {"1205": money(5), "6100": money(-5)}
        )
        case.book([by_hand, correction, stray])
        case.reconcile()
        assert case.corrected_exceptions() == []
        exceptions = {e["erp_ref"]: e for e in case.exceptions()}
        assert set(exceptions) == {correction.external_id, stray.external_id}
        assert found["exception_id"] not in {e["exception_id"] for e in exceptions.values()}
        ours, unknown = exceptions[correction.external_id], exceptions[stray.external_id]
        assert {e["kind"] for e in (ours, unknown)} == {"unmatched_correction"}
        assert (ours["domain"], ours["business_date"], ours["shopify_ref"], ours["account"]) == (
            "clearing",
            DAY,
            record.ref,
            None,
        )
        assert (ours["shopify_amount"], ours["erp_amount"], ours["variance"]) == (
            ZERO,
            money("0.40"),
            money("0.40"),
        )
        assert ours["corrected_amount"] == ZERO
        assert found["exception_id"] in ours["detail"]
        assert (unknown["shopify_ref"], unknown["business_date"], unknown["variance"]) == (
            None,
            DAY + timedelta(days=1),
            money(5),
        )
        grouped = lines_by_exception(case.exception_lines())
        assert line_figures(grouped[ours["exception_id"]]) == {
            ("1205", DAY, ZERO, money("-0.40"), money("-0.40"), ZERO, money("-0.40")),
            ("2200", DAY, ZERO, money("0.40"), money("0.40"), ZERO, money("0.40")),
        }
        assert line_figures(grouped[unknown["exception_id"]]) == {
            ("1205", DAY + timedelta(days=1), ZERO, money(5), money(5), ZERO, money(5)),
            ("6100", DAY + timedelta(days=1), ZERO, money(-5), money(-5), ZERO, money(-5)),
        }
        # Their lines explain their clearing money: no residual.
        assert bridge_breaks(case) == []
        assert bridge(case) == {
            (DAY, "1205"): (money("-0.40"), money("-0.40"), ZERO, ZERO),
            (DAY + timedelta(days=1), "1205"): (money(5), money(5), ZERO, ZERO),
        }


@pytest.mark.parametrize(
    ("external_id", "memo"),
    [
        pytest.param("retail-sync-" + "a" * 24, "retail-sync correction", id="no token"),
        pytest.param(
            "retail-sync-" + "b" * 24,
            f"retail-sync:exception:{UNKNOWN}:2026-02-30",
            id="a token whose date does not parse",
        ),
        pytest.param(
            "retail-sync-" + "c" * 24,
            "retail-sync:exception:exc_12345:2026-03-10",
            id="a token whose exception id is not one",
        ),
        pytest.param(None, f"retail-sync:exception:{UNKNOWN}:2026-03-10", id="not our external id"),
    ],
)
def test_a_journal_that_is_not_a_correction_stays_an_ordinary_entry(
    external_id: str | None, memo: str
) -> None:
    with LedgerCase() as case:
        journal = Journal(
            case.transaction_id(), DAY, {"1205": money(50), "4000": money(-50)},
            external_id=external_id, memo=f"{memo}; Shopify shopify:order:999999",
        )  # fmt: skip
        (found,) = first_pass(case, [journal])
        assert (found["kind"], found["variance"]) == ("orphan_erp_entry", money(50))
        assert case.corrected_exceptions() == []
        assert case.fetch("select * from recon.correction_lines") == []
        assert bridge_breaks(case) == []


# Held --------------------------------------------------------------------------------------


def test_the_exceptions_of_a_held_payout_and_of_a_held_record_are_held() -> None:
    with LedgerCase() as case:
        # Payout 1: Shopify's own figures disagree (its charge nets 490.00 for a net of 500.00)
        # and a fee of its own goes unbooked, as does its deposit.
        inconsistent = case.payout(DAY, net=money(500), balance_net=money(490))
        fee = case.balance_transaction(
            DAY, type="CHARGE", amount=money(50), fee=money(2),
            payout_id=inconsistent.shopify_id, payout_status="PAID",
        )  # fmt: skip
        # Payout 2 is consistent, payout 3 is not checked; neither deposit is booked.
        consistent = case.payout(DAY, net=money(300))
        unchecked = case.payout(DAY, net=money(200))
        # A fee of no payout, unbooked; an order quarantined at landing, and one that is not.
        loose = case.balance_transaction(DAY, type="CHARGE", amount=money(20), fee=money(1))
        quarantined, plain = order(case), order(case)
        case.flush()
        case.connection.execute(
            "insert into raw.shopify__quarantine (shop_id, source_table, record_id, reason, "
            "shop, date) values (?, 'orders', ?, 'bad amount', ?, ?)",
            [SHOP.id, quarantined.shopify_id, SHOP.id, DAY.isoformat()],
        )
        case.check_payouts(inconsistent=[inconsistent.shopify_id], unchecked=[unchecked.shopify_id])
        journals = case.correct_journals()
        for ref, entry_kind in [
            (inconsistent.ref, "payout"),
            (fee.ref, "fee"),
            (consistent.ref, "payout"),
            (unchecked.ref, "payout"),
            (loose.ref, "fee"),
            (quarantined.ref, "order"),
            (plain.ref, "order"),
        ]:
            del journals[ref, entry_kind]
        exceptions = first_pass(case, journals.values())
        held = {(e["shopify_ref"], e["kind"]): (e["held"], e["hold_reason"]) for e in exceptions}
        assert held == {
            (inconsistent.ref, "payout_balance_mismatch"): (True, "payout_inconsistent"),
            (inconsistent.ref, "payout_deposit_missing"): (True, "payout_inconsistent"),
            (fee.ref, "fee_missing_in_erp"): (True, "payout_inconsistent"),
            (consistent.ref, "payout_deposit_missing"): (False, None),
            (unchecked.ref, "payout_deposit_missing"): (True, "payout_not_checked"),
            (loose.ref, "fee_missing_in_erp"): (False, None),
            (quarantined.ref, "order_missing_in_erp"): (True, "quarantined"),
            (plain.ref, "order_missing_in_erp"): (False, None),
        }


# Kinds and policy --------------------------------------------------------------------------


def test_unmatched_correction_is_a_known_kind_the_policy_never_proposes() -> None:
    assert "unmatched_correction" in KNOWN_KINDS
    assert STANDALONE_KINDS["unmatched_correction"] == "clearing"
    assert "unmatched_correction" in DEFAULT_LISTS["never"]
    assert ShopPolicy(shop_id=SHOP.id, subsidiary_id="7").route(
        "unmatched_correction", money(1)
    ) == ("never")


# The property ------------------------------------------------------------------------------

# Every account of the chart, and one outside it.
ACCOUNTS = (*CHART_ACCOUNTS, "6400")
ACTIONS = ("keep", "delete", "duplicate", "wrong_period")
MONTH = date(2026, 3, 1)
# Days a correction is dated after its ledger date (0: on it); 20 and 40 cross a month's end.
SHIFTS = st.sampled_from([0, 0, 0, 1, 3, 20, 40])
PROPERTY = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=20,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass(frozen=True)
class Change:
    """One record of `kind`, its primary journal misbooked: `amount` moved from `source` to
    `target` (no source: `target` changed alone), or a whole-entry `action`."""

    kind: str
    figures: Figures
    action: str
    source: str | None = None
    target: str | None = None
    amount: Decimal = ZERO
    day: int = 0  # a duplicate's or a wrong period's day


class Plan(list[Change]):
    def __repr__(self) -> str:
        return f"Plan(<{len(self)} changes>)"


AMOUNTS = st.decimals(Decimal("0.01"), Decimal("3000"), places=2)


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    """Per kind: 1–3 records misbooked between any two accounts of the chart (or on one alone),
    and one record deleted, duplicated, booked in the wrong period or kept."""
    plan = Plan()
    for kind in KINDS:
        for _ in range(draw(st.integers(1, 3))):
            source, target = draw(st.sampled_from(list(permutations(ACCOUNTS, 2))))
            alone = draw(st.booleans())
            amount = draw(AMOUNTS) * (draw(st.sampled_from([1, -1])) if alone else 1)
            plan.append(
                Change(kind, draw(figures), "misbook", None if alone else source, target, amount)
            )
        plan.append(
            Change(
                kind, draw(figures), draw(st.sampled_from(ACTIONS)), day=draw(st.integers(1, 28))
            )
        )
    return plan


def apply(case: LedgerCase, change: Change, journal: Journal) -> list[Journal]:
    """The journals the change leaves in the ledger in place of `journal`."""
    if change.action == "delete":
        return []
    if change.action == "duplicate":
        day = MONTH.replace(day=change.day)
        return [journal, journal.copy(case.transaction_id(), external_id=None, trandate=day)]
    if change.action == "wrong_period":
        journal.trandate = date(2026, 4, change.day)
    elif change.action == "misbook":
        assert change.target is not None
        if change.source is None:
            journal.change(change.target, change.amount)
        else:
            journal.move(change.source, change.target, change.amount)
    return [journal]


def corrections_of(
    case: LedgerCase, exception: Mapping[str, Any], lines: list[Mapping[str, Any]]
) -> list[tuple[date, Journal]]:
    """The correction of one exception, −delta per (account, ledger date), each journal with the
    ledger date it corrects: `propose`'s journals when the lines balance, else written directly
    (an unbalanced one: a line of the booking was lost)."""
    proposal = propose(exception, lines, POLICY)
    if isinstance(proposal, Proposal):
        return [
            (journal.trandate, posted_correction(case, journal)) for journal in proposal.journals
        ]
    booked: dict[date, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for line in lines:
        booked[line["ledger_date"]][line["account"]] -= line["delta"]
    return [
        (day, correction_of(case, exception["exception_id"], day, amounts))
        for day, amounts in sorted(booked.items())
    ]


@PROPERTY
@given(plan=plans(), data=st.data())
def test_booking_minus_delta_corrects_every_exception_and_the_bridge_ties(
    plan: Plan, data: st.DataObject
) -> None:
    with LedgerCase() as case:
        placed = [(change, create(case, change.kind, change.figures)) for change in plan]
        journals = case.correct_journals()
        ledger: list[Journal] = []
        for (ref, entry_kind), journal in journals.items():
            change = next((c for c, record in placed if record.ref == ref), None)
            if change is None or entry_kind not in PRIMARY:
                ledger.append(journal)  # a refund's order, a failed payout's reversal
            else:
                ledger.extend(apply(case, change, journal))
        found = first_pass(case, ledger)
        assert found, "the plan misbooked nothing"
        assert [e for e in found if e["kind"] == "clearing_unexplained"] == []
        grouped = lines_by_exception(case.exception_lines())

        corrections: list[Journal] = []
        timing: dict[tuple[date, str], Decimal] = defaultdict(lambda: ZERO)
        for exception in found:
            lines = grouped.get(exception["exception_id"], [])
            for ledger_date, journal in corrections_of(case, exception, lines):
                shift = data.draw(SHIFTS, label="shift")
                if shift:
                    journal.trandate = ledger_date + timedelta(days=shift)
                    for account, amount in journal.lines.items():
                        if account in CLEARING_ACCOUNTS:
                            timing[journal.trandate, account] += amount
                            timing[ledger_date, account] -= amount
                corrections.append(journal)
        case.book([*ledger, *corrections])
        case.reconcile()

        problems = [f"still an exception: {e}" for e in case.exceptions()]
        problems += [f"still a line: {line}" for line in case.exception_lines()]
        corrected = {row["exception_id"]: row for row in case.corrected_exceptions()}
        for exception in found:
            row = corrected.get(exception["exception_id"])
            if row is None:
                problems.append(f"not corrected: {exception}")
            elif (row["kind"], row["shopify_ref"], row["erp_ref"]) != (
                exception["kind"],
                exception["shopify_ref"],
                exception["erp_ref"],
            ):
                problems.append(f"corrected {row} is not {exception}")
        if len(corrected) != len(found):
            problems.append(f"{len(corrected)} corrected for {len(found)} exceptions")
        expected = movements(
            entry for change, _ in placed for entry in rules(change.kind, change.figures).values()
        )
        problems += bridge_problems(case, expected, {}, timing, {})
        assert not problems, f"{len(problems)} problems of {len(plan)} changes:\n" + "\n".join(
            problems[:40]
        )

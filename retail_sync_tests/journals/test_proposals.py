"""Corrective journals from exception lines: hand-written cases (docs/finance.md) and properties."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retail_sync.journals.policy import Accounts, ShopPolicy
from retail_sync.journals.proposals import (
    JournalLine,
    Proposal,
    Refusal,
    proposal_id,
    propose,
)
from retail_sync_tests.reconcile.ledger_cases import CHART_ACCOUNTS

POLICY = ShopPolicy(shop_id="acme-us", subsidiary_id="1")
# A shop that moves inventory out of `never` (docs/journals.md).
INVENTORY_BY_APPROVAL = ShopPolicy(
    shop_id="acme-us",
    subsidiary_id="1",
    approval=("*_duplicate_posting", "*_wrong_period", "inventory_*"),
    never=tuple(kind for kind in POLICY.never if kind != "inventory_*"),
)
MARCH_10 = date(2026, 3, 10)


def exception(kind: str, **fields: Any) -> dict[str, Any]:
    row = {
        "exception_id": "exc_0123456789abcdef0123",
        "shop_id": "acme-us",
        "business_date": MARCH_10,
        "kind": kind,
        "shopify_ref": "shopify:order:1001",
        "erp_ref": "shopify-acme-us-order-1001",
        "currency": "USD",
    }
    row.update(fields)
    return row


def lines(*triples: tuple[str, str, date], currency: str = "USD") -> list[dict[str, Any]]:
    """Lines from (account, delta, ledger_date)."""
    return [
        {
            "exception_id": "exc_0123456789abcdef0123",
            "shop_id": "acme-us",
            "business_date": MARCH_10,
            "ledger_date": ledger_date,
            "account": account,
            "delta": Decimal(delta),
            "currency": currency,
        }
        for account, delta, ledger_date in triples
    ]


def booked(proposal: Proposal | Refusal) -> list[tuple[date, list[tuple[str, str, str]]]]:
    """Per journal: its date and (account, debit, credit) lines, as text."""
    assert isinstance(proposal, Proposal), proposal
    return [
        (
            journal.trandate,
            [(line.account, f"{line.debit}", f"{line.credit}") for line in journal.lines],
        )
        for journal in proposal.journals
    ]


def test_tax_booked_high() -> None:
    # finance.md: 2200 −8.00 → −8.40 = −0.40; 1205 108.00 → 108.40 = +0.40.
    result = propose(
        exception("order_tax_mismatch"),
        lines(("2200", "-0.40", MARCH_10), ("1205", "0.40", MARCH_10)),
        POLICY,
    )
    assert booked(result) == [(MARCH_10, [("1205", "0.00", "0.40"), ("2200", "0.40", "0.00")])]
    assert isinstance(result, Proposal)
    assert result.route == "auto"
    assert result.amount == Decimal("0.40")
    assert result.currency == "USD"
    assert result.subsidiary_id == "1"
    (journal,) = result.journals
    assert journal.external_id == f"retail-sync-{journal.journal_id}"
    assert len(journal.journal_id) == 24
    # The token the reconciliation reads to net the correction against the exception's lines.
    assert journal.memo.startswith("retail-sync:exception:exc_0123456789abcdef0123:2026-03-10 ")
    assert "order_tax_mismatch" in journal.memo
    assert "shopify:order:1001" in journal.memo
    assert "shopify-acme-us-order-1001" in journal.memo


def test_refund_shipping_booked_to_tax() -> None:
    result = propose(
        exception("refund_misposted", shopify_ref="shopify:refund:77"),
        lines(("4100", "-10.00", MARCH_10), ("2200", "10.00", MARCH_10)),
        POLICY,
    )
    # Dr 4100 10.00, Cr 2200 10.00; the policy table does not say, so approval.
    assert booked(result) == [(MARCH_10, [("2200", "0.00", "10.00"), ("4100", "10.00", "0.00")])]
    assert isinstance(result, Proposal)
    assert result.route == "approval"


def test_missing_order_posts_the_entry() -> None:
    missing = lines(("1205", "-108.00", MARCH_10), ("4000", "100.00", MARCH_10))
    missing += lines(("2200", "8.00", MARCH_10))
    result = propose(exception("order_missing_in_erp", erp_ref=None), missing, POLICY)
    assert booked(result) == [
        (
            MARCH_10,
            [("1205", "108.00", "0.00"), ("2200", "0.00", "8.00"), ("4000", "0.00", "100.00")],
        )
    ]
    assert isinstance(result, Proposal)
    assert result.route == "auto"
    assert "ERP" not in result.journals[0].memo
    big = lines(("1205", "-600.00", MARCH_10), ("4000", "600.00", MARCH_10))
    large = propose(exception("order_missing_in_erp"), big, POLICY)
    assert isinstance(large, Proposal)
    assert large.route == "approval"


def test_duplicate_is_reversed_on_its_own_date() -> None:
    march_12 = date(2026, 3, 12)
    duplicate = lines(("1205", "108.00", march_12), ("4000", "-100.00", march_12))
    duplicate += lines(("2200", "-8.00", march_12))
    result = propose(exception("order_duplicate_posting"), duplicate, POLICY)
    assert booked(result) == [
        (
            march_12,
            [("1205", "0.00", "108.00"), ("2200", "8.00", "0.00"), ("4000", "100.00", "0.00")],
        )
    ]
    assert isinstance(result, Proposal)
    assert result.route == "approval"


def test_inventory_two_units_short() -> None:
    # accounting.md 2.9: 2 units short at 12.50 give Dr 5100 25.00, Cr 1300 25.00. finance.md: the
    # ERP holds 10, Shopify 8: the 1300 line is 100.00 → 125.00 = +25.00.
    refused = propose(
        exception("inventory_on_hand_mismatch", currency=None, shopify_ref=None),
        lines(("1300", "25.00", MARCH_10), currency="EUR"),
        POLICY,
    )
    assert isinstance(refused, Refusal)  # never by default: docs/journals.md, step 3
    result = propose(
        exception("inventory_on_hand_mismatch", currency=None, shopify_ref=None),
        lines(("1300", "25.00", MARCH_10), currency="EUR"),
        INVENTORY_BY_APPROVAL,
    )
    assert booked(result) == [(MARCH_10, [("1300", "0.00", "25.00"), ("5100", "25.00", "0.00")])]
    assert isinstance(result, Proposal)
    assert result.route == "approval"
    assert result.currency == "EUR"
    custom = ShopPolicy(
        shop_id="acme-us",
        subsidiary_id="1",
        approval=INVENTORY_BY_APPROVAL.approval,
        never=INVENTORY_BY_APPROVAL.never,
        accounts=Accounts(inventory_adjustment="5150"),
    )
    surplus = propose(
        exception("inventory_missing_in_erp", currency=None),
        lines(("1300", "-37.50", MARCH_10)),
        custom,
    )
    assert booked(surplus) == [(MARCH_10, [("1300", "37.50", "0.00"), ("5150", "0.00", "37.50")])]
    stray = propose(
        exception("inventory_on_hand_mismatch", currency=None),
        lines(("1300", "25.00", MARCH_10), ("5100", "-25.00", MARCH_10)),
        INVENTORY_BY_APPROVAL,
    )
    assert isinstance(stray, Refusal)
    assert "also on 5100" in stray.reason


def test_wrong_period_reposts_and_reverses() -> None:
    march_31, april_1 = date(2026, 3, 31), date(2026, 4, 1)
    moved = lines(("1205", "-108.00", march_31), ("4000", "100.00", march_31))
    moved += lines(("2200", "8.00", march_31), ("1205", "108.00", april_1))
    moved += lines(("4000", "-100.00", april_1), ("2200", "-8.00", april_1))
    result = propose(exception("order_wrong_period"), moved, POLICY)
    assert booked(result) == [
        (
            march_31,
            [("1205", "108.00", "0.00"), ("2200", "0.00", "8.00"), ("4000", "0.00", "100.00")],
        ),
        (
            april_1,
            [("1205", "0.00", "108.00"), ("2200", "8.00", "0.00"), ("4000", "100.00", "0.00")],
        ),
    ]
    assert isinstance(result, Proposal)
    assert result.route == "approval"
    first, second = result.journals
    assert first.journal_id != second.journal_id
    assert "2026-03-31" in first.memo
    assert "2026-04-01" in second.memo


@pytest.mark.parametrize(
    ("kind", "triples", "reason"),
    [
        ("order_tax_mismatch", [("2200", "8.00")], "do not balance"),  # one line not read
        ("order_amount_mismatch", [("2200", "-0.40"), ("1205", "0.41")], "do not balance"),
        ("orphan_erp_entry", [("1205", "50.00"), ("4000", "-50.00")], "never proposes"),
        ("unexpected_erp_entry", [("1205", "50.00"), ("4000", "-50.00")], "never proposes"),
        ("payout_balance_mismatch", [], "never proposes"),
        ("clearing_unexplained", [("1205", "200.00")], "never proposes"),
        ("payout_deposit_amount_mismatch", [], "no lines"),
    ],
)
def test_refusals(kind: str, triples: list[tuple[str, str]], reason: str) -> None:
    result = propose(exception(kind), lines(*((a, d, MARCH_10) for a, d in triples)), POLICY)
    assert isinstance(result, Refusal)
    assert result.exception_id == "exc_0123456789abcdef0123"
    assert reason in result.reason


def test_unbalanced_on_one_date_is_refused_even_when_the_dates_net_out() -> None:
    result = propose(
        exception("order_amount_mismatch"),
        lines(("2200", "-0.40", MARCH_10), ("1205", "0.40", date(2026, 3, 11))),
        POLICY,
    )
    assert isinstance(result, Refusal)
    assert "2026-03-10 do not balance" in result.reason


def test_currencies_must_agree() -> None:
    mixed = lines(("2200", "-0.40", MARCH_10)) + lines(("1205", "0.40", MARCH_10), currency="CAD")
    assert isinstance(propose(exception("order_tax_mismatch"), mixed, POLICY), Refusal)
    cad = lines(("2200", "-0.40", MARCH_10), ("1205", "0.40", MARCH_10), currency="CAD")
    assert isinstance(propose(exception("order_tax_mismatch"), cad, POLICY), Refusal)


def test_inputs_must_be_exact_and_the_exceptions_own() -> None:
    floats = lines(("2200", "-0.40", MARCH_10), ("1205", "0.40", MARCH_10))
    floats[0]["delta"] = -0.4
    with pytest.raises(TypeError):
        propose(exception("order_tax_mismatch"), floats, POLICY)
    fraction = lines(("2200", "-0.405", MARCH_10), ("1205", "0.405", MARCH_10))
    with pytest.raises(ValueError, match="to the cent"):
        propose(exception("order_tax_mismatch"), fraction, POLICY)
    other = lines(("2200", "-0.40", MARCH_10), ("1205", "0.40", MARCH_10))
    other[1]["exception_id"] = "exc_other"
    with pytest.raises(ValueError, match="exc_other"):
        propose(exception("order_tax_mismatch"), other, POLICY)
    with pytest.raises(ValueError, match="shop"):
        propose(exception("order_tax_mismatch", shop_id="acme-ca"), other[:1], POLICY)


def test_journal_line_sides() -> None:
    assert JournalLine("1205", Decimal("-3.00")).credit == Decimal("3.00")
    assert JournalLine("1205", Decimal("-3.00")).debit == Decimal("0.00")


# --- Properties ------------------------------------------------------------------------------

# The chart the rules post to, and one account they never use.
CHART = (*CHART_ACCOUNTS, "4200")
DATES = (date(2026, 3, 31), date(2026, 4, 1), date(2026, 4, 2))
CENTS = st.integers(min_value=-1_000_000, max_value=1_000_000).filter(lambda c: c != 0)


@st.composite
def balanced_lines(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Lines that balance on each ledger date, one per (account, date), no zero delta."""
    triples: list[tuple[str, str, date]] = []
    for ledger_date in draw(st.lists(st.sampled_from(DATES), min_size=1, max_size=3, unique=True)):
        accounts = draw(st.lists(st.sampled_from(CHART), min_size=2, max_size=8, unique=True))
        *free, last = accounts
        cents = [draw(CENTS) for _ in free]
        if sum(cents) == 0:  # the balancing line would be 0: drop the last free line instead
            free, cents = free[:-1], cents[:-1]
            last = accounts[-1]
            cents_last = -sum(cents)
            if cents_last == 0:
                continue
        else:
            cents_last = -sum(cents)
        for account, cent in [*zip(free, cents, strict=True), (last, cents_last)]:
            triples.append((account, str(Decimal(cent) / 100), ledger_date))
    if not triples:
        triples = [("1205", "1.00", DATES[0]), ("4000", "-1.00", DATES[0])]
    return lines(*triples)


def expected_booking(rows: list[dict[str, Any]]) -> dict[tuple[date, str], Decimal]:
    result: dict[tuple[date, str], Decimal] = defaultdict(Decimal)
    for row in rows:
        result[(row["ledger_date"], row["account"])] -= row["delta"]
    return {key: value for key, value in result.items() if value != 0}


PROPERTY = settings(derandomize=True, database=None, deadline=None, max_examples=300)


@PROPERTY
@given(rows=balanced_lines())
def test_balanced_lines_give_a_balanced_proposal_of_minus_delta(rows: list[dict[str, Any]]) -> None:
    result = propose(exception("order_amount_mismatch"), rows, POLICY)
    assert isinstance(result, Proposal)
    got: dict[tuple[date, str], Decimal] = {}
    for journal in result.journals:
        assert journal.total_debit == journal.total_credit
        assert journal.total_debit > 0
        for line in journal.lines:
            assert line.amount == line.amount.quantize(Decimal("0.01"))
            assert line.amount != 0
            assert (journal.trandate, line.account) not in got
            got[(journal.trandate, line.account)] = line.amount
    assert got == expected_booking(rows)
    assert result.amount == sum(j.total_debit for j in result.journals)
    assert len({j.journal_id for j in result.journals}) == len(result.journals)


@PROPERTY
@given(rows=balanced_lines(), data=st.data())
def test_unbalanced_lines_are_always_refused(
    rows: list[dict[str, Any]], data: st.DataObject
) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(rows) - 1))
    error = Decimal(data.draw(CENTS)) / 100
    rows[index]["delta"] += error
    result = propose(exception("order_amount_mismatch"), rows, POLICY)
    assert isinstance(result, Refusal), result
    assert "do not balance" in result.reason


@PROPERTY
@given(rows=balanced_lines(), data=st.data())
def test_journal_ids_are_stable_under_reordering_and_follow_every_delta(
    rows: list[dict[str, Any]], data: st.DataObject
) -> None:
    first = propose(exception("order_amount_mismatch"), rows, POLICY)
    shuffled = data.draw(st.permutations(rows))
    again = propose(exception("order_amount_mismatch"), shuffled, POLICY)
    assert isinstance(first, Proposal)
    assert again == first
    # Any one changed delta changes the id, balanced or not.
    index = data.draw(st.integers(min_value=0, max_value=len(rows) - 1))
    change = Decimal(data.draw(CENTS)) / 100
    changed = [dict(row) for row in rows]
    changed[index]["delta"] += change
    assert proposal_id(first.exception_id, changed) != first.proposal_id
    # A balanced change (the same amount moved between two lines of a date) gives a new proposal
    # whose journals all have new ids.
    same_date = [
        i for i, row in enumerate(rows) if row["ledger_date"] == rows[index]["ledger_date"]
    ]
    other = next(i for i in same_date if i != index)
    changed[other]["delta"] -= change
    moved = propose(exception("order_amount_mismatch"), changed, POLICY)
    if isinstance(moved, Refusal):  # the change cancelled every line: nothing left to book
        assert all(row["delta"] == 0 for row in changed)
        assert "nothing to book" in moved.reason
        return
    assert moved.proposal_id != first.proposal_id
    old_ids = {journal.journal_id for journal in first.journals}
    assert not old_ids & {journal.journal_id for journal in moved.journals}
    # Another exception with the same lines gets other ids too.
    assert proposal_id("exc_other", rows) != first.proposal_id

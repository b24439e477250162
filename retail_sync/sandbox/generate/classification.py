"""What the reconciliation calls a booking difference, from its per-account deltas alone.

The generator's truth for every amount difference it injects comes from here: a Python statement
of the classification table of docs/decisions/0002 (section 2), in integer cents. For one entry:
`expected` is what the rules post per account (net debit: debit positive, credit negative) and
`deltas` is ERP − rules per account. For an account, `e` is its expected amount, `s = sign(e)`
(0: the rules do not expect the account on this entry), `d` its delta and `g = s·d` its growth on
the side the rule posts it. The entry's offset accounts are the accounts the rules derive from the
others (an order's clearing account; a refund's 4090, then its clearing account; 1205 for every
balance-transaction entry and both payout entries); only those the rules expect count.

In the order they are tried (the first that applies wins), deltas → kind, account, counter:
- {A}, e_A ≠ 0 → `<subject>_<role(A)>_mismatch`, A; {A}, e_A = 0 → `_unexpected_account`, A.
- {A, B} with d_A = −d_B:
  - 7950 one of them, |d| ≤ the rounding tolerance → `_rounding_difference`, the other, 7950;
  - 7900 one of them, an order presented in another currency, |d| ≤ max(rounding tolerance,
    FX tolerance percent of the entry total) → `_fx_difference`, the other, 7900;
  - O the first offset in the pair, P the other: e_P ≠ 0 → `_<role(P)>_mismatch`, P, O;
    e_P = 0 and g_O < 0 (O lost what P holds) → `_misposted`, O, P; else `_unexpected_account`,
    P, O;
  - no offset: g_A < 0 and (g_B > 0 or e_B = 0) → `_misposted` (from A to B), A, B; e_A = 0 and
    g_B > 0 → `_unexpected_account`, A, B; both expected (g of one sign) → `_amount_mismatch`,
    the lower number, the higher; neither expected → `_unexpected_account`, the debit one, the
    credit one.
- anything else (three or more accounts, or two that do not cancel) → `_amount_mismatch`, none.

Roles: 2200 tax, 4100 shipping, 4050 discount, any other account amount. `variance = σ × Σ` of the
positive deltas: σ = sign(s_P·d_P) for the `_mismatch`, `_rounding_difference` and
`_fx_difference` kinds with an account P (+1 when the rules do not expect P: a rounding or FX
difference against an account the entry has no business with), +1 for `_misposted` and
`_unexpected_account`, else sign(ERP total − expected total) (+1 when equal), where a total is the
sum of an entry's debits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from retail_sync.sandbox.validate import ENTRY_SUBJECTS

ROLES = {"2200": "tax", "4100": "shipping", "4050": "discount"}
ROUNDING_TOLERANCE = 5  # cents: MatchingRules.rounding_tolerance 0.05
FX_TOLERANCE_PERCENT = 3  # MatchingRules.fx_tolerance_percent 3.00
# The accounts the rules post to, and one the ERP has that they never use.
RULE_ACCOUNTS = (
    "1000",
    "1205",
    "1210",
    "1220",
    "2200",
    "2300",
    "4000",
    "4050",
    "4090",
    "4100",
    "6100",
    "6150",
    "7900",
    "7950",
)
OUTSIDE_ACCOUNT = "5100"  # inventory shrinkage: in the ERP chart, never in a Shopify entry
MISBOOKING_ACCOUNTS = (*RULE_ACCOUNTS, OUTSIDE_ACCOUNT)


@dataclass(frozen=True, slots=True)
class Classified:
    kind: str
    account: str  # "" when no one account is to blame
    counter_account: str
    variance: int  # cents


def sign(value: int) -> int:
    return (value > 0) - (value < 0)


def role(account: str) -> str:
    return ROLES.get(account, "amount")


def clearing_account(expected: Mapping[str, int]) -> str:
    """The account an order's or refund's money sits on: 1205, else 1220, else gift cards."""
    return next((a for a in ("1205", "1220") if expected.get(a, 0)), "2300")


def offset_accounts(entry_kind: str, expected: Mapping[str, int]) -> tuple[str, ...]:
    """The accounts the rules derive from the others, in order; only those the rules expect."""
    clearing = clearing_account(expected)
    if entry_kind == "order":
        offsets: tuple[str, ...] = (clearing,)
    elif entry_kind == "refund":
        offsets = ("4090", clearing)
    else:
        offsets = ("1205",)
    return tuple(account for account in offsets if expected.get(account, 0))


def debit_total(amounts: Mapping[str, int]) -> int:
    return sum(amount for amount in amounts.values() if amount > 0)


def classify(
    entry_kind: str,
    expected: Mapping[str, int],
    deltas: Mapping[str, int],
    *,
    foreign_presentment: bool = False,
) -> Classified:
    """The kind, account, counter account and variance of a booking that differs by `deltas`.

    `entry_kind` is the rules' kind of entry (`order`, `refund`, `fee`, `dispute`, `dispute-won`,
    `reserve`, `reserve-release`, `payout`, `payout-failed`); `foreign_presentment` says the
    order was presented in another currency than the shop's (an FX difference needs that).
    """
    subject = ENTRY_SUBJECTS[entry_kind]
    d = {account: delta for account, delta in deltas.items() if delta}
    if not d:
        raise ValueError("no difference to classify")
    moved = debit_total(d)

    def e(account: str) -> int:
        return expected.get(account, 0)

    def g(account: str) -> int:
        return sign(e(account)) * d[account]

    def on_account(suffix: str, account: str, counter: str = "") -> Classified:
        side = sign(g(account)) or 1
        return Classified(f"{subject}_{suffix}", account, counter, side * moved)

    def plus(suffix: str, account: str, counter: str = "") -> Classified:
        return Classified(f"{subject}_{suffix}", account, counter, moved)

    if len(d) == 1:
        (account,) = d
        if e(account):
            return on_account(f"{role(account)}_mismatch", account)
        return plus("unexpected_account", account)
    if len(d) == 2 and sum(d.values()) == 0:
        low, high = sorted(d)
        amount = abs(d[low])
        if "7950" in d and amount <= ROUNDING_TOLERANCE:
            other = high if low == "7950" else low
            return on_account("rounding_difference", other, "7950")
        if (
            "7900" in d
            and foreign_presentment
            and 100 * amount
            <= max(100 * ROUNDING_TOLERANCE, debit_total(expected) * FX_TOLERANCE_PERCENT)
        ):
            other = high if low == "7900" else low
            return on_account("fx_difference", other, "7900")
        offset = next(
            (account for account in offset_accounts(entry_kind, expected) if account in d), None
        )
        if offset is not None:
            other = high if low == offset else low
            if e(other):
                return on_account(f"{role(other)}_mismatch", other, offset)
            if g(offset) < 0:
                return plus("misposted", offset, other)
            return plus("unexpected_account", other, offset)
        for lost, gained in ((low, high), (high, low)):
            if e(lost) and g(lost) < 0 and (g(gained) > 0 or not e(gained)):
                return plus("misposted", lost, gained)
        for unexpected, other in ((low, high), (high, low)):
            if not e(unexpected) and e(other) and g(other) > 0:
                return plus("unexpected_account", unexpected, other)
        if e(low) and e(high):
            return on_account("amount_mismatch", low, high)
        debit, credit = (low, high) if d[low] > 0 else (high, low)
        return plus("unexpected_account", debit, credit)
    booked = {account: expected.get(account, 0) + d.get(account, 0) for account in {*expected, *d}}
    direction = sign(debit_total(booked) - debit_total(expected)) or 1
    return Classified(f"{subject}_amount_mismatch", "", "", direction * moved)

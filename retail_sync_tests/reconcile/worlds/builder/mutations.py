"""One mutation of the clean base per discrepancy kind, each named after its kind.

A mutation edits the built clean base (its ERP side; for `payout_balance_mismatch`, the Shopify
payout) and returns the one discrepancy that edit causes, with its lines (docs/sandbox.md,
"Ground truth"): what it leaves on each account and ledger date, ERP − rules as a net debit. An
amount difference names the account it is on and the one it was offset against
(`counter_account`): the clearing debit (1205) for tax, shipping, discount; 7950 for rounding;
7900 for FX; 4090 for a refund; 1205 for a deposit. An on-hand difference is in units; its one
line is its value on inventory (1300).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

from .built import Built, Discrepancy, Entry, TruthLine, night_after
from .inventory import on_hand_line
from .ledger import deposit_lines, external_id, posted_entry
from .money import money, round_cents, to_cents
from .shops import NORTH

SHOP = NORTH  # the clean base's only shop
PAID_PAYOUT = 6000001  # batch 2026-10-30, issued 2026-10-31 12:00 UTC
DUPLICATE_CREATED = "2026-10-31T02:05:00Z"  # a second posting run, just after the nightly one

Mutation = Callable[[Built], Discrepancy]
MUTATIONS: dict[str, Mutation] = {}


def mutation(change: Mutation) -> Mutation:
    """Register `change` for the discrepancy kind it is named after."""
    MUTATIONS[change.__name__] = change
    return change


# Shapes several kinds share.


def posted(world: Built, record: str, record_id: int) -> Entry:
    return world.entry(external_id(SHOP, record, record_id))


def charge_id(world: Built, order_id: int) -> int:
    _, charge = world.charge_of(order_id)
    return int(charge["id"])


def whole(entry: Entry, factor: int, day: str = "") -> tuple[TruthLine, ...]:
    """The lines of a whole entry: `factor` (−1 missing, +1 extra) × its net per account."""
    return tuple(
        (account, factor * net, day or entry.trandate) for account, net in entry.net().items()
    )


def changed(before: dict[str, int], entry: Entry) -> tuple[TruthLine, ...]:
    """The lines of an entry booked with other amounts: after − before per account."""
    after = entry.net()
    return tuple(
        (account, after.get(account, 0) - before.get(account, 0), entry.trandate)
        for account in sorted({*before, *after})
        if after.get(account, 0) != before.get(account, 0)
    )


def never_posted(world: Built, record: str, record_id: int, note: str) -> Discrepancy:
    entry = world.remove_entry(external_id(SHOP, record, record_id))
    return Discrepancy(
        entry.token, "", "", money(-entry.total), entry.trandate, note, lines=whole(entry, -1)
    )


def posted_twice(world: Built, record: str, record_id: int, note: str) -> Discrepancy:
    """A copy without externalid; `note` may name {original} (externalid) and {duplicate} (id)."""
    original = posted(world, record, record_id)
    duplicate = replace(
        original,
        id=world.next_entry_id(),
        externalid=None,
        lines=list(original.lines),
        created=DUPLICATE_CREATED,
    )
    world.entries.append(duplicate)
    note = note.format(original=original.externalid, duplicate=duplicate.id)
    return Discrepancy(
        original.token,
        duplicate.id,
        "",
        money(duplicate.total),
        original.trandate,
        note,
        lines=whole(duplicate, 1),
    )


def misposted(
    entry: Entry,
    account: str,
    variance: str,
    note: str,
    business_date: str = "",
    *,
    counter_account: str = "",
    lines: tuple[TruthLine, ...] = (),
) -> Discrepancy:
    """The entry exists but books something wrong (on `account`, if one account is to blame,
    against `counter_account`)."""
    return Discrepancy(
        entry.token,
        entry.externalid or "",
        account,
        variance,
        business_date or entry.trandate,
        note,
        counter_account,
        lines,
    )


def rebooked(
    world: Built, order_id: int, account: str, side: str, booked: str, note: str
) -> Discrepancy:
    """The order's entry books `account` at `booked`, offset on the entry's clearing debit."""
    entry = posted(world, "order", order_id)
    before = entry.net()
    change = to_cents(booked) - entry.amount(account, side)
    entry.set(account, side, to_cents(booked))
    clearing = next(a for a in ("1205", "1220") if entry.amount(a, "debit"))
    offset = change if side == "credit" else -change
    entry.set(clearing, "debit", entry.amount(clearing, "debit") + offset)
    return misposted(
        entry,
        account,
        money(change),
        note,
        counter_account=clearing,
        lines=changed(before, entry),
    )


# The kinds, in the order their worlds are written.


@mutation
def order_missing_in_erp(world: Built) -> Discrepancy:
    return never_posted(world, "order", 1000004, "order #1004 never posted")


@mutation
def order_duplicate_posting(world: Built) -> Discrepancy:
    note = "PayPal order #1003 posted twice ({original} and {duplicate})"
    return posted_twice(world, "order", 1000003, note)


@mutation
def order_tax_mismatch(world: Built) -> Discrepancy:
    note = "tax computed before the discount: 4.00 instead of 3.60; clearing debit 59.00"
    return rebooked(world, 1000001, "2200", "credit", "4.00", note)


@mutation
def order_shipping_mismatch(world: Built) -> Discrepancy:
    note = "express shipping 15.00 dropped; clearing debit 162.00"
    return rebooked(world, 1000004, "4100", "credit", "0.00", note)


@mutation
def order_discount_mismatch(world: Built) -> Discrepancy:
    note = "10% discount computed on goods + shipping (60.00): 6.00 instead of 5.00"
    return rebooked(world, 1000001, "4050", "debit", "6.00", note)


@mutation
def order_rounding_difference(world: Built) -> Discrepancy:
    entry = posted(world, "order", 1000004)
    before = entry.net()
    entry.set("4000", "credit", entry.amount("4000", "credit") + 2)
    entry.set("7950", "debit", 2)
    note = "sales booked 150.02 instead of 150.00; 0.02 debited to 7950"
    return misposted(
        entry, "4000", "0.02", note, counter_account="7950", lines=changed(before, entry)
    )


@mutation
def order_fx_difference(world: Built) -> Discrepancy:
    entry = posted(world, "order", 1000002)
    before = entry.net()
    booked = round_cents(Decimal("22356") * Decimal("0.7253"))  # CAD 223.56 → USD 162.15
    change = booked - entry.amount("1205", "debit")
    entry.set("1205", "debit", booked)
    entry.set("7900", "credit", change)
    note = f"CAD 223.56 converted at 0.7253 = {money(booked)}; difference credited to 7900"
    return misposted(
        entry, "1205", money(change), note, counter_account="7900", lines=changed(before, entry)
    )


@mutation
def order_wrong_period(world: Built) -> Discrepancy:
    entry = posted(world, "order", 1000005)
    business_date = entry.trandate
    entry.trandate = "2026-11-01"  # UTC date of 2026-10-31T20:30-04:00
    entry.created = night_after(entry.trandate)
    note = "posted 2026-11-01 (UTC date) in Nov 2026 instead of 2026-10-31 in Oct 2026"
    # Every account's amount leaves the business date and sits on the booked date.
    lines = whole(entry, -1, business_date) + whole(entry, 1)
    return misposted(entry, "", "0.00", note, business_date, lines=lines)


@mutation
def refund_missing_in_erp(world: Built) -> Discrepancy:
    return never_posted(world, "refund", 3000001, "partial refund of #1001 never posted")


@mutation
def refund_amount_mismatch(world: Built) -> Discrepancy:
    entry = posted(world, "refund", 3000001)
    before = entry.net()
    booked = to_cents("27.00")  # the undiscounted unit price plus its tax
    change = booked - entry.amount("1205", "credit")
    entry.set("1205", "credit", booked)
    entry.set("4090", "debit", entry.amount("4090", "debit") + change)
    note = "refund of one headlamp booked at 27.00 (before the discount) instead of 24.30"
    return misposted(
        entry, "1205", money(change), note, counter_account="4090", lines=changed(before, entry)
    )


@mutation
def orphan_erp_entry(world: Built) -> Discrepancy:
    lines = [("1205", "debit", to_cents("40.00")), ("4000", "credit", to_cents("40.00"))]
    entry_id = world.next_entry_id()
    entry = posted_entry(
        SHOP, "order", 1000999, "2026-10-31", "Shopify order #1999", lines, entry_id
    )
    world.entries.append(entry)
    note = "order-shaped entry for order 1000999, which Shopify does not have"
    return Discrepancy(
        "",
        entry.externalid or "",
        "",
        money(entry.total),
        entry.trandate,
        note,
        lines=whole(entry, 1),
    )


@mutation
def fee_missing_in_erp(world: Built) -> Discrepancy:
    note = "fee of the charge of order #1002 never booked"
    return never_posted(world, "fee", charge_id(world, 1000002), note)


@mutation
def fee_duplicate_posting(world: Built) -> Discrepancy:
    note = "fee of the charge of order #1001 booked twice ({original}, {duplicate})"
    return posted_twice(world, "fee", charge_id(world, 1000001), note)


@mutation
def payout_deposit_missing(world: Built) -> Discrepancy:
    note = "bank deposit of the PAID payout never booked"
    return never_posted(world, "payout", PAID_PAYOUT, note)


@mutation
def payout_deposit_amount_mismatch(world: Built) -> Discrepancy:
    entry = posted(world, "payout", PAID_PAYOUT)
    before = entry.net()
    net = entry.amount("1000", "debit")
    booked = net + to_cents("10.00")
    entry.lines = deposit_lines(booked)
    note = f"deposit booked {money(booked)} instead of {money(net)}"
    return misposted(
        entry,
        "1000",
        money(booked - net),
        note,
        counter_account="1205",
        lines=changed(before, entry),
    )


@mutation
def payout_balance_mismatch(world: Built) -> Discrepancy:
    _, payout = world.payout(PAID_PAYOUT)
    paid_out = to_cents(payout["net"])  # Σ net of its balance transactions
    payout["net"] = money(paid_out - to_cents("1.00"))
    entry = posted(world, "payout", PAID_PAYOUT)
    entry.lines = deposit_lines(to_cents(payout["net"]))  # the bank received the payout net
    note = (
        f"Shopify-side: payout net {payout['net']} but its balance transactions sum to "
        f"{money(paid_out)}"
    )
    return misposted(entry, "", "-1.00", note, payout["issued_at"][:10])


@mutation
def inventory_on_hand_mismatch(world: Built) -> Discrepancy:
    item = SHOP.item("TENT-2P")
    row = next(
        row for row in world.on_hand if row["item"] == item.erp_id and row["as_of"] == "2026-10-31"
    )
    shopify = row["quantityonhand"]
    row["quantityonhand"] = shopify - 1
    return Discrepancy(
        f"shopify:inventory_level:{item.id}:{SHOP.location_id}",
        f"inventory:{item.erp_id}:{SHOP.erp_location_id}",
        "",
        "-1",
        row["as_of"],
        f"ERP on-hand {shopify - 1} vs Shopify on_hand {shopify} for TENT-2P at Warehouse East",
        lines=(on_hand_line(item, shopify, shopify - 1, row["as_of"]),),
    )

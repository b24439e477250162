"""Every hand-written world: the clean base, one variant of it per discrepancy kind, the rest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .assemble import build
from .built import Built, Entry
from .clean_worlds import (
    BASE,
    HAND_WRITTEN,
    MULTI_CURRENCY,
    NO_ACTIVITY,
    PARTIAL_REFUND,
    TIMEZONE_CUTOFF,
)
from .ledger import deposit_lines, external_id
from .money import to_cents
from .mutations import MUTATIONS, PAID_PAYOUT, SHOP
from .render import write


def variant_of_base(name: str, description: str, change: Callable[[Built], None]) -> Built:
    world = build(BASE)
    world.name, world.description = name, HAND_WRITTEN + description
    change(world)
    return world


def single_kind_world(kind: str) -> Built:
    """The clean base with exactly one discrepancy, `kind`."""

    def mutate(world: Built) -> None:
        world.add_truth(kind, SHOP, MUTATIONS[kind](world))

    description = f"the clean_base world with exactly one discrepancy, {kind}."
    return variant_of_base(kind, description, mutate)


def split_deposit(world: Built) -> None:
    """The PAID payout's bank deposit booked as two entries, summing to the payout net."""
    first = world.entry(external_id(SHOP, "payout", PAID_PAYOUT))
    net = first.amount("1000", "debit")
    part = to_cents("100.00")
    first.lines = deposit_lines(part)
    first.memo = f"Shopify payout (part 1 of 2) {first.token}"
    second = Entry(
        world.next_entry_id(),
        f"{first.externalid}-2",
        first.shop,
        first.token,
        first.trandate,
        f"Shopify payout (part 2 of 2) {first.token}",
        deposit_lines(net - part),
    )
    world.entries.append(second)


def payout_split_world() -> Built:
    description = (
        "the clean_base world with the PAID payout's bank deposit booked as two journal entries "
        "(externalid shopify-<shop>-payout-<id> and shopify-<shop>-payout-<id>-2, both carrying "
        "the payout token, summing to the payout net; see docs/sandbox.md). A split is no "
        "discrepancy."
    )
    return variant_of_base("payout_split_deposit", description, split_deposit)


def all_worlds() -> list[Built]:
    return [
        build(BASE),
        *(single_kind_world(kind) for kind in MUTATIONS),
        build(PARTIAL_REFUND),
        build(MULTI_CURRENCY),
        payout_split_world(),
        build(TIMEZONE_CUTOFF),
        build(NO_ACTIVITY),
    ]


def write_all(root: Path) -> list[Path]:
    return [write(world, root) for world in all_worlds()]

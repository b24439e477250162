"""Inventory: Shopify's level history and the ERP's on-hand rows, equal to Shopify's.

Per the generator's conventions, units ordered are committed at the end of their business date
and leave `on_hand` the next day; restocked refunds return to `on_hand` on the refund's business
date. Both sides value an item at its `unit_cost` (rendered as Shopify's `unit_cost` and the ERP
item's `cost`, and the only cost either side has), rounded to the cent.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from .built import ShopState, TruthLine, local_date
from .money import round_cents, to_cents
from .shops import ItemSpec, ShopSpec
from .specs import WorldSpec

UnitsByDay = dict[tuple[str, str], int]  # (business date, sku) -> units
INVENTORY_ACCOUNT = "1300"


def on_hand_value(item: ItemSpec, quantity: int) -> int:
    """`quantity` units at the item's unit cost rounded to the cent, in cents (half up)."""
    return round_cents(quantity * Decimal(to_cents(item.unit_cost)))


def on_hand_line(item: ItemSpec, shopify_on_hand: int, erp_on_hand: int, day: str) -> TruthLine:
    """The line an on-hand difference leaves on 1300: the ERP's value − Shopify's, on `day`."""
    delta = on_hand_value(item, erp_on_hand) - on_hand_value(item, shopify_on_hand)
    return INVENTORY_ACCOUNT, delta, day


def build_inventory(spec: WorldSpec, state: ShopState) -> list[dict[str, Any]]:
    """Append the shop's level history to `state.levels`; return its ERP on-hand rows."""
    ordered, restocked = units_by_day(state)
    on_hand_rows = []
    for item in state.spec.items:
        on_hand_rows += item_history(spec, state, item, ordered, restocked)
    state.levels.sort(key=lambda row: (datetime.fromisoformat(row["at"]), row["inventory_item_id"]))
    return on_hand_rows


def units_by_day(state: ShopState) -> tuple[UnitsByDay, UnitsByDay]:
    """Units ordered and units restocked, per business date and SKU."""
    zone = state.spec.zone
    ordered: UnitsByDay = defaultdict(int)
    restocked: UnitsByDay = defaultdict(int)
    for order in state.orders:
        day = local_date(order["processed_at"], zone)
        skus = {line["id"]: line["sku"] for line in order["line_items"]}
        for line in order["line_items"]:
            ordered[(day, line["sku"])] += line["quantity"]
        for refund in order["refunds"]:
            refund_day = local_date(refund["created_at"], zone)
            for refund_line in refund["refund_line_items"]:
                sku = skus[refund_line["line_item_id"]]
                restocked[(refund_day, sku)] += refund_line["quantity"]
    return ordered, restocked


def item_history(
    spec: WorldSpec,
    state: ShopState,
    item: ItemSpec,
    ordered: UnitsByDay,
    restocked: UnitsByDay,
) -> list[dict[str, Any]]:
    """A level at the start and at the end of each day it changes; an on-hand row per day."""
    shop = state.spec
    on_hand, committed = item.start_on_hand, 0
    start = datetime.combine(spec.start, time(0), tzinfo=shop.zone)
    state.levels.append(level(item, shop, start, on_hand, committed))
    rows = []
    for day in spec.business_dates:
        new_on_hand = on_hand - committed + restocked[(day, item.sku)]
        new_committed = ordered[(day, item.sku)]
        if (new_on_hand, new_committed) != (on_hand, committed):
            at = datetime.combine(date.fromisoformat(day), time(23, 59, 59), tzinfo=shop.zone)
            state.levels.append(level(item, shop, at, new_on_hand, new_committed))
        on_hand, committed = new_on_hand, new_committed
        rows.append(
            {
                "item": item.erp_id,
                "location": shop.erp_location_id,
                "as_of": day,
                "quantityonhand": on_hand,
            }
        )
    return rows


def level(
    item: ItemSpec, shop: ShopSpec, at: datetime, on_hand: int, committed: int
) -> dict[str, Any]:
    return {
        "inventory_item_id": item.id,
        "location_id": shop.location_id,
        "at": at.isoformat(),
        "quantities": {
            "available": on_hand - committed,
            "on_hand": on_hand,
            "committed": committed,
            "incoming": 0,
            "reserved": 0,
        },
    }

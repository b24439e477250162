"""A world from its description: orders, then balance transactions, payouts, inventory, ledger."""

from __future__ import annotations

from typing import Any

from .built import Built, Ids, ShopState
from .inventory import build_inventory
from .ledger import build_ledger
from .orders import build_order
from .payouts import build_balance, build_payouts
from .specs import WorldSpec


def build(spec: WorldSpec) -> Built:
    """Each step runs for every shop before the next, so ids are handed out in that order."""
    ids = Ids()
    shops = [ShopState(plan.shop) for plan in spec.shops]
    for state, plan in zip(shops, spec.shops, strict=True):
        end = spec.end(state.spec)
        state.orders += [build_order(state.spec, order, ids, end) for order in plan.orders]
    for state in shops:
        build_balance(state, ids)
    for state in shops:
        build_payouts(spec, state, ids)
    on_hand: list[dict[str, Any]] = []
    for state in shops:
        on_hand += build_inventory(spec, state)
    on_hand.sort(key=lambda row: (row["as_of"], row["item"], row["location"]))
    return Built(spec, shops, build_ledger(shops), on_hand)

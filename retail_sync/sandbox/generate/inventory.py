"""Inventory of one shop per item and location: Shopify's quantity history and the ERP's on-hand.

A simple, documented model: units ordered on a business date are `committed` at its end and ship
(leave `on_hand`) the next day; restocked refunds return to `on_hand` on the refund's date (a
same-day cancellation releases the commitment instead); when `available` falls under a week of
demand a replenishment of two weeks is `incoming` and arrives three days later. Shopify gets one
history line per item and location at the start of the world and at the end of every business
date on which its quantities changed; the ERP gets every item and location's on-hand at the end
of every business date (equal to Shopify's unless a discrepancy is injected). Both sides value an
item at its one unit cost (Shopify's `unitCost` and the ERP item's `cost`, equal by construction):
an on-hand difference leaves (ERP − Shopify on hand) × unit cost on inventory (1300).
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date

from retail_sync.sandbox.generate.catalog import Product, ShopProfile
from retail_sync.sandbox.generate.discrepancies import TruthLine
from retail_sync.sandbox.generate.timestamps import ShopClock
from retail_sync.sandbox.generate.writer import JsonlWriter

INVENTORY_ACCOUNT = "1300"


def on_hand_value(product: Product, quantity: int) -> int:
    """`quantity` units valued at the item's unit cost, in cents (the ERP item's `cost`, which is
    in whole cents, so the product needs no rounding)."""
    return quantity * product.unit_cost


def on_hand_line(product: Product, shopify_on_hand: int, erp_on_hand: int, day: date) -> TruthLine:
    """The line an on-hand difference leaves: the ERP's value − Shopify's, on 1300, on `day`."""
    delta = on_hand_value(product, erp_on_hand) - on_hand_value(product, shopify_on_hand)
    return INVENTORY_ACCOUNT, delta, day


class InventoryBook:
    """Quantities per (product index, location index) for one shop."""

    def __init__(
        self,
        shop: ShopProfile,
        clock: ShopClock,
        rng: random.Random,
        orders_per_day: int,
        levels: JsonlWriter,
    ) -> None:
        self.shop = shop
        self.clock = clock
        self.levels = levels
        products, locations = len(shop.products), len(shop.locations)
        weight_total = sum(shop.product_weights)
        self.daily_demand = [
            [
                max(1.0, orders_per_day * 1.4 * weight / weight_total * location.weight)
                for location in shop.locations
            ]
            for weight in shop.product_weights
        ]
        self.on_hand = [
            [round(self.daily_demand[p][loc] * rng.uniform(8, 20)) + 2 for loc in range(locations)]
            for p in range(products)
        ]
        self.committed = [[0] * locations for _ in range(products)]
        self.incoming = [[0] * locations for _ in range(products)]
        self.reserved = [
            [rng.choice((1, 2, 3)) if rng.random() < 0.1 else 0 for _ in range(locations)]
            for _ in range(products)
        ]
        self.arrivals: dict[int, dict[tuple[int, int], int]] = defaultdict(dict)
        self.restocks: dict[int, dict[tuple[int, int], int]] = defaultdict(dict)
        self.changed: set[tuple[int, int]] = set()

    def _line(self, product: int, location: int, at: str) -> dict[str, object]:
        on_hand = self.on_hand[product][location]
        committed = self.committed[product][location]
        reserved = self.reserved[product][location]
        return {
            "inventory_item_id": self.shop.products[product].item_id,
            "location_id": self.shop.locations[location].location_id,
            "at": at,
            "quantities": {
                "available": on_hand - committed - reserved,
                "on_hand": on_hand,
                "committed": committed,
                "incoming": self.incoming[product][location],
                "reserved": reserved,
            },
        }

    def write_initial(self, day_start: int) -> None:
        at = self.clock.local_timestamp(day_start)
        for product in range(len(self.shop.products)):
            for location in range(len(self.shop.locations)):
                self.levels.write(self._line(product, location, at))

    def start_day(self, day: date) -> None:
        """Ship yesterday's commitments; receive replenishments and restocks due today."""
        ordinal = day.toordinal()
        for product, row in enumerate(self.committed):
            for location, committed in enumerate(row):
                if committed:
                    self.on_hand[product][location] -= committed
                    row[location] = 0
                    self.changed.add((product, location))
        for (product, location), quantity in self.arrivals.pop(ordinal, {}).items():
            self.on_hand[product][location] += quantity
            self.incoming[product][location] -= quantity
            self.changed.add((product, location))
        for (product, location), quantity in self.restocks.pop(ordinal, {}).items():
            self.on_hand[product][location] += quantity
            self.changed.add((product, location))

    def commit(self, product: int, location: int, quantity: int) -> None:
        self.committed[product][location] += quantity
        self.changed.add((product, location))

    def schedule_restock(
        self, day: date, product: int, location: int, quantity: int, *, today: date
    ) -> None:
        """Return restocked units to on_hand on `day` (at once if that is today)."""
        if day <= today:
            self.on_hand[product][location] += quantity
            self.changed.add((product, location))
            return
        due = self.restocks[day.toordinal()]
        due[(product, location)] = due.get((product, location), 0) + quantity

    def end_day(self, day: date, day_end: int) -> None:
        """Reorder where stock runs low and write the day's changed quantities."""
        ordinal = day.toordinal()
        for product, demands in enumerate(self.daily_demand):
            for location, demand in enumerate(demands):
                available = (
                    self.on_hand[product][location]
                    - self.committed[product][location]
                    - self.reserved[product][location]
                )
                if available < demand * 7 and self.incoming[product][location] == 0:
                    quantity = round(demand * 14) + 1
                    self.incoming[product][location] = quantity
                    due = self.arrivals[ordinal + 3]
                    due[(product, location)] = due.get((product, location), 0) + quantity
                    self.changed.add((product, location))
        at = self.clock.local_timestamp(day_end - 1)
        for product, location in sorted(self.changed):
            self.levels.write(self._line(product, location, at))
        self.changed.clear()

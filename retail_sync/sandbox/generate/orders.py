"""Orders of one shop-day: line items, discounts, shipping, taxes, payments, refunds, disputes.

`OrderFactory.build` returns the order as written to `orders.jsonl` (its state at the end of the
world) together with `OrderFacts`, the shop-currency figures the payments, ledger and inventory
modules need; `checkout` takes its payment and `refunds` builds its refund. Every amount is
computed separately in the shop and the presentment currency from the same unit prices and
rates, so both sides of every money bag keep the documented identities exactly.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Callable, Iterable
from typing import Any

from retail_sync.sandbox.generate.catalog import IdSequence, ShopProfile, usd_scale
from retail_sync.sandbox.generate.checkout import Checkout, OrderSettlement
from retail_sync.sandbox.generate.money import RATE_ONE, bag, scale
from retail_sync.sandbox.generate.order_facts import (
    LineItems,
    OrderFacts,
    OrderHeader,
    OrderTotals,
    PickedLine,
    RefundableLine,
    Shipping,
)
from retail_sync.sandbox.generate.refunds import RefundFactory
from retail_sync.sandbox.generate.timestamps import ShopClock

# Local-hour shape of order arrivals (evening peak, quiet night).
HOURLY_WEIGHTS = (
    0.6,
    0.4,
    0.3,
    0.25,
    0.25,
    0.3,
    0.5,
    0.9,
    1.3,
    1.6,
    1.8,
    1.9,
    2.0,
    1.9,
    1.8,
    1.8,
    1.9,
    2.1,
    2.4,
    2.7,
    2.8,
    2.5,
    1.8,
    1.1,
)
DISCOUNT_RATES = (100_000, 150_000, 200_000, 250_000)
SALE_DISCOUNT_RATES = (200_000, 300_000)
GIFT_CARD_VALUES = (2500, 5000, 10000)


def cumulative_weights(weights: Iterable[float]) -> tuple[list[float], float]:
    """Running sums of `weights` (for drawing by bisection) and their total."""
    total = 0.0
    running: list[float] = []
    for weight in weights:
        total += weight
        running.append(total)
    return running, total


class OrderFactory:
    """Builds a shop's orders; one instance per shop, called day after day.

    Every step draws from the order's `rng` in a fixed order: changing the order of the steps (or
    of the draws within one) changes every generated world.
    """

    def __init__(self, shop: ShopProfile, clock: ShopClock, world_end: int) -> None:
        self.shop = shop
        self.clock = clock
        self.world_end = world_end
        self.order_ids = IdSequence("Order", shop.index)
        self.line_ids = IdSequence("LineItem", shop.index)
        transaction_ids = IdSequence("OrderTransaction", shop.index)
        self.checkout = Checkout(clock, world_end, transaction_ids)
        self.refunds = RefundFactory(shop, clock, world_end, transaction_ids)
        self.order_number = 1000
        self.product_cumulative, self.product_total = cumulative_weights(shop.product_weights)
        self.location_cumulative, self.location_total = cumulative_weights(
            location.weight for location in shop.locations
        )
        self.presentment_cumulative, self.presentment_weight_total = cumulative_weights(
            shop.presentment_weights
        )
        self.hour_cumulative, self.hour_total = cumulative_weights(HOURLY_WEIGHTS)

    def arrival_times(
        self, rng: random.Random, day_start: int, day_end: int, count: int
    ) -> list[int]:
        """`count` sorted epoch seconds within the local day, shaped by the hourly profile."""
        length = day_end - day_start
        cumulative, total = self.hour_cumulative, self.hour_total
        draw = rng.random
        times = []
        for _ in range(count):
            hour = bisect(cumulative, draw() * total)
            elapsed = (hour * 3600 + int(draw() * 3600)) % length
            times.append(day_start + elapsed)
        times.sort()
        return times

    def build(
        self, rng: random.Random, epoch: int, rates: dict[str, int], sale_day: bool
    ) -> tuple[dict[str, Any], OrderFacts]:
        """One order placed at `epoch`; `rates` converts shop prices into presentment currencies."""
        draw = rng.random
        header = self._draw_header(draw, epoch, rates)
        if header.gift_card_order:
            picked = self._pick_gift_card(draw)
            discount_rate = 0
        else:
            picked = self._pick_products(rng)
            discount_rate = self._draw_discount_rate(draw, sale_day)
        tax_rate = self.shop.preset.tax_rate
        items = self._price_line_items(picked, header.rate, discount_rate, tax_rate)
        shipping = (
            Shipping() if header.gift_card_order else self._ship(draw, items, header.rate, tax_rate)
        )
        totals = OrderTotals.of(items, shipping)
        settlement = self.checkout.take_payment(rng, header, totals, items)
        posted = settlement.captured and not header.test
        facts = OrderFacts(
            order_id=header.order_id,
            name=header.name,
            epoch=epoch,
            test=header.test,
            posted=posted,
            location_index=header.location_index,
            goods=items.goods,
            gift_cards_sold=items.gift_cards,
            discounts=items.discounts_shop,
            discount_rate=discount_rate,
            shipping=shipping.shop,
            tax=totals.tax_shop,
            total=totals.total_shop,
            presentment_currency=header.presentment,
            presentment_total=totals.total_presentment,
            payments=settlement.payments,
            commits=items.commits if posted else [],
            cancelled_same_day=False,
            tax_rate=tax_rate,
        )
        self._refund_or_dispute(rng, header, facts, items, shipping, settlement)
        return self._order_record(header, items, shipping, totals, settlement), facts

    def _draw_header(
        self, draw: Callable[[], float], epoch: int, rates: dict[str, int]
    ) -> OrderHeader:
        shop = self.shop
        self.order_number += 1
        order_id = self.order_ids.take()
        test = draw() < 0.005
        presentment = shop.presentment_currencies[
            bisect(self.presentment_cumulative, draw() * self.presentment_weight_total)
        ]
        location_index = bisect(self.location_cumulative, draw() * self.location_total)
        return OrderHeader(
            order_id=order_id,
            name=f"#{self.order_number}",
            epoch=epoch,
            test=test,
            presentment=presentment,
            rate=rates[presentment],
            location_index=min(location_index, len(shop.locations) - 1),
            gift_card_order=draw() < 0.008,
        )

    def _pick_gift_card(self, draw: Callable[[], float]) -> list[PickedLine]:
        value = GIFT_CARD_VALUES[int(draw() * len(GIFT_CARD_VALUES))]
        return [(-1, round(value * usd_scale(self.shop.currency) / 500) * 500, 1)]

    def _pick_products(self, rng: random.Random) -> list[PickedLine]:
        """One to six draws of a product (a product drawn twice is one line)."""
        draw = rng.random
        products = self.shop.products
        count = 1
        while count < 6 and draw() < 0.38:
            count += 1
        picked: list[PickedLine] = []
        chosen: set[int] = set()
        for _ in range(count):
            index = bisect(self.product_cumulative, draw() * self.product_total)
            index = min(index, len(products) - 1)
            if index in chosen:
                continue
            chosen.add(index)
            quantity = 1 if draw() < 0.75 else min(12, int(rng.paretovariate(2.2)) + 1)
            picked.append((index, products[index].price, quantity))
        return picked

    @staticmethod
    def _draw_discount_rate(draw: Callable[[], float], sale_day: bool) -> int:
        if draw() >= (0.55 if sale_day else 0.18):
            return 0
        choices = SALE_DISCOUNT_RATES if sale_day else DISCOUNT_RATES
        return choices[int(draw() * len(choices))]

    def _price_line_items(
        self, picked: list[PickedLine], rate: int, discount_rate: int, tax_rate: int
    ) -> LineItems:
        """Line records with discount and tax in both currencies (no draws)."""
        items = LineItems()
        for product_index, unit_shop, quantity in picked:
            unit_presentment = unit_shop if rate == RATE_ONE else scale(unit_shop, rate)
            total_shop = unit_shop * quantity
            total_presentment = unit_presentment * quantity
            line_id = self.line_ids.take()
            if product_index < 0:
                items.gift_cards += total_shop
                discount_shop = discount_presentment = line_tax_shop = line_tax_presentment = 0
                tax_lines: list[dict[str, Any]] = []
            else:
                items.goods += total_shop
                discount_shop = scale(total_shop, discount_rate)
                discount_presentment = scale(total_presentment, discount_rate)
                line_tax_shop = scale(total_shop - discount_shop, tax_rate)
                line_tax_presentment = scale(total_presentment - discount_presentment, tax_rate)
                tax_lines = [self._tax_line(tax_rate, line_tax_shop, line_tax_presentment)]
                items.commits.append((product_index, quantity))
            record = self._line_identity(line_id, product_index)
            record["quantity"] = quantity
            record["current_quantity"] = quantity
            record["unit_price"] = bag(unit_shop, unit_presentment)
            record["total"] = bag(total_shop, total_presentment)
            record["discount"] = bag(discount_shop, discount_presentment)
            record["tax_lines"] = tax_lines
            items.add(
                record,
                (total_shop, total_presentment),
                (discount_shop, discount_presentment),
                RefundableLine(
                    line_id=line_id,
                    product_index=product_index,
                    quantity=quantity,
                    net_shop=total_shop - discount_shop,
                    net_presentment=total_presentment - discount_presentment,
                    tax_shop=line_tax_shop,
                    tax_presentment=line_tax_presentment,
                ),
            )
        return items

    def _line_identity(self, line_id: int, product_index: int) -> dict[str, Any]:
        """The first fields of a line record: which product (or a gift card) it sells."""
        if product_index < 0:
            return {
                "id": line_id,
                "sku": None,
                "title": "Gift card",
                "inventory_item_id": None,
                "gift_card": True,
            }
        product = self.shop.products[product_index]
        return {
            "id": line_id,
            "sku": product.sku,
            "title": product.title,
            "inventory_item_id": product.item_id,
            "gift_card": False,
        }

    def _tax_line(self, tax_rate: int, shop_amount: int, presentment_amount: int) -> dict[str, Any]:
        return {
            "title": self.shop.preset.tax_title,
            "rate": rate_text(tax_rate),
            "price": bag(shop_amount, presentment_amount),
        }

    def _ship(
        self, draw: Callable[[], float], items: LineItems, rate: int, tax_rate: int
    ) -> Shipping:
        """Free over the shop's threshold, else one of its two rates (mostly the first)."""
        shop = self.shop
        if items.gross_shop - items.discounts_shop >= shop.free_shipping_over:
            title, price = "Free shipping", 0
        else:
            title, price = shop.shipping_rates[0 if draw() < 0.8 else 1]
        shipping = Shipping(
            shop=price, presentment=price if rate == RATE_ONE else scale(price, rate)
        )
        tax_lines: list[dict[str, Any]] = []
        if shop.preset.taxes_shipping and price:
            shipping.tax_shop = scale(shipping.shop, tax_rate)
            shipping.tax_presentment = scale(shipping.presentment, tax_rate)
            tax_lines.append(self._tax_line(tax_rate, shipping.tax_shop, shipping.tax_presentment))
        shipping.lines.append(
            {
                "title": title,
                "price": bag(shipping.shop, shipping.presentment),
                "tax_lines": tax_lines,
            }
        )
        return shipping

    def _refund_or_dispute(
        self,
        rng: random.Random,
        header: OrderHeader,
        facts: OrderFacts,
        items: LineItems,
        shipping: Shipping,
        settlement: OrderSettlement,
    ) -> None:
        """One refund at most, or a dispute, and only on plainly paid orders."""
        payments = facts.payments
        single_gateway = len(payments) == 1 and payments[0].gateway != "gift_card"
        if not (facts.posted and single_gateway and not header.gift_card_order):
            return
        roll = rng.random()
        if roll < 0.08:
            refund = self.refunds.build(rng, facts, items, shipping)
            if refund is not None:
                self._apply_refund(facts, refund, settlement)
        elif roll < 0.083 and payments[0].gateway == "shopify_payments":
            self._draw_dispute(rng.random, facts)

    def _apply_refund(
        self,
        facts: OrderFacts,
        refund: tuple[dict[str, Any], dict[str, Any]],
        settlement: OrderSettlement,
    ) -> None:
        refund_record, refund_transaction = refund
        settlement.refunds.append(refund_record)
        settlement.transactions.append(refund_transaction)
        assert facts.refund is not None
        settlement.updated_epoch = max(settlement.updated_epoch, facts.refund.epoch)
        settlement.financial_status = "PARTIALLY_REFUNDED" if facts.refund.partial else "REFUNDED"
        if facts.refund.cancellation:
            settlement.cancelled_at = self.clock.local_timestamp(facts.refund.epoch)
            settlement.cancel_reason = "CUSTOMER"

    def _draw_dispute(self, draw: Callable[[], float], facts: OrderFacts) -> None:
        """A chargeback 5-20 days after payment, won (40%) 10-30 days later."""
        payment = facts.payments[0]
        dispute = payment.epoch + 86_400 * (5 + int(draw() * 15)) + int(draw() * 86_400)
        won: int | None = dispute + 86_400 * (10 + int(draw() * 20))
        if draw() < 0.6 or (won is not None and won >= self.world_end):
            won = None
        if dispute < self.world_end:
            facts.dispute_epochs = (dispute, won)

    def _order_record(
        self,
        header: OrderHeader,
        items: LineItems,
        shipping: Shipping,
        totals: OrderTotals,
        settlement: OrderSettlement,
    ) -> dict[str, Any]:
        """The order as written to `orders.jsonl`: its state at the end of the world."""
        created = self.clock.local_timestamp(header.epoch)
        return {
            "id": header.order_id,
            "name": header.name,
            "created_at": created,
            "processed_at": created,
            "updated_at": self.clock.local_timestamp(settlement.updated_epoch),
            "cancelled_at": settlement.cancelled_at,
            "cancel_reason": settlement.cancel_reason,
            "test": header.test,
            "currency": self.shop.currency,
            "presentment_currency": header.presentment,
            "taxes_included": False,
            "financial_status": settlement.financial_status,
            "location_id": self.shop.locations[header.location_index].location_id,
            "line_items": items.records,
            "shipping_lines": shipping.lines,
            "subtotal": bag(totals.subtotal_shop, totals.subtotal_presentment),
            "total_discounts": bag(items.discounts_shop, items.discounts_presentment),
            "total_shipping": bag(shipping.shop, shipping.presentment),
            "total_tax": bag(totals.tax_shop, totals.tax_presentment),
            "total_price": bag(totals.total_shop, totals.total_presentment),
            "refunds": settlement.refunds,
            "transactions": settlement.transactions,
        }


def rate_text(rate_millionths: int) -> str:
    """A tax rate as Shopify shows it, `"0.0800"`."""
    return f"0.{rate_millionths // 100:04d}"

"""Orders of one shop-day: line items, discounts, shipping, taxes, payments, refunds, disputes.

`OrderFactory.build` returns the order as written to `orders.jsonl` (its state at the end of the
world) together with `OrderFacts`, the shop-currency figures the payments, ledger and inventory
modules need. Every amount is computed separately in the shop and the presentment currency from
the same unit prices and rates, so both sides of every money bag keep the documented identities
exactly.
"""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass, field
from typing import Any

from retail_sync.sandbox.generate.catalog import ShopProfile, shopify_id_base, usd_scale
from retail_sync.sandbox.generate.money import RATE_ONE, bag, scale, share
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


@dataclass(slots=True)
class Payment:
    """A successful SALE or CAPTURE: what money came in, through which gateway, when."""

    gateway: str
    amount: int
    presentment_amount: int
    transaction_id: int
    epoch: int


@dataclass(slots=True)
class RefundFacts:
    refund_id: int
    transaction_id: int
    epoch: int
    gateway: str
    partial: bool
    subtotal: int
    shipping: int
    tax: int
    total: int
    restocks: list[tuple[int, int, int]]  # (product index, location index, quantity)
    cancellation: bool


@dataclass(slots=True)
class OrderFacts:
    """Shop-currency figures of one order, for payments, the ledger and inventory."""

    order_id: int
    name: str
    epoch: int
    test: bool
    posted: bool  # money was captured and the order is not a test: it has a ledger effect
    location_index: int
    goods: int  # gross of non-gift-card lines
    gift_cards_sold: int
    discounts: int
    discount_rate: int
    shipping: int
    tax: int
    total: int
    presentment_currency: str
    presentment_total: int
    payments: list[Payment]
    commits: list[tuple[int, int]]  # (product index, quantity) committed for shipping
    cancelled_same_day: bool
    refund: RefundFacts | None = None
    dispute_epochs: tuple[int, int | None] | None = None  # (dispute, won) times
    tax_rate: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class IdSequence:
    """Consecutive Shopify ids of one entity type within one shop's id block."""

    __slots__ = ("next_id",)

    def __init__(self, entity: str, shop_index: int) -> None:
        self.next_id = shopify_id_base(entity, shop_index) + 1

    def take(self) -> int:
        value = self.next_id
        self.next_id += 1
        return value


class OrderFactory:
    """Builds a shop's orders; one instance per shop, called day after day."""

    def __init__(self, shop: ShopProfile, clock: ShopClock, world_end: int) -> None:
        self.shop = shop
        self.clock = clock
        self.world_end = world_end
        self.order_ids = IdSequence("Order", shop.index)
        self.line_ids = IdSequence("LineItem", shop.index)
        self.refund_ids = IdSequence("Refund", shop.index)
        self.refund_line_ids = IdSequence("RefundLineItem", shop.index)
        self.transaction_ids = IdSequence("OrderTransaction", shop.index)
        self.order_number = 1000
        total = 0.0
        self.product_cumulative: list[float] = []
        for weight in shop.product_weights:
            total += weight
            self.product_cumulative.append(total)
        self.product_total = total
        location_total = 0.0
        self.location_cumulative: list[float] = []
        for location in shop.locations:
            location_total += location.weight
            self.location_cumulative.append(location_total)
        self.location_total = location_total
        presentment_total = 0.0
        self.presentment_cumulative: list[float] = []
        for weight in shop.presentment_weights:
            presentment_total += weight
            self.presentment_cumulative.append(presentment_total)
        self.presentment_weight_total = presentment_total
        hour_total = 0.0
        self.hour_cumulative: list[float] = []
        for weight in HOURLY_WEIGHTS:
            hour_total += weight
            self.hour_cumulative.append(hour_total)
        self.hour_total = hour_total

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
        shop = self.shop
        preset = shop.preset
        draw = rng.random
        local = self.clock.local_timestamp
        self.order_number += 1
        order_id = self.order_ids.take()
        name = f"#{self.order_number}"
        test = draw() < 0.005
        presentment = shop.presentment_currencies[
            bisect(self.presentment_cumulative, draw() * self.presentment_weight_total)
        ]
        rate = rates[presentment]
        location_index = bisect(self.location_cumulative, draw() * self.location_total)
        location_index = min(location_index, len(shop.locations) - 1)

        gift_card_order = draw() < 0.008
        # (product index or -1 for a gift card, unit price shop, quantity)
        lines: list[tuple[int, int, int]] = []
        if gift_card_order:
            value = GIFT_CARD_VALUES[int(draw() * len(GIFT_CARD_VALUES))]
            lines.append((-1, round(value * usd_scale(shop.currency) / 500) * 500, 1))
        else:
            count = 1
            while count < 6 and draw() < 0.38:
                count += 1
            chosen: set[int] = set()
            for _ in range(count):
                index = bisect(self.product_cumulative, draw() * self.product_total)
                index = min(index, len(shop.products) - 1)
                if index in chosen:
                    continue
                chosen.add(index)
                quantity = 1 if draw() < 0.75 else min(12, int(rng.paretovariate(2.2)) + 1)
                lines.append((index, shop.products[index].price, quantity))

        discount_rate = 0
        if not gift_card_order and draw() < (0.55 if sale_day else 0.18):
            choices = SALE_DISCOUNT_RATES if sale_day else DISCOUNT_RATES
            discount_rate = choices[int(draw() * len(choices))]
        tax_rate = preset.tax_rate

        line_records: list[dict[str, Any]] = []
        goods = gift_cards = discounts_shop = discounts_presentment = 0
        tax_shop = tax_presentment = 0
        gross_shop = gross_presentment = 0
        commits: list[tuple[int, int]] = []
        line_meta: list[tuple[int, int, int, int, int, int, int, int]] = []
        for product_index, unit_shop, quantity in lines:
            unit_presentment = unit_shop if rate == RATE_ONE else scale(unit_shop, rate)
            total_shop = unit_shop * quantity
            total_presentment = unit_presentment * quantity
            line_id = self.line_ids.take()
            if product_index < 0:
                gift_cards += total_shop
                discount_shop = discount_presentment = line_tax_shop = line_tax_presentment = 0
                tax_lines: list[dict[str, Any]] = []
                record: dict[str, Any] = {
                    "id": line_id,
                    "sku": None,
                    "title": "Gift card",
                    "inventory_item_id": None,
                    "gift_card": True,
                }
            else:
                product = shop.products[product_index]
                goods += total_shop
                discount_shop = scale(total_shop, discount_rate)
                discount_presentment = scale(total_presentment, discount_rate)
                line_tax_shop = scale(total_shop - discount_shop, tax_rate)
                line_tax_presentment = scale(total_presentment - discount_presentment, tax_rate)
                tax_lines = [
                    {
                        "title": preset.tax_title,
                        "rate": rate_text(tax_rate),
                        "price": bag(line_tax_shop, line_tax_presentment),
                    }
                ]
                record = {
                    "id": line_id,
                    "sku": product.sku,
                    "title": product.title,
                    "inventory_item_id": product.item_id,
                    "gift_card": False,
                }
                commits.append((product_index, quantity))
            record["quantity"] = quantity
            record["current_quantity"] = quantity
            record["unit_price"] = bag(unit_shop, unit_presentment)
            record["total"] = bag(total_shop, total_presentment)
            record["discount"] = bag(discount_shop, discount_presentment)
            record["tax_lines"] = tax_lines
            line_records.append(record)
            line_meta.append(
                (
                    line_id,
                    product_index,
                    quantity,
                    total_shop - discount_shop,
                    total_presentment - discount_presentment,
                    line_tax_shop,
                    line_tax_presentment,
                    0,
                )
            )
            gross_shop += total_shop
            gross_presentment += total_presentment
            discounts_shop += discount_shop
            discounts_presentment += discount_presentment
            tax_shop += line_tax_shop
            tax_presentment += line_tax_presentment

        subtotal_shop = gross_shop - discounts_shop
        subtotal_presentment = gross_presentment - discounts_presentment
        shipping_lines: list[dict[str, Any]] = []
        shipping_shop = shipping_presentment = shipping_tax_shop = shipping_tax_presentment = 0
        if not gift_card_order:
            if subtotal_shop >= shop.free_shipping_over:
                title, price = "Free shipping", 0
            else:
                title, price = shop.shipping_rates[0 if draw() < 0.8 else 1]
            shipping_shop = price
            shipping_presentment = price if rate == RATE_ONE else scale(price, rate)
            shipping_tax_lines: list[dict[str, Any]] = []
            if preset.taxes_shipping and price:
                shipping_tax_shop = scale(shipping_shop, tax_rate)
                shipping_tax_presentment = scale(shipping_presentment, tax_rate)
                shipping_tax_lines.append(
                    {
                        "title": preset.tax_title,
                        "rate": rate_text(tax_rate),
                        "price": bag(shipping_tax_shop, shipping_tax_presentment),
                    }
                )
            shipping_lines.append(
                {
                    "title": title,
                    "price": bag(shipping_shop, shipping_presentment),
                    "tax_lines": shipping_tax_lines,
                }
            )
        tax_shop += shipping_tax_shop
        tax_presentment += shipping_tax_presentment
        total_shop = subtotal_shop + shipping_shop + tax_shop
        total_presentment = subtotal_presentment + shipping_presentment + tax_presentment

        # Payment.
        created = local(epoch)
        updated_epoch = epoch
        transactions: list[dict[str, Any]] = []
        payments: list[Payment] = []
        cancelled_at: str | None = None
        cancel_reason: str | None = None
        financial_status = "PAID"
        roll = draw()
        captured = True
        if test or gift_card_order or roll < 0.80:
            gateway = "shopify_payments"
        elif roll < 0.92:
            gateway = "paypal"
        elif roll < 0.95:
            gateway = "manual"
        else:
            gateway = "gift_card_split" if total_shop > 1000 else "shopify_payments"
        flow = draw()
        if gateway == "gift_card_split":
            card_part = min(total_shop - 100, round(total_shop * (0.2 + 0.6 * draw())))
            card_part_presentment = share(total_presentment, card_part, total_shop)
            for sub_gateway, amount, amount_presentment in (
                ("gift_card", card_part, card_part_presentment),
                (
                    "shopify_payments",
                    total_shop - card_part,
                    total_presentment - card_part_presentment,
                ),
            ):
                transaction_id = self.transaction_ids.take()
                transactions.append(
                    transaction_record(
                        transaction_id,
                        "SALE",
                        sub_gateway,
                        amount,
                        amount_presentment,
                        created,
                        None,
                    )
                )
                payments.append(
                    Payment(sub_gateway, amount, amount_presentment, transaction_id, epoch)
                )
        elif gateway == "shopify_payments" and not test and not gift_card_order and flow < 0.15:
            authorization_id = self.transaction_ids.take()
            transactions.append(
                transaction_record(
                    authorization_id,
                    "AUTHORIZATION",
                    gateway,
                    total_shop,
                    total_presentment,
                    created,
                    None,
                )
            )
            if flow < 0.01:  # voided authorization: cancelled, nothing captured
                void_epoch = min(epoch + 600 + int(draw() * 3000), self.world_end - 1)
                cancelled_at = local(void_epoch)
                cancel_reason = "CUSTOMER"
                transactions.append(
                    transaction_record(
                        self.transaction_ids.take(),
                        "VOID",
                        gateway,
                        total_shop,
                        total_presentment,
                        cancelled_at,
                        authorization_id,
                    )
                )
                financial_status = "VOIDED"
                for record in line_records:
                    record["current_quantity"] = 0
                updated_epoch = void_epoch
                captured = False
            elif flow < 0.015:  # authorization expired, never captured
                financial_status = "EXPIRED"
                captured = False
            else:
                capture_epoch = min(epoch + 600 + int(draw() * 10_000), self.world_end - 1)
                capture_id = self.transaction_ids.take()
                transactions.append(
                    transaction_record(
                        capture_id,
                        "CAPTURE",
                        gateway,
                        total_shop,
                        total_presentment,
                        local(capture_epoch),
                        authorization_id,
                    )
                )
                payments.append(
                    Payment(gateway, total_shop, total_presentment, capture_id, capture_epoch)
                )
                updated_epoch = capture_epoch
        else:
            transaction_id = self.transaction_ids.take()
            transactions.append(
                transaction_record(
                    transaction_id,
                    "SALE",
                    gateway,
                    total_shop,
                    total_presentment,
                    created,
                    None,
                )
            )
            payments.append(Payment(gateway, total_shop, total_presentment, transaction_id, epoch))

        posted = captured and not test
        facts = OrderFacts(
            order_id=order_id,
            name=name,
            epoch=epoch,
            test=test,
            posted=posted,
            location_index=location_index,
            goods=goods,
            gift_cards_sold=gift_cards,
            discounts=discounts_shop,
            discount_rate=discount_rate,
            shipping=shipping_shop,
            tax=tax_shop,
            total=total_shop,
            presentment_currency=presentment,
            presentment_total=total_presentment,
            payments=payments,
            commits=commits if captured and not test else [],
            cancelled_same_day=False,
            tax_rate=tax_rate,
        )

        # Refunds (one at most) and disputes, only on plainly paid orders.
        refunds: list[dict[str, Any]] = []
        single_gateway = len(payments) == 1 and payments[0].gateway != "gift_card"
        if posted and single_gateway and not gift_card_order:
            roll = draw()
            if roll < 0.08:
                refund = self._refund(
                    rng,
                    facts,
                    line_meta,
                    line_records,
                    shipping_shop,
                    shipping_presentment,
                    shipping_tax_shop,
                    shipping_tax_presentment,
                    total_presentment,
                )
                if refund is not None:
                    refund_record, refund_transaction = refund
                    refunds.append(refund_record)
                    transactions.append(refund_transaction)
                    assert facts.refund is not None
                    updated_epoch = max(updated_epoch, facts.refund.epoch)
                    partial = facts.refund.partial
                    financial_status = "PARTIALLY_REFUNDED" if partial else "REFUNDED"
                    if facts.refund.cancellation:
                        cancelled_at = local(facts.refund.epoch)
                        cancel_reason = "CUSTOMER"
            elif roll < 0.083 and payments[0].gateway == "shopify_payments":
                dispute = payments[0].epoch + 86_400 * (5 + int(draw() * 15)) + int(draw() * 86_400)
                won: int | None = dispute + 86_400 * (10 + int(draw() * 20))
                if draw() < 0.6 or (won is not None and won >= self.world_end):
                    won = None
                if dispute < self.world_end:
                    facts.dispute_epochs = (dispute, won)

        order = {
            "id": order_id,
            "name": name,
            "created_at": created,
            "processed_at": created,
            "updated_at": local(updated_epoch),
            "cancelled_at": cancelled_at,
            "cancel_reason": cancel_reason,
            "test": test,
            "currency": shop.currency,
            "presentment_currency": presentment,
            "taxes_included": False,
            "financial_status": financial_status,
            "location_id": shop.locations[location_index].location_id,
            "line_items": line_records,
            "shipping_lines": shipping_lines,
            "subtotal": bag(subtotal_shop, subtotal_presentment),
            "total_discounts": bag(discounts_shop, discounts_presentment),
            "total_shipping": bag(shipping_shop, shipping_presentment),
            "total_tax": bag(tax_shop, tax_presentment),
            "total_price": bag(total_shop, total_presentment),
            "refunds": refunds,
            "transactions": transactions,
        }
        return order, facts

    def _refund(
        self,
        rng: random.Random,
        facts: OrderFacts,
        line_meta: list[tuple[int, int, int, int, int, int, int, int]],
        line_records: list[dict[str, Any]],
        shipping_shop: int,
        shipping_presentment: int,
        shipping_tax_shop: int,
        shipping_tax_presentment: int,
        total_presentment: int,
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        draw = rng.random
        payment = facts.payments[0]
        full = draw() < 0.4
        cancellation = False
        if full and draw() < 0.35:
            refund_epoch = payment.epoch + 600 + int(draw() * 14_400)
            cancellation = self.clock.business_date(refund_epoch) == self.clock.business_date(
                facts.epoch
            )
        else:
            refund_epoch = payment.epoch + 3600 + int(rng.expovariate(1 / (5 * 86_400)))
        if refund_epoch >= self.world_end:
            return None
        location_index = facts.location_index
        restock_type = "CANCEL" if cancellation else ("RETURN" if draw() < 0.8 else "NO_RESTOCK")
        refund_lines: list[dict[str, Any]] = []
        restocks: list[tuple[int, int, int]] = []
        subtotal_shop = subtotal_presentment = tax_shop = tax_presentment = 0
        chosen = list(range(len(line_meta))) if full else [int(draw() * len(line_meta))]
        for position in chosen:
            (
                line_id,
                product_index,
                quantity,
                net_shop,
                net_presentment,
                line_tax_shop,
                line_tax_presentment,
                _,
            ) = line_meta[position]
            refunded = quantity if full else 1 + int(draw() * quantity)
            line_subtotal_shop = share(net_shop, refunded, quantity)
            line_subtotal_presentment = share(net_presentment, refunded, quantity)
            line_refund_tax_shop = share(line_tax_shop, refunded, quantity)
            line_refund_tax_presentment = share(line_tax_presentment, refunded, quantity)
            refund_lines.append(
                {
                    "id": self.refund_line_ids.take(),
                    "line_item_id": line_id,
                    "quantity": refunded,
                    "restock_type": restock_type,
                    "location_id": self.shop.locations[location_index].location_id,
                    "subtotal": bag(line_subtotal_shop, line_subtotal_presentment),
                    "total_tax": bag(line_refund_tax_shop, line_refund_tax_presentment),
                }
            )
            line_records[position]["current_quantity"] = quantity - refunded
            subtotal_shop += line_subtotal_shop
            subtotal_presentment += line_subtotal_presentment
            tax_shop += line_refund_tax_shop
            tax_presentment += line_refund_tax_presentment
            if restock_type != "NO_RESTOCK":
                restocks.append((product_index, location_index, refunded))
        refund_shipping_shop = shipping_shop if full else 0
        refund_shipping_presentment = shipping_presentment if full else 0
        if full:
            tax_shop += shipping_tax_shop
            tax_presentment += shipping_tax_presentment
        total_shop = subtotal_shop + refund_shipping_shop + tax_shop
        refund_total_presentment = (
            subtotal_presentment + refund_shipping_presentment + tax_presentment
        )
        partial = total_shop != facts.total
        refund_id = self.refund_ids.take()
        transaction_id = self.transaction_ids.take()
        refund_at = self.clock.local_timestamp(refund_epoch)
        facts.refund = RefundFacts(
            refund_id=refund_id,
            transaction_id=transaction_id,
            epoch=refund_epoch,
            gateway=payment.gateway,
            partial=partial,
            subtotal=subtotal_shop,
            shipping=refund_shipping_shop,
            tax=tax_shop,
            total=total_shop,
            restocks=restocks,
            cancellation=cancellation,
        )
        if cancellation:
            facts.cancelled_same_day = True
        record = {
            "id": refund_id,
            "created_at": refund_at,
            "note": "order cancelled" if cancellation else ("return" if full else "partial return"),
            "refund_line_items": refund_lines,
            "subtotal": bag(subtotal_shop, subtotal_presentment),
            "shipping": bag(refund_shipping_shop, refund_shipping_presentment),
            "total_tax": bag(tax_shop, tax_presentment),
            "total": bag(total_shop, refund_total_presentment),
        }
        transaction = transaction_record(
            transaction_id,
            "REFUND",
            payment.gateway,
            total_shop,
            refund_total_presentment,
            refund_at,
            payment.transaction_id,
        )
        transaction["refund_id"] = refund_id
        return record, transaction


def transaction_record(
    transaction_id: int,
    kind: str,
    gateway: str,
    amount: int,
    amount_presentment: int,
    processed_at: str,
    parent_id: int | None,
) -> dict[str, Any]:
    return {
        "id": transaction_id,
        "kind": kind,
        "status": "SUCCESS",
        "gateway": gateway,
        "amount": bag(amount, amount_presentment),
        "processed_at": processed_at,
        "parent_id": parent_id,
    }


def rate_text(rate_millionths: int) -> str:
    """A tax rate as Shopify shows it, `"0.0800"`."""
    return f"0.{rate_millionths // 100:04d}"

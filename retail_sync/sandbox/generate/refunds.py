"""The one refund an order may get: full or partial, maybe a same-day cancellation."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from retail_sync.sandbox.generate.catalog import IdSequence, ShopProfile
from retail_sync.sandbox.generate.money import bag, share
from retail_sync.sandbox.generate.order_facts import (
    LineItems,
    OrderFacts,
    Payment,
    RefundFacts,
    Shipping,
    transaction_record,
)
from retail_sync.sandbox.generate.timestamps import ShopClock


@dataclass(slots=True)
class RefundContent:
    """The refund line items of one refund, the shipping it returns, and their sums."""

    records: list[dict[str, Any]] = field(default_factory=list)
    shipping_records: list[dict[str, Any]] = field(default_factory=list)
    restocks: list[tuple[int, int, int]] = field(default_factory=list)
    subtotal_shop: int = 0
    subtotal_presentment: int = 0
    shipping_shop: int = 0
    shipping_presentment: int = 0
    tax_shop: int = 0
    tax_presentment: int = 0

    def add_shipping(self, shipping: Shipping, refund_shipping_line_id: Callable[[], int]) -> None:
        """A full refund returns the shipping and its tax too, as one refund shipping line of the
        order's one shipping line (named by its position, 1: generated shipping lines have no
        id). Free shipping returns nothing, so it gets no refund shipping line."""
        self.shipping_shop = shipping.shop
        self.shipping_presentment = shipping.presentment
        self.tax_shop += shipping.tax_shop
        self.tax_presentment += shipping.tax_presentment
        returned = (
            shipping.shop or shipping.presentment or shipping.tax_shop or shipping.tax_presentment
        )
        if shipping.lines and returned:
            self.shipping_records.append(
                {
                    "id": refund_shipping_line_id(),
                    "shipping_line_id": 1,
                    "subtotal": bag(shipping.shop, shipping.presentment),
                    "tax": bag(shipping.tax_shop, shipping.tax_presentment),
                }
            )

    @property
    def total_shop(self) -> int:
        return self.subtotal_shop + self.shipping_shop + self.tax_shop

    @property
    def total_presentment(self) -> int:
        return self.subtotal_presentment + self.shipping_presentment + self.tax_presentment


class RefundFactory:
    """Builds a shop's refunds; its transaction ids are shared with the checkout."""

    def __init__(
        self, shop: ShopProfile, clock: ShopClock, world_end: int, transaction_ids: IdSequence
    ) -> None:
        self.shop = shop
        self.clock = clock
        self.world_end = world_end
        self.refund_ids = IdSequence("Refund", shop.index)
        self.refund_line_ids = IdSequence("RefundLineItem", shop.index)
        self.refund_shipping_line_ids = IdSequence("RefundShippingLine", shop.index)
        self.transaction_ids = transaction_ids

    def build(
        self, rng: random.Random, facts: OrderFacts, items: LineItems, shipping: Shipping
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The refund record and its REFUND transaction; None when it falls after the world."""
        draw = rng.random
        full, cancellation, refund_epoch = self._draw_refund_time(rng, facts)
        if refund_epoch >= self.world_end:
            return None
        restock_type = "CANCEL" if cancellation else ("RETURN" if draw() < 0.8 else "NO_RESTOCK")
        content = self._refund_lines(draw, full, restock_type, facts.location_index, items)
        if full:
            content.add_shipping(shipping, self.refund_shipping_line_ids.take)
        payment = facts.payments[0]
        refund_id = self.refund_ids.take()
        transaction_id = self.transaction_ids.take()
        facts.refund = RefundFacts(
            refund_id=refund_id,
            transaction_id=transaction_id,
            epoch=refund_epoch,
            gateway=payment.gateway,
            partial=content.total_shop != facts.total,
            subtotal=content.subtotal_shop,
            shipping=content.shipping_shop,
            tax=content.tax_shop,
            total=content.total_shop,
            restocks=content.restocks,
            cancellation=cancellation,
        )
        if cancellation:
            facts.cancelled_same_day = True
        note = "order cancelled" if cancellation else ("return" if full else "partial return")
        return self._refund_records(facts.refund, payment, content, note)

    def _refund_records(
        self, refund: RefundFacts, payment: Payment, content: RefundContent, note: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The refund as written in the order, and the REFUND transaction that pays it back."""
        refund_at = self.clock.local_timestamp(refund.epoch)
        record = {
            "id": refund.refund_id,
            "created_at": refund_at,
            "note": note,
            "refund_line_items": content.records,
            "refund_shipping_lines": content.shipping_records,
            "subtotal": bag(content.subtotal_shop, content.subtotal_presentment),
            "shipping": bag(content.shipping_shop, content.shipping_presentment),
            "total_tax": bag(content.tax_shop, content.tax_presentment),
            "total": bag(content.total_shop, content.total_presentment),
        }
        transaction = transaction_record(
            refund.transaction_id,
            "REFUND",
            payment.gateway,
            content.total_shop,
            content.total_presentment,
            refund_at,
            payment.transaction_id,
        )
        transaction["refund_id"] = refund.refund_id
        return record, transaction

    def _draw_refund_time(self, rng: random.Random, facts: OrderFacts) -> tuple[bool, bool, int]:
        """(full, same-day cancellation, refund epoch): a full refund within hours may cancel."""
        draw = rng.random
        payment = facts.payments[0]
        full = draw() < 0.4
        if full and draw() < 0.35:
            refund_epoch = payment.epoch + 600 + int(draw() * 14_400)
            clock = self.clock
            return (
                full,
                clock.business_date(refund_epoch) == clock.business_date(facts.epoch),
                refund_epoch,
            )
        return full, False, payment.epoch + 3600 + int(rng.expovariate(1 / (5 * 86_400)))

    def _refund_lines(
        self,
        draw: Callable[[], float],
        full: bool,
        restock_type: str,
        location_index: int,
        items: LineItems,
    ) -> RefundContent:
        """Every unit of every line (full), or some units of one line; restocked unless told not."""
        location_id = self.shop.locations[location_index].location_id
        refunded_lines = RefundContent()
        lines = items.refundable
        chosen = list(range(len(lines))) if full else [int(draw() * len(lines))]
        for position in chosen:
            line = lines[position]
            quantity = line.quantity
            refunded = quantity if full else 1 + int(draw() * quantity)
            subtotal_shop = share(line.net_shop, refunded, quantity)
            subtotal_presentment = share(line.net_presentment, refunded, quantity)
            tax_shop = share(line.tax_shop, refunded, quantity)
            tax_presentment = share(line.tax_presentment, refunded, quantity)
            refunded_lines.records.append(
                {
                    "id": self.refund_line_ids.take(),
                    "line_item_id": line.line_id,
                    "quantity": refunded,
                    "restock_type": restock_type,
                    "location_id": location_id,
                    "subtotal": bag(subtotal_shop, subtotal_presentment),
                    "total_tax": bag(tax_shop, tax_presentment),
                }
            )
            items.records[position]["current_quantity"] = quantity - refunded
            refunded_lines.subtotal_shop += subtotal_shop
            refunded_lines.subtotal_presentment += subtotal_presentment
            refunded_lines.tax_shop += tax_shop
            refunded_lines.tax_presentment += tax_presentment
            if restock_type != "NO_RESTOCK":
                refunded_lines.restocks.append((line.product_index, location_index, refunded))
        return refunded_lines

"""How an order is paid: one sale, a gift card and card split, or a card authorization.

An authorization is voided, expires, or is captured a few hours later.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from retail_sync.sandbox.generate.catalog import IdSequence
from retail_sync.sandbox.generate.money import share
from retail_sync.sandbox.generate.order_facts import (
    LineItems,
    OrderHeader,
    OrderTotals,
    Payment,
    transaction_record,
)
from retail_sync.sandbox.generate.timestamps import ShopClock

PAYMENT_KINDS = frozenset({"SALE", "CAPTURE"})  # the transactions that bring money in


@dataclass(slots=True)
class OrderSettlement:
    """The order's transactions and the status they leave it in."""

    updated_epoch: int
    transactions: list[dict[str, Any]] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    financial_status: str = "PAID"
    captured: bool = True
    cancelled_at: str | None = None
    cancel_reason: str | None = None


class Checkout:
    """Takes the payment of a shop's orders; its transaction ids are shared with the refunds."""

    def __init__(self, clock: ShopClock, world_end: int, transaction_ids: IdSequence) -> None:
        self.clock = clock
        self.world_end = world_end
        self.transaction_ids = transaction_ids

    def take_payment(
        self, rng: random.Random, header: OrderHeader, totals: OrderTotals, items: LineItems
    ) -> OrderSettlement:
        """A sale, a gift card and card split, or an authorization voided, expired or captured."""
        draw = rng.random
        settlement = OrderSettlement(updated_epoch=header.epoch)
        roll = draw()
        if header.test or header.gift_card_order or roll < 0.80:
            gateway = "shopify_payments"
        elif roll < 0.92:
            gateway = "paypal"
        elif roll < 0.95:
            gateway = "manual"
        else:
            gateway = "gift_card_split" if totals.total_shop > 1000 else "shopify_payments"
        flow = draw()
        if gateway == "gift_card_split":
            self._pay_split(draw, header, totals, settlement)
        elif (
            gateway == "shopify_payments"
            and not header.test
            and not header.gift_card_order
            and flow < 0.15
        ):
            self._pay_by_authorization(draw, flow, header, totals, items, settlement)
        else:
            self._record_transaction(
                settlement,
                "SALE",
                gateway,
                totals.total_shop,
                totals.total_presentment,
                header.epoch,
            )
        return settlement

    def _record_transaction(
        self,
        settlement: OrderSettlement,
        kind: str,
        gateway: str,
        amount: int,
        amount_presentment: int,
        epoch: int,
        parent_id: int | None = None,
    ) -> int:
        """Add a successful transaction (a SALE or CAPTURE is also a payment); return its id."""
        transaction_id = self.transaction_ids.take()
        settlement.transactions.append(
            transaction_record(
                transaction_id,
                kind,
                gateway,
                amount,
                amount_presentment,
                self.clock.local_timestamp(epoch),
                parent_id,
            )
        )
        if kind in PAYMENT_KINDS:
            settlement.payments.append(
                Payment(gateway, amount, amount_presentment, transaction_id, epoch)
            )
        return transaction_id

    def _pay_split(
        self,
        draw: Callable[[], float],
        header: OrderHeader,
        totals: OrderTotals,
        settlement: OrderSettlement,
    ) -> None:
        total_shop, total_presentment = totals.total_shop, totals.total_presentment
        card_part = min(total_shop - 100, round(total_shop * (0.2 + 0.6 * draw())))
        card_part_presentment = share(total_presentment, card_part, total_shop)
        self._record_transaction(
            settlement, "SALE", "gift_card", card_part, card_part_presentment, header.epoch
        )
        self._record_transaction(
            settlement,
            "SALE",
            "shopify_payments",
            total_shop - card_part,
            total_presentment - card_part_presentment,
            header.epoch,
        )

    def _pay_by_authorization(
        self,
        draw: Callable[[], float],
        flow: float,
        header: OrderHeader,
        totals: OrderTotals,
        items: LineItems,
        settlement: OrderSettlement,
    ) -> None:
        """Authorize; then void (1%), let expire (0.5%) or capture within a few hours."""
        gateway = "shopify_payments"
        total_shop, total_presentment = totals.total_shop, totals.total_presentment
        authorization_id = self._record_transaction(
            settlement, "AUTHORIZATION", gateway, total_shop, total_presentment, header.epoch
        )
        if flow < 0.01:
            void_epoch = min(header.epoch + 600 + int(draw() * 3000), self.world_end - 1)
            settlement.cancelled_at = self.clock.local_timestamp(void_epoch)
            settlement.cancel_reason = "CUSTOMER"
            self._record_transaction(
                settlement,
                "VOID",
                gateway,
                total_shop,
                total_presentment,
                void_epoch,
                authorization_id,
            )
            settlement.financial_status = "VOIDED"
            for record in items.records:
                record["current_quantity"] = 0
            settlement.updated_epoch = void_epoch
            settlement.captured = False
        elif flow < 0.015:
            settlement.financial_status = "EXPIRED"
            settlement.captured = False
        else:
            capture_epoch = min(header.epoch + 600 + int(draw() * 10_000), self.world_end - 1)
            self._record_transaction(
                settlement,
                "CAPTURE",
                gateway,
                total_shop,
                total_presentment,
                capture_epoch,
                authorization_id,
            )
            settlement.updated_epoch = capture_epoch

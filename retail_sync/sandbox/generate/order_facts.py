"""What an order is made of: the facts its settlement needs and the parts it is built from.

`OrderFacts` (with `Payment` and `RefundFacts`) are the shop-currency figures the payments, ledger
and inventory modules read; the other types carry an order through its building steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from retail_sync.sandbox.generate.money import bag


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


PickedLine = tuple[int, int, int]  # (product index or -1 for a gift card, unit price, quantity)


@dataclass(slots=True)
class OrderHeader:
    """What is drawn about an order before its lines: who, where, in which currency."""

    order_id: int
    name: str
    epoch: int
    test: bool
    presentment: str
    rate: int  # shop currency -> presentment currency, in millionths
    location_index: int
    gift_card_order: bool


@dataclass(slots=True)
class RefundableLine:
    """A line item's figures after discount, which a refund of some of its units shares."""

    line_id: int
    product_index: int
    quantity: int
    net_shop: int
    net_presentment: int
    tax_shop: int
    tax_presentment: int


@dataclass(slots=True)
class LineItems:
    """The priced line items of an order and their sums in both currencies."""

    records: list[dict[str, Any]] = field(default_factory=list)
    refundable: list[RefundableLine] = field(default_factory=list)
    commits: list[tuple[int, int]] = field(default_factory=list)
    goods: int = 0
    gift_cards: int = 0
    gross_shop: int = 0
    gross_presentment: int = 0
    discounts_shop: int = 0
    discounts_presentment: int = 0
    tax_shop: int = 0
    tax_presentment: int = 0

    def add(
        self,
        record: dict[str, Any],
        gross: tuple[int, int],
        discount: tuple[int, int],
        line: RefundableLine,
    ) -> None:
        """One priced line; `gross` and `discount` are (shop, presentment) amounts."""
        self.records.append(record)
        self.refundable.append(line)
        self.gross_shop += gross[0]
        self.gross_presentment += gross[1]
        self.discounts_shop += discount[0]
        self.discounts_presentment += discount[1]
        self.tax_shop += line.tax_shop
        self.tax_presentment += line.tax_presentment


@dataclass(slots=True)
class Shipping:
    """The order's shipping lines (none for a gift card order) and their price and tax."""

    lines: list[dict[str, Any]] = field(default_factory=list)
    shop: int = 0
    presentment: int = 0
    tax_shop: int = 0
    tax_presentment: int = 0


@dataclass(slots=True)
class OrderTotals:
    """Subtotal, tax and total of an order in the shop and the presentment currency."""

    subtotal_shop: int
    subtotal_presentment: int
    tax_shop: int
    tax_presentment: int
    total_shop: int
    total_presentment: int

    @classmethod
    def of(cls, items: LineItems, shipping: Shipping) -> OrderTotals:
        subtotal_shop = items.gross_shop - items.discounts_shop
        subtotal_presentment = items.gross_presentment - items.discounts_presentment
        tax_shop = items.tax_shop + shipping.tax_shop
        tax_presentment = items.tax_presentment + shipping.tax_presentment
        return cls(
            subtotal_shop=subtotal_shop,
            subtotal_presentment=subtotal_presentment,
            tax_shop=tax_shop,
            tax_presentment=tax_presentment,
            total_shop=subtotal_shop + shipping.shop + tax_shop,
            total_presentment=subtotal_presentment + shipping.presentment + tax_presentment,
        )


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

"""An order from its description: lines, shipping, totals and taxes, transactions and refunds.

Every amount is kept in the shop currency and the presentment currency; each is converted once
(unit prices, discounts, shipping) and the rest is computed in each currency on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from .built import Ids
from .money import ZERO, Amount, to_cents, total
from .shops import ShopSpec
from .specs import LineSpec, OrderSpec, RefundSpec


@dataclass(frozen=True)
class Pricing:
    """How the shop taxes, and how the order converts to its presentment currency."""

    shop: ShopSpec
    fx: Decimal  # presentment units per shop unit

    def amount(self, text: str) -> Amount:
        return Amount.presented(to_cents(text), self.fx)

    def tax(self, taxable: Amount) -> Amount:
        return taxable.scaled(Decimal(self.shop.tax_rate))

    def shipping_tax(self, shipping: Amount) -> Amount:
        return self.tax(shipping) if self.shop.shipping_taxed else ZERO

    def tax_lines(self, tax: Amount) -> list[dict[str, Any]]:
        if not tax:
            return []
        return [{"title": self.shop.tax_title, "rate": self.shop.tax_rate, "price": tax.bag()}]


@dataclass(frozen=True)
class PricedLine:
    record: dict[str, Any]
    total: Amount
    discount: Amount
    tax: Amount


@dataclass(frozen=True)
class RefundedLine:
    record: dict[str, Any]
    subtotal: Amount
    tax: Amount


def build_order(shop: ShopSpec, spec: OrderSpec, ids: Ids, end: datetime) -> dict[str, Any]:
    processed = shop.local(spec.at)
    assert processed < end, f"order {spec.id} after the end of the world"
    refunded_at = [shop.local(refund.at) for refund in spec.refunds]
    assert all(processed < at < end for at in refunded_at), (
        f"refund of order {spec.id} out of range"
    )
    pricing = Pricing(shop, Decimal(spec.fx))
    lines = [price_line(pricing, line_spec, ids) for line_spec in spec.lines]
    shipping_lines, shipping, shipping_tax = price_shipping(pricing, spec)
    discounts = total([line.discount for line in lines])
    subtotal = total([line.total for line in lines]) - discounts
    tax = total([line.tax for line in lines]) + shipping_tax
    price = subtotal + shipping + tax

    sale = transaction(ids, "SALE", spec.gateway, price, processed, parent_id=None)
    by_sku = {line.record["sku"]: line for line in lines}
    refunded = [
        build_refund(pricing, refund, sale, by_sku, ids, shipped=bool(shipping_lines))
        for refund in spec.refunds
    ]
    refunds = [refund for refund, _ in refunded]
    updated = refunds[-1]["created_at"] if refunds else processed.isoformat()
    return {
        "id": spec.id,
        "name": spec.name,
        "created_at": processed.isoformat(),
        "processed_at": processed.isoformat(),
        "updated_at": updated,
        "cancelled_at": None,
        "cancel_reason": None,
        "test": False,
        "currency": shop.currency,
        "presentment_currency": spec.presentment or shop.currency,
        "taxes_included": False,
        "financial_status": financial_status(price, refunds),
        "location_id": shop.location_id,
        "line_items": [line.record for line in lines],
        "shipping_lines": shipping_lines,
        "subtotal": subtotal.bag(),
        "total_discounts": discounts.bag(),
        "total_shipping": shipping.bag(),
        "total_tax": tax.bag(),
        "total_price": price.bag(),
        "refunds": refunds,
        "transactions": [sale, *(refund_transaction for _, refund_transaction in refunded)],
    }


def price_line(pricing: Pricing, spec: LineSpec, ids: Ids) -> PricedLine:
    """A line item: the unit price times the quantity, its discount, tax on the rest."""
    item = pricing.shop.item(spec.sku)
    unit = pricing.amount(spec.unit)
    line_total = unit * spec.quantity
    discount = pricing.amount(spec.discount)
    tax = pricing.tax(line_total - discount)
    record = {
        "id": ids.take("LineItem"),
        "sku": item.sku,
        "title": item.title,
        "inventory_item_id": item.id,
        "gift_card": False,
        "quantity": spec.quantity,
        "current_quantity": spec.quantity,
        "unit_price": unit.bag(),
        "total": line_total.bag(),
        "discount": discount.bag(),
        "tax_lines": pricing.tax_lines(tax),
    }
    return PricedLine(record, line_total, discount, tax)


def price_shipping(
    pricing: Pricing, spec: OrderSpec
) -> tuple[list[dict[str, Any]], Amount, Amount]:
    """The shipping lines, the shipping price and its tax (none without a shipping line)."""
    if spec.shipping is None:
        return [], ZERO, ZERO
    shipping = pricing.amount(spec.shipping)
    tax = pricing.shipping_tax(shipping)
    record = {
        "title": spec.shipping_title or pricing.shop.shipping_title,
        "price": shipping.bag(),
        "tax_lines": pricing.tax_lines(tax),
    }
    return [record], shipping, tax


def build_refund(
    pricing: Pricing,
    spec: RefundSpec,
    sale: dict[str, Any],
    by_sku: dict[str, PricedLine],
    ids: Ids,
    *,
    shipped: bool,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A refund of restocked lines and some shipping, and its transaction against the sale.

    Refunded shipping is one refund shipping line (its subtotal and its own tax) of the order's
    one shipping line, named by its position (1: the builder's shipping lines have no id)."""
    created = pricing.shop.local(spec.at)
    refund_id = ids.take("Refund")
    lines = [refund_line(pricing, by_sku[sku], quantity, ids) for sku, quantity in spec.lines]
    subtotal = total([line.subtotal for line in lines])
    shipping = pricing.amount(spec.shipping)
    shipping_tax = pricing.shipping_tax(shipping)
    tax = total([line.tax for line in lines]) + shipping_tax
    refunded = subtotal + shipping + tax
    shipping_lines: list[dict[str, Any]] = []
    if shipping or shipping_tax:
        assert shipped, f"refund {refund_id} returns shipping of an order without a shipping line"
        shipping_lines.append(
            {
                "id": ids.take("RefundShippingLine"),
                "shipping_line_id": 1,
                "subtotal": shipping.bag(),
                "tax": shipping_tax.bag(),
            }
        )
    record = {
        "id": refund_id,
        "created_at": created.isoformat(),
        "note": spec.note,
        "refund_line_items": [line.record for line in lines],
        "refund_shipping_lines": shipping_lines,
        "subtotal": subtotal.bag(),
        "shipping": shipping.bag(),
        "total_tax": tax.bag(),
        "total": refunded.bag(),
    }
    refund_transaction = transaction(
        ids, "REFUND", sale["gateway"], refunded, created, sale["id"], refund_id=refund_id
    )
    return record, refund_transaction


def refund_line(pricing: Pricing, line: PricedLine, quantity: int, ids: Ids) -> RefundedLine:
    """`quantity` units of a line returned: its share of the discounted total and of the tax."""
    share = Decimal(quantity) / Decimal(line.record["quantity"])
    line.record["current_quantity"] -= quantity
    assert line.record["current_quantity"] >= 0
    subtotal = (line.total - line.discount).scaled(share)
    tax = line.tax.scaled(share)
    record = {
        "id": ids.take("RefundLineItem"),
        "line_item_id": line.record["id"],
        "quantity": quantity,
        "restock_type": "RETURN",
        "location_id": pricing.shop.location_id,
        "subtotal": subtotal.bag(),
        "total_tax": tax.bag(),
    }
    return RefundedLine(record, subtotal, tax)


def transaction(
    ids: Ids,
    kind: str,
    gateway: str,
    amount: Amount,
    at: datetime,
    parent_id: int | None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": ids.take("OrderTransaction"),
        "kind": kind,
        "status": "SUCCESS",
        "gateway": gateway,
        "amount": amount.bag(),
        "processed_at": at.isoformat(),
        "parent_id": parent_id,
        **extra,
    }


def financial_status(price: Amount, refunds: list[dict[str, Any]]) -> str:
    refunded = sum(to_cents(refund["total"]["shop"]) for refund in refunds)
    assert refunded <= price.shop
    if not refunds:
        return "PAID"
    return "REFUNDED" if refunded == price.shop else "PARTIALLY_REFUNDED"

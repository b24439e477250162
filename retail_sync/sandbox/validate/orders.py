"""One order of `orders.jsonl`: its fields, line items, totals, transactions and refunds."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from retail_sync.sandbox.validate.findings import IdRegistry, ValidationProblems, key, objects
from retail_sync.sandbox.validate.values import (
    Bag,
    bag_field,
    expect_equal,
    is_count,
    is_timestamp,
    sum_bags,
)
from retail_sync.sandbox.validate.vocabulary import (
    FINANCIAL_STATUSES,
    GATEWAYS,
    RESTOCK_TYPES,
    TRANSACTION_KINDS,
    TRANSACTION_STATUSES,
)
from retail_sync.sandbox.world import FORMAT_VERSION


@dataclass
class LineSums:
    """What an order's line items add up to, and the quantity of each line by id."""

    totals: list[Bag] = field(default_factory=list)
    discounts: list[Bag] = field(default_factory=list)
    taxes: list[Bag] = field(default_factory=list)  # line taxes, then shipping taxes
    quantities: dict[Hashable, int] = field(default_factory=dict)
    shipping_prices: dict[Hashable, Bag] = field(default_factory=dict)
    """Each shipping line's price by the id a refund shipping line names it with: its `id`, else
    its position from 1."""


def validate_order(
    where: str,
    order: dict[str, Any],
    currency: Any,
    ids: IdRegistry,
    location_ids: set[Hashable],
    item_ids: set[Hashable],
    problems: ValidationProblems,
    format_version: int = FORMAT_VERSION,
) -> set[Hashable]:
    """Report what is wrong with one order; return its transaction ids."""
    ids.register(where, "Order", order.get("id"))
    where = f"{where} order {order.get('id')!r}"
    _check_order_fields(where, order, currency, problems)
    lines = _check_line_items(where, order, ids, item_ids, problems)
    shipping = _shipping_bags(where, order, lines, problems)
    _check_order_totals(where, order, lines, shipping, problems)
    transaction_ids, refund_payments = _check_transactions(where, order, ids, problems)
    for refund in objects(where, order.get("refunds"), "refunds", problems):
        _check_refund(
            where, refund, ids, lines, location_ids, refund_payments, problems, format_version
        )
    return transaction_ids


def _check_order_fields(
    where: str, order: dict[str, Any], currency: Any, problems: ValidationProblems
) -> None:
    if order.get("currency") != currency:
        problems.add(where, f"currency {order.get('currency')!r} is not the shop's {currency}")
    if not isinstance(order.get("presentment_currency"), str):
        problems.add(where, "presentment_currency must be a currency code")
    for field_name in ("created_at", "processed_at", "updated_at"):
        if not is_timestamp(order.get(field_name)):
            problems.add(where, f"{field_name} must be RFC 3339 with an offset")
    if order.get("cancelled_at") is not None and not is_timestamp(order.get("cancelled_at")):
        problems.add(where, "cancelled_at must be null or RFC 3339 with an offset")
    if key(order.get("financial_status")) not in FINANCIAL_STATUSES:
        problems.add(where, f"financial_status {order.get('financial_status')!r} is unknown")
    if order.get("taxes_included"):
        problems.add(where, "taxes_included worlds are not supported (format versions 1 and 2)")
    if not isinstance(order.get("test"), bool):
        problems.add(where, "test must be true or false")


def _check_line_items(
    where: str,
    order: dict[str, Any],
    ids: IdRegistry,
    item_ids: set[Hashable],
    problems: ValidationProblems,
) -> LineSums:
    """Each line's total is unit price × quantity; its item is one of the shop's."""
    lines = LineSums()
    for line in objects(where, order.get("line_items"), "line_items", problems):
        ids.register(where, "LineItem", line.get("id"))
        line_where = f"{where} line {line.get('id')!r}"
        quantity = line.get("quantity")
        if not is_count(quantity) or quantity < 1:
            problems.add(line_where, "quantity must be a positive integer")
            quantity = 0
        lines.quantities[key(line.get("id"))] = quantity
        unit = bag_field(line_where, line, "unit_price", problems)
        total = bag_field(line_where, line, "total", problems)
        expected_total = (unit[0] * quantity, unit[1] * quantity)
        expect_equal(line_where, "total", total, expected_total, problems)
        lines.totals.append(total)
        lines.discounts.append(bag_field(line_where, line, "discount", problems))
        item_id = line.get("inventory_item_id")
        if item_id is not None and key(item_id) not in item_ids:
            problems.add(line_where, f"unknown inventory_item_id {item_id!r}")
        for tax_line in objects(line_where, line.get("tax_lines"), "tax_lines", problems):
            lines.taxes.append(bag_field(line_where, tax_line, "price", problems))
    if not lines.quantities:
        problems.add(where, "an order needs at least one line item")
    return lines


def _shipping_bags(
    where: str, order: dict[str, Any], lines: LineSums, problems: ValidationProblems
) -> list[Bag]:
    """The shipping lines' prices; their taxes join the line taxes in `lines`."""
    shipping: list[Bag] = []
    shipping_lines = objects(where, order.get("shipping_lines"), "shipping_lines", problems)
    for number, shipping_line in enumerate(shipping_lines, start=1):
        shipping.append(bag_field(where, shipping_line, "price", problems))
        lines.shipping_prices[key(shipping_line.get("id", number))] = shipping[-1]
        for tax_line in objects(where, shipping_line.get("tax_lines"), "tax_lines", problems):
            lines.taxes.append(bag_field(where, tax_line, "price", problems))
    return shipping


def _check_order_totals(
    where: str,
    order: dict[str, Any],
    lines: LineSums,
    shipping: list[Bag],
    problems: ValidationProblems,
) -> None:
    """Discounts, subtotal, shipping, tax and total price agree with the lines."""
    total_discounts = bag_field(where, order, "total_discounts", problems)
    subtotal = bag_field(where, order, "subtotal", problems)
    total_shipping = bag_field(where, order, "total_shipping", problems)
    total_tax = bag_field(where, order, "total_tax", problems)
    total_price = bag_field(where, order, "total_price", problems)
    expect_equal(where, "total_discounts", total_discounts, sum_bags(lines.discounts), problems)
    gross = sum_bags(lines.totals)
    expect_equal(
        where,
        "subtotal",
        subtotal,
        (gross[0] - total_discounts[0], gross[1] - total_discounts[1]),
        problems,
    )
    expect_equal(where, "total_shipping", total_shipping, sum_bags(shipping), problems)
    expect_equal(where, "total_tax", total_tax, sum_bags(lines.taxes), problems)
    expect_equal(
        where,
        "total_price",
        total_price,
        sum_bags([subtotal, total_shipping, total_tax]),
        problems,
    )


def _check_transactions(
    where: str, order: dict[str, Any], ids: IdRegistry, problems: ValidationProblems
) -> tuple[set[Hashable], dict[Hashable, Bag]]:
    """(the transaction ids, the REFUND transactions' amounts by refund id)."""
    transaction_ids: set[Hashable] = set()
    refund_payments: dict[Hashable, Bag] = {}
    for transaction in objects(where, order.get("transactions"), "transactions", problems):
        ids.register(where, "OrderTransaction", transaction.get("id"))
        transaction_ids.add(key(transaction.get("id")))
        tx_where = f"{where} transaction {transaction.get('id')!r}"
        if key(transaction.get("kind")) not in TRANSACTION_KINDS:
            problems.add(tx_where, f"kind {transaction.get('kind')!r} is unknown")
        if key(transaction.get("status")) not in TRANSACTION_STATUSES:
            problems.add(tx_where, f"status {transaction.get('status')!r} is unknown")
        if key(transaction.get("gateway")) not in GATEWAYS:
            problems.add(tx_where, f"gateway {transaction.get('gateway')!r} is unknown")
        if not is_timestamp(transaction.get("processed_at")):
            problems.add(tx_where, "processed_at must be RFC 3339 with an offset")
        amount = bag_field(tx_where, transaction, "amount", problems)
        parent = transaction.get("parent_id")
        if parent is not None and key(parent) not in transaction_ids:
            problems.add(
                tx_where, f"parent_id {parent!r} is not an earlier transaction of the order"
            )
        if transaction.get("kind") == "REFUND" and transaction.get("refund_id") is not None:
            refund_payments[key(transaction["refund_id"])] = amount
    return transaction_ids, refund_payments


def _check_refund(
    where: str,
    refund: dict[str, Any],
    ids: IdRegistry,
    lines: LineSums,
    location_ids: set[Hashable],
    refund_payments: dict[Hashable, Bag],
    problems: ValidationProblems,
    format_version: int,
) -> None:
    """Its lines refund units the order has, its shipping lines shipping it has; its totals add
    up; it pays back no more.

    A refund without `refund_shipping_lines` (absent or null) that refunds shipping gets one
    derived from its amounts (docs/sandbox.md): in format 2 its tax must then come out at 0.00 or
    more (the identities below); format 1 had no such identity, so what the tax cannot give the
    derived line stays the refund's unallocated amount, as the simulator serves it.
    """
    ids.register(where, "Refund", refund.get("id"))
    refund_where = f"{where} refund {refund.get('id')!r}"
    if not is_timestamp(refund.get("created_at")):
        problems.add(refund_where, "created_at must be RFC 3339 with an offset")
    line_subtotals, line_taxes = _check_refund_lines(
        refund_where, refund, ids, lines, location_ids, problems
    )
    refund_subtotal = bag_field(refund_where, refund, "subtotal", problems)
    expect_equal(refund_where, "subtotal", refund_subtotal, sum_bags(line_subtotals), problems)
    refund_shipping = bag_field(refund_where, refund, "shipping", problems)
    refund_tax = bag_field(refund_where, refund, "total_tax", problems)
    explicit = refund.get("refund_shipping_lines") is not None
    if explicit:
        shipping_subtotals, shipping_taxes = _check_refund_shipping_lines(
            refund_where, refund, ids, lines, problems
        )
    else:
        shipping_subtotals, shipping_taxes = _derived_refund_shipping_line(
            refund_where, refund, ids, lines, refund_shipping, refund_tax, line_taxes, problems
        )
    expect_equal(
        refund_where,
        "shipping (the sum of refund_shipping_lines[].subtotal)",
        refund_shipping,
        sum_bags(shipping_subtotals),
        problems,
    )
    if explicit or format_version >= 2:
        expect_equal(
            refund_where,
            "total_tax (the refund lines' total_tax plus the refund shipping lines' tax)",
            refund_tax,
            sum_bags([*line_taxes, *shipping_taxes]),
            problems,
        )
    refund_total = bag_field(refund_where, refund, "total", problems)
    expect_equal(
        refund_where,
        "total",
        refund_total,
        sum_bags([refund_subtotal, refund_shipping, refund_tax]),
        problems,
    )
    paid_back = refund_payments.get(key(refund.get("id")))
    if paid_back is not None and paid_back[0] > refund_total[0]:
        problems.add(refund_where, "its REFUND transaction exceeds the refund total")


def _check_refund_lines(
    refund_where: str,
    refund: dict[str, Any],
    ids: IdRegistry,
    lines: LineSums,
    location_ids: set[Hashable],
    problems: ValidationProblems,
) -> tuple[list[Bag], list[Bag]]:
    """Check each refund line item; return their subtotals and their taxes."""
    line_subtotals: list[Bag] = []
    line_taxes: list[Bag] = []
    refund_lines = objects(
        refund_where, refund.get("refund_line_items"), "refund_line_items", problems
    )
    for refund_line in refund_lines:
        ids.register(refund_where, "RefundLineItem", refund_line.get("id"))
        line_item_id = key(refund_line.get("line_item_id"))
        refunded = refund_line.get("quantity")
        if line_item_id not in lines.quantities:
            problems.add(refund_where, f"line_item_id {line_item_id!r} unknown")
        elif not is_count(refunded):
            problems.add(refund_where, "refunded quantity must be a positive integer")
        elif not 0 < refunded <= lines.quantities[line_item_id]:
            problems.add(refund_where, "refunded quantity exceeds the line's quantity")
        if key(refund_line.get("restock_type")) not in RESTOCK_TYPES:
            problems.add(refund_where, f"restock_type {refund_line.get('restock_type')!r}")
        location = refund_line.get("location_id")
        if location is not None and key(location) not in location_ids:
            problems.add(refund_where, f"unknown location_id {location!r}")
        line_subtotals.append(bag_field(refund_where, refund_line, "subtotal", problems))
        line_taxes.append(bag_field(refund_where, refund_line, "total_tax", problems))
    return line_subtotals, line_taxes


def _check_refund_shipping_lines(
    refund_where: str,
    refund: dict[str, Any],
    ids: IdRegistry,
    lines: LineSums,
    problems: ValidationProblems,
) -> tuple[list[Bag], list[Bag]]:
    """Check each refund shipping line (absent: none); return their subtotals and their taxes."""
    subtotals: list[Bag] = []
    taxes: list[Bag] = []
    shipping_lines = objects(
        refund_where, refund.get("refund_shipping_lines"), "refund_shipping_lines", problems
    )
    for index, shipping_line in enumerate(shipping_lines):
        where = f"{refund_where} refund_shipping_lines[{index}]"
        ids.register(where, "RefundShippingLine", shipping_line.get("id"))
        subtotal = bag_field(where, shipping_line, "subtotal", problems)
        subtotals.append(subtotal)
        taxes.append(bag_field(where, shipping_line, "tax", problems))
        shipping_line_id = shipping_line.get("shipping_line_id")
        price = lines.shipping_prices.get(shipping_line_id) if is_count(shipping_line_id) else None
        if price is None:
            problems.add(
                where,
                f"shipping_line_id {shipping_line.get('shipping_line_id')!r} is not one of the "
                "order's shipping_lines (named by their id, or without one by their position "
                "from 1)",
            )
        elif not 0 <= subtotal[0] <= price[0] or not 0 <= subtotal[1] <= price[1]:
            problems.add(where, "subtotal must be between 0.00 and the shipping line's price")
    return subtotals, taxes


def _derived_refund_shipping_line(
    refund_where: str,
    refund: dict[str, Any],
    ids: IdRegistry,
    lines: LineSums,
    refund_shipping: Bag,
    refund_tax: Bag,
    line_taxes: list[Bag],
    problems: ValidationProblems,
) -> tuple[list[Bag], list[Bag]]:
    """The one refund shipping line the simulator derives for a refund without
    `refund_shipping_lines` that refunds shipping (none when `shipping` is 0.00 on both sides):
    subtotal `shipping`, tax `total_tax` − Σ its lines' `total_tax` but never below 0.00, of the
    order's first shipping line, with the refund's own id as its `RefundShippingLine` id."""
    if refund_shipping == (0, 0):
        return [], []
    where = f"{refund_where} (its refund shipping line derived from shipping)"
    if is_count(refund.get("id")):
        ids.register(where, "RefundShippingLine", refund["id"])  # a clash with a written line
    if not lines.shipping_prices:
        problems.add(where, "the order has no shipping_lines for it to refund")
    line_tax = sum_bags(line_taxes)
    tax = (max(refund_tax[0] - line_tax[0], 0), max(refund_tax[1] - line_tax[1], 0))
    return [refund_shipping], [tax]

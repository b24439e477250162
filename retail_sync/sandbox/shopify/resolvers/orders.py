"""Views of an order and what it holds: line items, shipping lines, refunds (with their lines and
shipping lines), transactions."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeVar

from graphql import GraphQLResolveInfo

from retail_sync.sandbox.shopify.resolvers.scalars import gid, render_time, to_decimal

if TYPE_CHECKING:
    from retail_sync.sandbox.shopify.resolvers.inventory import LocationView
    from retail_sync.sandbox.shopify.resolvers.views import Views

ORDER_SORT_COLUMNS = {
    "UPDATED_AT": "updated_at",
    "CREATED_AT": "created_at",
    "PROCESSED_AT": "processed_at",
    "ID": None,
}
_BAG_SIDES = ("shop", "presentment")

Item = TypeVar("Item")


def _first(items: list[Item], first: int | None) -> list[Item]:
    return items if first is None else items[:first]


def numbered_shipping_lines(order: dict[str, Any]) -> list[dict[str, Any]]:
    """The order's shipping lines, each with its id: its own, else its position from 1 (how a
    world's refund shipping line names the shipping line it refunds, docs/sandbox.md)."""
    return [
        dict(line, id=line.get("id", number))
        for number, line in enumerate(order.get("shipping_lines") or [], start=1)
    ]


def refund_shipping_lines(refund: dict[str, Any], order: dict[str, Any]) -> list[dict[str, Any]]:
    """The refund's shipping lines in the world's shape. Its `refund_shipping_lines` when the
    refund has the field (`[]`: none). Without it (format 1 has none; absent or null), a refund
    whose `shipping` is not 0.00 refunds one line derived from its amounts (docs/sandbox.md):
    subtotal = `shipping`, tax = `total_tax` − Σ its refund lines' `total_tax` (each side; below
    0.00 it is 0.00, and the rest stays the refund's unallocated amount), of the order's first
    shipping line, with the refund's own id as its `RefundShippingLine` id."""
    written = refund.get("refund_shipping_lines")
    if written is not None:
        return list(written)
    shipping = refund.get("shipping") or {}
    if all(to_decimal(shipping.get(side, "0")) == 0 for side in _BAG_SIDES):
        return []
    total_tax = refund.get("total_tax") or {}
    refund_lines = refund.get("refund_line_items") or []
    tax = {}
    for side in _BAG_SIDES:
        line_tax = sum(
            (to_decimal((line.get("total_tax") or {}).get(side, "0")) for line in refund_lines),
            Decimal(0),
        )
        remainder = to_decimal(total_tax.get(side, "0")) - line_tax
        tax[side] = f"{max(remainder, Decimal(0)):.2f}"
    shipping_lines = numbered_shipping_lines(order)
    return [
        {
            "id": refund["id"],
            "shipping_line_id": shipping_lines[0]["id"] if shipping_lines else None,
            "subtotal": shipping,
            "tax": tax,
        }
    ]


def _order_money_bag(key: str) -> Any:
    """An order field serving the record's money bag at `key`."""
    return property(lambda view: view.views.money_bag(view.record.get(key), view.record))


class OrderView:
    typename = "Order"

    def __init__(self, record: dict[str, Any], views: Views) -> None:
        self.record = record
        self.views = views
        self.id = gid("Order", record["id"])
        self.legacyResourceId = str(record["id"])
        self.name = record["name"]
        self.createdAt = render_time(record["created_at"])
        self.processedAt = render_time(record.get("processed_at") or record["created_at"])
        self.updatedAt = render_time(record["updated_at"])
        self.cancelledAt = render_time(record.get("cancelled_at"))
        self.cancelReason = record.get("cancel_reason")
        self.test = bool(record.get("test", False))
        self.currencyCode = record["currency"]
        self.presentmentCurrencyCode = record["presentment_currency"]
        self.displayFinancialStatus = record.get("financial_status")
        self.taxesIncluded = bool(record.get("taxes_included", False))

    totalPriceSet = _order_money_bag("total_price")
    subtotalPriceSet = _order_money_bag("subtotal")
    totalTaxSet = _order_money_bag("total_tax")
    totalShippingPriceSet = _order_money_bag("total_shipping")
    totalDiscountsSet = _order_money_bag("total_discounts")

    def _refunded(self) -> dict[str, Decimal]:
        totals = dict.fromkeys(_BAG_SIDES, Decimal("0.00"))
        for refund in self.record.get("refunds") or []:
            for side in totals:
                totals[side] += to_decimal((refund.get("total") or {}).get(side, "0"))
        return totals

    @property
    def totalRefundedSet(self) -> dict[str, Any]:
        refunded = self._refunded()
        return self.views.money_bag({k: str(v) for k, v in refunded.items()}, self.record)

    @property
    def currentTotalPriceSet(self) -> dict[str, Any]:
        refunded = self._refunded()
        total = self.record.get("total_price") or {}
        current = {}
        for side in _BAG_SIDES:
            raw = total.get(side)
            try:
                current[side] = str(Decimal(str(raw)) - refunded[side]) if raw is not None else None
            except InvalidOperation:
                current[side] = raw
        return self.views.money_bag(current, self.record)

    def lineItems(
        self,
        info: GraphQLResolveInfo,
        first: int | None = None,
        after: str | None = None,
        reverse: bool = False,
    ) -> dict[str, Any]:
        items = list(self.record.get("line_items") or [])
        if reverse:
            items.reverse()
        return self.views.nested_connection(
            info,
            items,
            lambda item: LineItemView(item, self.record, self.views),
            first=first,
            after=after,
        )

    def shippingLines(
        self, info: GraphQLResolveInfo, first: int | None = None, after: str | None = None
    ) -> dict[str, Any]:
        return self.views.nested_connection(
            info,
            numbered_shipping_lines(self.record),
            lambda line: ShippingLineView(line, self.record, self.views),
            first=first,
            after=after,
        )

    def refunds(self, info: GraphQLResolveInfo, first: int | None = None) -> list[RefundView]:
        refunds = _first(self.record.get("refunds") or [], first)
        return [RefundView(refund, self.record, self.views) for refund in refunds]

    def transactions(
        self, info: GraphQLResolveInfo, first: int | None = None
    ) -> list[TransactionView]:
        transactions = _first(self.record.get("transactions") or [], first)
        return [TransactionView(record, self.record, self.views) for record in transactions]


def tax_lines(
    lines: list[dict[str, Any]], order: dict[str, Any], views: Views
) -> list[dict[str, Any]]:
    """`TaxLine`s: the rate as a float (as Shopify serves it) and the tax as a money bag."""
    result = []
    for line in lines:
        rate = line.get("rate")
        rate_float = float(Decimal(str(rate))) if rate is not None else None
        result.append(
            {
                "title": line.get("title", ""),
                "rate": rate_float,
                "ratePercentage": None if rate_float is None else round(rate_float * 100, 4),
                "priceSet": views.money_bag(line.get("price"), order),
            }
        )
    return result


class LineItemView:
    typename = "LineItem"

    def __init__(self, record: dict[str, Any], order: dict[str, Any], views: Views) -> None:
        self.record, self.order_record, self.views = record, order, views
        self.id = gid("LineItem", record["id"])
        self.sku = record.get("sku")
        self.title = record.get("title") or record.get("sku") or ""
        self.name = self.title
        self.quantity = int(record["quantity"])
        self.currentQuantity = int(record.get("current_quantity", record["quantity"]))
        self.isGiftCard = bool(record.get("gift_card"))
        self.originalUnitPriceSet = views.money_bag(record.get("unit_price"), order)
        self.originalTotalSet = views.money_bag(record.get("total"), order)
        self.totalDiscountSet = views.money_bag(record.get("discount"), order)

    @property
    def discountedTotalSet(self) -> dict[str, Any]:
        total = self.record.get("total") or {}
        discount = self.record.get("discount") or {}
        net = {
            side: str(to_decimal(total.get(side, "0")) - to_decimal(discount.get(side, "0")))
            for side in _BAG_SIDES
        }
        return self.views.money_bag(net, self.order_record)

    def taxLines(self, info: GraphQLResolveInfo, first: int | None = None) -> list[dict[str, Any]]:
        lines = _first(self.record.get("tax_lines") or [], first)
        return tax_lines(lines, self.order_record, self.views)


class ShippingLineView:
    def __init__(self, record: dict[str, Any], order: dict[str, Any], views: Views) -> None:
        self.id = gid("ShippingLine", record["id"])
        self.title = record.get("title", "")
        self.originalPriceSet = views.money_bag(record.get("price"), order)
        self.taxLines = tax_lines(record.get("tax_lines") or [], order, views)


class RefundView:
    typename = "Refund"

    def __init__(self, record: dict[str, Any], order: dict[str, Any], views: Views) -> None:
        self.record, self.order_record, self.views = record, order, views
        self.id = gid("Refund", record["id"])
        self.legacyResourceId = str(record["id"])
        self.createdAt = render_time(record.get("created_at"))
        self.note = record.get("note")
        self.totalRefundedSet = views.money_bag(record.get("total"), order)

    def refundLineItems(
        self, info: GraphQLResolveInfo, first: int | None = None, after: str | None = None
    ) -> dict[str, Any]:
        return self.views.nested_connection(
            info,
            list(self.record.get("refund_line_items") or []),
            lambda item: RefundLineItemView(item, self.order_record, self.views),
            first=first,
            after=after,
        )

    def refundShippingLines(
        self, info: GraphQLResolveInfo, first: int | None = None, after: str | None = None
    ) -> dict[str, Any]:
        return self.views.nested_connection(
            info,
            refund_shipping_lines(self.record, self.order_record),
            lambda line: RefundShippingLineView(line, self.order_record, self.views),
            first=first,
            after=after,
        )

    def transactions(
        self, info: GraphQLResolveInfo, first: int | None = None, after: str | None = None
    ) -> dict[str, Any]:
        mine = [
            transaction
            for transaction in self.order_record.get("transactions") or []
            if transaction.get("refund_id") == self.record["id"]
        ]
        return self.views.nested_connection(
            info,
            mine,
            lambda transaction: TransactionView(transaction, self.order_record, self.views),
            first=first,
            after=after,
        )


class RefundLineItemView:
    def __init__(self, record: dict[str, Any], order: dict[str, Any], views: Views) -> None:
        self.record, self.order_record, self.views = record, order, views
        self.id = gid("RefundLineItem", record["id"])
        self.quantity = int(record["quantity"])
        self.restockType = record.get("restock_type", "NO_RESTOCK")
        self.restocked = self.restockType in {"RETURN", "CANCEL", "LEGACY_RESTOCK"}
        self.subtotalSet = views.money_bag(record.get("subtotal"), order)
        self.totalTaxSet = views.money_bag(record.get("total_tax"), order)

    def _line(self) -> dict[str, Any] | None:
        """The order's line item this refund line refunds."""
        wanted = self.record.get("line_item_id")
        lines = self.order_record.get("line_items") or []
        return next((line for line in lines if line["id"] == wanted), None)

    @property
    def priceSet(self) -> dict[str, Any]:
        line = self._line()
        return self.views.money_bag(line.get("unit_price") if line else None, self.order_record)

    @property
    def lineItem(self) -> LineItemView | None:
        line = self._line()
        return None if line is None else LineItemView(line, self.order_record, self.views)

    @property
    def location(self) -> LocationView | None:
        return self.views.location_by_id(self.record.get("location_id"))


class RefundShippingLineView:
    """The shipping a refund returns: its subtotal and its tax, each a money bag."""

    def __init__(self, record: dict[str, Any], order: dict[str, Any], views: Views) -> None:
        self.record, self.order_record, self.views = record, order, views
        self.id = gid("RefundShippingLine", record["id"])
        self.subtotalAmountSet = views.money_bag(record.get("subtotal"), order)
        self.taxAmountSet = views.money_bag(record.get("tax"), order)

    @property
    def shippingLine(self) -> ShippingLineView | None:
        """The order's shipping line it refunds (the world validator checks there is one)."""
        wanted = self.record.get("shipping_line_id")
        lines = numbered_shipping_lines(self.order_record)
        line = next((line for line in lines if line["id"] == wanted), None)
        return None if line is None else ShippingLineView(line, self.order_record, self.views)


class TransactionView:
    typename = "OrderTransaction"

    def __init__(self, record: dict[str, Any], order: dict[str, Any], views: Views) -> None:
        self.record, self.order_record, self.views = record, order, views
        self.id = gid("OrderTransaction", record["id"])
        self.kind = record["kind"]
        self.status = record.get("status", "SUCCESS")
        self.gateway = record.get("gateway")
        self.test = bool(order.get("test", False))
        self.amountSet = views.money_bag(record.get("amount"), order)
        self.processedAt = render_time(record.get("processed_at"))
        self.createdAt = render_time(record.get("created_at") or record.get("processed_at"))

    @property
    def parentTransaction(self) -> TransactionView | None:
        parent_id = self.record.get("parent_id")
        transactions = self.order_record.get("transactions") or []
        parent = next((record for record in transactions if record["id"] == parent_id), None)
        return None if parent is None else TransactionView(parent, self.order_record, self.views)

"""View objects that turn world records into Shopify's GraphQL shapes.

graphql-core's default resolver reads an attribute named after the field and calls it with
`(info, **arguments)` when it is a method, so each GraphQL type is one small class here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, GraphQLResolveInfo

from retail_sync.sandbox.shopify.paging import MAX_PAGE_SIZE, CursorError, list_page, page_rows
from retail_sync.sandbox.shopify.search import (
    BALANCE_TRANSACTION_SEARCH_FIELDS,
    ORDER_SEARCH_FIELDS,
    PAYOUT_SEARCH_FIELDS,
    SearchSyntaxError,
    search_mask,
)
from retail_sync.sandbox.shopify.store import RecordIndex, parse_timestamp

if TYPE_CHECKING:
    from retail_sync.sandbox.shopify.runtime import ShopRuntime

PLAN_NAMES = {
    "STANDARD": "Basic",
    "ADVANCED": "Advanced",
    "PLUS": "Shopify Plus",
    "ENTERPRISE": "Commerce Components",
}
ORDER_SORT_COLUMNS = {
    "UPDATED_AT": "updated_at",
    "CREATED_AT": "created_at",
    "PROCESSED_AT": "processed_at",
    "ID": None,
}
BALANCE_SORT_COLUMNS = {"PROCESSED_AT": "transaction_date", "ID": None}


def stable_number(text: str) -> int:
    """A number derived from `text` that is the same in every process (unlike `hash`)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


def gid(kind: str, record_id: object) -> str:
    return f"gid://shopify/{kind}/{record_id}"


def parse_gid(value: str) -> tuple[str, int]:
    """Split `gid://shopify/Type/123` (query string allowed) into ("Type", 123)."""
    parts = value.split("?", 1)[0].split("/")
    if len(parts) != 5 or parts[:3] != ["gid:", "", "shopify"]:
        raise GraphQLError(f"Invalid global id '{value}'")
    try:
        return parts[3], int(parts[4])
    except ValueError:
        raise GraphQLError(f"Invalid global id '{value}'") from None


def render_time(value: str | None) -> str | None:
    """RFC 3339 in UTC with `Z`; an unparseable value (a malformed record) passes through."""
    if value is None:
        return None
    try:
        moment = parse_timestamp(value).astimezone(UTC)
    except ValueError:
        return value
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def render_amount(value: Any) -> str | None:
    """Shopify's Decimal rendering (`"204.4"`, `"10.0"`); non-numbers pass through verbatim."""
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    text = format(number.normalize(), "f")
    return text if "." in text else f"{text}.0"


def to_decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal(0)


@dataclass
class RequestContext:
    """Per-request state handed to every resolver as `info.context`."""

    runtime: ShopRuntime
    base_url: str
    bulk: bool = False
    bulk_after: str | None = None
    bulk_page: dict[str, Any] = field(default_factory=dict)
    search: list[dict[str, Any]] = field(default_factory=list)
    duplicate_key: str = ""


def _ctx(info: GraphQLResolveInfo) -> RequestContext:
    context: RequestContext = info.context
    return context


def _page_size(info: GraphQLResolveInfo, first: int | None, *, top_level: bool) -> int | None:
    ctx = _ctx(info)
    if ctx.bulk:
        return MAX_PAGE_SIZE if top_level else None
    if first is None:
        raise GraphQLError(
            "you must provide one of first or last", extensions={"code": "BAD_REQUEST"}
        )
    if first < 0 or first > MAX_PAGE_SIZE:
        raise GraphQLError(
            f"The value of first must be between 0 and {MAX_PAGE_SIZE}",
            extensions={"code": "BAD_REQUEST"},
        )
    return first


def money(amount: Any, currency: str) -> dict[str, Any]:
    return {"amount": render_amount(amount), "currencyCode": currency}


class Views:
    """Builds view objects for one shop with the request's context."""

    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx
        self.data = ctx.runtime.data
        self.faults = ctx.runtime.faults

    def order(self, record: dict[str, Any]) -> OrderView:
        return OrderView(self.faults.malform_order(record), self)

    def bag(self, value: dict[str, Any] | None, order: dict[str, Any]) -> dict[str, Any]:
        value = value or {"shop": "0.00", "presentment": "0.00"}
        return {
            "shopMoney": money(value.get("shop"), order["currency"]),
            "presentmentMoney": money(value.get("presentment"), order["presentment_currency"]),
        }

    def connection(
        self,
        info: GraphQLResolveInfo,
        index: RecordIndex,
        make: Any,
        *,
        first: int | None,
        after: str | None,
        reverse: bool,
        sort_column: str | None,
        query: str | None,
        fields: dict[str, Any],
        kind: str,
    ) -> dict[str, Any]:
        """A top-level connection over an indexed file."""
        ctx = self.ctx
        limit = _page_size(info, first, top_level=True)
        try:
            mask, warnings = search_mask(index, fields, query)
        except SearchSyntaxError as error:
            raise GraphQLError(str(error), extensions={"code": "BAD_REQUEST"}) from None
        if query is not None:
            ctx.search.append({"path": [info.field_name], "query": query, "warnings": warnings})
        if ctx.bulk:
            after = ctx.bulk_after
        rewind = 0
        profile = self.faults.profile
        duplicate = (
            not ctx.bulk
            and after is not None
            and self.faults.rng_chance("duplicate-page", f"{kind}|{after}") < profile.duplicate_rate
        )
        if duplicate:
            rewind = 1 + int(self.faults.rng_chance("duplicate-size", after) * 3)
        try:
            page = page_rows(
                index, sort_column, mask, first=limit, after=after, reverse=reverse, rewind=rewind
            )
        except CursorError as error:
            raise GraphQLError(str(error), extensions={"code": "BAD_REQUEST"}) from None
        nodes = [make(index.read(row)) for row in page.rows]
        if ctx.bulk:
            ctx.bulk_page = {"has_next": page.has_next, "end_cursor": page.page_info()["endCursor"]}
        return {
            "edges": [{"cursor": c, "node": n} for c, n in zip(page.cursors, nodes, strict=True)],
            "nodes": nodes,
            "pageInfo": page.page_info(),
        }

    def nested(
        self,
        info: GraphQLResolveInfo,
        items: list[Any],
        make: Any,
        *,
        first: int | None,
        after: str | None,
    ) -> dict[str, Any]:
        """A connection over a small list held in a record (line items, refund lines)."""
        limit = _page_size(info, first, top_level=False)
        try:
            chosen, cursors, page_info = list_page(items, first=limit, after=after)
        except CursorError as error:
            raise GraphQLError(str(error), extensions={"code": "BAD_REQUEST"}) from None
        nodes = [make(item) for item in chosen]
        return {
            "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, nodes, strict=True)],
            "nodes": nodes,
            "pageInfo": page_info,
        }

    def order_by_id(self, order_id: int) -> OrderView | None:
        record = self.data.orders.get(order_id)
        return None if record is None else self.order(record)

    def payout(self, record: dict[str, Any]) -> PayoutView:
        return PayoutView(self.faults.malform_money_record("payout", record, "net"), self)

    def balance_transaction(self, record: dict[str, Any]) -> BalanceTransactionView:
        broken = self.faults.malform_money_record("balance", record, "amount")
        return BalanceTransactionView(broken, self)

    def location(self, record: dict[str, Any]) -> LocationView:
        return LocationView(record, self)

    def inventory_item(self, item_id: int) -> InventoryItemView:
        record = self.data.inventory_items.get(item_id) or {"id": item_id, "sku": None}
        return InventoryItemView(record, self)


class OrderView:
    typename = "Order"

    def __init__(self, record: dict[str, Any], views: Views) -> None:
        self.r = record
        self.v = views
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

    def _bag(self, key: str) -> dict[str, Any]:
        return self.v.bag(self.r.get(key), self.r)

    @property
    def totalPriceSet(self) -> dict[str, Any]:
        return self._bag("total_price")

    @property
    def subtotalPriceSet(self) -> dict[str, Any]:
        return self._bag("subtotal")

    @property
    def totalTaxSet(self) -> dict[str, Any]:
        return self._bag("total_tax")

    @property
    def totalShippingPriceSet(self) -> dict[str, Any]:
        return self._bag("total_shipping")

    @property
    def totalDiscountsSet(self) -> dict[str, Any]:
        return self._bag("total_discounts")

    def _refunded(self) -> dict[str, Decimal]:
        totals = {"shop": Decimal("0.00"), "presentment": Decimal("0.00")}
        for refund in self.r.get("refunds") or []:
            for side in totals:
                totals[side] += to_decimal((refund.get("total") or {}).get(side, "0"))
        return totals

    @property
    def totalRefundedSet(self) -> dict[str, Any]:
        refunded = self._refunded()
        return self.v.bag({k: str(v) for k, v in refunded.items()}, self.r)

    @property
    def currentTotalPriceSet(self) -> dict[str, Any]:
        refunded = self._refunded()
        total = self.r.get("total_price") or {}
        current = {}
        for side in ("shop", "presentment"):
            raw = total.get(side)
            try:
                current[side] = str(Decimal(str(raw)) - refunded[side]) if raw is not None else None
            except InvalidOperation:
                current[side] = raw
        return self.v.bag(current, self.r)

    def lineItems(
        self,
        info: GraphQLResolveInfo,
        first: int | None = None,
        after: str | None = None,
        reverse: bool = False,
    ) -> dict[str, Any]:
        items = list(self.r.get("line_items") or [])
        if reverse:
            items.reverse()
        return self.v.nested(
            info, items, lambda item: LineItemView(item, self.r, self.v), first=first, after=after
        )

    def shippingLines(
        self, info: GraphQLResolveInfo, first: int | None = None, after: str | None = None
    ) -> dict[str, Any]:
        lines = [
            dict(line, id=line.get("id", n))
            for n, line in enumerate(self.r.get("shipping_lines") or [], start=1)
        ]
        return self.v.nested(
            info,
            lines,
            lambda line: ShippingLineView(line, self.r, self.v),
            first=first,
            after=after,
        )

    def refunds(self, info: GraphQLResolveInfo, first: int | None = None) -> list[RefundView]:
        refunds = self.r.get("refunds") or []
        if first is not None:
            refunds = refunds[:first]
        return [RefundView(refund, self.r, self.v) for refund in refunds]

    def transactions(
        self, info: GraphQLResolveInfo, first: int | None = None
    ) -> list[TransactionView]:
        transactions = self.r.get("transactions") or []
        if first is not None:
            transactions = transactions[:first]
        return [TransactionView(t, self.r, self.v) for t in transactions]


def tax_lines(
    lines: list[dict[str, Any]], order: dict[str, Any], views: Views
) -> list[dict[str, Any]]:
    result = []
    for line in lines:
        rate = line.get("rate")
        rate_float = float(Decimal(str(rate))) if rate is not None else None
        result.append(
            {
                "title": line.get("title", ""),
                "rate": rate_float,
                "ratePercentage": None if rate_float is None else round(rate_float * 100, 4),
                "priceSet": views.bag(line.get("price"), order),
            }
        )
    return result


class LineItemView:
    typename = "LineItem"

    def __init__(self, record: dict[str, Any], order: dict[str, Any], views: Views) -> None:
        self.r, self.o, self.v = record, order, views
        self.id = gid("LineItem", record["id"])
        self.sku = record.get("sku")
        self.title = record.get("title") or record.get("sku") or ""
        self.name = self.title
        self.quantity = int(record["quantity"])
        self.currentQuantity = int(record.get("current_quantity", record["quantity"]))
        self.isGiftCard = bool(record.get("gift_card"))
        self.originalUnitPriceSet = views.bag(record.get("unit_price"), order)
        self.originalTotalSet = views.bag(record.get("total"), order)
        self.totalDiscountSet = views.bag(record.get("discount"), order)

    @property
    def discountedTotalSet(self) -> dict[str, Any]:
        total = self.r.get("total") or {}
        discount = self.r.get("discount") or {}
        net = {
            side: str(to_decimal(total.get(side, "0")) - to_decimal(discount.get(side, "0")))
            for side in ("shop", "presentment")
        }
        return self.v.bag(net, self.o)

    def taxLines(self, info: GraphQLResolveInfo, first: int | None = None) -> list[dict[str, Any]]:
        lines = self.r.get("tax_lines") or []
        return tax_lines(lines[:first] if first is not None else lines, self.o, self.v)


class ShippingLineView:
    def __init__(self, record: dict[str, Any], order: dict[str, Any], views: Views) -> None:
        self.id = gid("ShippingLine", record["id"])
        self.title = record.get("title", "")
        self.originalPriceSet = views.bag(record.get("price"), order)
        self.taxLines = tax_lines(record.get("tax_lines") or [], order, views)


class RefundView:
    typename = "Refund"

    def __init__(self, record: dict[str, Any], order: dict[str, Any], views: Views) -> None:
        self.r, self.o, self.v = record, order, views
        self.id = gid("Refund", record["id"])
        self.legacyResourceId = str(record["id"])
        self.createdAt = render_time(record.get("created_at"))
        self.note = record.get("note")
        self.totalRefundedSet = views.bag(record.get("total"), order)

    def refundLineItems(
        self, info: GraphQLResolveInfo, first: int | None = None, after: str | None = None
    ) -> dict[str, Any]:
        return self.v.nested(
            info,
            list(self.r.get("refund_line_items") or []),
            lambda item: RefundLineItemView(item, self.o, self.v),
            first=first,
            after=after,
        )

    def transactions(
        self, info: GraphQLResolveInfo, first: int | None = None, after: str | None = None
    ) -> dict[str, Any]:
        mine = [t for t in self.o.get("transactions") or [] if t.get("refund_id") == self.r["id"]]
        return self.v.nested(
            info, mine, lambda t: TransactionView(t, self.o, self.v), first=first, after=after
        )


class RefundLineItemView:
    def __init__(self, record: dict[str, Any], order: dict[str, Any], views: Views) -> None:
        self.r, self.o, self.v = record, order, views
        self.id = gid("RefundLineItem", record["id"])
        self.quantity = int(record["quantity"])
        self.restockType = record.get("restock_type", "NO_RESTOCK")
        self.restocked = self.restockType in {"RETURN", "CANCEL", "LEGACY_RESTOCK"}
        self.subtotalSet = views.bag(record.get("subtotal"), order)
        self.totalTaxSet = views.bag(record.get("total_tax"), order)

    @property
    def priceSet(self) -> dict[str, Any]:
        line = self._line()
        return self.v.bag(line.get("unit_price") if line else None, self.o)

    def _line(self) -> dict[str, Any] | None:
        wanted = self.r.get("line_item_id")
        return next((li for li in self.o.get("line_items") or [] if li["id"] == wanted), None)

    @property
    def lineItem(self) -> LineItemView | None:
        line = self._line()
        return None if line is None else LineItemView(line, self.o, self.v)

    @property
    def location(self) -> LocationView | None:
        wanted = self.r.get("location_id")
        record = next((loc for loc in self.v.data.locations if loc["id"] == wanted), None)
        return None if record is None else LocationView(record, self.v)


class TransactionView:
    typename = "OrderTransaction"

    def __init__(self, record: dict[str, Any], order: dict[str, Any], views: Views) -> None:
        self.r, self.o, self.v = record, order, views
        self.id = gid("OrderTransaction", record["id"])
        self.kind = record["kind"]
        self.status = record.get("status", "SUCCESS")
        self.gateway = record.get("gateway")
        self.test = bool(order.get("test", False))
        self.amountSet = views.bag(record.get("amount"), order)
        self.processedAt = render_time(record.get("processed_at"))
        self.createdAt = render_time(record.get("created_at") or record.get("processed_at"))

    @property
    def parentTransaction(self) -> TransactionView | None:
        parent = self.r.get("parent_id")
        record = next((t for t in self.o.get("transactions") or [] if t["id"] == parent), None)
        return None if record is None else TransactionView(record, self.o, self.v)


def _summary(record: dict[str, Any], currency: str) -> dict[str, Any]:
    summary = record.get("summary") or {}
    names = {
        "adjustmentsFee": "adjustments_fee",
        "adjustmentsGross": "adjustments_gross",
        "advanceFees": "advance_fees",
        "advanceGross": "advance_gross",
        "chargesFee": "charges_fee",
        "chargesGross": "charges_gross",
        "refundsFee": "refunds_fee",
        "refundsFeeGross": "refunds_gross",
        "reservedFundsFee": "reserved_funds_fee",
        "reservedFundsGross": "reserved_funds_gross",
        "retriedPayoutsFee": "retried_payouts_fee",
        "retriedPayoutsGross": "retried_payouts_gross",
    }
    return {gql: money(summary.get(key, "0.00"), currency) for gql, key in names.items()}


class PayoutView:
    typename = "ShopifyPaymentsPayout"

    def __init__(self, record: dict[str, Any], views: Views) -> None:
        self.id = gid("ShopifyPaymentsPayout", record["id"])
        self.legacyResourceId = str(record["id"])
        self.status = record["status"]
        self.issuedAt = render_time(record.get("issued_at"))
        net = record.get("net")
        self.transactionType = "WITHDRAWAL" if str(net).startswith("-") else "DEPOSIT"
        currency = record.get("currency") or views.data.currency
        self.net = money(net, currency)
        self.summary = _summary(record, currency)


class BalanceTransactionView:
    typename = "ShopifyPaymentsBalanceTransaction"

    def __init__(self, record: dict[str, Any], views: Views) -> None:
        self.r, self.v = record, views
        currency = record.get("currency") or views.data.currency
        self.id = gid("ShopifyPaymentsBalanceTransaction", record["id"])
        self.type = record["type"]
        self.test = bool(record.get("test", False))
        self.transactionDate = render_time(record.get("transaction_date"))
        self.sourceType = record.get("source_type")
        self.sourceId = _opt_str(record.get("source_id"))
        self.sourceOrderTransactionId = _opt_str(record.get("source_order_transaction_id"))
        self.amount = money(record.get("amount"), currency)
        self.fee = money(record.get("fee"), currency)
        self.net = money(record.get("net"), currency)
        self.adjustmentReason = record.get("adjustment_reason")

    @property
    def associatedOrder(self) -> dict[str, Any] | None:
        order_id = self.r.get("associated_order_id")
        if order_id is None:
            return None
        order = self.v.data.orders.get(int(order_id))
        return {"id": gid("Order", order_id), "name": order["name"] if order else ""}

    @property
    def associatedPayout(self) -> dict[str, Any]:
        payout_id = self.r.get("payout_id")
        if payout_id is None:
            return {"id": None, "status": None}
        payout = self.v.data.payouts.get(int(payout_id))
        return {
            "id": gid("ShopifyPaymentsPayout", payout_id),
            "status": payout["status"] if payout else None,
        }


class InventoryItemView:
    typename = "InventoryItem"

    def __init__(self, record: dict[str, Any], views: Views) -> None:
        self.id = gid("InventoryItem", record["id"])
        self.legacyResourceId = str(record["id"])
        self.sku = record.get("sku")
        self.tracked = bool(record.get("tracked", True))
        cost = record.get("unit_cost")
        self.unitCost = None if cost is None else money(cost, views.data.currency)


class InventoryLevelView:
    typename = "InventoryLevel"

    def __init__(self, state: Any, views: Views) -> None:
        self.s, self.v = state, views
        self.id = (
            f"gid://shopify/InventoryLevel/{state.location_id}"
            f"?inventory_item_id={state.inventory_item_id}"
        )
        self.updatedAt = render_time(state.at)

    @property
    def item(self) -> InventoryItemView:
        return self.v.inventory_item(self.s.inventory_item_id)

    @property
    def location(self) -> LocationView | None:
        record = next(
            (loc for loc in self.v.data.locations if loc["id"] == self.s.location_id), None
        )
        return None if record is None else LocationView(record, self.v)

    def quantities(self, info: GraphQLResolveInfo, names: list[str]) -> list[dict[str, Any]]:
        if len(names) > MAX_PAGE_SIZE:
            raise GraphQLError("names accepts at most 250 values")
        return [
            {
                "id": f"{self.id}&name={name}",
                "name": name,
                "quantity": int(self.s.quantities.get(name, 0)),
                "updatedAt": self.updatedAt,
            }
            for name in names
        ]


class LocationView:
    typename = "Location"

    def __init__(self, record: dict[str, Any], views: Views) -> None:
        self.r, self.v = record, views
        self.id = gid("Location", record["id"])
        self.legacyResourceId = str(record["id"])
        self.name = record["name"]
        self.isActive = bool(record.get("active", True))

    def inventoryLevels(
        self,
        info: GraphQLResolveInfo,
        first: int | None = None,
        after: str | None = None,
        query: str | None = None,
    ) -> dict[str, Any]:
        levels = [
            state
            for state in self.v.data.inventory_levels_at(self.v.data.world_now())
            if state.location_id == self.r["id"]
        ]
        levels = _filter_levels(levels, query)
        items = [{"id": s.inventory_item_id, "state": s} for s in levels]
        return self.v.nested(
            info,
            items,
            lambda item: InventoryLevelView(item["state"], self.v),
            first=first,
            after=after,
        )


def _filter_levels(levels: list[Any], query: str | None) -> list[Any]:
    from retail_sync.sandbox.shopify.search import parse_search
    from retail_sync.sandbox.shopify.store import to_micros

    terms, _ = parse_search(query)
    for term in terms:
        if term.field != "updated_at":
            continue
        bound = to_micros(term.value)
        compare = {
            ">=": lambda t, b=bound: t >= b,
            ">": lambda t, b=bound: t > b,
            "<=": lambda t, b=bound: t <= b,
            "<": lambda t, b=bound: t < b,
            "=": lambda t, b=bound: t == b,
        }[term.op]
        levels = [s for s in levels if compare(to_micros(s.at)) != term.negated]
    return levels


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


class ShopifyPaymentsAccountView:
    def __init__(self, views: Views) -> None:
        self.v = views
        self.id = gid("ShopifyPaymentsAccount", stable_number(views.data.shop_id))
        self.activated = True

    def payouts(
        self,
        info: GraphQLResolveInfo,
        first: int | None = None,
        after: str | None = None,
        reverse: bool = False,
        query: str | None = None,
        transactionType: str | None = None,
    ) -> dict[str, Any]:
        return self.v.connection(
            info,
            self.v.data.payouts,
            self.v.payout,
            first=first,
            after=after,
            reverse=reverse,
            sort_column=None,
            query=query,
            fields=PAYOUT_SEARCH_FIELDS,
            kind="payouts",
        )

    def balanceTransactions(
        self,
        info: GraphQLResolveInfo,
        first: int | None = None,
        after: str | None = None,
        reverse: bool = False,
        query: str | None = None,
        sortKey: str = "ID",
        hideTransfers: bool = False,
    ) -> dict[str, Any]:
        return self.v.connection(
            info,
            self.v.data.balance_transactions,
            self.v.balance_transaction,
            first=first,
            after=after,
            reverse=reverse,
            sort_column=BALANCE_SORT_COLUMNS.get(sortKey),
            query=query,
            fields=BALANCE_TRANSACTION_SEARCH_FIELDS,
            kind="balance",
        )


class ShopView:
    typename = "Shop"

    def __init__(self, shop: dict[str, Any]) -> None:
        self.id = gid("Shop", stable_number(shop["id"]))
        self.name = shop.get("name", shop["id"])
        self.myshopifyDomain = shop.get("domain", f"{shop['id']}.myshopify.com")
        self.currencyCode = shop["currency"]
        self.ianaTimezone = shop.get("timezone", "UTC")
        plan = str(shop.get("plan", "STANDARD"))
        self.plan = {
            "displayName": PLAN_NAMES.get(plan, plan),
            "partnerDevelopment": False,
            "shopifyPlus": plan in {"PLUS", "ENTERPRISE"},
        }


class QueryRoot:
    """Resolvers of `Query` for one shop."""

    def __init__(self, views: Views) -> None:
        self.v = views

    def orders(
        self,
        info: GraphQLResolveInfo,
        first: int | None = None,
        after: str | None = None,
        reverse: bool = False,
        query: str | None = None,
        sortKey: str = "ID",
    ) -> dict[str, Any]:
        if sortKey not in ORDER_SORT_COLUMNS:
            raise GraphQLError(
                f"sortKey {sortKey} is not supported by the sandbox",
                extensions={"code": "BAD_REQUEST"},
            )
        return self.v.connection(
            info,
            self.v.data.orders,
            self.v.order,
            first=first,
            after=after,
            reverse=reverse,
            sort_column=ORDER_SORT_COLUMNS[sortKey],
            query=query,
            fields=ORDER_SEARCH_FIELDS,
            kind="orders",
        )

    def order(self, info: GraphQLResolveInfo, id: str) -> OrderView | None:
        kind, record_id = parse_gid(id)
        return self.v.order_by_id(record_id) if kind == "Order" else None

    def node(self, info: GraphQLResolveInfo, id: str) -> Any:
        kind, record_id = parse_gid(id)
        data = self.v.data
        if kind == "Order":
            return self.v.order_by_id(record_id)
        if kind == "ShopifyPaymentsPayout":
            record = data.payouts.get(record_id)
            return None if record is None else self.v.payout(record)
        if kind == "ShopifyPaymentsBalanceTransaction":
            record = data.balance_transactions.get(record_id)
            return None if record is None else self.v.balance_transaction(record)
        if kind == "Location":
            loc = next((loc for loc in data.locations if loc["id"] == record_id), None)
            return None if loc is None else self.v.location(loc)
        if kind == "InventoryItem":
            return self.v.inventory_item(record_id) if record_id in data.inventory_items else None
        if kind == "BulkOperation":
            return self.v.ctx.runtime.bulk.view(record_id)
        return None

    def nodes(self, info: GraphQLResolveInfo, ids: list[str]) -> list[Any]:
        if len(ids) > MAX_PAGE_SIZE:
            raise GraphQLError("ids accepts at most 250 values")
        return [self.node(info, value) for value in ids]

    @property
    def shop(self) -> ShopView:
        return ShopView(self.v.data.shop)

    @property
    def shopifyPaymentsAccount(self) -> ShopifyPaymentsAccountView:
        return ShopifyPaymentsAccountView(self.v)

    def locations(
        self,
        info: GraphQLResolveInfo,
        first: int | None = None,
        after: str | None = None,
        includeInactive: bool = False,
    ) -> dict[str, Any]:
        locations = sorted(self.v.data.locations, key=lambda loc: int(loc["id"]))
        if not includeInactive:
            locations = [loc for loc in locations if loc.get("active", True)]
        if self.v.ctx.bulk:
            self.v.ctx.bulk_page = {"has_next": False, "end_cursor": None}
        return self.v.nested(info, locations, self.v.location, first=first, after=after)

    def location(self, info: GraphQLResolveInfo, id: str | None = None) -> LocationView | None:
        locations = self.v.data.locations
        if id is None:
            return self.v.location(locations[0]) if locations else None
        _, record_id = parse_gid(id)
        loc = next((loc for loc in locations if loc["id"] == record_id), None)
        return None if loc is None else self.v.location(loc)

    def currentBulkOperation(self, info: GraphQLResolveInfo, type: str = "QUERY") -> Any:
        return self.v.ctx.runtime.bulk.current_view()

    def bulkOperation(self, info: GraphQLResolveInfo, id: str) -> Any:
        kind, record_id = parse_gid(id)
        return self.v.ctx.runtime.bulk.view(record_id) if kind == "BulkOperation" else None


class MutationRoot:
    """Resolvers of `Mutation` for one shop."""

    def __init__(self, views: Views) -> None:
        self.v = views

    def bulkOperationRunQuery(
        self, info: GraphQLResolveInfo, query: str, groupObjects: bool = False
    ) -> dict[str, Any]:
        return self.v.ctx.runtime.bulk.submit(
            query, group_objects=groupObjects, base_url=self.v.ctx.base_url
        )

    def bulkOperationCancel(self, info: GraphQLResolveInfo, id: str) -> dict[str, Any]:
        _, record_id = parse_gid(id)
        return self.v.ctx.runtime.bulk.cancel(record_id)

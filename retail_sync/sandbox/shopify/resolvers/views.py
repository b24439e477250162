"""The request's context and `Views`, which builds the view objects and the connections."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, GraphQLResolveInfo

from retail_sync.sandbox.shopify.paging import MAX_PAGE_SIZE, CursorError, list_page, page_rows
from retail_sync.sandbox.shopify.resolvers.inventory import InventoryItemView, LocationView
from retail_sync.sandbox.shopify.resolvers.orders import OrderView
from retail_sync.sandbox.shopify.resolvers.payments import BalanceTransactionView, PayoutView
from retail_sync.sandbox.shopify.resolvers.scalars import money
from retail_sync.sandbox.shopify.search import BoolArray, FieldSpec, SearchSyntaxError, search_mask
from retail_sync.sandbox.shopify.store import RecordIndex

if TYPE_CHECKING:
    from retail_sync.sandbox.shopify.bulk import BulkOperationView
    from retail_sync.sandbox.shopify.runtime import ShopRuntime


@dataclass
class RequestContext:
    """Per-request state handed to every resolver as `info.context`."""

    runtime: ShopRuntime
    base_url: str
    bulk: bool = False
    bulk_after: str | None = None
    bulk_page: dict[str, Any] = field(default_factory=dict)
    search: list[dict[str, Any]] = field(default_factory=list)


def bad_request(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_REQUEST"})


def _page_size(context: RequestContext, first: int | None, *, top_level: bool) -> int | None:
    """The rows one page holds: `first`, checked; in a bulk run a full page (nested: all)."""
    if context.bulk:
        return MAX_PAGE_SIZE if top_level else None
    if first is None:
        raise bad_request("you must provide one of first or last")
    if first < 0 or first > MAX_PAGE_SIZE:
        raise bad_request(f"The value of first must be between 0 and {MAX_PAGE_SIZE}")
    return first


def _connection(cursors: list[str], nodes: list[Any], page_info: dict[str, Any]) -> dict[str, Any]:
    return {
        "edges": [
            {"cursor": cursor, "node": node} for cursor, node in zip(cursors, nodes, strict=True)
        ],
        "nodes": nodes,
        "pageInfo": page_info,
    }


class Views:
    """Builds view objects for one shop with the request's context."""

    def __init__(self, context: RequestContext) -> None:
        self.context = context
        self.data = context.runtime.data
        self.faults = context.runtime.faults

    def money_bag(self, value: dict[str, Any] | None, order: dict[str, Any]) -> dict[str, Any]:
        """A `MoneyBag` of an order's record: shop and presentment amounts, in its currencies."""
        value = value or {"shop": "0.00", "presentment": "0.00"}
        return {
            "shopMoney": money(value.get("shop"), order["currency"]),
            "presentmentMoney": money(value.get("presentment"), order["presentment_currency"]),
        }

    def top_level_connection(
        self,
        info: GraphQLResolveInfo,
        index: RecordIndex,
        make: Callable[[dict[str, Any]], Any],
        *,
        first: int | None,
        after: str | None,
        reverse: bool,
        sort_column: str | None,
        query: str | None,
        fields: dict[str, FieldSpec],
        kind: str,
    ) -> dict[str, Any]:
        """A top-level connection over an indexed file; `kind` names it to the faults."""
        context = self.context
        limit = _page_size(context, first, top_level=True)
        mask = self._search(info, index, fields, query)
        if context.bulk:
            after = context.bulk_after
        rewind = self._duplicate_rewind(kind, after)
        try:
            page = page_rows(
                index, sort_column, mask, first=limit, after=after, reverse=reverse, rewind=rewind
            )
        except CursorError as error:
            raise bad_request(str(error)) from None
        nodes = [make(index.read(row)) for row in page.rows]
        page_info = page.page_info()
        if context.bulk:
            context.bulk_page = {"has_next": page.has_next, "end_cursor": page_info["endCursor"]}
        return _connection(page.cursors, nodes, page_info)

    def _search(
        self,
        info: GraphQLResolveInfo,
        index: RecordIndex,
        fields: dict[str, FieldSpec],
        query: str | None,
    ) -> BoolArray | None:
        """The rows `query` matches (None: all); it is reported in `extensions.search`."""
        try:
            mask, warnings = search_mask(index, fields, query)
        except SearchSyntaxError as error:
            raise bad_request(str(error)) from None
        if query is not None:
            search = {"path": [info.field_name], "query": query, "warnings": warnings}
            self.context.search.append(search)
        return mask

    def _duplicate_rewind(self, kind: str, after: str | None) -> int:
        """How many rows from before `after` the duplicate-page fault serves again (0: none)."""
        if self.context.bulk or after is None:
            return 0
        chance = self.faults.rng_chance("duplicate-page", f"{kind}|{after}")
        if chance >= self.faults.profile.duplicate_rate:
            return 0
        return 1 + int(self.faults.rng_chance("duplicate-size", after) * 3)

    def nested_connection(
        self,
        info: GraphQLResolveInfo,
        items: list[Any],
        make: Callable[[Any], Any],
        *,
        first: int | None,
        after: str | None,
    ) -> dict[str, Any]:
        """A connection over a small list held in a record (line items, refund lines)."""
        limit = _page_size(self.context, first, top_level=False)
        try:
            chosen, cursors, page_info = list_page(items, first=limit, after=after)
        except CursorError as error:
            raise bad_request(str(error)) from None
        return _connection(cursors, [make(item) for item in chosen], page_info)

    def order(self, record: dict[str, Any]) -> OrderView:
        return OrderView(self.faults.malform_order(record), self)

    def order_by_id(self, order_id: int) -> OrderView | None:
        record = self.data.orders.get(order_id)
        return None if record is None else self.order(record)

    def payout(self, record: dict[str, Any]) -> PayoutView:
        return PayoutView(self.faults.malform_money_record("payout", record, "net"), self)

    def payout_by_id(self, payout_id: int) -> PayoutView | None:
        record = self.data.payouts.get(payout_id)
        return None if record is None else self.payout(record)

    def balance_transaction(self, record: dict[str, Any]) -> BalanceTransactionView:
        broken = self.faults.malform_money_record("balance", record, "amount")
        return BalanceTransactionView(broken, self)

    def balance_transaction_by_id(self, transaction_id: int) -> BalanceTransactionView | None:
        record = self.data.balance_transactions.get(transaction_id)
        return None if record is None else self.balance_transaction(record)

    def location(self, record: dict[str, Any]) -> LocationView:
        return LocationView(record, self)

    def location_by_id(self, location_id: int | None) -> LocationView | None:
        record = next((loc for loc in self.data.locations if loc["id"] == location_id), None)
        return None if record is None else self.location(record)

    def inventory_item(self, item_id: int) -> InventoryItemView:
        """The item's view; an item the shop does not list is served with its id alone."""
        record = self.data.inventory_items.get(item_id) or {"id": item_id, "sku": None}
        return InventoryItemView(record, self)

    def listed_inventory_item(self, item_id: int) -> InventoryItemView | None:
        return self.inventory_item(item_id) if item_id in self.data.inventory_items else None

    def bulk_operation(self, number: int) -> BulkOperationView | None:
        return self.context.runtime.bulk.view(number)

"""The root resolvers: `Query` and `Mutation` (bulk operations) for one shop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

from retail_sync.sandbox.shopify.paging import MAX_PAGE_SIZE
from retail_sync.sandbox.shopify.resolvers.inventory import LocationView
from retail_sync.sandbox.shopify.resolvers.orders import ORDER_SORT_COLUMNS, OrderView
from retail_sync.sandbox.shopify.resolvers.payments import ShopifyPaymentsAccountView
from retail_sync.sandbox.shopify.resolvers.scalars import parse_gid
from retail_sync.sandbox.shopify.resolvers.shop import ShopView
from retail_sync.sandbox.shopify.resolvers.views import Views, bad_request
from retail_sync.sandbox.shopify.search import ORDER_SEARCH_FIELDS

# How `node` finds the record of each global id type it serves.
_NODE_LOOKUPS: dict[str, Callable[[Views, int], Any]] = {
    "Order": Views.order_by_id,
    "ShopifyPaymentsPayout": Views.payout_by_id,
    "ShopifyPaymentsBalanceTransaction": Views.balance_transaction_by_id,
    "Location": Views.location_by_id,
    "InventoryItem": Views.listed_inventory_item,
    "BulkOperation": Views.bulk_operation,
}


class QueryRoot:
    """Resolvers of `Query` for one shop."""

    def __init__(self, views: Views) -> None:
        self.views = views

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
            raise bad_request(f"sortKey {sortKey} is not supported by the sandbox")
        return self.views.top_level_connection(
            info,
            self.views.data.orders,
            self.views.order,
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
        return self.views.order_by_id(record_id) if kind == "Order" else None

    def node(self, info: GraphQLResolveInfo, id: str) -> Any:
        kind, record_id = parse_gid(id)
        lookup = _NODE_LOOKUPS.get(kind)
        return None if lookup is None else lookup(self.views, record_id)

    def nodes(self, info: GraphQLResolveInfo, ids: list[str]) -> list[Any]:
        if len(ids) > MAX_PAGE_SIZE:
            raise GraphQLError("ids accepts at most 250 values")
        return [self.node(info, value) for value in ids]

    @property
    def shop(self) -> ShopView:
        return ShopView(self.views.data.shop)

    @property
    def shopifyPaymentsAccount(self) -> ShopifyPaymentsAccountView:
        return ShopifyPaymentsAccountView(self.views)

    def locations(
        self,
        info: GraphQLResolveInfo,
        first: int | None = None,
        after: str | None = None,
        includeInactive: bool = False,
    ) -> dict[str, Any]:
        locations = sorted(self.views.data.locations, key=lambda loc: int(loc["id"]))
        if not includeInactive:
            locations = [loc for loc in locations if loc.get("active", True)]
        if self.views.context.bulk:
            self.views.context.bulk_page = {"has_next": False, "end_cursor": None}
        return self.views.nested_connection(
            info, locations, self.views.location, first=first, after=after
        )

    def location(self, info: GraphQLResolveInfo, id: str | None = None) -> LocationView | None:
        if id is None:
            locations = self.views.data.locations
            return self.views.location(locations[0]) if locations else None
        _, record_id = parse_gid(id)
        return self.views.location_by_id(record_id)

    def currentBulkOperation(self, info: GraphQLResolveInfo, type: str = "QUERY") -> Any:
        return self.views.context.runtime.bulk.current_view()

    def bulkOperation(self, info: GraphQLResolveInfo, id: str) -> Any:
        kind, record_id = parse_gid(id)
        return self.views.bulk_operation(record_id) if kind == "BulkOperation" else None


class MutationRoot:
    """Resolvers of `Mutation` for one shop."""

    def __init__(self, views: Views) -> None:
        self.views = views

    def bulkOperationRunQuery(
        self, info: GraphQLResolveInfo, query: str, groupObjects: bool = False
    ) -> dict[str, Any]:
        context = self.views.context
        return context.runtime.bulk.submit(
            query, group_objects=groupObjects, base_url=context.base_url
        )

    def bulkOperationCancel(self, info: GraphQLResolveInfo, id: str) -> dict[str, Any]:
        _, record_id = parse_gid(id)
        return self.views.context.runtime.bulk.cancel(record_id)

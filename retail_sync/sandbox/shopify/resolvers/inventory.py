"""Views of inventory: locations, their inventory levels, and inventory items."""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, GraphQLResolveInfo

from retail_sync.sandbox.shopify.paging import MAX_PAGE_SIZE
from retail_sync.sandbox.shopify.resolvers.scalars import gid, money, render_time
from retail_sync.sandbox.shopify.search import parse_search
from retail_sync.sandbox.shopify.store import InventoryLevelState, to_micros

if TYPE_CHECKING:
    from retail_sync.sandbox.shopify.resolvers.views import Views

_COMPARISONS = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "=": operator.eq,
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

    def __init__(self, level: InventoryLevelState, views: Views) -> None:
        self.level, self.views = level, views
        self.id = (
            f"gid://shopify/InventoryLevel/{level.location_id}"
            f"?inventory_item_id={level.inventory_item_id}"
        )
        self.updatedAt = render_time(level.at)

    @property
    def item(self) -> InventoryItemView:
        return self.views.inventory_item(self.level.inventory_item_id)

    @property
    def location(self) -> LocationView | None:
        return self.views.location_by_id(self.level.location_id)

    def quantities(self, info: GraphQLResolveInfo, names: list[str]) -> list[dict[str, Any]]:
        if len(names) > MAX_PAGE_SIZE:
            raise GraphQLError("names accepts at most 250 values")
        return [
            {
                "id": f"{self.id}&name={name}",
                "name": name,
                "quantity": int(self.level.quantities.get(name, 0)),
                "updatedAt": self.updatedAt,
            }
            for name in names
        ]


class LocationView:
    typename = "Location"

    def __init__(self, record: dict[str, Any], views: Views) -> None:
        self.record, self.views = record, views
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
        data = self.views.data
        levels = [
            level
            for level in data.inventory_levels_at(data.world_now())
            if level.location_id == self.record["id"]
        ]
        items = [
            {"id": level.inventory_item_id, "level": level}
            for level in _updated_within(levels, query)
        ]
        return self.views.nested_connection(
            info,
            items,
            lambda item: InventoryLevelView(item["level"], self.views),
            first=first,
            after=after,
        )


def _updated_within(
    levels: list[InventoryLevelState], query: str | None
) -> list[InventoryLevelState]:
    """The levels the query's `updated_at` terms keep (its other terms are ignored)."""
    terms, _ = parse_search(query)
    for term in terms:
        if term.field != "updated_at":
            continue
        bound = to_micros(term.value)
        compare = _COMPARISONS[term.op]
        levels = [level for level in levels if compare(to_micros(level.at), bound) != term.negated]
    return levels

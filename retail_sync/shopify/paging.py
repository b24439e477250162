"""Cursor paging over a connection: `first`/`after`/`pageInfo`, page size fitted to the cost limit.

The query must declare `$first: Int!` and `$after: String` and select `pageInfo { hasNextPage
endCursor }` and `nodes { id … }` on the connection found at `connection_path` in `data`.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Iterator, Mapping, Sequence
from typing import Any

from retail_sync.shopify.client import MAX_QUERY_COST, ShopifyClient, ShopifyError

MAX_PAGE_SIZE = 250
# The fixed part of a paged query's requested cost: the connection (2) and its wrapper object.
FIXED_COST = 3
COST_LIMIT_CODES = frozenset({"MAX_COST_EXCEEDED", "COST_EXCEEDS_BUCKET"})


def fitted_page_size(requested_cost: float, first: int, limit: float, ceiling: int) -> int:
    """The largest `first` whose requested cost stays within `limit` (cost is linear in `first`)."""
    per_node = max(1.0, (requested_cost - FIXED_COST) / max(1, first))
    return max(1, min(ceiling, math.floor((limit - FIXED_COST) / per_node)))


def iter_pages(
    client: ShopifyClient,
    query: str,
    connection_path: Sequence[str],
    *,
    variables: Mapping[str, Any] | None = None,
    page_size: int = MAX_PAGE_SIZE,
    after: str | None = None,
) -> Generator[list[dict[str, Any]], None, None]:
    """Yield each page's nodes until `hasNextPage` is false; the caller may stop early.

    `first` shrinks so a page's requested cost fits both the 1000-point query limit and the
    bucket's `maximumAvailable` (a page bigger than the bucket could never run).
    """
    ceiling = max(1, min(MAX_PAGE_SIZE, page_size))
    first = ceiling
    while True:
        try:
            data = client.execute(query, {**(variables or {}), "first": first, "after": after})
        except ShopifyError as error:
            cost = error.extensions.get("cost")
            if error.code in COST_LIMIT_CODES and isinstance(cost, int | float) and first > 1:
                limit = float(error.extensions.get("maxCost") or MAX_QUERY_COST)
                first = min(first - 1, fitted_page_size(float(cost), first, limit, ceiling))
                continue
            raise
        connection: Any = data
        for key in connection_path:
            connection = (connection or {}).get(key)
        connection = connection or {}
        yield list(connection.get("nodes") or [])
        info = connection.get("pageInfo") or {}
        if not info.get("hasNextPage"):
            return
        after = info.get("endCursor")
        cost = client.last_cost
        if cost is not None and cost.requested > 0:
            limit = min(float(MAX_QUERY_COST), cost.maximum_available)
            first = fitted_page_size(cost.requested, first, limit, ceiling)


def iter_nodes(
    client: ShopifyClient,
    query: str,
    connection_path: Sequence[str],
    *,
    variables: Mapping[str, Any] | None = None,
    page_size: int = MAX_PAGE_SIZE,
    seen: set[str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Every node once: records a page repeats from an earlier page (by `id`) are dropped."""
    seen = set() if seen is None else seen
    for nodes in iter_pages(
        client, query, connection_path, variables=variables, page_size=page_size
    ):
        for node in nodes:
            node_id = str(node.get("id"))
            if node_id in seen:
                continue
            seen.add(node_id)
            yield node

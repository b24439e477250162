"""Cursor paging over a connection: `first`/`after`/`pageInfo`, page size fitted to the cost limit.

The query must declare `$first: Int!` and `$after: String` and select `pageInfo { hasNextPage
endCursor }` and `nodes { id … }` on the connection found at `connection_path` in `data`.
A connection of the wrong shape (not an object, no `nodes`/`edges` list, a null or non-object
node, `pageInfo` missing or mistyped, a next page without a new cursor) raises
`MALFORMED_RESPONSE`: stopping quietly there would land a window with records missing. A null
object on the path (no such order, no Payments account) is a legitimate empty page.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from retail_sync.shopify.client import (
    MALFORMED_RESPONSE,
    MAX_QUERY_COST,
    ShopifyClient,
    ShopifyError,
)

MAX_PAGE_SIZE = 250
# The fixed part of a paged query's requested cost: the connection (2) and its wrapper object.
FIXED_COST = 3
COST_LIMIT_CODES = frozenset({"MAX_COST_EXCEEDED", "COST_EXCEEDS_BUCKET"})


def fitted_page_size(requested_cost: float, first: int, limit: float, ceiling: int) -> int:
    """The largest `first` whose requested cost stays within `limit` (cost is linear in `first`)."""
    per_node = max(1.0, (requested_cost - FIXED_COST) / max(1, first))
    return max(1, min(ceiling, math.floor((limit - FIXED_COST) / per_node)))


@dataclass(frozen=True)
class Page:
    """One page of a connection: its nodes and where the next one starts (if any)."""

    nodes: list[dict[str, Any]]
    has_next_page: bool
    end_cursor: str | None


def read_page(
    data: Mapping[str, Any], connection_path: Sequence[str], request_id: str | None = None
) -> Page:
    """The connection at `connection_path` in `data`; raise MALFORMED_RESPONSE if misshapen."""

    def malformed(what: str) -> ShopifyError:
        return ShopifyError(MALFORMED_RESPONSE, f"{'.'.join(connection_path)}: {what}", request_id)

    connection: Any = data
    for depth, key in enumerate(connection_path):
        if not isinstance(connection, Mapping):
            where = ".".join(connection_path[:depth]) or "data"
            raise malformed(f"{where} is a JSON {type(connection).__name__}, not an object")
        connection = connection.get(key)
        if connection is None:
            return Page([], False, None)
    if not isinstance(connection, Mapping):
        raise malformed(f"connection is a JSON {type(connection).__name__}, not an object")
    nodes: Any = connection.get("nodes")
    if nodes is None and isinstance(connection.get("edges"), list):
        edges = connection["edges"]
        if not all(isinstance(edge, Mapping) for edge in edges):
            raise malformed("an edge is not an object")
        nodes = [edge.get("node") for edge in edges]
    if not isinstance(nodes, list):
        raise malformed("no list of nodes (or edges)")
    if not all(isinstance(node, dict) for node in nodes):
        raise malformed("a node is null or not an object")
    info = connection.get("pageInfo")
    if not isinstance(info, Mapping) or not isinstance(info.get("hasNextPage"), bool):
        raise malformed("pageInfo { hasNextPage } is missing or not a boolean")
    cursor = info.get("endCursor")
    if info["hasNextPage"] and (not isinstance(cursor, str) or not cursor):
        raise malformed("hasNextPage is true but endCursor is not a cursor")
    return Page(list(nodes), info["hasNextPage"], cursor if isinstance(cursor, str) else None)


def _refitted_first(error: ShopifyError, first: int, ceiling: int) -> int | None:
    """A smaller `first` after a cost-limit error, or None when the error is not one."""
    cost = error.extensions.get("cost")
    if error.code not in COST_LIMIT_CODES or first <= 1:
        return None
    if isinstance(cost, bool) or not isinstance(cost, int | float) or not math.isfinite(cost):
        return None
    limit = error.extensions.get("maxCost")
    if isinstance(limit, bool) or not isinstance(limit, int | float) or not limit > 0:
        limit = MAX_QUERY_COST
    limit = min(float(limit), float(MAX_QUERY_COST))
    return min(first - 1, fitted_page_size(float(cost), first, limit, ceiling))


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
            smaller = _refitted_first(error, first, ceiling)
            if smaller is None:
                raise
            first = smaller
            continue
        page = read_page(data, connection_path, client.last_request_id)
        yield page.nodes
        if not page.has_next_page:
            return
        if page.end_cursor == after:
            # The same cursor again would re-read this page forever.
            raise ShopifyError(
                MALFORMED_RESPONSE,
                f"{'.'.join(connection_path)}: endCursor did not advance",
                client.last_request_id,
            )
        after = page.end_cursor
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
    """Every node once: records a page repeats from an earlier page (by `id`) are dropped.

    A node without a usable id is never taken for a repeat: it is passed on for landing to
    quarantine, rather than every id-less node after the first vanishing here.
    """
    seen = set() if seen is None else seen
    for nodes in iter_pages(
        client, query, connection_path, variables=variables, page_size=page_size
    ):
        for node in nodes:
            node_id = node.get("id")
            if isinstance(node_id, str | int) and not isinstance(node_id, bool) and node_id != "":
                key = str(node_id)
                if key in seen:
                    continue
                seen.add(key)
            yield node

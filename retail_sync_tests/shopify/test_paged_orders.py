"""Paged orders written as bulk-shaped lines: an order read twice in one window (edited while the
window was paged, so it came back on a later page) keeps its latest copy, children included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

from retail_sync.shopify.client import ShopifyClient
from retail_sync.shopify.extract import _write_latest_orders

# Orders this small never need the client (no nested list is cut short).
NO_CLIENT = cast(ShopifyClient, None)


def _order(number: int, updated: str, items: list[int]) -> dict[str, Any]:
    return {
        "id": f"gid://shopify/Order/{number}",
        "updatedAt": updated,
        "refunds": [],
        "transactions": [],
        "lineItems": {
            "nodes": [{"id": f"gid://shopify/LineItem/{item}", "quantity": 1} for item in items],
            "pageInfo": {"hasNextPage": False, "endCursor": None},
        },
    }


def _ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


def test_a_newer_copy_replaces_the_earlier_one_with_its_children(tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    first_page = [
        _order(1, "2026-10-01T05:00:00Z", [11, 12]),
        _order(2, "2026-10-01T05:30:00Z", [21]),
    ]
    # Order 1 was edited while paging (line item 12 removed): it comes back on a later page.
    later_page = [_order(1, "2026-10-01T06:00:00Z", [11])]
    _write_latest_orders(NO_CLIENT, [first_page, iter([later_page])], path)
    assert _ids(path) == [
        "gid://shopify/Order/2",
        "gid://shopify/LineItem/21",
        "gid://shopify/Order/1",
        "gid://shopify/LineItem/11",
    ]
    assert json.loads(path.read_text().splitlines()[2])["updatedAt"] == "2026-10-01T06:00:00Z"


def test_an_older_copy_read_later_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    pages = [
        [_order(1, "2026-10-01T06:00:00+00:00", [11])],
        [_order(1, "2026-10-01T05:00:00Z", [12])],
    ]
    _write_latest_orders(NO_CLIENT, pages, path)
    assert _ids(path) == ["gid://shopify/Order/1", "gid://shopify/LineItem/11"]


def test_orders_read_once_are_written_as_read(tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    pages = [[_order(1, "2026-10-01T05:00:00Z", [11]), _order(2, "2026-10-01T05:00:00Z", [])]]
    _write_latest_orders(NO_CLIENT, pages, path)
    assert _ids(path) == [
        "gid://shopify/Order/1",
        "gid://shopify/LineItem/11",
        "gid://shopify/Order/2",
    ]

"""Paging through the Shopify simulator's `orders` connection to the end: no duplicates, no gaps.

Uses a generated 600-order world whose `updated_at` values tie in runs of seven and whose file
is not in id order, so cursors must break ties by id; checks every sort key, `reverse`, and
paging under a `query:` window.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from retail_sync.sandbox.serving import RunningServer
from retail_sync.sandbox.shopify import start_shopify_simulator
from retail_sync_tests.sandbox.shopify_fixtures import graphql, make_world

ORDERS = 600


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    world = make_world(Path(tmp_path_factory.mktemp("paging")), ORDERS, plan="ENTERPRISE")
    running = start_shopify_simulator(world)
    yield running
    running.stop()


PAGE = """query Page($after: String, $sortKey: OrderSortKeys, $reverse: Boolean, $query: String) {
  orders(first: 50, after: $after, sortKey: $sortKey, reverse: $reverse, query: $query) {
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { legacyResourceId createdAt updatedAt processedAt } } } }"""


def read_all(server: RunningServer, **variables: object) -> tuple[list[dict[str, str]], int]:
    after = None
    nodes: list[dict[str, str]] = []
    pages = 0
    while True:
        body = graphql(server, PAGE, {**variables, "after": after}, token="shpat_bulk").json()
        assert "errors" not in body, body
        connection = body["data"]["orders"]
        assert connection["pageInfo"]["hasPreviousPage"] == (after is not None)
        nodes += [edge["node"] for edge in connection["edges"]]
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            return nodes, pages
        after = connection["pageInfo"]["endCursor"]
        assert after == connection["edges"][-1]["cursor"]


@pytest.mark.parametrize(
    ("sort_key", "field"),
    [
        ("ID", None),
        ("UPDATED_AT", "updatedAt"),
        ("CREATED_AT", "createdAt"),
        ("PROCESSED_AT", "processedAt"),
    ],
)
def test_paging_to_the_end_has_no_duplicates_or_gaps(
    server: RunningServer, sort_key: str, field: str | None
) -> None:
    nodes, pages = read_all(server, sortKey=sort_key)
    ids = [int(node["legacyResourceId"]) for node in nodes]
    assert pages == ORDERS // 50
    assert len(ids) == len(set(ids)) == ORDERS
    assert set(ids) == set(range(1_000_001, 1_000_001 + ORDERS))
    keys = [(node[field] if field else "", int(node["legacyResourceId"])) for node in nodes]
    assert keys == sorted(keys)


def test_reverse_paging_is_the_mirror_image(server: RunningServer) -> None:
    forward, _ = read_all(server, sortKey="UPDATED_AT")
    backward, _ = read_all(server, sortKey="UPDATED_AT", reverse=True)
    assert backward == forward[::-1]


def test_paging_inside_a_window(server: RunningServer) -> None:
    window = "updated_at:>='2026-10-01T02:00:00Z' updated_at:<'2026-10-01T05:00:00Z'"
    nodes, _ = read_all(server, sortKey="UPDATED_AT", query=window)
    everything, _ = read_all(server, sortKey="UPDATED_AT")
    expected = [
        n for n in everything if "2026-10-01T02:00:00Z" <= n["updatedAt"] < "2026-10-01T05:00:00Z"
    ]
    assert nodes == expected
    assert 100 < len(nodes) < ORDERS


def test_test_filter_and_negation(server: RunningServer) -> None:
    live, _ = read_all(server, query="test:false")
    test, _ = read_all(server, query="-test:false")
    assert len(live) + len(test) == ORDERS
    assert all(int(n["legacyResourceId"]) % 10 == 0 for n in test)

"""The unmodified official `ShopifyAPI` package runs GraphQL queries against the simulator.

`shopify.Session` + `ShopifyResource.activate_session` + `set_site` pointed at the loopback
simulator, then `shopify.GraphQL().execute(...)`, exactly as an app would call real Shopify.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import shopify  # the unmodified official package (dev extra); missing means a broken install

from retail_sync.sandbox.serving import RunningServer
from retail_sync.sandbox.shopify import start_shopify_simulator
from retail_sync_tests.sandbox.shopify_fixtures import NORTH_TOKEN, TINY_WORLD


@pytest.fixture
def session(tmp_path: object) -> Iterator[RunningServer]:
    with start_shopify_simulator(TINY_WORLD) as server:
        api_session = shopify.Session("north-outfitters.myshopify.com", "2026-01", NORTH_TOKEN)
        shopify.ShopifyResource.activate_session(api_session)
        shopify.ShopifyResource.set_site(f"{server.url}/admin/api/2026-01")
        try:
            yield server
        finally:
            shopify.ShopifyResource.clear_session()


def test_official_client_pages_orders(session: RunningServer) -> None:
    query = """query Orders($after: String) { orders(first: 2, after: $after, sortKey: UPDATED_AT) {
      pageInfo { hasNextPage endCursor }
      nodes { id name totalPriceSet { shopMoney { amount } } } } }"""
    names: list[str] = []
    after = None
    while True:
        body = json.loads(shopify.GraphQL().execute(query, {"after": after}))
        assert body["extensions"]["cost"]["throttleStatus"]["restoreRate"] == 200.0
        names += [node["name"] for node in body["data"]["orders"]["nodes"]]
        if not body["data"]["orders"]["pageInfo"]["hasNextPage"]:
            break
        after = body["data"]["orders"]["pageInfo"]["endCursor"]
    assert sorted(names) == [f"#100{n}" for n in range(1, 7)]


def test_official_client_gets_graphql_errors(session: RunningServer) -> None:
    body = json.loads(shopify.GraphQL().execute("{ shop { nme } }"))
    assert "Cannot query field 'nme'" in body["errors"][0]["message"]

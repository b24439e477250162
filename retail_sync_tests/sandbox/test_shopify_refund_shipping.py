"""`Refund.refundShippingLines` in the Shopify simulator: its shape (2026-01), paging, the shipping
line each names, and the bulk JSONL (one line per refund shipping line, parented by its refund)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from retail_sync.sandbox.serving import RunningServer
from retail_sync.sandbox.shopify import start_shopify_simulator
from retail_sync_tests.sandbox.refund_shipping_world import (
    EXPRESS_ID,
    ORDER_ID,
    REFUND_ID,
    REFUND_SHIPPING_LINES,
    TOKEN,
    refund_shipping_world,
)
from retail_sync_tests.sandbox.shopify_fixtures import bulk_lines, graphql

BAG = "{ shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }"
PAGE = f"""query Page($id: ID!, $after: String) {{ order(id: $id) {{ refunds(first: 1) {{ id
  refundShippingLines(first: 2, after: $after) {{ pageInfo {{ hasNextPage endCursor }}
    edges {{ cursor node {{ id shippingLine {{ id title }} subtotalAmountSet {BAG}
      taxAmountSet {BAG} }} }} }} }} }} }}"""
BULK = f"""{{ orders {{ edges {{ node {{ id refunds {{ id
  refundShippingLines {{ edges {{ node {{ id shippingLine {{ id }} subtotalAmountSet {BAG}
    taxAmountSet {BAG} }} }} }} }} }} }} }} }}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    world = refund_shipping_world(Path(tmp_path_factory.mktemp("refund-shipping")))
    running = start_shopify_simulator(world)
    yield running
    running.stop()


def _amount(bag: dict[str, Any], side: str = "shopMoney") -> Decimal:
    assert bag[side]["currencyCode"] == "USD"
    return Decimal(bag[side]["amount"])


def _page(server: RunningServer, after: str | None) -> dict[str, Any]:
    variables = {"id": f"gid://shopify/Order/{ORDER_ID}", "after": after}
    body = graphql(server, PAGE, variables, token=TOKEN).json()
    assert "errors" not in body, body
    (refund,) = body["data"]["order"]["refunds"]
    assert refund["id"] == f"gid://shopify/Refund/{REFUND_ID}"
    return dict(refund["refundShippingLines"])


def test_refund_shipping_lines_page_and_name_their_shipping_line(server: RunningServer) -> None:
    first = _page(server, None)
    assert first["pageInfo"]["hasNextPage"] is True
    second = _page(server, first["pageInfo"]["endCursor"])
    assert second["pageInfo"]["hasNextPage"] is False
    nodes = [edge["node"] for edge in first["edges"] + second["edges"]]
    served = [
        (
            node["id"],
            node["shippingLine"]["id"],
            _amount(node["subtotalAmountSet"]),
            _amount(node["taxAmountSet"]),
            _amount(node["subtotalAmountSet"], "presentmentMoney"),
        )
        for node in nodes
    ]
    assert served == [
        (
            f"gid://shopify/RefundShippingLine/{line_id}",
            f"gid://shopify/ShippingLine/{shipping}",
            Decimal(subtotal),
            Decimal(tax),
            Decimal(subtotal),
        )
        for line_id, shipping, subtotal, tax in REFUND_SHIPPING_LINES
    ]
    titles = [node["shippingLine"]["title"] for node in nodes]
    assert titles == ["Standard", "Standard", "Express"]


def test_orders_without_refunded_shipping_serve_an_empty_connection(server: RunningServer) -> None:
    query = """{ orders(first: 5) { nodes { id refunds(first: 2) {
      refundShippingLines(first: 5) { nodes { id } pageInfo { hasNextPage } } } } } }"""
    body = graphql(server, query, token=TOKEN).json()
    assert "errors" not in body, body
    connections = {
        order["id"]: [refund["refundShippingLines"] for refund in order["refunds"]]
        for order in body["data"]["orders"]["nodes"]
    }
    assert len(connections) == 3
    (refunded,) = connections.pop(f"gid://shopify/Order/{ORDER_ID}")
    assert len(refunded["nodes"]) == 3
    assert all(refunds == [] for refunds in connections.values())


def test_an_unknown_field_of_refund_shipping_line_is_a_schema_error(server: RunningServer) -> None:
    query = """{ orders(first: 1) { nodes { refunds(first: 1) {
      refundShippingLines(first: 1) { nodes { priceSet { shopMoney { amount } } } } } } } }"""
    errors = graphql(server, query, token=TOKEN).json()["errors"]
    assert "Cannot query field 'priceSet' on type 'RefundShippingLine'" in errors[0]["message"]


def test_bulk_writes_each_refund_shipping_line_under_its_refund(server: RunningServer) -> None:
    lines = bulk_lines(server, BULK, TOKEN)
    roots = [line for line in lines if "__parentId" not in line]
    assert len(roots) == 3
    (refund,) = next(root for root in roots if root["id"].endswith(f"/{ORDER_ID}"))["refunds"]
    assert refund == {"id": f"gid://shopify/Refund/{REFUND_ID}"}  # the connection is pulled out
    children = [line for line in lines if "__parentId" in line]
    assert [(line["id"], line["__parentId"], line["shippingLine"]) for line in children] == [
        (
            f"gid://shopify/RefundShippingLine/{line_id}",
            f"gid://shopify/Refund/{REFUND_ID}",
            {"id": f"gid://shopify/ShippingLine/{shipping}"},
        )
        for line_id, shipping, _, _ in REFUND_SHIPPING_LINES
    ]
    express = children[-1]
    assert express["shippingLine"]["id"].endswith(f"/{EXPRESS_ID}")
    assert _amount(express["subtotalAmountSet"]) == Decimal("5.00")
    assert _amount(children[0]["taxAmountSet"], "presentmentMoney") == Decimal("0.32")

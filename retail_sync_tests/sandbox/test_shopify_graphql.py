"""Shopify simulator over HTTP: routing, auth, API versions, schema validation errors, shapes.

Runs the real simulator on a loopback port against the shared tiny world and checks that bad
requests get Shopify's answers (401, 404, GraphQL errors) and good ones Shopify's shapes.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from retail_sync.sandbox.serving import RunningServer
from retail_sync.sandbox.shopify import start_shopify_simulator
from retail_sync_tests.sandbox.shopify_fixtures import (
    ALPEN_TOKEN,
    API,
    NORTH_TOKEN,
    TINY_WORLD,
    graphql,
)


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    running = start_shopify_simulator(TINY_WORLD)
    yield running
    running.stop()


ORDER_FIELDS = """
  id legacyResourceId name createdAt processedAt updatedAt cancelledAt cancelReason test
  currencyCode presentmentCurrencyCode displayFinancialStatus taxesIncluded
  totalPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }
  currentTotalPriceSet { shopMoney { amount } }
  subtotalPriceSet { shopMoney { amount } }
  totalTaxSet { shopMoney { amount } }
  totalShippingPriceSet { shopMoney { amount } }
  totalDiscountsSet { shopMoney { amount } }
  lineItems(first: 2) { nodes { id sku quantity currentQuantity
    originalUnitPriceSet { shopMoney { amount } } originalTotalSet { shopMoney { amount } }
    taxLines { title rate priceSet { shopMoney { amount } } } } }
  refunds(first: 1) { id createdAt totalRefundedSet { shopMoney { amount } }
    refundLineItems(first: 2) { nodes { quantity restockType lineItem { id sku }
      subtotalSet { shopMoney { amount } } totalTaxSet { shopMoney { amount } } } } }
  transactions(first: 3) { id kind status gateway amountSet { shopMoney { amount } }
    parentTransaction { id } }
"""


def test_missing_or_wrong_token_is_401(server: RunningServer) -> None:
    response = httpx.post(server.url + API, json={"query": "{ shop { name } }"})
    assert response.status_code == 401
    assert "Invalid API key or access token" in response.json()["errors"]
    assert graphql(server, "{ shop { name } }", token="nope").status_code == 401


def test_token_selects_the_shop_and_path_prefix_must_match(server: RunningServer) -> None:
    north = graphql(server, "{ shop { name currencyCode } }").json()["data"]["shop"]
    alpen = graphql(server, "{ shop { name currencyCode } }", token=ALPEN_TOKEN).json()
    assert north == {"name": "North Outfitters", "currencyCode": "USD"}
    assert alpen["data"]["shop"]["currencyCode"] == "EUR"
    prefixed = "/shops/alpen-supply/admin/api/2026-04/graphql.json"
    assert graphql(server, "{ shop { name } }", token=ALPEN_TOKEN, path=prefixed).status_code == 200
    assert graphql(server, "{ shop { name } }", token=NORTH_TOKEN, path=prefixed).status_code == 401


@pytest.mark.parametrize("version", ["2025-10", "2026-02", "latest", "2024-01"])
def test_unsupported_api_version_is_404(server: RunningServer, version: str) -> None:
    response = graphql(server, "{ shop { name } }", path=f"/admin/api/{version}/graphql.json")
    assert response.status_code == 404


def test_syntax_error_is_a_graphql_error_not_a_crash(server: RunningServer) -> None:
    response = graphql(server, "{ orders(first: 2) { nodes { id }")
    assert response.status_code == 200
    errors = response.json()["errors"]
    assert "Syntax Error" in errors[0]["message"]
    assert errors[0]["locations"]


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("{ orders(first: 2) { nodes { idd } } }", "Cannot query field 'idd' on type 'Order'"),
        ('{ orders(first: "two") { nodes { id } } }', "Int cannot represent"),
        ("{ orders(first: 2, sortKey: COLOUR) { nodes { id } } }", "COLOUR"),
        ("{ order { id } }", "argument 'id' of type 'ID!' is required"),
        ("{ shop }", "must have a selection of subfields"),
        ("query Q($n: Int!) { orders(first: $n) { nodes { id } } }", "Variable '$n'"),
    ],
)
def test_schema_validation_errors(server: RunningServer, query: str, fragment: str) -> None:
    response = graphql(server, query)
    assert response.status_code == 200
    body = response.json()
    assert "data" not in body or body["data"] is None
    assert any(fragment in error["message"] for error in body["errors"]), body


def test_page_size_and_missing_first_are_errors(server: RunningServer) -> None:
    too_big = graphql(server, "{ orders(first: 251) { nodes { id } } }").json()
    assert "between 0 and 250" in too_big["errors"][0]["message"]
    missing = graphql(server, "{ orders { nodes { id } } }").json()
    assert "first or last" in missing["errors"][0]["message"]
    bad_cursor = graphql(server, '{ orders(first: 1, after: "zz") { nodes { id } } }').json()
    assert "Invalid cursor" in bad_cursor["errors"][0]["message"]


def test_order_shapes_match_shopify(server: RunningServer) -> None:
    body = graphql(server, "{ orders(first: 6) { nodes { " + ORDER_FIELDS + " } } }").json()
    assert "errors" not in body, body
    orders = body["data"]["orders"]["nodes"]
    assert len(orders) == 6
    first = orders[0]
    assert first["id"] == "gid://shopify/Order/1000001"
    assert first["legacyResourceId"] == "1000001"
    assert first["createdAt"] == "2026-10-31T14:05:00Z"  # -04:00 rendered in UTC
    assert first["displayFinancialStatus"] == "PARTIALLY_REFUNDED"
    for order in orders:
        for bag in ("totalPriceSet", "subtotalPriceSet", "totalTaxSet"):
            amount = order[bag]["shopMoney"]["amount"]
            assert isinstance(amount, str)
            Decimal(amount)
        assert order["updatedAt"].endswith("Z")
    total = Decimal(first["totalPriceSet"]["shopMoney"]["amount"])
    refunded = sum(Decimal(r["totalRefundedSet"]["shopMoney"]["amount"]) for r in first["refunds"])
    assert Decimal(first["currentTotalPriceSet"]["shopMoney"]["amount"]) == total - refunded
    refund_line = first["refunds"][0]["refundLineItems"]["nodes"][0]
    assert refund_line["lineItem"]["id"] == first["lineItems"]["nodes"][0]["id"]
    refund_tx = next(t for t in first["transactions"] if t["kind"] == "REFUND")
    assert refund_tx["parentTransaction"]["id"].startswith("gid://shopify/OrderTransaction/")


def test_order_and_node_lookups(server: RunningServer) -> None:
    query = """{ order(id: "gid://shopify/Order/1000002") { name }
      node(id: "gid://shopify/ShopifyPaymentsPayout/6000001") {
        ... on ShopifyPaymentsPayout { status net { amount currencyCode } } }
      missing: order(id: "gid://shopify/Order/42") { name } }"""
    data = graphql(server, query).json()["data"]
    assert data["order"] == {"name": "#1002"}
    assert data["node"]["status"] == "PAID"
    assert data["missing"] is None


def test_orders_query_filter_on_updated_at(server: RunningServer) -> None:
    query = """{ orders(first: 50, sortKey: UPDATED_AT,
      query: "updated_at:>='2026-11-01T00:00:00Z' updated_at:<'2026-11-01T14:00:00Z'") {
      nodes { name updatedAt } } }"""
    body = graphql(server, query).json()
    nodes = body["data"]["orders"]["nodes"]
    assert nodes
    assert all("2026-11-01T00:00:00Z" <= n["updatedAt"] < "2026-11-01T14:00:00Z" for n in nodes)
    assert [n["updatedAt"] for n in nodes] == sorted(n["updatedAt"] for n in nodes)
    assert body["extensions"]["search"][0]["warnings"] == []


def test_unknown_search_field_is_ignored_with_a_warning(server: RunningServer) -> None:
    body = graphql(server, '{ orders(first: 50, query: "colour:red") { nodes { id } } }').json()
    assert len(body["data"]["orders"]["nodes"]) == 6
    assert body["extensions"]["search"][0]["warnings"][0]["field"] == "colour"


def test_payouts_balance_transactions_and_inventory(server: RunningServer) -> None:
    query = """{ shopifyPaymentsAccount {
        payouts(first: 10) { nodes { id legacyResourceId status issuedAt transactionType
          net { amount currencyCode }
          summary { chargesGross { amount } chargesFee { amount } refundsFeeGross { amount }
                    advanceGross { amount } } } }
        balanceTransactions(first: 50, query: "payments_transfer_id:6000001") {
          nodes { id type test transactionDate sourceType sourceId sourceOrderTransactionId
            amount { amount currencyCode } fee { amount } net { amount } adjustmentReason
            associatedOrder { id name } associatedPayout { id status } } } }
      locations(first: 5) { nodes { id name inventoryLevels(first: 10) { nodes {
        item { id sku } location { name }
        quantities(names: ["available", "on_hand", "committed"]) { name quantity } } } } } }"""
    body = graphql(server, query).json()
    assert "errors" not in body, body
    account = body["data"]["shopifyPaymentsAccount"]
    payout = account["payouts"]["nodes"][0]
    assert payout["id"] == "gid://shopify/ShopifyPaymentsPayout/6000001"
    assert payout["transactionType"] == "DEPOSIT"
    transactions = account["balanceTransactions"]["nodes"]
    assert transactions
    assert {t["associatedPayout"]["id"] for t in transactions} == {payout["id"]}
    net = sum(Decimal(t["net"]["amount"]) for t in transactions)
    assert net == Decimal(payout["net"]["amount"])
    level = body["data"]["locations"]["nodes"][0]["inventoryLevels"]["nodes"][0]
    assert [q["name"] for q in level["quantities"]] == ["available", "on_hand", "committed"]
    assert all(isinstance(q["quantity"], int) for q in level["quantities"])

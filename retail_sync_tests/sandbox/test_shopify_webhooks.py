"""Webhooks from the Shopify simulator: headers, HMAC-SHA256 of the raw body, retries, duplicates.

A loopback receiver records what the simulator POSTs; the signature is recomputed here
independently with `hmac` and the shop's `webhook_secret` from the world.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import httpx

from retail_sync.sandbox.shopify import sign, start_shopify_simulator, verify
from retail_sync_tests.sandbox.shopify_fixtures import NORTH_TOKEN, TINY_WORLD, webhook_receiver

SECRET = "whsec_sandbox_north"


def trigger(url: str, topic: str, order_ids: list[int], token: str = NORTH_TOKEN) -> httpx.Response:
    return httpx.post(
        url + "/sandbox/webhooks/trigger",
        json={"topic": topic, "order_ids": order_ids},
        headers={"X-Shopify-Access-Token": token},
        timeout=30,
    )


def test_sign_matches_an_independent_hmac() -> None:
    body = b'{"id":1000001,"total_price":"58.60"}'
    expected = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    assert sign(SECRET, body) == expected
    assert verify(SECRET, body, expected)
    assert not verify(SECRET, body + b" ", expected)


def test_orders_create_delivery_headers_and_signature() -> None:
    with (
        webhook_receiver() as (receiver, url),
        start_shopify_simulator(TINY_WORLD, webhook_url=url) as server,
    ):
        response = trigger(server.url, "orders/create", [1000001, 1000002])
        assert response.status_code == 200
        assert [d["status_code"] for d in response.json()["deliveries"]] == [200, 200]
        first, second = receiver.wait_for(2)
    for delivery in (first, second):
        headers = delivery.headers
        assert headers["X-Shopify-Topic"] == "orders/create"
        assert headers["X-Shopify-Shop-Domain"] == "north-outfitters.myshopify.com"
        assert headers["X-Shopify-API-Version"] == "2026-01"
        assert headers["X-Shopify-Triggered-At"].endswith("Z")
        digest = hmac.new(SECRET.encode(), delivery.body, hashlib.sha256).digest()
        assert hmac.compare_digest(
            base64.b64encode(digest).decode(), headers["X-Shopify-Hmac-Sha256"]
        )
    assert first.headers["X-Shopify-Event-Id"] != second.headers["X-Shopify-Event-Id"]
    assert first.headers["X-Shopify-Webhook-Id"] != second.headers["X-Shopify-Webhook-Id"]
    payload = json.loads(first.body)
    assert payload["admin_graphql_api_id"] == "gid://shopify/Order/1000001"
    assert payload["total_price"] == "58.60"


def test_refunds_create_and_orders_updated() -> None:
    with (
        webhook_receiver() as (receiver, url),
        start_shopify_simulator(TINY_WORLD, webhook_url=url) as server,
    ):
        trigger(server.url, "refunds/create", [1000001])
        trigger(server.url, "orders/updated", [1000001])
        refund, updated = receiver.wait_for(2)
    assert refund.headers["X-Shopify-Topic"] == "refunds/create"
    body = json.loads(refund.body)
    assert body["order_id"] == 1000001
    assert body["admin_graphql_api_id"].startswith("gid://shopify/Refund/")
    assert body["refund_line_items"] and body["transactions"][0]["kind"] == "refund"
    assert updated.headers["X-Shopify-Topic"] == "orders/updated"


def test_failed_delivery_is_retried_with_the_same_ids() -> None:
    with (
        webhook_receiver(fail_first=2) as (receiver, url),
        start_shopify_simulator(TINY_WORLD, webhook_url=url) as server,
    ):
        delivery = trigger(server.url, "orders/create", [1000003]).json()["deliveries"][0]
        (received,) = receiver.wait_for(1)
    assert delivery["attempts"] == 3 and delivery["status_code"] == 200
    assert received.headers["X-Shopify-Webhook-Id"] == delivery["webhook_id"]


def test_trigger_needs_a_token_and_a_known_topic() -> None:
    with start_shopify_simulator(TINY_WORLD) as server:
        assert trigger(server.url, "orders/create", [1000001], token="x").status_code == 401
        assert trigger(server.url, "carts/create", [1000001]).status_code == 400
        assert trigger(server.url, "orders/create", [1]).status_code == 404
        # No webhook URL configured: nothing is delivered, and that is not an error.
        assert trigger(server.url, "orders/create", [1000001]).json() == {"deliveries": []}

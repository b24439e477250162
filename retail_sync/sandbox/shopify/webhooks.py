"""Webhook delivery: Shopify's headers, an HMAC-SHA256 signature of the raw body, retries.

Deliveries are synchronous POSTs with httpx from the thread that triggers them (the admin
endpoint's handler, or the bulk worker). A non-2xx answer or a connection error is retried a few
times with a short exponential backoff (Shopify retries 8 times over 4 hours; the sandbox
compresses that). Under a profile with `webhook_duplicate_rate`, a delivered webhook is sent again
with a new X-Shopify-Webhook-Id and the *same* X-Shopify-Event-Id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from retail_sync.sandbox.shopify.faults import Faults

TOPICS = ("orders/create", "orders/updated", "refunds/create", "bulk_operations/finish")


def sign(secret: str, body: bytes) -> str:
    """`X-Shopify-Hmac-Sha256`: base64 of HMAC-SHA256 of the raw body keyed by the secret."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(secret: str, body: bytes, header: str) -> bool:
    """Constant-time check of a received signature."""
    return hmac.compare_digest(sign(secret, body), header)


@dataclass
class Delivery:
    """One delivery attempt series of one webhook."""

    topic: str
    webhook_id: str
    event_id: str
    status_code: int | None
    attempts: int
    duplicate: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "webhook_id": self.webhook_id,
            "event_id": self.event_id,
            "status_code": self.status_code,
            "attempts": self.attempts,
            "duplicate": self.duplicate,
        }


class WebhookDispatcher:
    """Delivers webhooks of every shop to one target URL."""

    def __init__(
        self,
        target_url: str | None,
        faults: Faults,
        api_version: str,
        *,
        max_attempts: int = 3,
        backoff_seconds: float = 0.1,
    ) -> None:
        self.target_url = target_url
        self.faults = faults
        self.api_version = api_version
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self._lock = threading.Lock()
        self._event_counter = 0

    def _next_event_id(self) -> str:
        with self._lock:
            self._event_counter += 1
            return str(uuid.UUID(int=(self.faults.seed << 64) + self._event_counter))

    def deliver(self, shop: dict[str, Any], topic: str, payload: dict[str, Any]) -> list[Delivery]:
        """Deliver (and maybe duplicate) one event; nothing happens without a target URL."""
        if self.target_url is None:
            return []
        event_id = self._next_event_id()
        body = json.dumps(payload, separators=(",", ":")).encode()
        triggered_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        deliveries = [self._post(shop, topic, body, event_id, triggered_at, duplicate=False)]
        rate = self.faults.profile.webhook_duplicate_rate
        if rate and self.faults.rng_chance("webhook-duplicate", event_id) < rate:
            deliveries.append(self._post(shop, topic, body, event_id, triggered_at, duplicate=True))
        return deliveries

    def _post(
        self,
        shop: dict[str, Any],
        topic: str,
        body: bytes,
        event_id: str,
        triggered_at: str,
        *,
        duplicate: bool,
    ) -> Delivery:
        assert self.target_url is not None
        webhook_id = str(uuid.uuid4())
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign(str(shop["webhook_secret"]), body),
            "X-Shopify-Shop-Domain": str(shop.get("domain", f"{shop['id']}.myshopify.com")),
            "X-Shopify-API-Version": self.api_version,
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Event-Id": event_id,
            "X-Shopify-Triggered-At": triggered_at,
        }
        status: int | None = None
        attempts = 0
        with httpx.Client(timeout=5.0) as client:
            for attempt in range(self.max_attempts):
                attempts += 1
                try:
                    status = client.post(self.target_url, content=body, headers=headers).status_code
                except httpx.HTTPError:
                    status = None
                if status is not None and 200 <= status < 300:
                    break
                time.sleep(self.backoff_seconds * 2**attempt)
        return Delivery(topic, webhook_id, event_id, status, attempts, duplicate)


def _money(value: dict[str, Any] | None, side: str = "shop") -> Any:
    return None if value is None else value.get(side)


def order_payload(order: dict[str, Any]) -> dict[str, Any]:
    """The REST-shaped body Shopify sends for `orders/create` and `orders/updated`."""
    return {
        "id": order["id"],
        "admin_graphql_api_id": f"gid://shopify/Order/{order['id']}",
        "name": order["name"],
        "created_at": order["created_at"],
        "updated_at": order["updated_at"],
        "processed_at": order.get("processed_at"),
        "cancelled_at": order.get("cancelled_at"),
        "cancel_reason": (order.get("cancel_reason") or "").lower() or None,
        "test": order.get("test", False),
        "currency": order["currency"],
        "presentment_currency": order["presentment_currency"],
        "financial_status": str(order.get("financial_status", "")).lower(),
        "taxes_included": order.get("taxes_included", False),
        "total_price": _money(order.get("total_price")),
        "subtotal_price": _money(order.get("subtotal")),
        "total_tax": _money(order.get("total_tax")),
        "total_discounts": _money(order.get("total_discounts")),
        "total_price_set": _rest_bag(order.get("total_price"), order),
        "line_items": [
            {
                "id": li["id"],
                "admin_graphql_api_id": f"gid://shopify/LineItem/{li['id']}",
                "sku": li.get("sku"),
                "title": li.get("title"),
                "quantity": li["quantity"],
                "price": _money(li.get("unit_price")),
                "price_set": _rest_bag(li.get("unit_price"), order),
            }
            for li in order.get("line_items") or []
        ],
        "refunds": [refund_payload(order, refund) for refund in order.get("refunds") or []],
    }


def _rest_bag(value: dict[str, Any] | None, order: dict[str, Any]) -> dict[str, Any]:
    return {
        "shop_money": {"amount": _money(value), "currency_code": order["currency"]},
        "presentment_money": {
            "amount": _money(value, "presentment"),
            "currency_code": order["presentment_currency"],
        },
    }


def refund_payload(order: dict[str, Any], refund: dict[str, Any]) -> dict[str, Any]:
    """The REST-shaped body Shopify sends for `refunds/create`."""
    return {
        "id": refund["id"],
        "admin_graphql_api_id": f"gid://shopify/Refund/{refund['id']}",
        "order_id": order["id"],
        "created_at": refund.get("created_at"),
        "processed_at": refund.get("created_at"),
        "note": refund.get("note"),
        "refund_line_items": [
            {
                "id": rli["id"],
                "line_item_id": rli.get("line_item_id"),
                "quantity": rli["quantity"],
                "restock_type": str(rli.get("restock_type", "")).lower(),
                "location_id": rli.get("location_id"),
                "subtotal": _money(rli.get("subtotal")),
                "total_tax": _money(rli.get("total_tax")),
                "subtotal_set": _rest_bag(rli.get("subtotal"), order),
            }
            for rli in refund.get("refund_line_items") or []
        ],
        "transactions": [
            {
                "id": t["id"],
                "kind": str(t["kind"]).lower(),
                "status": str(t["status"]).lower(),
                "amount": _money(t.get("amount")),
                "gateway": t.get("gateway"),
                "parent_id": t.get("parent_id"),
            }
            for t in order.get("transactions") or []
            if t.get("refund_id") == refund["id"]
        ],
    }


def bulk_finish_payload(operation: Any) -> dict[str, Any]:
    """The body of `bulk_operations/finish`."""
    return {
        "admin_graphql_api_id": operation.id,
        "completed_at": operation.completedAt,
        "created_at": operation.createdAt,
        "error_code": None if operation.errorCode is None else operation.errorCode.lower(),
        "status": operation.status.lower(),
        "type": "query",
    }


__all__ = [
    "TOPICS",
    "Delivery",
    "WebhookDispatcher",
    "bulk_finish_payload",
    "order_payload",
    "refund_payload",
    "sign",
    "verify",
]

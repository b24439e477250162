"""Helpers for the Shopify simulator tests: worlds, a fake clock, a client, a webhook receiver."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx

from retail_sync.sandbox.serving import RunningServer, SandboxHTTPServer, serve_in_thread

TINY_WORLD = Path(__file__).parent / "worlds" / "tiny"
NORTH_TOKEN = "shpat_sandbox_north"
ALPEN_TOKEN = "shpat_sandbox_alpen"
API = "/admin/api/2026-01/graphql.json"


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def graphql(
    server: RunningServer,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str = NORTH_TOKEN,
    path: str = API,
) -> httpx.Response:
    """POST one GraphQL request to the simulator."""
    return httpx.post(
        server.url + path,
        json={"query": query, "variables": variables},
        headers={"X-Shopify-Access-Token": token},
        timeout=30,
    )


_BULK_RUN = """mutation Run($q: String!) { bulkOperationRunQuery(query: $q) {
  bulkOperation { id } userErrors { message } } }"""
_BULK_POLL = "query Poll($id: ID!) { bulkOperation(id: $id) { status url } }"


def bulk_lines(server: RunningServer, query: str, token: str) -> list[dict[str, Any]]:
    """Run `query` as a bulk operation on the simulator and return its JSONL lines, parsed."""
    run = graphql(server, _BULK_RUN, {"q": query}, token=token).json()["data"]
    operation = run["bulkOperationRunQuery"]
    assert operation["userErrors"] == []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        polled = graphql(server, _BULK_POLL, {"id": operation["bulkOperation"]["id"]}, token=token)
        state = polled.json()["data"]["bulkOperation"]
        if state["status"] == "COMPLETED":
            text = httpx.get(state["url"], timeout=30).text
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        assert state["status"] in {"CREATED", "RUNNING"}, state
        time.sleep(0.02)
    raise AssertionError("the bulk operation did not complete")


def _money(amount: str) -> dict[str, str]:
    return {"shop": amount, "presentment": amount}


def make_order(order_id: int, created: datetime, updated: datetime) -> dict[str, Any]:
    """A small, self-consistent order (one line, one SALE transaction, optional refund)."""
    line_id = 2_000_000 + order_id
    refunds = []
    transactions: list[dict[str, Any]] = [
        {
            "id": 4_000_000 + order_id * 2,
            "kind": "SALE",
            "status": "SUCCESS",
            "gateway": "shopify_payments",
            "amount": _money("21.60"),
            "processed_at": created.isoformat(),
            "parent_id": None,
        }
    ]
    if order_id % 3 == 0:
        refund_id = 3_000_000 + order_id
        refunds.append(
            {
                "id": refund_id,
                "created_at": updated.isoformat(),
                "note": "return",
                "refund_line_items": [
                    {
                        "id": 3_100_000 + order_id,
                        "line_item_id": line_id,
                        "quantity": 1,
                        "restock_type": "RETURN",
                        "location_id": 70001,
                        "subtotal": _money("10.00"),
                        "total_tax": _money("0.80"),
                    }
                ],
                "subtotal": _money("10.00"),
                "shipping": _money("0.00"),
                "total_tax": _money("0.80"),
                "total": _money("10.80"),
            }
        )
        transactions.append(
            {
                "id": 4_000_001 + order_id * 2,
                "kind": "REFUND",
                "status": "SUCCESS",
                "gateway": "shopify_payments",
                "amount": _money("10.80"),
                "processed_at": updated.isoformat(),
                "parent_id": 4_000_000 + order_id * 2,
                "refund_id": refund_id,
            }
        )
    return {
        "id": order_id,
        "name": f"#{order_id}",
        "created_at": created.isoformat(),
        "processed_at": created.isoformat(),
        "updated_at": updated.isoformat(),
        "cancelled_at": None,
        "cancel_reason": None,
        "test": order_id % 10 == 0,
        "currency": "USD",
        "presentment_currency": "USD",
        "taxes_included": False,
        "financial_status": "PARTIALLY_REFUNDED" if refunds else "PAID",
        "line_items": [
            {
                "id": line_id,
                "sku": "TENT-2P",
                "title": "Tent",
                "inventory_item_id": 80001,
                "quantity": 2,
                "current_quantity": 2,
                "unit_price": _money("10.00"),
                "total": _money("20.00"),
                "discount": _money("0.00"),
                "tax_lines": [{"title": "State tax", "rate": "0.0800", "price": _money("1.60")}],
            }
        ],
        "shipping_lines": [],
        "subtotal": _money("20.00"),
        "total_discounts": _money("0.00"),
        "total_shipping": _money("0.00"),
        "total_tax": _money("1.60"),
        "total_price": _money("21.60"),
        "refunds": refunds,
        "transactions": transactions,
    }


def make_world(root: Path, orders: int, *, plan: str = "ADVANCED") -> Path:
    """A one-shop world ("bulk-shop", token `shpat_bulk`) with `orders` orders.

    Orders are written in a shuffled id order and `updated_at` values repeat in runs of seven,
    so paging must break ties by id to stay stable.
    """
    shop_dir = root / "shopify" / "bulk-shop"
    shop_dir.mkdir(parents=True)
    (root / "world.json").write_text(
        json.dumps(
            {
                "format_version": 2,
                "name": "paging",
                "start": "2026-10-01",
                "days": 2,
                "shops": ["bulk-shop"],
            }
        )
    )
    (root / "shopify" / "shops.json").write_text(
        json.dumps(
            [
                {
                    "id": "bulk-shop",
                    "domain": "bulk-shop.myshopify.com",
                    "name": "Bulk Shop",
                    "currency": "USD",
                    "timezone": "UTC",
                    "plan": plan,
                    "access_token": "shpat_bulk",
                    "webhook_secret": "whsec_bulk",
                    "erp_subsidiary_id": "1",
                }
            ]
        )
    )
    (shop_dir / "locations.json").write_text(
        json.dumps([{"id": 70001, "name": "Main", "active": True}])
    )
    (shop_dir / "inventory_items.json").write_text(
        json.dumps([{"id": 80001, "sku": "TENT-2P", "unit_cost": "8.00", "tracked": True}])
    )
    base = datetime(2026, 10, 1, tzinfo=UTC)
    ids = list(range(1_000_001, 1_000_001 + orders))
    order_of_writing = sorted(ids, key=lambda i: (i * 7919) % 104729)
    with (shop_dir / "orders.jsonl").open("w") as out:
        for order_id in order_of_writing:
            n = order_id - 1_000_001
            created = base + timedelta(minutes=n)
            updated = base + timedelta(minutes=(n // 7) * 7 + 30)
            out.write(json.dumps(make_order(order_id, created, updated)) + "\n")
    for name in ("balance_transactions.jsonl", "payouts.jsonl", "inventory_levels.jsonl"):
        (shop_dir / name).write_text("")
    return root


def copy_tiny(root: Path) -> Path:
    """A private copy of the shared tiny world."""
    shutil.copytree(TINY_WORLD, root)
    return root


@dataclass
class Received:
    """One request the webhook receiver got."""

    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    """A loopback endpoint recording every webhook; `fail_first` answers 500 that many times."""

    fail_first: int = 0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.arrived = threading.Condition(self.lock)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)


@contextmanager
def webhook_receiver(fail_first: int = 0) -> Iterator[tuple[WebhookReceiver, str]]:
    """Serve a `WebhookReceiver` on loopback; yield it and its URL."""
    receiver = WebhookReceiver(fail_first=fail_first)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with receiver.arrived:
                failing = receiver.fail_first > 0
                if failing:
                    receiver.fail_first -= 1
                else:
                    receiver.received.append(Received(dict(self.headers.items()), body))
                    receiver.arrived.notify_all()
            self.send_response(500 if failing else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    running = serve_in_thread(Handler, server_class=SandboxHTTPServer, name="webhook-receiver")
    try:
        yield receiver, running.url + "/webhooks"
    finally:
        running.stop()

"""Bulk operations in the Shopify simulator: lifecycle, JSONL results, `__parentId`, limits, cancel.

A 600-order world is exported through `bulkOperationRunQuery`, polled with `bulkOperation(id)` and
`currentBulkOperation`, and the JSONL downloaded from the `url` the simulator serves is rebuilt by
joining children on `__parentId` (never on line order).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from retail_sync.sandbox.serving import RunningServer
from retail_sync.sandbox.shopify import start_shopify_simulator
from retail_sync_tests.sandbox.shopify_fixtures import graphql, make_world, webhook_receiver

ORDERS = 600
BULK_QUERY = """{ orders(query: "updated_at:>='2026-10-01T00:00:00Z'") { edges { node {
  id name totalPriceSet { shopMoney { amount currencyCode } }
  lineItems { edges { node { id sku quantity } } }
  refunds { id refundLineItems { edges { node { id quantity lineItem { id } } } } } } } } }"""
RUN = """mutation Run($q: String!, $g: Boolean) {
  bulkOperationRunQuery(query: $q, groupObjects: $g) {
  bulkOperation { id status } userErrors { field message code } } }"""
POLL = """query Poll($id: ID!) { bulkOperation(id: $id) { id status errorCode objectCount
  rootObjectCount fileSize url partialDataUrl createdAt completedAt query } }"""
TOKEN = "shpat_bulk"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_world(Path(tmp_path_factory.mktemp("bulk")), ORDERS, plan="PLUS")


@pytest.fixture
def server(world: Path) -> Iterator[RunningServer]:
    running = start_shopify_simulator(world, bulk_page_delay=0.05)
    yield running
    running.stop()


def run_bulk(server: RunningServer, query: str = BULK_QUERY, group: bool = False) -> str:
    body = graphql(server, RUN, {"q": query, "g": group}, token=TOKEN).json()
    payload = body["data"]["bulkOperationRunQuery"]
    assert payload["userErrors"] == [], payload
    assert payload["bulkOperation"]["status"] in {"CREATED", "RUNNING"}
    return str(payload["bulkOperation"]["id"])


def wait(server: RunningServer, operation_id: str, timeout: float = 30) -> dict[str, Any]:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        operation = graphql(server, POLL, {"id": operation_id}, token=TOKEN).json()["data"][
            "bulkOperation"
        ]
        seen.append(operation["status"])
        if operation["status"] in {"COMPLETED", "FAILED", "CANCELED"}:
            operation["seen"] = seen
            return dict(operation)
        time.sleep(0.02)
    raise AssertionError(f"bulk operation still {seen[-1]}")


def read_jsonl(url: str) -> list[dict[str, Any]]:
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


@pytest.mark.slow
def test_bulk_lifecycle_and_jsonl_joined_on_parent_id(server: RunningServer) -> None:
    operation_id = run_bulk(server)
    current = graphql(server, "{ currentBulkOperation { id status } }", token=TOKEN).json()
    assert current["data"]["currentBulkOperation"]["id"] == operation_id
    operation = wait(server, operation_id)
    assert "RUNNING" in operation["seen"]
    assert operation["status"] == "COMPLETED"
    assert operation["errorCode"] is None and operation["completedAt"].endswith("Z")
    lines = read_jsonl(operation["url"])
    assert int(operation["objectCount"]) == len(lines)
    assert int(operation["fileSize"]) == len(httpx.get(operation["url"]).content)
    roots = [line for line in lines if "__parentId" not in line]
    assert int(operation["rootObjectCount"]) == len(roots) == ORDERS
    assert len({r["id"] for r in roots}) == ORDERS
    assert all("lineItems" not in r and isinstance(r["refunds"], list) for r in roots)
    children: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        if "__parentId" in line:
            children.setdefault(line["__parentId"], []).append(line)
    line_items = [c for c in lines if c.get("id", "").startswith("gid://shopify/LineItem/")]
    refund_lines = [c for c in lines if c.get("id", "").startswith("gid://shopify/RefundLineItem/")]
    assert len(line_items) == ORDERS
    assert len(refund_lines) == ORDERS // 3
    assert all(c["__parentId"].startswith("gid://shopify/Order/") for c in line_items)
    # refunds is a plain list kept inline; its refundLineItems connection hangs off each refund.
    refund_ids = {r["id"] for root in roots for r in root["refunds"]}
    assert len(refund_ids) == ORDERS // 3
    assert {c["__parentId"] for c in refund_lines} == refund_ids
    assert all("refundLineItems" not in r for root in roots for r in root["refunds"])
    # 2026-01 semantics: children do not directly follow their parent.
    position = {line.get("id"): n for n, line in enumerate(lines)}
    adjacent = sum(1 for c in line_items if position[c["id"]] == position[c["__parentId"]] + 1)
    assert adjacent < ORDERS // 10


@pytest.mark.slow
def test_group_objects_puts_children_after_their_parent(server: RunningServer) -> None:
    operation = wait(server, run_bulk(server, group=True))
    lines = read_jsonl(operation["url"])
    group: set[str] = set()
    for line in lines:
        if "__parentId" not in line:
            group = {line["id"]} | {refund["id"] for refund in line["refunds"]}
        else:
            assert line["__parentId"] in group


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("{ orders { edges { node { id } } ", "Invalid bulk query"),
        ("{ orders { edges { node { nope } } } }", "Invalid bulk query"),
        ("{ shop { name } }", "must start with a connection"),
        (
            "{ orders { edges { node { name lineItems { edges { node { sku } } } } } } }",
            "must select id",
        ),
    ],
)
def test_invalid_bulk_queries_are_user_errors(
    server: RunningServer, query: str, message: str
) -> None:
    body = graphql(server, RUN, {"q": query}, token=TOKEN).json()
    payload = body["data"]["bulkOperationRunQuery"]
    assert payload["bulkOperation"] is None
    assert message in payload["userErrors"][0]["message"]


def test_at_most_five_concurrent_and_cancel(world: Path) -> None:
    with start_shopify_simulator(world, faults="bulk-stall") as server:
        ids = [run_bulk(server) for _ in range(5)]
        sixth = graphql(server, RUN, {"q": BULK_QUERY}, token=TOKEN).json()
        assert sixth["data"]["bulkOperationRunQuery"]["userErrors"][0]["code"] == "LIMIT_REACHED"
        cancel = """mutation C($id: ID!) { bulkOperationCancel(id: $id) {
          bulkOperation { status } userErrors { message } } }"""
        for operation_id in ids:
            body = graphql(server, cancel, {"id": operation_id}, token=TOKEN).json()
            assert body["data"]["bulkOperationCancel"]["bulkOperation"]["status"] == "CANCELING"
        assert {wait(server, i)["status"] for i in ids} == {"CANCELED"}


@pytest.mark.slow
def test_bulk_finish_webhook(world: Path) -> None:
    with (
        webhook_receiver() as (receiver, url),
        start_shopify_simulator(world, webhook_url=url) as server,
    ):
        operation_id = run_bulk(server, "{ orders { edges { node { id } } } }")
        wait(server, operation_id)
        (delivery,) = receiver.wait_for(1)
        assert delivery.headers["X-Shopify-Topic"] == "bulk_operations/finish"
        body = json.loads(delivery.body)
        assert body["admin_graphql_api_id"] == operation_id
        assert body["status"] == "completed"

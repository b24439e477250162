"""Query cost and the leaky bucket of the Shopify simulator, checked against the documented maths.

Cost: objects 1, connections 2 + first × node cost, scalars 0, mutations 10; actual cost from what
was returned, the difference refunded. Bucket: 20 s of the plan's restore rate, refilled on an
injected clock (no sleeps), THROTTLED when the requested cost exceeds what is available,
MAX_COST_EXCEEDED above 1000.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

from retail_sync.sandbox.shopify import start_shopify_simulator
from retail_sync.sandbox.shopify.cost import CostCalculator
from retail_sync.sandbox.shopify.schema import admin_schema
from retail_sync.sandbox.shopify.throttle import LeakyBucket
from retail_sync_tests.sandbox.shopify_fixtures import (
    ALPEN_TOKEN,
    TINY_WORLD,
    FakeClock,
    graphql,
    make_world,
)


def requested(query: str, variables: dict[str, object] | None = None) -> int:
    document = parse(query)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return CostCalculator(admin_schema(), operation, fragments, variables).requested()


@pytest.mark.parametrize(
    ("query", "cost"),
    [
        ("{ shop { name } }", 1),
        ("{ shop { name plan { displayName } } }", 2),
        ("{ orders(first: 10) { edges { node { id name } } } }", 2 + 10 * 1),
        (
            "{ orders(first: 10) { nodes { totalPriceSet { shopMoney { amount } } } } }",
            2 + 10 * (1 + 2),
        ),
        (
            "{ orders(first: 5) { nodes { id lineItems(first: 4) { nodes { sku } } } } }",
            2 + 5 * (1 + 2 + 4 * 1),
        ),
        ("{ orders(first: 3) { nodes { refunds(first: 2) { id } } } }", 2 + 3 * (1 + 2 * 1)),
        ("query Q($n: Int) { orders(first: $n) { nodes { id } } }", 2 + 7),
        (
            'mutation { bulkOperationRunQuery(query: "{ orders { edges { node { id } } } }") '
            "{ userErrors { message } } }",
            10,
        ),
        (
            '{ node(id: "gid://shopify/Order/1") { ... on Order { id totalTaxSet { '
            "shopMoney { amount } } } } }",
            1 + 2,
        ),
    ],
)
def test_requested_cost_follows_the_documented_calculation(query: str, cost: int) -> None:
    assert requested(query, {"n": 7}) == cost


def test_bucket_maths_and_refund_of_unused_cost(tmp_path: Path) -> None:
    clock = FakeClock()
    # STANDARD: restore 100/s, bucket 2000.
    with start_shopify_simulator(
        make_world(tmp_path / "w", 30, plan="STANDARD"), clock=clock
    ) as server:
        query = '{ orders(first: 100, query: "id:<=1000020") { nodes { id } } }'
        body = graphql(server, query, token="shpat_bulk").json()
        cost = body["extensions"]["cost"]
        assert cost["requestedQueryCost"] == 102
        assert cost["actualQueryCost"] == 2 + 20
        assert cost["throttleStatus"] == {
            "maximumAvailable": 2000.0,
            "currentlyAvailable": 2000 - 22,
            "restoreRate": 100.0,
        }
        clock.advance(0.1)  # +10 points
        body = graphql(server, "{ shop { name } }", token="shpat_bulk").json()
        assert (
            body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 2000 - 22 + 10 - 1
        )


def test_throttled_when_empty_then_restored_by_time(tmp_path: Path) -> None:
    clock = FakeClock()
    with start_shopify_simulator(
        make_world(tmp_path / "w", 5, plan="STANDARD"), clock=clock
    ) as server:
        expensive = "{ orders(first: 249) { nodes { id } } }"  # requests 251, returns 7
        big = (
            "{ a: orders(first: 249) { nodes { id } } b: orders(first: 249) { nodes { id } } "
            "c: orders(first: 249) { nodes { id } } d: orders(first: 240) { nodes { id } } }"
        )
        assert requested(big) == 3 * 251 + 242 == 995
        # Drain 2000 points: each request takes 995 up front and gives back all but 2*4+20.
        statuses = []
        for _ in range(2):
            body = graphql(server, big, token="shpat_bulk").json()
            statuses.append(body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"])
        assert statuses == [2000 - 28, 2000 - 56]
        # Mutations cost 10 and are never refunded: 194 of them leave 1944 - 1940 = 4 points.
        mutation = (
            'mutation { bulkOperationCancel(id: "gid://shopify/BulkOperation/0") '
            "{ userErrors { message } } }"
        )
        for _ in range(194):
            assert "errors" not in graphql(server, mutation, token="shpat_bulk").json()
        throttled = graphql(server, expensive, token="shpat_bulk")
        assert throttled.status_code == 200
        body = throttled.json()
        assert body["errors"] == [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]
        assert "data" not in body
        assert body["extensions"]["cost"]["requestedQueryCost"] == 251
        assert body["extensions"]["cost"]["actualQueryCost"] is None
        assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 4
        clock.advance(2.46)  # 4 + 246 = 250 < 251
        assert graphql(server, expensive, token="shpat_bulk").json()["errors"][0]["message"] == (
            "Throttled"
        )
        clock.advance(0.01)  # 251
        body = graphql(server, expensive, token="shpat_bulk").json()
        assert "errors" not in body
        assert body["extensions"]["cost"]["actualQueryCost"] == 2 + 5
        assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 251 - 7


def test_max_cost_exceeded(tmp_path: Path) -> None:
    with start_shopify_simulator(TINY_WORLD) as server:
        query = "{ orders(first: 250) { nodes { id lineItems(first: 10) { nodes { sku } } } } }"
        body = graphql(server, query).json()
        error = body["errors"][0]
        assert error["extensions"] == {
            "code": "MAX_COST_EXCEEDED",
            "cost": 2 + 250 * 13,
            "maxCost": 1000,
        }
        assert "exceeds the single query max cost limit (1000)" in error["message"]
        status = body["extensions"]["cost"]["throttleStatus"]
        assert status["currentlyAvailable"] == status["maximumAvailable"]


@pytest.mark.parametrize(
    ("plan", "rate"),
    [("STANDARD", 100.0), ("ADVANCED", 200.0), ("PLUS", 1000.0), ("ENTERPRISE", 2000.0)],
)
def test_restore_rate_and_bucket_depend_on_plan(plan: str, rate: float) -> None:
    clock = FakeClock()
    bucket = LeakyBucket.for_plan(plan, clock=clock)
    assert bucket.status() == {
        "maximumAvailable": rate * 20,
        "currentlyAvailable": int(rate * 20),
        "restoreRate": rate,
    }
    assert bucket.try_take(rate * 20)
    assert not bucket.try_take(1)
    clock.advance(1.5)
    assert bucket.status()["currentlyAvailable"] == int(rate * 1.5)
    clock.advance(100)
    assert bucket.available == rate * 20  # never above the maximum


def test_buckets_are_per_shop() -> None:
    clock = FakeClock()
    with start_shopify_simulator(TINY_WORLD, clock=clock) as server:
        graphql(server, "{ orders(first: 5) { nodes { id } } }")
        north = graphql(server, "{ shop { name } }").json()["extensions"]["cost"]
        alpen = graphql(server, "{ shop { name } }", token=ALPEN_TOKEN).json()["extensions"]["cost"]
        assert north["throttleStatus"]["restoreRate"] == 200.0  # ADVANCED
        assert alpen["throttleStatus"]["restoreRate"] == 100.0  # STANDARD
        assert alpen["throttleStatus"]["currentlyAvailable"] == 2000 - 1
        assert north["throttleStatus"]["currentlyAvailable"] == 4000 - (2 + 5) - 1

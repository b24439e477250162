"""Every fault profile of the Shopify simulator, observed through real HTTP requests.

Profiles are seeded: each test states what it expects from the profile's documented behaviour
(rates over many requests or records, specific failure shapes) and that the seed makes it
repeatable.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

import httpx
import pytest

from retail_sync.sandbox.shopify import PROFILES, start_shopify_simulator
from retail_sync_tests.sandbox.shopify_fixtures import (
    TINY_WORLD,
    FakeClock,
    graphql,
    make_world,
    webhook_receiver,
)
from retail_sync_tests.sandbox.test_shopify_bulk import BULK_QUERY, RUN, TOKEN, run_bulk, wait

PAGE = """query P($after: String) { orders(first: 40, after: $after) {
  pageInfo { hasNextPage endCursor } nodes { legacyResourceId processedAt currencyCode
  totalPriceSet { shopMoney { amount currencyCode } } } } }"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_world(Path(tmp_path_factory.mktemp("faults")), 400, plan="ENTERPRISE")


def read_pages(server: object) -> list[dict[str, object]]:
    nodes: list[dict[str, object]] = []
    after = None
    while True:
        body = graphql(server, PAGE, {"after": after}, token=TOKEN).json()  # type: ignore[arg-type]
        nodes += body["data"]["orders"]["nodes"]
        if not body["data"]["orders"]["pageInfo"]["hasNextPage"]:
            return nodes
        after = body["data"]["orders"]["pageInfo"]["endCursor"]


def test_profiles_are_documented() -> None:
    assert set(PROFILES) == {
        "none",
        "throttle-pressure",
        "flaky",
        "slow",
        "duplicates",
        "malformed",
        "bulk-stall",
        "bulk-fail",
        "hostile",
    }
    docs = (Path(__file__).parents[2] / "docs" / "sandbox-shopify.md").read_text()
    for name in PROFILES:
        assert f"`{name}`" in docs


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="known: "):
        start_shopify_simulator(TINY_WORLD, faults="gremlins")


def test_throttle_pressure_shrinks_the_bucket_and_slows_restore() -> None:
    clock = FakeClock()
    # north-outfitters is ADVANCED: restore 200/s, usual bucket 4000.
    with start_shopify_simulator(TINY_WORLD, faults="throttle-pressure", clock=clock) as server:
        status = graphql(server, "{ shop { name } }").json()["extensions"]["cost"]
        assert status["throttleStatus"]["maximumAvailable"] == 400.0
        for _ in range(40):
            graphql(
                server,
                'mutation { bulkOperationCancel(id: "gid://shopify/BulkOperation/0")'
                " { userErrors { message } } }",
            )
        # 399 after the first request; 39 mutations fit (390), the 40th is throttled: 9 left.
        body = graphql(server, "{ orders(first: 50) { nodes { id } } }").json()
        assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
        assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 9
        clock.advance(1.0)  # restores 200/s, half of it eaten by the neighbour
        body = graphql(server, "{ shop { name } }").json()
        assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 9 + 100 - 1


def test_flaky_answers_5xx_and_429_at_the_documented_rates(world: Path) -> None:
    with start_shopify_simulator(world, faults="flaky", seed=3) as server:
        codes = [graphql(server, "{ shop { name } }", token=TOKEN).status_code for _ in range(300)]
    with start_shopify_simulator(world, faults="flaky", seed=3) as server:
        again = [graphql(server, "{ shop { name } }", token=TOKEN).status_code for _ in range(300)]
    assert codes == again  # seeded
    server_errors = sum(1 for c in codes if c >= 500)
    too_many = codes.count(429)
    assert 15 <= server_errors <= 50 and 15 <= too_many <= 50
    assert set(codes) <= {200, 429, 500, 502, 503}


def test_429_carries_retry_after(world: Path) -> None:
    with start_shopify_simulator(world, faults="flaky", seed=3) as server:
        for _ in range(100):
            response = graphql(server, "{ shop { name } }", token=TOKEN)
            if response.status_code == 429:
                assert response.headers["Retry-After"] == "1.0"
                assert "Exceeded" in response.json()["errors"]
                return
    raise AssertionError("no 429 in 100 requests")


def test_slow_adds_latency(world: Path) -> None:
    with start_shopify_simulator(world, faults="slow") as server:
        started = time.monotonic()
        for _ in range(5):
            assert graphql(server, "{ shop { name } }", token=TOKEN).status_code == 200
        elapsed = time.monotonic() - started
    assert elapsed >= 5 * 0.05


def test_duplicates_repeat_records_across_pages_but_lose_none(world: Path) -> None:
    with start_shopify_simulator(world, faults="duplicates") as server:
        nodes = read_pages(server)
    ids = [n["legacyResourceId"] for n in nodes]
    assert len(ids) > len(set(ids))  # duplicates across pages
    assert len(set(ids)) == 400  # and no gaps


def test_malformed_records(world: Path) -> None:
    with start_shopify_simulator(world, faults="malformed", seed=1) as server:
        nodes = read_pages(server)
        again = read_pages(server)
    assert nodes == again  # the same records are broken the same way
    broken = {"null": 0, "non_numeric": 0, "currency": 0, "date": 0}
    for node in nodes:
        amount = node["totalPriceSet"]["shopMoney"]["amount"]  # type: ignore[index]
        if amount is None:
            broken["null"] += 1
        else:
            try:
                Decimal(amount)
            except InvalidOperation:
                broken["non_numeric"] += 1
        if node["currencyCode"] != "USD":
            broken["currency"] += 1
        if not str(node["processedAt"]).endswith("Z"):
            broken["date"] += 1
    assert all(count > 0 for count in broken.values()), broken
    assert 8 <= sum(broken.values()) <= 45  # ~5% of 400


def test_bulk_stall_never_finishes(world: Path) -> None:
    with start_shopify_simulator(world, faults="bulk-stall") as server:
        operation_id = run_bulk(server, BULK_QUERY)
        time.sleep(0.5)
        poll = graphql(
            server, "{ currentBulkOperation { status objectCount url } }", token=TOKEN
        ).json()["data"]["currentBulkOperation"]
        assert poll["status"] == "RUNNING" and poll["url"] is None
        assert int(poll["objectCount"]) > 0
        del operation_id


def test_bulk_fail_ends_failed_with_partial_data(world: Path) -> None:
    with start_shopify_simulator(world, faults="bulk-fail") as server:
        operation = wait(server, run_bulk(server, BULK_QUERY))
        assert operation["status"] == "FAILED"
        assert operation["errorCode"] == "INTERNAL_SERVER_ERROR"
        assert operation["url"] is None
        partial = httpx.get(operation["partialDataUrl"]).text.splitlines()
        assert 0 < len(partial) < 400
        json.loads(partial[0])


def test_duplicate_webhooks_share_the_event_id() -> None:
    with (
        webhook_receiver() as (receiver, url),
        start_shopify_simulator(TINY_WORLD, faults="duplicates", webhook_url=url) as server,
    ):
        httpx.post(
            server.url + "/sandbox/webhooks/trigger",
            json={
                "topic": "orders/updated",
                "order_ids": [1000001, 1000002, 1000003, 1000004, 1000005, 1000006],
            },
            headers={"X-Shopify-Access-Token": "shpat_sandbox_north"},
            timeout=30,
        )
        received = receiver.wait_for(6)
    events = [r.headers["X-Shopify-Event-Id"] for r in received]
    assert len(events) > len(set(events)) == 6
    for event in set(events):
        copies = [r for r in received if r.headers["X-Shopify-Event-Id"] == event]
        assert len({c.body for c in copies}) == 1


@pytest.mark.slow
def test_hostile_combines_faults(world: Path) -> None:
    with start_shopify_simulator(world, faults="hostile", seed=2) as server:
        codes = [graphql(server, "{ shop { name } }", token=TOKEN).status_code for _ in range(100)]
        status = None
        for _ in range(20):
            response = graphql(server, "{ shop { name } }", token=TOKEN)
            if response.status_code == 200:
                status = response.json()["extensions"]["cost"]["throttleStatus"]
                break
    assert any(c >= 500 for c in codes) and 429 in codes
    assert status is not None and status["maximumAvailable"] == 4000.0
    assert RUN  # the bulk mutation text is shared with the bulk tests

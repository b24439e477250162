"""ShopifyClient: pacing maths on an injected clock, retries of 5xx/429/THROTTLED against the
simulator's fault profiles, errors that carry Shopify's code and never the token."""

from __future__ import annotations

import pytest

from retail_sync.sandbox.clock import DilatedClock
from retail_sync.sandbox.shopify import start_shopify_simulator
from retail_sync.shopify.client import QueryCost, ShopifyClient, ShopifyError, ThrottleModel
from retail_sync_tests.shopify.conftest import Shop

SHOP_QUERY = "{ shop { name currencyCode } }"


class FakeTime:
    """A clock that only moves when the client sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_throttle_model_waits_exactly_the_deficit() -> None:
    model = ThrottleModel()
    assert model.wait_for(500, 0.0) == 0.0  # nothing known yet: no waiting
    model.observe(QueryCost(100, 80, 2000, 300, 100), now=10.0)
    assert model.wait_for(500, 10.0) == pytest.approx(2.0, abs=0.002)  # (500 - 300) / 100
    assert model.wait_for(500, 11.0) == pytest.approx(1.0, abs=0.002)  # 100 points restored since
    assert model.wait_for(250, 10.0) == 0.0
    assert model.available_at(1000.0) == 2000  # capped at maximumAvailable
    model.spend(300, 10.0)
    assert model.wait_for(100, 10.0) == pytest.approx(1.0, abs=0.002)


def test_client_paces_from_throttle_status_without_throttled_answers(small_world: Shop) -> None:
    """A shop bucket a tenth the size: the client waits instead of being refused."""
    time = FakeTime()
    with start_shopify_simulator(small_world.world, clock=time.clock) as server:
        client = ShopifyClient(server.url, small_world.token, clock=time.clock, sleep=time.sleep)
        query = "{ orders(first: 60) { nodes { id totalPriceSet { shopMoney { amount } } } } }"
        for _ in range(30):
            client.execute(query)
        stats = client.stats
        assert stats.throttled == 0 and stats.retries == 0
        assert stats.throttle_wait_seconds > 0
        # Every wait was exactly the modelled deficit: the bucket never refused a request.
        assert stats.budget_utilisation() > 0.9


def test_retries_5xx_and_429_until_success(small_world: Shop) -> None:
    # A 429's Retry-After (1 s) is waited for on a dilated clock: what is retried, not how long.
    clock = DilatedClock()
    with start_shopify_simulator(small_world.world, faults="flaky", seed=3) as server:
        client = ShopifyClient(
            server.url, small_world.token, backoff_base=0.01, backoff_cap=0.05,
            clock=clock.monotonic, sleep=clock.sleep,
        )  # fmt: skip
        for _ in range(40):
            assert client.execute(SHOP_QUERY)["shop"]["currencyCode"]
        assert client.stats.retries > 0
        assert set(client.stats.retry_reasons) <= {"5xx", "429"}
        assert client.stats.failed_requests == 0


def test_throttled_answers_are_retried(small_world: Shop) -> None:
    """A neighbour app drains the bucket behind our back: THROTTLED, then success."""
    clock = DilatedClock()
    with start_shopify_simulator(
        small_world.world, faults="throttle-pressure", clock=clock.monotonic
    ) as server:
        client = ShopifyClient(
            server.url, small_world.token, clock=clock.monotonic, sleep=clock.sleep
        )
        query = "{ orders(first: 100) { nodes { id } } }"
        for _ in range(12):
            client.execute(query)
        assert client.stats.failed_requests == 0


def test_errors_carry_code_and_never_the_token(small_world: Shop) -> None:
    with start_shopify_simulator(small_world.world) as server:
        wrong = ShopifyClient(server.url, "shpat_wrong_secret_value")
        with pytest.raises(ShopifyError) as raised:
            wrong.execute(SHOP_QUERY)
        assert raised.value.code == "UNAUTHORIZED"
        assert "shpat_wrong_secret_value" not in repr(wrong) + str(raised.value)
        client = ShopifyClient(server.url, small_world.token)
        with pytest.raises(ShopifyError) as raised:
            client.execute(
                "{ orders(first: 250) { nodes { id lineItems(first: 250) { nodes { id } } } } }"
            )
        assert raised.value.code == "MAX_COST_EXCEEDED"
        with pytest.raises(ShopifyError) as raised:
            client.execute("{ nope }")
        assert raised.value.code  # a validation error, not retried
        assert client.stats.retries == 0

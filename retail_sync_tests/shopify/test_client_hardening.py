"""Hardening of the Shopify client: a stalled bulk operation is cancelled once and its window read
by paging (on an injected clock; the asset says so in its log and metadata), and HTTP 200 bodies of
the wrong shape end in a ShopifyError (`MALFORMED_RESPONSE`, with the request id), retried only
when the body is not JSON at all."""

# No `from __future__ import annotations`: Dagster reads the asset's resource annotations.

import json
import logging
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pyarrow.parquet as pq
import pytest

from retail_sync.defs.keys import partition_key
from retail_sync.defs.partitions import SHOP_PARTITIONS
from retail_sync.defs.resources import LakeResource, ShopifyResource, ShopsResource
from retail_sync.defs.shopify.assets import orders as orders_asset
from retail_sync.sandbox.shopify import start_shopify_simulator
from retail_sync.shopify import queries
from retail_sync.shopify.bulk import (
    CANCEL_BULK_OPERATION,
    DEFAULT_STALL_TIMEOUT,
    BulkOperationError,
    run_bulk_query,
)
from retail_sync.shopify.client import MALFORMED_RESPONSE, ShopifyClient, ShopifyError
from retail_sync.shopify.extract import extract_orders
from retail_sync.shopify.paging import iter_nodes, iter_pages
from retail_sync_tests.clocks import FakeClock
from retail_sync_tests.conftest import TINY_WORLD
from retail_sync_tests.shopify.conftest import Shop, world_ids
from retail_sync_tests.shopify.scripted_http import Answer, json_answer, scripted_server

SHOP, TOKEN = "north-outfitters", "shpat_sandbox_north"
WINDOW = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
COST = {
    "requestedQueryCost": 10,
    "actualQueryCost": 10,
    "throttleStatus": {"maximumAvailable": 2000, "currentlyAvailable": 1990, "restoreRate": 100},
}
STALL_LIMIT = 30.0  # shorter than the default only to poll less: the clock is fake either way
LAST_PAGE = {"hasNextPage": False, "endCursor": None}


def _landed(root: Path, table: str, column: str) -> list[int]:
    return sorted(
        value
        for file in sorted((root / table).rglob("*.parquet"))
        for value in pq.read_table(file, columns=[column]).column(0).to_pylist()
    )


def _directories(root: Path):
    return lambda table: root / table / f"shop={SHOP}" / "date=2026-10-31"


def _wait_for_status(client: ShopifyClient, status: str) -> dict[str, Any]:
    """The simulator's latest bulk operation once it reaches `status` (its worker is a thread)."""
    for _ in range(100):
        current = client.execute("{ currentBulkOperation { id status } }")["currentBulkOperation"]
        if current["status"] == status:
            return current
        time.sleep(0.02)
    raise AssertionError(f"bulk operation still {current['status']}")


# -- a stalled bulk operation ---------------------------------------------------------------------


def test_a_stalled_bulk_operation_is_cancelled_once_and_the_window_paged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The simulator's bulk-stall fault: RUNNING, some objects, then nothing, forever."""
    clock = FakeClock(datetime(2026, 12, 1, tzinfo=UTC))
    with start_shopify_simulator(TINY_WORLD, faults="bulk-stall", clock=clock.monotonic) as server:
        bulk_client = ShopifyClient(server.url, TOKEN, clock=clock.monotonic, sleep=clock.sleep)
        began = clock.monotonic()
        with caplog.at_level(logging.WARNING, logger="retail_sync.shopify.bulk"):
            stats = extract_orders(
                bulk_client,
                shop_id=SHOP,
                window_start=WINDOW[0],
                window_end=WINDOW[1],
                partition_dir_for=_directories(tmp_path / "bulk"),
                use_bulk=True,
                bulk_stall_timeout=STALL_LIMIT,
            )
        waited = clock.monotonic() - began
        # One stall limit (and a poll interval) is waited, not one per bulk attempt.
        assert STALL_LIMIT < waited < 1.5 * STALL_LIMIT
        assert stats.mode == "paged"
        assert (bulk_client.bulk_disabled_reason or "").startswith("STALLED")
        # Exactly one operation was started (the stall is not retried), and it was cancelled.
        assert stats.bulk_attempts == 1
        assert stats.notes == ["bulk attempt 1: STALLED"]
        _wait_for_status(bulk_client, "CANCELED")
    assert any("STALLED" in record.getMessage() for record in caplog.records)
    expected = world_ids(Shop(TINY_WORLD, SHOP, TOKEN))
    for table, column in (("orders", "order_id"), ("order_line_items", "line_item_id")):
        assert _landed(tmp_path / "bulk", table, column) == sorted(expected[table])


def test_the_stall_limit_defaults_to_three_minutes_everywhere() -> None:
    assert DEFAULT_STALL_TIMEOUT == 180.0
    assert ShopifyResource().bulk_stall_seconds == DEFAULT_STALL_TIMEOUT


def test_progress_in_status_or_count_resets_the_stall_limit() -> None:
    """CREATED for a while, then RUNNING with a growing count: slow, but never stalled."""
    started = json_answer(
        {"data": {"bulkOperationRunQuery": {"bulkOperation": {"id": "B1"}, "userErrors": []}}}
    )
    # Polls land at 0.5, 1.25, 2.4, 4.1, 6.6, 10.4, 16.1 s…: the count stays 0 for 6.1 s, but the
    # status moved at 4.1 s, so the six-second limit is never reached.
    states = [("CREATED", 0)] * 3 + [("RUNNING", n) for n in (0, 0, 5, 9)] + [("COMPLETED", 9)]
    polls = [
        json_answer({"data": {"bulkOperation": {"status": status, "objectCount": str(count)}}})
        for status, count in states
    ]
    clock = FakeClock(datetime(2026, 12, 1, tzinfo=UTC))
    with scripted_server(started, *polls) as script:
        client = _client(script.url)
        client.clock, client.sleep = clock.monotonic, clock.sleep
        result = run_bulk_query(client, "{ orders { edges { node { id } } } }", stall_timeout=6)
    assert result.status == "COMPLETED" and result.object_count == 9
    assert clock.monotonic() - datetime(2026, 12, 1, tzinfo=UTC).timestamp() > 6


@pytest.mark.slow
@pytest.mark.e2e
def test_the_orders_asset_logs_a_bulk_fallback_and_puts_it_in_its_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shops_file = tmp_path / "shops.json"
    shops_file.write_text(
        json.dumps(
            [
                {
                    "id": SHOP,
                    "domain": f"{SHOP}.myshopify.com",
                    "currency": "USD",
                    "timezone": "America/New_York",
                    "erp_subsidiary_id": "1",
                    "access_token_variable": "SHOPIFY_TOKEN_NORTH_TEST",
                }
            ]
        )
    )
    monkeypatch.setenv("SHOPIFY_TOKEN_NORTH_TEST", TOKEN)
    with (
        start_shopify_simulator(TINY_WORLD, faults="bulk-stall") as server,
        dg.instance_for_test() as instance,
    ):
        instance.add_dynamic_partitions(SHOP_PARTITIONS, [SHOP])
        result = dg.materialize(
            [orders_asset],
            instance=instance,
            partition_key=partition_key(date(2026, 10, 31), SHOP),
            resources={
                # Every window goes to bulk; the real clock waits out a one-second stall limit.
                "shopify": ShopifyResource(
                    base_url=server.url, bulk_threshold_orders=0, bulk_stall_seconds=1
                ),
                "lake": LakeResource(root=str(tmp_path / "lake")),
                "shops": ShopsResource(path=str(shops_file)),
            },
        )
        assert result.success
        (materialization, *_) = result.get_asset_materialization_events()
        metadata = materialization.materialization.metadata
        assert metadata["bulk_fallback"].value == 1
        assert "STALLED" in str(metadata["bulk_fallback_reasons"].value)
        assert metadata["mode"].value == "paged"
        warnings = [
            entry.user_message
            for entry in instance.all_logs(result.run_id)
            if entry.level == logging.WARNING
        ]
        assert any("fell back to paging" in m and "STALLED" in m for m in warnings), warnings


# -- malformed responses -------------------------------------------------------------------------

ORDERS_QUERY = "query($first: Int!, $after: String) { orders(first: $first, after: $after) { x } }"


def _client(script_url: str, **kwargs: Any) -> ShopifyClient:
    clock = FakeClock(datetime(2026, 12, 1, tzinfo=UTC))
    return ShopifyClient(
        script_url,
        TOKEN,
        clock=clock.monotonic,
        sleep=clock.sleep,
        max_retries=2,
        # Plain HTTP on loopback: skip loading the CA bundle (~0.2 s a client).
        http=httpx.Client(verify=False, timeout=10),
        **kwargs,
    )


def _orders(connection: Any) -> Answer:
    return json_answer({"data": {"orders": connection}, "extensions": {"cost": COST}})


WRONG_SHAPES = {
    "orders is true": _orders(True),
    "a null node": _orders({"nodes": [None], "pageInfo": LAST_PAGE}),
    "nodes and edges missing": _orders({"pageInfo": LAST_PAGE}),
    "edges without nodes": _orders({"edges": [{"cursor": "a"}], "pageInfo": LAST_PAGE}),
    "pageInfo missing": _orders({"nodes": [{"id": "gid://shopify/Order/1"}]}),
    "pageInfo a list": _orders({"nodes": [], "pageInfo": []}),
    "hasNextPage a string": _orders({"nodes": [], "pageInfo": {"hasNextPage": "no"}}),
    "next page without a cursor": _orders(
        {"nodes": [], "pageInfo": {"hasNextPage": True, "endCursor": None}}
    ),
    "data null": json_answer({"data": None}),
    "data a list": json_answer({"data": [1, 2]}),
    "errors of the wrong shape": json_answer({"errors": [{"extensions": [1]}, 5]}),
}


@pytest.mark.parametrize("answer", WRONG_SHAPES.values(), ids=WRONG_SHAPES.keys())
def test_a_body_of_the_wrong_shape_is_a_shopify_error_at_once(answer: Answer) -> None:
    answer = Answer(answer.body, answer.status, answer.headers | {"X-Request-Id": "req-42"})
    with scripted_server(answer) as script:
        client = _client(script.url)
        with pytest.raises(ShopifyError) as raised:
            list(iter_pages(client, ORDERS_QUERY, ("orders",)))
    assert raised.value.request_id == "req-42"
    assert len(script.received) == 1  # Shopify's deliberate answer: asking again will not help
    assert raised.value.code in {MALFORMED_RESPONSE, "GRAPHQL_ERROR"}


NOT_JSON = {
    "empty body": Answer(b""),
    "HTML from a proxy": Answer(b"<html><body>502 Bad Gateway</body></html>"),
    "not UTF-8": Answer(b'{"data": {"orders": "\xff\xfe"}}'),
    "cut short": Answer(b'{"data": {"orders": {"nodes": ['),
    "a JSON string": Answer(b'"ok"'),
    "nested too deeply": Answer(b"[" * 100_000),
}


@pytest.mark.parametrize("answer", NOT_JSON.values(), ids=NOT_JSON.keys())
def test_a_body_that_is_not_a_json_object_is_retried_then_a_shopify_error(answer: Answer) -> None:
    answer = Answer(answer.body, answer.status, {"X-Request-Id": "req-7"})
    with scripted_server(answer) as script:
        client = _client(script.url)
        with pytest.raises(ShopifyError) as raised:
            client.execute("{ shop { name } }")
    assert raised.value.code == MALFORMED_RESPONSE
    assert raised.value.request_id == "req-7"
    assert len(script.received) == 3  # the first answer and max_retries=2 more
    assert client.stats.retry_reasons == {"malformed": 2}


def test_a_retried_empty_body_then_a_good_one_succeeds() -> None:
    good = json_answer({"data": {"shop": {"name": "North"}}})
    with scripted_server(Answer(b""), good) as script:
        assert _client(script.url).execute("{ shop { name } }") == {"shop": {"name": "North"}}


@pytest.mark.parametrize(
    "extensions",
    [
        [1],
        "cost",
        {"cost": [1]},
        {"cost": {"requestedQueryCost": "x", "throttleStatus": COST["throttleStatus"]}},
        {"cost": {"throttleStatus": {"maximumAvailable": 1e999, "currentlyAvailable": 1}}},
        {
            "cost": {
                "requestedQueryCost": 10,
                "throttleStatus": {
                    "maximumAvailable": 2000,
                    "currentlyAvailable": -1e999,
                    "restoreRate": 1e-300,
                },
            }
        },
        {
            "cost": {
                "requestedQueryCost": 900,
                "throttleStatus": {
                    "maximumAvailable": 2000,
                    "currentlyAvailable": 0,
                    "restoreRate": 1e-300,
                },
            }
        },
    ],
    ids=[
        "a list",
        "a string",
        "cost a list",
        "cost not a number",
        "an infinite bucket",
        "minus infinity left",
        "a restore rate near zero",
    ],
)
def test_a_wrong_cost_block_never_breaks_the_answer_or_parks_the_client(extensions: Any) -> None:
    """The data is good; pacing ignores what it cannot read and never waits more than a minute."""
    answer = json_answer({"data": {"shop": {"name": "North"}}, "extensions": extensions})
    with scripted_server(answer) as script:
        client = _client(script.url)
        slept: list[float] = []
        client.sleep = slept.append
        for _ in range(3):
            assert client.execute("{ shop { name } }") == {"shop": {"name": "North"}}
    assert all(0 <= seconds <= 60 for seconds in slept), slept


def test_an_absurd_retry_after_is_capped() -> None:
    busy = Answer(b"", 503, {"Retry-After": "1e999"})
    with scripted_server(busy, json_answer({"data": {"shop": {"name": "North"}}})) as script:
        client = _client(script.url, backoff_cap=1.0)
        slept: list[float] = []
        client.sleep = slept.append
        assert client.execute("{ shop { name } }") == {"shop": {"name": "North"}}
    assert len(slept) == 1 and 0 <= slept[0] <= 60


def test_nodes_without_an_id_are_all_passed_on_for_quarantine() -> None:
    """Before: every id-less node after the first was taken for a repeat and dropped."""
    page = _orders({"nodes": [{"name": "a"}, {"name": "b"}, {"id": None}], "pageInfo": LAST_PAGE})
    with scripted_server(page) as script:
        nodes = list(iter_nodes(_client(script.url), ORDERS_QUERY, ("orders",)))
    assert nodes == [{"name": "a"}, {"name": "b"}, {"id": None}]


def test_a_cursor_that_does_not_advance_is_an_error_not_an_endless_loop() -> None:
    page = _orders({"nodes": [], "pageInfo": {"hasNextPage": True, "endCursor": "same"}})
    with scripted_server(page) as script, pytest.raises(ShopifyError, match="did not advance"):
        list(iter_pages(_client(script.url), ORDERS_QUERY, ("orders",)))
    assert len(script.received) == 2


START_OK = json_answer(
    {"data": {"bulkOperationRunQuery": {"bulkOperation": {"id": "B1"}, "userErrors": []}}}
)
CANCELLED = json_answer({"data": {"bulkOperationCancel": {"userErrors": []}}})
BULK_SHAPES = {
    "run payload missing": (json_answer({"data": {}}),),
    "run payload a list": (json_answer({"data": {"bulkOperationRunQuery": []}}),),
    "no operation id": (
        json_answer({"data": {"bulkOperationRunQuery": {"bulkOperation": {}, "userErrors": []}}}),
    ),
    "user errors not a list": (
        json_answer({"data": {"bulkOperationRunQuery": {"userErrors": "bad"}}}),
    ),
    "operation a string": (
        START_OK,
        json_answer({"data": {"bulkOperation": "RUNNING"}}),
        CANCELLED,
    ),
    "status a number": (
        START_OK,
        json_answer({"data": {"bulkOperation": {"status": 5}}}),
        CANCELLED,
    ),
    "count not a count": (
        START_OK,
        json_answer({"data": {"bulkOperation": {"status": "RUNNING", "objectCount": "lots"}}}),
        CANCELLED,
    ),
    "url a number": (
        START_OK,
        json_answer({"data": {"bulkOperation": {"status": "COMPLETED", "url": 7}}}),
        CANCELLED,
    ),
}


@pytest.mark.parametrize("answers", BULK_SHAPES.values(), ids=BULK_SHAPES.keys())
def test_a_bulk_answer_of_the_wrong_shape_is_a_bulk_error_and_disables_bulk(
    answers: tuple[Answer, ...],
) -> None:
    with scripted_server(*answers) as script:
        client = _client(script.url)
        with pytest.raises(BulkOperationError) as raised:
            run_bulk_query(client, queries.orders_bulk_query("updated_at:>2026-10-01"))
        assert raised.value.code == MALFORMED_RESPONSE
        assert not raised.value.retryable
        if len(answers) > 1:  # a job was started: it is cancelled, not left running
            assert script.received[-1]["query"] == CANCEL_BULK_OPERATION
        sent = len(script.received)
        with pytest.raises(BulkOperationError) as again:
            run_bulk_query(client, "{ orders { edges { node { id } } } }")
        assert again.value.code == "BULK_DISABLED" and len(script.received) == sent

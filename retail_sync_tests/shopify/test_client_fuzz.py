"""Fuzzing the Shopify client's response handling, paging and bulk polling with hypothesis:
arbitrary bytes and JSON values (biased towards the keys Shopify's answers use) give a value or a
ShopifyError, never another exception, and never a wait longer than a minute.

Parsers are fuzzed directly; the client, `iter_nodes` and `run_bulk_query` through
`httpx.MockTransport` (a third party's bodies, not our simulator's); one test goes through a
loopback HTTP server. Deterministic (`derandomize=True`, no example database); ~1,100 cases,
~10 s in all.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retail_sync.shopify.bulk import (
    BulkResult,
    read_operation,
    read_started_operation,
    run_bulk_query,
)
from retail_sync.shopify.client import (
    MAX_PACING_WAIT_SECONDS,
    QueryCost,
    RetryableFailure,
    ShopifyClient,
    ShopifyError,
    ThrottleModel,
    decode_body,
    interpret_response,
)
from retail_sync.shopify.paging import Page, iter_nodes, read_page
from retail_sync_tests.clocks import FakeClock
from retail_sync_tests.shopify.scripted_http import Answer, Script, scripted_server

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
KEYS = [
    "data",
    "errors",
    "extensions",
    "message",
    "code",
    "cost",
    "requestedQueryCost",
    "actualQueryCost",
    "throttleStatus",
    "maximumAvailable",
    "currentlyAvailable",
    "restoreRate",
    "orders",
    "nodes",
    "edges",
    "node",
    "pageInfo",
    "hasNextPage",
    "endCursor",
    "id",
    "bulkOperationRunQuery",
    "bulkOperation",
    "userErrors",
    "status",
    "objectCount",
    "rootObjectCount",
    "url",
    "partialDataUrl",
    "errorCode",
    "THROTTLED",
    "INTERNAL_SERVER_ERROR",
]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([*KEYS, "COMPLETED", "RUNNING", "FAILED", "", "12", "-1", "1e999", "NaN"])
    | st.text(max_size=12)
)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), children, max_size=5)
    ),
    max_leaves=10,
)
OBJECTS = st.dictionaries(st.sampled_from(KEYS), JSON, max_size=4)


def _encode(value: Any) -> bytes:
    return json.dumps(value).encode()  # NaN / Infinity as Python writes them: json.loads reads them


BODIES = (
    st.binary(max_size=64)
    | JSON.map(_encode)
    | OBJECTS.map(_encode)
    | st.sampled_from([b"", b"  ", b"<html>502</html>", b"\xff\xfe{}", b'{"data":', b"[" * 5000])
)
STATUSES = st.sampled_from([200, 200, 200, 200, 201, 204, 302, 400, 401, 404, 429, 500, 503])
HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "Retry-After": st.sampled_from(["1", "0", "-5", "1e999", "nan", "inf", "soon", "2.5"]),
        "X-Request-Id": st.text("abc-0123456789", min_size=1, max_size=8),
    },
)


@given(status=STATUSES, headers=HEADERS, body=BODIES)
@settings(FUZZ, max_examples=250)
def test_any_response_is_data_a_retry_or_a_shopify_error(
    status: int, headers: dict[str, str], body: bytes
) -> None:
    payload, problem = decode_body(body)
    assert payload is None or isinstance(payload, dict)
    try:
        outcome = interpret_response(status, "Reason", headers, payload, problem)
    except ShopifyError as error:
        assert error.code
        return
    assert isinstance(outcome, dict | RetryableFailure)
    if isinstance(outcome, RetryableFailure):
        assert outcome.retry_after is None or 0 <= outcome.retry_after <= 60


@given(extensions=JSON | st.fixed_dictionaries({"cost": OBJECTS}), later=st.floats(0, 1e6))
@settings(FUZZ, max_examples=150)
def test_any_cost_block_is_a_cost_or_ignored_and_pacing_stays_bounded(
    extensions: Any, later: float
) -> None:
    cost = QueryCost.from_extensions(extensions)
    if cost is None:
        return
    for value in (cost.requested, cost.maximum_available, cost.currently_available):
        assert math.isfinite(value) and value >= 0
    model = ThrottleModel()
    model.observe(cost, now=0.0)
    model.spend(cost.requested, now=0.0)
    for requested in (cost.requested, 1000.0):
        wait = model.wait_for(requested, later)
        assert 0 <= wait <= MAX_PACING_WAIT_SECONDS


@given(data=OBJECTS | st.fixed_dictionaries({"orders": JSON}), deep=st.booleans())
@settings(FUZZ, max_examples=250)
def test_any_connection_is_a_page_or_a_shopify_error(data: dict[str, Any], deep: bool) -> None:
    path = ("orders", "nodes") if deep else ("orders",)
    try:
        page = read_page(data, path, "req-1")
    except ShopifyError as error:
        assert error.code == "MALFORMED_RESPONSE" and error.request_id == "req-1"
        return
    assert isinstance(page, Page)
    assert all(isinstance(node, dict) for node in page.nodes)
    assert not page.has_next_page or isinstance(page.end_cursor, str)


@given(
    started=OBJECTS | st.fixed_dictionaries({"bulkOperationRunQuery": OBJECTS}),
    polled=OBJECTS | st.fixed_dictionaries({"bulkOperation": OBJECTS}),
)
@settings(FUZZ, max_examples=150)
def test_any_bulk_answer_is_a_state_or_a_shopify_error(
    started: dict[str, Any], polled: dict[str, Any]
) -> None:
    with contextlib.suppress(ShopifyError):
        assert isinstance(read_started_operation(started), str)
    try:
        state = read_operation(polled, "gid://shopify/BulkOperation/1")
    except ShopifyError:
        return
    assert state is None or (state.object_count >= 0 and isinstance(state.status, str))


# -- through the client ---------------------------------------------------------------------------

RESPONSES = st.lists(st.tuples(STATUSES, HEADERS, BODIES), max_size=6)
LAST_PAGE = json.dumps(
    {"data": {"orders": {"nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}}}
).encode()
PAGES_QUERY = "query($first: Int!, $after: String) { orders(first: $first, after: $after) { x } }"


def _scripted_client(
    responses: list[tuple[int, dict[str, str], bytes]], final: bytes
) -> tuple[ShopifyClient, FakeClock]:
    """A client whose transport answers `responses` in order, then `final` for ever."""
    queue = list(responses)

    def answer(request: httpx.Request) -> httpx.Response:
        status, headers, body = queue.pop(0) if queue else (200, {}, final)
        return httpx.Response(status, headers=headers, content=body)

    clock = FakeClock(datetime(2026, 12, 1, tzinfo=UTC))
    client = ShopifyClient(
        "https://fuzz.myshopify.com",
        "shpat_fuzz",
        clock=clock.monotonic,
        sleep=clock.sleep,
        max_retries=2,
        max_throttled_retries=2,
        http=httpx.Client(transport=httpx.MockTransport(answer)),
    )
    return client, clock


@given(responses=RESPONSES)
@settings(FUZZ, max_examples=120)
def test_paging_any_answers_yields_nodes_or_a_shopify_error(
    responses: list[tuple[int, dict[str, str], bytes]],
) -> None:
    client, clock = _scripted_client(responses, LAST_PAGE)
    try:
        nodes = list(iter_nodes(client, PAGES_QUERY, ("orders",)))
    except ShopifyError:
        nodes = []
    assert all(isinstance(node, dict) for node in nodes)
    assert all(0 <= seconds <= 60 for seconds in clock.slept)


STARTED = json.dumps(
    {"data": {"bulkOperationRunQuery": {"bulkOperation": {"id": "B1"}, "userErrors": []}}}
).encode()
COMPLETED = json.dumps(
    {"data": {"bulkOperation": {"status": "COMPLETED", "objectCount": "3", "url": None}}}
).encode()


@given(start=st.one_of(st.just((200, {}, STARTED)), st.tuples(STATUSES, HEADERS, BODIES)),
       polls=RESPONSES)  # fmt: skip
@settings(FUZZ, max_examples=120)
def test_polling_any_answers_is_a_result_or_a_shopify_error(
    start: tuple[int, dict[str, str], bytes],
    polls: list[tuple[int, dict[str, str], bytes]],
) -> None:
    client, _ = _scripted_client([start, *polls], COMPLETED)
    try:
        result = run_bulk_query(client, "{ orders { edges { node { id } } } }", stall_timeout=60)
    except ShopifyError:
        return
    assert isinstance(result, BulkResult) and result.status == "COMPLETED"


@pytest.fixture(scope="module")
def loopback() -> Iterator[Script]:
    with scripted_server(Answer(b"")) as script:
        yield script


@given(status=st.sampled_from([200, 200, 500]), body=BODIES)
@settings(FUZZ, max_examples=25)
def test_any_body_over_real_http_is_data_or_a_shopify_error(
    loopback: Script, status: int, body: bytes
) -> None:
    loopback.answers[:] = [Answer(body, status)]
    clock = FakeClock(datetime(2026, 12, 1, tzinfo=UTC))
    with httpx.Client(verify=False, timeout=5) as http:
        client = ShopifyClient(
            loopback.url, "shpat_fuzz", clock=clock.monotonic, sleep=clock.sleep, max_retries=1,
            http=http,
        )  # fmt: skip
        with contextlib.suppress(ShopifyError):
            assert isinstance(client.execute("{ shop { name } }"), dict)

"""Admin GraphQL client: one place for auth, pacing from `throttleStatus`, retries and errors.

Pacing keeps a local model of Shopify's leaky bucket, refreshed from every response's
`extensions.cost.throttleStatus`; before a request whose estimated cost exceeds the modelled
available points it waits exactly `(cost - available) / restoreRate`. THROTTLED answers (HTTP 200
or 429), other 429s, 5xx and connection errors are retried with `retail_sync.retrying`'s
full-jitter backoff (a `Retry-After` header is a floor), within the budget stated there. See
docs/shopify.md.

A response is judged by plain functions (`decode_body`, `interpret_response`,
`QueryCost.from_extensions`) so its handling can be tested without a network. A body that is not
a JSON object (empty, cut short, HTML from a proxy, not UTF-8) is retried as `MALFORMED_RESPONSE`:
it is what a proxy or a dropped connection produces, and the next answer is usually whole. A JSON
object of the wrong shape (no `data`, `data` not an object) is Shopify's deliberate answer and is
raised at once. A `cost` block that does not parse is ignored: the data is still good, only
pacing loses its model until the next response.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from retail_sync.errors import RetailSyncError
from retail_sync.retrying import (
    SHOPIFY_REQUEST,
    SHOPIFY_THROTTLED_REQUEST,
    Backoff,
    RandomSource,
    parse_retry_after,
)
from retail_sync.shopify.version import API_VERSION

Clock = Callable[[], float]
Sleep = Callable[[float], None]

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 522, 524})
THROTTLED = "THROTTLED"
MAX_QUERY_COST = 1000
PACING_MARGIN_SECONDS = 0.001
MALFORMED_RESPONSE = "MALFORMED_RESPONSE"
# Upper bound on a single pacing wait, whatever a response says: a full standard bucket refills
# in 20 s, and an absurd `restoreRate` must never park a run for hours (nor can a `Retry-After`:
# SHOPIFY_REQUEST.max_retry_after_seconds).
MAX_PACING_WAIT_SECONDS = 60.0


class ShopifyError(RetailSyncError):
    """An Admin API failure with Shopify's own error code and the request id.

    `retryable` is True only for what a later attempt may cure (throttling, 429/5xx, a lost
    connection, a body that is not JSON) once the client's own retries are spent; credentials,
    a refused query or a response of the wrong shape come back the same every time.
    """

    retryable = False

    def __init__(
        self,
        code: str,
        message: str,
        request_id: str | None = None,
        *,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}" + (f" (request {request_id})" if request_id else ""))
        self.code = code
        self.message = message
        self.request_id = request_id
        self.extensions = dict(extensions or {})


@dataclass
class QueryCost:
    """`extensions.cost` of one response."""

    requested: float
    actual: float | None
    maximum_available: float
    currently_available: float
    restore_rate: float

    @classmethod
    def from_extensions(cls, extensions: Any) -> QueryCost | None:
        """The cost block of `extensions`, or None when absent or not the documented shape."""
        cost = extensions.get("cost") if isinstance(extensions, Mapping) else None
        if not isinstance(cost, Mapping):
            return None
        status = cost.get("throttleStatus")
        if not isinstance(status, Mapping):
            return None
        requested = _points(cost.get("requestedQueryCost", 0))
        actual = None if cost.get("actualQueryCost") is None else _points(cost["actualQueryCost"])
        maximum = _points(status.get("maximumAvailable"))
        available = _points(status.get("currentlyAvailable"))
        restore_rate = _points(status.get("restoreRate"))
        if (
            requested is None
            or (actual is None and cost.get("actualQueryCost") is not None)
            or maximum is None
            or available is None
            or restore_rate is None
            or maximum <= 0
        ):
            return None
        return cls(
            requested=requested,
            actual=actual,
            maximum_available=maximum,
            currently_available=available,
            restore_rate=restore_rate,
        )


def _points(value: Any) -> float | None:
    """A finite, non-negative number of points (or points per second), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


class ThrottleModel:
    """A local picture of the shop's bucket, refreshed from each `throttleStatus`."""

    def __init__(self) -> None:
        self.maximum: float | None = None
        self.available: float = 0.0
        self.restore_rate: float = 0.0
        self.observed_at: float = 0.0

    @property
    def known(self) -> bool:
        return self.maximum is not None and self.restore_rate > 0

    def observe(self, cost: QueryCost, now: float) -> None:
        self.maximum = cost.maximum_available
        self.available = cost.currently_available
        self.restore_rate = cost.restore_rate
        self.observed_at = now

    def available_at(self, now: float) -> float:
        if self.maximum is None:
            return 0.0
        gained = max(0.0, now - self.observed_at) * self.restore_rate
        return min(self.maximum, self.available + gained)

    def wait_for(self, cost: float, now: float) -> float:
        """Seconds to wait before `cost` points are available (0 when unknown or enough)."""
        if not self.known or cost <= 0:
            return 0.0
        deficit = min(cost, self.maximum or cost) - self.available_at(now)
        if deficit <= 0:
            return 0.0
        # A millisecond over the exact figure, so float rounding never lands a hair short.
        return min(MAX_PACING_WAIT_SECONDS, deficit / self.restore_rate + PACING_MARGIN_SECONDS)

    def spend(self, cost: float, now: float) -> None:
        """Debit the model as a request leaves (the response then replaces the estimate)."""
        if self.known:
            self.available = self.available_at(now) - cost
            self.observed_at = now


@dataclass
class ClientStats:
    """What one client did; `budget_utilisation` = points consumed / points the bucket allowed."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0
    failed_requests: int = 0
    cost_requested: float = 0.0
    cost_actual: float = 0.0
    throttle_wait_seconds: float = 0.0
    backoff_wait_seconds: float = 0.0
    started_at: float | None = None
    last_response_at: float | None = None
    starting_available: float | None = None
    restore_rate: float | None = None
    retry_reasons: dict[str, int] = field(default_factory=dict)

    def budget_allowed(self) -> float:
        """Points available at the start plus everything restored until the last response."""
        if self.started_at is None or self.last_response_at is None:
            return 0.0
        elapsed = max(0.0, self.last_response_at - self.started_at)
        return (self.starting_available or 0.0) + (self.restore_rate or 0.0) * elapsed

    def budget_utilisation(self) -> float:
        allowed = self.budget_allowed()
        return self.cost_actual / allowed if allowed else 0.0


class ShopifyClient:
    """A paced, retrying Admin GraphQL client for one shop."""

    def __init__(
        self,
        base_url: str,
        access_token: str,
        *,
        api_version: str = API_VERSION,
        timeout: float = 30.0,
        max_retries: int = SHOPIFY_REQUEST.max_attempts - 1,
        max_throttled_retries: int = SHOPIFY_THROTTLED_REQUEST.max_attempts - 1,
        backoff_base: float = SHOPIFY_REQUEST.base_seconds,
        backoff_cap: float = SHOPIFY_REQUEST.cap_seconds,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        rng: RandomSource | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self.endpoint = f"{self.base_url}/admin/api/{api_version}/graphql.json"
        self.backoff = Backoff(
            max_attempts=max_retries + 1,
            base_seconds=backoff_base,
            cap_seconds=backoff_cap,
            max_retry_after_seconds=SHOPIFY_REQUEST.max_retry_after_seconds,
        )
        self.throttled_backoff = Backoff(
            max_attempts=max_throttled_retries + 1,
            base_seconds=backoff_base,
            cap_seconds=min(backoff_cap, SHOPIFY_THROTTLED_REQUEST.cap_seconds),
            max_retry_after_seconds=SHOPIFY_THROTTLED_REQUEST.max_retry_after_seconds,
        )
        self.clock = clock
        self.sleep = sleep
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self.throttle = ThrottleModel()
        self.stats = ClientStats()
        self.last_cost: QueryCost | None = None
        self.last_request_id: str | None = None
        # Set when a bulk operation of this client stalled or answered nonsense: starting another
        # one would cost another stall limit, so bulk.py refuses and the caller pages instead.
        self.bulk_disabled_reason: str | None = None
        self._learned_costs: dict[str, float] = {}
        self._http = http or httpx.Client(timeout=timeout)
        self._owns_http = http is None
        self._headers = {
            "X-Shopify-Access-Token": access_token,
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": "retail_sync",
        }

    def __repr__(self) -> str:
        return f"ShopifyClient({self.base_url!r}, api_version={self.api_version!r})"

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> ShopifyClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- HTTP ---------------------------------------------------------------------------------

    def stream(self, url: str) -> Any:
        """GET `url` as a stream (bulk results: signed URLs, no auth header)."""
        return self._http.stream("GET", url)

    def execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        estimated_cost: float | None = None,
    ) -> dict[str, Any]:
        """Run one operation and return its `data`; raise `ShopifyError` on failure.

        `estimated_cost` defaults to the requested cost last seen for the same query text.
        """
        body = {"query": query, "variables": dict(variables or {})}
        cost = estimated_cost if estimated_cost is not None else self._learned_costs.get(query)
        failed_attempts = 0
        throttled_attempts = 0
        while True:
            self._pace(cost or 0.0)
            outcome = self._send_once(body)
            if isinstance(outcome, dict):
                if self.last_cost is not None:
                    self._learned_costs[query] = self.last_cost.requested
                return outcome
            throttled = outcome.reason == THROTTLED
            if throttled:
                throttled_attempts += 1
                cost = self._cost_after_throttling(query, cost, outcome.error)
                retrying = self.throttled_backoff.may_retry(throttled_attempts)
            else:
                failed_attempts += 1
                retrying = self.backoff.may_retry(failed_attempts)
            if not retrying:
                self.stats.failed_requests += 1
                raise outcome.error
            self.stats.retries += 1
            reasons = self.stats.retry_reasons
            reasons[outcome.reason] = reasons.get(outcome.reason, 0) + 1
            backoff = self.throttled_backoff if throttled else self.backoff
            attempt = max(failed_attempts, throttled_attempts)
            self._wait(backoff.delay(attempt, self.rng, outcome.retry_after))

    def _cost_after_throttling(
        self, query: str, cost: float | None, error: ShopifyError
    ) -> float | None:
        """Count a THROTTLED answer and learn the query's cost from it; raise when the query
        can never fit the bucket (the caller must ask for less)."""
        self.stats.throttled += 1
        if self.last_cost is None:
            return cost
        cost = self.last_cost.requested
        self._learned_costs[query] = cost
        if cost > self.last_cost.maximum_available:
            self.stats.failed_requests += 1
            raise ShopifyError(
                "COST_EXCEEDS_BUCKET",
                f"requested cost {cost:g} exceeds the bucket "
                f"({self.last_cost.maximum_available:g})",
                error.request_id,
                extensions={"cost": cost, "maxCost": self.last_cost.maximum_available},
            )
        return cost

    def _pace(self, cost: float) -> None:
        wait = self.throttle.wait_for(cost, self.clock())
        if wait > 0:
            self.stats.throttle_wait_seconds += wait
            self.sleep(wait)

    def _wait(self, delay: float) -> None:
        if delay > 0:
            self.stats.backoff_wait_seconds += delay
            self.sleep(delay)

    def _send_once(self, body: dict[str, Any]) -> dict[str, Any] | RetryableFailure:
        """One POST: the data, or the failure when worth retrying."""
        now = self.clock()
        if self.stats.started_at is None:
            self.stats.started_at = now
        self.throttle.spend(self._learned_costs.get(body["query"], 0.0), now)
        self.stats.requests += 1
        self.last_request_id = None
        try:
            response = self._http.post(self.endpoint, json=body, headers=self._headers)
        except httpx.DecodingError as exc:
            # A Content-Encoding the body does not match: a proxy mangled it.
            return RetryableFailure(
                "malformed", None, ShopifyError(MALFORMED_RESPONSE, type(exc).__name__)
            )
        except httpx.RequestError as exc:
            return RetryableFailure(
                "connection", None, ShopifyError("CONNECTION_ERROR", type(exc).__name__)
            )
        self.last_request_id = response.headers.get("X-Request-Id")
        payload, problem = decode_body(response.content)
        self._observe(payload)
        return interpret_response(
            response.status_code,
            response.reason_phrase,
            response.headers,
            payload,
            problem,
        )

    def _observe(self, payload: dict[str, Any] | None) -> None:
        now = self.clock()
        self.stats.last_response_at = now
        cost = QueryCost.from_extensions(payload.get("extensions") if payload else None)
        if cost is None:
            return
        self.last_cost = cost
        if self.stats.starting_available is None:
            # The bucket before this first request held what is left plus what it used.
            self.stats.starting_available = cost.currently_available + (cost.actual or 0.0)
        self.stats.restore_rate = cost.restore_rate
        self.stats.cost_requested += cost.requested if cost.actual is not None else 0.0
        self.stats.cost_actual += cost.actual or 0.0
        self.throttle.observe(cost, now)


@dataclass(frozen=True)
class RetryableFailure:
    """A response worth asking again: why (the `retry_reasons` key), Retry-After, the error."""

    reason: str
    retry_after: float | None
    error: ShopifyError

    def __post_init__(self) -> None:
        # Raised once the client's retries are spent; a later attempt may still succeed.
        self.error.retryable = True


def decode_body(content: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """The body as a JSON object, or (None, what is wrong with it)."""
    if not content.strip():
        return None, "empty body"
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None, "body is not UTF-8"
    try:
        payload = json.loads(text)
    except RecursionError:
        return None, "body nests too deeply"
    except ValueError:
        looks_like_html = text.lstrip()[:1] == "<"
        return None, "body is HTML, not JSON" if looks_like_html else "body is not valid JSON"
    if not isinstance(payload, dict):
        return None, f"body is a JSON {type(payload).__name__}, not an object"
    return payload, None


HTTP_ERROR_CODES = {
    401: "UNAUTHORIZED",
    402: "PAYMENT_REQUIRED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
}


def interpret_response(
    status_code: int,
    reason_phrase: str,
    headers: Mapping[str, str],
    payload: dict[str, Any] | None,
    problem: str | None = None,
) -> dict[str, Any] | RetryableFailure:
    """One decoded response as its `data`, a failure worth retrying, or a raised ShopifyError."""
    request_id = headers.get("X-Request-Id")
    retry_after = parse_retry_after(
        headers.get("Retry-After"), maximum_seconds=SHOPIFY_REQUEST.max_retry_after_seconds
    )
    errors = payload.get("errors") if payload is not None else None
    if _is_throttled(errors):
        return RetryableFailure(
            THROTTLED, retry_after, ShopifyError(THROTTLED, "Throttled", request_id)
        )
    if status_code in RETRYABLE_STATUSES:
        reason = "429" if status_code == 429 else "5xx"
        message = error_text(errors) or reason_phrase
        return RetryableFailure(
            reason, retry_after, ShopifyError(f"HTTP_{status_code}", message, request_id)
        )
    if 300 <= status_code < 400:
        # httpx does not follow redirects: the endpoint is wrong, and asking again will not help.
        raise ShopifyError(f"HTTP_{status_code}", "unexpected redirect", request_id)
    if status_code >= 400:
        raise ShopifyError(
            HTTP_ERROR_CODES.get(status_code, f"HTTP_{status_code}"),
            error_text(errors) or reason_phrase,
            request_id,
        )
    if payload is None:
        return RetryableFailure(
            "malformed",
            retry_after,
            ShopifyError(
                MALFORMED_RESPONSE, f"HTTP {status_code}: {problem or 'no body'}", request_id
            ),
        )
    if errors:
        first = errors[0] if isinstance(errors, list) else None
        extensions = first.get("extensions") if isinstance(first, dict) else None
        extensions = extensions if isinstance(extensions, dict) else {}
        error_code = str(extensions.get("code") or "GRAPHQL_ERROR")
        if error_code == "INTERNAL_SERVER_ERROR":
            return RetryableFailure(
                "5xx", retry_after, ShopifyError(error_code, error_text(errors), request_id)
            )
        raise ShopifyError(error_code, error_text(errors), request_id, extensions=extensions)
    data = payload.get("data")
    if not isinstance(data, dict):
        shape = "missing" if data is None else f"a JSON {type(data).__name__}"
        raise ShopifyError(
            MALFORMED_RESPONSE, f"response data is {shape}, not an object", request_id
        )
    return data


def _is_throttled(errors: Any) -> bool:
    if not isinstance(errors, list):
        return False
    return any(
        isinstance(e, dict)
        and isinstance(e.get("extensions"), dict)
        and e["extensions"].get("code") == THROTTLED
        for e in errors
    )


MAX_ERROR_TEXT = 1000


def error_text(errors: Any) -> str:
    """Shopify's error messages as one line, cut to a readable length."""
    if errors is None:
        return ""
    try:
        if isinstance(errors, str):
            text = errors
        elif isinstance(errors, list):
            text = "; ".join(
                str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors
            )
        elif isinstance(errors, dict):
            text = "; ".join(f"{k}: {v}" for k, v in errors.items())
        else:
            text = str(errors)
    except RecursionError:  # a pathologically nested value: say so rather than crash
        text = "errors too deeply nested to print"
    return text if len(text) <= MAX_ERROR_TEXT else text[:MAX_ERROR_TEXT] + "…"

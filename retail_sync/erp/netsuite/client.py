"""NetSuite SuiteTalk REST client on httpx: paging, retries, circuit breaker, NetSuite errors."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx

from retail_sync.erp.netsuite.auth import ClientCredentialsFlow, TokenBasedAuthFlow
from retail_sync.erp.netsuite.config import NetSuiteConfig, TokenBasedAuth
from retail_sync.erp.netsuite.resilience import CircuitBreaker, RetryPolicy
from retail_sync.erp.port import ERPError, ERPRejected, ERPUnavailable

log = logging.getLogger(__name__)

SUITEQL_PAGE_MAX = 1000
RETRYABLE_STATUS = {429, 500, 502, 503, 504}
TRANSPORT_ERRORS = (httpx.TransportError,)


class OutcomeUnknown(ERPUnavailable):
    """A write may or may not have happened (5xx, timeout, dropped connection): look it up."""


def _loads(content: bytes) -> Any:
    return json.loads(content, parse_float=Decimal) if content else None


def error_from_response(response: httpx.Response, correlation_id: str) -> ERPError:
    """Turn a NetSuite error document into an ERPRejected/ERPError carrying o:errorCode."""
    code: str | None = None
    detail = response.reason_phrase or f"HTTP {response.status_code}"
    try:
        body = _loads(response.content)
        first = (body.get("o:errorDetails") or [{}])[0]
        code = first.get("o:errorCode")
        detail = first.get("detail") or body.get("title") or detail
    except (ValueError, AttributeError, TypeError):
        pass
    correlation = response.headers.get("X-Request-Id", correlation_id)
    cls = ERPRejected if response.status_code in {400, 404, 409, 422} else ERPError
    return cls(
        f"NetSuite {response.request.method} {response.request.url.path}: {detail}",
        code=code,
        status=response.status_code,
        correlation_id=correlation,
    )


class NetSuiteClient:
    """One client per NetSuite account; thread-safe; `close()` (or `with`) frees connections.

    Reads are retried on 429, 5xx and transport errors. Writes (`idempotent=False`) are retried
    only on 429 — NetSuite refuses those before doing any work; any other failure of a write
    raises `OutcomeUnknown` so the caller can look the record up before trying again.
    """

    def __init__(
        self,
        config: NetSuiteConfig,
        *,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        seed: int | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config
        self.retry = retry or RetryPolicy(max_attempts=config.max_attempts)
        self.breaker = breaker or CircuitBreaker(clock=monotonic)
        self._sleep = sleep
        self._rng = random.Random(seed)  # noqa: S311 - jitter, not security
        self._rng_lock = threading.Lock()
        auth: httpx.Auth
        if isinstance(config.auth, TokenBasedAuth):
            auth = TokenBasedAuthFlow(config.auth, config.realm)
        else:
            auth = ClientCredentialsFlow(config.auth, config.token_url)
        self._http = httpx.Client(
            auth=auth,
            timeout=httpx.Timeout(config.read_timeout, connect=config.connect_timeout),
            limits=httpx.Limits(max_connections=config.concurrency),
            headers={"Accept": "application/json", "X-NetSuite-PropertyNameValidation": "error"},
            transport=transport,
        )

    def __repr__(self) -> str:
        return (
            f"NetSuiteClient(account_id={self.config.account_id!r}, url={self.config.base_url!r})"
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> NetSuiteClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---- the one request loop ----------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        idempotent: bool = True,
        ok_statuses: frozenset[int] = frozenset(),
    ) -> httpx.Response:
        """Send with retries; return a 2xx (or an `ok_statuses`) response or raise an ERPError."""
        url = path if path.startswith("http") else f"{self.config.rest_url}{path}"
        correlation_id = str(uuid.uuid4())
        send_headers = {"X-Request-Id": correlation_id, **(headers or {})}
        content = None
        if json_body is not None:
            content = json.dumps(json_body, default=_json_default).encode()
            send_headers["Content-Type"] = "application/json"
        last_error: ERPError | None = None
        for attempt in range(1, self.retry.max_attempts + 1):
            self.breaker.before_call()
            retry_after: float | None = None
            try:
                response = self._http.request(
                    method, url, content=content, params=params, headers=send_headers
                )
            except TRANSPORT_ERRORS as error:
                self.breaker.record_failure()
                kind = OutcomeUnknown if not idempotent else ERPUnavailable
                last_error = kind(
                    f"NetSuite {method} {urllib.parse.urlsplit(url).path}: {type(error).__name__}",
                    code="TRANSPORT_ERROR",
                    correlation_id=correlation_id,
                )
                if not idempotent:
                    raise last_error from error
            else:
                status = response.status_code
                if status < 400 or status in ok_statuses:
                    self.breaker.record_success()
                    return response
                refused = error_from_response(response, correlation_id)
                if status not in RETRYABLE_STATUS:
                    self.breaker.record_success()  # NetSuite answered: it is up
                    raise refused
                if status == 429:
                    self.breaker.record_success()  # busy, not down
                else:
                    self.breaker.record_failure()
                retry_after = _retry_after(response)
                last_error = ERPUnavailable(
                    str(refused),
                    code=refused.code,
                    status=status,
                    correlation_id=refused.correlation_id,
                )
                if not idempotent and status != 429:
                    raise OutcomeUnknown(
                        str(refused),
                        code=refused.code,
                        status=status,
                        correlation_id=refused.correlation_id,
                    )
            if attempt < self.retry.max_attempts:
                with self._rng_lock:
                    wait = self.retry.delay(attempt, self._rng, retry_after)
                log.info(
                    "NetSuite %s %s failed (%s); retry %d in %.2fs",
                    method,
                    path,
                    last_error.code if last_error else "?",
                    attempt,
                    wait,
                )
                self._sleep(wait)
        assert last_error is not None
        raise ERPUnavailable(
            f"{last_error} — gave up after {self.retry.max_attempts} attempts",
            code=last_error.code,
            status=last_error.status,
            correlation_id=last_error.correlation_id,
        )

    def json(self, response: httpx.Response) -> Any:
        return _loads(response.content)

    # ---- SuiteQL -----------------------------------------------------------------------
    def suiteql(self, query: str, *, page_size: int = SUITEQL_PAGE_MAX) -> Iterator[dict[str, Any]]:
        """Yield every row of `query`, one page (≤ 1000 rows) fetched at a time."""
        if not 1 <= page_size <= SUITEQL_PAGE_MAX:
            raise ValueError(f"page_size must be 1..{SUITEQL_PAGE_MAX}")
        offset = 0
        while True:
            response = self.request(
                "POST",
                "/query/v1/suiteql",
                json_body={"q": query},
                params={"limit": page_size, "offset": offset},
                headers={"Prefer": "transient"},
            )
            page = self.json(response)
            for item in page.get("items", []):
                item.pop("links", None)
                yield item
            if not page.get("hasMore") or not page.get("items"):
                return
            offset += len(page["items"])

    # ---- journal entries ---------------------------------------------------------------
    def create_journal(self, body: dict[str, Any]) -> str:
        """POST a journal entry; return its internal id (from `Location`)."""
        response = self.request("POST", "/record/v1/journalentry", json_body=body, idempotent=False)
        return _id_from_location(response)

    def upsert_journal(self, external_id: str, body: dict[str, Any]) -> str:
        response = self.request(
            "PUT",
            f"/record/v1/journalentry/eid:{urllib.parse.quote(external_id)}",
            json_body=body,
            idempotent=False,
        )
        return _id_from_location(response)

    def get_journal(self, key: str) -> dict[str, Any] | None:
        """GET by internal id or `eid:<external id>`, lines expanded; None when absent."""
        response = self.request(
            "GET",
            f"/record/v1/journalentry/{urllib.parse.quote(key, safe=':')}",
            params={"expandSubResources": "true"},
            ok_statuses=frozenset({404}),
        )
        if response.status_code == 404:
            return None
        body: dict[str, Any] = self.json(response)
        return body

    # ---- async -------------------------------------------------------------------------
    def submit_async(
        self, method: str, path: str, body: dict[str, Any], idempotency_key: str
    ) -> str:
        """Send with `Prefer: respond-async`; return the job URL. A reused key raises
        ERPRejected(code=IDEMPOTENCY_ERROR) whose message names the original job."""
        response = self.request(
            method,
            path,
            json_body=body,
            idempotent=False,
            headers={"Prefer": "respond-async", "X-NetSuite-Idempotency-Key": idempotency_key},
        )
        return response.headers["Location"]

    def wait_for_job(
        self, job_url: str, *, poll_seconds: float = 1.0, max_polls: int = 600
    ) -> httpx.Response:
        """Poll the job until complete; return its (single) task's result response."""
        for _ in range(max_polls):
            job = self.json(self.request("GET", job_url))
            if job.get("completed"):
                tasks = self.json(self.request("GET", f"{job_url}/task"))
                task_url = tasks["items"][0]["links"][0]["href"]
                return self.request(
                    "GET", f"{task_url}/result", ok_statuses=frozenset(range(400, 500))
                )
            self._sleep(poll_seconds)
        raise ERPUnavailable(f"NetSuite async job {job_url} did not complete", code="TIMEOUT")


def _id_from_location(response: httpx.Response) -> str:
    location = response.headers.get("Location", "")
    return location.rstrip("/").rsplit("/", 1)[-1]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # NetSuite takes amounts as JSON numbers; a 2-decimal amount of ≤ 15 digits is exact
        # through float repr, so the number on the wire is the decimal we mean.
        if value != value.quantize(Decimal("0.01")) or abs(value) >= Decimal("1e13"):
            raise ValueError(f"amount {value} cannot be sent exactly")
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")

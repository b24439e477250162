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
from dataclasses import replace
from decimal import Decimal
from typing import Any, NamedTuple

import httpx

from retail_sync.erp.netsuite.auth import ClientCredentialsFlow, TokenBasedAuthFlow
from retail_sync.erp.netsuite.config import NetSuiteConfig, TokenBasedAuth
from retail_sync.erp.netsuite.resilience import CircuitBreaker
from retail_sync.erp.port import ERPError, ERPMalformedResponse, ERPRejected, ERPUnavailable
from retail_sync.retrying import NETSUITE_REQUEST, Backoff, parse_retry_after

log = logging.getLogger(__name__)

SUITEQL_PAGE_MAX = 1000
RETRYABLE_STATUS = {429, 500, 502, 503, 504}
TRANSPORT_ERRORS = (httpx.TransportError,)


class OutcomeUnknown(ERPUnavailable):
    """A write may or may not have happened (5xx, timeout, dropped connection): look it up."""


def _loads(content: bytes) -> Any:
    """Parse a JSON body (UTF-8); amounts (and NaN/Infinity, which the rows then refuse) as
    Decimal. Raises ValueError (or RecursionError) when the body is not JSON."""
    return json.loads(content.decode("utf-8-sig"), parse_float=Decimal, parse_constant=Decimal)


def printable(text: str, limit: int = 300) -> str:
    """`text` safe for a one-line message: lone surrogates and control characters escaped."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class CreatedJournal(NamedTuple):
    erp_id: str
    correlation_id: str | None


def _correlation(response: httpx.Response, fallback: str | None = None) -> str | None:
    value = response.headers.get("X-Request-Id")
    return printable(value, 100) if value else fallback


def _where(response: httpx.Response) -> str:
    return f"NetSuite {response.request.method} {response.request.url.path}"


def malformed(response: httpx.Response, what: str, *, retryable: bool) -> ERPMalformedResponse:
    """The error for a response whose body (or headers) we cannot read."""
    return ERPMalformedResponse(
        f"{_where(response)}: {what}",
        retryable=retryable,
        status=response.status_code,
        correlation_id=_correlation(response),
    )


def _error_fields(content: bytes) -> tuple[str | None, str | None]:
    """(o:errorCode, detail or title) of a NetSuite error document; None where absent or of
    the wrong shape: an error answer is reported by its status even when its body is broken."""
    try:
        body = _loads(content)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(body, dict):
        return None, None
    details = body.get("o:errorDetails")
    first = details[0] if isinstance(details, list) and details else None
    first = first if isinstance(first, dict) else {}
    code, detail = first.get("o:errorCode"), first.get("detail") or body.get("title")
    return (
        printable(code, 100) if isinstance(code, str) and code else None,
        printable(detail) if isinstance(detail, str) and detail else None,
    )


def error_from_response(response: httpx.Response, correlation_id: str) -> ERPError:
    """Turn a NetSuite error document into an ERPRejected/ERPError carrying o:errorCode."""
    code, detail = _error_fields(response.content)
    detail = detail or response.reason_phrase or f"HTTP {response.status_code}"
    cls = ERPRejected if response.status_code in {400, 404, 409, 422} else ERPError
    return cls(
        f"{_where(response)}: {detail}",
        code=code,
        status=response.status_code,
        correlation_id=_correlation(response, correlation_id),
    )


def suiteql_page(document: Any, response: httpx.Response) -> tuple[list[dict[str, Any]], bool]:
    """The rows and `hasMore` of one SuiteQL page, or ERPMalformedResponse (not retryable: the
    same request answers the same shape)."""
    if not isinstance(document, dict):
        raise malformed(response, "SuiteQL page is not a JSON object", retryable=False)
    items, has_more = document.get("items"), document.get("hasMore")
    if not isinstance(items, list):
        raise malformed(response, "SuiteQL page has no list of items", retryable=False)
    if not all(isinstance(item, dict) for item in items):
        raise malformed(response, "SuiteQL page has an item that is not an object", retryable=False)
    if not isinstance(has_more, bool):
        raise malformed(response, "SuiteQL page has no true/false hasMore", retryable=False)
    if has_more and not items:
        # Paging on would ask for the same offset forever; stopping would lose the rest.
        raise malformed(response, "SuiteQL page says hasMore but has no items", retryable=False)
    return items, has_more


class NetSuiteClient:
    """One client per NetSuite account; thread-safe; `close()` (or `with`) frees connections.

    Reads are retried on 429, 5xx and transport errors. Writes (`idempotent=False`) are retried
    only on 429 — NetSuite refuses those before doing any work; any other failure of a write
    raises `OutcomeUnknown` so the caller can look the record up before trying again. `retry`
    defaults to `retail_sync.retrying.NETSUITE_REQUEST` with the configured `max_attempts`.
    """

    def __init__(
        self,
        config: NetSuiteConfig,
        *,
        retry: Backoff | None = None,
        breaker: CircuitBreaker | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        seed: int | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config
        self.retry = retry or replace(NETSUITE_REQUEST, max_attempts=config.max_attempts)
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
            except httpx.DecodingError as error:
                # A Content-Encoding the body does not follow: a broken transfer or proxy.
                self.breaker.record_failure()
                raise ERPMalformedResponse(
                    f"NetSuite {method} {urllib.parse.urlsplit(url).path}: the body cannot be "
                    "decoded",
                    retryable=True,
                    correlation_id=correlation_id,
                ) from error
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
                if response.status_code < 400 or response.status_code in ok_statuses:
                    self.breaker.record_success()
                    return response
                last_error = self._retryable_refusal(response, correlation_id, idempotent)
                retry_after = parse_retry_after(
                    response.headers.get("Retry-After"),
                    maximum_seconds=self.retry.max_retry_after_seconds,
                )
            if self.retry.may_retry(attempt):
                self._wait_before_retry(attempt, f"{method} {path}", last_error, retry_after)
        assert last_error is not None
        raise ERPUnavailable(
            f"{last_error} — gave up after {self.retry.max_attempts} attempts",
            code=last_error.code,
            status=last_error.status,
            correlation_id=last_error.correlation_id,
        )

    def _retryable_refusal(
        self, response: httpx.Response, correlation_id: str, idempotent: bool
    ) -> ERPUnavailable:
        """The error of an answer worth asking again; raise the one that is not (anything but 429
        and 5xx, or a write NetSuite may have done). Tells the breaker whether NetSuite is up."""
        status = response.status_code
        refused = error_from_response(response, correlation_id)
        if status not in RETRYABLE_STATUS:
            self.breaker.record_success()  # NetSuite answered: it is up
            raise refused
        if status == 429:
            self.breaker.record_success()  # busy, not down
        else:
            self.breaker.record_failure()
        written_maybe = not idempotent and status != 429
        kind = OutcomeUnknown if written_maybe else ERPUnavailable
        error = kind(
            str(refused), code=refused.code, status=status, correlation_id=refused.correlation_id
        )
        if written_maybe:
            raise error
        return error

    def _wait_before_retry(
        self, attempt: int, request: str, error: ERPError, retry_after: float | None
    ) -> None:
        with self._rng_lock:
            wait = self.retry.delay(attempt, self._rng, retry_after)
        log.info("NetSuite %s failed (%s); retry %d in %.2fs", request, error.code, attempt, wait)
        self._sleep(wait)

    def json(self, response: httpx.Response) -> Any:
        """The response's JSON document, or ERPMalformedResponse: an empty, HTML, non-UTF-8 or
        cut-short body is what a proxy or a dropped transfer sends, so that one is retryable."""
        if not response.content.strip():
            raise malformed(response, "empty body where JSON was expected", retryable=True)
        try:
            return _loads(response.content)
        except UnicodeDecodeError:
            raise malformed(response, "body is not UTF-8", retryable=True) from None
        except ValueError:
            kind = response.headers.get("Content-Type", "no content type")
            raise malformed(
                response, f"body is not JSON ({printable(kind, 80)})", retryable=True
            ) from None
        except RecursionError:
            raise malformed(response, "body is JSON nested too deeply", retryable=False) from None

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
            items, has_more = suiteql_page(self.json(response), response)
            for item in items:
                item.pop("links", None)
                yield item
            if not has_more:
                return
            offset += len(items)

    # ---- journal entries ---------------------------------------------------------------
    def create_journal(self, body: dict[str, Any]) -> CreatedJournal:
        """POST a journal entry; its internal id (from `Location`) and the request's
        correlation id."""
        response = self.request("POST", "/record/v1/journalentry", json_body=body, idempotent=False)
        return CreatedJournal(
            _id_from_location(response),
            _correlation(response, response.request.headers.get("X-Request-Id")),
        )

    def upsert_journal(self, external_id: str, body: dict[str, Any]) -> str:
        """PUT by external id: creates the entry, or on an existing one ADDS the body's lines to
        its sublist (no `?replace=line`). Never used to post (NetSuiteERP.post_journal POSTs and
        resolves doubt by lookup); it edits an entry as a person in NetSuite would."""
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
        body = self.json(response)
        if not isinstance(body, dict):
            raise malformed(response, "journal entry is not a JSON object", retryable=False)
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
        location = response.headers.get("Location", "")
        if not location.startswith(("http://", "https://", "/")):
            # Accepted or not, we cannot tell which job it became: look it up, never resend.
            raise _outcome_unknown(response, "async answer without a job Location")
        return location

    def wait_for_job(
        self, job_url: str, *, poll_seconds: float = 1.0, max_polls: int = 600
    ) -> httpx.Response:
        """Poll the job until complete; return its (single) task's result response."""
        for _ in range(max_polls):
            response = self.request("GET", job_url)
            job = self.json(response)
            completed = job.get("completed") if isinstance(job, dict) else None
            if not isinstance(completed, bool):
                raise malformed(response, "async job has no true/false completed", retryable=False)
            if completed:
                task_url = _first_task_url(self.request("GET", f"{job_url}/task"), self.json)
                return self.request(
                    "GET", f"{task_url}/result", ok_statuses=frozenset(range(400, 500))
                )
            self._sleep(poll_seconds)
        raise ERPUnavailable(f"NetSuite async job {job_url} did not complete", code="TIMEOUT")


def _first_task_url(response: httpx.Response, parse: Callable[[httpx.Response], Any]) -> str:
    """`items[0].links[0].href` of an async job's task list, or ERPMalformedResponse."""
    document = parse(response)
    items = document.get("items") if isinstance(document, dict) else None
    task = items[0] if isinstance(items, list) and items else None
    links = task.get("links") if isinstance(task, dict) else None
    link = links[0] if isinstance(links, list) and links else None
    href = link.get("href") if isinstance(link, dict) else None
    if not isinstance(href, str) or not href.startswith(("http://", "https://", "/")):
        raise malformed(response, "async job's task list has no task link", retryable=False)
    return href


def _outcome_unknown(response: httpx.Response, what: str) -> OutcomeUnknown:
    """A write NetSuite may have done although its answer does not say which record it made."""
    return OutcomeUnknown(
        f"{_where(response)}: {what}",
        code="MALFORMED_RESPONSE",
        status=response.status_code,
        correlation_id=_correlation(response),
    )


def _id_from_location(response: httpx.Response) -> str:
    """The internal id ending `Location`. A write answered without one may still have been
    done, so the error is OutcomeUnknown: the caller looks the record up instead of resending."""
    location = response.headers.get("Location", "")
    record_id = location.rstrip("/").rsplit("/", 1)[-1]
    if not (record_id.isascii() and record_id.isdigit()):
        raise _outcome_unknown(response, "answer without the new record's id in Location")
    return record_id


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # NetSuite takes amounts as JSON numbers; a 2-decimal amount of ≤ 15 digits is exact
        # through float repr, so the number on the wire is the decimal we mean.
        if value != value.quantize(Decimal("0.01")) or abs(value) >= Decimal("1e13"):
            raise ValueError(f"amount {value} cannot be sent exactly")
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")

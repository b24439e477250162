"""Bulk query operations: start, poll with backoff, detect stalls, download the JSONL result.

`bulkOperationRunQuery` starts the job; `bulkOperation(id)` is polled with a growing interval;
FAILED / EXPIRED / CANCELED end in a `BulkOperationError` carrying Shopify's error code (and the
`partialDataUrl`, which is never treated as complete data).

A job whose status and `objectCount` stay the same for `stall_timeout` seconds (default
`DEFAULT_STALL_TIMEOUT`, 3 minutes) is cancelled and raises `STALLED`; an answer of the wrong shape
raises `MALFORMED_RESPONSE`. Both mark the client (`bulk_disabled_reason`), so a retry on the same
client raises `BULK_DISABLED` at once instead of waiting out another stall: the caller reads the
window page by page. The result is streamed to disk, chunk by chunk.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from retail_sync.shopify.client import (
    MALFORMED_RESPONSE,
    ShopifyClient,
    ShopifyError,
    error_text,
)

logger = logging.getLogger(__name__)

# Shopify's bulk jobs report progress every few seconds; three minutes without any is a job that
# will not finish, and a nightly run cannot afford Shopify's 10-day limit to find that out.
DEFAULT_STALL_TIMEOUT = 180.0
STALLED = "STALLED"
BULK_DISABLED = "BULK_DISABLED"
# Codes a new bulk job on the same shop will not cure (see BulkOperationError.retryable).
NOT_RETRYABLE_CODES = frozenset(
    {STALLED, "TIMEOUT", MALFORMED_RESPONSE, BULK_DISABLED, "ACCESS_DENIED"}
)

RUN_BULK_QUERY = """mutation RunBulkQuery($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: false) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}"""
POLL_BULK_OPERATION = """query PollBulkOperation($id: ID!) {
  bulkOperation(id: $id) {
    id status errorCode objectCount rootObjectCount fileSize url partialDataUrl
  }
}"""
CANCEL_BULK_OPERATION = """mutation CancelBulkOperation($id: ID!) {
  bulkOperationCancel(id: $id) { bulkOperation { id status } userErrors { field message } }
}"""
FAILED_STATUSES = frozenset({"FAILED", "EXPIRED", "CANCELED"})


class BulkOperationError(ShopifyError):
    """A bulk operation that did not complete (the caller may read the window by paging)."""

    def __init__(
        self,
        code: str,
        message: str,
        operation_id: str = "",
        partial_data_url: str | None = None,
        *,
        request_id: str | None = None,
    ) -> None:
        super().__init__(code, message, request_id, extensions={"operation_id": operation_id})
        self.operation_id = operation_id
        self.partial_data_url = partial_data_url
        # Whether starting the job again may succeed (a FAILED job may; a stalled one will not).
        self.retryable = code not in NOT_RETRYABLE_CODES


@dataclass(frozen=True)
class BulkResult:
    """A completed bulk operation; `url` is None when it matched nothing."""

    operation_id: str
    status: str
    object_count: int
    root_object_count: int
    url: str | None
    polls: int
    seconds: float


@dataclass(frozen=True)
class OperationState:
    """One poll's answer about a bulk operation."""

    status: str
    error_code: str | None
    object_count: int
    root_object_count: int
    url: str | None
    partial_data_url: str | None


def _malformed(
    what: str, operation_id: str = "", request_id: str | None = None
) -> BulkOperationError:
    return BulkOperationError(MALFORMED_RESPONSE, what, operation_id, request_id=request_id)


def read_started_operation(data: Mapping[str, Any], request_id: str | None = None) -> str:
    """The id of the job `bulkOperationRunQuery` started; its userErrors raise ShopifyError."""
    payload = data.get("bulkOperationRunQuery")
    if not isinstance(payload, Mapping):
        raise _malformed("bulkOperationRunQuery is not an object", request_id=request_id)
    user_errors = payload.get("userErrors") or []
    if not isinstance(user_errors, list):
        raise _malformed("bulkOperationRunQuery.userErrors is not a list", request_id=request_id)
    if user_errors:
        first = user_errors[0] if isinstance(user_errors[0], Mapping) else {}
        code = first.get("code")
        raise ShopifyError(
            code if isinstance(code, str) and code else "INVALID",
            error_text(user_errors),
            request_id,
        )
    operation = payload.get("bulkOperation")
    operation_id = operation.get("id") if isinstance(operation, Mapping) else None
    if not isinstance(operation_id, str) or not operation_id:
        raise _malformed(
            "bulkOperationRunQuery returned no bulk operation id", request_id=request_id
        )
    return operation_id


def _count(value: Any) -> int | None:
    """An UnsignedInt64 (Shopify sends it as a string of digits), or None when it is not one."""
    if value is None:
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value >= 0 else None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def read_operation(
    data: Mapping[str, Any], operation_id: str, request_id: str | None = None
) -> OperationState | None:
    """The polled `bulkOperation`, None when Shopify no longer knows it; raise if misshapen."""
    operation = data.get("bulkOperation")
    if operation is None:
        return None
    if not isinstance(operation, Mapping):
        raise _malformed("bulkOperation is not an object", operation_id, request_id)
    status = operation.get("status")
    if not isinstance(status, str) or not status:
        raise _malformed("bulkOperation.status is not a string", operation_id, request_id)
    counts = _count(operation.get("objectCount")), _count(operation.get("rootObjectCount"))
    if counts[0] is None or counts[1] is None:
        raise _malformed("bulkOperation object counts are not counts", operation_id, request_id)
    texts = {key: operation.get(key) for key in ("errorCode", "url", "partialDataUrl")}
    if any(value is not None and not isinstance(value, str) for value in texts.values()):
        raise _malformed(
            "bulkOperation errorCode / url / partialDataUrl is not a string",
            operation_id,
            request_id,
        )
    return OperationState(
        status=status,
        error_code=texts["errorCode"],
        object_count=counts[0],
        root_object_count=counts[1],
        url=texts["url"],
        partial_data_url=texts["partialDataUrl"],
    )


def run_bulk_query(
    client: ShopifyClient,
    query: str,
    *,
    poll_interval: float = 0.5,
    max_poll_interval: float = 10.0,
    stall_timeout: float = DEFAULT_STALL_TIMEOUT,
    timeout: float = 10 * 24 * 3600.0,
) -> BulkResult:
    """Run `query` as a bulk operation and wait for it; raise `BulkOperationError` otherwise."""
    if client.bulk_disabled_reason is not None:
        raise BulkOperationError(BULK_DISABLED, f"not started: {client.bulk_disabled_reason}")
    started = client.clock()
    try:
        data = client.execute(RUN_BULK_QUERY, {"query": query})
    except ShopifyError as error:
        if error.code == MALFORMED_RESPONSE:
            raise _given_up(client, "", error.message, error.request_id) from None
        raise
    try:
        operation_id = read_started_operation(data, client.last_request_id)
    except BulkOperationError as error:
        raise _given_up(client, "", error.message, error.request_id) from None
    interval = poll_interval
    polls = 0
    last_seen: tuple[str, int] | None = None
    last_progress = started
    while True:
        client.sleep(interval)
        interval = min(max_poll_interval, interval * 1.5)
        try:
            operation = read_operation(
                client.execute(POLL_BULK_OPERATION, {"id": operation_id}),
                operation_id,
                client.last_request_id,
            )
        except ShopifyError as error:
            if error.code != MALFORMED_RESPONSE:
                raise
            raise _given_up(client, operation_id, error.message, error.request_id) from None
        polls += 1
        now = client.clock()
        if operation is None:
            raise BulkOperationError("NOT_FOUND", "bulk operation vanished", operation_id)
        status, count = operation.status, operation.object_count
        if status == "COMPLETED":
            return BulkResult(
                operation_id=operation_id,
                status=status,
                object_count=count,
                root_object_count=operation.root_object_count,
                url=operation.url,
                polls=polls,
                seconds=now - started,
            )
        if status in FAILED_STATUSES:
            raise BulkOperationError(
                operation.error_code or status,
                f"bulk operation {status.lower()} after {count} objects",
                operation_id,
                operation.partial_data_url,
            )
        # Progress is any change a poll can see: a new status (CREATED → RUNNING) or more objects.
        if (status, count) != last_seen:
            last_seen, last_progress = (status, count), now
        if now - last_progress > stall_timeout:
            raise _given_up(
                client,
                operation_id,
                f"bulk operation {operation_id} made no progress for {now - last_progress:.0f} s "
                f"(limit {stall_timeout:g} s; {status}, {count} objects); cancelled",
                code=STALLED,
            )
        if now - started > timeout:
            raise _given_up(
                client,
                operation_id,
                f"bulk operation {operation_id} still {status} after {now - started:.0f} s; "
                "cancelled",
                code="TIMEOUT",
            )


def _given_up(
    client: ShopifyClient,
    operation_id: str,
    message: str,
    request_id: str | None = None,
    *,
    code: str = MALFORMED_RESPONSE,
) -> BulkOperationError:
    """Cancel a job we stop waiting for, keep this client from starting another, and say so."""
    if operation_id:
        try:
            cancel_bulk_operation(client, operation_id)
        except ShopifyError as error:
            # It ends on its own at Shopify's limit; the window is read by paging either way.
            logger.warning("could not cancel bulk operation %s: %s", operation_id, error)
    client.bulk_disabled_reason = f"{code}: {message}"
    logger.warning("bulk operation given up, the window will be paged: %s: %s", code, message)
    return BulkOperationError(code, message, operation_id, request_id=request_id)


def cancel_bulk_operation(client: ShopifyClient, operation_id: str) -> None:
    """Ask Shopify to cancel; a job that already ended is left as it is."""
    client.execute(CANCEL_BULK_OPERATION, {"id": operation_id})


def download(
    client: ShopifyClient, url: str, destination: Path, *, chunk_size: int = 1 << 20
) -> int:
    """Stream `url` to `destination` chunk by chunk; return the bytes written.

    A failed download is a `BulkOperationError` (a new job gets a fresh URL); the message never
    carries the URL, whose signature grants access to the shop's data.
    """
    written = 0
    try:
        with client.stream(url) as response:
            if response.status_code != 200:
                raise BulkOperationError(
                    f"HTTP_{response.status_code}", "bulk result download failed"
                )
            with destination.open("wb") as out:
                for chunk in response.iter_bytes(chunk_size):
                    out.write(chunk)
                    written += len(chunk)
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as error:
        raise BulkOperationError(
            "DOWNLOAD_FAILED", f"bulk result download failed: {type(error).__name__}"
        ) from None
    return written

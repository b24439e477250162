"""Bulk query operations: start, poll with backoff, detect stalls, download the JSONL result.

`bulkOperationRunQuery` starts the job; `bulkOperation(id)` is polled with a growing interval;
FAILED / EXPIRED / CANCELED end in a `BulkOperationError` carrying Shopify's error code (and the
`partialDataUrl`, which is never treated as complete data); no progress in `objectCount` for
`stall_timeout` seconds cancels the job and raises. The result is streamed to disk, chunk by chunk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from retail_sync.shopify.client import ShopifyClient, ShopifyError

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
    """A bulk operation that did not complete."""

    def __init__(
        self, code: str, message: str, operation_id: str, partial_data_url: str | None = None
    ) -> None:
        super().__init__(code, message, extensions={"operation_id": operation_id})
        self.operation_id = operation_id
        self.partial_data_url = partial_data_url


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


def run_bulk_query(
    client: ShopifyClient,
    query: str,
    *,
    poll_interval: float = 0.5,
    max_poll_interval: float = 10.0,
    stall_timeout: float = 600.0,
    timeout: float = 10 * 24 * 3600.0,
) -> BulkResult:
    """Run `query` as a bulk operation and wait for it; raise `BulkOperationError` otherwise."""
    started = client.clock()
    payload = client.execute(RUN_BULK_QUERY, {"query": query})["bulkOperationRunQuery"] or {}
    user_errors = payload.get("userErrors") or []
    if user_errors:
        first = user_errors[0]
        raise ShopifyError(
            str(first.get("code") or "INVALID"), "; ".join(e["message"] for e in user_errors)
        )
    operation_id = str(payload["bulkOperation"]["id"])
    interval = poll_interval
    polls = 0
    last_count = -1
    last_progress = started
    while True:
        client.sleep(interval)
        interval = min(max_poll_interval, interval * 1.5)
        operation = client.execute(POLL_BULK_OPERATION, {"id": operation_id})["bulkOperation"]
        polls += 1
        now = client.clock()
        if operation is None:
            raise BulkOperationError("NOT_FOUND", "bulk operation vanished", operation_id)
        status = str(operation["status"])
        count = int(operation.get("objectCount") or 0)
        if status == "COMPLETED":
            return BulkResult(
                operation_id=operation_id,
                status=status,
                object_count=count,
                root_object_count=int(operation.get("rootObjectCount") or 0),
                url=operation.get("url"),
                polls=polls,
                seconds=now - started,
            )
        if status in FAILED_STATUSES:
            raise BulkOperationError(
                str(operation.get("errorCode") or status),
                f"bulk operation {status.lower()} after {count} objects",
                operation_id,
                operation.get("partialDataUrl"),
            )
        if count != last_count:
            last_count, last_progress = count, now
        stalled = now - last_progress > stall_timeout
        if stalled or now - started > timeout:
            cancel_bulk_operation(client, operation_id)
            code = "STALLED" if stalled else "TIMEOUT"
            raise BulkOperationError(
                code,
                f"bulk operation made no progress for {now - last_progress:.0f} s; canceled",
                operation_id,
            )


def cancel_bulk_operation(client: ShopifyClient, operation_id: str) -> None:
    """Ask Shopify to cancel; a job that already ended is left as it is."""
    client.execute(CANCEL_BULK_OPERATION, {"id": operation_id})


def download(
    client: ShopifyClient, url: str, destination: Path, *, chunk_size: int = 1 << 20
) -> int:
    """Stream `url` to `destination` chunk by chunk; return the bytes written."""
    written = 0
    with client.stream(url) as response:
        if response.status_code != 200:
            raise ShopifyError(
                f"HTTP_{response.status_code}", f"bulk result download failed: {url}"
            )
        with destination.open("wb") as out:
            for chunk in response.iter_bytes(chunk_size):
                out.write(chunk)
                written += len(chunk)
    return written

"""Extraction entry points: read one window of one shop and land it as raw Parquet partitions.

Each function writes its tables through `partition_dir_for(table)` (atomically, via the lake's
`write_partition`), quarantine included, and returns an `ExtractStats`. Paged reads are written
to a JSONL file in the bulk operation's shape (children as their own lines carrying `__parentId`)
so that both modes land through the same validation (landing.py).
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from retail_sync.shopify import queries
from retail_sync.shopify.bulk import BulkOperationError, download, run_bulk_query
from retail_sync.shopify.client import ShopifyClient, ShopifyError
from retail_sync.shopify.landing import connect, land, load_lines
from retail_sync.shopify.paging import iter_nodes, iter_pages
from retail_sync.shopify.tables import (
    BALANCE_LINE_COLUMNS,
    BALANCE_TRANSACTIONS,
    INVENTORY_LEVELS,
    INVENTORY_LINE_COLUMNS,
    ORDER_ENTITIES,
    ORDER_LINE_COLUMNS,
    PAYOUT_LINE_COLUMNS,
    PAYOUTS,
    Entity,
)

PartitionDirFor = Callable[[str], Path]
DEFAULT_BULK_THRESHOLD_ORDERS = 5_000


@dataclass
class ExtractStats:
    """What one extraction read, wrote and spent."""

    rows: dict[str, int]
    quarantined: int
    cost_used: float
    throttle_wait_seconds: float
    requests: int
    retries: int
    window_start: datetime
    window_end: datetime
    mode: str
    records_read: int = 0
    seconds: float = 0.0
    bulk_attempts: int = 0
    notes: list[str] = field(default_factory=list)

    def as_metadata(self) -> dict[str, Any]:
        """Plain values for Dagster metadata."""
        return {
            "rows": dict(self.rows),
            "quarantined": self.quarantined,
            "cost_used": self.cost_used,
            "throttle_wait_seconds": round(self.throttle_wait_seconds, 3),
            "requests": self.requests,
            "retries": self.retries,
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "mode": self.mode,
            "records_read": self.records_read,
            "seconds": round(self.seconds, 3),
        }


class _Meter:
    """Client counters at the start of an extraction, to report only this extraction's share."""

    def __init__(self, client: ShopifyClient) -> None:
        self.client = client
        stats = client.stats
        self.began = time.perf_counter()
        self.start = (stats.cost_actual, stats.throttle_wait_seconds, stats.requests, stats.retries)

    def finish(
        self,
        rows: dict[str, int],
        quarantined: int,
        window: tuple[datetime, datetime],
        mode: str,
        records_read: int,
    ) -> ExtractStats:
        stats = self.client.stats
        cost, waited, requests, retries = self.start
        return ExtractStats(
            rows=rows,
            quarantined=quarantined,
            cost_used=stats.cost_actual - cost,
            throttle_wait_seconds=stats.throttle_wait_seconds - waited,
            requests=stats.requests - requests,
            retries=stats.retries - retries,
            window_start=window[0],
            window_end=window[1],
            mode=mode,
            records_read=records_read,
            seconds=time.perf_counter() - self.began,
        )


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"window bounds must be timezone-aware, got {moment!r}")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json_line(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":")) + "\n"


def _write_line(out: IO[str], record: dict[str, Any]) -> None:
    out.write(_json_line(record))


def _land_file(
    path: Path,
    columns: dict[str, str],
    entities: tuple[Entity, ...],
    *,
    shop_id: str,
    window: tuple[datetime, datetime],
    partition_dir_for: PartitionDirFor,
    family: str,
    work_dir: Path,
) -> tuple[dict[str, int], int, int]:
    con = connect(work_dir)
    try:
        lines = load_lines(con, [path], columns)
        rows, quarantined = land(
            con,
            entities,
            shop_id=shop_id,
            window_start=window[0],
            window_end=window[1],
            partition_dir_for=partition_dir_for,
            family=family,
        )
    finally:
        con.close()
    return rows, quarantined, lines


# -- orders -------------------------------------------------------------------------------------


def _order_lines(client: ShopifyClient, order: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One paged order node as bulk-shaped lines; nested lists cut short are fetched in full."""
    order_id = order["id"]
    line_items = order.pop("lineItems", None) or {}
    refunds = order.get("refunds") or []
    if len(refunds) >= queries.PAGED_REFUNDS or any(
        ((r.get("refundLineItems") or {}).get("pageInfo") or {}).get("hasNextPage") for r in refunds
    ):
        refunds = client.execute(queries.ORDER_REFUNDS, {"id": order_id})["order"]["refunds"]
        if len(refunds) >= 5 or any(
            r["refundLineItems"]["pageInfo"]["hasNextPage"] for r in refunds
        ):
            raise ShopifyError("NESTED_TRUNCATED", f"{order_id}: too many refunds to page")
    if len(order.get("transactions") or []) >= queries.PAGED_TRANSACTIONS:
        full = client.execute(queries.ORDER_TRANSACTIONS, {"id": order_id})["order"]
        order["transactions"] = full["transactions"]
    children: list[dict[str, Any]] = []
    kept_refunds = []
    for refund in refunds:
        refund = dict(refund)
        refund_lines = refund.pop("refundLineItems", None) or {}
        children += [dict(n, __parentId=refund["id"]) for n in refund_lines.get("nodes") or []]
        kept_refunds.append(refund)
    order["refunds"] = kept_refunds
    yield order
    for node in line_items.get("nodes") or []:
        yield dict(node, __parentId=order_id)
    info = line_items.get("pageInfo") or {}
    if info.get("hasNextPage"):
        for page in iter_pages(
            client,
            queries.ORDER_LINE_ITEMS_PAGE,
            ("order", "lineItems"),
            variables={"id": order_id},
            after=info.get("endCursor"),
        ):
            for node in page:
                yield dict(node, __parentId=order_id)
    yield from children


def _estimated_orders(page: list[dict[str, Any]], start: datetime, end: datetime) -> float:
    """Orders in the window, extrapolated from the span of the first page (by updatedAt)."""
    if not page:
        return 0.0
    try:
        last = datetime.fromisoformat(str(page[-1]["updatedAt"]).replace("Z", "+00:00"))
    except ValueError:
        return float(len(page))
    covered = (last - start).total_seconds()
    if covered <= 0:
        return float("inf")
    return len(page) * (end - start).total_seconds() / covered


def extract_orders(
    client: ShopifyClient,
    *,
    shop_id: str,
    window_start: datetime,
    window_end: datetime,
    partition_dir_for: PartitionDirFor,
    use_bulk: bool | None = None,
    bulk_threshold_orders: int = DEFAULT_BULK_THRESHOLD_ORDERS,
    page_size: int = 250,
    bulk_attempts: int = 3,
    bulk_stall_timeout: float = 600.0,
    work_dir: Path | None = None,
) -> ExtractStats:
    """Land orders updated in [window_start, window_end) with their line items, refunds, refund
    lines and transactions (five tables + quarantine).

    `use_bulk=None` reads the first page and switches to a bulk operation when the window is
    estimated to hold more than `bulk_threshold_orders` orders. A bulk operation that fails is
    retried, then the window is read page by page (partial bulk data is never landed).
    """
    window = (window_start, window_end)
    search = queries.time_range_search("updated_at", _utc(window_start), _utc(window_end))
    meter = _Meter(client)
    notes: list[str] = []
    attempts = 0
    with tempfile.TemporaryDirectory(prefix="shopify-orders-", dir=work_dir) as tmp:
        tmp_dir = Path(tmp)
        path = tmp_dir / "orders.jsonl"
        pages: Generator[list[dict[str, Any]], None, None] = iter_pages(
            client,
            queries.ORDERS_PAGE,
            ("orders",),
            variables={"query": search},
            page_size=page_size,
        )
        first_page: list[dict[str, Any]] | None = None
        if use_bulk is None:
            first_page = next(pages, [])
            use_bulk = _estimated_orders(first_page, window_start, window_end) > (
                bulk_threshold_orders
            )
        mode = "bulk" if use_bulk else "paged"
        if use_bulk:
            pages.close()
            while True:
                attempts += 1
                try:
                    result = run_bulk_query(
                        client, queries.orders_bulk_query(search), stall_timeout=bulk_stall_timeout
                    )
                    if result.url:
                        download(client, result.url, path)
                    else:
                        path.write_bytes(b"")
                    break
                except BulkOperationError as error:
                    notes.append(f"bulk attempt {attempts}: {error.code}")
                    if attempts >= bulk_attempts:
                        mode = "paged"
                        first_page = None
                        pages = iter_pages(
                            client,
                            queries.ORDERS_PAGE,
                            ("orders",),
                            variables={"query": search},
                            page_size=page_size,
                        )
                        break
        if mode == "paged":
            sources: list[Any] = [first_page] if first_page is not None else []
            _write_latest_orders(client, [*sources, pages], path)
        rows, quarantined, lines = _land_file(
            path,
            ORDER_LINE_COLUMNS,
            ORDER_ENTITIES,
            shop_id=shop_id,
            window=window,
            partition_dir_for=partition_dir_for,
            family="orders",
            work_dir=tmp_dir,
        )
    stats = meter.finish(rows, quarantined, window, mode, lines)
    stats.bulk_attempts = attempts
    stats.notes = notes
    return stats


def _write_latest_orders(client: ShopifyClient, pages: list[Any], path: Path) -> None:
    """Write paged orders to `path` as bulk-shaped lines, keeping the latest copy of each order.

    Pages come sorted by `updatedAt`, so an order edited while the window is read comes back on a
    later page. Each order and its children are one contiguous block of the file; the block of a
    copy another one supersedes (the newer `updatedAt`; the later one when equal) is cut out at
    the end, so the older copy's children (a line item the edit removed) do not land either.
    """
    latest: dict[str, tuple[datetime, tuple[int, int]]] = {}
    superseded: list[tuple[int, int]] = []
    with path.open("wb") as out:
        for page in pages:
            for order in _flatten_pages(page):
                start = out.tell()
                for line in _order_lines(client, order):
                    out.write(_json_line(line).encode())
                updated, block = _instant(str(order.get("updatedAt") or "")), (start, out.tell())
                previous = latest.get(order["id"])
                if previous is not None and previous[0] > updated:
                    superseded.append(block)
                    continue
                if previous is not None:
                    superseded.append(previous[1])
                latest[order["id"]] = (updated, block)
    if superseded:
        _cut_blocks(path, sorted(superseded))


def _instant(text: str) -> datetime:
    """An ISO timestamp as a comparable instant; an unreadable one sorts first."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _cut_blocks(path: Path, blocks: list[tuple[int, int]], chunk: int = 1 << 20) -> None:
    """Rewrite `path` without the byte ranges `blocks` (sorted, not overlapping), atomically."""
    kept = path.with_name(path.name + ".kept")
    size = path.stat().st_size
    with path.open("rb") as source, kept.open("wb") as target:
        position = 0
        for start, end in [*blocks, (size, size)]:
            source.seek(position)
            remaining = start - position
            while remaining > 0:
                data = source.read(min(chunk, remaining))
                target.write(data)
                remaining -= len(data)
            position = end
    kept.replace(path)


def _flatten_pages(pages: Any) -> Iterator[dict[str, Any]]:
    """Nodes of one page (a list) or of every page of an iterator of pages."""
    if isinstance(pages, list):
        yield from pages
        return
    for page in pages:
        yield from page


# -- Shopify Payments ---------------------------------------------------------------------------


def _extract_paged(
    client: ShopifyClient,
    *,
    query: str,
    path: tuple[str, ...],
    search: str,
    columns: dict[str, str],
    entity: Entity,
    shop_id: str,
    window: tuple[datetime, datetime],
    partition_dir_for: PartitionDirFor,
    page_size: int,
    work_dir: Path | None,
) -> ExtractStats:
    meter = _Meter(client)
    with tempfile.TemporaryDirectory(prefix=f"shopify-{entity.table}-", dir=work_dir) as tmp:
        file = Path(tmp) / f"{entity.table}.jsonl"
        with file.open("w", encoding="utf-8") as out:
            for node in iter_nodes(
                client, query, path, variables={"query": search}, page_size=page_size
            ):
                _write_line(out, node)
        rows, quarantined, lines = _land_file(
            file,
            columns,
            (entity,),
            shop_id=shop_id,
            window=window,
            partition_dir_for=partition_dir_for,
            family=entity.table,
            work_dir=Path(tmp),
        )
    return meter.finish(rows, quarantined, window, "paged", lines)


def extract_payouts(
    client: ShopifyClient,
    *,
    shop_id: str,
    window_start: datetime,
    window_end: datetime,
    partition_dir_for: PartitionDirFor,
    page_size: int = 250,
    work_dir: Path | None = None,
) -> ExtractStats:
    """Land Shopify Payments payouts issued in [window_start, window_end)."""
    return _extract_paged(
        client,
        query=queries.PAYOUTS_PAGE,
        path=("shopifyPaymentsAccount", "payouts"),
        search=queries.time_range_search("issued_at", _utc(window_start), _utc(window_end)),
        columns=PAYOUT_LINE_COLUMNS,
        entity=PAYOUTS,
        shop_id=shop_id,
        window=(window_start, window_end),
        partition_dir_for=partition_dir_for,
        page_size=page_size,
        work_dir=work_dir,
    )


def extract_balance_transactions(
    client: ShopifyClient,
    *,
    shop_id: str,
    window_start: datetime,
    window_end: datetime,
    partition_dir_for: PartitionDirFor,
    page_size: int = 250,
    work_dir: Path | None = None,
) -> ExtractStats:
    """Land balance transactions dated (`processed_at`, i.e. transactionDate) in the window."""
    return _extract_paged(
        client,
        query=queries.BALANCE_TRANSACTIONS_PAGE,
        path=("shopifyPaymentsAccount", "balanceTransactions"),
        search=queries.time_range_search("processed_at", _utc(window_start), _utc(window_end)),
        columns=BALANCE_LINE_COLUMNS,
        entity=BALANCE_TRANSACTIONS,
        shop_id=shop_id,
        window=(window_start, window_end),
        partition_dir_for=partition_dir_for,
        page_size=page_size,
        work_dir=work_dir,
    )


# -- inventory ----------------------------------------------------------------------------------


def extract_inventory_levels(
    client: ShopifyClient,
    *,
    shop_id: str,
    as_of: datetime,
    partition_dir_for: PartitionDirFor,
    page_size: int = 250,
    work_dir: Path | None = None,
) -> ExtractStats:
    """Snapshot every location's (inactive included) inventory levels, every quantity name."""
    meter = _Meter(client)
    as_of_text = _utc(as_of)
    with tempfile.TemporaryDirectory(prefix="shopify-inventory-", dir=work_dir) as tmp:
        file = Path(tmp) / "inventory_levels.jsonl"
        with file.open("w", encoding="utf-8") as out:
            for location in iter_nodes(
                client, queries.LOCATIONS_PAGE, ("locations",), page_size=page_size
            ):
                place = {"id": location["id"], "name": location["name"]}
                for level in iter_nodes(
                    client,
                    queries.INVENTORY_LEVELS_PAGE,
                    ("location", "inventoryLevels"),
                    variables={"id": location["id"]},
                    page_size=page_size,
                ):
                    _write_line(out, dict(level, location=place, as_of=as_of_text))
        rows, quarantined, lines = _land_file(
            file,
            INVENTORY_LINE_COLUMNS,
            (INVENTORY_LEVELS,),
            shop_id=shop_id,
            window=(as_of, as_of),
            partition_dir_for=partition_dir_for,
            family=INVENTORY_LEVELS.table,
            work_dir=Path(tmp),
        )
    return meter.finish(rows, quarantined, (as_of, as_of), "paged", lines)

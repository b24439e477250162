"""Extraction entry points: read one window of one shop and land it as raw Parquet partitions.

Each function writes its tables through `partition_dir_for(table)` (atomically, via the lake's
`write_partition`), quarantine included, and returns an `ExtractStats`. Paged reads are written
to a JSONL file in the bulk operation's shape (children as their own lines carrying `__parentId`)
so that both modes land through the same validation (landing.py): a node of the wrong shape is
quarantined there like a bulk line, and an order whose nested lists cannot be followed is
quarantined whole (`UnreadableLine`), never dropped and never a failed extraction.
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
from retail_sync.shopify.bulk import (
    DEFAULT_STALL_TIMEOUT,
    BulkOperationError,
    download,
    run_bulk_query,
)
from retail_sync.shopify.client import ShopifyClient, ShopifyError
from retail_sync.shopify.landing import (
    DROP_FREE_TEXT,
    FreeTextPolicy,
    UnreadableLine,
    connect,
    land,
    load_lines,
)
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


def _json_line(record: Any) -> str:
    return json.dumps(record, separators=(",", ":")) + "\n"


def _write_line(out: IO[str], record: Any) -> None:
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
    free_text: FreeTextPolicy = DROP_FREE_TEXT,
    unreadable: list[UnreadableLine] | None = None,
) -> tuple[dict[str, int], int, int]:
    con = connect(work_dir)
    try:
        lines = load_lines(con, [path], columns, free_text=free_text, unreadable=unreadable or [])
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


class _MalformedOrder(Exception):
    """An order node whose nested lists cannot be followed: it is quarantined whole."""


def _kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else f"a {type(value).__name__} ({json.dumps(value)[:40]})"


def _connection(value: Any, where: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(nodes, pageInfo) of a GraphQL connection; `_MalformedOrder` if it is not one."""
    if value is None:
        return [], {}
    if not isinstance(value, dict):
        raise _MalformedOrder(f"{where} is {_kind_of(value)}, not a connection")
    nodes, info = value.get("nodes") or [], value.get("pageInfo") or {}
    if not isinstance(nodes, list) or not all(isinstance(node, dict) for node in nodes):
        raise _MalformedOrder(f"{where}.nodes is not a list of objects")
    if not isinstance(info, dict):
        raise _MalformedOrder(f"{where}.pageInfo is {_kind_of(info)}, not an object")
    return nodes, info


def _refund_list(value: Any, where: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(refund, dict) for refund in value):
        raise _MalformedOrder(f"{where} is {_kind_of(value)}, not a list of refunds")
    return value


# A refund's nested connections, each landed as its own lines (children of the refund).
_REFUND_CONNECTIONS = ("refundLineItems", "refundShippingLines")
# What the separate reads of an order's refunds hold at most (queries.ORDER_REFUNDS and
# queries.ORDER_REFUND_SHIPPING_LINES): as many, or a connection with more, cannot be followed.
_SEPARATE_REFUNDS = 5


def _has_more_refund_lines(
    refunds: list[dict[str, Any]], where: str, name: str = "refundLineItems"
) -> bool:
    """Whether a refund's `name` connection (line items, shipping lines) was cut short."""
    return any(
        _connection(refund.get(name), f"{where}.{name}")[1].get("hasNextPage") for refund in refunds
    )


def _refunds_in_full(
    client: ShopifyClient, order_id: str, refunds: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The order's refunds with their line items and shipping lines, read again apart from the
    page when either was cut short (two reads: together they would cost over the limit).

    A refund read again takes its shipping lines from their own read, matched by refund id.
    """
    lines_cut = len(refunds) >= queries.PAGED_REFUNDS or _has_more_refund_lines(refunds, "refunds")
    if lines_cut:
        data = client.execute(queries.ORDER_REFUNDS, {"id": order_id})
        where = "refunds (read separately)"
        refunds = _refund_list(_fetched(data, "order", "refunds"), where)
        if len(refunds) >= _SEPARATE_REFUNDS or _has_more_refund_lines(refunds, where):
            raise ShopifyError("NESTED_TRUNCATED", f"{order_id}: too many refunds to page")
    if not lines_cut and not _has_more_refund_lines(refunds, "refunds", "refundShippingLines"):
        return refunds
    data = client.execute(queries.ORDER_REFUND_SHIPPING_LINES, {"id": order_id})
    where = "refunds (shipping lines read separately)"
    shipped = _refund_list(_fetched(data, "order", "refunds"), where)
    if len(shipped) >= _SEPARATE_REFUNDS or _has_more_refund_lines(
        shipped, where, "refundShippingLines"
    ):
        raise ShopifyError("NESTED_TRUNCATED", f"{order_id}: too many refund shipping lines")
    shipping = {refund.get("id"): refund.get("refundShippingLines") for refund in shipped}
    return [dict(refund, refundShippingLines=shipping.get(refund.get("id"))) for refund in refunds]


def _fetched(data: Any, *path: str) -> Any:
    """The value at `path` of a nested read's data, or `_MalformedOrder`."""
    for name in path:
        if not isinstance(data, dict):
            raise _MalformedOrder(f"the separate read of {'.'.join(path)} returned no {name}")
        data = data.get(name)
    return data


def _order_lines(client: ShopifyClient, node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One paged order node as bulk-shaped lines; nested lists cut short are fetched in full.

    Raises `_MalformedOrder` when a nested list is not the shape queried (the node, not the
    read, is at fault); `node` itself is left as it came, for the quarantine.
    """
    order = dict(node)
    order_id = order["id"]
    line_items, line_info = _connection(order.pop("lineItems", None), "lineItems")
    refunds = _refunds_in_full(client, order_id, _refund_list(order.get("refunds"), "refunds"))
    transactions = order.get("transactions")
    # A list of the wrong shape is landed as read: landing quarantines the order for it.
    if isinstance(transactions, list) and len(transactions) >= queries.PAGED_TRANSACTIONS:
        data = client.execute(queries.ORDER_TRANSACTIONS, {"id": order_id})
        order["transactions"] = _fetched(data, "order", "transactions")
    children: list[dict[str, Any]] = []
    kept_refunds = []
    for refund in refunds:
        refund = dict(refund)
        for name in _REFUND_CONNECTIONS:
            refund_lines, _ = _connection(refund.pop(name, None), name)
            children += [dict(n, __parentId=refund.get("id")) for n in refund_lines]
        kept_refunds.append(refund)
    order["refunds"] = kept_refunds
    yield order
    for item in line_items:
        yield dict(item, __parentId=order_id)
    if line_info.get("hasNextPage"):
        for page in iter_pages(
            client,
            queries.ORDER_LINE_ITEMS_PAGE,
            ("order", "lineItems"),
            variables={"id": order_id},
            after=line_info.get("endCursor"),
        ):
            for item in page:
                if not isinstance(item, dict):
                    raise _MalformedOrder(f"a line item read separately is {_kind_of(item)}")
                yield dict(item, __parentId=order_id)
    yield from children


def _estimated_orders(page: list[dict[str, Any]], start: datetime, end: datetime) -> float:
    """Orders in the window, extrapolated from the span of the first page (by updatedAt)."""
    if not page:
        return 0.0
    last_node = page[-1] if isinstance(page[-1], dict) else {}
    try:
        last = datetime.fromisoformat(str(last_node.get("updatedAt")).replace("Z", "+00:00"))
    except ValueError:
        return float(len(page))
    if last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
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
    bulk_stall_timeout: float = DEFAULT_STALL_TIMEOUT,
    work_dir: Path | None = None,
    free_text: FreeTextPolicy = DROP_FREE_TEXT,
) -> ExtractStats:
    """Land orders updated in [window_start, window_end) with their line items, refunds, refund
    lines, refund shipping lines and transactions (six tables + quarantine).

    `use_bulk=None` reads the first page and switches to a bulk operation when the window is
    estimated to hold more than `bulk_threshold_orders` orders. A bulk operation that fails is
    retried, then the window is read page by page (partial bulk data is never landed).
    """
    window = (window_start, window_end)
    search = queries.time_range_search("updated_at", _utc(window_start), _utc(window_end))
    meter = _Meter(client)
    notes: list[str] = []
    unreadable: list[UnreadableLine] = []
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
                    # A stalled or refused job is not started again: the window is paged.
                    if attempts >= bulk_attempts or not error.retryable:
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
            unreadable = _write_latest_orders(client, [*sources, pages], path)
        rows, quarantined, lines = _land_file(
            path,
            ORDER_LINE_COLUMNS,
            ORDER_ENTITIES,
            shop_id=shop_id,
            window=window,
            partition_dir_for=partition_dir_for,
            family="orders",
            work_dir=tmp_dir,
            free_text=free_text,
            unreadable=unreadable,
        )
    stats = meter.finish(rows, quarantined, window, mode, lines)
    stats.bulk_attempts = attempts
    stats.notes = notes
    return stats


def _write_latest_orders(
    client: ShopifyClient, pages: list[Any], path: Path
) -> list[UnreadableLine]:
    """Write paged orders to `path` as bulk-shaped lines, keeping the latest copies of each order;
    return the orders that could not be written (for the quarantine).

    Pages come sorted by `updatedAt`, so an order edited while the window is read comes back on a
    later page. Each order and its children are one contiguous block of the file; the blocks of
    copies a newer one supersedes are cut out at the end, so an older copy's children (a line
    item the edit removed) do not land either. Copies equally recent are all kept: landing merges
    identical ones and quarantines ones that differ, as it does for a bulk file.
    """
    latest: dict[str, tuple[datetime, list[tuple[int, int]]]] = {}
    superseded: list[tuple[int, int]] = []
    unreadable: list[UnreadableLine] = []
    with path.open("wb") as out:
        for page in pages:
            for order in _flatten_pages(page):
                order_id = order.get("id") if isinstance(order, dict) else None
                if not isinstance(order, dict) or not isinstance(order_id, str):
                    # Landing quarantines it (not a record, or no id), as it would a bulk line.
                    out.write(_json_line(order).encode())
                    continue
                start = out.tell()
                try:
                    for line in _order_lines(client, order):
                        out.write(_json_line(line).encode())
                except _MalformedOrder as error:
                    out.seek(start)
                    out.truncate()
                    unreadable.append(
                        UnreadableLine(
                            f"order node of the wrong shape: {error}", _json_line(order), order_id
                        )
                    )
                    continue
                updated, block = _instant(str(order.get("updatedAt") or "")), (start, out.tell())
                previous = latest.get(order_id)
                if previous is not None and previous[0] > updated:
                    superseded.append(block)
                    continue
                if previous is not None and previous[0] == updated:
                    previous[1].append(block)
                    continue
                if previous is not None:
                    superseded += previous[1]
                latest[order_id] = (updated, [block])
    if superseded:
        _cut_blocks(path, sorted(superseded))
    return unreadable


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
        unreadable: list[UnreadableLine] = []
        with file.open("w", encoding="utf-8") as out:
            for location in iter_nodes(
                client, queries.LOCATIONS_PAGE, ("locations",), page_size=page_size
            ):
                if not isinstance(location, dict) or not isinstance(location.get("id"), str):
                    unreadable.append(
                        UnreadableLine(
                            "location node without an id: its inventory levels were not read",
                            _json_line(location),
                        )
                    )
                    continue
                place = {"id": location["id"], "name": location.get("name")}
                for level in iter_nodes(
                    client,
                    queries.INVENTORY_LEVELS_PAGE,
                    ("location", "inventoryLevels"),
                    variables={"id": location["id"]},
                    page_size=page_size,
                ):
                    # A level that is not an object is landed as read, and quarantined there.
                    if isinstance(level, dict):
                        level = dict(level, location=place, as_of=as_of_text)
                    _write_line(out, level)
        rows, quarantined, lines = _land_file(
            file,
            INVENTORY_LINE_COLUMNS,
            (INVENTORY_LEVELS,),
            shop_id=shop_id,
            window=(as_of, as_of),
            partition_dir_for=partition_dir_for,
            family=INVENTORY_LEVELS.table,
            work_dir=Path(tmp),
            unreadable=unreadable,
        )
    return meter.finish(rows, quarantined, (as_of, as_of), "paged", lines)

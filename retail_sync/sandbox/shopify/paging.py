"""Relay connections over a `RecordIndex`: stable opaque cursors, `first`/`after`, `reverse`.

A cursor is base64 of `[sort value, id]`, so a page boundary survives records being added or
changed elsewhere in the order (the next page starts strictly after the last record returned).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from retail_sync.sandbox.shopify.search import BoolArray
from retail_sync.sandbox.shopify.store import IntArray, RecordIndex

MAX_PAGE_SIZE = 250


class CursorError(ValueError):
    """An `after` cursor that this simulator did not issue."""


def encode_cursor(sort_value: int, record_id: int) -> str:
    raw = json.dumps({"last_id": record_id, "last_value": sort_value}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[int, int]:
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return int(payload["last_value"]), int(payload["last_id"])
    except (ValueError, KeyError, TypeError):
        raise CursorError(f"Invalid cursor for current pagination sort: {cursor!r}") from None


@dataclass
class Page:
    """Rows of one page with their cursors and the `pageInfo` flags."""

    rows: list[int]
    cursors: list[str]
    has_next: bool
    has_previous: bool

    def page_info(self) -> dict[str, Any]:
        return {
            "hasNextPage": self.has_next,
            "hasPreviousPage": self.has_previous,
            "startCursor": self.cursors[0] if self.cursors else None,
            "endCursor": self.cursors[-1] if self.cursors else None,
        }


def page_rows(
    index: RecordIndex,
    sort_column: str | None,
    mask: BoolArray | None,
    *,
    first: int | None,
    after: str | None,
    reverse: bool = False,
    rewind: int = 0,
) -> Page:
    """One page of matching rows in (sort value, id) order; `first=None` means every row.

    `rewind` re-serves that many rows from before the cursor (the `duplicates` fault).
    """
    order: IntArray = index.sorted_rows(sort_column)
    values = index.ids if sort_column is None else index.columns[sort_column]
    start = 0
    if after is not None:
        value, record_id = decode_cursor(after)
        sorted_values = values[order]
        low = int(np.searchsorted(sorted_values, value, side="left"))
        high = int(np.searchsorted(sorted_values, value, side="right"))
        block_ids = index.ids[order[low:high]]
        if reverse:
            below = low + int(np.searchsorted(block_ids, record_id, side="left"))
            start = len(order) - below
        else:
            start = low + int(np.searchsorted(block_ids, record_id, side="right"))
    if reverse:
        order = order[::-1]
    tail = order[start:]
    if mask is not None:
        tail = tail[mask[tail]]
    limit = len(tail) if first is None else first
    head = order[:start]
    if mask is not None:
        head = head[mask[head]]
    has_previous = bool(len(head))
    rewound = [int(row) for row in head[-rewind:]] if rewind and len(head) else []
    combined = rewound + [int(row) for row in tail[: limit + 1]]
    has_next = len(combined) > limit
    chosen = combined[:limit]
    cursors = [encode_cursor(int(values[row]), int(index.ids[row])) for row in chosen]
    return Page(rows=chosen, cursors=cursors, has_next=has_next, has_previous=has_previous)


def list_page(
    items: list[Any], *, first: int | None, after: str | None, key: str = "id"
) -> tuple[list[Any], list[str], dict[str, Any]]:
    """A connection over a small in-memory list already in id order (nested connections)."""
    start = 0
    if after is not None:
        _, last_id = decode_cursor(after)
        start = next(
            (i + 1 for i, item in enumerate(items) if int(item[key]) == last_id), len(items)
        )
    chosen = items[start:] if first is None else items[start : start + first]
    has_next = first is not None and start + first < len(items)
    cursors = [encode_cursor(int(item[key]), int(item[key])) for item in chosen]
    info = {
        "hasNextPage": has_next,
        "hasPreviousPage": start > 0,
        "startCursor": cursors[0] if cursors else None,
        "endCursor": cursors[-1] if cursors else None,
    }
    return chosen, cursors, info

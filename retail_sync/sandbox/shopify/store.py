"""Compact, seekable indexes over a shop's world files: sorted numpy columns plus byte offsets.

Orders (and balance transactions, payouts) are never all held as dicts: at startup each `.jsonl`
line is parsed once to pull the few columns that filters and sort keys need, and the record itself
is re-read from disk with `os.pread` when a page needs it. A world with 200,000 orders per shop-day
costs ~40 bytes per order in memory.
"""

from __future__ import annotations

import json
import os
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from retail_sync.sandbox.world import World, WorldFormatError, read_json

IntArray = npt.NDArray[np.int64]
MISSING_TIME = np.iinfo(np.int64).min


def parse_timestamp(value: str) -> datetime:
    """Parse an RFC 3339 timestamp (`Z` or offset) into an aware datetime."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def to_micros(value: str | None) -> int:
    """Epoch microseconds of a timestamp; `MISSING_TIME` for null."""
    if value is None:
        return int(MISSING_TIME)
    moment = parse_timestamp(value)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> datetime:
    """The aware UTC datetime of epoch microseconds."""
    return datetime.fromtimestamp(value / 1_000_000, tz=UTC)


@dataclass
class RecordIndex:
    """One `.jsonl` file indexed by id, with int64 columns and a byte offset per record."""

    path: Path
    ids: IntArray
    offsets: IntArray
    lengths: IntArray
    columns: dict[str, IntArray]
    _by_id: IntArray = field(init=False)
    _orders: dict[str, IntArray] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _fd: int | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._by_id = np.argsort(self.ids, kind="stable").astype(np.int64)

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @classmethod
    def build(
        cls, path: Path, time_columns: Sequence[str] = (), int_columns: Sequence[str] = ()
    ) -> RecordIndex:
        """Scan `path` once; a missing file is an empty index."""
        ids: list[int] = []
        offsets: list[int] = []
        lengths: list[int] = []
        values: dict[str, list[int]] = {name: [] for name in (*time_columns, *int_columns)}
        if path.exists():
            offset = 0
            with path.open("rb") as handle:
                for number, line in enumerate(handle, start=1):
                    size = len(line)
                    if line.strip():
                        try:
                            record = json.loads(line)
                        except json.JSONDecodeError as error:
                            raise WorldFormatError(
                                f"{path}:{number}: not JSON ({error.msg})"
                            ) from None
                        ids.append(int(record["id"]))
                        offsets.append(offset)
                        lengths.append(size)
                        for name in time_columns:
                            values[name].append(to_micros(record.get(name)))
                        for name in int_columns:
                            raw = record.get(name)
                            values[name].append(_int_column_value(raw))
                    offset += size
        return cls(
            path=path,
            ids=np.asarray(ids, dtype=np.int64),
            offsets=np.asarray(offsets, dtype=np.int64),
            lengths=np.asarray(lengths, dtype=np.int64),
            columns={name: np.asarray(column, dtype=np.int64) for name, column in values.items()},
        )

    def sorted_rows(self, column: str | None) -> IntArray:
        """Row numbers ordered by (`column`, id); `None` orders by id alone. Cached."""
        key = column or "id"
        with self._lock:
            cached = self._orders.get(key)
            if cached is None:
                if column is None:
                    cached = self._by_id
                else:
                    cached = np.lexsort((self.ids, self.columns[column])).astype(np.int64)
                self._orders[key] = cached
            return cached

    def row_of(self, record_id: int) -> int | None:
        """The row holding `record_id`, or None."""
        position = int(np.searchsorted(self.ids[self._by_id], record_id))
        if position < len(self) and int(self.ids[self._by_id[position]]) == record_id:
            return int(self._by_id[position])
        return None

    def read(self, row: int) -> dict[str, Any]:
        """Re-read one record from disk."""
        with self._lock:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDONLY)
            fd = self._fd
        raw = os.pread(fd, int(self.lengths[row]), int(self.offsets[row]))
        record: dict[str, Any] = json.loads(raw)
        return record

    def get(self, record_id: int) -> dict[str, Any] | None:
        row = self.row_of(record_id)
        return None if row is None else self.read(row)

    def iter_rows(self, rows: IntArray) -> Iterator[dict[str, Any]]:
        for row in rows:
            yield self.read(int(row))

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def _int_column_value(raw: Any) -> int:
    if raw is None:
        return -1
    if isinstance(raw, bool):
        return int(raw)
    return int(raw)


@dataclass
class InventoryLevelState:
    """The latest quantities of one item at one location."""

    inventory_item_id: int
    location_id: int
    at: str
    quantities: dict[str, int]


@dataclass
class ShopData:
    """Everything the simulator serves for one shop."""

    shop: dict[str, Any]
    orders: RecordIndex
    balance_transactions: RecordIndex
    payouts: RecordIndex
    locations: list[dict[str, Any]]
    inventory_items: dict[int, dict[str, Any]]
    inventory_levels: list[InventoryLevelState]
    # Every recorded state per (item, location), oldest first: Shopify answers the quantities of
    # "now", so a simulator whose clock is set inside the world answers that moment's levels.
    inventory_history: dict[tuple[int, int], list[tuple[int, InventoryLevelState]]] = field(
        default_factory=dict
    )
    # The simulator's "now" inside the world (None: the present, i.e. the latest states).
    world_now: Callable[[], datetime | None] = lambda: None

    @property
    def shop_id(self) -> str:
        return str(self.shop["id"])

    @property
    def currency(self) -> str:
        return str(self.shop["currency"])

    def inventory_levels_at(self, moment: datetime | None) -> list[InventoryLevelState]:
        """The levels as they stood at `moment` (the latest states when None), by location/item."""
        if moment is None or not self.inventory_history:
            return self.inventory_levels
        micros = to_micros(moment.isoformat())
        levels = []
        for key in sorted(self.inventory_history, key=lambda k: (k[1], k[0])):
            states = self.inventory_history[key]
            position = bisect_right([at for at, _ in states], micros)
            if position:
                levels.append(states[position - 1][1])
        return levels

    def close(self) -> None:
        for index in (self.orders, self.balance_transactions, self.payouts):
            index.close()


def load_shop(world: World, shop: dict[str, Any]) -> ShopData:
    """Index one shop's files."""
    shop_id = str(shop["id"])
    orders = RecordIndex.build(
        world.shop_path(shop_id, "orders.jsonl"),
        time_columns=("updated_at", "created_at", "processed_at"),
        int_columns=("test",),
    )
    balance = RecordIndex.build(
        world.shop_path(shop_id, "balance_transactions.jsonl"),
        time_columns=("transaction_date",),
        int_columns=("payout_id", "associated_order_id"),
    )
    payouts = RecordIndex.build(
        world.shop_path(shop_id, "payouts.jsonl"), time_columns=("issued_at",)
    )
    locations_path = world.shop_path(shop_id, "locations.json")
    locations = list(read_json(locations_path)) if locations_path.exists() else []
    items_path = world.shop_path(shop_id, "inventory_items.json")
    items = list(read_json(items_path)) if items_path.exists() else []
    latest: dict[tuple[int, int], tuple[int, InventoryLevelState]] = {}
    history: dict[tuple[int, int], list[tuple[int, InventoryLevelState]]] = {}
    levels_path = world.shop_path(shop_id, "inventory_levels.jsonl")
    if levels_path.exists():
        for record in world.shop_records(shop_id, "inventory_levels.jsonl"):
            key = (int(record["inventory_item_id"]), int(record["location_id"]))
            moment = to_micros(record["at"])
            state = InventoryLevelState(
                inventory_item_id=key[0],
                location_id=key[1],
                at=record["at"],
                quantities={k: int(v) for k, v in record["quantities"].items()},
            )
            history.setdefault(key, []).append((moment, state))
            previous = latest.get(key)
            if previous is None or moment >= previous[0]:
                latest[key] = (moment, state)
    return ShopData(
        shop=shop,
        orders=orders,
        balance_transactions=balance,
        payouts=payouts,
        locations=locations,
        inventory_items={int(item["id"]): item for item in items},
        inventory_levels=[
            state
            for _, state in sorted(
                latest.values(), key=lambda v: (v[1].location_id, v[1].inventory_item_id)
            )
        ],
        inventory_history={
            key: sorted(states, key=lambda s: s[0]) for key, states in history.items()
        },
    )

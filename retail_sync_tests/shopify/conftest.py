"""Fixtures for the Shopify client tests: a small generated world and its expected ids."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from retail_sync.sandbox.generate.world_generator import generate_world

WINDOW = (datetime(2026, 9, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
ID_COLUMNS = {
    "orders": "order_id",
    "order_line_items": "line_item_id",
    "order_refunds": "refund_id",
    "order_refund_line_items": "refund_line_item_id",
    "order_refund_shipping_lines": "refund_shipping_line_id",
    "order_transactions": "transaction_id",
    "payouts": "payout_id",
    "balance_transactions": "balance_transaction_id",
}


@dataclass(frozen=True)
class Shop:
    world: Path
    shop_id: str
    token: str


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    """One ADVANCED shop, two days of 150 orders."""
    root = tmp_path_factory.mktemp("shopify-world") / "world"
    generate_world(root, seed=11, start=date(2026, 10, 1), days=2, orders_per_day=150, shops=1)
    shop = json.loads((root / "shopify" / "shops.json").read_text())[0]
    return Shop(root, shop["id"], shop["access_token"])


def world_ids(shop: Shop) -> dict[str, set[int]]:
    """Every id per raw table as the world holds it."""
    folder = shop.world / "shopify" / shop.shop_id
    ids: dict[str, set[int]] = {table: set() for table in ID_COLUMNS}
    with (folder / "orders.jsonl").open() as lines:
        for line in lines:
            order = json.loads(line)
            ids["orders"].add(order["id"])
            ids["order_line_items"].update(item["id"] for item in order["line_items"])
            ids["order_transactions"].update(t["id"] for t in order["transactions"])
            for refund in order["refunds"]:
                ids["order_refunds"].add(refund["id"])
                ids["order_refund_line_items"].update(r["id"] for r in refund["refund_line_items"])
                ids["order_refund_shipping_lines"].update(
                    line["id"] for line in refund.get("refund_shipping_lines") or []
                )
    for table, name in (
        ("payouts", "payouts.jsonl"),
        ("balance_transactions", "balance_transactions.jsonl"),
    ):
        with (folder / name).open() as lines:
            ids[table] = {json.loads(line)["id"] for line in lines if line.strip()}
    return ids


def landed_ids(root: Path, table: str) -> list[int]:
    files = sorted((root / table).rglob("*.parquet"))
    values: list[int] = []
    for file in files:
        values += pq.read_table(file, columns=[ID_COLUMNS[table]]).column(0).to_pylist()
    return values


def quarantined_ids(root: Path) -> dict[str, list[int]]:
    result: dict[str, list[int]] = {}
    for file in sorted((root / "quarantine").rglob("*.parquet")):
        table = pq.read_table(file, columns=["source_table", "record_id"]).to_pylist()
        for row in table:
            result.setdefault(row["source_table"], []).append(row["record_id"])
    return result


def partition_dirs(root: Path, shop_id: str) -> Callable[[str], Path]:
    return lambda table: root / table / f"shop={shop_id}" / "date=2026-10-01"

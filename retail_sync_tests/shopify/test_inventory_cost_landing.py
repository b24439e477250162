"""Landing `InventoryItem.unitCost` (issue 15): a nullable MoneyV2 on each inventory level's item.

An item without a cost lands with null cost columns; a cost that is there but malformed sends the
level's rows to quarantine with the reason, like any bad amount.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from retail_sync.shopify import landing, queries
from retail_sync.shopify.tables import INVENTORY_LEVELS, INVENTORY_LINE_COLUMNS


def _level(item: int, unit_cost: Any = None, *, with_cost: bool = True) -> dict[str, Any]:
    item_record: dict[str, Any] = {
        "id": f"gid://shopify/InventoryItem/{item}",
        "sku": f"SKU-{item}",
    }
    if with_cost:
        item_record["unitCost"] = unit_cost
    return {
        "id": f"gid://shopify/InventoryLevel/70001?inventory_item_id={item}",
        "as_of": "2026-10-02T04:00:00Z",
        "updatedAt": "2026-10-01T10:00:00Z",
        "location": {"id": "gid://shopify/Location/70001", "name": "Warehouse East"},
        "item": item_record,
        "quantities": [
            {"name": "on_hand", "quantity": "5", "updatedAt": "2026-10-01T10:00:00Z"},
            {"name": "available", "quantity": "4", "updatedAt": "2026-10-01T10:00:00Z"},
        ],
    }


def _judge(tmp_path: Path, records: list[dict[str, Any]]) -> tuple[pa.Table, list[tuple]]:
    path = tmp_path / "lines.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    con: duckdb.DuckDBPyConnection = landing.connect(tmp_path)
    landing.load_lines(con, [path], INVENTORY_LINE_COLUMNS)
    con.execute(
        "CREATE TEMP TABLE quarantine_rows (source_table VARCHAR, record_gid VARCHAR, "
        "record_id BIGINT, reason VARCHAR, raw_payload VARCHAR)"
    )
    good = landing.judge_entity(con, INVENTORY_LEVELS, shop_id="s")
    rejects = con.execute(
        "SELECT DISTINCT record_gid, reason FROM quarantine_rows ORDER BY record_gid"
    ).fetchall()
    con.close()
    return good, rejects


def test_the_level_query_asks_for_the_items_unit_cost() -> None:
    assert "item { id sku unitCost { amount currencyCode } }" in queries.INVENTORY_LEVELS_PAGE


def test_a_cost_lands_on_each_quantity_row_and_no_cost_lands_null(tmp_path: Path) -> None:
    good, rejects = _judge(
        tmp_path,
        [
            _level(1, {"amount": "84.2", "currencyCode": "USD"}),
            _level(2, None),  # Shopify: the item has no cost
            _level(3, with_cost=False),  # a line landed before the cost was asked for
        ],
    )
    assert rejects == []
    rows = sorted(
        zip(
            good["inventory_item_id"].to_pylist(),
            good["quantity_name"].to_pylist(),
            good["unit_cost"].to_pylist(),
            good["unit_cost_currency"].to_pylist(),
            strict=True,
        )
    )
    assert rows == [
        (1, "available", Decimal("84.20"), "USD"),
        (1, "on_hand", Decimal("84.20"), "USD"),
        (2, "available", None, None),
        (2, "on_hand", None, None),
        (3, "available", None, None),
        (3, "on_hand", None, None),
    ]
    assert good.schema.field("unit_cost").type == pa.decimal128(18, 2)


def test_a_malformed_cost_quarantines_the_level_with_the_reason(tmp_path: Path) -> None:
    good, rejects = _judge(
        tmp_path,
        [
            _level(1, {"amount": "84.20", "currencyCode": "USD"}),
            _level(2, {"amount": "8,42", "currencyCode": "USD"}),
            _level(3, {"amount": None, "currencyCode": "USD"}),
            _level(4, {"amount": "1.005", "currencyCode": "USD"}),
            _level(5, {"amount": "3.10", "currencyCode": "usd"}),
        ],
    )
    assert sorted(set(good["inventory_item_id"].to_pylist())) == [1]
    assert len(rejects) == 4 * 2  # two quantities per level
    level = "gid://shopify/InventoryLevel/70001?inventory_item_id="
    # Every quantity row of a bad level is quarantined (its gid names the quantity).
    assert sorted({(gid.split("&")[0], reason) for gid, reason in rejects}) == [
        (f"{level}2", "non-numeric amount at item.unitCost.amount: 8,42"),
        (f"{level}3", "null amount at item.unitCost.amount"),
        (f"{level}4", "more than two decimals at item.unitCost.amount: 1.005"),
        (f"{level}5", "bad currency code at item.unitCost.currencyCode: usd"),
    ]

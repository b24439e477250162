"""Landing's single-pass path (unique gids) against its de-duplicating path."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa

from retail_sync.shopify import landing
from retail_sync.shopify.tables import ORDER_LINE_COLUMNS, ORDERS


def _order(number: int, amount: str, updated: str = "2026-10-01T05:00:00Z") -> dict[str, object]:
    bag = {"shopMoney": {"amount": amount}, "presentmentMoney": {"amount": amount}}
    return {
        "id": f"gid://shopify/Order/{number}",
        "name": f"#{number}",
        "createdAt": "2026-10-01T04:00:00Z",
        "processedAt": "2026-10-01T04:00:00Z",
        "updatedAt": updated,
        "test": False,
        "currencyCode": "USD",
        "presentmentCurrencyCode": "USD",
        **{
            name: bag
            for name in (
                "totalPriceSet",
                "subtotalPriceSet",
                "totalTaxSet",
                "totalShippingPriceSet",
                "totalDiscountsSet",
                "currentTotalPriceSet",
                "totalRefundedSet",
            )
        },
    }


def _judge(tmp_path: Path, records: list[dict[str, object]]) -> tuple[pa.Table, list[tuple]]:
    path = tmp_path / "lines.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    con: duckdb.DuckDBPyConnection = landing.connect(tmp_path)
    landing.load_lines(con, [path], ORDER_LINE_COLUMNS)
    con.execute(
        "CREATE TEMP TABLE quarantine_rows (source_table VARCHAR, record_gid VARCHAR, "
        "record_id BIGINT, reason VARCHAR, raw_payload VARCHAR)"
    )
    good = landing.judge_entity(con, ORDERS, shop_id="s")
    rejects = con.execute(
        "SELECT record_gid, record_id, reason FROM quarantine_rows ORDER BY record_gid"
    ).fetchall()
    con.close()
    return good, rejects


def test_unique_records_are_validated_in_one_pass(tmp_path: Path) -> None:
    good, rejects = _judge(tmp_path, [_order(3, "1.00"), _order(1, "x"), _order(2, "2.5")])
    assert good["order_id"].to_pylist() == [2, 3]
    assert rejects == [
        ("gid://shopify/Order/1", 1, "non-numeric amount at totalPriceSet.shopMoney.amount: x")
    ]


def test_duplicates_keep_the_latest_before_validation(tmp_path: Path) -> None:
    records = [
        _order(1, "1.00", updated="2026-10-01T06:00:00Z"),
        _order(1, "oops", updated="2026-10-01T05:00:00Z"),
        _order(2, "bad", updated="2026-10-01T06:00:00Z"),
        _order(2, "2.00", updated="2026-10-01T05:00:00Z"),
    ]
    good, rejects = _judge(tmp_path, records)
    # The older, malformed copy of order 1 is dropped, not quarantined; order 2's latest is bad.
    assert good["order_id"].to_pylist() == [1]
    assert [r[:2] for r in rejects] == [("gid://shopify/Order/2", 2)]

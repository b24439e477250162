"""Landing's single-pass path (unique gids) against its de-duplicating path."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa

from retail_sync.shopify import landing
from retail_sync.shopify.tables import (
    ENTITIES,
    ORDER_LINE_COLUMNS,
    ORDER_MONEY_BAGS,
    ORDERS,
    legacy_id,
)


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
        **{name: bag for name in ORDER_MONEY_BAGS},
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


def test_sort_follows_gid_only_where_the_sort_is_the_gids_own_id() -> None:
    # Landing finds duplicate gids by comparing sorted neighbours only for these entities, which
    # is sound only if every sort column is computed from the gid (here: its legacy id).
    for entity in ENTITIES.values():
        values = {f.column: f.value for f in entity.fields}
        own_id = all(values[column] == legacy_id("id") for column in entity.sort)
        gid_is_id = "id AS gid" in entity.source
        assert entity.sort_follows_gid == (own_id and gid_is_id), entity.table


def test_record_type_names_the_lines_an_entity_reads() -> None:
    # Landing quarantines the lines no entity's `record_type` names, so every entity reading
    # lines of one gid type must name it, and name the type its source selects.
    for entity in ENTITIES.values():
        reads_one_type = entity.source.startswith("SELECT *, id AS gid") and (
            "FROM lines WHERE id LIKE 'gid://shopify/" in entity.source
        )
        assert (entity.record_type is not None) == reads_one_type, entity.table
        if entity.record_type:
            assert f"id LIKE 'gid://shopify/{entity.record_type}/%'" in entity.source


def test_duplicates_apart_in_sort_order_are_still_found(tmp_path: Path) -> None:
    # Copies of one gid that the file keeps apart still sort next to each other (the sort key is
    # the gid's own id), so the neighbour comparison finds them and they are de-duplicated.
    records = [
        _order(5, "1.00", updated="2026-10-01T05:00:00Z"),
        _order(3, "3.00"),
        _order(4, "4.00"),
        _order(5, "5.00", updated="2026-10-01T07:00:00Z"),
    ]
    good, rejects = _judge(tmp_path, records)
    assert good["order_id"].to_pylist() == [3, 4, 5]
    assert good["total_price_shop"].to_pylist()[-1] == Decimal("5.00")
    assert rejects == []


def test_quarantined_payload_keeps_the_raw_values(tmp_path: Path) -> None:
    # Values and checks share one projection: the payload must still see the JSONL's `test`
    # (a string, as read), not the boolean value column of the same name.
    path = tmp_path / "lines.jsonl"
    path.write_text(json.dumps(_order(1, "x")) + "\n")
    con: duckdb.DuckDBPyConnection = landing.connect(tmp_path)
    landing.load_lines(con, [path], ORDER_LINE_COLUMNS)
    con.execute(
        "CREATE TEMP TABLE quarantine_rows (source_table VARCHAR, record_gid VARCHAR, "
        "record_id BIGINT, reason VARCHAR, raw_payload VARCHAR)"
    )
    landing.judge_entity(con, ORDERS, shop_id="s")
    [(payload,)] = con.execute("SELECT raw_payload FROM quarantine_rows").fetchall()
    con.close()
    assert '"test":"false"' in payload
    assert '"name":"#1"' in payload


def _land(tmp_path: Path, records: list[dict[str, object]], name: str = "run") -> Path:
    """Land `records` (JSONL lines, in this order) as the orders family; the output folder."""
    from datetime import UTC, datetime

    from retail_sync.shopify.extract import _land_file
    from retail_sync.shopify.tables import ORDER_ENTITIES

    work = tmp_path / name
    work.mkdir()
    path = work / "lines.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    out = work / "out"
    _land_file(
        path,
        ORDER_LINE_COLUMNS,
        ORDER_ENTITIES,
        shop_id="s",
        window=(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 2, tzinfo=UTC)),
        partition_dir_for=lambda table: out / table,
        family="orders",
        work_dir=work,
    )
    return out


def _quarantine(out: Path) -> list[tuple]:
    return duckdb.sql(
        f"SELECT source_table, record_gid, reason, raw_payload "
        f"FROM read_parquet('{out}/quarantine/**/*.parquet') ORDER BY ALL"
    ).fetchall()


def _transaction(gid: str | None, amount: str = "1.00") -> dict[str, object]:
    return {
        "id": gid,
        "kind": "SALE",
        "status": "SUCCESS",
        "gateway": "shopify_payments",
        "test": False,
        "amountSet": {"shopMoney": {"amount": amount}, "presentmentMoney": {"amount": amount}},
        "processedAt": "2026-10-01T04:00:00Z",
        "createdAt": "2026-10-01T04:00:00Z",
    }


def test_lines_no_entity_reads_are_quarantined_not_skipped(tmp_path: Path) -> None:
    no_id = _order(2, "2.00") | {"id": None}
    other_type = _order(3, "3.00") | {"id": "gid://shopify/DraftOrder/3"}
    out = _land(tmp_path, [_order(1, "1.00"), no_id, other_type])
    orders = duckdb.sql(f"SELECT order_id FROM read_parquet('{out}/orders/**/*.parquet')")
    assert orders.fetchall() == [(1,)]
    rejects = _quarantine(out)
    assert [(table, gid, reason) for table, gid, reason, _ in rejects] == [
        ("orders", "gid://shopify/DraftOrder/3", "record of a type this extraction does not "
         "land: gid://shopify/DraftOrder/3"),
        ("orders", None, "record without an id"),
    ]  # fmt: skip
    # The raw line is kept as read, for whoever has to fix it.
    assert json.loads(rejects[1][3])["name"] == "#2"


def test_nested_records_without_an_id_are_each_quarantined(tmp_path: Path) -> None:
    # Two different transactions without an id, in an order landed twice (so the de-duplicating
    # path runs): records without a gid are copies only when identical, so each different one is
    # quarantined once and none is dropped unseen.
    transactions = [_transaction(None, "1.00"), _transaction(None, "2.00")]
    order = _order(1, "1.00") | {"transactions": transactions}
    out = _land(tmp_path, [order, order])
    rejects = [row for row in _quarantine(out) if row[0] == "order_transactions"]
    assert sorted(json.loads(row[3])["amountSet"]["shopMoney"]["amount"] for row in rejects) == [
        "1.00",
        "2.00",
    ]
    assert all(reason.startswith("missing or malformed id") for _, _, reason, _ in rejects)


def test_copies_equally_recent_resolve_the_same_whatever_the_line_order(tmp_path: Path) -> None:
    # Two copies of order 1 with the same updatedAt but different amounts, and lines without an
    # id: the landed files are byte-identical whichever order the lines come in.
    records = [
        _order(1, "1.00"),
        _order(1, "9.00"),
        _order(2, "2.00") | {"id": None},
        _order(4, "4.00") | {"id": None},
        *[_order(number, f"{number}.00") for number in range(10, 400)],
    ]
    first = _land(tmp_path, records, "forward")
    second = _land(tmp_path, list(reversed(records)), "reversed")
    files = sorted(path.relative_to(first) for path in first.rglob("*.parquet"))
    assert files == sorted(path.relative_to(second) for path in second.rglob("*.parquet"))
    for relative in files:
        assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative

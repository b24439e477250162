"""Landing under bad input: every line it cannot read or shape is quarantined with its reason and
the raw line (never a failed file), conflicting copies of one id are quarantined instead of one
being kept, and free text that can carry PII (refund notes) is dropped or keyed-hashed."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import duckdb
import pyarrow.parquet as pq
import pytest

from retail_sync.errors import ConfigurationError
from retail_sync.shopify import landing
from retail_sync.shopify import lines as line_reading
from retail_sync.shopify.client import ShopifyClient
from retail_sync.shopify.extract import _land_file, _write_latest_orders
from retail_sync.shopify.landing import FREE_TEXT_KEY_ENV, FreeTextPolicy, FreeTextSettingError
from retail_sync.shopify.tables import (
    BALANCE_LINE_COLUMNS,
    BALANCE_TRANSACTIONS,
    ORDER_ENTITIES,
    ORDER_LINE_COLUMNS,
    ORDER_MONEY_BAGS,
    ORDER_REFUNDS,
)

WINDOW = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 2, tzinfo=UTC))
KEY = "k" * 40
NO_CLIENT = cast(ShopifyClient, None)


def _bag(amount: str, currency: bool = False) -> dict[str, Any]:
    money: dict[str, Any] = {"amount": amount} | ({"currencyCode": "USD"} if currency else {})
    return {"shopMoney": money, "presentmentMoney": dict(money)}


def order(number: int, amount: str = "1.00", updated: str = "2026-10-01T05:00:00Z") -> dict:
    return {
        "id": f"gid://shopify/Order/{number}",
        "name": f"#{number}",
        "createdAt": "2026-10-01T04:00:00Z",
        "processedAt": "2026-10-01T04:00:00Z",
        "updatedAt": updated,
        "test": False,
        "currencyCode": "USD",
        "presentmentCurrencyCode": "USD",
        **{name: _bag(amount) for name in ORDER_MONEY_BAGS},
    }


def line_item(number: int, order_number: int, sku: str = "SKU-1") -> dict[str, Any]:
    return {
        "id": f"gid://shopify/LineItem/{number}",
        "__parentId": f"gid://shopify/Order/{order_number}",
        "sku": sku,
        "title": "Shirt",
        "quantity": 1,
        "currentQuantity": 1,
        "isGiftCard": False,
        "originalUnitPriceSet": _bag("1.00", currency=True),
        "originalTotalSet": _bag("1.00"),
        "totalDiscountSet": _bag("0.00"),
        "taxLines": [],
    }


def refund(number: int, note: str | None, amount: str = "1.00") -> dict[str, Any]:
    return {
        "id": f"gid://shopify/Refund/{number}",
        "createdAt": "2026-10-01T06:00:00Z",
        "note": note,
        "totalRefundedSet": _bag(amount, currency=True),
    }


def balance_transaction(number: int, amount: str) -> dict[str, Any]:
    money = {"amount": amount, "currencyCode": "USD"}
    return {
        "id": f"gid://shopify/ShopifyPaymentsBalanceTransaction/{number}",
        "type": "CHARGE",
        "test": False,
        "transactionDate": "2026-10-01T05:00:00Z",
        "amount": money,
        "fee": {"amount": "0.10", "currencyCode": "USD"},
        "net": money,
    }


def dumps(record: Any) -> bytes:
    return json.dumps(record).encode()


def land_lines(
    tmp_path: Path,
    lines: list[bytes],
    *,
    name: str = "run",
    columns: dict[str, str] = ORDER_LINE_COLUMNS,
    entities: tuple = ORDER_ENTITIES,
    free_text: FreeTextPolicy = landing.DROP_FREE_TEXT,
) -> Path:
    """Land raw JSONL `lines` as one extraction; the output folder."""
    work = tmp_path / name
    work.mkdir()
    path = work / "lines.jsonl"
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    out = work / "out"
    _land_file(
        path,
        columns,
        entities,
        shop_id="s",
        window=WINDOW,
        partition_dir_for=lambda table: out / table,
        family=entities[0].table,
        work_dir=work,
        free_text=free_text,
    )
    return out


def rows(out: Path, table: str) -> list[dict[str, Any]]:
    return [
        row
        for file in sorted((out / table).rglob("*.parquet"))
        for row in pq.read_table(file).to_pylist()
    ]


def ids(out: Path, table: str, column: str) -> list[int]:
    return sorted(row[column] for row in rows(out, table))


# -- 1. a bad line costs its record, never the file ---------------------------------------------


def test_a_lone_surrogate_in_one_sku_quarantines_that_line_and_lands_the_rest(
    tmp_path: Path,
) -> None:
    bad = dumps(line_item(12, 1, sku="SKU-\ud800"))  # json.dumps writes the escape "\ud800"
    assert b"\\ud800" in bad
    lines = [
        dumps(order(1)),
        dumps(line_item(11, 1)),
        bad,
        dumps(order(2)),
        dumps(line_item(21, 2)),
    ]
    out = land_lines(tmp_path, lines)
    assert ids(out, "orders", "order_id") == [1, 2]
    assert ids(out, "order_line_items", "line_item_id") == [11, 21]
    [rejected] = rows(out, "quarantine")
    assert rejected["source_table"] == "order_line_items"
    assert rejected["record_gid"] == "gid://shopify/LineItem/12"
    assert rejected["record_id"] == 12
    assert rejected["reason"] == "unreadable line: a lone surrogate (\\ud800) in a string"
    assert rejected["raw_payload"] == bad.decode()


BAD_LINES = {
    "an empty list": b"[]",
    "a number": b"42",
    "truncated JSON": b'{"id":"gid://shopify/Order/9","name":"#9","totalPriceSet":{"shop',
    "a scalar where a money bag belongs": dumps(order(9) | {"totalPriceSet": "12.00"}),
    "a scalar where money belongs": dumps(order(9) | {"totalPriceSet": {"shopMoney": "1.00"}}),
    "a list where a money bag belongs": dumps(order(9) | {"totalTaxSet": [1, 2]}),
    "an object where refunds belong": dumps(order(9) | {"refunds": {}}),
    "a scalar in the refunds": dumps(order(9) | {"refunds": [7]}),
    "a raw control character": dumps(order(9)).replace(b'"#9"', b'"#\x019"'),
    "bytes that are not UTF-8": dumps(order(9)).replace(b'"#9"', b'"#\xff9"'),
    "an encoded surrogate": dumps(order(9)).replace(b'"#9"', b'"#\xed\xa0\x809"'),
    "a repeated key": b'{"id":"gid://shopify/Order/9","id":"gid://shopify/Order/10"}',
    "a lone low surrogate in a key": dumps(order(9) | {"\udc00": 1}),
}


def test_lines_of_the_wrong_shape_are_each_quarantined_with_reason_and_raw_line(
    tmp_path: Path,
) -> None:
    # One file holding every kind (one landing: a landing costs ~1 s of DuckDB planning).
    lines = [dumps(order(1)), dumps(line_item(11, 1)), *BAD_LINES.values(), dumps(order(2))]
    out = land_lines(tmp_path, lines)
    assert ids(out, "orders", "order_id") == [1, 2]
    assert ids(out, "order_line_items", "line_item_id") == [11]
    rejected = {row["raw_payload"]: row["reason"] for row in rows(out, "quarantine")}
    assert len(rows(out, "quarantine")) == len(BAD_LINES)
    for kind, bad in BAD_LINES.items():
        reason = rejected.get(bad.decode("utf-8", "backslashreplace"), "")
        assert reason.startswith("unreadable line: "), kind
    assert rejected[BAD_LINES["an object where refunds belong"].decode()] == (
        "unreadable line: refunds: a list was expected, got an object"
    )
    assert rejected[BAD_LINES["a raw control character"].decode()] == (
        "unreadable line: malformed JSON (Invalid control character at column 43)"
    )


def test_lines_duckdb_reads_land_even_where_python_is_stricter(tmp_path: Path) -> None:
    # A trailing comma and deep nesting in a key nobody reads are fine for DuckDB; a bad line
    # elsewhere in the file must not get them quarantined (nor change what a clean file lands).
    lenient = dumps(order(2))[:-1] + b",}"
    deep = dumps(order(3) | {"ignored": "DEEP"}).replace(b'"DEEP"', b"[" * 3000 + b"]" * 3000)
    clean = land_lines(tmp_path, [dumps(order(1)), lenient, deep], name="clean")
    assert ids(clean, "orders", "order_id") == [1, 2, 3]
    with_bad = land_lines(tmp_path, [dumps(order(1)), lenient, deep, b"[]"], name="with-bad")
    assert ids(with_bad, "orders", "order_id") == [1, 2, 3]
    assert [row["raw_payload"] for row in rows(with_bad, "quarantine")] == ["[]"]
    for table in ("orders", "order_line_items"):
        [before] = sorted((clean / table).rglob("*.parquet"))
        [after] = sorted((with_bad / table).rglob("*.parquet"))
        assert before.read_bytes() == after.read_bytes(), table


def test_a_clean_file_is_read_once_without_the_python_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_python_pass(*args: object, **kwargs: object) -> None:
        raise AssertionError("the sanitising pass ran on a clean file")

    monkeypatch.setattr(line_reading, "_sort_readable", no_python_pass)
    out = land_lines(tmp_path, [dumps(order(1)), dumps(line_item(11, 1))])
    assert ids(out, "order_line_items", "line_item_id") == [11]


def test_bad_lines_the_python_checks_miss_are_found_by_duckdb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The safety net: were the Python checks to pass every line, halving the file still finds
    # each line DuckDB refuses, with DuckDB's reason, and lands the rest.
    monkeypatch.setattr(line_reading, "_line_problem", lambda line, shape: (None, None))
    surrogate = dumps(line_item(12, 1, sku="\ud800"))
    lines = [dumps(order(1)), b"[]", dumps(line_item(11, 1)), surrogate, dumps(order(2))]
    out = land_lines(tmp_path, lines)
    assert ids(out, "orders", "order_id") == [1, 2]
    assert ids(out, "order_line_items", "line_item_id") == [11]
    rejected = sorted((row["raw_payload"], row["reason"]) for row in rows(out, "quarantine"))
    assert rejected == [
        ("[]", "unreadable line: Expected OBJECT, but got ARRAY: []"),
        (surrogate.decode(), "unreadable line: no low surrogate in string."),
    ]


def test_paged_nodes_of_the_wrong_shape_are_quarantined_not_raised(tmp_path: Path) -> None:
    # The paged path writes the same JSONL: a lone surrogate (as Python's JSON parser hands it
    # over), a node that is not an object, and an order whose line items are not a connection.
    def paged(number: int, **extra: Any) -> dict[str, Any]:
        node = order(number) | {"refunds": [], "transactions": []}
        node["lineItems"] = {"nodes": [], "pageInfo": {"hasNextPage": False}}
        return node | extra

    surrogate = paged(2, name="#\ud800")
    broken = paged(3, lineItems="not a connection")
    work = tmp_path / "paged"
    work.mkdir()
    path = work / "orders.jsonl"
    unreadable = _write_latest_orders(NO_CLIENT, [[paged(1), surrogate, [], broken]], path)
    out = work / "out"
    _land_file(
        path,
        ORDER_LINE_COLUMNS,
        ORDER_ENTITIES,
        shop_id="s",
        window=WINDOW,
        partition_dir_for=lambda table: out / table,
        family="orders",
        work_dir=work,
        unreadable=unreadable,
    )
    assert ids(out, "orders", "order_id") == [1]
    reasons = sorted(((row["record_gid"] or ""), row["reason"]) for row in rows(out, "quarantine"))
    assert reasons == [
        ("", "unreadable line: a list where a record (a JSON object) belongs"),
        ("gid://shopify/Order/2", "unreadable line: a lone surrogate (\\ud800) in a string"),
        (
            "gid://shopify/Order/3",
            "unreadable line: order node of the wrong shape: lineItems is a str "
            '("not a connection"), not a connection',
        ),
    ]


# -- 2. conflicting copies are quarantined, never merged silently --------------------------------


def _reasons(out: Path) -> list[tuple[str, str]]:
    return sorted((row["record_gid"], row["reason"]) for row in rows(out, "quarantine"))


def test_copies_of_an_order_equally_recent_but_different_are_both_quarantined(
    tmp_path: Path,
) -> None:
    # The same instant written two ways is still the same update time.
    other = order(1, "9.00", updated="2026-10-01T07:00:00+02:00")
    out = land_lines(tmp_path, [dumps(order(1, "1.00")), dumps(other), dumps(order(2))])
    assert ids(out, "orders", "order_id") == [2]
    reason = (
        "conflicting copies of gid://shopify/Order/1: 2 different records, equally recent "
        "(2026-10-01 05:00:00+00)"
    )
    assert _reasons(out) == [("gid://shopify/Order/1", reason)] * 2
    amounts = sorted(
        json.loads(row["raw_payload"])["totalPriceSet"]["shopMoney"]["amount"]
        for row in rows(out, "quarantine")
    )
    assert amounts == ["1.00", "9.00"]


def test_identical_copies_merge_and_a_newer_copy_wins(tmp_path: Path) -> None:
    lines = [
        dumps(order(1)),
        dumps(order(1)),
        dumps(order(2, "2.00")),
        dumps(order(2, "5.00", updated="2026-10-01T09:00:00Z")),
    ]
    out = land_lines(tmp_path, lines)
    landed = {row["order_id"]: row["total_price_shop"] for row in rows(out, "orders")}
    assert {key: str(value) for key, value in landed.items()} == {1: "1.00", 2: "5.00"}
    assert rows(out, "quarantine") == []


def test_conflicting_balance_transactions_are_both_quarantined(tmp_path: Path) -> None:
    lines = [
        dumps(balance_transaction(1, "10.00")),
        dumps(balance_transaction(1, "12.00")),
        dumps(balance_transaction(2, "3.00")),
        dumps(balance_transaction(2, "3.00")),
    ]
    out = land_lines(
        tmp_path, lines, columns=BALANCE_LINE_COLUMNS, entities=(BALANCE_TRANSACTIONS,)
    )
    assert ids(out, "balance_transactions", "balance_transaction_id") == [2]
    gid = "gid://shopify/ShopifyPaymentsBalanceTransaction/1"
    reason = f"conflicting copies of {gid}: 2 different records with this id"
    assert _reasons(out) == [(gid, reason)] * 2


def test_a_line_item_id_shared_by_two_orders_quarantines_both_lines(tmp_path: Path) -> None:
    lines = [dumps(order(1)), dumps(order(2)), dumps(line_item(5, 1)), dumps(line_item(5, 2))]
    out = land_lines(tmp_path, lines)
    assert ids(out, "orders", "order_id") == [1, 2]
    assert rows(out, "order_line_items") == []
    parents = sorted(
        json.loads(row["raw_payload"])["__parentId"] for row in rows(out, "quarantine")
    )
    assert parents == ["gid://shopify/Order/1", "gid://shopify/Order/2"]


def test_paged_copies_equally_recent_are_both_kept_for_landing_to_judge(tmp_path: Path) -> None:
    def paged(amount: str) -> dict[str, Any]:
        node = order(1, amount) | {"refunds": [], "transactions": []}
        return node | {"lineItems": {"nodes": [], "pageInfo": {"hasNextPage": False}}}

    path = tmp_path / "orders.jsonl"
    _write_latest_orders(NO_CLIENT, [[paged("1.00")], [paged("9.00")]], path)
    amounts = [
        json.loads(line)["totalPriceSet"]["shopMoney"]["amount"]
        for line in path.read_text().splitlines()
    ]
    assert amounts == ["1.00", "9.00"]


# -- 3. free text that can carry PII ------------------------------------------------------------

NOTE = "Customer Jane Roe, jane.roe@example.com, +1 555 0100, asked for a refund"


def _every_text(out: Path) -> str:
    """Every string value of every landed file, quarantine included."""
    return "\n".join(
        str(value)
        for file in out.rglob("*.parquet")
        for row in pq.read_table(file).to_pylist()
        for value in row.values()
    )


def _refund_lines() -> list[bytes]:
    good = order(1) | {"refunds": [refund(10, NOTE)]}
    # A refund of the wrong amount (its payload is quarantined) and an unreadable line.
    bad_amount = order(2) | {"refunds": [refund(20, NOTE, amount="x")]}
    unreadable = dumps(order(3) | {"refunds": [refund(30, NOTE)]})[:-3]
    return [dumps(good), dumps(bad_amount), unreadable]


def test_refund_notes_do_not_land_by_default(tmp_path: Path) -> None:
    out = land_lines(tmp_path, _refund_lines())
    [landed] = rows(out, "order_refunds")
    assert landed["refund_id"] == 10 and landed["note"] is None
    assert len(rows(out, "quarantine")) == 2
    text = _every_text(out)
    for piece in ("Jane", "jane.roe@example.com", "555 0100"):
        assert piece not in text
    # The staging model still selects the column: it is there, null.
    assert "note" in ORDER_REFUNDS.schema.names


def test_refund_notes_land_keyed_hashed_when_asked(tmp_path: Path) -> None:
    policy = FreeTextPolicy.from_setting(True, {FREE_TEXT_KEY_ENV: KEY})
    out = land_lines(tmp_path, _refund_lines(), free_text=policy)
    expected = "hmac-sha256:" + hmac.new(KEY.encode(), NOTE.encode(), hashlib.sha256).hexdigest()
    [landed] = rows(out, "order_refunds")
    assert landed["note"] == expected
    payloads = {row["reason"]: row["raw_payload"] for row in rows(out, "quarantine")}
    bad_amount = next(p for reason, p in payloads.items() if "amount" in reason)
    assert json.loads(bad_amount)["note"] == expected
    text = _every_text(out)
    assert "jane.roe@example.com" not in text and "Jane" not in text
    # Another key gives another hash: the key, not the text alone, decides it.
    other = FreeTextPolicy.from_setting(True, {FREE_TEXT_KEY_ENV: "x" * 40})
    assert other.hashed(NOTE) != expected


@pytest.mark.parametrize("environ", [{}, {FREE_TEXT_KEY_ENV: ""}, {FREE_TEXT_KEY_ENV: "short"}])
def test_hashing_without_a_usable_key_is_a_configuration_error(environ: dict[str, str]) -> None:
    with pytest.raises(FreeTextSettingError, match=FREE_TEXT_KEY_ENV) as raised:
        FreeTextPolicy.from_setting(True, environ)
    assert isinstance(raised.value, ConfigurationError)
    assert FreeTextPolicy.from_setting(False, environ) == landing.DROP_FREE_TEXT


def test_the_hash_key_is_never_in_the_policys_repr() -> None:
    policy = FreeTextPolicy.from_setting(True, {FREE_TEXT_KEY_ENV: KEY})
    assert KEY not in repr(policy)


def test_the_refunds_staging_model_still_reads_a_null_note(tmp_path: Path) -> None:
    out = land_lines(tmp_path, [dumps(order(1) | {"refunds": [refund(10, NOTE)]})])
    sql = (
        Path(__file__).parents[2] / "retail_sync/sql/staging/stg_shopify__order_refunds.sql"
    ).read_text()
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw; CREATE SCHEMA staging")
    con.execute(
        "CREATE VIEW raw.shopify__order_refunds AS SELECT *, DATE '2026-10-01' AS date "
        f"FROM read_parquet('{out}/order_refunds/**/*.parquet')"
    )
    con.execute(
        "CREATE VIEW staging.stg_shopify__orders AS SELECT shop_id, order_id, "
        f"DATE '2026-10-01' AS landed_date FROM read_parquet('{out}/orders/**/*.parquet')"
    )
    con.execute("CREATE VIEW raw.config__shops AS SELECT 's' AS shop_id, 'UTC' AS timezone")
    [(refund_id, note)] = con.execute(f"SELECT refund_id, note FROM ({sql})").fetchall()
    assert (refund_id, note) == (10, None)

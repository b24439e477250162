"""Refund shipping lines end to end: the simulator serves them, the extraction lands them (paged,
past the nested limit, and bulk) as `raw/shopify/order_refund_shipping_lines`, and staging splits
each refund into goods, goods tax, shipping, shipping tax and what is left unallocated.

The world and its amounts are written by hand (`refund_shipping_world`), and so is the staging
case below it: nothing here is derived from the generator's rules.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import duckdb
import pyarrow.parquet as pq
import pytest

from retail_sync.reconcile.engine import create_empty_raw_tables, materialize_models, read_models
from retail_sync.sandbox.shopify import start_shopify_simulator
from retail_sync.shopify import queries
from retail_sync.shopify.client import ShopifyClient, ShopifyError
from retail_sync.shopify.extract import _write_latest_orders, extract_orders
from retail_sync.shopify.tables import SCHEMAS
from retail_sync.shops import ShopSettings
from retail_sync.warehouse.catalog import SQL_DIR, define_config_views, define_raw_views
from retail_sync.warehouse.lake import Lake
from retail_sync_tests.sandbox.refund_shipping_world import (
    ORDER_ID,
    REFUND_ID,
    REFUND_SHIPPING_LINES,
    SHOP_ID,
    TOKEN,
    expected_landed_rows,
    refund_shipping_world,
)

TABLE = "order_refund_shipping_lines"
DATE = "2026-10-01"
WINDOW = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 3, tzinfo=UTC))
SHOP = ShopSettings(
    id=SHOP_ID,
    domain=f"{SHOP_ID}.myshopify.com",
    currency="USD",
    timezone="UTC",
    erp_subsidiary_id="1",
    access_token_variable="SHOPIFY_ACCESS_TOKEN_BULK_SHOP",
)
SPLIT_COLUMNS = (
    "total_refunded_shop", "goods_shop", "goods_tax_shop", "shipping_shop", "shipping_tax_shop",
    "tax_shop", "unallocated_shop", "shipping_and_tax_shop",
)  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return refund_shipping_world(Path(tmp_path_factory.mktemp("refund-shipping")))


class _RecordingClient(ShopifyClient):
    """A client that keeps the operation name of every query it runs."""

    operations: list[str]

    def execute(self, query: str, variables: Any = None, **options: Any) -> dict[str, Any]:
        self.operations.append(query.split("(", 1)[0].removeprefix("query ").strip())
        return super().execute(query, variables, **options)


def _land(world: Path, lake: Lake, *, use_bulk: bool) -> list[str]:
    """Extract the world's orders into `lake`; return the operations the paged reads ran."""
    with start_shopify_simulator(world) as server:
        client = _RecordingClient(server.url, TOKEN, backoff_base=0.01, backoff_cap=0.1)
        client.operations = []
        stats = extract_orders(
            client,
            shop_id=SHOP_ID,
            window_start=WINDOW[0],
            window_end=WINDOW[1],
            partition_dir_for=lambda table: lake.partition_dir(
                "raw", "shopify", table, shop=SHOP_ID, date=DATE
            ),
            use_bulk=use_bulk,
        )
    assert stats.mode == ("bulk" if use_bulk else "paged")
    assert stats.quarantined == 0
    assert stats.rows[TABLE] == len(REFUND_SHIPPING_LINES)
    return [name for name in client.operations if name.startswith("Order")]


def _landed(lake: Lake) -> list[dict[str, Any]]:
    files = sorted(lake.entity_dir("raw", "shopify", TABLE).rglob("*.parquet"))
    assert len(files) == 1
    assert pq.read_schema(files[0]).remove_metadata() == SCHEMAS[TABLE].remove_metadata()
    return pq.read_table(files[0]).to_pylist()


@pytest.mark.parametrize("use_bulk", [False, True], ids=["paged", "bulk"])
def test_refund_shipping_lines_land_with_their_amounts(
    world: Path, tmp_path: Path, use_bulk: bool
) -> None:
    lake = Lake(tmp_path / "lake")
    operations = _land(world, lake, use_bulk=use_bulk)
    assert _landed(lake) == expected_landed_rows()
    if not use_bulk:
        # Three shipping lines are more than a page holds: they were read again, on their own
        # (the refund's one line item fit, so the refunds were not).
        assert len(REFUND_SHIPPING_LINES) > queries.PAGED_REFUND_SHIPPING_LINES
        assert operations.count("OrderRefundShippingLines") == 1
        assert "OrderRefunds" not in operations


# -- the separate reads, scripted -----------------------------------------------------------------


def _connection_of(nodes: list[dict[str, Any]], more: bool = False) -> dict[str, Any]:
    return {"nodes": nodes, "pageInfo": {"hasNextPage": more, "endCursor": "c" if more else None}}


def _gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


class _ScriptedClient:
    """Answers the two separate refund reads from fixed data; counts what it was asked."""

    def __init__(self, refunds: list[dict[str, Any]], shipped: list[dict[str, Any]]) -> None:
        self.answers = {
            queries.ORDER_REFUNDS: refunds,
            queries.ORDER_REFUND_SHIPPING_LINES: shipped,
        }
        self.asked: list[str] = []

    def execute(self, query: str, variables: Any = None) -> dict[str, Any]:
        self.asked.append(query)
        return {"order": {"refunds": self.answers[query]}}


def _paged_order(refunds: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": _gid("Order", 1),
        "updatedAt": "2026-10-01T05:00:00Z",
        "lineItems": _connection_of([]),
        "refunds": refunds,
        "transactions": [],
    }


def _write(client: _ScriptedClient, order: dict[str, Any], path: Path) -> list[dict[str, Any]]:
    unreadable = _write_latest_orders(cast(ShopifyClient, client), [[order]], path)
    assert unreadable == []
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_refunds_read_again_take_their_shipping_lines_from_their_own_read(tmp_path: Path) -> None:
    shipping = [
        {"id": _gid("RefundShippingLine", 21), "shippingLine": {"id": _gid("ShippingLine", 1)}}
    ]
    # Two refunds fill the page's refund list: both are read again, line items with them, and
    # their shipping lines apart (refund 12's only), joined by refund id.
    page = [
        {"id": _gid("Refund", n), "refundLineItems": _connection_of([]),
         "refundShippingLines": _connection_of([])}
        for n in (11, 12)
    ]  # fmt: skip
    refund_line = {"id": _gid("RefundLineItem", 1)}
    again = [
        {"id": _gid("Refund", 11), "refundLineItems": _connection_of([refund_line])},
        {"id": _gid("Refund", 12), "refundLineItems": _connection_of([])},
    ]
    shipped = [
        {"id": _gid("Refund", 12), "refundShippingLines": _connection_of(shipping)},
        {"id": _gid("Refund", 11), "refundShippingLines": _connection_of([])},
    ]
    client = _ScriptedClient(again, shipped)
    lines = _write(client, _paged_order(page), tmp_path / "orders.jsonl")
    assert client.asked == [queries.ORDER_REFUNDS, queries.ORDER_REFUND_SHIPPING_LINES]
    assert [(line["id"], line.get("__parentId")) for line in lines] == [
        (_gid("Order", 1), None),
        (_gid("RefundLineItem", 1), _gid("Refund", 11)),
        (_gid("RefundShippingLine", 21), _gid("Refund", 12)),
    ]
    assert lines[0]["refunds"] == [{"id": _gid("Refund", 11)}, {"id": _gid("Refund", 12)}]


def test_shipping_lines_beyond_the_separate_read_stop_the_extraction(tmp_path: Path) -> None:
    page = [{"id": _gid("Refund", 11), "refundShippingLines": _connection_of([], more=True)}]
    shipped = [{"id": _gid("Refund", 11), "refundShippingLines": _connection_of([], more=True)}]
    client = _ScriptedClient([], shipped)
    with pytest.raises(ShopifyError, match="NESTED_TRUNCATED"):
        _write(client, _paged_order(page), tmp_path / "orders.jsonl")
    assert client.asked == [queries.ORDER_REFUND_SHIPPING_LINES]


def test_a_refund_shipping_connection_of_the_wrong_shape_quarantines_the_order(
    tmp_path: Path,
) -> None:
    order = _paged_order([{"id": _gid("Refund", 11), "refundShippingLines": ["not", "one"]}])
    client = _ScriptedClient([], [])
    path = tmp_path / "orders.jsonl"
    (unreadable,) = _write_latest_orders(cast(ShopifyClient, client), [[order]], path)
    assert "refundShippingLines is a list, not a connection" in unreadable.reason
    assert path.read_text() == "" and client.asked == []


def _staging(connection: duckdb.DuckDBPyConnection) -> None:
    define_config_views(connection, [SHOP])
    materialize_models(connection, "staging", read_models(SQL_DIR, "staging"))


def _connection() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    for schema in ("raw", "staging"):
        connection.execute(f"create schema {schema}")
    return connection


def _split(connection: duckdb.DuckDBPyConnection) -> dict[int, dict[str, Decimal]]:
    rows = connection.execute(
        f"select refund_id, {', '.join(SPLIT_COLUMNS)} "
        "from staging.stg_shopify__refund_settlements order by refund_id"
    ).fetchall()
    return {row[0]: dict(zip(SPLIT_COLUMNS, row[1:], strict=True)) for row in rows}


def _amounts(*values: str) -> dict[str, Decimal]:
    return dict(zip(SPLIT_COLUMNS, map(Decimal, values), strict=True))


def test_staging_splits_a_landed_refund_into_shipping_and_shipping_tax(
    world: Path, tmp_path: Path
) -> None:
    lake = Lake(tmp_path / "lake")
    _land(world, lake, use_bulk=False)
    connection = _connection()
    create_empty_raw_tables(connection, define_raw_views(connection, lake))
    _staging(connection)
    lines = connection.execute(
        "select refund_shipping_line_id, refund_id, order_id, shipping_line_id, business_date, "
        "subtotal_shop, tax_shop from staging.stg_shopify__order_refund_shipping_lines "
        "order by refund_shipping_line_id"
    ).fetchall()
    assert lines == [
        (
            line_id,
            REFUND_ID,
            ORDER_ID,
            shipping,
            datetime(2026, 10, 1).date(),
            Decimal(s),
            Decimal(t),
        )
        for line_id, shipping, s, t in REFUND_SHIPPING_LINES
    ]
    # 10.00 of goods with 0.80 tax, 15.00 of shipping with 0.80 tax: 26.60 refunded.
    assert _split(connection) == {
        REFUND_ID: _amounts("26.60", "10.00", "0.80", "15.00", "0.80", "1.60", "0.00", "16.60")
    }
    types = connection.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_name = 'stg_shopify__refund_settlements'"
    ).fetchall()
    assert {name: kind for name, kind in types if name in SPLIT_COLUMNS} == dict.fromkeys(
        SPLIT_COLUMNS, "DECIMAL(18,2)"
    )


# -- a hand-written staging case over raw rows --------------------------------------------------

Insert = Callable[..., None]


def _inserter(connection: duckdb.DuckDBPyConnection) -> Insert:
    def insert(table: str, **values: Any) -> None:
        row = {"shop_id": SHOP_ID, "shop": SHOP_ID, "currency_code": "USD"} | values
        if table != "orders":
            row.setdefault("presentment_currency_code", "USD")
        names = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        connection.execute(
            f'insert into raw."shopify__{table}" by name select * from (values ({marks})) '
            f"as v({names})",
            list(row.values()),
        )

    return insert


def _order(insert: Insert, order_id: int, date: str, updated: str) -> None:
    at = datetime(2026, 10, 1, 9, tzinfo=UTC)
    insert(
        "orders",
        order_id=order_id,
        date=date,
        created_at=at,
        processed_at=at,
        updated_at=datetime.fromisoformat(updated),
        test=False,
        presentment_currency_code="USD",
    )
    insert(
        "order_transactions",
        transaction_id=order_id * 10,
        order_id=order_id,
        date=date,
        kind="SALE",
        status="SUCCESS",
        gateway="shopify_payments",
        amount_shop=Decimal("100.00"),
        created_at=at,
        processed_at=at,
    )


def _refund(insert: Insert, refund_id: int, order_id: int, date: str, total: str) -> None:
    insert(
        "order_refunds",
        refund_id=refund_id,
        order_id=order_id,
        date=date,
        created_at=datetime(2026, 10, 2, 15, tzinfo=UTC),
        total_refunded_shop=Decimal(total),
        total_refunded_presentment=Decimal(total),
    )


def test_staging_split_by_hand_including_an_amount_only_refund_and_an_old_copy() -> None:
    connection = _connection()
    create_empty_raw_tables(connection, [])
    insert = _inserter(connection)
    # Order 1, landed on two dates: the later copy (date 2) is the latest version; the earlier
    # copy's shipping line (refunding 99.00) must not count.
    for date, updated in (("2026-10-01", "2026-10-01T10:00:00+00:00"),
                          ("2026-10-02", "2026-10-02T15:00:00+00:00")):  # fmt: skip
        _order(insert, 1, date, updated)
        _refund(insert, 11, 1, date, "41.00")
        insert("order_refund_line_items", refund_line_item_id=111, refund_id=11, date=date,
               subtotal_shop=Decimal("20.00"), total_tax_shop=Decimal("1.50"))  # fmt: skip
    insert("order_refund_shipping_lines", refund_shipping_line_id=112, refund_id=11,
           date="2026-10-01", subtotal_shop=Decimal("99.00"), tax_shop=Decimal("9.00"))  # fmt: skip
    insert("order_refund_shipping_lines", refund_shipping_line_id=112, refund_id=11,
           date="2026-10-02", subtotal_shop=Decimal("12.00"), tax_shop=Decimal("0.96"))  # fmt: skip
    insert("order_refund_shipping_lines", refund_shipping_line_id=113, refund_id=11,
           date="2026-10-02", subtotal_shop=Decimal("6.00"), tax_shop=Decimal("0.00"))  # fmt: skip
    # Order 2: a refund of an amount alone (no lines, no shipping): all of it is unallocated.
    _order(insert, 2, "2026-10-02", "2026-10-02T15:00:00+00:00")
    _refund(insert, 21, 2, "2026-10-02", "7.25")
    _staging(connection)
    assert _split(connection) == {
        # 20.00 goods + 1.50 goods tax + 18.00 shipping + 0.96 shipping tax = 40.46 of 41.00.
        11: _amounts("41.00", "20.00", "1.50", "18.00", "0.96", "2.46", "0.54", "21.00"),
        21: _amounts("7.25", "0.00", "0.00", "0.00", "0.00", "0.00", "7.25", "7.25"),
    }
    staged = connection.execute(
        "select refund_shipping_line_id, subtotal_shop "
        "from staging.stg_shopify__order_refund_shipping_lines order by 1"
    ).fetchall()
    assert staged == [(112, Decimal("12.00")), (113, Decimal("6.00"))]

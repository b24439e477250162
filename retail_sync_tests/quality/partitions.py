"""A small, consistent lake (one shop, one business date) that passes every suite, and the
one-row edits that break each expectation: the crafted bad partitions the quality tests use."""

from __future__ import annotations

import atexit
import copy
import datetime as dt
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from retail_sync.quality.expectations import Expectation, Suite
from retail_sync.warehouse.lake import Lake, write_table_partition

SHOP, DATE = "s1", "2026-11-01"
Rows = list[dict[str, Any]]
Tables = dict[tuple[str, str, str], Rows]

AT = dt.datetime(2026, 11, 1, 15, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 11, 1)
USD = "USD"


def _money(text: str) -> Decimal:
    return Decimal(text)


def _order(order_id: int, subtotal: str, total: str, refunded: str) -> dict[str, Any]:
    return {
        "order_id": order_id, "name": f"#{order_id}", "created_at": AT, "processed_at": AT,
        "updated_at": AT, "cancelled_at": None, "currency_code": USD,
        "presentment_currency_code": USD, "display_financial_status": "PAID",
        "subtotal_price_shop": _money(subtotal), "total_price_shop": _money(total),
        "total_tax_shop": _money("8.00"), "total_discounts_shop": _money("0.00"),
        "total_shipping_price_shop": _money("2.00"), "current_total_price_shop": _money(total),
        "total_refunded_shop": _money(refunded),
    }  # fmt: skip


def _line(line_id: int, order_id: int, total: str, discount: str) -> dict[str, Any]:
    return {
        "line_item_id": line_id, "order_id": order_id, "quantity": 1, "sku": f"SKU-{line_id}",
        "currency_code": USD, "unit_price_shop": _money(total),
        "original_total_shop": _money(total), "total_discount_shop": _money(discount),
        "total_tax_shop": _money("1.00"),
    }  # fmt: skip


def _balance(balance_id: int, kind: str, amount: str, fee: str, net: str) -> dict[str, Any]:
    return {
        "balance_transaction_id": balance_id, "type": kind, "payout_status": "PAID",
        "transaction_date": AT, "currency_code": USD, "amount": _money(amount),
        "fee": _money(fee), "net": _money(net), "payout_id": 61,
    }  # fmt: skip


_SUMMARY = (
    "charges_gross", "charges_fee", "refunds_fee_gross", "refunds_fee", "adjustments_gross",
    "adjustments_fee", "reserved_funds_gross", "reserved_funds_fee",
)  # fmt: skip

SHOPIFY: dict[str, Rows] = {
    "orders": [_order(1, "100.00", "110.00", "20.00"), _order(2, "50.00", "55.00", "0.00")],
    "order_line_items": [
        _line(11, 1, "60.00", "0.00"),
        _line(12, 1, "45.00", "5.00"),
        _line(21, 2, "50.00", "0.00"),
    ],
    "order_refunds": [
        {
            "refund_id": 31,
            "order_id": 1,
            "created_at": AT,
            "currency_code": USD,
            "total_refunded_shop": _money("20.00"),
        },
    ],
    "order_refund_line_items": [
        {
            "refund_line_item_id": 41,
            "refund_id": 31,
            "currency_code": USD,
            "subtotal_shop": _money("18.00"),
            "total_tax_shop": _money("2.00"),
            "restock_type": "RETURN",
        },
    ],
    "order_refund_shipping_lines": [
        {
            "refund_shipping_line_id": 45,
            "refund_id": 31,
            "currency_code": USD,
            "subtotal_shop": _money("0.00"),
            "tax_shop": _money("0.00"),
        },
    ],
    "order_transactions": [
        {
            "transaction_id": 51,
            "order_id": 1,
            "kind": "SALE",
            "status": "SUCCESS",
            "currency_code": USD,
            "amount_shop": _money("110.00"),
            "created_at": AT,
            "processed_at": AT,
        },
        {
            "transaction_id": 52,
            "order_id": 2,
            "kind": "SALE",
            "status": "SUCCESS",
            "currency_code": USD,
            "amount_shop": _money("55.00"),
            "created_at": AT,
            "processed_at": AT,
        },
    ],
    "payouts": [
        {
            "payout_id": 61,
            "status": "PAID",
            "transaction_type": "DEPOSIT",
            "issued_at": AT,
            "currency_code": USD,
            "net": _money("160.05"),
            **{column: _money("0.00") for column in _SUMMARY},
        },
    ],
    "balance_transactions": [
        _balance(71, "CHARGE", "110.00", "3.30", "106.70"),
        _balance(72, "CHARGE", "55.00", "1.65", "53.35"),
        # The transfer to the bank is the payout itself, not part of its sum.
        _balance(73, "PAYOUT", "-160.05", "0.00", "-160.05"),
    ],
    "inventory_levels": [
        {
            "location_id": 81,
            "inventory_item_id": 82,
            "quantity_name": "available",
            "quantity": 5,
            "level_updated_at": AT,
            "on_hand": 5,
        },
    ],
}
ERP: dict[str, Rows] = {
    "gl_lines": [
        {
            "transaction_id": "T1",
            "line_id": "1",
            "account_number": "1205",
            "currency": USD,
            "debit": _money("110.00"),
            "credit": _money("0.00"),
            "trandate": DAY,
            "period_id": "211",
        },
        {
            "transaction_id": "T1",
            "line_id": "2",
            "account_number": "4000",
            "currency": USD,
            "debit": _money("0.00"),
            "credit": _money("110.00"),
            "trandate": DAY,
            "period_id": "211",
        },
    ],
    "on_hand": [
        {
            "item_id": "I1",
            "location_id": "L1",
            "sku": "SKU-11",
            "quantity_on_hand": Decimal("5.0000"),
        },
    ],
}
SNAPSHOTS: dict[str, Rows] = {
    "accounts": [
        {"account_number": "1205", "type": "OthCurrAsset"},
        {"account_number": "4000", "type": "Income"},
    ],
    "periods": [
        {
            "period_id": "211",
            "start_date": DAY,
            "end_date": dt.date(2026, 11, 30),
            "status": "open",
        },
    ],
}


def good_tables() -> Tables:
    """Every raw and staging table of the lake, consistent with each other."""
    tables: Tables = {}
    for zone in ("raw", "staging"):
        for entity, rows in SHOPIFY.items():
            tables[(zone, "shopify", entity)] = [
                {"shop_id": SHOP, "business_date": DAY, **row} for row in rows
            ]
        for entity, rows in ERP.items():
            tables[(zone, "erp", entity)] = [
                {"shop_id": SHOP, "business_date": DAY, **row} for row in rows
            ]
    for entity, rows in SNAPSHOTS.items():
        tables[("raw", "erp", entity)] = list(rows)
    return copy.deepcopy(tables)


def _as_lake_types(table: pa.Table) -> pa.Table:
    """Money as DECIMAL(18,2), as the landing writes it (pyarrow infers the narrowest decimal)."""
    fields = [
        pa.field(f.name, pa.decimal128(18, 2 if f.type.scale <= 2 else f.type.scale))
        if pa.types.is_decimal(f.type)
        else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields))


def _write_table(lake: Lake, path: tuple[str, str, str], rows: Rows) -> None:
    zone, source, entity = path
    snapshot = entity in SNAPSHOTS
    directory = lake.partition_dir(
        zone, source, entity, shop=None if snapshot else SHOP, date=None if snapshot else DATE
    )
    write_table_partition(directory, _as_lake_types(pa.Table.from_pylist(rows)))


_GOOD_LAKE: list[Path] = []


def _good_lake() -> Path:
    """The good tables written once per process (hundreds of tests start from them)."""
    if not _GOOD_LAKE:
        root = Path(tempfile.mkdtemp(prefix="retail-sync-good-lake-"))
        atexit.register(shutil.rmtree, root, True)
        lake = Lake(root)
        for path, rows in good_tables().items():
            _write_table(lake, path, rows)
        _GOOD_LAKE.append(root)
    return _GOOD_LAKE[0]


def write_lake(root: Path, tables: Tables, quarantine: Rows | None = None) -> Lake:
    """Write `tables` as one partition each (snapshots unpartitioned) under `root`.

    The same files as writing every table: the good lake's files are copied, then each table
    that differs from (or is missing in) `tables` is written (or removed).
    """
    shutil.copytree(_good_lake(), root, dirs_exist_ok=True)
    lake = Lake(root)
    good = good_tables()
    for path in good.keys() - tables.keys():
        shutil.rmtree(lake.entity_dir(*path))
    for path, rows in tables.items():
        if good.get(path) != rows:
            _write_table(lake, path, rows)  # type: ignore[arg-type]
    if quarantine:
        directory = lake.partition_dir("raw", "shopify", "quarantine", shop=SHOP, date=DATE)
        write_table_partition(directory / "source=orders", pa.Table.from_pylist(list(quarantine)))
    return lake


def _first(tables: Tables, path: tuple[str, ...]) -> dict[str, Any]:
    return tables[path][0]  # type: ignore[index]


def break_expectation(tables: Tables, suite: Suite, expectation: Expectation) -> Rows:
    """Edit `tables` in place so that exactly `expectation` of `suite` is violated.

    Returns quarantine rows to write (only for the quarantine expectation).
    """
    rows = tables[suite.asset_path]
    first = rows[0]
    column = expectation.columns[0] if expectation.columns else ""
    if expectation.kind == "not_null":
        first[column] = None
    elif expectation.kind == "unique":
        rows.append(dict(first))
    elif expectation.kind == "decimal":
        for row in rows:  # a drifted schema: the amount arrives as text
            row[column] = str(row[column])
        first[column] = "12.3x"
    elif expectation.kind == "in_set":
        first[column] = "US$" if "currency" in column else "NOT_A_KNOWN_VALUE"
    elif expectation.kind == "between":
        value = first[column]
        first[column] = (
            dt.date(1999, 1, 1)
            if type(value) is dt.date
            else dt.datetime(1999, 1, 1, tzinfo=dt.UTC)
        )
    else:
        return _break_relational(tables, suite, expectation.name)
    return []


def _break_relational(tables: Tables, suite: Suite, name: str) -> Rows:
    zone = suite.zone
    first = tables[suite.asset_path][0]
    if name == "no_quarantined_records":
        return [
            {"shop_id": SHOP, "source_table": suite.entity, "record_gid": "gid://shopify/X/9",
             "record_id": 9, "reason": "bad currency code at currencyCode: US$",
             "raw_payload": "{}", "window_start": AT, "window_end": AT, "partition": DATE},
        ]  # fmt: skip
    if name == "line_items_sum_to_subtotal":
        first["subtotal_price_shop"] += Decimal("0.05")  # more than 0.01 per line (2 lines)
    elif name == "refunds_within_order":
        first["total_refunded_shop"] = Decimal("110.01")
    elif name == "net_is_amount_less_fee":
        first["net"] += Decimal("0.01")
    elif name == "debits_equal_credits":
        first["debit"] += Decimal("0.01")
    elif name == "accounts_exist_in_chart":
        first["account_number"] = "9999"
    elif name == "periods_exist":
        first["period_id"] = "999"
    elif name == "start_before_end":
        first["start_date"] = dt.date(2026, 12, 1)
    elif name == "balance_transactions_sum_to_payout":
        tables[(zone, "shopify", "balance_transactions")][1]["net"] -= Decimal("0.03")
        tables[(zone, "shopify", "balance_transactions")][1]["fee"] += Decimal("0.03")
    else:
        raise AssertionError(f"no crafted bad partition for {name}")
    return []

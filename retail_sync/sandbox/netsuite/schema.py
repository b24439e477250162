"""The simulator's SuiteQL tables: NetSuite names and columns, DuckDB types, and world seeding."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

from retail_sync.sandbox.world import World, WorldFormatError

# table -> ((column, duckdb type), ...). Booleans are 'T'/'F' text, as SuiteQL answers them.
TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "subsidiary": (
        ("id", "INTEGER"),
        ("name", "VARCHAR"),
        ("currency", "INTEGER"),
        ("isinactive", "VARCHAR"),
    ),
    "currency": (
        ("id", "INTEGER"),
        ("symbol", "VARCHAR"),
        ("name", "VARCHAR"),
        ("isbasecurrency", "VARCHAR"),
    ),
    "account": (
        ("id", "INTEGER"),
        ("acctnumber", "VARCHAR"),
        ("acctname", "VARCHAR"),
        ("fullname", "VARCHAR"),
        ("accttype", "VARCHAR"),
        ("isinactive", "VARCHAR"),
    ),
    "accountingperiod": (
        ("id", "INTEGER"),
        ("periodname", "VARCHAR"),
        ("startdate", "DATE"),
        ("enddate", "DATE"),
        ("isposting", "VARCHAR"),
        ("isquarter", "VARCHAR"),
        ("isyear", "VARCHAR"),
        ("isadjust", "VARCHAR"),
        ("closed", "VARCHAR"),
        ("alllocked", "VARCHAR"),
    ),
    "location": (
        ("id", "INTEGER"),
        ("name", "VARCHAR"),
        ("subsidiary", "INTEGER"),
        ("isinactive", "VARCHAR"),
    ),
    "item": (
        ("id", "INTEGER"),
        ("itemid", "VARCHAR"),
        ("itemtype", "VARCHAR"),
        ("cost", "DECIMAL(18,2)"),  # Purchase Price
        ("averagecost", "DECIMAL(18,6)"),  # Average Cost (null until the item is costed)
        ("isinactive", "VARCHAR"),
    ),
    "transaction": (
        ("id", "INTEGER"),
        ("tranid", "VARCHAR"),
        ("type", "VARCHAR"),
        ("recordtype", "VARCHAR"),
        ("trandate", "DATE"),
        ("postingperiod", "INTEGER"),
        ("externalid", "VARCHAR"),
        ("memo", "VARCHAR"),
        ("currency", "INTEGER"),
        ("exchangerate", "DECIMAL(18,6)"),
        ("posting", "VARCHAR"),
        ("void", "VARCHAR"),
        ("createddate", "TIMESTAMPTZ"),
        ("lastmodifieddate", "TIMESTAMPTZ"),
    ),
    "transactionline": (
        ("id", "INTEGER"),
        ("transaction", "INTEGER"),
        ("linesequencenumber", "INTEGER"),
        ("mainline", "VARCHAR"),
        ("subsidiary", "INTEGER"),
        ("location", "INTEGER"),
        ("memo", "VARCHAR"),
        ("debitforeignamount", "DECIMAL(18,2)"),
        ("creditforeignamount", "DECIMAL(18,2)"),
        ("foreignamount", "DECIMAL(18,2)"),
        ("netamount", "DECIMAL(18,2)"),
    ),
    "transactionaccountingline": (
        ("transaction", "INTEGER"),
        ("transactionline", "INTEGER"),
        ("accountingbook", "INTEGER"),
        ("account", "INTEGER"),
        ("debit", "DECIMAL(18,2)"),
        ("credit", "DECIMAL(18,2)"),
        ("amount", "DECIMAL(18,2)"),
        ("netamount", "DECIMAL(18,2)"),
        ("posting", "VARCHAR"),
    ),
    # NetSuite's current on-hand per item and location.
    "inventorybalance": (
        ("item", "INTEGER"),
        ("location", "INTEGER"),
        ("quantityonhand", "DECIMAL(18,4)"),
        ("quantityavailable", "DECIMAL(18,4)"),
    ),
    # A custom record holding the end-of-day on-hand history the integration snapshots
    # (real NetSuite has no per-date on-hand table; see docs/sandbox-netsuite.md).
    "customrecord_rs_onhand_snapshot": (
        ("id", "INTEGER"),
        ("custrecord_rs_item", "INTEGER"),
        ("custrecord_rs_location", "INTEGER"),
        ("custrecord_rs_asof", "DATE"),
        ("custrecord_rs_quantityonhand", "DECIMAL(18,4)"),
    ),
}

# Simulator bookkeeping; never reachable from SuiteQL.
PRIVATE_DDL = (
    "CREATE TABLE IF NOT EXISTS _meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    "CREATE TABLE IF NOT EXISTS _async_job (id INTEGER PRIMARY KEY, idempotency_key VARCHAR "
    "UNIQUE, status INTEGER, location VARCHAR, body VARCHAR, created TIMESTAMPTZ)",
)


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    for table, columns in TABLES.items():
        cols = ", ".join(f'"{name}" {kind}' for name, kind in columns)
        con.execute(f'CREATE TABLE IF NOT EXISTS "{table}" ({cols})')
    for ddl in PRIVATE_DDL:
        con.execute(ddl)


def add_missing_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Add the columns a state seeded by an older simulator lacks (null: it was not seeded)."""
    present = {
        (table, column)
        for table, column in con.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
        ).fetchall()
    }
    for table, columns in TABLES.items():
        if not any(name == table for name, _ in present):
            continue
        for name, kind in columns:
            if (table, name) not in present:
                con.execute(f'ALTER TABLE "{table}" ADD COLUMN "{name}" {kind}')


def flag(value: Any) -> str:
    """A world boolean as SuiteQL's 'T'/'F'."""
    return "T" if value else "F"


def money(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value))


def _arrow_type(sql_type: str) -> pa.DataType:
    if sql_type.startswith("DECIMAL("):
        precision, scale = sql_type[len("DECIMAL(") : -1].split(",")
        return pa.decimal128(int(precision), int(scale))
    return _ARROW_TYPES[sql_type]


_ARROW_TYPES = {
    "INTEGER": pa.int64(),
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
}


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: Iterator[tuple[Any, ...]]) -> None:
    """Insert `rows` (tuples in the table's column order) as one columnar batch.

    Row-at-a-time `executemany` costs seconds for a month-long ledger; a typed Arrow table is
    one scan. A batch Arrow cannot type exactly (say an amount with more places than its column)
    goes in row by row, so DuckDB's casts decide as they always did.
    """
    columns = TABLES[table]
    data = list(rows)
    if not data:
        return
    try:
        batch = pa.table(
            {
                name: pa.array([row[index] for row in data], type=_arrow_type(sql_type))
                for index, (name, sql_type) in enumerate(columns)
            }
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        marks = ", ".join("?" for _ in columns)
        con.executemany(f'INSERT INTO "{table}" VALUES ({marks})', data)
        return
    con.register("_seed_batch", batch)
    try:
        con.execute(f'INSERT INTO "{table}" SELECT * FROM _seed_batch')
    finally:
        con.unregister("_seed_batch")


def seed_from_world(con: duckdb.DuckDBPyConnection, world: World) -> None:
    """Load the world's erp/ files into empty tables (the caller holds the transaction)."""
    try:
        _seed(con, world)
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, WorldFormatError):
            raise
        raise WorldFormatError(f"{world.root / 'erp'}: {error!r}") from error


def _seed(con: duckdb.DuckDBPyConnection, world: World) -> None:
    subsidiaries = list(world.erp_records("subsidiaries.json"))
    _insert(
        con,
        "subsidiary",
        ((int(s["id"]), s["name"], int(s["currency"]), "F") for s in subsidiaries),
    )
    _insert(
        con,
        "currency",
        (
            (int(c["id"]), c["symbol"], c["name"], flag(c.get("isbasecurrency")))
            for c in world.erp_records("currencies.json")
        ),
    )
    _insert(
        con,
        "account",
        (
            (
                int(a["id"]),
                a["acctnumber"],
                a["acctname"],
                f"{a['acctnumber']} {a['acctname']}",
                a["accttype"],
                flag(a.get("isinactive")),
            )
            for a in world.erp_records("accounts.json")
        ),
    )
    _insert(
        con,
        "accountingperiod",
        (
            (
                int(p["id"]),
                p["periodname"],
                date.fromisoformat(p["startdate"]),
                date.fromisoformat(p["enddate"]),
                flag(p.get("isposting", True)),
                "F",
                "F",
                "F",
                flag(p.get("closed")),
                flag(p.get("alllocked")),
            )
            for p in world.erp_records("periods.json")
        ),
    )
    _insert(
        con,
        "location",
        (
            (int(loc["id"]), loc["name"], _int_or_none(loc.get("subsidiary")), "F")
            for loc in world.erp_records("locations.json")
        ),
    )
    _insert(
        con,
        "item",
        (
            (
                int(i["id"]),
                i["itemid"],
                "InvtPart",
                money(i.get("cost")),
                money(i.get("averagecost")),
                "F",
            )
            for i in world.erp_records("items.json")
        ),
    )
    headers: list[tuple[Any, ...]] = []
    lines: list[tuple[Any, ...]] = []
    accounting: list[tuple[Any, ...]] = []
    for entry in world.erp_records("journal_entries.jsonl"):
        header, entry_lines, entry_accounting = journal_rows(entry)
        headers.append(header)
        lines.extend(entry_lines)
        accounting.extend(entry_accounting)
    _insert(con, "transaction", iter(headers))
    _insert(con, "transactionline", iter(lines))
    _insert(con, "transactionaccountingline", iter(accounting))
    _seed_on_hand(con, world)


def journal_rows(
    entry: dict[str, Any],
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Rows for transaction, transactionline and transactionaccountingline from one entry."""
    transaction_id = int(entry["id"])
    created = entry.get("created")
    created_at = datetime.fromisoformat(created.replace("Z", "+00:00")) if created else None
    header = (
        transaction_id,
        entry.get("tranid") or f"JE{transaction_id}",
        "Journal",
        "journalentry",
        date.fromisoformat(entry["trandate"]),
        _int_or_none(entry.get("postingperiod")),
        entry.get("externalid"),
        entry.get("memo"),
        _int_or_none(entry.get("currency")),
        Decimal("1"),
        "T",
        "F",
        created_at,
        created_at,
    )
    subsidiary = _int_or_none(entry.get("subsidiary"))
    lines: list[tuple[Any, ...]] = []
    accounting: list[tuple[Any, ...]] = []
    for position, line in enumerate(entry["lines"], start=1):
        line_id = int(line.get("line") or position)
        debit = money(line.get("debit"))
        credit = money(line.get("credit"))
        amount = (debit or Decimal("0")) - (credit or Decimal("0"))
        lines.append(
            (
                line_id,
                transaction_id,
                line_id,
                "F",
                subsidiary,
                _int_or_none(line.get("location")),
                line.get("memo"),
                debit,
                credit,
                amount,
                amount,
            )
        )
        accounting.append(
            (transaction_id, line_id, 1, int(line["account"]), debit, credit, amount, amount, "T")
        )
    return header, lines, accounting


def _seed_on_hand(con: duckdb.DuckDBPyConnection, world: World) -> None:
    path = world.erp_path("inventory_on_hand.jsonl")
    if not path.exists():
        return
    latest: dict[tuple[int, int], tuple[date, Decimal]] = {}

    def history() -> Iterator[tuple[Any, ...]]:
        for number, row in enumerate(world.erp_records("inventory_on_hand.jsonl"), start=1):
            key = (int(row["item"]), int(row["location"]))
            as_of = date.fromisoformat(row["as_of"])
            quantity = Decimal(str(row["quantityonhand"]))
            if key not in latest or latest[key][0] <= as_of:
                latest[key] = (as_of, quantity)
            yield (number, key[0], key[1], as_of, quantity)

    _insert(con, "customrecord_rs_onhand_snapshot", history())
    _insert(
        con,
        "inventorybalance",
        ((item, loc, qty, qty) for (item, loc), (_, qty) in sorted(latest.items())),
    )


def _int_or_none(value: Any) -> int | None:
    return None if value in (None, "") else int(value)

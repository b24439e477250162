"""Shopify's payout consistency as a lake table the journal step reads.

`<lake>/quality/shopify/payout_consistency/shop=<shop>/date=<date>/part-0.parquet` holds one row
per staged payout of that partition: its net, Σ balance-transaction net, the variance and
`consistent`. A journal for a payout may only be proposed when its row says `consistent`;
a payout with no row has not been checked and must be treated as blocked. The reconciliation
reads the same rows (`define_payout_consistency_view`) to hold those payouts (`recon/holds`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from retail_sync.quality.expectations import PAYOUT_BALANCES_SQL
from retail_sync.quality.runner import PartitionRef
from retail_sync.warehouse.lake import Lake, write_table_partition

ZONE, SOURCE, ENTITY = "quality", "shopify", "payout_consistency"
MONEY = pa.decimal128(18, 2)
PAYOUT_CONSISTENCY_SCHEMA = pa.schema(
    [
        pa.field("shop_id", pa.string(), nullable=False),
        pa.field("business_date", pa.date32()),
        pa.field("payout_id", pa.int64()),
        pa.field("status", pa.string()),
        pa.field("currency_code", pa.string()),
        pa.field("payout_net", MONEY),
        pa.field("balance_net", MONEY),
        pa.field("variance", MONEY),
        pa.field("balance_transactions", pa.int64()),
        pa.field("consistent", pa.bool_()),
        pa.field("checked_at", pa.timestamp("us", tz="UTC")),
    ]
)


def _glob(directory: Path) -> str | None:
    if not directory.exists() or next(directory.rglob("*.parquet"), None) is None:
        return None
    return "'" + str(directory / "**" / "*.parquet").replace("'", "''") + "'"


def payout_consistency(lake: Lake, partition: PartitionRef, checked_at: dt.datetime) -> pa.Table:
    """Per staged payout of the partition: payout net vs Σ balance-transaction net."""
    payouts = _glob(
        lake.partition_dir(
            "staging", "shopify", "payouts", shop=partition.shop, date=partition.date
        )
    )
    if payouts is None:
        return PAYOUT_CONSISTENCY_SCHEMA.empty_table()
    balance = _glob(
        lake.partition_dir("staging", "shopify", "balance_transactions", shop=partition.shop)
    )
    with duckdb.connect() as connection:
        connection.execute("set TimeZone = 'UTC'")
        connection.execute(f"create view t as select * from read_parquet({payouts})")
        if balance is None:
            connection.execute(
                "create view balance as select null::bigint as payout_id, "
                "null::decimal(18, 2) as net, null::varchar as type where false"
            )
        else:
            connection.execute(f"create view balance as select * from read_parquet({balance})")
        table: pa.Table = connection.sql(
            f"select *, variance = 0 as consistent, $checked_at::timestamptz as checked_at "
            f"from ({PAYOUT_BALANCES_SQL}) order by payout_id",
            params={"checked_at": checked_at},
        ).to_arrow_table()
    return table.select(PAYOUT_CONSISTENCY_SCHEMA.names).cast(PAYOUT_CONSISTENCY_SCHEMA)


def write_payout_consistency(
    lake: Lake, partitions: Sequence[PartitionRef], checked_at: dt.datetime
) -> pa.Table:
    """Compute and write the table for each partition; returns every row written."""
    tables = []
    for partition in partitions:
        table = payout_consistency(lake, partition, checked_at)
        directory = lake.partition_dir(
            ZONE, SOURCE, ENTITY, shop=partition.shop, date=partition.date
        )
        write_table_partition(directory, table)
        tables.append(table)
    if not tables:
        return PAYOUT_CONSISTENCY_SCHEMA.empty_table()
    return pa.concat_tables(tables)


def inconsistent_payouts(lake: Lake, shop: str) -> set[int]:
    """Payout ids of `shop` whose latest check found Σ balance net ≠ payout net (for journals)."""
    files = _glob(lake.partition_dir(ZONE, SOURCE, ENTITY, shop=shop))
    if files is None:
        return set()
    with duckdb.connect() as connection:
        rows = connection.execute(
            f"select payout_id from read_parquet({files}) where not consistent"
        ).fetchall()
    return {int(row[0]) for row in rows}


def define_payout_consistency_view(connection: duckdb.DuckDBPyConnection, lake: Lake) -> None:
    """`quality.payout_consistency`: the latest checked row of every payout in the lake.

    Empty (with the table's columns) when nothing has been checked yet, so a model reading it
    treats every payout as not checked rather than failing. Needs schema `quality`.
    """
    files = _glob(lake.entity_dir(ZONE, SOURCE, ENTITY))
    if files is None:
        connection.register("empty_payout_consistency", PAYOUT_CONSISTENCY_SCHEMA.empty_table())
        try:
            connection.execute(
                "create or replace table quality.payout_consistency as "
                "select * from empty_payout_consistency"
            )
        finally:
            connection.unregister("empty_payout_consistency")
        return
    columns = ", ".join(PAYOUT_CONSISTENCY_SCHEMA.names)
    connection.execute(
        f"create or replace view quality.payout_consistency as select {columns} "
        f"from read_parquet({files}, hive_partitioning = false, union_by_name = true) "
        "qualify row_number() over (partition by shop_id, payout_id order by checked_at desc) = 1"
    )

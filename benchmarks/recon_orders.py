"""Order reconciliation over scale data, three ways, each run as its own process.

- `floor`: a bare DuckDB hash join of orders and GL lines on the order key (the physical floor).
- `duckdb`: per order and account, what the posting rules expect vs what the ledger holds.
- `pandas`: the same reconciliation written the straightforward pandas way (the baseline).

Run: python -m benchmarks.recon_orders {floor,duckdb,pandas} DATA_DIR
Prints one JSON line: {"mode", "exceptions" | "rows", "seconds"}; `seconds` is the work alone,
the harness times the whole process.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

# Expected ledger amounts per order and account (ACCOUNTING.md), signed debit-positive.
EXPECTED_BY_ACCOUNT_SQL = """
    select order_id, account, amount from (
        select order_id, 1205::smallint as account, total_price as amount from orders
        union all select order_id, 4050::smallint, total_discounts from orders
        union all select order_id, 4000::smallint, -gross_sales from orders
        union all select order_id, 4100::smallint, -total_shipping from orders
        union all select order_id, 2200::smallint, -total_tax from orders
    ) where amount <> 0
"""

RECONCILE_SQL = f"""
    with expected as ({EXPECTED_BY_ACCOUNT_SQL}),
    posted as (
        select source_id as order_id, account, sum(debit - credit) as amount
        from gl_lines
        where source_entity = 'order'
        group by all
    )
    select count(*) as exceptions
    from expected
    full outer join posted using (order_id, account)
    where coalesce(posted.amount, 0) <> coalesce(expected.amount, 0)
"""

FLOOR_SQL = """
    select count(*) as rows
    from gl_lines join orders on gl_lines.source_id = orders.order_id
"""


def _duckdb(data: Path, sql: str) -> int:
    import duckdb

    connection = duckdb.connect()
    for table in ("orders", "gl_lines"):
        connection.execute(
            f"create view {table} as select * from read_parquet('{data / table / '*.parquet'}')"
        )
    return int(connection.execute(sql).fetchall()[0][0])


def _pandas(data: Path) -> int:
    import pandas as pd

    orders = pd.read_parquet(data / "orders")
    gl_lines = pd.read_parquet(data / "gl_lines")
    for column in ("gross_sales", "total_discounts", "total_shipping", "total_tax", "total_price"):
        orders[column] = orders[column].astype(object)
    orders["minus_gross"] = -orders["gross_sales"]
    orders["minus_shipping"] = -orders["total_shipping"]
    orders["minus_tax"] = -orders["total_tax"]
    expected = orders.melt(
        id_vars=["order_id"],
        value_vars=["total_price", "total_discounts", "minus_gross", "minus_shipping", "minus_tax"],
        var_name="field",
        value_name="amount",
    )
    expected["account"] = expected["field"].map(
        {
            "total_price": 1205,
            "total_discounts": 4050,
            "minus_gross": 4000,
            "minus_shipping": 4100,
            "minus_tax": 2200,
        }
    )
    expected = expected[expected["amount"] != 0][["order_id", "account", "amount"]]
    gl_lines = gl_lines[gl_lines["source_entity"] == "order"]
    gl_lines = gl_lines.assign(
        amount=gl_lines["debit"].astype(object) - gl_lines["credit"].astype(object)
    )
    posted = (
        gl_lines.groupby(["source_id", "account"], as_index=False)["amount"]
        .sum()
        .rename(columns={"source_id": "order_id"})
    )
    merged = expected.merge(
        posted, on=["order_id", "account"], how="outer", suffixes=("_expected", "_posted")
    )
    merged = merged.fillna({"amount_expected": 0, "amount_posted": 0})
    return int((merged["amount_expected"] != merged["amount_posted"]).sum())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("floor", "duckdb", "pandas"))
    parser.add_argument("data", type=Path)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.mode == "floor":
        result = {"rows": _duckdb(args.data, FLOOR_SQL)}
    elif args.mode == "duckdb":
        result = {"exceptions": _duckdb(args.data, RECONCILE_SQL)}
    else:
        result = {"exceptions": _pandas(args.data)}
    result |= {"mode": args.mode, "seconds": round(time.perf_counter() - started, 3)}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

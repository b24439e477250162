"""The full quality suite of an asset over one 1,000,000-row partition, in a child process.

Run: .venv/bin/python -m benchmarks.bench_quality [--rows 1000000] [--runs 3] [--keep DIR]

Writes lake-shaped partitions (raw Shopify orders with one line item each, and raw ERP GL lines
with their chart and periods) with a few injected violations, then times `validate` for the
`raw/shopify/orders` suite (18 expectations, incl. the line-items-sum cross-table check) and the
`raw/erp/gl_lines` suite (debits = credits per transaction, accounts and periods exist) in a
fresh process limited to 2 DuckDB threads: median wall time and peak RSS (the child's rusage)
over `--runs` runs after one warm-up. Targets: < 30 s and < 2 GiB.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa

from benchmarks.measure import machine_description, median_of_runs
from benchmarks.scale import money

TARGET_SECONDS = 30.0
TARGET_RSS_MIB = 2048.0
SHOP, DATE = "bench-shop", "2026-10-06"
BAD_EVERY = 100_000  # one injected violation per 100,000 rows, per kind
SUITES_BENCHED = ("raw/shopify/orders", "raw/erp/gl_lines")


def _timestamps(rows: int, rng: np.random.Generator) -> pa.Array:
    start = np.datetime64("2026-10-06T04:00:00", "us").astype(np.int64)
    offsets = rng.integers(0, 86_400_000_000, rows)
    return pa.array(start + offsets, type=pa.timestamp("us", tz="UTC"))


def _strings(value: str, rows: int, bad: str | None = None) -> pa.Array:
    values = np.full(rows, value, dtype=object)
    if bad is not None:
        values[::BAD_EVERY] = bad
    return pa.array(values, type=pa.string())


def write_orders(lake: Path, rows: int, seed: int = 1) -> None:
    """`rows` orders and one line item each; a few bad currencies and subtotals injected."""
    from retail_sync.shopify.tables import SCHEMAS
    from retail_sync.warehouse.lake import Lake, write_table_partition

    rng = np.random.default_rng(seed)
    the_lake = Lake(lake)
    ids = np.arange(1, rows + 1, dtype=np.int64) + 5_000_000_000
    subtotal = rng.integers(500, 50_000, rows)
    tax, shipping = subtotal // 10, np.full(rows, 500)
    at = _timestamps(rows, rng)
    columns: dict[str, pa.Array] = {
        "shop_id": _strings(SHOP, rows),
        "order_id": pa.array(ids),
        "name": pa.array([f"#{i}" for i in range(rows)]),
        "created_at": at, "processed_at": at, "updated_at": at,
        "currency_code": _strings("USD", rows, bad="US$"),
        "presentment_currency_code": _strings("USD", rows),
        "display_financial_status": _strings("PAID", rows),
        "test": pa.array(np.zeros(rows, dtype=bool)),
        "taxes_included": pa.array(np.zeros(rows, dtype=bool)),
    }  # fmt: skip
    amounts = {
        "subtotal_price": subtotal,
        "total_price": subtotal + tax + shipping,
        "total_tax": tax,
        "total_shipping_price": shipping,
        "total_discounts": np.zeros(rows, dtype=np.int64),
        "current_total_price": subtotal + tax + shipping,
        "total_refunded": np.zeros(rows, dtype=np.int64),
    }
    for name, cents in amounts.items():
        columns[f"{name}_shop"] = money(cents)
        columns[f"{name}_presentment"] = money(cents)
    schema = SCHEMAS["orders"]
    table = pa.table(
        {f.name: columns.get(f.name, pa.nulls(rows, f.type)) for f in schema}, schema=schema
    )
    write_table_partition(
        the_lake.partition_dir("raw", "shopify", "orders", shop=SHOP, date=DATE), table
    )
    line_total = subtotal.copy()
    line_total[::BAD_EVERY] += 7  # lines that do not add up to their order's subtotal
    lines: dict[str, pa.Array] = {
        "shop_id": _strings(SHOP, rows),
        "line_item_id": pa.array(ids + 10_000_000_000),
        "order_id": pa.array(ids),
        "sku": _strings("SKU-1", rows),
        "quantity": pa.array(np.ones(rows, dtype=np.int64)),
        "currency_code": _strings("USD", rows),
        "unit_price_shop": money(line_total),
        "original_total_shop": money(line_total),
        "total_discount_shop": money(np.zeros(rows, dtype=np.int64)),
        "total_tax_shop": money(tax),
    }
    schema = SCHEMAS["order_line_items"]
    table = pa.table({f.name: lines.get(f.name, pa.nulls(rows, f.type)) for f in schema}, schema)
    write_table_partition(
        the_lake.partition_dir("raw", "shopify", "order_line_items", shop=SHOP, date=DATE), table
    )


def write_gl_lines(lake: Path, rows: int, seed: int = 2) -> None:
    """`rows` GL lines in balanced pairs, with the chart and the periods they reference."""
    from retail_sync.erp.landing import ACCOUNTS_SCHEMA, GL_LINES_SCHEMA, PERIODS_SCHEMA
    from retail_sync.warehouse.lake import Lake, write_table_partition

    rng = np.random.default_rng(seed)
    the_lake = Lake(lake)
    pairs = rows // 2
    cents = rng.integers(100, 100_000, pairs)
    debit = np.zeros(rows, dtype=np.int64)
    credit = np.zeros(rows, dtype=np.int64)
    debit[0::2], credit[1::2] = cents, cents
    debit[::BAD_EVERY] += 1  # unbalanced transactions
    transaction = np.repeat(np.arange(pairs), 2)
    accounts = np.where(np.arange(rows) % 2 == 0, "1205", "4000").astype(object)
    accounts[1::BAD_EVERY] = "9999"  # not in the chart
    table = pa.table(
        {
            "transaction_id": pa.array(transaction.astype(str)),
            "line_id": pa.array((np.arange(rows) % 2 + 1).astype(str)),
            "external_id": pa.nulls(rows, pa.string()),
            "document_number": pa.nulls(rows, pa.string()),
            "trandate": pa.array(np.full(rows, np.datetime64(DATE, "D"))).cast(pa.date32()),
            "period_id": _strings("210", rows),
            "subsidiary_id": _strings("1", rows),
            "account_number": pa.array(accounts, type=pa.string()),
            "debit": money(debit),
            "credit": money(credit),
            "currency": _strings("USD", rows),
            "memo": pa.nulls(rows, pa.string()),
            "header_memo": pa.nulls(rows, pa.string()),
        },
        schema=GL_LINES_SCHEMA,
    )
    write_table_partition(
        the_lake.partition_dir("raw", "erp", "gl_lines", shop=SHOP, date=DATE), table
    )
    chart = pa.Table.from_pylist(
        [
            {"account_id": str(n), "account_number": str(n), "name": str(n), "type": "Other",
             "active": True}
            for n in (1000, 1205, 2200, 4000, 4050, 4100, 6100)
        ],
        schema=ACCOUNTS_SCHEMA,
    )  # fmt: skip
    write_table_partition(the_lake.partition_dir("raw", "erp", "accounts"), chart)
    import datetime as dt

    periods = pa.Table.from_pylist(
        [{"period_id": "210", "name": "Oct 2026", "start_date": dt.date(2026, 10, 1),
          "end_date": dt.date(2026, 10, 31), "status": "open"}],
        schema=PERIODS_SCHEMA,
    )  # fmt: skip
    write_table_partition(the_lake.partition_dir("raw", "erp", "periods"), periods)


def child(lake: Path, suite_path: str, result_file: Path) -> int:
    """Evaluate one suite over the partition (what one asset check step does)."""
    from retail_sync.quality.expectations import SUITES
    from retail_sync.quality.runner import PartitionRef, validate
    from retail_sync.warehouse.lake import Lake

    suite = SUITES[tuple(suite_path.split("/"))]  # type: ignore[index]
    outcome = validate(Lake(lake), suite, [PartitionRef(SHOP, DATE)], threads=2)
    result_file.write_text(
        json.dumps(
            {
                "rows": outcome.rows,
                "expectations": len(outcome.results),
                "seconds_inside": outcome.seconds,
                "engines": sorted({e for r in outcome.results for e in r.engines}),
                "failed": {r.name: r.unexpected_count for r in outcome.results if not r.success},
            }
        ),
        encoding="utf-8",
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the lake here and keep it")
    parser.add_argument(
        "--child", nargs=3, metavar=("LAKE", "SUITE", "RESULT"), help=argparse.SUPPRESS
    )
    parser.add_argument("--generate", type=Path, metavar="LAKE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(Path(args.child[0]), args.child[1], Path(args.child[2]))
    if args.generate:
        write_orders(args.generate, args.rows)
        write_gl_lines(args.generate, args.rows)
        return 0

    scratch = Path(tempfile.mkdtemp(prefix="bench-quality-"))
    lake = args.keep or scratch / "lake"
    rows: list[tuple[str, object, str, str, bool]] = []
    commands = []
    try:
        # Generated in its own process: a child's peak RSS (ru_maxrss) survives exec, so a
        # parent holding the data would inflate every measured child's figure.
        subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_quality", "--generate", str(lake),
             "--rows", str(args.rows)],
            check=True,
        )  # fmt: skip
        for suite_path in SUITES_BENCHED:
            result_file = scratch / f"{suite_path.replace('/', '_')}.json"
            command = [sys.executable, "-m", "benchmarks.bench_quality", "--child",
                       str(lake), suite_path, str(result_file)]  # fmt: skip
            commands.append(" ".join(command))
            figures = median_of_runs(command, runs=args.runs, warmups=1)
            inside = json.loads(result_file.read_text(encoding="utf-8"))
            rows += [
                (f"{suite_path} suite wall time", round(figures.seconds, 2), "s",
                 f"< {TARGET_SECONDS:.0f}", figures.seconds < TARGET_SECONDS),
                (f"{suite_path} suite peak RSS", round(figures.peak_rss_mib, 1), "MiB",
                 f"< {TARGET_RSS_MIB:.0f}", figures.peak_rss_mib < TARGET_RSS_MIB),
                (f"{suite_path} rows in partition", inside["rows"], "rows",
                 str(args.rows), inside["rows"] == args.rows),
                (f"{suite_path} expectations", inside["expectations"], "", "", True),
                (f"{suite_path} violations found", sum(inside["failed"].values()), "rows",
                 "> 0 (injected)", bool(inside["failed"])),
            ]  # fmt: skip
            print(f"{suite_path}: engines {inside['engines']}; failed {inside['failed']}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print(f"machine: {machine_description()}, Python {sys.version.split()[0]}")
    for command in commands:
        print(f"command: {command}")
    print(f"{'figure':<44} {'value':>10} {'unit':<5} {'target':<15} pass")
    for figure, value, unit, target, passed in rows:
        print(f"{figure:<44} {value!s:>10} {unit:<5} {target:<15} {'yes' if passed else 'NO'}")
    print(json.dumps({figure: value for figure, value, *_ in rows}))
    return 0 if all(row[4] for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())

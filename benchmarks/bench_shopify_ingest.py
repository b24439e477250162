"""Shopify ingestion figures: throttle-budget use when paging, bulk JSONL → Parquet speed, and peak
RSS while ingesting a 200,000-order day.

Run: python -m benchmarks.bench_shopify_ingest [--orders-per-day N] [--paged-orders-per-day N]
- paged: `extract_orders` page by page against an ADVANCED shop (200 points/s, bucket 4,000);
  utilisation = actual points consumed / (points available at the start + restore rate × run time).
- bulk: the simulator's bulk JSONL (of `queries.orders_bulk_query`) for a two-day world (≥ 1M
  lines at the default size) is landed: DuckDB read, dedupe, validate, sort, Parquet write of the
  five tables and quarantine. Timed from opening DuckDB to the last partition renamed into place
  (median of `--runs`); lines/s = JSONL lines of every record type ÷ that wall time.
- RSS: a child process runs `extract_orders` for one day (bulk mode) while the simulator runs in
  this process, so only the ingestion's memory is measured (peak RSS via wait4).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from benchmarks.measure import machine_description, run_process

TARGET_UTILISATION = 0.90
TARGET_RECORDS_PER_SECOND = 500_000
TARGET_RSS_MIB = 1536.0
START = date(2026, 10, 1)


def _world(root: Path, orders_per_day: int, days: int) -> tuple[Path, dict[str, str]]:
    from retail_sync.sandbox.generate.world_generator import generate_world

    generate_world(root, seed=3, start=START, days=days, orders_per_day=orders_per_day, shops=1)
    shop = json.loads((root / "shopify" / "shops.json").read_text())[0]
    return root, shop


def _day_window(shop: dict[str, str], day: date) -> tuple[datetime, datetime]:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(shop["timezone"])
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    return start, start + timedelta(days=1)


def paged_utilisation(work: Path, orders_per_day: int) -> tuple[float, int, int, float]:
    """(utilisation, requests, failed requests, seconds) of a paged read of a two-day window."""
    from retail_sync.sandbox.shopify import start_shopify_simulator
    from retail_sync.shopify.client import ShopifyClient
    from retail_sync.shopify.extract import extract_orders

    world, shop = _world(work / "paged-world", orders_per_day, 2)
    with start_shopify_simulator(world) as server:
        client = ShopifyClient(server.url, shop["access_token"])
        start = datetime(2026, 9, 1, tzinfo=UTC)
        extract_orders(
            client,
            shop_id=shop["id"],
            window_start=start,
            window_end=datetime(2027, 1, 1, tzinfo=UTC),
            partition_dir_for=lambda table: work / "paged-lake" / table,
            use_bulk=False,
        )
        stats = client.stats
        seconds = (stats.last_response_at or 0) - (stats.started_at or 0)
        return stats.budget_utilisation(), stats.requests, stats.failed_requests, seconds


def bulk_file(work: Path, world: Path, shop: dict[str, str]) -> Path:
    """Download the simulator's bulk export of every order of `world`."""
    from retail_sync.sandbox.shopify import start_shopify_simulator
    from retail_sync.shopify import queries
    from retail_sync.shopify.bulk import download, run_bulk_query
    from retail_sync.shopify.client import ShopifyClient

    path = work / "orders-bulk.jsonl"
    with start_shopify_simulator(world) as server:
        client = ShopifyClient(server.url, shop["access_token"])
        search = queries.time_range_search(
            "updated_at", "2026-09-01T00:00:00Z", "2027-01-01T00:00:00Z"
        )
        result = run_bulk_query(client, queries.orders_bulk_query(search), max_poll_interval=2.0)
        assert result.url
        download(client, result.url, path)
    return path


def land_bulk_file(path: Path, out: Path) -> tuple[int, int, float]:
    """(JSONL lines, rows landed, seconds) for landing one bulk file into `out`."""
    from retail_sync.shopify.landing import connect, land, load_lines
    from retail_sync.shopify.tables import ORDER_ENTITIES, ORDER_LINE_COLUMNS

    began = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        con = connect(Path(tmp))
        lines = load_lines(con, [path], ORDER_LINE_COLUMNS)
        rows, quarantined = land(
            con,
            ORDER_ENTITIES,
            shop_id="bench",
            window_start=datetime(2026, 9, 1, tzinfo=UTC),
            window_end=datetime(2027, 1, 1, tzinfo=UTC),
            partition_dir_for=lambda table: out / table,
            family="orders",
        )
        con.close()
    return lines, sum(rows.values()) + quarantined, time.perf_counter() - began


def child_ingest(url: str, token: str, shop_id: str, start: str, end: str, out: str) -> None:
    """The measured child: one day of orders, bulk chosen by the window's size."""
    from retail_sync.shopify.client import ShopifyClient
    from retail_sync.shopify.extract import extract_orders

    client = ShopifyClient(url, token)
    stats = extract_orders(
        client,
        shop_id=shop_id,
        window_start=datetime.fromisoformat(start),
        window_end=datetime.fromisoformat(end),
        partition_dir_for=lambda table: Path(out) / table,
        work_dir=Path(out),
    )
    print(json.dumps(stats.as_metadata()), file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders-per-day", type=int, default=200_000)
    parser.add_argument("--paged-orders-per-day", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--work", type=Path, help="keep the big world and its bulk file here between runs"
    )
    parser.add_argument("--child-ingest", nargs=6, metavar="ARG", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_ingest:
        child_ingest(*args.child_ingest)
        return 0

    from retail_sync.sandbox.shopify import start_shopify_simulator

    results: list[tuple[str, float, str, str, bool]] = []
    with tempfile.TemporaryDirectory(prefix="bench-shopify-") as tmp:
        work = Path(tmp)
        keep = args.work or work
        keep.mkdir(parents=True, exist_ok=True)
        utilisation, requests, failed, seconds = paged_utilisation(work, args.paged_orders_per_day)
        results.append(
            ("paged throttle-budget utilisation", utilisation * 100, "%", ">= 90 %",
             utilisation >= TARGET_UTILISATION and failed == 0)
        )  # fmt: skip
        results.append(
            ("paged requests (failed)", requests, f"({failed})", "0 failed", failed == 0)
        )
        results.append(("paged run time", seconds, "s", "", True))

        world = keep / f"big-world-{args.orders_per_day}"
        if (world / "world.json").exists():
            shop = json.loads((world / "shopify" / "shops.json").read_text())[0]
        else:
            world, shop = _world(world, args.orders_per_day, 2)
        path = keep / f"orders-bulk-{args.orders_per_day}.jsonl"
        if not path.exists():
            bulk_file(keep, world, shop).rename(path)
        timings = [land_bulk_file(path, work / f"lake-{n}") for n in range(args.runs)]
        lines, rows, _ = timings[0]
        seconds = statistics.median(t[2] for t in timings)
        results.append(
            ("bulk JSONL lines landed", lines, "lines", ">= 1,000,000", lines >= 1_000_000)
        )
        results.append(
            ("bulk JSONL -> Parquet", lines / seconds, "lines/s", ">= 500,000",
             lines / seconds >= TARGET_RECORDS_PER_SECOND)
        )  # fmt: skip
        results.append(("bulk rows written (all tables)", rows / seconds, "rows/s", "", True))

        start, end = _day_window(shop, START)
        with start_shopify_simulator(world) as server:
            out = work / "rss-lake"
            out.mkdir()
            figures = run_process(
                [sys.executable, "-m", "benchmarks.bench_shopify_ingest", "--child-ingest",
                 server.url, shop["access_token"], shop["id"], start.isoformat(), end.isoformat(),
                 str(out)]
            )  # fmt: skip
        results.append(
            (f"peak RSS ingesting a {args.orders_per_day:,}-order day", figures.peak_rss_mib,
             "MiB", "< 1536 MiB", figures.peak_rss_mib < TARGET_RSS_MIB)
        )  # fmt: skip
        results.append(("  that day's ingestion wall time", figures.seconds, "s", "", True))

    print(f"machine: {machine_description()}; bulk landing median of {args.runs} runs")
    print(f"{'figure':<44}{'value':>14}  {'unit':<8}{'target':<14}result")
    for figure, value, unit, target, passed in results:
        verdict = "pass" if passed else "FAIL"
        print(f"{figure:<44}{value:>14,.1f}  {unit:<8}{target:<14}{verdict if target else ''}")
    return 0 if all(passed for *_, passed in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())

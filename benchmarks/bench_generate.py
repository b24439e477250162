"""World generator at scale: 1 shop x 1 day x 200,000 orders in a child process.

Run: .venv/bin/python -m benchmarks.bench_generate [--orders 200000] [--keep DIR]

Prints figure / value / unit / target / pass rows for wall time and peak RSS (the child's
own rusage, as `/usr/bin/time -v` reports it), the
size of what was written, and the machine (cores, memory). Targets: < 60 s and < 2 GiB.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.measure import machine_description, run_process

TARGET_SECONDS = 60.0
TARGET_RSS_MIB = 2048.0
# A Tuesday that is not a sale day for seed 1, so the day holds exactly --orders orders.
BENCH_DATE = "2026-10-06"


def generation_command(out: Path, orders: int, seed: int = 1) -> list[str]:
    """The generator as its own process: one shop, one ordinary business day of `orders`."""
    return [
        sys.executable, "-m", "retail_sync.sandbox.generate", "--out", str(out),
        "--seed", str(seed), "--start", BENCH_DATE, "--days", "1",
        "--orders-per-day", str(orders), "--shops", "1",
    ]  # fmt: skip


def folder_bytes(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="write the world here and keep it")
    args = parser.parse_args(argv)

    scratch = Path(tempfile.mkdtemp(prefix="bench-generate-"))
    out = args.keep or scratch / "world"
    command = generation_command(out, args.orders, args.seed)
    try:
        try:
            figures = run_process(command)
        except subprocess.CalledProcessError as error:
            print(f"generation failed: {error}", file=sys.stderr)
            return 1
        seconds, peak_rss_mib = figures.seconds, figures.peak_rss_mib
        orders = sum(1 for _ in (out / "shopify" / "north-outfitters" / "orders.jsonl").open())
        written_mib = folder_bytes(out) / 1024 / 1024
        truth_rows = sum(1 for _ in (out / "truth" / "discrepancies.csv").open()) - 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    rows = [
        (
            "generate 1 shop-day wall time",
            round(seconds, 2),
            "s",
            f"< {TARGET_SECONDS:.0f}",
            seconds < TARGET_SECONDS,
        ),
        (
            "generate 1 shop-day peak RSS",
            round(peak_rss_mib, 1),
            "MiB",
            f"< {TARGET_RSS_MIB:.0f}",
            peak_rss_mib < TARGET_RSS_MIB,
        ),
        ("orders generated", orders, "orders", str(args.orders), orders == args.orders),
        ("orders per second", round(orders / seconds), "orders/s", "", True),
        ("world written", round(written_mib, 1), "MiB", "", True),
        ("discrepancies injected", truth_rows, "rows", "", True),
    ]
    print(f"machine: {machine_description()}, Python {sys.version.split()[0]}")
    print(f"command: {' '.join(command)}")
    print(f"{'figure':<34} {'value':>12} {'unit':<9} {'target':<8} pass")
    for figure, value, unit, target, passed in rows:
        print(f"{figure:<34} {value!s:>12} {unit:<9} {target:<8} {'yes' if passed else 'NO'}")
    print(json.dumps({figure: value for figure, value, *_ in rows}))
    return 0 if all(row[4] for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Run every benchmark at one size and print one table; also write it as JSON.

Run: python -m benchmarks --size s        (or `make bench SIZE=m`)

Each figure is a whole process (wall time and peak RSS as `/usr/bin/time -v` reports them),
the median of `--runs` runs after one warm-up; baselines and floors run in the same invocation so
ratios stay meaningful on a noisy machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.bench_generate import generation_command
from benchmarks.measure import ProcessFigures, machine_description, median_of_runs, run_process
from benchmarks.scale import SIZES

RESULTS = Path(__file__).resolve().parent / "results"
DATA = Path(__file__).resolve().parent / ".data"
# pandas needs the whole reconciliation in memory as Python Decimals; beyond `m` it cannot.
PANDAS_SIZES = ("s", "m")
# The world generator's figure is for one shop-day of 200,000 orders; size s keeps CI quick.
GENERATOR_ORDERS = {"s": 20_000, "m": 200_000, "l": 200_000}


@dataclass
class Figure:
    """One row of the table."""

    figure: str
    value: float
    unit: str
    ratio: str = ""
    target: str = ""
    result: str = ""


def _python(*arguments: str) -> list[str]:
    return [sys.executable, "-m", *arguments]


def _verdict(passed: bool) -> str:
    return "pass" if passed else "FAIL"


def _scale_data(size: str) -> tuple[Path, ProcessFigures]:
    out = DATA / size
    figures = run_process(_python("benchmarks.scale", "--size", size, "--out", str(out)))
    return out, figures


def _truth_check(data: Path) -> list[Figure]:
    """The engine's order exceptions against the scale truth (recon_orders.py `check`)."""
    completed = subprocess.run(
        _python("benchmarks.recon_orders", "check", str(data)),
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    check = json.loads(completed.stdout)
    kinds = check["order_kinds"]
    # Not detectable by the posting rules at this scale data (see recon_orders.py `_check`).
    detectable = {kind: counts for kind, counts in kinds.items() if kind != "order_wrong_period"}
    found = sum(counts["found"] for counts in detectable.values())
    truth = sum(counts["truth"] for counts in detectable.values())
    extra = sum(check["orders_not_in_truth"].values())
    return [
        Figure(
            "engine: truth's order discrepancies found",
            found,
            "rows",
            f"of {truth}",
            "all, none extra",
            _verdict(found == truth and extra == 0),
        ),
        Figure("engine: order exceptions not in the truth", extra, "rows"),
    ]


def run(size: str, runs: int) -> list[Figure]:
    table: list[Figure] = []
    data, generation = _scale_data(size)
    generation_target = {"l": (600.0, 8192.0)}.get(size)
    table.append(
        Figure(
            f"scale data generation ({size}: {SIZES[size]:,} orders)",
            round(generation.seconds, 2),
            "s",
            target="< 600 s" if generation_target else "",
            result=_verdict(generation.seconds < 600) if generation_target else "",
        )
    )
    table.append(
        Figure(
            "scale data generation peak RSS",
            round(generation.peak_rss_mib),
            "MiB",
            target="< 8192 MiB" if generation_target else "",
            result=_verdict(generation.peak_rss_mib < 8192) if generation_target else "",
        )
    )

    # Not timed: what the scale data lacks and a real ledger carries (see recon_orders.py).
    run_process(_python("benchmarks.recon_orders", "prepare", str(data)))
    floor = median_of_runs(_python("benchmarks.recon_orders", "floor", str(data)), runs=runs)
    ours = median_of_runs(_python("benchmarks.recon_orders", "duckdb", str(data)), runs=runs)
    table.append(
        Figure("floor: DuckDB hash join orders ⋈ GL lines", round(floor.seconds, 3), "s", "1.00x")
    )
    table.append(
        Figure(
            "order reconciliation (engine, sql/recon)",
            round(ours.seconds, 3),
            "s",
            f"{ours.seconds / floor.seconds:.2f}x floor",
            "≤ 3x floor",
            _verdict(ours.seconds <= 3 * floor.seconds),
        )
    )
    # Parts of the work any DuckDB reconciliation of this input must do, each timed alone as a
    # whole process like the floor (recon_orders.py module doc; docs/performance.md).
    for mode, figure in (
        ("staging-floor", "bound: the floor's join on staging Parquet"),
        ("scan", "bound: decoding the GL-line columns read"),
        ("group", "bound: GL lines grouped by record"),
        ("reference", "bound: orders-only reconciliation, 1 query"),
    ):
        part = median_of_runs(_python("benchmarks.recon_orders", mode, str(data)), runs=runs)
        ratio = f"{part.seconds / floor.seconds:.2f}x floor"
        table.append(Figure(figure, round(part.seconds, 3), "s", ratio))
    table.append(
        Figure(
            "order reconciliation peak RSS",
            round(ours.peak_rss_mib),
            "MiB",
            target="< 4096 MiB",
            result=_verdict(ours.peak_rss_mib < 4096),
        )
    )
    table.extend(_truth_check(data))
    if size in PANDAS_SIZES:
        pandas = median_of_runs(
            _python("benchmarks.recon_orders", "pandas", str(data)), runs=max(1, runs // 2)
        )
        table.append(
            Figure(
                "baseline: order reconciliation (pandas)",
                round(pandas.seconds, 3),
                "s",
                f"{pandas.seconds / ours.seconds:.1f}x ours",
                "ours ≥ 10x faster",
                _verdict(pandas.seconds >= 10 * ours.seconds),
            )
        )
        table.append(Figure("baseline peak RSS (pandas)", round(pandas.peak_rss_mib), "MiB"))

    orders = GENERATOR_ORDERS[size]
    with tempfile.TemporaryDirectory(prefix="bench-world-") as scratch:
        world = run_process(generation_command(Path(scratch) / "world", orders))
    table.append(
        Figure(
            f"world generator: 1 shop-day of {orders:,} orders",
            round(world.seconds, 2),
            "s",
            target="< 60 s at 200,000" if orders == 200_000 else "",
            result=_verdict(world.seconds < 60) if orders == 200_000 else "",
        )
    )
    table.append(
        Figure(
            "world generator peak RSS",
            round(world.peak_rss_mib),
            "MiB",
            target="< 2048 MiB",
            result=_verdict(world.peak_rss_mib < 2048),
        )
    )

    imports = median_of_runs([sys.executable, "-c", "import retail_sync.definitions"], runs=runs)
    table.append(
        Figure(
            "import retail_sync.definitions",
            round(imports.seconds, 2),
            "s",
            target="< 2 s",
            result=_verdict(imports.seconds < 2),
        )
    )
    return table


def _commit() -> str:
    completed = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return completed.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="s")
    parser.add_argument("--runs", type=int, default=3, help="measured runs per figure (median)")
    parser.add_argument("--json", type=Path, default=None, help="where to write the JSON")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    table = run(args.size, args.runs)
    machine = machine_description()
    print(f"size {args.size}; machine: {machine}; median of {args.runs} runs after a warm-up")
    header = f"{'figure':<48}{'value':>12} {'unit':<5}{'ratio':>16}  {'target':<18}result"
    print(header)
    print("-" * len(header))
    for row in table:
        print(
            f"{row.figure:<48}{row.value:>12,} {row.unit:<5}{row.ratio:>16}  "
            f"{row.target:<18}{row.result}"
        )
    print(f"(benchmarks took {time.perf_counter() - started:.0f} s)")

    commit = _commit()
    output = args.json or RESULTS / f"{args.size}-{commit}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "size": args.size,
        "commit": commit,
        "machine": machine,
        "runs": args.runs,
        "figures": [asdict(row) for row in table],
    }
    output.write_text(json.dumps(document, indent=2), encoding="utf-8")
    print(f"written to {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""How long `import retail_sync.definitions` takes in a fresh interpreter (target < 2 s).

Run: python -m benchmarks.bench_import [--runs N]
Baseline in the same run: `import dagster` alone, so the ratio shows what our code adds.
"""

from __future__ import annotations

import argparse
import sys

from benchmarks.measure import machine_description, median_of_runs

TARGET_SECONDS = 2.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    ours = median_of_runs([sys.executable, "-c", "import retail_sync.definitions"], runs=args.runs)
    floor = median_of_runs([sys.executable, "-c", "import dagster"], runs=args.runs)
    verdict = "pass" if ours.seconds < TARGET_SECONDS else "FAIL"
    print(f"machine: {machine_description()}; median of {args.runs} runs after 1 warm-up")
    print(f"{'figure':<34}{'value':>10}  {'unit':<5}{'ratio':>8}  {'target':<8}result")
    print(
        f"{'import retail_sync.definitions':<34}{ours.seconds:>10.2f}  {'s':<5}"
        f"{ours.seconds / floor.seconds:>7.2f}x  {'< 2 s':<8}{verdict}"
    )
    print(f"{'import dagster (floor)':<34}{floor.seconds:>10.2f}  {'s':<5}{1.0:>7.2f}x")
    print(f"{'peak RSS of the import':<34}{ours.peak_rss_mib:>10.0f}  MiB")
    return 0 if verdict == "pass" else 1


if __name__ == "__main__":
    raise SystemExit(main())

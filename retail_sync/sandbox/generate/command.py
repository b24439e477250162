"""`retail-sync sandbox generate`: arguments and entry point (wired into the CLI by cli.py)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from retail_sync.sandbox.generate.world_generator import generate_world
from retail_sync.sandbox.generate.writer import OutputFolderError


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a YYYY-MM-DD date") from None


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def add_generate_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the generator's options to `parser`."""
    parser.add_argument("--out", type=Path, required=True, help="folder to write the world into")
    parser.add_argument("--seed", type=int, required=True, help="same seed, same world")
    parser.add_argument("--start", type=_date, required=True, help="first business date")
    parser.add_argument("--days", type=_positive, required=True, help="business days")
    parser.add_argument(
        "--orders-per-day",
        type=_non_negative,
        required=True,
        help="orders on an ordinary weekday per shop (weekends x1.3, sale days x2.5)",
    )
    parser.add_argument("--shops", type=_positive, default=2, help="number of shops (default 2)")
    parser.add_argument(
        "--discrepancy-rate",
        type=_rate,
        default=0.02,
        help="probability that a record carries an injected discrepancy (default 0.02)",
    )


def run_generate(args: argparse.Namespace) -> int:
    """Generate the world described by parsed arguments; print a one-line summary."""
    try:
        summary = generate_world(
            args.out,
            seed=args.seed,
            start=args.start,
            days=args.days,
            orders_per_day=args.orders_per_day,
            shops=args.shops,
            discrepancy_rate=args.discrepancy_rate,
        )
    except (OutputFolderError, ValueError) as error:
        print(f"retail-sync sandbox generate: {error}", file=sys.stderr)
        return 2
    print(summary.describe())
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m retail_sync.sandbox.generate ...` (for the benchmark and by hand)."""
    parser = argparse.ArgumentParser(prog="retail-sync sandbox generate")
    add_generate_arguments(parser)
    return run_generate(parser.parse_args(argv))

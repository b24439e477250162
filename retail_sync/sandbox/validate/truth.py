"""The ground-truth file `truth/discrepancies.csv`."""

from __future__ import annotations

import csv
import re
from collections.abc import Hashable
from pathlib import Path

from retail_sync.sandbox.validate.findings import ValidationProblems
from retail_sync.sandbox.validate.values import cents, is_date
from retail_sync.sandbox.validate.vocabulary import DISCREPANCY_DOMAINS, TRUTH_HEADER


def read_truth(path: Path, shop_ids: set[Hashable], problems: ValidationProblems) -> dict[str, int]:
    """Check the truth file; return payout_balance_mismatch variances keyed by shopify_ref."""
    balance_mismatches: dict[str, int] = {}
    if not path.is_file():
        problems.add(str(path), "missing" if not path.exists() else "is not a file")
        return balance_mismatches
    number = 1
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header != TRUTH_HEADER:
                problems.add(f"{path}:1", f"header must be {','.join(TRUTH_HEADER)}")
                return balance_mismatches
            seen: set[str] = set()
            for number, values in enumerate(reader, start=2):
                _check_truth_row(
                    f"{path}:{number}", values, seen, shop_ids, balance_mismatches, problems
                )
    except UnicodeDecodeError:
        problems.add(f"{path}:{number + 1}", "not UTF-8")
    except csv.Error as error:  # a NUL byte, a field past the csv module's size limit
        problems.add(f"{path}:{number + 1}", f"not CSV ({error})")
    return balance_mismatches


def _check_truth_row(
    where: str,
    values: list[str],
    seen: set[str],
    shop_ids: set[Hashable],
    balance_mismatches: dict[str, int],
    problems: ValidationProblems,
) -> None:
    if len(values) != len(TRUTH_HEADER):
        problems.add(where, f"expected {len(TRUTH_HEADER)} columns, got {len(values)}")
        return
    row = dict(zip(TRUTH_HEADER, values, strict=True))
    if row["discrepancy_id"] in seen:
        problems.add(where, f"duplicate discrepancy_id {row['discrepancy_id']}")
    seen.add(row["discrepancy_id"])
    kind = row["kind"]
    if kind not in DISCREPANCY_DOMAINS:
        problems.add(where, f"unknown kind {kind!r}")
        return
    if row["domain"] != DISCREPANCY_DOMAINS[kind]:
        problems.add(where, f"{kind} belongs to domain {DISCREPANCY_DOMAINS[kind]}")
    if row["shop_id"] not in shop_ids:
        problems.add(where, f"unknown shop {row['shop_id']!r}")
    if not is_date(row["business_date"]):
        problems.add(where, "business_date must be YYYY-MM-DD")
    if kind == "inventory_on_hand_mismatch":
        if not re.fullmatch(r"-?[0-9]{1,18}", row["expected_variance"]):
            problems.add(where, "inventory expected_variance must be an integer quantity")
    elif cents(row["expected_variance"]) is None:
        problems.add(where, "expected_variance must be a signed amount with 2 decimals")
    if not row["shopify_ref"] and not row["erp_ref"]:
        problems.add(where, "needs a shopify_ref or an erp_ref")
    if kind == "payout_balance_mismatch":
        balance_mismatches[row["shopify_ref"]] = cents(row["expected_variance"]) or 0

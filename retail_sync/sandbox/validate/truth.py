"""The ground truth: `truth/discrepancies.csv` and its per-account `truth/discrepancy_lines.csv`."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path

from retail_sync.sandbox.validate.findings import ValidationProblems
from retail_sync.sandbox.validate.values import cents, format_cents, is_date
from retail_sync.sandbox.validate.vocabulary import (
    TRUTH_HEADER,
    TRUTH_HEADER_V1,
    TRUTH_LINES_HEADER,
    discrepancy_domain,
)
from retail_sync.sandbox.world import FORMAT_VERSION

ACCOUNT_PATTERN = re.compile(r"[0-9]{1,10}")
# A Shopify-side fact moves nothing on an account. Inventory differences are quantities: their
# one line (the value on 1300 on the business date, when a cost is known) is not tied to the
# variance.
KINDS_WITHOUT_LINES = {"payout_balance_mismatch"}
INVENTORY_ACCOUNT = "1300"


@dataclass
class _Rows:
    """What the lines are checked against: each row's kind and variance (None: not money)."""

    kinds: dict[str, str] = field(default_factory=dict)
    variances: dict[str, int | None] = field(default_factory=dict)
    business_dates: dict[str, str] = field(default_factory=dict)
    balance_mismatches: dict[str, int] = field(default_factory=dict)


def read_truth(
    path: Path,
    shop_ids: set[Hashable],
    problems: ValidationProblems,
    lines_path: Path | None = None,
    format_version: int = FORMAT_VERSION,
) -> dict[str, int]:
    """Check the truth files; return payout_balance_mismatch variances keyed by shopify_ref.

    `lines_path` (default: `discrepancy_lines.csv` beside `path`) holds one row per account and
    ledger date of each discrepancy; the lines of a discrepancy carry its variance (the money on
    the wrong side of the ledger: |variance| = Σ over accounts of the positive net deltas).
    Format version 1 has neither the `counter_account` column (it reads as empty) nor the lines
    file; a version-1 world that has one is told to say it is version 2.
    """
    rows = _Rows()
    header = TRUTH_HEADER if format_version >= 2 else TRUTH_HEADER_V1
    _read_csv(
        path,
        header,
        problems,
        lambda where, values, seen: _check_truth_row(
            where, header, values, seen, shop_ids, rows, problems
        ),
    )
    lines_path = lines_path or path.with_name("discrepancy_lines.csv")
    if format_version < 2:
        if lines_path.exists():
            problems.add(
                str(lines_path),
                "format version 1 has no lines file: set format_version to 2 (which also needs "
                "the counter_account column) or remove it",
            )
        return rows.balance_mismatches
    nets: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if _read_csv(
        lines_path,
        TRUTH_LINES_HEADER,
        problems,
        lambda where, values, seen: _check_line(where, values, seen, rows, nets, problems),
    ):
        _check_line_totals(lines_path, rows, nets, problems)
    return rows.balance_mismatches


def _read_csv(
    path: Path,
    header: list[str],
    problems: ValidationProblems,
    check: Callable[[str, list[str], set[object]], None],
) -> bool:
    """Feed every data row to `check`; False when the file could not be read to its end."""
    if not path.is_file():
        problems.add(str(path), "missing" if not path.exists() else "is not a file")
        return False
    number = 1
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            if next(reader, None) != header:
                problems.add(f"{path}:1", f"header must be {','.join(header)}")
                return False
            seen: set[object] = set()
            for number, values in enumerate(reader, start=2):
                check(f"{path}:{number}", values, seen)
    except UnicodeDecodeError:
        problems.add(f"{path}:{number + 1}", "not UTF-8")
        return False
    except csv.Error as error:  # a NUL byte, a field past the csv module's size limit
        problems.add(f"{path}:{number + 1}", f"not CSV ({error})")
        return False
    return True


def _check_truth_row(
    where: str,
    header: list[str],
    values: list[str],
    seen: set[object],
    shop_ids: set[Hashable],
    rows: _Rows,
    problems: ValidationProblems,
) -> None:
    if len(values) != len(header):
        problems.add(where, f"expected {len(header)} columns, got {len(values)}")
        return
    row = {"counter_account": ""} | dict(zip(header, values, strict=True))
    discrepancy_id = row["discrepancy_id"]
    if discrepancy_id in seen:
        problems.add(where, f"duplicate discrepancy_id {discrepancy_id}")
    seen.add(discrepancy_id)
    kind = row["kind"]
    domain = discrepancy_domain(kind)
    if domain is None:
        problems.add(where, f"unknown kind {kind!r}")
        return
    if row["domain"] != domain:
        problems.add(where, f"{kind} belongs to domain {domain}")
    if row["shop_id"] not in shop_ids:
        problems.add(where, f"unknown shop {row['shop_id']!r}")
    if not is_date(row["business_date"]):
        problems.add(where, "business_date must be YYYY-MM-DD")
    for column in ("account", "counter_account"):
        if row[column] and not ACCOUNT_PATTERN.fullmatch(row[column]):
            problems.add(where, f"{column} must be empty or an account number")
    if row["counter_account"] and row["counter_account"] == row["account"]:
        problems.add(where, "counter_account must differ from account")
    if row["counter_account"] and not row["account"]:
        problems.add(where, "a counter_account needs an account")
    variance: int | None = None
    if domain == "inventory":
        if not re.fullmatch(r"-?[0-9]{1,18}", row["expected_variance"]):
            problems.add(where, "inventory expected_variance must be an integer quantity")
    else:
        variance = cents(row["expected_variance"])
        if variance is None:
            problems.add(where, "expected_variance must be a signed amount with 2 decimals")
    if not row["shopify_ref"] and not row["erp_ref"]:
        problems.add(where, "needs a shopify_ref or an erp_ref")
    if kind == "payout_balance_mismatch":
        rows.balance_mismatches[row["shopify_ref"]] = variance or 0
    rows.kinds.setdefault(discrepancy_id, kind)
    rows.variances.setdefault(discrepancy_id, variance)
    rows.business_dates.setdefault(discrepancy_id, row["business_date"])


def _check_line(
    where: str,
    values: list[str],
    seen: set[object],
    rows: _Rows,
    nets: dict[str, dict[str, int]],
    problems: ValidationProblems,
) -> None:
    if len(values) != len(TRUTH_LINES_HEADER):
        problems.add(where, f"expected {len(TRUTH_LINES_HEADER)} columns, got {len(values)}")
        return
    discrepancy_id, account, delta_text, ledger_date = values
    line_key = (discrepancy_id, account, ledger_date)
    if line_key in seen:
        problems.add(where, f"a second line for {discrepancy_id} on {account} at {ledger_date}")
    seen.add(line_key)
    kind = rows.kinds.get(discrepancy_id)
    if kind is None:
        problems.add(where, f"discrepancy_id {discrepancy_id!r} is not in discrepancies.csv")
        return
    if kind in KINDS_WITHOUT_LINES:
        problems.add(where, f"a {kind} moves nothing on an account: it has no lines")
        return
    if not ACCOUNT_PATTERN.fullmatch(account):
        problems.add(where, "account must be an account number")
    if not is_date(ledger_date):
        problems.add(where, "ledger_date must be YYYY-MM-DD")
    if discrepancy_domain(kind) == "inventory":
        if account != INVENTORY_ACCOUNT:
            problems.add(where, f"an inventory line is on {INVENTORY_ACCOUNT}, not {account!r}")
        if ledger_date != rows.business_dates.get(discrepancy_id):
            problems.add(where, "an inventory line is dated by its discrepancy's business_date")
    delta = cents(delta_text)
    if delta is None or delta == 0:
        problems.add(where, "delta must be a nonzero signed amount with 2 decimals")
        return
    nets[discrepancy_id][account] += delta


def _check_line_totals(
    path: Path, rows: _Rows, nets: dict[str, dict[str, int]], problems: ValidationProblems
) -> None:
    """Every discrepancy with money on accounts has lines, and they carry its variance."""
    for discrepancy_id, kind in rows.kinds.items():
        if kind in KINDS_WITHOUT_LINES or discrepancy_domain(kind) == "inventory":
            continue
        variance = rows.variances.get(discrepancy_id)
        if discrepancy_id not in nets:
            problems.add(str(path), f"{discrepancy_id} ({kind}) has no lines")
            continue
        moved = sum(max(net, 0) for net in nets[discrepancy_id].values())
        if variance is not None and abs(variance) != moved:
            problems.add(
                str(path),
                f"{discrepancy_id}: |expected_variance| {format_cents(abs(variance))} is not "
                f"the {format_cents(moved)} its lines move",
            )

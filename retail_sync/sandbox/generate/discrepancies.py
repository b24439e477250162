"""Which records get a discrepancy, of which kind, and the ground-truth files that record them.

Selection (documented in docs/sandbox.md, "Ground truth"): each posted order, refund and charge
fee is selected with probability `rate` (an order whose UTC date lies in another period than its
business date with probability `min(1, 10 × rate)`, always as `order_wrong_period`); each payout
and each other balance-transaction entry (adjustment, dispute, dispute won, reserve held or
released) with probability `min(1, 5 × rate)` (they are few); each ERP on-hand row with
probability `rate / 5` (they are many). A selected record gets exactly one kind, drawn among the
kinds it is eligible for, so no record ever carries two discrepancies. `MISBOOKED` is not a kind
but a shape: a random amount moved between random accounts, whose kind the classification
(`classification.classify`) names.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import IO

from retail_sync.sandbox.generate.money import format_cents
from retail_sync.sandbox.validate import TRUTH_HEADER, TRUTH_LINES_HEADER, discrepancy_domain

MISBOOKED = "misbooked"  # an amount moved between random accounts (classified when recorded)
MISSING = "missing"  # a balance-transaction entry never posted (`<subject>_missing_in_erp`)
DUPLICATE = "duplicate"  # posted twice (`<subject>_duplicate_posting`)
ORDER_KIND_WEIGHTS = {
    "order_missing_in_erp": 1.0,
    "order_duplicate_posting": 1.0,
    "order_tax_mismatch": 1.0,
    "order_shipping_mismatch": 1.0,
    "order_discount_mismatch": 1.0,
    "order_rounding_difference": 1.0,
    "order_fx_difference": 2.0,
    "order_wrong_period": 1.0,  # chosen on its own, see ShopGeneration._post_order
    "orphan_erp_entry": 1.0,
    MISBOOKED: 3.0,
}
# A charge's fee; a refund (a partial one may also be booked for the wrong amount); the other
# balance-transaction entries.
FEE_KIND_WEIGHTS = {MISSING: 1.0, DUPLICATE: 1.0, MISBOOKED: 1.0}
REFUND_KIND_WEIGHTS = {"refund_missing_in_erp": 1.0, MISBOOKED: 1.0}
PARTIAL_REFUND_KIND_WEIGHTS = {**REFUND_KIND_WEIGHTS, "refund_amount_mismatch": 2.0}
BALANCE_KIND_WEIGHTS = {MISSING: 1.0, MISBOOKED: 2.0}
TruthLine = tuple[str, int, date]  # account, delta (ERP − rules, net debit, cents), ledger date


def choose_kind(rng: random.Random, eligible: dict[str, float]) -> str:
    kinds = list(eligible)
    return rng.choices(kinds, weights=[eligible[kind] for kind in kinds])[0]


class TruthWriter:
    """Streams `truth/discrepancies.csv` and `truth/discrepancy_lines.csv`; counts rows per kind."""

    def __init__(self, path: Path, lines_path: Path | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        lines_path = lines_path or path.with_name("discrepancy_lines.csv")
        self._handle: IO[str] = path.open("w", encoding="utf-8", newline="")
        self._lines_handle: IO[str] = lines_path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._handle, lineterminator="\n")
        self._lines_writer = csv.writer(self._lines_handle, lineterminator="\n")
        self._writer.writerow(TRUTH_HEADER)
        self._lines_writer.writerow(TRUTH_LINES_HEADER)
        self.counts: Counter[str] = Counter()
        self._sequence: Counter[str] = Counter()

    def record(
        self,
        *,
        kind: str,
        shop_id: str,
        shopify_ref: str,
        erp_ref: str,
        account: str,
        expected_variance: str,
        currency: str,
        business_date: str,
        note: str,
        counter_account: str = "",
        lines: Sequence[TruthLine] = (),
    ) -> None:
        """One discrepancy and its lines: the delta per account and ledger date, none zero."""
        domain = discrepancy_domain(kind)
        if domain is None:
            raise ValueError(f"unknown discrepancy kind {kind!r}")
        self._sequence[shop_id] += 1
        self.counts[kind] += 1
        discrepancy_id = f"{shop_id}-d{self._sequence[shop_id]:06d}"
        self._writer.writerow(
            [
                discrepancy_id,
                kind,
                domain,
                shop_id,
                shopify_ref,
                erp_ref,
                account,
                counter_account,
                expected_variance,
                currency,
                business_date,
                note,
            ]
        )
        for line_account, delta, ledger_date in lines:
            if delta:
                self._lines_writer.writerow(
                    [discrepancy_id, line_account, format_cents(delta), ledger_date.isoformat()]
                )

    def close(self) -> None:
        self._handle.close()
        self._lines_handle.close()

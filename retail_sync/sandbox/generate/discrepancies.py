"""Which records get a discrepancy, of which kind, and the ground-truth file that records them.

Selection (documented in docs/sandbox.md, "Ground truth"): each posted order, refund and charge
fee is selected with probability `rate` (an order whose UTC date lies in another period than its
business date with probability `min(1, 10 × rate)`, always as `order_wrong_period`); each payout
with probability `min(1, 5 × rate)` (payouts are few); each ERP on-hand row with probability
`rate / 5` (they are many). A selected record gets exactly one kind, drawn among the kinds it is
eligible for, so no record ever carries two discrepancies.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from pathlib import Path
from typing import IO

from retail_sync.sandbox.validate import DISCREPANCY_DOMAINS, TRUTH_HEADER

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
}
ALL_KINDS = tuple(DISCREPANCY_DOMAINS)


def choose_kind(rng: random.Random, eligible: dict[str, float]) -> str:
    kinds = list(eligible)
    return rng.choices(kinds, weights=[eligible[kind] for kind in kinds])[0]


class TruthWriter:
    """Streams `truth/discrepancies.csv` and counts rows per kind."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: IO[str] = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._handle, lineterminator="\n")
        self._writer.writerow(TRUTH_HEADER)
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
    ) -> None:
        self._sequence[shop_id] += 1
        self.counts[kind] += 1
        self._writer.writerow(
            [
                f"{shop_id}-d{self._sequence[shop_id]:06d}",
                kind,
                DISCREPANCY_DOMAINS[kind],
                shop_id,
                shopify_ref,
                erp_ref,
                account,
                expected_variance,
                currency,
                business_date,
                note,
            ]
        )

    def close(self) -> None:
        self._handle.close()

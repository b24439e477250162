"""Matching rules, configurable per shop (the `matching` object of a shop in the shops file).

Exact keys always come first (the Shopify id in the ERP entry's memo token and our external id);
these rules govern what happens without them:

- `amount_tolerance` / `amount_tolerance_percent`: a bank deposit booked without any Shopify
  reference matches a payout when their amounts differ by at most the larger of the two
  (a difference within tolerance is still reported, as an amount mismatch on 1000).
- `deposit_days_before` / `deposit_days_after`: ...and the deposit is dated within this window
  around the payout date (banks credit a payout a day or more after Shopify issues it).
- `inventory_tolerance`: on-hand quantities within this many units are a match.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Any

from retail_sync.errors import RetailSyncError


class MatchingRulesError(RetailSyncError):
    """A shop's `matching` settings are not valid."""


@dataclass(frozen=True)
class MatchingRules:
    amount_tolerance: Decimal = Decimal("1.00")
    amount_tolerance_percent: Decimal = Decimal("0.00")
    deposit_days_before: int = 1
    deposit_days_after: int = 5
    inventory_tolerance: Decimal = Decimal("0")

    @classmethod
    def from_settings(cls, shop_id: str, settings: dict[str, Any] | None) -> MatchingRules:
        """Rules from a shop's `matching` object; unknown keys and bad values are clear errors."""
        settings = settings or {}
        known = {field.name: field for field in fields(cls)}
        unknown = sorted(set(settings) - set(known))
        if unknown:
            raise MatchingRulesError(
                f"shop {shop_id!r}: unknown matching setting(s) {', '.join(unknown)}"
            )
        values: dict[str, Any] = {}
        for name, raw in settings.items():
            default = getattr(cls, name)
            try:
                value: Any = int(raw) if isinstance(default, int) else Decimal(str(raw))
            except (InvalidOperation, ValueError, TypeError):
                raise MatchingRulesError(
                    f"shop {shop_id!r}: matching.{name} must be a number, not {raw!r}"
                ) from None
            if value < 0:
                raise MatchingRulesError(f"shop {shop_id!r}: matching.{name} must not be negative")
            values[name] = value
        return cls(**values)

    def sql_values(self) -> tuple[str, ...]:
        """The rules as SQL literals, in the column order of `raw.config__matching`."""
        return (
            f"cast({self.amount_tolerance} as decimal(18, 2))",
            f"cast({self.amount_tolerance_percent} as decimal(9, 4))",
            str(int(self.deposit_days_before)),
            str(int(self.deposit_days_after)),
            f"cast({self.inventory_tolerance} as decimal(18, 4))",
        )


MATCHING_COLUMNS = (
    "amount_tolerance",
    "amount_tolerance_percent",
    "deposit_days_before",
    "deposit_days_after",
    "inventory_tolerance",
)

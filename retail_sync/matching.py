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

from retail_sync.errors import ConfigurationError


class MatchingRulesError(ConfigurationError):
    """A shop's `matching` settings are not valid."""


@dataclass(frozen=True)
class SettingBounds:
    """What a matching setting may hold: its range and how many fraction digits its column keeps."""

    maximum: Decimal
    places: int  # 0: a whole number


# Upper bounds well past any sane setting: a value beyond them is a typo (or "Infinity"), and the
# SQL columns (`raw.config__matching`) could not hold it exactly anyway.
SETTING_BOUNDS = {
    "amount_tolerance": SettingBounds(Decimal("1000000"), 2),  # decimal(18, 2), shop currency
    "amount_tolerance_percent": SettingBounds(Decimal("100"), 4),  # decimal(9, 4)
    "deposit_days_before": SettingBounds(Decimal("366"), 0),
    "deposit_days_after": SettingBounds(Decimal("366"), 0),
    "inventory_tolerance": SettingBounds(Decimal("1000000"), 4),  # decimal(18, 4), units
    "rounding_tolerance": SettingBounds(Decimal("1000000"), 2),  # decimal(18, 2), shop currency
    "fx_tolerance_percent": SettingBounds(Decimal("100"), 4),  # decimal(9, 4)
}


@dataclass(frozen=True)
class MatchingRules:
    amount_tolerance: Decimal = Decimal("1.00")
    amount_tolerance_percent: Decimal = Decimal("0.00")
    deposit_days_before: int = 1
    deposit_days_after: int = 5
    inventory_tolerance: Decimal = Decimal("0")
    # Which kind an amount difference gets (never whether it is reported): a difference moved to
    # 7950 up to this much is rounding; one moved to 7900 on a foreign-presentment order up to
    # max(rounding_tolerance, this percent of the entry) is FX (docs/finance.md).
    rounding_tolerance: Decimal = Decimal("0.05")
    fx_tolerance_percent: Decimal = Decimal("3.00")

    @classmethod
    def from_settings(cls, shop_id: str, settings: Any) -> MatchingRules:
        """Rules from a shop's `matching` object; unknown keys and bad values are clear errors."""
        if settings is None:
            return cls()
        if not isinstance(settings, dict):
            raise MatchingRulesError(
                f"shop {shop_id!r}: matching must be an object of settings, not {settings!r}"
            )
        known = {field.name for field in fields(cls)}
        unknown = sorted(str(name) for name in set(settings) - known)
        if unknown:
            raise MatchingRulesError(
                f"shop {shop_id!r}: unknown matching setting(s) {', '.join(unknown)}"
            )
        values: dict[str, Any] = {}
        for name, raw in settings.items():
            number = _setting_number(shop_id, name, raw)
            values[name] = int(number) if SETTING_BOUNDS[name].places == 0 else number
        return cls(**values)

    def sql_values(self) -> tuple[str, ...]:
        """The rules as SQL literals, in the column order of `raw.config__matching`."""
        # `:f` writes plain digits (never `1E+2`), so each literal is an exact decimal.
        return (
            f"cast({self.amount_tolerance:f} as decimal(18, 2))",
            f"cast({self.amount_tolerance_percent:f} as decimal(9, 4))",
            str(int(self.deposit_days_before)),
            str(int(self.deposit_days_after)),
            f"cast({self.inventory_tolerance:f} as decimal(18, 4))",
            f"cast({self.rounding_tolerance:f} as decimal(18, 2))",
            f"cast({self.fx_tolerance_percent:f} as decimal(9, 4))",
        )


def _setting_number(shop_id: str, name: str, raw: Any) -> Decimal:
    """One setting as an exact, finite, in-range decimal, or a MatchingRulesError naming it."""
    bounds = SETTING_BOUNDS[name]
    setting = f"shop {shop_id!r}: matching.{name}"
    kind = "a whole number" if bounds.places == 0 else "a number"
    # A bool is an int in Python and a float is binary: neither is what a person meant to type
    # for an exact setting, except a float that is a whole number or came from JSON like 0.5.
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise MatchingRulesError(f"{setting} must be {kind}, not {raw!r}")
    text = raw.strip() if isinstance(raw, str) else repr(raw)
    if len(text) > 40:
        raise MatchingRulesError(f"{setting} must be {kind}, not a {len(text)}-character value")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise MatchingRulesError(f"{setting} must be {kind}, not {raw!r}") from None
    if not number.is_finite():
        raise MatchingRulesError(f"{setting} must be a finite number, not {raw!r}")
    if number < 0:
        raise MatchingRulesError(f"{setting} must not be negative (got {raw!r})")
    if number > bounds.maximum:
        raise MatchingRulesError(f"{setting} must be at most {bounds.maximum} (got {raw!r})")
    if number.quantize(Decimal(1).scaleb(-bounds.places)) != number:
        if bounds.places == 0:
            raise MatchingRulesError(f"{setting} must be a whole number (got {raw!r})")
        raise MatchingRulesError(
            f"{setting} keeps at most {bounds.places} decimal places (got {raw!r})"
        )
    return number + 0  # `+ 0` drops a negative zero's sign


MATCHING_COLUMNS = (
    "amount_tolerance",
    "amount_tolerance_percent",
    "deposit_days_before",
    "deposit_days_after",
    "inventory_tolerance",
    "rounding_tolerance",
    "fx_tolerance_percent",
)

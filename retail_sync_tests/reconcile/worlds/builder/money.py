"""Money in integer cents: half-up rounding, one text format, and Shopify's two-currency bag."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

UTC = ZoneInfo("UTC")


def to_cents(text: str) -> int:
    return int((Decimal(text) * 100).to_integral_value(rounding=ROUND_HALF_UP))


def round_cents(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def money(value: int) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}{abs(value) // 100}.{abs(value) % 100:02d}"


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Amount:
    """Cents in the shop currency and in the presentment currency (a Shopify MoneyBag)."""

    shop: int
    presentment: int

    @classmethod
    def presented(cls, shop_cents: int, fx: Decimal) -> Amount:
        """`shop_cents` with its presentment value at `fx` presentment units per shop unit."""
        return cls(shop_cents, round_cents(Decimal(shop_cents) * fx))

    def __add__(self, other: Amount) -> Amount:
        return Amount(self.shop + other.shop, self.presentment + other.presentment)

    def __sub__(self, other: Amount) -> Amount:
        return Amount(self.shop - other.shop, self.presentment - other.presentment)

    def __mul__(self, quantity: int) -> Amount:
        return Amount(self.shop * quantity, self.presentment * quantity)

    def __bool__(self) -> bool:
        return bool(self.shop or self.presentment)

    def scaled(self, factor: Decimal) -> Amount:
        """Each currency times `factor`, half-up to the cent (a tax rate, a refunded share)."""
        return Amount(round_cents(self.shop * factor), round_cents(self.presentment * factor))

    def bag(self) -> dict[str, str]:
        return {"shop": money(self.shop), "presentment": money(self.presentment)}


ZERO = Amount(0, 0)


def total(amounts: list[Amount]) -> Amount:
    return sum(amounts, ZERO)

"""What a world is described by: its shops, its business dates and its orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from .shops import ShopSpec


@dataclass(frozen=True)
class LineSpec:
    sku: str
    quantity: int
    unit: str  # shop currency
    discount: str = "0.00"  # shop currency, allocated to this line


@dataclass(frozen=True)
class RefundSpec:
    at: str  # local time
    lines: tuple[tuple[str, int], ...]  # (sku, quantity), restocked (RETURN)
    shipping: str = "0.00"  # shop currency
    note: str = "customer return"


@dataclass(frozen=True)
class OrderSpec:
    id: int
    name: str
    at: str  # local processing time, 'YYYY-MM-DD HH:MM'
    lines: tuple[LineSpec, ...]
    shipping: str | None = None  # shop currency; None: no shipping line
    shipping_title: str | None = None  # None: the shop's usual shipping method
    gateway: str = "shopify_payments"
    presentment: str | None = None  # None: the shop currency
    fx: str = "1"  # presentment per shop unit
    refunds: tuple[RefundSpec, ...] = ()


@dataclass(frozen=True)
class ShopPlan:
    shop: ShopSpec
    orders: tuple[OrderSpec, ...]


@dataclass(frozen=True)
class WorldSpec:
    name: str
    description: str
    start: date
    days: int
    shops: tuple[ShopPlan, ...]
    payout_delay_days: int = 1  # a UTC day's batch is issued at 12:00 UTC this many days later

    def end(self, shop: ShopSpec) -> datetime:
        """Local midnight after the last business date: nothing happens from then on."""
        return datetime.combine(self.start + timedelta(days=self.days), time(0), tzinfo=shop.zone)

    @property
    def business_dates(self) -> list[str]:
        return [(self.start + timedelta(days=n)).isoformat() for n in range(self.days)]

    @property
    def last_date(self) -> date:
        return self.start + timedelta(days=self.days - 1)

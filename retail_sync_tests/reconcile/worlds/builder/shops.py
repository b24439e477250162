"""The two shops the hand-written worlds use, with their items, taxes, fees and ERP ids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class ItemSpec:
    id: int
    sku: str
    title: str
    unit_cost: str
    erp_id: str
    start_on_hand: int


@dataclass(frozen=True)
class ShopSpec:
    id: str
    name: str
    currency: str
    timezone: str
    plan: str
    token_suffix: str
    subsidiary_id: str
    subsidiary_name: str
    location_id: int
    location_name: str
    erp_location_id: str
    items: tuple[ItemSpec, ...]
    tax_title: str
    tax_rate: str  # e.g. "0.0800"
    shipping_taxed: bool
    fee_rate: str  # processing fee: rate × amount + fixed, half-up to the cent
    fee_fixed: str
    shipping_title: str  # the usual shipping method, unless an order names another

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def item(self, sku: str) -> ItemSpec:
        return next(item for item in self.items if item.sku == sku)

    def local(self, text: str) -> datetime:
        """'2026-10-30 10:05' in the shop's timezone (never an ambiguous DST hour here)."""
        return datetime.fromisoformat(text).replace(tzinfo=self.zone)


NORTH = ShopSpec(
    id="north-outfitters",
    name="North Outfitters",
    currency="USD",
    timezone="America/New_York",
    plan="ADVANCED",
    token_suffix="north",
    subsidiary_id="1",
    subsidiary_name="North Outfitters US",
    location_id=70001,
    location_name="Warehouse East",
    erp_location_id="31",
    items=(
        ItemSpec(80001, "TENT-2P", "Two-person tent", "84.20", "501", 20),
        ItemSpec(80002, "LAMP-HD", "Headlamp", "11.40", "502", 40),
    ),
    tax_title="State tax",
    tax_rate="0.0800",
    shipping_taxed=False,
    fee_rate="0.029",
    fee_fixed="0.30",
    shipping_title="Standard",
)
ALPEN = ShopSpec(
    id="alpen-supply",
    name="Alpen Supply",
    currency="EUR",
    timezone="Europe/Berlin",
    plan="STANDARD",
    token_suffix="alpen",
    subsidiary_id="2",
    subsidiary_name="Alpen Supply GmbH",
    location_id=70011,
    location_name="Lager München",
    erp_location_id="32",
    items=(
        ItemSpec(80011, "SKI-WAX", "Ski wax", "4.10", "511", 100),
        ItemSpec(80012, "BEANIE", "Wool beanie", "9.75", "512", 25),
    ),
    tax_title="MwSt",
    tax_rate="0.1900",
    shipping_taxed=True,
    fee_rate="0.014",
    fee_fixed="0.25",
    shipping_title="DHL",
)

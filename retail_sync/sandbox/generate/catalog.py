"""Shops, their locations and products, and the ERP reference data (chart, periods, items)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from retail_sync.sandbox.generate.money import RATE_ONE
from retail_sync.sandbox.generate.randomness import substream

# Shopify ids: <entity prefix> × 10^13 + <shop number> × 10^10 + <sequence>; unique per type.
ENTITY_PREFIX = {
    "Order": 1,
    "LineItem": 2,
    "Refund": 3,
    "OrderTransaction": 4,
    "ShopifyPaymentsBalanceTransaction": 5,
    "ShopifyPaymentsPayout": 6,
    "Location": 7,
    "InventoryItem": 8,
    "RefundLineItem": 9,
    "RefundShippingLine": 10,
}


def shopify_id_base(entity: str, shop_index: int) -> int:
    return ENTITY_PREFIX[entity] * 10**13 + (shop_index + 1) * 10**10


class IdSequence:
    """Consecutive Shopify ids of one entity type within one shop's id block."""

    __slots__ = ("next_id",)

    def __init__(self, entity: str, shop_index: int) -> None:
        self.next_id = shopify_id_base(entity, shop_index) + 1

    def take(self) -> int:
        value = self.next_id
        self.next_id += 1
        return value


# The default chart (ACCOUNTING.md) with the NetSuite internal ids the generator gives them.
CHART: tuple[tuple[str, str, str, str], ...] = (
    ("101", "1000", "Bank — operating", "Bank"),
    ("110", "1205", "Shopify Payments clearing", "OthCurrAsset"),
    ("111", "1210", "Shopify Payments reserve", "OthCurrAsset"),
    ("112", "1220", "Other gateways clearing (PayPal, manual)", "OthCurrAsset"),
    ("115", "1300", "Inventory", "OthCurrAsset"),
    ("130", "2200", "Sales tax payable", "OthCurrLiab"),
    ("135", "2300", "Gift cards outstanding", "OthCurrLiab"),
    ("140", "4000", "Product sales", "Income"),
    ("150", "4050", "Discounts", "Income"),
    ("155", "4090", "Returns and refunds", "Income"),
    ("160", "4100", "Shipping income", "Income"),
    ("170", "5100", "Inventory shrinkage", "COGS"),
    ("180", "6100", "Payment processing fees", "Expense"),
    ("185", "6150", "Chargebacks and disputes", "Expense"),
    ("190", "7900", "FX gain/loss", "OthExpense"),
    ("195", "7950", "Rounding differences", "OthExpense"),
)
ACCOUNT_ID = {number: internal_id for internal_id, number, _, _ in CHART}

CURRENCIES: tuple[tuple[str, str, str], ...] = (
    ("1", "USD", "US Dollar"),
    ("2", "EUR", "Euro"),
    ("3", "CAD", "Canadian Dollar"),
    ("4", "GBP", "British Pound"),
    ("5", "CHF", "Swiss Franc"),
    ("6", "AUD", "Australian Dollar"),
    ("7", "NZD", "New Zealand Dollar"),
)
CURRENCY_ID = {symbol: currency_id for currency_id, symbol, _ in CURRENCIES}
# Units of each currency per US dollar (a fixed reference; daily rates wobble around it).
UNITS_PER_USD = {
    "USD": 1.0,
    "EUR": 0.92,
    "CAD": 1.38,
    "GBP": 0.79,
    "CHF": 0.88,
    "AUD": 1.52,
    "NZD": 1.66,
}


@dataclass(frozen=True)
class ShopPreset:
    slug: str
    name: str
    currency: str
    timezone: str
    plan: str
    tax_title: str
    tax_rate: int  # millionths
    taxes_shipping: bool
    presentment_mix: tuple[tuple[str, float], ...]
    fee_rate: int  # millionths
    fee_fixed: int  # cents
    international_fee_rate: int  # millionths, added when presentment currency differs
    dispute_fee: int  # cents
    locations: tuple[str, ...]
    words: tuple[str, ...]


PRESETS: tuple[ShopPreset, ...] = (
    ShopPreset(
        "north-outfitters",
        "North Outfitters",
        "USD",
        "America/New_York",
        "ADVANCED",
        "State tax",
        80_000,
        False,
        (("USD", 0.86), ("CAD", 0.09), ("GBP", 0.05)),
        29_000,
        30,
        10_000,
        1500,
        ("Warehouse East", "Store Brooklyn"),
        ("Tent", "Headlamp", "Sleeping bag", "Stove", "Jacket", "Boots", "Pack", "Bottle"),
    ),
    ShopPreset(
        "alpen-supply",
        "Alpen Supply",
        "EUR",
        "Europe/Berlin",
        "STANDARD",
        "MwSt",
        190_000,
        True,
        (("EUR", 0.78), ("GBP", 0.10), ("CHF", 0.07), ("USD", 0.05)),
        15_000,
        25,
        20_000,
        1500,
        ("Lager München", "Filiale Wien"),
        ("Ski wax", "Beanie", "Gloves", "Goggles", "Skis", "Helmet", "Socks", "Thermos"),
    ),
    ShopPreset(
        "maple-goods",
        "Maple Goods",
        "CAD",
        "America/Vancouver",
        "PLUS",
        "GST",
        50_000,
        True,
        (("CAD", 0.88), ("USD", 0.12)),
        29_000,
        30,
        10_000,
        1500,
        ("Vancouver DC", "Toronto DC"),
        ("Syrup", "Mug", "Blanket", "Toque", "Candle", "Kettle", "Scarf", "Map"),
    ),
    ShopPreset(
        "kiwi-trail",
        "Kiwi Trail",
        "NZD",
        "Pacific/Auckland",
        "STANDARD",
        "GST",
        150_000,
        True,
        (("NZD", 0.8), ("AUD", 0.15), ("USD", 0.05)),
        27_000,
        30,
        10_000,
        2500,
        ("Auckland Store",),
        ("Trail shoes", "Merino top", "Rain shell", "Poles", "Hat", "Pack cover"),
    ),
)


@dataclass
class Product:
    item_id: int
    sku: str
    title: str
    price: int  # cents, shop currency
    unit_cost: int
    erp_item_id: str


@dataclass
class Location:
    location_id: int
    name: str
    erp_location_id: str
    weight: float


@dataclass
class ShopProfile:
    """Everything fixed about one shop for the whole world."""

    index: int
    shop_id: str
    preset: ShopPreset
    currency: str
    timezone: str
    subsidiary_id: str
    products: list[Product]
    product_weights: list[float]
    locations: list[Location]
    shipping_rates: tuple[tuple[str, int], ...]
    free_shipping_over: int
    presentment_currencies: list[str] = field(default_factory=list)
    presentment_weights: list[float] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.preset.name if self.index < len(PRESETS) else f"{self.preset.name} {self.index}"

    def to_shop_record(self) -> dict[str, object]:
        slug = self.shop_id.split("-")[0]
        return {
            "id": self.shop_id,
            "domain": f"{self.shop_id}.myshopify.com",
            "name": self.name,
            "currency": self.currency,
            "timezone": self.timezone,
            "plan": self.preset.plan,
            "access_token": f"shpat_sandbox_{slug}_{self.index}",
            "webhook_secret": f"whsec_sandbox_{slug}_{self.index}",
            "erp_subsidiary_id": self.subsidiary_id,
        }


def usd_scale(currency: str) -> float:
    return UNITS_PER_USD[currency]


def reference_rate(from_currency: str, to_currency: str) -> float:
    return UNITS_PER_USD[to_currency] / UNITS_PER_USD[from_currency]


def daily_rate(seed: int, shop_id: str, day: date, from_currency: str, to_currency: str) -> int:
    """The rate (millionths) Shopify converts shop prices into a presentment currency with."""
    if from_currency == to_currency:
        return RATE_ONE
    wobble = substream(seed, shop_id, day, "fx", to_currency).uniform(-0.01, 0.01)
    return round(reference_rate(from_currency, to_currency) * (1 + wobble) * RATE_ONE)


def catalog_size(orders_per_day: int) -> int:
    return max(12, min(2000, orders_per_day // 4))


def build_shop(seed: int, index: int, orders_per_day: int) -> ShopProfile:
    """A deterministic shop: preset by position, products with Pareto-ish prices and popularity."""
    preset = PRESETS[index % len(PRESETS)]
    shop_id = preset.slug if index < len(PRESETS) else f"{preset.slug}-{index}"
    rng = substream(seed, shop_id, "catalog")
    units = usd_scale(preset.currency)
    products: list[Product] = []
    weights: list[float] = []
    prefix = "".join(word[0] for word in shop_id.split("-")).upper()
    for number in range(catalog_size(orders_per_day)):
        word = preset.words[number % len(preset.words)]
        usd_price = min(900.0, 6.0 * rng.paretovariate(1.6))
        price = max(199, round(usd_price * units * 100 / 50) * 50 - 1)  # "x.49" / "x.99"
        cost = round(price * rng.uniform(0.35, 0.6))
        products.append(
            Product(
                item_id=shopify_id_base("InventoryItem", index) + number + 1,
                sku=f"{prefix}-{number + 1:05d}",
                title=f"{word} {number + 1}",
                price=price,
                unit_cost=cost,
                erp_item_id=str(100_000 * (index + 1) + number + 1),
            )
        )
        weights.append(1.0 / (number + 1) ** 0.9)  # Zipf-like popularity
    rng.shuffle(weights)
    locations = [
        Location(
            location_id=shopify_id_base("Location", index) + number + 1,
            name=name,
            erp_location_id=str(1000 * (index + 1) + number + 1),
            weight=0.75 if number == 0 else 0.25 / max(1, len(preset.locations) - 1),
        )
        for number, name in enumerate(preset.locations)
    ]
    shipping_rates = (
        ("Standard", round(5.0 * units) * 100 - 1),
        ("Express", round(15.0 * units) * 100 - 1),
    )
    profile = ShopProfile(
        index=index,
        shop_id=shop_id,
        preset=preset,
        currency=preset.currency,
        timezone=preset.timezone,
        subsidiary_id=str(index + 1),
        products=products,
        product_weights=weights,
        locations=locations,
        shipping_rates=shipping_rates,
        free_shipping_over=round(100 * units) * 100,
    )
    profile.presentment_currencies = [currency for currency, _ in preset.presentment_mix]
    profile.presentment_weights = [weight for _, weight in preset.presentment_mix]
    return profile


def month_starts(first: date, last: date) -> list[date]:
    months: list[date] = []
    current = date(first.year, first.month, 1)
    while current <= last:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


@dataclass(frozen=True)
class Period:
    period_id: str
    start: date
    end: date
    closed: bool
    locked: bool

    def to_record(self) -> dict[str, object]:
        return {
            "id": self.period_id,
            "periodname": self.start.strftime("%b %Y"),
            "startdate": self.start.isoformat(),
            "enddate": self.end.isoformat(),
            "isposting": True,
            "closed": self.closed,
            "alllocked": self.locked,
        }


def build_periods(start: date, last_day: date) -> list[Period]:
    """Monthly periods from two months before `start` to the month after `last_day`.

    Months before the start month are closed; months of the world before its last month are
    locked (the close is under way); the last month and the one after are open.
    """
    first_month = date(start.year - (1 if start.month <= 2 else 0), (start.month - 3) % 12 + 1, 1)
    after_last = date(last_day.year + last_day.month // 12, last_day.month % 12 + 1, 1)
    periods: list[Period] = []
    last_month = date(last_day.year, last_day.month, 1)
    for number, month in enumerate(month_starts(first_month, after_last)):
        following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        end = date.fromordinal(following.toordinal() - 1)
        closed = month < date(start.year, start.month, 1)
        locked = closed or month < last_month
        periods.append(Period(str(201 + number), month, end, closed, locked))
    return periods


def erp_reference_records(
    shops: list[ShopProfile],
) -> dict[str, list[dict[str, object]]]:
    """subsidiaries, currencies, accounts, locations and items as written to erp/."""
    used = {shop.currency for shop in shops}
    for shop in shops:
        used.update(shop.presentment_currencies)
    return {
        "subsidiaries.json": [
            {
                "id": shop.subsidiary_id,
                "name": f"{shop.name} ({shop.currency})",
                "currency": CURRENCY_ID[shop.currency],
                "shop_id": shop.shop_id,
            }
            for shop in shops
        ],
        "currencies.json": [
            {"id": currency_id, "symbol": symbol, "name": name, "isbasecurrency": symbol == "USD"}
            for currency_id, symbol, name in CURRENCIES
            if symbol in used or symbol == "USD"
        ],
        "accounts.json": [
            {
                "id": internal_id,
                "acctnumber": number,
                "acctname": name,
                "accttype": kind,
                "isinactive": False,
            }
            for internal_id, number, name, kind in CHART
        ],
        "locations.json": [
            {
                "id": location.erp_location_id,
                "name": location.name,
                "subsidiary": shop.subsidiary_id,
            }
            for shop in shops
            for location in shop.locations
        ],
        "items.json": [
            {
                "id": product.erp_item_id,
                "itemid": product.sku,
                "cost": f"{product.unit_cost // 100}.{product.unit_cost % 100:02d}",
            }
            for shop in shops
            for product in shop.products
        ],
    }

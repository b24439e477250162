"""The worlds described by their orders: the clean base and the other clean worlds."""

from __future__ import annotations

from datetime import date

from .shops import ALPEN, NORTH
from .specs import LineSpec, OrderSpec, RefundSpec, ShopPlan, WorldSpec

HAND_WRITTEN = "Hand-written (retail_sync_tests/reconcile/worlds/build.py): "
LIST_PRICE = {"TENT-2P": "150.00", "LAMP-HD": "25.00", "SKI-WAX": "12.00", "BEANIE": "30.00"}


def line(sku: str, quantity: int = 1, discount: str = "0.00") -> LineSpec:
    """`quantity` units of `sku` at its list price, `discount` off the line."""
    return LineSpec(sku, quantity, LIST_PRICE[sku], discount)


BASE_ORDERS = (
    OrderSpec(
        1000001,
        "#1001",
        "2026-10-30 10:05",
        (line("LAMP-HD", 2, discount="5.00"),),
        shipping="10.00",
        refunds=(RefundSpec("2026-10-31 15:00", (("LAMP-HD", 1),), note="size"),),
    ),
    OrderSpec(
        1000002,
        "#1002",
        "2026-10-30 13:20",
        (line("TENT-2P"),),
        shipping="0.00",
        shipping_title="Free shipping",
        presentment="CAD",
        fx="1.38",
    ),
    OrderSpec(
        1000003, "#1003", "2026-10-30 15:40", (line("LAMP-HD"),), shipping="5.00", gateway="paypal"
    ),
    OrderSpec(
        1000004,
        "#1004",
        "2026-10-31 11:00",
        (line("TENT-2P"),),
        shipping="15.00",
        shipping_title="Express",
    ),
    OrderSpec(1000005, "#1005", "2026-10-31 20:30", (line("LAMP-HD"),), shipping="5.00"),
)
BASE = WorldSpec(
    name="clean_base",
    description=HAND_WRITTEN
    + "one USD shop, two business days at a month end; a partial refund, a CAD-presentment "
    "order, a PayPal order, an evening order whose UTC date is the next month; one PAID and one "
    "SCHEDULED payout. Everything posted by the rules: no discrepancy.",
    start=date(2026, 10, 30),
    days=2,
    shops=(ShopPlan(NORTH, BASE_ORDERS),),
)

PARTIAL_REFUND_ORDERS = (
    OrderSpec(
        1000001,
        "#1001",
        "2026-10-20 09:30",
        (line("TENT-2P", discount="15.00"), line("LAMP-HD", 3, discount="7.50")),
        shipping="12.00",
        refunds=(
            RefundSpec(
                "2026-10-21 14:10",
                (("LAMP-HD", 2),),
                shipping="6.00",
                note="two headlamps returned; half the shipping refunded",
            ),
        ),
    ),
    OrderSpec(1000002, "#1002", "2026-10-21 10:00", (line("LAMP-HD"),), shipping="5.00"),
)
PARTIAL_REFUND = WorldSpec(
    name="clean_partial_refund",
    description=HAND_WRITTEN
    + "an order of two lines with a discount and shipping; the next day one line is partly "
    "returned and part of the shipping refunded (a partial refund), all posted correctly: no "
    "discrepancy.",
    start=date(2026, 10, 20),
    days=2,
    shops=(ShopPlan(NORTH, PARTIAL_REFUND_ORDERS),),
)

MULTI_CURRENCY_ORDERS = (
    OrderSpec(
        1000101,
        "#1001",
        "2026-10-20 11:15",
        (line("BEANIE", 2, discount="6.00"), line("SKI-WAX")),
        shipping="4.90",
        presentment="GBP",
        fx="0.87",
        refunds=(RefundSpec("2026-10-21 16:45", (("BEANIE", 1),), note="colour"),),
    ),
    OrderSpec(
        1000102,
        "#1002",
        "2026-10-20 18:40",
        (line("SKI-WAX", 3),),
        shipping="6.90",
        shipping_title="DHL Express",
        presentment="CHF",
        fx="0.9431",
    ),
    OrderSpec(1000103, "#1003", "2026-10-21 09:05", (line("BEANIE"),), shipping="4.90"),
)
MULTI_CURRENCY = WorldSpec(
    name="clean_multi_currency",
    description=HAND_WRITTEN
    + "a EUR shop selling in GBP and CHF presentment currencies (VAT on goods and shipping), one "
    "of them partly refunded; every entry posted in EUR (shopMoney): no discrepancy.",
    start=date(2026, 10, 20),
    days=2,
    shops=(ShopPlan(ALPEN, MULTI_CURRENCY_ORDERS),),
)

NORTH_NEAR_MIDNIGHT = (
    # 23:30 EDT = 03:30 UTC the next day: business date 2026-10-30.
    OrderSpec(1000001, "#1001", "2026-10-30 23:30", (line("LAMP-HD"),), shipping="5.00"),
    # 22:45 EDT on the last day of October = 02:45 UTC on November 1: booked in Oct.
    OrderSpec(1000002, "#1002", "2026-10-31 22:45", (line("TENT-2P"),), shipping="10.00"),
    # 23:40 EST (after the DST change) = 04:40 UTC on November 2: business 11-01.
    OrderSpec(1000003, "#1003", "2026-11-01 23:40", (line("LAMP-HD", 2),), shipping="5.00"),
)
ALPEN_NEAR_MIDNIGHT = (
    # 23:50 CET = 22:50 UTC: business date and UTC date agree (2026-10-30).
    OrderSpec(1000101, "#1001", "2026-10-30 23:50", (line("SKI-WAX"),), shipping="4.90"),
    # 00:15 CET = 23:15 UTC the day before: business date 2026-10-31.
    OrderSpec(1000102, "#1002", "2026-10-31 00:15", (line("BEANIE"),), shipping="4.90"),
    # 00:30 CET on November 1 = 23:30 UTC on October 31: booked in Nov.
    OrderSpec(1000103, "#1003", "2026-11-01 00:30", (line("SKI-WAX", 2),), shipping="4.90"),
)
TIMEZONE_CUTOFF = WorldSpec(
    name="timezone_cutoff",
    description=HAND_WRITTEN
    + "orders near local midnight in America/New_York (a day after in UTC) and Europe/Berlin (a "
    "day before in UTC), across the October/November month end and the US DST change on "
    "2026-11-01; every entry dated by the shop's business date: no discrepancy.",
    start=date(2026, 10, 30),
    days=3,
    shops=(ShopPlan(NORTH, NORTH_NEAR_MIDNIGHT), ShopPlan(ALPEN, ALPEN_NEAR_MIDNIGHT)),
)

NO_ACTIVITY_ORDERS = (
    OrderSpec(1000001, "#1001", "2026-10-13 10:00", (line("TENT-2P"),), shipping="10.00"),
    OrderSpec(
        1000002,
        "#1002",
        "2026-10-13 16:30",
        (line("LAMP-HD", 2, discount="5.00"),),
        shipping="5.00",
        gateway="paypal",
    ),
    OrderSpec(1000003, "#1003", "2026-10-15 12:15", (line("LAMP-HD"),), shipping="5.00"),
)
NO_ACTIVITY = WorldSpec(
    name="no_activity_day",
    description=HAND_WRITTEN
    + "three business days; 2026-10-14 has no orders, no balance transactions and no payout "
    "(inventory levels and ERP on-hand rows still exist for it). Payouts are issued two days "
    "after their batch. Everything consistent: no discrepancy.",
    start=date(2026, 10, 13),
    days=3,
    payout_delay_days=2,
    shops=(ShopPlan(NORTH, NO_ACTIVITY_ORDERS),),
)

"""Generate a whole world: shop after shop, business day after business day, streamed to disk."""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from retail_sync.sandbox.generate.catalog import (
    ShopProfile,
    build_periods,
    build_shop,
    daily_rate,
    erp_reference_records,
    usd_scale,
)
from retail_sync.sandbox.generate.discrepancies import ORDER_KIND_WEIGHTS, TruthWriter, choose_kind
from retail_sync.sandbox.generate.inventory import InventoryBook
from retail_sync.sandbox.generate.ledger import Integration, Journal
from retail_sync.sandbox.generate.money import format_cents, scale
from retail_sync.sandbox.generate.orders import OrderFactory, OrderFacts
from retail_sync.sandbox.generate.payments import PaymentsBook
from retail_sync.sandbox.generate.randomness import substream
from retail_sync.sandbox.generate.timestamps import SECONDS_PER_DAY, ShopClock, utc_date
from retail_sync.sandbox.generate.writer import JsonlWriter, prepare_output, write_json
from retail_sync.sandbox.world import FORMAT_VERSION

GENERATOR = "retail_sync sandbox generate 1"
WEEKEND_FACTOR = 1.3
SALE_DAY_FACTOR = 2.5
WRONG_PERIOD_BOOST = 10


@dataclass
class GenerationSummary:
    """What a generation wrote, for the CLI and the benchmark."""

    out: Path
    shops: list[str]
    days: int
    orders: int = 0
    balance_transactions: int = 0
    payouts: int = 0
    journal_entries: int = 0
    inventory_lines: int = 0
    discrepancies: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def describe(self) -> str:
        injected = sum(self.discrepancies.values())
        return (
            f"world {self.out}: {len(self.shops)} shops x {self.days} days, {self.orders} orders, "
            f"{self.balance_transactions} balance transactions, {self.payouts} payouts, "
            f"{self.journal_entries} journal entries, {injected} discrepancies "
            f"in {self.seconds:.1f} s"
        )


def sale_days(seed: int, start: date, days: int) -> set[date]:
    """Black Friday, Cyber Monday, and about 2% of other days (the same for every shop)."""
    result: set[date] = set()
    for number in range(days):
        day = start + timedelta(days=number)
        if day.month == 11 and day.weekday() == 4 and 22 < day.day <= 29:
            result.update({day, day + timedelta(days=3)})
        if substream(seed, "sale-day", day).random() < 0.02:
            result.add(day)
    return result


def day_volume(orders_per_day: int, day: date, sale: bool) -> int:
    """`orders_per_day` is an ordinary weekday; weekends and sale days peak."""
    factor = SALE_DAY_FACTOR if sale else (WEEKEND_FACTOR if day.weekday() >= 5 else 1.0)
    return round(orders_per_day * factor)


def generate_world(
    out: Path,
    *,
    seed: int,
    start: date,
    days: int,
    orders_per_day: int,
    shops: int = 2,
    discrepancy_rate: float = 0.02,
) -> GenerationSummary:
    """Write a world into `out` (empty, or holding a previous generated world)."""
    if days < 1:
        raise ValueError("days must be at least 1")
    if orders_per_day < 0:
        raise ValueError("orders_per_day must not be negative")
    if shops < 1:
        raise ValueError("shops must be at least 1")
    if not 0.0 <= discrepancy_rate <= 1.0:
        raise ValueError("discrepancy_rate must be between 0 and 1")
    began = time.perf_counter()
    out = Path(out)
    prepare_output(out)
    profiles = [build_shop(seed, index, orders_per_day) for index in range(shops)]
    summary = GenerationSummary(out=out, shops=[shop.shop_id for shop in profiles], days=days)
    last_day = start + timedelta(days=days - 1)
    periods = build_periods(start, last_day)

    write_json(out / "shopify" / "shops.json", [shop.to_shop_record() for shop in profiles])
    for shop in profiles:
        folder = out / "shopify" / shop.shop_id
        write_json(
            folder / "locations.json",
            [
                {"id": location.location_id, "name": location.name, "active": True}
                for location in shop.locations
            ],
        )
        write_json(
            folder / "inventory_items.json",
            [
                {
                    "id": product.item_id,
                    "sku": product.sku,
                    "unit_cost": format_cents(product.unit_cost),
                    "tracked": True,
                }
                for product in shop.products
            ],
        )
    for name, records in erp_reference_records(profiles).items():
        write_json(out / "erp" / name, records)
    write_json(out / "erp" / "periods.json", [period.to_record() for period in periods])

    journal_writer = JsonlWriter(out / "erp" / "journal_entries.jsonl")
    on_hand_writer = JsonlWriter(out / "erp" / "inventory_on_hand.jsonl")
    truth = TruthWriter(out / "truth" / "discrepancies.csv")
    journal = Journal(journal_writer, periods)
    peaks = sale_days(seed, start, days)
    try:
        for shop in profiles:
            ShopGeneration(
                shop,
                seed=seed,
                start=start,
                days=days,
                orders_per_day=orders_per_day,
                rate=discrepancy_rate,
                sale_days=peaks,
                journal=journal,
                truth=truth,
                on_hand=on_hand_writer,
                out=out,
                summary=summary,
            ).run()
    finally:
        journal_writer.close()
        on_hand_writer.close()
        truth.close()
    summary.journal_entries = journal_writer.count
    summary.discrepancies = truth.counts
    write_json(
        out / "world.json",
        {
            "format_version": FORMAT_VERSION,
            "name": f"seed-{seed}-{start.isoformat()}-{days}d",
            "seed": seed,
            "start": start.isoformat(),
            "days": days,
            "generator": GENERATOR,
            "shops": summary.shops,
            "orders_per_day": orders_per_day,
            "discrepancy_rate": discrepancy_rate,
        },
    )
    summary.seconds = time.perf_counter() - began
    return summary


class ShopGeneration:
    """One shop's whole history; every draw comes from a (seed, shop, day, purpose) stream."""

    def __init__(
        self,
        shop: ShopProfile,
        *,
        seed: int,
        start: date,
        days: int,
        orders_per_day: int,
        rate: float,
        sale_days: set[date],
        journal: Journal,
        truth: TruthWriter,
        on_hand: JsonlWriter,
        out: Path,
        summary: GenerationSummary,
    ) -> None:
        self.shop = shop
        self.seed = seed
        self.start = start
        self.days = days
        self.orders_per_day = orders_per_day
        self.rate = rate
        self.sale_days = sale_days
        self.truth = truth
        self.on_hand = on_hand
        self.summary = summary
        self.clock = ShopClock(shop.timezone)
        self.world_end = self.clock.day_start(start + timedelta(days=days))
        folder = out / "shopify" / shop.shop_id
        self.orders_writer = JsonlWriter(folder / "orders.jsonl")
        self.balance_writer = JsonlWriter(folder / "balance_transactions.jsonl")
        self.payouts_writer = JsonlWriter(folder / "payouts.jsonl")
        self.levels_writer = JsonlWriter(folder / "inventory_levels.jsonl")
        self.factory = OrderFactory(shop, self.clock, self.world_end)
        self.payments = PaymentsBook(shop, start, self.world_end, self.balance_writer)
        self.inventory = InventoryBook(
            shop,
            self.clock,
            substream(seed, shop.shop_id, "inventory"),
            orders_per_day,
            self.levels_writer,
        )
        self.integration = Integration(shop, self.clock, journal, truth)
        preset = shop.preset
        self.fee_rates = {
            currency: preset.fee_rate
            + (preset.international_fee_rate if currency != shop.currency else 0)
            for currency in shop.presentment_currencies
        }
        self.dispute_fee = round(preset.dispute_fee * usd_scale(shop.currency))
        self.today = start

    def run(self) -> None:
        try:
            self.inventory.write_initial(self.clock.day_start(self.start))
            for number in range(self.days):
                self.run_day(self.start + timedelta(days=number))
            self.finish_payouts()
        finally:
            for writer in (
                self.orders_writer,
                self.balance_writer,
                self.payouts_writer,
                self.levels_writer,
            ):
                writer.close()
        self.summary.orders += self.orders_writer.count
        self.summary.balance_transactions += self.balance_writer.count
        self.summary.payouts += self.payouts_writer.count
        self.summary.inventory_lines += self.levels_writer.count

    def run_day(self, day: date) -> None:
        shop = self.shop
        self.today = day
        day_start = self.clock.day_start(day)
        day_end = self.clock.day_start(day + timedelta(days=1))
        self.inventory.start_day(day)
        orders_rng = substream(self.seed, shop.shop_id, day, "orders")
        inject_rng = substream(self.seed, shop.shop_id, day, "inject")
        rates = {
            currency: daily_rate(self.seed, shop.shop_id, day, shop.currency, currency)
            for currency in shop.presentment_currencies
        }
        sale = day in self.sale_days
        count = day_volume(self.orders_per_day, day, sale)
        write_order = self.orders_writer.write
        build = self.factory.build
        for epoch in self.factory.arrival_times(orders_rng, day_start, day_end, count):
            order, facts = build(orders_rng, epoch, rates, sale)
            write_order(order)
            self.settle(facts, inject_rng)
        self.balance_events(substream(self.seed, shop.shop_id, day, "balance"), day_start, day_end)
        self.inventory.end_day(day, day_end)
        self.write_on_hand(day, inject_rng)

    def settle(self, facts: OrderFacts, rng: random.Random) -> None:
        """Charges, fees, refunds, disputes, ledger entries and inventory of one order."""
        draw = rng.random
        rate = self.rate
        shop = self.shop
        payments = self.payments
        integration = self.integration
        fee_rate = self.fee_rates[facts.presentment_currency]
        if facts.test:
            for payment in facts.payments:
                if payment.gateway == "shopify_payments":
                    payments.record(
                        "CHARGE",
                        "CHARGE",
                        payment.epoch,
                        payment.amount,
                        scale(payment.amount, fee_rate) + shop.preset.fee_fixed,
                        source_id=payment.transaction_id,
                        order_transaction_id=payment.transaction_id,
                        order_id=facts.order_id,
                        test=True,
                    )
            return
        if not facts.posted:
            return
        if not facts.cancelled_same_day:
            for product, quantity in facts.commits:
                self.inventory.commit(product, facts.location_index, quantity)

        kind = None
        eligible = integration.order_eligible_kinds(facts, ORDER_KIND_WEIGHTS)
        if "order_wrong_period" in eligible:
            # Few orders cross a month end in UTC: select them ten times as often, always for it.
            if draw() < min(1.0, WRONG_PERIOD_BOOST * rate):
                kind = "order_wrong_period"
        elif draw() < rate:
            kind = choose_kind(rng, eligible)
        integration.post_order(facts, kind, rng)

        for payment in facts.payments:
            if payment.gateway != "shopify_payments":
                continue
            balance = payments.record(
                "CHARGE",
                "CHARGE",
                payment.epoch,
                payment.amount,
                scale(payment.amount, fee_rate) + shop.preset.fee_fixed,
                source_id=payment.transaction_id,
                order_transaction_id=payment.transaction_id,
                order_id=facts.order_id,
            )
            fee_kind = None
            if draw() < rate:
                fee_kind = "fee_missing_in_erp" if draw() < 0.5 else "fee_duplicate_posting"
            integration.post_balance(balance, fee_kind)

        refund = facts.refund
        if refund is not None:
            if refund.gateway == "shopify_payments":
                payments.record(
                    "REFUND",
                    "REFUND",
                    refund.epoch,
                    -refund.total,
                    0,
                    source_id=refund.transaction_id,
                    order_transaction_id=refund.transaction_id,
                    order_id=facts.order_id,
                )
            refund_kind = None
            if draw() < rate:
                refund_kind = (
                    "refund_amount_mismatch"
                    if refund.partial and draw() < 0.5
                    else "refund_missing_in_erp"
                )
            integration.post_refund(facts, refund_kind, rng)
            if not refund.cancellation:
                refund_day = self.clock.business_date(refund.epoch)
                for product, location, quantity in refund.restocks:
                    self.inventory.schedule_restock(
                        refund_day, product, location, quantity, today=self.today
                    )

        if facts.dispute_epochs is not None:
            dispute_epoch, won_epoch = facts.dispute_epochs
            payment = facts.payments[0]
            balance = payments.record(
                "DISPUTE",
                "DISPUTE",
                dispute_epoch,
                -payment.amount,
                self.dispute_fee,
                source_id=payment.transaction_id,
                order_transaction_id=payment.transaction_id,
                order_id=facts.order_id,
                adjustment_reason="chargeback",
            )
            integration.post_balance(balance, None)
            if won_epoch is not None:
                balance = payments.record(
                    "ADJUSTMENT_REVERSAL",
                    "ADJUSTMENT_REVERSAL",
                    won_epoch,
                    payment.amount,
                    0,
                    source_id=payment.transaction_id,
                    order_transaction_id=payment.transaction_id,
                    order_id=facts.order_id,
                    adjustment_reason="dispute_won",
                )
                integration.post_balance(balance, None)

    def balance_events(self, rng: random.Random, day_start: int, day_end: int) -> None:
        """Reserves held and released, and Shopify fee adjustments, on some days."""
        draw = rng.random
        units = usd_scale(self.shop.currency)
        if draw() < 0.05:
            epoch = day_start + int(draw() * (day_end - day_start))
            amount = max(1000, round(self.orders_per_day * 3000 * units * (0.05 + 0.15 * draw())))
            balance = self.payments.record(
                "RESERVED_FUNDS",
                "SYSTEM_ADJUSTMENT",
                epoch,
                -amount,
                0,
                adjustment_reason="reserve",
            )
            self.integration.post_balance(balance, None)
            release = epoch + SECONDS_PER_DAY * (5 + int(draw() * 10))
            if release < self.world_end:
                balance = self.payments.record(
                    "RESERVED_FUNDS_REVERSAL",
                    "SYSTEM_ADJUSTMENT",
                    release,
                    amount,
                    0,
                    adjustment_reason="reserve_release",
                )
                self.integration.post_balance(balance, None)
        if draw() < 0.12:
            epoch = day_start + int(draw() * (day_end - day_start))
            amount = max(100, round((100 + 3900 * draw()) * units))
            balance = self.payments.record(
                "ADJUSTMENT",
                "ADJUSTMENT",
                epoch,
                -amount,
                0,
                adjustment_reason="shipping_label",
            )
            self.integration.post_balance(balance, None)

    def write_on_hand(self, day: date, rng: random.Random) -> None:
        """The ERP's on-hand at the end of `day` for every item and location."""
        draw = rng.random
        threshold = self.rate / 5
        as_of = day.isoformat()
        shop = self.shop
        write = self.on_hand.write
        for product_index, row in enumerate(self.inventory.on_hand):
            product = shop.products[product_index]
            for location_index, quantity in enumerate(row):
                location = shop.locations[location_index]
                erp_quantity = quantity
                if draw() < threshold:
                    delta = (1 + int(draw() * 5)) * (1 if draw() < 0.5 else -1)
                    if quantity + delta < 0:
                        delta = -delta
                    erp_quantity = quantity + delta
                    self.truth.record(
                        kind="inventory_on_hand_mismatch",
                        shop_id=shop.shop_id,
                        shopify_ref=f"shopify:inventory_level:{product.item_id}:{location.location_id}",
                        erp_ref=f"inventory:{product.erp_item_id}:{location.erp_location_id}",
                        account="",
                        expected_variance=str(delta),
                        currency="",
                        business_date=as_of,
                        note=f"ERP on-hand {erp_quantity} vs Shopify on_hand {quantity}",
                    )
                write(
                    {
                        "item": product.erp_item_id,
                        "location": location.erp_location_id,
                        "as_of": as_of,
                        "quantityonhand": erp_quantity,
                    }
                )

    def finish_payouts(self) -> None:
        shop = self.shop
        draws = {
            day: substream(self.seed, shop.shop_id, "payout", day).random()
            for day in self.payments.batches
        }
        threshold = min(1.0, 5 * self.rate)
        for payout in self.payments.payouts(draws):
            rng = substream(self.seed, shop.shop_id, "payout-inject", payout.batch_date)
            kind = None
            if rng.random() < threshold:
                eligible: dict[str, float] = {}
                if payout.status == "PAID" and payout.balance_net > 0:
                    eligible["payout_deposit_missing"] = 1.0
                    eligible["payout_deposit_amount_mismatch"] = 1.0
                if payout.status in ("PAID", "SCHEDULED") and payout.balance_net != 0:
                    eligible["payout_balance_mismatch"] = 1.0
                if eligible:
                    kind = choose_kind(rng, eligible)
            net = payout.balance_net
            if kind == "payout_balance_mismatch":
                delta = max(1, round(abs(net) * rng.uniform(0.001, 0.02)))
                if rng.random() < 0.5:
                    delta = -delta
                net += delta
                paid = payout.status == "PAID"
                self.truth.record(
                    kind=kind,
                    shop_id=shop.shop_id,
                    shopify_ref=f"shopify:payout:{payout.payout_id}",
                    erp_ref=f"shopify-{shop.shop_id}-payout-{payout.payout_id}" if paid else "",
                    account="",
                    expected_variance=format_cents(delta),
                    currency=shop.currency,
                    business_date=utc_date(payout.issued_epoch).isoformat(),
                    note=(
                        f"payout net {format_cents(net)} but its balance transactions sum to "
                        f"{format_cents(payout.balance_net)}"
                    ),
                )
                kind = None
            self.payouts_writer.write(PaymentsBook.payout_record(payout, shop.currency, net))
            if payout.status in ("PAID", "FAILED"):
                self.integration.post_payout(payout, net, kind, rng)

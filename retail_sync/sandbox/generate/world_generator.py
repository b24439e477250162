"""Generate a whole world: shop after shop, business day after business day, streamed to disk."""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from retail_sync.sandbox.generate.catalog import (
    Period,
    ShopProfile,
    build_periods,
    build_shop,
    daily_rate,
    erp_reference_records,
    usd_scale,
)
from retail_sync.sandbox.generate.discrepancies import (
    BALANCE_KIND_WEIGHTS,
    FEE_KIND_WEIGHTS,
    MISBOOKED,
    ORDER_KIND_WEIGHTS,
    PARTIAL_REFUND_KIND_WEIGHTS,
    REFUND_KIND_WEIGHTS,
    TruthWriter,
    choose_kind,
)
from retail_sync.sandbox.generate.inventory import InventoryBook, on_hand_line
from retail_sync.sandbox.generate.ledger import Integration, Journal
from retail_sync.sandbox.generate.money import format_cents, scale
from retail_sync.sandbox.generate.order_facts import OrderFacts, Payment, RefundFacts
from retail_sync.sandbox.generate.orders import OrderFactory
from retail_sync.sandbox.generate.payments import BalanceFacts, PaymentsBook, PayoutFacts
from retail_sync.sandbox.generate.randomness import substream
from retail_sync.sandbox.generate.timestamps import SECONDS_PER_DAY, ShopClock, utc_date
from retail_sync.sandbox.generate.writer import JsonlWriter, prepare_output, write_json
from retail_sync.sandbox.world import FORMAT_VERSION

GENERATOR = "retail_sync sandbox generate 1"
WEEKEND_FACTOR = 1.3
SALE_DAY_FACTOR = 2.5
WRONG_PERIOD_BOOST = 10
FEW_RECORDS_BOOST = 5  # payouts and balance entries other than charge fees are few


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


@dataclass(frozen=True, slots=True)
class WorldPlan:
    """What every shop's generation shares: seed, calendar, volume and discrepancy rate."""

    seed: int
    start: date
    days: int
    orders_per_day: int
    discrepancy_rate: float
    sale_days: set[date]


@dataclass(frozen=True, slots=True)
class WorldSinks:
    """Where every shop's generation writes besides its own folder, and what it counts."""

    out: Path
    journal: Journal
    truth: TruthWriter
    on_hand: JsonlWriter
    summary: GenerationSummary


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
    _check_arguments(days, orders_per_day, shops, discrepancy_rate)
    began = time.perf_counter()
    out = Path(out)
    prepare_output(out)
    profiles = [build_shop(seed, index, orders_per_day) for index in range(shops)]
    summary = GenerationSummary(out=out, shops=[shop.shop_id for shop in profiles], days=days)
    periods = build_periods(start, start + timedelta(days=days - 1))
    _write_reference_data(out, profiles, periods)

    journal_writer = JsonlWriter(out / "erp" / "journal_entries.jsonl")
    on_hand_writer = JsonlWriter(out / "erp" / "inventory_on_hand.jsonl")
    truth = TruthWriter(out / "truth" / "discrepancies.csv")
    plan = WorldPlan(
        seed=seed,
        start=start,
        days=days,
        orders_per_day=orders_per_day,
        discrepancy_rate=discrepancy_rate,
        sale_days=sale_days(seed, start, days),
    )
    sinks = WorldSinks(out, Journal(journal_writer, periods), truth, on_hand_writer, summary)
    try:
        for shop in profiles:
            ShopGeneration(shop, plan, sinks).run()
    finally:
        journal_writer.close()
        on_hand_writer.close()
        truth.close()
    summary.journal_entries = journal_writer.count
    summary.discrepancies = truth.counts
    write_json(out / "world.json", _manifest(plan, summary))
    summary.seconds = time.perf_counter() - began
    return summary


def _check_arguments(days: int, orders_per_day: int, shops: int, discrepancy_rate: float) -> None:
    if days < 1:
        raise ValueError("days must be at least 1")
    if orders_per_day < 0:
        raise ValueError("orders_per_day must not be negative")
    if shops < 1:
        raise ValueError("shops must be at least 1")
    if not 0.0 <= discrepancy_rate <= 1.0:
        raise ValueError("discrepancy_rate must be between 0 and 1")


def _write_reference_data(out: Path, profiles: list[ShopProfile], periods: list[Period]) -> None:
    """Shops, their locations and inventory items, and the ERP's reference records."""
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


def _manifest(plan: WorldPlan, summary: GenerationSummary) -> dict[str, object]:
    """The content of `world.json`."""
    return {
        "format_version": FORMAT_VERSION,
        "name": f"seed-{plan.seed}-{plan.start.isoformat()}-{plan.days}d",
        "seed": plan.seed,
        "start": plan.start.isoformat(),
        "days": plan.days,
        "generator": GENERATOR,
        "shops": summary.shops,
        "orders_per_day": plan.orders_per_day,
        "discrepancy_rate": plan.discrepancy_rate,
    }


class ShopGeneration:
    """One shop's whole history; every draw comes from a (seed, shop, day, purpose) stream."""

    def __init__(self, shop: ShopProfile, plan: WorldPlan, sinks: WorldSinks) -> None:
        self.shop = shop
        self.plan = plan
        self.sinks = sinks
        self.discrepancy_rate = plan.discrepancy_rate
        self.clock = ShopClock(shop.timezone)
        self.world_end = self.clock.day_start(plan.start + timedelta(days=plan.days))
        folder = sinks.out / "shopify" / shop.shop_id
        self.orders_writer = JsonlWriter(folder / "orders.jsonl")
        self.balance_writer = JsonlWriter(folder / "balance_transactions.jsonl")
        self.payouts_writer = JsonlWriter(folder / "payouts.jsonl")
        self.levels_writer = JsonlWriter(folder / "inventory_levels.jsonl")
        self.factory = OrderFactory(shop, self.clock, self.world_end)
        self.payments = PaymentsBook(shop, plan.start, self.world_end, self.balance_writer)
        self.inventory = InventoryBook(
            shop,
            self.clock,
            substream(plan.seed, shop.shop_id, "inventory"),
            plan.orders_per_day,
            self.levels_writer,
        )
        self.integration = Integration(shop, self.clock, sinks.journal, sinks.truth)
        preset = shop.preset
        self.fee_rates = {
            currency: preset.fee_rate
            + (preset.international_fee_rate if currency != shop.currency else 0)
            for currency in shop.presentment_currencies
        }
        self.dispute_fee = round(preset.dispute_fee * usd_scale(shop.currency))
        self.today = plan.start

    def run(self) -> None:
        plan = self.plan
        try:
            self.inventory.write_initial(self.clock.day_start(plan.start))
            for number in range(plan.days):
                self.run_day(plan.start + timedelta(days=number))
            self.finish_payouts()
        finally:
            for writer in (
                self.orders_writer,
                self.balance_writer,
                self.payouts_writer,
                self.levels_writer,
            ):
                writer.close()
        summary = self.sinks.summary
        summary.orders += self.orders_writer.count
        summary.balance_transactions += self.balance_writer.count
        summary.payouts += self.payouts_writer.count
        summary.inventory_lines += self.levels_writer.count

    def run_day(self, day: date) -> None:
        shop = self.shop
        seed = self.plan.seed
        self.today = day
        day_start = self.clock.day_start(day)
        day_end = self.clock.day_start(day + timedelta(days=1))
        self.inventory.start_day(day)
        orders_rng = substream(seed, shop.shop_id, day, "orders")
        inject_rng = substream(seed, shop.shop_id, day, "inject")
        rates = {
            currency: daily_rate(seed, shop.shop_id, day, shop.currency, currency)
            for currency in shop.presentment_currencies
        }
        sale = day in self.plan.sale_days
        count = day_volume(self.plan.orders_per_day, day, sale)
        write_order = self.orders_writer.write
        build = self.factory.build
        for epoch in self.factory.arrival_times(orders_rng, day_start, day_end, count):
            order, facts = build(orders_rng, epoch, rates, sale)
            write_order(order)
            self.settle(facts, inject_rng)
        self.balance_events(
            substream(seed, shop.shop_id, day, "balance"),
            substream(seed, shop.shop_id, day, "balance-inject"),
            day_start,
            day_end,
        )
        self.inventory.end_day(day, day_end)
        self.write_on_hand(day, inject_rng)

    def settle(self, facts: OrderFacts, rng: random.Random) -> None:
        """Charges, fees, refunds, disputes, ledger entries and inventory of one order."""
        if facts.test:
            self._record_test_charges(facts)
            return
        if not facts.posted:
            return
        if not facts.cancelled_same_day:
            for product, quantity in facts.commits:
                self.inventory.commit(product, facts.location_index, quantity)
        self._post_order(facts, rng)
        self._record_charges(facts, rng)
        if facts.refund is not None:
            self._settle_refund(facts, facts.refund, rng)
        if facts.dispute_epochs is not None:
            self._settle_dispute(facts, rng, *facts.dispute_epochs)

    def _record_order_balance(
        self,
        kind: str,
        epoch: int,
        amount: int,
        fee: int,
        transaction_id: int,
        facts: OrderFacts,
        *,
        adjustment_reason: str | None = None,
        test: bool = False,
    ) -> BalanceFacts:
        """A balance transaction caused by an order transaction (its type is its source type)."""
        return self.payments.record(
            kind,
            kind,
            epoch,
            amount,
            fee,
            source_id=transaction_id,
            order_transaction_id=transaction_id,
            order_id=facts.order_id,
            adjustment_reason=adjustment_reason,
            test=test,
        )

    def _record_charge(
        self, facts: OrderFacts, payment: Payment, *, test: bool = False
    ) -> BalanceFacts:
        """The CHARGE of a card payment, less the shop's percentage and fixed fee."""
        fee_rate = self.fee_rates[facts.presentment_currency]
        fee = scale(payment.amount, fee_rate) + self.shop.preset.fee_fixed
        return self._record_order_balance(
            "CHARGE", payment.epoch, payment.amount, fee, payment.transaction_id, facts, test=test
        )

    def _record_test_charges(self, facts: OrderFacts) -> None:
        """A test order's card payments show in the balance (flagged test), never in the ledger."""
        for payment in facts.payments:
            if payment.gateway == "shopify_payments":
                self._record_charge(facts, payment, test=True)

    def _post_order(self, facts: OrderFacts, rng: random.Random) -> None:
        """The order's journal entry, with the discrepancy the order was selected for, if any."""
        rate = self.discrepancy_rate
        kind = None
        eligible = self.integration.order_eligible_kinds(facts, ORDER_KIND_WEIGHTS)
        if "order_wrong_period" in eligible:
            # Few orders cross a month end in UTC: select them ten times as often, always for it.
            if rng.random() < min(1.0, WRONG_PERIOD_BOOST * rate):
                kind = "order_wrong_period"
        elif rng.random() < rate:
            kind = choose_kind(rng, eligible)
        self.integration.post_order(facts, kind, rng)

    def _record_charges(self, facts: OrderFacts, rng: random.Random) -> None:
        """A CHARGE per card payment; its fee entry may be left out or posted twice."""
        draw = rng.random
        for payment in facts.payments:
            if payment.gateway != "shopify_payments":
                continue
            balance = self._record_charge(facts, payment)
            fee_kind = None
            if draw() < self.discrepancy_rate:
                fee_kind = choose_kind(rng, FEE_KIND_WEIGHTS)
            self.integration.post_balance(balance, fee_kind, rng)

    def _settle_refund(self, facts: OrderFacts, refund: RefundFacts, rng: random.Random) -> None:
        """The card refund's balance transaction, the refund entry, and the restock."""
        draw = rng.random
        if refund.gateway == "shopify_payments":
            self._record_order_balance(
                "REFUND", refund.epoch, -refund.total, 0, refund.transaction_id, facts
            )
        refund_kind = None
        if draw() < self.discrepancy_rate:
            weights = PARTIAL_REFUND_KIND_WEIGHTS if refund.partial else REFUND_KIND_WEIGHTS
            refund_kind = choose_kind(rng, weights)
        self.integration.post_refund(facts, refund_kind, rng)
        if not refund.cancellation:
            refund_day = self.clock.business_date(refund.epoch)
            for product, location, quantity in refund.restocks:
                self.inventory.schedule_restock(
                    refund_day, product, location, quantity, today=self.today
                )

    def _balance_kind(self, rng: random.Random) -> str | None:
        """The discrepancy of a balance entry other than a charge fee, if it is selected."""
        if rng.random() >= min(1.0, FEW_RECORDS_BOOST * self.discrepancy_rate):
            return None
        return choose_kind(rng, BALANCE_KIND_WEIGHTS)

    def _settle_dispute(
        self, facts: OrderFacts, rng: random.Random, dispute_epoch: int, won_epoch: int | None
    ) -> None:
        """The chargeback and its fee, and the reversal when the dispute is won."""
        payment = facts.payments[0]
        balance = self._record_order_balance(
            "DISPUTE",
            dispute_epoch,
            -payment.amount,
            self.dispute_fee,
            payment.transaction_id,
            facts,
            adjustment_reason="chargeback",
        )
        self.integration.post_balance(balance, self._balance_kind(rng), rng)
        if won_epoch is not None:
            balance = self._record_order_balance(
                "ADJUSTMENT_REVERSAL",
                won_epoch,
                payment.amount,
                0,
                payment.transaction_id,
                facts,
                adjustment_reason="dispute_won",
            )
            self.integration.post_balance(balance, self._balance_kind(rng), rng)

    def balance_events(
        self, rng: random.Random, inject_rng: random.Random, day_start: int, day_end: int
    ) -> None:
        """Reserves held and released, and Shopify fee adjustments, on some days (`inject_rng`
        draws their discrepancies, so the Shopify side stays the same at any rate)."""
        draw = rng.random
        units = usd_scale(self.shop.currency)
        if draw() < 0.05:
            epoch = day_start + int(draw() * (day_end - day_start))
            volume = self.plan.orders_per_day * 3000 * units
            amount = max(1000, round(volume * (0.05 + 0.15 * draw())))
            self._post_shop_balance(
                "RESERVED_FUNDS", "SYSTEM_ADJUSTMENT", epoch, -amount, "reserve", inject_rng
            )
            release = epoch + SECONDS_PER_DAY * (5 + int(draw() * 10))
            if release < self.world_end:
                self._post_shop_balance(
                    "RESERVED_FUNDS_REVERSAL",
                    "SYSTEM_ADJUSTMENT",
                    release,
                    amount,
                    "reserve_release",
                    inject_rng,
                )
        if draw() < 0.12:
            epoch = day_start + int(draw() * (day_end - day_start))
            amount = max(100, round((100 + 3900 * draw()) * units))
            self._post_shop_balance(
                "ADJUSTMENT", "ADJUSTMENT", epoch, -amount, "shipping_label", inject_rng
            )

    def _post_shop_balance(
        self,
        kind: str,
        source_type: str,
        epoch: int,
        amount: int,
        reason: str,
        rng: random.Random,
    ) -> None:
        """A fee-less balance transaction of no order, and its journal entry."""
        balance = self.payments.record(
            kind, source_type, epoch, amount, 0, adjustment_reason=reason
        )
        self.integration.post_balance(balance, self._balance_kind(rng), rng)

    def write_on_hand(self, day: date, rng: random.Random) -> None:
        """The ERP's on-hand at the end of `day` for every item and location."""
        draw = rng.random
        threshold = self.discrepancy_rate / 5
        as_of = day.isoformat()
        shop = self.shop
        write = self.sinks.on_hand.write
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
                    self.sinks.truth.record(
                        kind="inventory_on_hand_mismatch",
                        shop_id=shop.shop_id,
                        shopify_ref=f"shopify:inventory_level:{product.item_id}:{location.location_id}",
                        erp_ref=f"inventory:{product.erp_item_id}:{location.erp_location_id}",
                        account="",
                        expected_variance=str(delta),
                        currency="",
                        business_date=as_of,
                        note=f"ERP on-hand {erp_quantity} vs Shopify on_hand {quantity}",
                        lines=[on_hand_line(product, quantity, erp_quantity, day)],
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
        """Every payout of the world, some selected for a discrepancy, and their bank entries."""
        shop = self.shop
        seed = self.plan.seed
        draws = {
            day: substream(seed, shop.shop_id, "payout", day).random()
            for day in self.payments.batches
        }
        for payout in self.payments.payouts(draws):
            rng = substream(seed, shop.shop_id, "payout-inject", payout.batch_date)
            kind = self._choose_payout_kind(rng, payout)
            net = payout.balance_net
            if kind == "payout_balance_mismatch":
                net = self._distort_payout_net(rng, payout)
                kind = None
            self.payouts_writer.write(PaymentsBook.payout_record(payout, shop.currency, net))
            if payout.status in ("PAID", "FAILED"):
                self.integration.post_payout(payout, net, kind, rng)

    def _choose_payout_kind(self, rng: random.Random, payout: PayoutFacts) -> str | None:
        """Payouts are few: each is selected with five times the rate, among the kinds it allows."""
        if rng.random() >= min(1.0, FEW_RECORDS_BOOST * self.discrepancy_rate):
            return None
        eligible: dict[str, float] = {}
        if payout.status == "PAID" and payout.balance_net > 0:
            eligible["payout_deposit_missing"] = 1.0
            eligible["payout_deposit_amount_mismatch"] = 1.0
        if payout.status == "PAID" and payout.balance_net != 0:
            eligible[MISBOOKED] = 1.0
        if payout.status == "FAILED" and payout.balance_net > 0:
            eligible["payout_failure_reversal_missing"] = 1.0
        if payout.status in ("PAID", "SCHEDULED") and payout.balance_net != 0:
            eligible["payout_balance_mismatch"] = 1.0
        return choose_kind(rng, eligible) if eligible else None

    def _distort_payout_net(self, rng: random.Random, payout: PayoutFacts) -> int:
        """A payout net off the sum of its balance transactions by 0.1-2%, recorded in the truth."""
        shop = self.shop
        delta = max(1, round(abs(payout.balance_net) * rng.uniform(0.001, 0.02)))
        if rng.random() < 0.5:
            delta = -delta
        net = payout.balance_net + delta
        paid = payout.status == "PAID"
        self.sinks.truth.record(
            kind="payout_balance_mismatch",
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
        return net

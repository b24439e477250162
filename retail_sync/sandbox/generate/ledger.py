"""The "existing integration": posts Shopify events to the ERP per ACCOUNTING.md, and distorts
exactly the entries the discrepancy injector selected, recording each distortion in the truth.

Without a distortion an entry is built from the very same integer amounts as the Shopify record,
so the ledger equals Shopify to the cent; every difference in a world is therefore injected and
recorded.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date
from typing import Any

from retail_sync.sandbox.generate.catalog import ACCOUNT_ID, CURRENCY_ID, Period, ShopProfile
from retail_sync.sandbox.generate.discrepancies import TruthWriter
from retail_sync.sandbox.generate.money import RATE_ONE, format_cents, scale
from retail_sync.sandbox.generate.order_facts import OrderFacts
from retail_sync.sandbox.generate.payments import BalanceFacts, PayoutFacts
from retail_sync.sandbox.generate.timestamps import (
    SECONDS_PER_DAY,
    ShopClock,
    utc_date,
    utc_timestamp,
)
from retail_sync.sandbox.generate.writer import JsonlWriter

PAYMENT_ACCOUNT = {
    "shopify_payments": "1205",
    "paypal": "1220",
    "manual": "1220",
    "gift_card": "2300",
}
Line = list[Any]  # [account number, debit cents, credit cents]


class Journal:
    """Writes journal entries for every shop into `erp/journal_entries.jsonl`."""

    def __init__(self, writer: JsonlWriter, periods: list[Period]) -> None:
        self.writer = writer
        self.periods = {(period.start.year, period.start.month): period for period in periods}
        self._next_id: dict[int, int] = {}

    def period_of(self, day: date) -> Period:
        return self.periods[(day.year, day.month)]

    def post(
        self,
        shop: ShopProfile,
        trandate: date,
        externalid: str | None,
        memo: str,
        token: str,
        lines: list[Line],
        created_epoch: int,
    ) -> str:
        """Write one balanced entry; zero lines are left out. Returns the internal id."""
        next_id = self._next_id.get(shop.index, (shop.index + 1) * 10**9 + 1)
        self._next_id[shop.index] = next_id + 1
        entry_id = str(next_id)
        records = []
        number = 0
        for account, debit, credit in lines:
            if debit == 0 and credit == 0:
                continue
            number += 1
            records.append(
                {
                    "line": number,
                    "account": ACCOUNT_ID[account],
                    "debit": format_cents(debit) if debit else None,
                    "credit": format_cents(credit) if credit else None,
                    "memo": token,
                }
            )
        self.writer.write(
            {
                "id": entry_id,
                "tranid": f"JE{entry_id}",
                "externalid": externalid,
                "trandate": trandate.isoformat(),
                "postingperiod": self.period_of(trandate).period_id,
                "subsidiary": shop.subsidiary_id,
                "currency": CURRENCY_ID[shop.currency],
                "memo": f"{memo} {token}",
                "created": utc_timestamp(created_epoch),
                "lines": records,
            }
        )
        return entry_id


def next_night(epoch: int) -> int:
    """The integration runs nightly at 02:00 UTC after the event."""
    return (epoch // SECONDS_PER_DAY + 1) * SECONDS_PER_DAY + 7200


def entry_total(lines: list[Line]) -> int:
    return sum(line[1] for line in lines)


def deposit_lines(net: int) -> list[Line]:
    """A payout's net moved from the Shopify clearing account (1205) to the bank (1000)."""
    if net >= 0:
        return [["1000", net, 0], ["1205", 0, net]]
    return [["1205", -net, 0], ["1000", 0, -net]]


def find_line(lines: list[Line], account: str) -> Line:
    for line in lines:
        if line[0] == account:
            return line
    raise KeyError(account)


class Integration:
    """Posts one shop's events; `kind` names the discrepancy to inject into that entry, if any."""

    def __init__(
        self, shop: ShopProfile, clock: ShopClock, journal: Journal, truth: TruthWriter
    ) -> None:
        self.shop = shop
        self.clock = clock
        self.journal = journal
        self.truth = truth
        self.orphan_sequence = 0

    def _record(
        self,
        kind: str,
        shopify_ref: str,
        erp_ref: str,
        account: str,
        variance: int,
        business_date: date,
        note: str,
    ) -> None:
        self.truth.record(
            kind=kind,
            shop_id=self.shop.shop_id,
            shopify_ref=shopify_ref,
            erp_ref=erp_ref,
            account=account,
            expected_variance=format_cents(variance),
            currency=self.shop.currency,
            business_date=business_date.isoformat(),
            note=note,
        )

    def _externalid(self, kind: str, shopify_id: int) -> str:
        return f"shopify-{self.shop.shop_id}-{kind}-{shopify_id}"

    # Orders ---------------------------------------------------------------------------------

    @staticmethod
    def order_lines(facts: OrderFacts) -> list[Line]:
        debits: dict[str, int] = {}
        for payment in facts.payments:
            account = PAYMENT_ACCOUNT[payment.gateway]
            debits[account] = debits.get(account, 0) + payment.amount
        lines: list[Line] = [[account, amount, 0] for account, amount in debits.items()]
        lines.append(["4050", facts.discounts, 0])
        lines.append(["4000", 0, facts.goods])
        lines.append(["2300", 0, facts.gift_cards_sold])
        lines.append(["4100", 0, facts.shipping])
        lines.append(["2200", 0, facts.tax])
        return lines

    def order_eligible_kinds(
        self, facts: OrderFacts, weights: dict[str, float]
    ) -> dict[str, float]:
        """The kinds this order can carry (amount kinds need one plain payment account)."""
        eligible = {
            "order_missing_in_erp": weights["order_missing_in_erp"],
            "order_duplicate_posting": weights["order_duplicate_posting"],
            "orphan_erp_entry": weights["orphan_erp_entry"],
        }
        plain = (
            len(facts.payments) == 1
            and facts.payments[0].gateway != "gift_card"
            and facts.gift_cards_sold == 0
        )
        if plain:
            if facts.tax > 0:
                eligible["order_tax_mismatch"] = weights["order_tax_mismatch"]
            if facts.shipping > 0:
                eligible["order_shipping_mismatch"] = weights["order_shipping_mismatch"]
            if (
                facts.discounts > 0
                and facts.shipping > 0
                and scale(facts.shipping, facts.discount_rate)
            ):
                eligible["order_discount_mismatch"] = weights["order_discount_mismatch"]
            if facts.goods > 300:
                eligible["order_rounding_difference"] = weights["order_rounding_difference"]
            if facts.presentment_currency != self.shop.currency:
                eligible["order_fx_difference"] = weights["order_fx_difference"]
        business = self.clock.business_date(facts.epoch)
        posted_utc = utc_date(facts.epoch)
        if (posted_utc.year, posted_utc.month) != (business.year, business.month):
            wrong = self.journal.periods.get((posted_utc.year, posted_utc.month))
            if wrong is not None and not wrong.closed:
                eligible["order_wrong_period"] = weights["order_wrong_period"]
        return eligible

    def post_order(self, facts: OrderFacts, kind: str | None, rng: random.Random) -> None:
        lines = self.order_lines(facts)
        business = self.clock.business_date(facts.epoch)
        token = f"shopify:order:{facts.order_id}"
        if kind == "order_missing_in_erp":
            self._record(
                kind, token, "", "", -entry_total(lines), business, "order entry never posted"
            )
            return
        externalid = self._externalid("order", facts.order_id)
        memo = f"Shopify order {facts.name}"
        created = next_night(facts.epoch)
        trandate, account, variance, note = self._distort_order(kind, facts, lines, business, rng)
        entry_id = self.journal.post(self.shop, trandate, externalid, memo, token, lines, created)
        if kind == "order_duplicate_posting":
            self._post_duplicate(
                kind,
                token,
                trandate,
                business,
                memo,
                lines,
                created,
                lambda duplicate_id: f"posted twice: {entry_id} and {duplicate_id} (no externalid)",
            )
        elif kind == "orphan_erp_entry":
            self._post_orphan(kind, facts, business, created, rng)
        elif kind is not None:
            self._record(kind, token, externalid, account, variance, business, note)

    def _distort_order(
        self,
        kind: str | None,
        facts: OrderFacts,
        lines: list[Line],
        business: date,
        rng: random.Random,
    ) -> tuple[date, str, int, str]:
        """Change `lines` as `kind` says; (trandate, account, variance, note) for the truth."""
        trandate = business
        account, variance, note = "", 0, ""
        clearing = PAYMENT_ACCOUNT[facts.payments[0].gateway]
        if kind == "order_tax_mismatch":
            delta = max(1, round(facts.tax * rng.uniform(0.03, 0.25)))
            if rng.random() < 0.3 and delta < facts.tax:
                delta = -delta
            find_line(lines, "2200")[2] += delta
            find_line(lines, clearing)[1] += delta
            account, variance = "2200", delta
            note = f"tax booked {format_cents(facts.tax + delta)}; offset on {clearing}"
        elif kind == "order_shipping_mismatch":
            if rng.random() < 0.5:
                delta = -facts.shipping
            else:
                delta = max(1, round(facts.shipping * rng.uniform(0.05, 0.5)))
            find_line(lines, "4100")[2] += delta
            find_line(lines, clearing)[1] += delta
            account, variance = "4100", delta
            note = f"shipping booked {format_cents(facts.shipping + delta)}; offset on {clearing}"
        elif kind == "order_discount_mismatch":
            delta = scale(facts.shipping, facts.discount_rate)
            find_line(lines, "4050")[1] += delta
            find_line(lines, clearing)[1] -= delta
            account, variance = "4050", delta
            note = f"discount also taken on shipping; offset on {clearing}"
        elif kind == "order_rounding_difference":
            delta = rng.choice((-3, -2, -1, 1, 2, 3))
            find_line(lines, "4000")[2] += delta
            lines.append(["7950", delta, 0] if delta > 0 else ["7950", 0, -delta])
            account, variance = "4000", delta
            note = "line rounded differently; difference booked to 7950"
        elif kind == "order_fx_difference":
            account, variance, note = self._distort_order_fx(facts, lines, clearing, rng)
        elif kind == "order_wrong_period":
            trandate = utc_date(facts.epoch)
            note = (
                f"dated by the UTC date {trandate.isoformat()} "
                f"({self.journal.period_of(trandate).start:%b %Y}) instead of "
                f"{business.isoformat()} ({self.journal.period_of(business).start:%b %Y})"
            )
        return trandate, account, variance, note

    @staticmethod
    def _distort_order_fx(
        facts: OrderFacts, lines: list[Line], clearing: str, rng: random.Random
    ) -> tuple[str, int, str]:
        """Convert the presentment total at a rate 2% off; the difference goes to 7900."""
        rate_back = RATE_ONE * facts.total // max(1, facts.presentment_total)
        integration_rate = round(rate_back * (1 + rng.uniform(-0.02, 0.02)))
        delta = scale(facts.presentment_total, integration_rate) - facts.total
        if delta == 0:
            delta = rng.choice((-1, 1))
        find_line(lines, clearing)[1] += delta
        lines.append(["7900", 0, delta] if delta > 0 else ["7900", -delta, 0])
        note = (
            f"{facts.presentment_currency} total converted at the integration's own rate; "
            "difference booked to 7900"
        )
        return clearing, delta, note

    def _post_duplicate(
        self,
        kind: str,
        token: str,
        trandate: date,
        business: date,
        memo: str,
        lines: list[Line],
        created: int,
        note: Callable[[str], str],
    ) -> None:
        """The entry posted again an hour later without externalid; `note` gets the copy's id."""
        duplicate_id = self.journal.post(
            self.shop, trandate, None, memo, token, lines, created + 3600
        )
        self._record(
            kind, token, duplicate_id, "", entry_total(lines), business, note(duplicate_id)
        )

    def _post_orphan(
        self, kind: str, facts: OrderFacts, business: date, created: int, rng: random.Random
    ) -> None:
        """An entry for an order Shopify does not have, posted beside the real one."""
        self.orphan_sequence += 1
        fake_order = facts.order_id + 9 * 10**9 + self.orphan_sequence
        amount = max(100, round(facts.total * rng.uniform(0.5, 1.5)))
        orphan_external = self._externalid("order", fake_order)
        self.journal.post(
            self.shop,
            business,
            orphan_external,
            "Shopify order (manual import)",
            f"shopify:order:{fake_order}",
            [["1205", amount, 0], ["4000", 0, amount]],
            created + 1800,
        )
        self._record(
            kind,
            "",
            orphan_external,
            "",
            amount,
            business,
            f"entry references order {fake_order} which Shopify does not have",
        )

    # Refunds --------------------------------------------------------------------------------

    def post_refund(self, facts: OrderFacts, kind: str | None, rng: random.Random) -> None:
        refund = facts.refund
        assert refund is not None
        clearing = PAYMENT_ACCOUNT[refund.gateway]
        lines: list[Line] = [
            ["4090", refund.subtotal, 0],
            ["4100", refund.shipping, 0],
            ["2200", refund.tax, 0],
            [clearing, 0, refund.total],
        ]
        business = self.clock.business_date(refund.epoch)
        token = f"shopify:refund:{refund.refund_id}"
        if kind == "refund_missing_in_erp":
            self._record(kind, token, "", "", -refund.total, business, "refund entry never posted")
            return
        externalid = self._externalid("refund", refund.refund_id)
        variance = 0
        if kind == "refund_amount_mismatch":
            variance = max(1, round(refund.total * rng.uniform(0.1, 0.5)))
            if rng.random() < 0.3 and variance < refund.subtotal:
                variance = -variance
            lines[0][1] += variance
            lines[3][2] += variance
        self.journal.post(
            self.shop,
            business,
            externalid,
            f"Shopify refund of order {facts.name}",
            token,
            lines,
            next_night(refund.epoch),
        )
        if kind == "refund_amount_mismatch":
            self._record(
                kind,
                token,
                externalid,
                clearing,
                variance,
                business,
                f"partial refund booked as {format_cents(refund.total + variance)}; offset on 4090",
            )

    # Balance transactions -------------------------------------------------------------------

    def post_balance(self, balance: BalanceFacts, kind: str | None) -> None:
        """Fee, dispute, dispute-won, reserve and adjustment entries (charges and refunds are
        posted through their orders and refunds)."""
        if balance.test:
            return
        business = self.clock.business_date(balance.epoch)
        token = f"shopify:balance_transaction:{balance.balance_id}"
        created = next_night(balance.epoch)
        if balance.kind in ("CHARGE", "REFUND"):
            if balance.fee == 0:
                return
            entry_kind, memo = "fee", "Shopify Payments fee"
            lines: list[Line] = [["6100", balance.fee, 0], ["1205", 0, balance.fee]]
        elif balance.kind == "ADJUSTMENT":
            entry_kind, memo = "fee", "Shopify Payments adjustment"
            lines = [["6100", -balance.net, 0], ["1205", 0, -balance.net]]
        elif balance.kind == "DISPUTE":
            entry_kind, memo = "dispute", "Shopify Payments dispute"
            lines = [["6150", -balance.net, 0], ["1205", 0, -balance.net]]
        elif balance.kind == "ADJUSTMENT_REVERSAL":
            entry_kind, memo = "dispute-won", "Shopify Payments dispute won"
            lines = [["1205", balance.net, 0], ["6150", 0, balance.net]]
        elif balance.kind == "RESERVED_FUNDS":
            entry_kind, memo = "reserve", "Shopify Payments reserve held"
            lines = [["1210", -balance.net, 0], ["1205", 0, -balance.net]]
        else:
            entry_kind, memo = "reserve-release", "Shopify Payments reserve released"
            lines = [["1205", balance.net, 0], ["1210", 0, balance.net]]
        externalid = self._externalid(entry_kind, balance.balance_id)
        if kind == "fee_missing_in_erp":
            self._record(
                kind, token, "", "", -entry_total(lines), business, "fee entry never posted"
            )
            return
        self.journal.post(self.shop, business, externalid, memo, token, lines, created)
        if kind == "fee_duplicate_posting":
            self._post_duplicate(
                kind,
                token,
                business,
                business,
                memo,
                lines,
                created,
                lambda duplicate_id: f"fee posted twice ({externalid} and {duplicate_id})",
            )

    # Payouts --------------------------------------------------------------------------------

    def post_payout(
        self, payout: PayoutFacts, net: int, kind: str | None, rng: random.Random
    ) -> None:
        """The bank deposit of a PAID (or later FAILED) payout, and the failure reversal."""
        token = f"shopify:payout:{payout.payout_id}"
        payout_date = utc_date(payout.issued_epoch)
        externalid = self._externalid("payout", payout.payout_id)
        lines = deposit_lines(net)
        if kind == "payout_deposit_missing":
            self._record(kind, token, "", "", -net, payout_date, "bank deposit never booked")
        else:
            booked = net
            if kind == "payout_deposit_amount_mismatch":
                delta = max(1, round(abs(net) * rng.uniform(0.005, 0.1)))
                if rng.random() < 0.5 and delta < net:
                    delta = -delta
                booked = net + delta
                lines = [["1000", booked, 0], ["1205", 0, booked]]
                self._record(
                    kind,
                    token,
                    externalid,
                    "1000",
                    delta,
                    payout_date,
                    f"deposit booked {format_cents(booked)} instead of {format_cents(net)}",
                )
            self.journal.post(
                self.shop,
                payout_date,
                externalid,
                "Shopify payout",
                token,
                lines,
                payout.issued_epoch + 14 * 3600,
            )
        if payout.failed_epoch is not None:
            failed_date = utc_date(payout.failed_epoch)
            reverse: list[Line] = [
                [account, credit, debit] for account, debit, credit in deposit_lines(net)
            ]
            self.journal.post(
                self.shop,
                failed_date,
                self._externalid("payout-failed", payout.payout_id),
                "Shopify payout failed",
                token,
                reverse,
                payout.failed_epoch + 14 * 3600,
            )

"""The "existing integration": posts Shopify events to the ERP per ACCOUNTING.md, and distorts
exactly the entries the discrepancy injector selected, recording each distortion in the truth.

Without a distortion an entry is built from the very same integer amounts as the Shopify record,
so the ledger equals Shopify to the cent; every difference in a world is therefore injected and
recorded, with the delta it leaves on every account (`truth/discrepancy_lines.csv`). An amount
distortion's kind, account, counter account and variance come from `classification.classify`, the
reconciliation's table, applied to the deltas the distortion made. A misbooking (`MISBOOKED`)
moves a random amount between two random accounts of the whole chart (or one outside it), now
and then from two accounts to a third, in any entry kind.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date
from typing import Any

from retail_sync.sandbox.generate.catalog import ACCOUNT_ID, CURRENCY_ID, Period, ShopProfile
from retail_sync.sandbox.generate.classification import (
    MISBOOKING_ACCOUNTS,
    Classified,
    classify,
    debit_total,
)
from retail_sync.sandbox.generate.discrepancies import (
    DUPLICATE,
    MISBOOKED,
    MISSING,
    TruthLine,
    TruthWriter,
)
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
from retail_sync.sandbox.validate import ENTRY_SUBJECTS

PAYMENT_ACCOUNT = {
    "shopify_payments": "1205",
    "paypal": "1220",
    "manual": "1220",
    "gift_card": "2300",
}
Line = list[Any]  # [account number, debit cents, credit cents]
SMALL_MISBOOKING_SHARE = 0.25  # of misbookings: 0.01-0.06, around the rounding tolerance
SPREAD_MISBOOKING_SHARE = 0.1  # of misbookings: from two accounts to a third


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


def net_by_account(lines: list[Line]) -> dict[str, int]:
    """Per account, debits − credits; accounts that net to zero left out."""
    nets: dict[str, int] = {}
    for account, debit, credit in lines:
        nets[account] = nets.get(account, 0) + debit - credit
    return {account: net for account, net in nets.items() if net}


def differences(expected: dict[str, int], lines: list[Line]) -> dict[str, int]:
    """Per account, what `lines` book minus what the rules expect, where they differ."""
    booked = net_by_account(lines)
    return {
        account: booked.get(account, 0) - expected.get(account, 0)
        for account in sorted({*expected, *booked})
        if booked.get(account, 0) != expected.get(account, 0)
    }


def shift(lines: list[Line], account: str, amount: int) -> None:
    """Add `amount` to the account's net debit (its first line, or a new one)."""
    for line in lines:
        if line[0] == account:
            net = line[1] - line[2] + amount
            line[1], line[2] = max(net, 0), max(-net, 0)
            return
    lines.append([account, max(amount, 0), max(-amount, 0)])


def entry_lines(nets: dict[str, int], factor: int, day: date) -> list[TruthLine]:
    """The truth lines of a whole entry: `factor` (−1 missing, +1 extra) × its net per account."""
    return [(account, factor * net, day) for account, net in sorted(nets.items())]


def draw_misbooking(rng: random.Random, expected: dict[str, int]) -> dict[str, int]:
    """The deltas of a random misbooking over `MISBOOKING_ACCOUNTS`: half the time part of an
    account's amount booked to another account on the same side (a misposting proper), else an
    amount moved between two accounts in a random direction; now and then from two to a third."""
    own = sorted(expected)
    amount = _misbooked_amount(rng, max(debit_total(expected), 1000))
    if own and rng.random() < 0.5:
        source = rng.choice(own)
        side = 1 if expected[source] > 0 else -1
    else:
        source, side = rng.choice(MISBOOKING_ACCOUNTS), 1
    target = rng.choice([a for a in MISBOOKING_ACCOUNTS if a != source])
    deltas = {source: -side * amount, target: side * amount}
    if rng.random() < SPREAD_MISBOOKING_SHARE:
        third = rng.choice([a for a in MISBOOKING_ACCOUNTS if a not in deltas])
        more = _misbooked_amount(rng, max(debit_total(expected), 1000))
        deltas[third] = -side * more
        deltas[target] += side * more
    return deltas


def _misbooked_amount(rng: random.Random, scale_of: int) -> int:
    if rng.random() < SMALL_MISBOOKING_SHARE:
        return rng.randint(1, 6)
    return max(1, round(scale_of * rng.uniform(0.005, 1.0)))


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
        *,
        counter_account: str = "",
        lines: list[TruthLine],
    ) -> None:
        self.truth.record(
            kind=kind,
            shop_id=self.shop.shop_id,
            shopify_ref=shopify_ref,
            erp_ref=erp_ref,
            account=account,
            counter_account=counter_account,
            expected_variance=format_cents(variance),
            currency=self.shop.currency,
            business_date=business_date.isoformat(),
            note=note,
            lines=lines,
        )

    def _record_booking(
        self,
        entry_kind: str,
        kind: str,
        refs: tuple[str, str],
        expected: dict[str, int],
        lines: list[Line],
        business_date: date,
        note: str,
        *,
        foreign_presentment: bool = False,
        legacy: tuple[str, int] = ("", 0),
    ) -> Classified:
        """Record an entry booked with other amounts than the rules', classified by its deltas.

        A named `kind` (not `MISBOOKED`) must classify as itself, on `legacy` (account,
        variance): the injected shapes of the named kinds are fixed by docs/sandbox.md.
        """
        deltas = differences(expected, lines)
        found = classify(entry_kind, expected, deltas, foreign_presentment=foreign_presentment)
        if kind != MISBOOKED and (found.kind, found.account, found.variance) != (kind, *legacy):
            raise AssertionError(f"{kind} {legacy} classifies as {found}: {deltas}")
        self._record(
            found.kind,
            *refs,
            found.account,
            found.variance,
            business_date,
            note,
            counter_account=found.counter_account,
            lines=[(account, delta, business_date) for account, delta in deltas.items()],
        )
        return found

    @staticmethod
    def _misbook(lines: list[Line], rng: random.Random) -> str:
        """Apply a random misbooking to `lines`; a note for people."""
        deltas = draw_misbooking(rng, net_by_account(lines))
        for account, delta in deltas.items():
            shift(lines, account, delta)
        moved = ", ".join(
            f"{format_cents(delta)} on {account}" for account, delta in deltas.items()
        )
        return f"misbooked: {moved} (net debit, against the rules)"

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
            MISBOOKED: weights[MISBOOKED],
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
        expected = net_by_account(lines) if kind is not None else {}
        business = self.clock.business_date(facts.epoch)
        token = f"shopify:order:{facts.order_id}"
        if kind == "order_missing_in_erp":
            self._record(
                kind,
                token,
                "",
                "",
                -entry_total(lines),
                business,
                "order entry never posted",
                lines=entry_lines(expected, -1, business),
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
        elif kind == "order_wrong_period":
            booked = net_by_account(lines)
            moved = entry_lines(booked, -1, business) + entry_lines(booked, 1, trandate)
            self._record(kind, token, externalid, "", 0, business, note, lines=moved)
        elif kind is not None:
            self._record_booking(
                "order",
                kind,
                (token, externalid),
                expected,
                lines,
                business,
                note,
                foreign_presentment=facts.presentment_currency != self.shop.currency,
                legacy=(account, variance),
            )

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
        elif kind == MISBOOKED:
            note = self._misbook(lines, rng)
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
            kind,
            token,
            duplicate_id,
            "",
            entry_total(lines),
            business,
            note(duplicate_id),
            lines=entry_lines(net_by_account(lines), 1, trandate),
        )

    def _post_orphan(
        self, kind: str, facts: OrderFacts, business: date, created: int, rng: random.Random
    ) -> None:
        """An entry for an order Shopify does not have, posted beside the real one."""
        self.orphan_sequence += 1
        fake_order = facts.order_id + 9 * 10**9 + self.orphan_sequence
        amount = max(100, round(facts.total * rng.uniform(0.5, 1.5)))
        orphan_external = self._externalid("order", fake_order)
        lines: list[Line] = [["1205", amount, 0], ["4000", 0, amount]]
        self.journal.post(
            self.shop,
            business,
            orphan_external,
            "Shopify order (manual import)",
            f"shopify:order:{fake_order}",
            lines,
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
            lines=entry_lines(net_by_account(lines), 1, business),
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
        expected = net_by_account(lines) if kind is not None else {}
        business = self.clock.business_date(refund.epoch)
        token = f"shopify:refund:{refund.refund_id}"
        if kind == "refund_missing_in_erp":
            self._record(
                kind,
                token,
                "",
                "",
                -refund.total,
                business,
                "refund entry never posted",
                lines=entry_lines(expected, -1, business),
            )
            return
        externalid = self._externalid("refund", refund.refund_id)
        variance, note = 0, ""
        if kind == "refund_amount_mismatch":
            variance = max(1, round(refund.total * rng.uniform(0.1, 0.5)))
            if rng.random() < 0.3 and variance < refund.subtotal:
                variance = -variance
            lines[0][1] += variance
            lines[3][2] += variance
            note = (
                f"partial refund booked as {format_cents(refund.total + variance)}; offset on 4090"
            )
        elif kind == MISBOOKED:
            note = self._misbook(lines, rng)
        self.journal.post(
            self.shop,
            business,
            externalid,
            f"Shopify refund of order {facts.name}",
            token,
            lines,
            next_night(refund.epoch),
        )
        if kind in ("refund_amount_mismatch", MISBOOKED):
            self._record_booking(
                "refund",
                kind,
                (token, externalid),
                expected,
                lines,
                business,
                note,
                legacy=(clearing, variance),
                foreign_presentment=facts.presentment_currency != self.shop.currency,
            )

    # Balance transactions -------------------------------------------------------------------

    @staticmethod
    def balance_entry(balance: BalanceFacts) -> tuple[str, str, list[Line]] | None:
        """(entry kind, memo, lines) of the entry a balance transaction calls for, if any (charges
        and refunds are posted through their orders and refunds; this is their fee)."""
        if balance.test:
            return None
        if balance.kind in ("CHARGE", "REFUND"):
            if balance.fee == 0:
                return None
            return (
                "fee",
                "Shopify Payments fee",
                [["6100", balance.fee, 0], ["1205", 0, balance.fee]],
            )
        if balance.kind == "ADJUSTMENT":
            lines: list[Line] = [["6100", -balance.net, 0], ["1205", 0, -balance.net]]
            return "fee", "Shopify Payments adjustment", lines
        if balance.kind == "DISPUTE":
            lines = [["6150", -balance.net, 0], ["1205", 0, -balance.net]]
            return "dispute", "Shopify Payments dispute", lines
        if balance.kind == "ADJUSTMENT_REVERSAL":
            lines = [["1205", balance.net, 0], ["6150", 0, balance.net]]
            return "dispute-won", "Shopify Payments dispute won", lines
        if balance.kind == "RESERVED_FUNDS":
            lines = [["1210", -balance.net, 0], ["1205", 0, -balance.net]]
            return "reserve", "Shopify Payments reserve held", lines
        lines = [["1205", balance.net, 0], ["1210", 0, balance.net]]
        return "reserve-release", "Shopify Payments reserve released", lines

    def post_balance(
        self, balance: BalanceFacts, kind: str | None, rng: random.Random | None = None
    ) -> None:
        """Fee, dispute, dispute-won, reserve and adjustment entries. `kind` is `MISSING`,
        `DUPLICATE` or `MISBOOKED` (then `rng` draws the misbooking), or None."""
        entry = self.balance_entry(balance)
        if entry is None:
            return
        entry_kind, memo, lines = entry
        subject = ENTRY_SUBJECTS[entry_kind]
        expected = net_by_account(lines) if kind is not None else {}
        business = self.clock.business_date(balance.epoch)
        token = f"shopify:balance_transaction:{balance.balance_id}"
        created = next_night(balance.epoch)
        externalid = self._externalid(entry_kind, balance.balance_id)
        if kind == MISSING:
            self._record(
                f"{subject}_missing_in_erp",
                token,
                "",
                "",
                -entry_total(lines),
                business,
                f"{entry_kind} entry never posted",
                lines=entry_lines(expected, -1, business),
            )
            return
        note = ""
        if kind == MISBOOKED:
            assert rng is not None
            note = self._misbook(lines, rng)
        self.journal.post(self.shop, business, externalid, memo, token, lines, created)
        if kind == DUPLICATE:
            self._post_duplicate(
                f"{subject}_duplicate_posting",
                token,
                business,
                business,
                memo,
                lines,
                created,
                lambda duplicate_id: f"{entry_kind} posted twice ({externalid} and {duplicate_id})",
            )
        elif kind == MISBOOKED:
            self._record_booking(
                entry_kind, kind, (token, externalid), expected, lines, business, note
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
        expected = net_by_account(lines) if kind is not None else {}
        if kind == "payout_deposit_missing":
            self._record(
                kind,
                token,
                "",
                "",
                -net,
                payout_date,
                "bank deposit never booked",
                lines=entry_lines(expected, -1, payout_date),
            )
        else:
            delta, note = 0, ""
            if kind == "payout_deposit_amount_mismatch":
                delta = max(1, round(abs(net) * rng.uniform(0.005, 0.1)))
                if rng.random() < 0.5 and delta < net:
                    delta = -delta
                booked = net + delta
                lines = [["1000", booked, 0], ["1205", 0, booked]]
                note = f"deposit booked {format_cents(booked)} instead of {format_cents(net)}"
            elif kind == MISBOOKED:
                note = self._misbook(lines, rng)
            self.journal.post(
                self.shop,
                payout_date,
                externalid,
                "Shopify payout",
                token,
                lines,
                payout.issued_epoch + 14 * 3600,
            )
            if kind in ("payout_deposit_amount_mismatch", MISBOOKED):
                self._record_booking(
                    "payout",
                    kind,
                    (token, externalid),
                    expected,
                    lines,
                    payout_date,
                    note,
                    legacy=("1000", delta),
                )
        if payout.failed_epoch is not None:
            self._post_failure(payout, net, kind, token)

    def _post_failure(self, payout: PayoutFacts, net: int, kind: str | None, token: str) -> None:
        """A failed payout's reversal (debit 1205, credit 1000), dated by the failure."""
        assert payout.failed_epoch is not None
        failed_date = utc_date(payout.failed_epoch)
        reverse: list[Line] = [
            [account, credit, debit] for account, debit, credit in deposit_lines(net)
        ]
        if kind == "payout_failure_reversal_missing":
            # Dated by the day the failure is known from what Shopify serves: the payout itself
            # only says FAILED, under its own (issue) date; the PAYOUT_FAILURE balance transaction
            # that would date the failure exactly is not served (docs/accounting.md).
            known_date = utc_date(payout.issued_epoch)
            self._record(
                kind,
                token,
                "",
                "",
                -entry_total(reverse),
                known_date,
                "the payout failed and its reversal was never booked",
                lines=entry_lines(net_by_account(reverse), -1, known_date),
            )
            return
        self.journal.post(
            self.shop,
            failed_date,
            self._externalid("payout-failed", payout.payout_id),
            "Shopify payout failed",
            token,
            reverse,
            payout.failed_epoch + 14 * 3600,
        )

"""Shopify Payments: balance transactions as they happen, batched into payouts by UTC day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from retail_sync.sandbox.generate.catalog import IdSequence, ShopProfile, shopify_id_base
from retail_sync.sandbox.generate.money import format_cents
from retail_sync.sandbox.generate.timestamps import SECONDS_PER_DAY, utc_timestamp
from retail_sync.sandbox.generate.writer import JsonlWriter

PAYOUT_DELAY_DAYS = 2
PAYOUT_HOUR_UTC = 12
SUMMARY_CATEGORY = {
    "CHARGE": 1,
    "REFUND": 3,
    "DISPUTE": 5,
    "ADJUSTMENT": 5,
    "ADJUSTMENT_REVERSAL": 5,
    "RESERVED_FUNDS": 7,
    "RESERVED_FUNDS_REVERSAL": 7,
}
SUMMARY_FIELDS = (
    "charges",
    "refunds",
    "adjustments",
    "reserved_funds",
)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@dataclass(slots=True)
class BalanceFacts:
    balance_id: int
    kind: str
    epoch: int
    amount: int
    fee: int
    net: int
    test: bool


@dataclass(slots=True)
class PayoutFacts:
    payout_id: int
    batch_date: date
    status: str
    issued_epoch: int
    failed_epoch: int | None
    balance_net: int  # Σ net of its balance transactions
    sums: list[int]


class PaymentsBook:
    """Writes a shop's balance transactions and keeps per-UTC-day sums for its payouts."""

    def __init__(
        self, shop: ShopProfile, world_start: date, world_end: int, writer: JsonlWriter
    ) -> None:
        self.shop = shop
        self.world_end = world_end
        self.writer = writer
        self.ids = IdSequence("ShopifyPaymentsBalanceTransaction", shop.index)
        self.first_batch_ordinal = world_start.toordinal() - 3
        self.payout_base = shopify_id_base("ShopifyPaymentsPayout", shop.index)
        self.batches: dict[int, list[int]] = {}

    def payout_id_for(self, epoch: int) -> int | None:
        """The payout of the UTC day of `epoch`, or None while that day's batch is still open."""
        day = epoch // SECONDS_PER_DAY
        if (day + 1) * SECONDS_PER_DAY > self.world_end:
            return None
        return self.payout_base + (day + _EPOCH_ORDINAL - self.first_batch_ordinal)

    def record(
        self,
        kind: str,
        source_type: str,
        epoch: int,
        amount: int,
        fee: int,
        *,
        source_id: int | None = None,
        order_transaction_id: int | None = None,
        order_id: int | None = None,
        adjustment_reason: str | None = None,
        test: bool = False,
    ) -> BalanceFacts:
        balance_id = self.ids.take()
        net = amount - fee
        payout_id = None if test else self.payout_id_for(epoch)
        if not test:
            day = epoch // SECONDS_PER_DAY
            sums = self.batches.get(day)
            if sums is None:
                sums = self.batches[day] = [0] * 9
            category = SUMMARY_CATEGORY[kind]
            sums[0] += net
            sums[category] += amount
            sums[category + 1] += fee
        self.writer.write(
            {
                "id": balance_id,
                "type": kind,
                "source_type": source_type,
                "source_id": source_id,
                "source_order_transaction_id": order_transaction_id,
                "associated_order_id": order_id,
                "transaction_date": utc_timestamp(epoch),
                "currency": self.shop.currency,
                "amount": format_cents(amount),
                "fee": format_cents(fee),
                "net": format_cents(net),
                "payout_id": payout_id,
                "adjustment_reason": adjustment_reason,
                "test": test,
            }
        )
        return BalanceFacts(balance_id, kind, epoch, amount, fee, net, test)

    def payouts(self, failure_draws: dict[int, float]) -> list[PayoutFacts]:
        """Payouts of every closed UTC-day batch, in date order.

        A payout is issued `PAYOUT_DELAY_DAYS` after its batch day at 12:00 UTC: PAID when that is
        before the end of the world, else SCHEDULED; a PAID payout whose failure draw is under
        0.03 and whose failure (a day later) is within the world is FAILED.
        """
        result: list[PayoutFacts] = []
        for day in sorted(self.batches):
            if (day + 1) * SECONDS_PER_DAY > self.world_end:
                continue
            sums = self.batches[day]
            issued = (day + PAYOUT_DELAY_DAYS) * SECONDS_PER_DAY + PAYOUT_HOUR_UTC * 3600
            status = "PAID" if issued < self.world_end else "SCHEDULED"
            failed: int | None = None
            if (
                status == "PAID"
                and failure_draws.get(day, 1.0) < 0.03
                and issued + SECONDS_PER_DAY < self.world_end
            ):
                status, failed = "FAILED", issued + SECONDS_PER_DAY
            result.append(
                PayoutFacts(
                    payout_id=self.payout_base + (day + _EPOCH_ORDINAL - self.first_batch_ordinal),
                    batch_date=date.fromordinal(day + _EPOCH_ORDINAL),
                    status=status,
                    issued_epoch=issued,
                    failed_epoch=failed,
                    balance_net=sums[0],
                    sums=sums,
                )
            )
        return result

    @staticmethod
    def payout_record(payout: PayoutFacts, currency: str, net: int) -> dict[str, Any]:
        sums = payout.sums
        summary: dict[str, str] = {}
        for position, name in enumerate(SUMMARY_FIELDS):
            summary[f"{name}_gross"] = format_cents(sums[1 + 2 * position])
            summary[f"{name}_fee"] = format_cents(sums[2 + 2 * position])
        summary["retried_payouts_gross"] = "0.00"
        summary["retried_payouts_fee"] = "0.00"
        return {
            "id": payout.payout_id,
            "status": payout.status,
            "issued_at": utc_timestamp(payout.issued_epoch),
            "currency": currency,
            "net": format_cents(net),
            "failed_at": utc_timestamp(payout.failed_epoch) if payout.failed_epoch else None,
            "batch_date": payout.batch_date.isoformat(),
            "summary": summary,
        }

"""Shopify Payments: a balance transaction per charge and refund, a payout per closed UTC day."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from .built import Ids, ShopState
from .money import UTC, money, round_cents, to_cents, utc_stamp
from .shops import ShopSpec
from .specs import WorldSpec

BALANCE_KIND = {"SALE": "CHARGE", "REFUND": "REFUND"}
SUMMARY_CATEGORIES = ("charges", "refunds", "adjustments", "reserved_funds")


def build_balance(state: ShopState, ids: Ids) -> None:
    """A CHARGE per Shopify Payments sale (with its fee) and a REFUND per refund, by time."""
    events = [
        (datetime.fromisoformat(tx["processed_at"]), balance_record(state.spec, order, tx))
        for order in state.orders
        for tx in order["transactions"]
        if tx["gateway"] == "shopify_payments"
        and tx["status"] == "SUCCESS"
        and tx["kind"] in BALANCE_KIND
    ]
    events.sort(key=lambda event: event[0])
    for _, record in events:
        state.balance.append({"id": ids.take("ShopifyPaymentsBalanceTransaction"), **record})


def balance_record(shop: ShopSpec, order: dict[str, Any], tx: dict[str, Any]) -> dict[str, Any]:
    kind = BALANCE_KIND[tx["kind"]]
    amount = to_cents(tx["amount"]["shop"])
    if kind == "CHARGE":
        fee = round_cents(amount * Decimal(shop.fee_rate)) + to_cents(shop.fee_fixed)
    else:
        amount, fee = -amount, 0
    return {
        "type": kind,
        "source_type": kind,
        "source_id": tx["id"],
        "source_order_transaction_id": tx["id"],
        "associated_order_id": order["id"],
        "transaction_date": utc_stamp(datetime.fromisoformat(tx["processed_at"])),
        "currency": shop.currency,
        "amount": money(amount),
        "fee": money(fee),
        "net": money(amount - fee),
        "payout_id": None,
        "adjustment_reason": None,
        "test": False,
    }


def build_payouts(spec: WorldSpec, state: ShopState, ids: Ids) -> None:
    """One payout per closed UTC day, issued `payout_delay_days` later at 12:00 UTC."""
    end = spec.end(state.spec)
    by_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for balance in state.balance:
        by_day[balance["transaction_date"][:10]].append(balance)
    for day in sorted(by_day):
        batch_date = date.fromisoformat(day)
        closes = datetime.combine(batch_date + timedelta(days=1), time(0), UTC)
        if closes > end:
            continue  # the UTC day has not closed by the end of the world: not yet in a payout
        issued = datetime.combine(
            batch_date + timedelta(days=spec.payout_delay_days), time(12), UTC
        )
        payout_id = ids.take("ShopifyPaymentsPayout")
        for balance in by_day[day]:
            balance["payout_id"] = payout_id
        state.payouts.append(
            {
                "id": payout_id,
                "status": "PAID" if issued < end else "SCHEDULED",
                "issued_at": utc_stamp(issued),
                "currency": state.spec.currency,
                "net": money(sum(to_cents(balance["net"]) for balance in by_day[day])),
                "failed_at": None,
                "batch_date": day,
                "summary": payout_summary(by_day[day]),
            }
        )


def payout_summary(batch: list[dict[str, Any]]) -> dict[str, str]:
    """Gross and fee per category; these worlds only have charges and refunds."""
    sums: dict[str, int] = defaultdict(int)
    for balance in batch:
        category = "charges" if balance["type"] == "CHARGE" else "refunds"
        sums[f"{category}_gross"] += to_cents(balance["amount"])
        sums[f"{category}_fee"] += to_cents(balance["fee"])
    summary = {
        f"{category}_{part}": money(sums[f"{category}_{part}"])
        for category in SUMMARY_CATEGORIES
        for part in ("gross", "fee")
    }
    return summary | {"retried_payouts_gross": "0.00", "retried_payouts_fee": "0.00"}

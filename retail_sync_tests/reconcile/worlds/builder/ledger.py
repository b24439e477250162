"""The ledger the existing integration posted, following its rules exactly (ACCOUNTING.md, "How
the existing integration posts"): an entry per order, refund, fee and PAID payout."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .built import Entry, Line, ShopState, local_date
from .money import to_cents
from .shops import ShopSpec

GATEWAY_ACCOUNT = {"shopify_payments": "1205", "paypal": "1220", "manual": "1220"}
TOKEN_RECORD = {
    "order": "order",
    "refund": "refund",
    "fee": "balance_transaction",
    "payout": "payout",
}
FIRST_ENTRY_ID = 90001


def external_id(shop: ShopSpec, record: str, record_id: int) -> str:
    """The externalid the integration gives the entry posted for a record ("order", "fee", ...)."""
    return f"shopify-{shop.id}-{record}-{record_id}"


def posted_entry(
    shop: ShopSpec,
    record: str,
    record_id: int,
    trandate: str,
    memo: str,
    lines: list[Line],
    entry_id: str = "",
) -> Entry:
    """An entry as the integration posts it: memo and every line carry the record's token."""
    token = f"shopify:{TOKEN_RECORD[record]}:{record_id}"
    externalid = external_id(shop, record, record_id)
    return Entry(entry_id, externalid, shop, token, trandate, f"{memo} {token}", lines)


def build_ledger(shops: list[ShopState]) -> list[Entry]:
    """Every shop's entries by date (in posting order within a date), numbered from 90001."""
    entries = sorted(
        (entry for state in shops for entry in shop_entries(state)),
        key=lambda entry: entry.trandate,
    )
    for number, entry in enumerate(entries, start=FIRST_ENTRY_ID):
        entry.id = str(number)
    return entries


def shop_entries(state: ShopState) -> Iterator[Entry]:
    shop = state.spec
    for order in state.orders:
        yield order_entry(shop, order)
        yield from refund_entries(shop, order)
    for balance in state.balance:
        fee = to_cents(balance["fee"])
        if balance["type"] in ("CHARGE", "REFUND") and fee:
            yield fee_entry(shop, balance, fee)
    for payout in state.payouts:
        if payout["status"] == "PAID":
            yield deposit_entry(shop, payout)


def order_entry(shop: ShopSpec, order: dict[str, Any]) -> Entry:
    """Clearing debit per sale, discounts debit; goods, shipping and tax credits."""
    lines = [
        (GATEWAY_ACCOUNT[tx["gateway"]], "debit", cents(tx["amount"]))
        for tx in order["transactions"]
        if tx["kind"] == "SALE" and tx["status"] == "SUCCESS"
    ]
    lines += [
        ("4050", "debit", cents(order["total_discounts"])),
        ("4000", "credit", sum(cents(line["total"]) for line in order["line_items"])),
        ("4100", "credit", cents(order["total_shipping"])),
        ("2200", "credit", cents(order["total_tax"])),
    ]
    return posted_entry(
        shop,
        "order",
        order["id"],
        local_date(order["processed_at"], shop.zone),
        f"Shopify order {order['name']}",
        aggregate(lines),
    )


def refund_entries(shop: ShopSpec, order: dict[str, Any]) -> Iterator[Entry]:
    """Returns, shipping and tax debits; the refund credited to its gateway's clearing."""
    gateways = {tx.get("refund_id"): tx["gateway"] for tx in order["transactions"]}
    for refund in order["refunds"]:
        lines = [
            ("4090", "debit", cents(refund["subtotal"])),
            ("4100", "debit", cents(refund["shipping"])),
            ("2200", "debit", cents(refund["total_tax"])),
            (GATEWAY_ACCOUNT[gateways[refund["id"]]], "credit", cents(refund["total"])),
        ]
        yield posted_entry(
            shop,
            "refund",
            refund["id"],
            local_date(refund["created_at"], shop.zone),
            f"Shopify refund of {order['name']}",
            aggregate(lines),
        )


def fee_entry(shop: ShopSpec, balance: dict[str, Any], fee: int) -> Entry:
    return posted_entry(
        shop,
        "fee",
        balance["id"],
        local_date(balance["transaction_date"], shop.zone),
        "Shopify Payments fee",
        [("6100", "debit", fee), ("1205", "credit", fee)],
    )


def deposit_entry(shop: ShopSpec, payout: dict[str, Any]) -> Entry:
    return posted_entry(
        shop,
        "payout",
        payout["id"],
        payout["issued_at"][:10],
        "Shopify payout",
        deposit_lines(to_cents(payout["net"])),
    )


def deposit_lines(net: int) -> list[Line]:
    if net >= 0:
        return [("1000", "debit", net), ("1205", "credit", net)]
    return [("1205", "debit", -net), ("1000", "credit", -net)]


def cents(money_bag: dict[str, str]) -> int:
    return to_cents(money_bag["shop"])


def aggregate(lines: Iterable[Line]) -> list[Line]:
    """Per account and side, in first-seen order; zero amounts left out."""
    totals: dict[tuple[str, str], int] = {}
    for account, side, amount in lines:
        totals[(account, side)] = totals.get((account, side), 0) + amount
    return [(account, side, amount) for (account, side), amount in totals.items() if amount]

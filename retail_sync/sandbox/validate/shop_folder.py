"""One shop's folder `shopify/<shop id>/`: locations, items, orders, balance, payouts, levels."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retail_sync.sandbox.validate.findings import (
    IdRegistry,
    ValidationProblems,
    document_objects,
    key,
)
from retail_sync.sandbox.validate.orders import validate_order
from retail_sync.sandbox.validate.values import (
    is_count,
    is_timestamp,
    money_field,
    unit_cost_field,
    utc_day,
)
from retail_sync.sandbox.validate.vocabulary import (
    BALANCE_SOURCE_TYPES,
    BALANCE_TYPES,
    PAYOUT_STATUSES,
    QUANTITY_NAMES,
)
from retail_sync.sandbox.world import FORMAT_VERSION, iter_jsonl


@dataclass
class PayoutBatches:
    """What the balance transactions say of each payout: their net sum and their dates."""

    sums: dict[Hashable, int] = field(default_factory=lambda: defaultdict(int))
    days: dict[Hashable, set[str]] = field(default_factory=lambda: defaultdict(set))


def validate_shop(
    folder: Path,
    shop: dict[str, Any],
    ids: IdRegistry,
    balance_mismatches: dict[str, int],
    problems: ValidationProblems,
    format_version: int = FORMAT_VERSION,
) -> None:
    """Every file of one shop's folder; stops early once `problems` is full."""
    currency = shop.get("currency")
    location_ids = _check_locations(folder, ids, problems)
    item_ids = _check_inventory_items(folder, ids, problems)
    orders = _check_orders(folder, currency, ids, location_ids, item_ids, problems, format_version)
    if orders is None:
        return
    order_ids, order_transaction_ids = orders
    batches = _check_balance_transactions(
        folder, currency, ids, order_ids, order_transaction_ids, problems
    )
    if batches is None:
        return
    _check_payouts(folder, currency, ids, balance_mismatches, batches, problems)
    _check_inventory_levels(folder, location_ids, item_ids, problems)


def _check_locations(folder: Path, ids: IdRegistry, problems: ValidationProblems) -> set[Hashable]:
    location_ids: set[Hashable] = set()
    for location in document_objects(folder / "locations.json", problems):
        ids.register(str(folder / "locations.json"), "Location", location.get("id"))
        location_ids.add(key(location.get("id")))
    return location_ids


def _check_inventory_items(
    folder: Path, ids: IdRegistry, problems: ValidationProblems
) -> set[Hashable]:
    item_ids: set[Hashable] = set()
    for item in document_objects(folder / "inventory_items.json", problems):
        where = str(folder / "inventory_items.json")
        ids.register(where, "InventoryItem", item.get("id"))
        item_ids.add(key(item.get("id")))
        # Shopify's `unitCost`, in the shop's currency; null when the item has no cost.
        unit_cost_field(f"{where} item {item.get('id')!r}", item, "unit_cost", problems, places=2)
        if not isinstance(item.get("sku"), str):
            problems.add(where, f"item {item.get('id')!r}: sku must be a string")
    return item_ids


def _check_orders(
    folder: Path,
    currency: Any,
    ids: IdRegistry,
    location_ids: set[Hashable],
    item_ids: set[Hashable],
    problems: ValidationProblems,
    format_version: int,
) -> tuple[set[Hashable], set[Hashable]] | None:
    """(order ids, order transaction ids); None when `problems` filled up on the way."""
    order_ids: set[Hashable] = set()
    order_transaction_ids: set[Hashable] = set()
    path = folder / "orders.jsonl"
    for number, order in enumerate(iter_jsonl(path), start=1):
        if problems.full:
            return None
        where = f"{path}:{number}"
        order_transaction_ids |= validate_order(
            where, order, currency, ids, location_ids, item_ids, problems, format_version
        )
        order_ids.add(key(order.get("id")))
    return order_ids, order_transaction_ids


def _check_balance_transactions(
    folder: Path,
    currency: Any,
    ids: IdRegistry,
    order_ids: set[Hashable],
    order_transaction_ids: set[Hashable],
    problems: ValidationProblems,
) -> PayoutBatches | None:
    """`net = amount - fee`, known orders and transactions; None when `problems` filled up."""
    batches = PayoutBatches()
    path = folder / "balance_transactions.jsonl"
    for number, balance in enumerate(iter_jsonl(path), start=1):
        if problems.full:
            return None
        where = f"{path}:{number}"
        ids.register(where, "ShopifyPaymentsBalanceTransaction", balance.get("id"))
        if key(balance.get("type")) not in BALANCE_TYPES:
            problems.add(where, f"type {balance.get('type')!r} is unknown")
        if key(balance.get("source_type")) not in BALANCE_SOURCE_TYPES:
            problems.add(where, f"source_type {balance.get('source_type')!r} is unknown")
        if balance.get("currency") != currency:
            problems.add(where, f"currency {balance.get('currency')!r} is not {currency}")
        if not is_timestamp(balance.get("transaction_date")):
            problems.add(where, "transaction_date must be RFC 3339 with an offset")
        amount = money_field(where, balance, "amount", problems)
        fee = money_field(where, balance, "fee", problems)
        net = money_field(where, balance, "net", problems)
        if net != amount - fee:
            problems.add(where, f"net {balance.get('net')} != amount - fee")
        order_id = balance.get("associated_order_id")
        if order_id is not None and key(order_id) not in order_ids:
            problems.add(where, f"associated_order_id {order_id!r} is not an order of this shop")
        transaction_id = balance.get("source_order_transaction_id")
        if transaction_id is not None and key(transaction_id) not in order_transaction_ids:
            problems.add(where, f"source_order_transaction_id {transaction_id!r} is unknown")
        payout_id = balance.get("payout_id")
        if payout_id is not None:
            if balance.get("test"):
                problems.add(where, "a test balance transaction is never paid out")
            batches.sums[key(payout_id)] += net
            batches.days[key(payout_id)].add(str(balance.get("transaction_date")))
    return batches


def _check_payouts(
    folder: Path,
    currency: Any,
    ids: IdRegistry,
    balance_mismatches: dict[str, int],
    batches: PayoutBatches,
    problems: ValidationProblems,
) -> None:
    """A payout's net is its balance transactions' sum, unless the truth records otherwise."""
    payout_sums = batches.sums
    path = folder / "payouts.jsonl"
    for number, payout in enumerate(iter_jsonl(path), start=1):
        where = f"{path}:{number}"
        payout_id = payout.get("id")
        ids.register(where, "ShopifyPaymentsPayout", payout_id)
        if key(payout.get("status")) not in PAYOUT_STATUSES:
            problems.add(where, f"status {payout.get('status')!r} is unknown")
        if not is_timestamp(payout.get("issued_at")):
            problems.add(where, "issued_at must be RFC 3339 with an offset")
        if payout.get("currency") != currency:
            problems.add(where, f"currency {payout.get('currency')!r} is not the shop's {currency}")
        net = money_field(where, payout, "net", problems)
        variance = balance_mismatches.get(f"shopify:payout:{payout_id}", 0)
        if net - payout_sums.pop(key(payout_id), 0) != variance:
            problems.add(
                where,
                f"payout {payout_id!r} net {payout.get('net')!r} "
                "differs from the sum of its balance transactions "
                "and the truth records no payout_balance_mismatch of that size",
            )
        utc_days = {utc_day(stamp) for stamp in batches.days.get(key(payout_id), set())}
        if len(utc_days) > 1:
            problems.add(where, f"payout {payout_id!r} batches several UTC days {sorted(utc_days)}")
        if payout.get("status") == "FAILED" and not is_timestamp(payout.get("failed_at")):
            problems.add(where, "a FAILED payout needs failed_at")
    for payout_id in payout_sums:
        problems.add(str(path), f"balance transactions reference unknown payout {payout_id!r}")


def _check_inventory_levels(
    folder: Path,
    location_ids: set[Hashable],
    item_ids: set[Hashable],
    problems: ValidationProblems,
) -> None:
    """Known item and location, integer quantities, available = on_hand - committed - reserved."""
    path = folder / "inventory_levels.jsonl"
    for number, level in enumerate(iter_jsonl(path), start=1):
        if problems.full:
            return
        where = f"{path}:{number}"
        if key(level.get("inventory_item_id")) not in item_ids:
            problems.add(where, f"unknown inventory_item_id {level.get('inventory_item_id')!r}")
        if key(level.get("location_id")) not in location_ids:
            problems.add(where, f"unknown location_id {level.get('location_id')!r}")
        if not is_timestamp(level.get("at")):
            problems.add(where, "at must be RFC 3339 with an offset")
        quantities = level.get("quantities")
        if not isinstance(quantities, dict) or any(
            not is_count(quantities.get(name)) for name in QUANTITY_NAMES
        ):
            problems.add(where, f"quantities must hold integers {', '.join(QUANTITY_NAMES)}")
            continue
        expected_available = (
            quantities["on_hand"] - quantities["committed"] - quantities["reserved"]
        )
        if quantities["available"] != expected_available:
            problems.add(where, "available must be on_hand - committed - reserved")

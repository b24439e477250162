"""Check a world folder against the format and identities documented in docs/sandbox.md.

`validate_world(root)` reads every file once, as streams, and returns a list of problems
(`"<file>:<line>: <what is wrong>"`); an empty list means the world is valid. It checks shapes
(money strings, timestamps with offsets, enums), identities (line and order totals, refund totals,
`net = amount - fee`, balanced journals, payout sums except where the truth records a
`payout_balance_mismatch`), references (accounts, periods, subsidiaries, payouts, line items) and
uniqueness of ids. It does not re-derive the ledger from Shopify: that is the reconciliation's job.

A malformed world (a file missing or not JSON, a value of the wrong type anywhere, a list where an
object belongs) is reported the same way, as findings: the validator never raises.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Hashable, Iterable
from datetime import UTC, date, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from retail_sync.sandbox.world import FORMAT_VERSION, WorldFormatError, iter_jsonl, read_json
from retail_sync.shops import is_shop_id

# ASCII digits only (`\d` also matches other scripts' digits); at most 16 integer digits, what a
# DECIMAL(18, 2) holds.
MONEY_PATTERN = re.compile(r"-?[0-9]{1,16}\.[0-9]{2}")
TIMESTAMP_PATTERN = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})"
)
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
TRUTH_HEADER = [
    "discrepancy_id",
    "kind",
    "domain",
    "shop_id",
    "shopify_ref",
    "erp_ref",
    "account",
    "expected_variance",
    "currency",
    "business_date",
    "note",
]
DISCREPANCY_DOMAINS = {
    "order_missing_in_erp": "orders",
    "order_duplicate_posting": "orders",
    "order_tax_mismatch": "orders",
    "order_shipping_mismatch": "orders",
    "order_discount_mismatch": "orders",
    "order_rounding_difference": "orders",
    "order_fx_difference": "orders",
    "order_wrong_period": "orders",
    "refund_missing_in_erp": "refunds",
    "refund_amount_mismatch": "refunds",
    "orphan_erp_entry": "orders",
    "fee_missing_in_erp": "fees",
    "fee_duplicate_posting": "fees",
    "payout_deposit_missing": "payouts",
    "payout_deposit_amount_mismatch": "payouts",
    "payout_balance_mismatch": "payouts",
    "inventory_on_hand_mismatch": "inventory",
}
PLANS = {"STANDARD", "ADVANCED", "PLUS", "ENTERPRISE"}
TRANSACTION_KINDS = {"AUTHORIZATION", "CAPTURE", "SALE", "REFUND", "VOID"}
TRANSACTION_STATUSES = {"SUCCESS", "FAILURE", "PENDING"}
GATEWAYS = {"shopify_payments", "paypal", "manual", "gift_card"}
FINANCIAL_STATUSES = {
    "AUTHORIZED",
    "EXPIRED",
    "PAID",
    "PARTIALLY_PAID",
    "PARTIALLY_REFUNDED",
    "PENDING",
    "REFUNDED",
    "VOIDED",
}
BALANCE_TYPES = {
    "CHARGE",
    "REFUND",
    "DISPUTE",
    "ADJUSTMENT",
    "ADJUSTMENT_REVERSAL",
    "RESERVED_FUNDS",
    "RESERVED_FUNDS_REVERSAL",
}
BALANCE_SOURCE_TYPES = {
    "CHARGE",
    "REFUND",
    "DISPUTE",
    "ADJUSTMENT",
    "ADJUSTMENT_REVERSAL",
    "SYSTEM_ADJUSTMENT",
    "TRANSFER",
}
PAYOUT_STATUSES = {"SCHEDULED", "PAID", "FAILED", "CANCELED"}
RESTOCK_TYPES = {"RETURN", "CANCEL", "NO_RESTOCK", "LEGACY_RESTOCK"}
QUANTITY_NAMES = ("available", "on_hand", "committed", "incoming", "reserved")
ACCOUNT_TYPES = {
    "Bank",
    "OthCurrAsset",
    "OthCurrLiab",
    "Income",
    "Expense",
    "OthExpense",
    "OthIncome",
    "COGS",
    "AcctRec",
    "AcctPay",
    "FixedAsset",
    "Equity",
}
MAX_PROBLEMS = 200
MAX_PROBLEM_LENGTH = 500


class ValidationProblems:
    """Collects problems, stopping at MAX_PROBLEMS so a broken large world reports quickly."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, where: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            problem = f"{where}: {message}"
            if len(problem) > MAX_PROBLEM_LENGTH:  # a megabyte string in a field stays out
                problem = problem[: MAX_PROBLEM_LENGTH - 1] + "…"
            # A lone surrogate read from a JSON escape cannot be printed: keep it as its escape.
            self.problems.append(problem.encode("utf-8", "backslashreplace").decode("utf-8"))

    @property
    def full(self) -> bool:
        return len(self.problems) >= MAX_PROBLEMS


def key(value: Any) -> Hashable:
    """`value` as a set member or a dict key: a list or an object (reported elsewhere) by repr."""
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def objects(
    where: str, value: Any, what: str, problems: ValidationProblems
) -> list[dict[str, Any]]:
    """The JSON objects of a list (absent: none); a problem for a non-list or a non-object item."""
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(where, f"{what} must be a list of objects, not {_kind(value)}")
        return []
    found = [item for item in value if isinstance(item, dict)]
    if len(found) != len(value):
        problems.add(where, f"{what} must hold only JSON objects")
    return found


def document_objects(path: Path, problems: ValidationProblems) -> list[dict[str, Any]]:
    """A `.json` file holding a list of objects."""
    return objects(str(path), read_json(path), path.name, problems)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else repr(value)
    )


def cents(value: Any) -> int | None:
    """The amount of a money string in minor units, or None if it is not a money string."""
    if not isinstance(value, str) or not MONEY_PATTERN.fullmatch(value):
        return None
    return int(value.replace(".", ""))


def is_timestamp(value: Any) -> TypeGuard[str]:
    if not isinstance(value, str) or not TIMESTAMP_PATTERN.fullmatch(value):
        return False
    try:
        moment = datetime.fromisoformat(value)
        moment.astimezone(UTC)  # year 1 with a positive offset is before the first UTC instant
    except (ValueError, OverflowError):
        return False
    return True


def is_date(value: Any) -> TypeGuard[str]:
    if not isinstance(value, str) or not DATE_PATTERN.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_count(value: Any) -> TypeGuard[int]:
    """An integer quantity (a JSON `true` is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


class _IdRegistry:
    """Shopify ids are unique per entity type across the whole world."""

    def __init__(self, problems: ValidationProblems) -> None:
        self.problems = problems
        self.seen: dict[str, set[int]] = defaultdict(set)

    def register(self, where: str, entity: str, value: Any) -> None:
        if not is_count(value) or value <= 0:
            self.problems.add(where, f"{entity} id {value!r} is not a positive integer")
            return
        ids = self.seen[entity]
        if value in ids:
            self.problems.add(where, f"duplicate {entity} id {value}")
        ids.add(value)


def validate_world(root: str | Path) -> list[str]:
    """Every problem found in the world at `root`; an empty list means it is valid."""
    root = Path(root)
    problems = ValidationProblems()
    try:
        _validate(root, problems)
    except WorldFormatError as error:
        problems.add(str(root), str(error))
    return problems.problems


def _validate(root: Path, problems: ValidationProblems) -> None:
    manifest = read_json(root / "world.json")
    where = str(root / "world.json")
    if not isinstance(manifest, dict):
        problems.add(where, "expected a JSON object")
        return
    if manifest.get("format_version") != FORMAT_VERSION:
        problems.add(where, f"format_version must be {FORMAT_VERSION}")
    if not is_date(manifest.get("start")):
        problems.add(where, "start must be a YYYY-MM-DD date")
    if not is_count(manifest.get("days")) or manifest["days"] < 1:
        problems.add(where, "days must be a positive integer")
    shops_path = root / "shopify" / "shops.json"
    shops_where = str(shops_path)
    shops = read_json(shops_path)
    if not isinstance(shops, list) or not shops:
        problems.add(shops_where, "expected a non-empty list of shops")
        return
    shops = objects(shops_where, shops, "shops", problems)
    shop_ids = [shop.get("id") for shop in shops]
    if manifest.get("shops") != shop_ids:
        problems.add(where, f"shops {manifest.get('shops')!r} differ from shops.json {shop_ids!r}")
    if len({key(shop_id) for shop_id in shop_ids}) != len(shop_ids):
        problems.add(shops_where, "duplicate shop id")
    valid_shops = [shop for shop in shops if _check_shop_record(shops_where, shop, problems)]

    truth = _read_truth(root / "truth" / "discrepancies.csv", set(map(key, shop_ids)), problems)
    ids = _IdRegistry(problems)
    erp = _ErpIndex.load(root / "erp", problems)
    for shop in valid_shops:
        if problems.full:
            return
        _validate_shop(root / "shopify" / shop["id"], shop, ids, truth, problems)
    _validate_journal_entries(root / "erp" / "journal_entries.jsonl", erp, problems)
    _validate_on_hand(root / "erp" / "inventory_on_hand.jsonl", erp, problems)
    for shop in shops:
        if key(shop.get("erp_subsidiary_id")) not in erp.subsidiaries:
            problems.add(
                shops_where, f"shop {shop.get('id')!r}: erp_subsidiary_id not in subsidiaries"
            )


def _check_shop_record(where: str, shop: dict[str, Any], problems: ValidationProblems) -> bool:
    """Report what is wrong with one shop; True when its id can name its folder."""
    for field in ("id", "domain", "name", "currency", "timezone", "plan", "erp_subsidiary_id"):
        if not isinstance(shop.get(field), str) or not shop[field]:
            problems.add(where, f"shop {shop.get('id')!r}: {field} must be a non-empty string")
    if key(shop.get("plan")) not in PLANS:
        problems.add(where, f"shop {shop.get('id')!r}: plan must be one of {sorted(PLANS)}")
    timezone = shop.get("timezone")
    try:
        if not isinstance(timezone, str):
            raise ValueError(timezone)
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a path
        problems.add(where, f"shop {shop.get('id')!r}: unknown timezone {timezone!r}")
    if not is_shop_id(shop.get("id")):
        # The id names the shop's folder: anything but a handle could point outside the world.
        problems.add(
            where,
            f"shop id {shop.get('id')!r} is not a shop handle (lower-case letters, digits, '-')",
        )
        return False
    return True


def _read_truth(
    path: Path, shop_ids: set[Hashable], problems: ValidationProblems
) -> dict[str, int]:
    """Check the truth file; return payout_balance_mismatch variances keyed by shopify_ref."""
    balance_mismatches: dict[str, int] = {}
    if not path.is_file():
        problems.add(str(path), "missing" if not path.exists() else "is not a file")
        return balance_mismatches
    number = 1
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header != TRUTH_HEADER:
                problems.add(f"{path}:1", f"header must be {','.join(TRUTH_HEADER)}")
                return balance_mismatches
            seen: set[str] = set()
            for number, values in enumerate(reader, start=2):
                _check_truth_row(
                    f"{path}:{number}", values, seen, shop_ids, balance_mismatches, problems
                )
    except UnicodeDecodeError:
        problems.add(f"{path}:{number + 1}", "not UTF-8")
    except csv.Error as error:  # a NUL byte, a field past the csv module's size limit
        problems.add(f"{path}:{number + 1}", f"not CSV ({error})")
    return balance_mismatches


def _check_truth_row(
    where: str,
    values: list[str],
    seen: set[str],
    shop_ids: set[Hashable],
    balance_mismatches: dict[str, int],
    problems: ValidationProblems,
) -> None:
    if len(values) != len(TRUTH_HEADER):
        problems.add(where, f"expected {len(TRUTH_HEADER)} columns, got {len(values)}")
        return
    row = dict(zip(TRUTH_HEADER, values, strict=True))
    if row["discrepancy_id"] in seen:
        problems.add(where, f"duplicate discrepancy_id {row['discrepancy_id']}")
    seen.add(row["discrepancy_id"])
    kind = row["kind"]
    if kind not in DISCREPANCY_DOMAINS:
        problems.add(where, f"unknown kind {kind!r}")
        return
    if row["domain"] != DISCREPANCY_DOMAINS[kind]:
        problems.add(where, f"{kind} belongs to domain {DISCREPANCY_DOMAINS[kind]}")
    if row["shop_id"] not in shop_ids:
        problems.add(where, f"unknown shop {row['shop_id']!r}")
    if not is_date(row["business_date"]):
        problems.add(where, "business_date must be YYYY-MM-DD")
    if kind == "inventory_on_hand_mismatch":
        if not re.fullmatch(r"-?[0-9]{1,18}", row["expected_variance"]):
            problems.add(where, "inventory expected_variance must be an integer quantity")
    elif cents(row["expected_variance"]) is None:
        problems.add(where, "expected_variance must be a signed amount with 2 decimals")
    if not row["shopify_ref"] and not row["erp_ref"]:
        problems.add(where, "needs a shopify_ref or an erp_ref")
    if kind == "payout_balance_mismatch":
        balance_mismatches[row["shopify_ref"]] = cents(row["expected_variance"]) or 0


def _money(where: str, record: dict[str, Any], field: str, problems: ValidationProblems) -> int:
    value = cents(record.get(field))
    if value is None:
        problems.add(where, f'{field} {record.get(field)!r} is not a money string like "12.50"')
        return 0
    return value


def _bag(
    where: str, record: dict[str, Any], field: str, problems: ValidationProblems
) -> tuple[int, int]:
    """A money bag as (shop cents, presentment cents)."""
    bag = record.get(field)
    if not isinstance(bag, dict):
        problems.add(where, f'{field} must be a money bag {{"shop": ..., "presentment": ...}}')
        return (0, 0)
    return (
        _money(where, bag, "shop", problems),
        _money(where, bag, "presentment", problems),
    )


def _sum_bags(bags: Iterable[tuple[int, int]]) -> tuple[int, int]:
    shop = presentment = 0
    for bag_shop, bag_presentment in bags:
        shop += bag_shop
        presentment += bag_presentment
    return shop, presentment


def _expect_equal(
    where: str,
    what: str,
    actual: tuple[int, int],
    expected: tuple[int, int],
    problems: ValidationProblems,
) -> None:
    if actual != expected:
        problems.add(
            where,
            f"{what} is {_format_bag(actual)} but should be {_format_bag(expected)}",
        )


def _format_bag(bag: tuple[int, int]) -> str:
    return f"shop {format_cents(bag[0])} / presentment {format_cents(bag[1])}"


def format_cents(value: int) -> str:
    sign = "-" if value < 0 else ""
    value = abs(value)
    return f"{sign}{value // 100}.{value % 100:02d}"


def _validate_shop(
    folder: Path,
    shop: dict[str, Any],
    ids: _IdRegistry,
    balance_mismatches: dict[str, int],
    problems: ValidationProblems,
) -> None:
    currency = shop.get("currency")
    location_ids: set[Hashable] = set()
    item_ids: set[Hashable] = set()
    for location in document_objects(folder / "locations.json", problems):
        ids.register(str(folder / "locations.json"), "Location", location.get("id"))
        location_ids.add(key(location.get("id")))
    for item in document_objects(folder / "inventory_items.json", problems):
        where = str(folder / "inventory_items.json")
        ids.register(where, "InventoryItem", item.get("id"))
        item_ids.add(key(item.get("id")))
        _money(f"{where} item {item.get('id')!r}", item, "unit_cost", problems)
        if not isinstance(item.get("sku"), str):
            problems.add(where, f"item {item.get('id')!r}: sku must be a string")

    order_ids: set[Hashable] = set()
    order_transaction_ids: set[Hashable] = set()
    path = folder / "orders.jsonl"
    for number, order in enumerate(iter_jsonl(path), start=1):
        if problems.full:
            return
        where = f"{path}:{number}"
        order_transaction_ids |= _validate_order(
            where, order, currency, ids, location_ids, item_ids, problems
        )
        order_ids.add(key(order.get("id")))

    payout_sums: dict[Hashable, int] = defaultdict(int)
    payout_days: dict[Hashable, set[str]] = defaultdict(set)
    path = folder / "balance_transactions.jsonl"
    for number, balance in enumerate(iter_jsonl(path), start=1):
        if problems.full:
            return
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
        amount = _money(where, balance, "amount", problems)
        fee = _money(where, balance, "fee", problems)
        net = _money(where, balance, "net", problems)
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
            payout_sums[key(payout_id)] += net
            payout_days[key(payout_id)].add(str(balance.get("transaction_date")))

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
        net = _money(where, payout, "net", problems)
        variance = balance_mismatches.get(f"shopify:payout:{payout_id}", 0)
        if net - payout_sums.pop(key(payout_id), 0) != variance:
            problems.add(
                where,
                f"payout {payout_id!r} net {payout.get('net')!r} "
                "differs from the sum of its balance transactions "
                "and the truth records no payout_balance_mismatch of that size",
            )
        utc_days = {_utc_date(stamp) for stamp in payout_days.get(key(payout_id), set())}
        if len(utc_days) > 1:
            problems.add(where, f"payout {payout_id!r} batches several UTC days {sorted(utc_days)}")
        if payout.get("status") == "FAILED" and not is_timestamp(payout.get("failed_at")):
            problems.add(where, "a FAILED payout needs failed_at")
    for payout_id in payout_sums:
        problems.add(str(path), f"balance transactions reference unknown payout {payout_id!r}")

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


def _utc_date(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp).astimezone(UTC).date().isoformat()
    except (ValueError, OverflowError):
        return stamp


def _validate_order(
    where: str,
    order: dict[str, Any],
    currency: Any,
    ids: _IdRegistry,
    location_ids: set[Hashable],
    item_ids: set[Hashable],
    problems: ValidationProblems,
) -> set[Hashable]:
    """Report what is wrong with one order; return its transaction ids."""
    ids.register(where, "Order", order.get("id"))
    where = f"{where} order {order.get('id')!r}"
    if order.get("currency") != currency:
        problems.add(where, f"currency {order.get('currency')!r} is not the shop's {currency}")
    if not isinstance(order.get("presentment_currency"), str):
        problems.add(where, "presentment_currency must be a currency code")
    for field in ("created_at", "processed_at", "updated_at"):
        if not is_timestamp(order.get(field)):
            problems.add(where, f"{field} must be RFC 3339 with an offset")
    if order.get("cancelled_at") is not None and not is_timestamp(order.get("cancelled_at")):
        problems.add(where, "cancelled_at must be null or RFC 3339 with an offset")
    if key(order.get("financial_status")) not in FINANCIAL_STATUSES:
        problems.add(where, f"financial_status {order.get('financial_status')!r} is unknown")
    if order.get("taxes_included"):
        problems.add(where, "taxes_included worlds are not supported by format version 1")
    if not isinstance(order.get("test"), bool):
        problems.add(where, "test must be true or false")

    line_totals: list[tuple[int, int]] = []
    line_discounts: list[tuple[int, int]] = []
    taxes: list[tuple[int, int]] = []
    line_ids: dict[Hashable, int] = {}
    for line in objects(where, order.get("line_items"), "line_items", problems):
        ids.register(where, "LineItem", line.get("id"))
        line_where = f"{where} line {line.get('id')!r}"
        quantity = line.get("quantity")
        if not is_count(quantity) or quantity < 1:
            problems.add(line_where, "quantity must be a positive integer")
            quantity = 0
        line_ids[key(line.get("id"))] = quantity
        unit = _bag(line_where, line, "unit_price", problems)
        total = _bag(line_where, line, "total", problems)
        expected_total = (unit[0] * quantity, unit[1] * quantity)
        _expect_equal(line_where, "total", total, expected_total, problems)
        line_totals.append(total)
        line_discounts.append(_bag(line_where, line, "discount", problems))
        item_id = line.get("inventory_item_id")
        if item_id is not None and key(item_id) not in item_ids:
            problems.add(line_where, f"unknown inventory_item_id {item_id!r}")
        for tax_line in objects(line_where, line.get("tax_lines"), "tax_lines", problems):
            taxes.append(_bag(line_where, tax_line, "price", problems))
    if not line_ids:
        problems.add(where, "an order needs at least one line item")
    shipping: list[tuple[int, int]] = []
    for shipping_line in objects(where, order.get("shipping_lines"), "shipping_lines", problems):
        shipping.append(_bag(where, shipping_line, "price", problems))
        for tax_line in objects(where, shipping_line.get("tax_lines"), "tax_lines", problems):
            taxes.append(_bag(where, tax_line, "price", problems))

    total_discounts = _bag(where, order, "total_discounts", problems)
    subtotal = _bag(where, order, "subtotal", problems)
    total_shipping = _bag(where, order, "total_shipping", problems)
    total_tax = _bag(where, order, "total_tax", problems)
    total_price = _bag(where, order, "total_price", problems)
    _expect_equal(where, "total_discounts", total_discounts, _sum_bags(line_discounts), problems)
    gross = _sum_bags(line_totals)
    _expect_equal(
        where,
        "subtotal",
        subtotal,
        (gross[0] - total_discounts[0], gross[1] - total_discounts[1]),
        problems,
    )
    _expect_equal(where, "total_shipping", total_shipping, _sum_bags(shipping), problems)
    _expect_equal(where, "total_tax", total_tax, _sum_bags(taxes), problems)
    _expect_equal(
        where,
        "total_price",
        total_price,
        _sum_bags([subtotal, total_shipping, total_tax]),
        problems,
    )

    transaction_ids: set[Hashable] = set()
    refund_transaction_ids: dict[Hashable, tuple[int, int]] = {}
    for transaction in objects(where, order.get("transactions"), "transactions", problems):
        ids.register(where, "OrderTransaction", transaction.get("id"))
        transaction_ids.add(key(transaction.get("id")))
        tx_where = f"{where} transaction {transaction.get('id')!r}"
        if key(transaction.get("kind")) not in TRANSACTION_KINDS:
            problems.add(tx_where, f"kind {transaction.get('kind')!r} is unknown")
        if key(transaction.get("status")) not in TRANSACTION_STATUSES:
            problems.add(tx_where, f"status {transaction.get('status')!r} is unknown")
        if key(transaction.get("gateway")) not in GATEWAYS:
            problems.add(tx_where, f"gateway {transaction.get('gateway')!r} is unknown")
        if not is_timestamp(transaction.get("processed_at")):
            problems.add(tx_where, "processed_at must be RFC 3339 with an offset")
        amount = _bag(tx_where, transaction, "amount", problems)
        parent = transaction.get("parent_id")
        if parent is not None and key(parent) not in transaction_ids:
            problems.add(
                tx_where, f"parent_id {parent!r} is not an earlier transaction of the order"
            )
        if transaction.get("kind") == "REFUND" and transaction.get("refund_id") is not None:
            refund_transaction_ids[key(transaction["refund_id"])] = amount

    for refund in objects(where, order.get("refunds"), "refunds", problems):
        ids.register(where, "Refund", refund.get("id"))
        refund_where = f"{where} refund {refund.get('id')!r}"
        if not is_timestamp(refund.get("created_at")):
            problems.add(refund_where, "created_at must be RFC 3339 with an offset")
        line_subtotals: list[tuple[int, int]] = []
        refund_lines = objects(
            refund_where, refund.get("refund_line_items"), "refund_line_items", problems
        )
        for refund_line in refund_lines:
            ids.register(refund_where, "RefundLineItem", refund_line.get("id"))
            line_item_id = key(refund_line.get("line_item_id"))
            refunded = refund_line.get("quantity")
            if line_item_id not in line_ids:
                problems.add(refund_where, f"line_item_id {line_item_id!r} unknown")
            elif not is_count(refunded):
                problems.add(refund_where, "refunded quantity must be a positive integer")
            elif not 0 < refunded <= line_ids[line_item_id]:
                problems.add(refund_where, "refunded quantity exceeds the line's quantity")
            if key(refund_line.get("restock_type")) not in RESTOCK_TYPES:
                problems.add(refund_where, f"restock_type {refund_line.get('restock_type')!r}")
            location = refund_line.get("location_id")
            if location is not None and key(location) not in location_ids:
                problems.add(refund_where, f"unknown location_id {location!r}")
            line_subtotals.append(_bag(refund_where, refund_line, "subtotal", problems))
            _bag(refund_where, refund_line, "total_tax", problems)
        refund_subtotal = _bag(refund_where, refund, "subtotal", problems)
        _expect_equal(
            refund_where, "subtotal", refund_subtotal, _sum_bags(line_subtotals), problems
        )
        refund_total = _bag(refund_where, refund, "total", problems)
        _expect_equal(
            refund_where,
            "total",
            refund_total,
            _sum_bags(
                [
                    refund_subtotal,
                    _bag(refund_where, refund, "shipping", problems),
                    _bag(refund_where, refund, "total_tax", problems),
                ]
            ),
            problems,
        )
        paid_back = refund_transaction_ids.get(key(refund.get("id")))
        if paid_back is not None and paid_back[0] > refund_total[0]:
            problems.add(refund_where, "its REFUND transaction exceeds the refund total")
    return transaction_ids


class _ErpIndex:
    """The ERP reference data that journal lines and on-hand rows point at."""

    def __init__(self) -> None:
        self.subsidiaries: dict[Hashable, dict[str, Any]] = {}
        self.currencies: set[Hashable] = set()
        self.accounts: set[Hashable] = set()
        self.periods: dict[Hashable, tuple[str, str]] = {}
        self.locations: set[Hashable] = set()
        self.items: set[Hashable] = set()

    @classmethod
    def load(cls, folder: Path, problems: ValidationProblems) -> _ErpIndex:
        index = cls()
        for name, target in (
            ("currencies.json", index.currencies),
            ("accounts.json", index.accounts),
            ("locations.json", index.locations),
            ("items.json", index.items),
        ):
            for record in document_objects(folder / name, problems):
                record_id = record.get("id")
                if not isinstance(record_id, str) or not record_id.isdigit():
                    problems.add(str(folder / name), f"id {record_id!r} must be a digit string")
                if key(record_id) in target:
                    problems.add(str(folder / name), f"duplicate id {record_id!r}")
                target.add(key(record_id))
        account_numbers: set[Hashable] = set()
        for account in document_objects(folder / "accounts.json", problems):
            if key(account.get("accttype")) not in ACCOUNT_TYPES:
                problems.add(str(folder / "accounts.json"), f"accttype {account.get('accttype')!r}")
            if key(account.get("acctnumber")) in account_numbers:
                problems.add(str(folder / "accounts.json"), "duplicate acctnumber")
            account_numbers.add(key(account.get("acctnumber")))
        for subsidiary in document_objects(folder / "subsidiaries.json", problems):
            index.subsidiaries[key(subsidiary.get("id"))] = subsidiary
            if key(subsidiary.get("currency")) not in index.currencies:
                problems.add(str(folder / "subsidiaries.json"), "currency not in currencies.json")
        ranges: list[tuple[str, str]] = []
        for period in document_objects(folder / "periods.json", problems):
            where = f"{folder / 'periods.json'} period {period.get('id')!r}"
            start, end = period.get("startdate"), period.get("enddate")
            if not (is_date(start) and is_date(end) and start <= end):
                problems.add(where, "startdate/enddate must be dates with start <= end")
                continue
            if period.get("closed") and not period.get("alllocked"):
                problems.add(where, "a closed period is also locked (alllocked true)")
            if "id" not in period:
                problems.add(where, "a period needs an id")
                continue
            index.periods[key(period["id"])] = (start, end)
            ranges.append((start, end))
        ranges.sort()
        for (_, previous_end), (next_start, _) in pairwise(ranges):
            if next_start <= previous_end:
                problems.add(str(folder / "periods.json"), "posting periods overlap")
        return index


def _validate_journal_entries(path: Path, erp: _ErpIndex, problems: ValidationProblems) -> None:
    entry_ids: set[Hashable] = set()
    external_ids: set[Hashable] = set()
    for number, entry in enumerate(iter_jsonl(path), start=1):
        if problems.full:
            return
        where = f"{path}:{number} entry {entry.get('id')!r}"
        entry_id = entry.get("id")
        if not isinstance(entry_id, str) or not entry_id.isdigit():
            problems.add(where, "id must be a digit string")
        if key(entry_id) in entry_ids:
            problems.add(where, "duplicate journal entry id")
        entry_ids.add(key(entry_id))
        external_id = entry.get("externalid")
        if external_id is not None:
            if not isinstance(external_id, str) or not re.fullmatch(r"[A-Za-z0-9_-]+", external_id):
                problems.add(where, "externalid may hold only letters, digits, _ and -")
            if key(external_id) in external_ids:
                problems.add(where, f"duplicate externalid {external_id!r}")
            external_ids.add(key(external_id))
        subsidiary = erp.subsidiaries.get(key(entry.get("subsidiary")))
        if subsidiary is None:
            problems.add(where, f"unknown subsidiary {entry.get('subsidiary')!r}")
        elif entry.get("currency") != subsidiary.get("currency"):
            problems.add(where, "currency must be the subsidiary's currency")
        trandate = entry.get("trandate")
        period = erp.periods.get(key(entry.get("postingperiod")))
        if not is_date(trandate):
            problems.add(where, "trandate must be YYYY-MM-DD")
        elif period is None:
            problems.add(where, f"unknown postingperiod {entry.get('postingperiod')!r}")
        elif not period[0] <= trandate <= period[1]:
            problems.add(where, f"trandate {trandate} is outside its posting period")
        if not is_timestamp(entry.get("created")):
            problems.add(where, "created must be RFC 3339 with an offset")
        debit_total = credit_total = 0
        lines = objects(where, entry.get("lines"), "lines", problems)
        if len(lines) < 2:
            problems.add(where, "a journal entry needs at least two lines")
        for line in lines:
            line_where = f"{where} line {line.get('line')!r}"
            if key(line.get("account")) not in erp.accounts:
                problems.add(line_where, f"unknown account {line.get('account')!r}")
            debit, credit = line.get("debit"), line.get("credit")
            if (debit is None) == (credit is None):
                problems.add(line_where, "exactly one of debit and credit must be set")
                continue
            amount = cents(debit if debit is not None else credit)
            if amount is None or amount < 0:
                problems.add(line_where, "amount must be a non-negative money string")
                continue
            if debit is not None:
                debit_total += amount
            else:
                credit_total += amount
        if debit_total != credit_total:
            problems.add(
                where,
                f"unbalanced: debits {format_cents(debit_total)} != credits "
                f"{format_cents(credit_total)}",
            )


def _validate_on_hand(path: Path, erp: _ErpIndex, problems: ValidationProblems) -> None:
    seen: set[tuple[Hashable, Hashable, Hashable]] = set()
    for number, row in enumerate(iter_jsonl(path), start=1):
        if problems.full:
            return
        where = f"{path}:{number}"
        if key(row.get("item")) not in erp.items:
            problems.add(where, f"unknown item {row.get('item')!r}")
        if key(row.get("location")) not in erp.locations:
            problems.add(where, f"unknown location {row.get('location')!r}")
        if not is_date(row.get("as_of")):
            problems.add(where, "as_of must be YYYY-MM-DD")
        if not is_count(row.get("quantityonhand")):
            problems.add(where, "quantityonhand must be an integer")
        row_key = (key(row.get("item")), key(row.get("location")), key(row.get("as_of")))
        if row_key in seen:
            problems.add(where, "duplicate item/location/as_of")
        seen.add(row_key)

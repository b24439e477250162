"""The ground truth is exact: an independent oracle re-derives every discrepancy from the files.

The oracle applies the posting rules of ACCOUNTING.md to the Shopify side of a world, compares the
result with the ERP's journal entries, payouts and on-hand rows, classifies every difference the
way docs/sandbox.md ("Ground truth") defines it, and requires the derived rows to equal
`truth/discrepancies.csv` exactly (kind, shop, both references, account, variance to the cent,
business date). It runs on the hand-written tiny world and on generated worlds with a high
discrepancy rate, so any noise the generator let slip into the ledger shows up as an extra row.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from retail_sync.sandbox.generate import generate_world
from retail_sync.sandbox.world import World

TINY = Path(__file__).parent / "worlds" / "tiny"
PAYMENT_ACCOUNT = {
    "shopify_payments": "1205",
    "paypal": "1220",
    "manual": "1220",
    "gift_card": "2300",
}
UTC = ZoneInfo("UTC")
Row = tuple[
    str, str, str, str, str, str, str
]  # kind, shop, shopify_ref, erp_ref, account, variance, date


def cents(text: str | None) -> int:
    if text is None:
        return 0
    negative = text.startswith("-")
    whole, _, fraction = text.lstrip("-").partition(".")
    value = int(whole) * 100 + int(fraction or 0)
    return -value if negative else value


def money(value: int) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}{abs(value) // 100}.{abs(value) % 100:02d}"


def local_date(stamp: str, zone: ZoneInfo) -> str:
    return datetime.fromisoformat(stamp).astimezone(zone).date().isoformat()


class Expected:
    """An entry the rules say the ledger should hold: per-account net debit (debit - credit)."""

    def __init__(
        self,
        shop: str,
        kind: str,
        token: str,
        record_id: int,
        trandate: str,
        processed_at: str = "",
    ) -> None:
        self.shop, self.kind, self.token = shop, kind, token
        self.externalid = f"shopify-{shop}-{kind}-{record_id}"
        self.trandate = trandate
        self.processed_at = processed_at  # orders only: their business date may differ
        self.net: dict[str, int] = defaultdict(int)

    def debit(self, account: str, amount: int) -> None:
        self.net[account] += amount

    def credit(self, account: str, amount: int) -> None:
        self.net[account] -= amount

    def transfer(self, debit: str, credit: str, amount: int) -> None:
        self.debit(debit, amount)
        self.credit(credit, amount)

    @property
    def total(self) -> int:
        return sum(amount for amount in self.net.values() if amount > 0)


# Per balance transaction type: the entry kind, the accounts debited and credited, and which
# amount is booked ("fee", "net" or "-net").
BALANCE_RULES = {
    "CHARGE": ("fee", "6100", "1205", "fee"),
    "REFUND": ("fee", "6100", "1205", "fee"),
    "ADJUSTMENT": ("fee", "6100", "1205", "-net"),
    "DISPUTE": ("dispute", "6150", "1205", "-net"),
    "ADJUSTMENT_REVERSAL": ("dispute-won", "1205", "6150", "net"),
    "RESERVED_FUNDS": ("reserve", "1210", "1205", "-net"),
    "RESERVED_FUNDS_REVERSAL": ("reserve-release", "1205", "1210", "net"),
}
PAYOUT_POSTED = ("PAID", "FAILED")


def expected_entries(world: World) -> tuple[list[Expected], list[Row], set[str]]:
    """Expected entries, Shopify-side payout mismatches, and every Shopify token that exists."""
    entries: list[Expected] = []
    rows: list[Row] = []
    tokens: set[str] = set()
    for shop in world.shops:
        shop_id, zone = shop["id"], ZoneInfo(shop["timezone"])
        for order in world.shop_records(shop_id, "orders.jsonl"):
            posted = order_entries(shop_id, zone, order)
            tokens.add(f"shopify:order:{order['id']}")
            tokens.update(entry.token for entry in posted)
            entries += posted
        balances = list(world.shop_records(shop_id, "balance_transactions.jsonl"))
        tokens.update(f"shopify:balance_transaction:{balance['id']}" for balance in balances)
        entries += [
            entry for balance in balances if (entry := balance_entry(shop_id, zone, balance))
        ]
        paid_out = payout_sums(balances)
        for payout in world.shop_records(shop_id, "payouts.jsonl"):
            tokens.add(f"shopify:payout:{payout['id']}")
            rows += payout_mismatch(shop_id, payout, paid_out.get(payout["id"], 0))
            entries += payout_entries(shop_id, payout)
    return entries, rows, tokens


def order_entries(shop_id: str, zone: ZoneInfo, order: dict[str, Any]) -> list[Expected]:
    """The order's entry and one per refund; none for a test order or one never paid."""
    paid = [
        tx
        for tx in order["transactions"]
        if tx["kind"] in ("SALE", "CAPTURE") and tx["status"] == "SUCCESS"
    ]
    if order["test"] or not paid:
        return []
    entry = Expected(
        shop_id,
        "order",
        f"shopify:order:{order['id']}",
        order["id"],
        local_date(order["processed_at"], zone),
        processed_at=order["processed_at"],
    )
    for tx in paid:
        entry.debit(PAYMENT_ACCOUNT[tx["gateway"]], cents(tx["amount"]["shop"]))
    entry.debit("4050", cents(order["total_discounts"]["shop"]))
    for line in order["line_items"]:
        account = "2300" if line.get("gift_card") else "4000"
        entry.credit(account, cents(line["total"]["shop"]))
    entry.credit("4100", cents(order["total_shipping"]["shop"]))
    entry.credit("2200", cents(order["total_tax"]["shop"]))
    gateways = {tx.get("refund_id"): tx["gateway"] for tx in order["transactions"]}
    return [entry, *(refund_entry(shop_id, zone, refund, gateways) for refund in order["refunds"])]


def refund_entry(
    shop_id: str, zone: ZoneInfo, refund: dict[str, Any], gateways: dict[Any, str]
) -> Expected:
    entry = Expected(
        shop_id,
        "refund",
        f"shopify:refund:{refund['id']}",
        refund["id"],
        local_date(refund["created_at"], zone),
    )
    entry.debit("4090", cents(refund["subtotal"]["shop"]))
    entry.debit("4100", cents(refund["shipping"]["shop"]))
    entry.debit("2200", cents(refund["total_tax"]["shop"]))
    entry.credit(PAYMENT_ACCOUNT[gateways[refund["id"]]], cents(refund["total"]["shop"]))
    return entry


def balance_entry(shop_id: str, zone: ZoneInfo, balance: dict[str, Any]) -> Expected | None:
    """The entry for a balance transaction's fee, dispute or reserve; None if nothing is due."""
    if balance["test"]:
        return None
    entry_kind, debit, credit, booked = BALANCE_RULES[balance["type"]]
    fee, net = cents(balance["fee"]), cents(balance["net"])
    amount = {"fee": fee, "net": net, "-net": -net}[booked]
    if amount == 0:
        return None
    entry = Expected(
        shop_id,
        entry_kind,
        f"shopify:balance_transaction:{balance['id']}",
        balance["id"],
        local_date(balance["transaction_date"], zone),
    )
    entry.transfer(debit, credit, amount)
    return entry


def payout_sums(balances: list[dict[str, Any]]) -> dict[int, int]:
    """Σ net of the (non-test) balance transactions in each payout."""
    sums: dict[int, int] = defaultdict(int)
    for balance in balances:
        if not balance["test"] and balance["payout_id"] is not None:
            sums[balance["payout_id"]] += cents(balance["net"])
    return sums


def payout_mismatch(shop_id: str, payout: dict[str, Any], paid_out: int) -> list[Row]:
    """A payout_balance_mismatch row if the payout's net is not what its transactions sum to."""
    net = cents(payout["net"])
    if net == paid_out:
        return []
    posted = payout["status"] in PAYOUT_POSTED
    externalid = f"shopify-{shop_id}-payout-{payout['id']}" if posted else ""
    issued = local_date(payout["issued_at"], UTC)
    token = f"shopify:payout:{payout['id']}"
    return [
        ("payout_balance_mismatch", shop_id, token, externalid, "", money(net - paid_out), issued)
    ]


def payout_entries(shop_id: str, payout: dict[str, Any]) -> list[Expected]:
    """The bank deposit of a PAID or FAILED payout, and for a FAILED one its reversal."""
    if payout["status"] not in PAYOUT_POSTED:
        return []
    token, net = f"shopify:payout:{payout['id']}", cents(payout["net"])
    deposit = Expected(shop_id, "payout", token, payout["id"], local_date(payout["issued_at"], UTC))
    deposit.transfer("1000", "1205", net)
    if payout["status"] != "FAILED":
        return [deposit]
    failed_at = local_date(payout["failed_at"], UTC)
    reversal = Expected(shop_id, "payout-failed", token, payout["id"], failed_at)
    reversal.transfer("1205", "1000", net)
    return [deposit, reversal]


MISSING_KIND = {
    "order": "order_missing_in_erp",
    "refund": "refund_missing_in_erp",
    "fee": "fee_missing_in_erp",
    "payout": "payout_deposit_missing",
}
DUPLICATE_KIND = {"order": "order_duplicate_posting", "fee": "fee_duplicate_posting"}


def classify_amounts(expected: Expected, diff: dict[str, int]) -> tuple[str, str, int]:
    """(kind, account, variance) of an amount difference, per docs/sandbox.md."""
    accounts = set(diff)
    clearing = next((a for a in ("1205", "1220") if a in expected.net), "1205")
    if expected.kind == "order":
        if accounts == {"2200", clearing}:
            return "order_tax_mismatch", "2200", -diff["2200"]
        if accounts == {"4100", clearing}:
            return "order_shipping_mismatch", "4100", -diff["4100"]
        if accounts == {"4050", clearing}:
            return "order_discount_mismatch", "4050", diff["4050"]
        if accounts == {"4000", "7950"}:
            return "order_rounding_difference", "4000", -diff["4000"]
        if accounts == {clearing, "7900"}:
            return "order_fx_difference", clearing, diff[clearing]
    if expected.kind == "refund" and accounts == {"4090", clearing}:
        return "refund_amount_mismatch", clearing, -diff[clearing]
    if expected.kind == "payout" and accounts == {"1000", "1205"}:
        return "payout_deposit_amount_mismatch", "1000", diff["1000"]
    raise AssertionError(f"unexplained difference {diff} in {expected.externalid}")


def derive_truth(root: Path) -> set[Row]:
    world = World.open(root)
    accounts = {a["id"]: a["acctnumber"] for a in world.erp_records("accounts.json")}
    entries_by_token = erp_entries_by_token(world)
    expected, rows, tokens = expected_entries(world)
    derived: set[Row] = set(rows)
    consumed: set[str] = set()
    for entry in expected:
        candidates = [
            actual
            for actual in entries_by_token.get(entry.token, [])
            if actual["externalid"] in (entry.externalid, None)
        ]
        consumed.update(actual["id"] for actual in candidates)
        derived |= compare_entry(entry, candidates, accounts, business_date(world, entry))
    derived |= orphan_rows(world, entries_by_token, consumed, tokens)
    derived |= inventory_rows(world)
    return derived


def erp_entries_by_token(world: World) -> dict[str, list[dict[str, Any]]]:
    """The ERP's journal entries by the Shopify token their memo ends with."""
    entries_by_token: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in world.erp_records("journal_entries.jsonl"):
        token = entry["memo"].split()[-1]
        assert all(line["memo"] == token for line in entry["lines"]), entry["id"]
        entries_by_token[token].append(entry)
    return entries_by_token


def business_date(world: World, entry: Expected) -> str:
    """An order's business date is its local processing date, even if it was posted on another."""
    if entry.kind != "order":
        return entry.trandate
    return local_date(entry.processed_at, ZoneInfo(world.shop(entry.shop)["timezone"]))


def compare_entry(
    entry: Expected, candidates: list[dict[str, Any]], accounts: dict[str, str], business: str
) -> set[Row]:
    """What is wrong with how `entry` was posted: missing, duplicated, amounts, or date."""

    def row(kind: str, erp_ref: str, account: str, variance: str) -> Row:
        return (kind, entry.shop, entry.token, erp_ref, account, variance, business)

    if not candidates:
        return {row(MISSING_KIND[entry.kind], "", "", money(-entry.total))}
    originals = [a for a in candidates if a["externalid"] == entry.externalid]
    assert len(originals) == 1, (entry.externalid, candidates)
    original = originals[0]
    rows = {
        row(DUPLICATE_KIND[entry.kind], duplicate["id"], "", money(debit_total(duplicate)))
        for duplicate in candidates
        if duplicate["externalid"] is None
    }
    diff = amount_difference(entry, original, accounts)
    if diff:
        kind, account, variance = classify_amounts(entry, diff)
        rows.add(row(kind, entry.externalid, account, money(variance)))
    if original["trandate"] != entry.trandate:
        assert entry.kind == "order", original
        assert original["trandate"] == local_date(entry.processed_at, UTC)
        rows.add(row("order_wrong_period", entry.externalid, "", "0.00"))
    return rows


def amount_difference(
    entry: Expected, original: dict[str, Any], accounts: dict[str, str]
) -> dict[str, int]:
    """Per account number, the posted net debit minus the expected one, where they differ."""
    actual_net: dict[str, int] = defaultdict(int)
    for line in original["lines"]:
        actual_net[accounts[line["account"]]] += cents(line["debit"]) - cents(line["credit"])
    return {
        account: actual_net.get(account, 0) - entry.net.get(account, 0)
        for account in set(actual_net) | set(entry.net)
        if actual_net.get(account, 0) != entry.net.get(account, 0)
    }


def debit_total(actual: dict[str, Any]) -> int:
    return sum(cents(line["debit"]) for line in actual["lines"])


def orphan_rows(
    world: World,
    entries_by_token: dict[str, list[dict[str, Any]]],
    consumed: set[str],
    tokens: set[str],
) -> set[Row]:
    """ERP entries no expected entry accounts for, whose token Shopify does not have."""
    shop_of_subsidiary = {s["id"]: s["shop_id"] for s in world.erp_records("subsidiaries.json")}
    rows: set[Row] = set()
    for token, actuals in entries_by_token.items():
        for actual in actuals:
            if actual["id"] in consumed:
                continue
            assert token not in tokens, f"unexplained extra entry {actual['id']} for {token}"
            rows.add(
                (
                    "orphan_erp_entry",
                    shop_of_subsidiary[actual["subsidiary"]],
                    "",
                    actual["externalid"] or actual["id"],
                    "",
                    money(debit_total(actual)),
                    actual["trandate"],
                )
            )
    return rows


def inventory_rows(world: World) -> set[Row]:
    rows: set[Row] = set()
    erp_items = {i["id"]: i["itemid"] for i in world.erp_records("items.json")}
    erp_locations = {loc["id"]: loc["name"] for loc in world.erp_records("locations.json")}
    history: dict[tuple[str, str], list[tuple[datetime, int, str, int, int]]] = defaultdict(list)
    zones: dict[str, ZoneInfo] = {}
    for shop in world.shops:
        zones[shop["id"]] = ZoneInfo(shop["timezone"])
        skus = {i["id"]: i["sku"] for i in world.shop_records(shop["id"], "inventory_items.json")}
        names = {loc["id"]: loc["name"] for loc in world.shop_records(shop["id"], "locations.json")}
        for level in world.shop_records(shop["id"], "inventory_levels.jsonl"):
            key = (skus[level["inventory_item_id"]], names[level["location_id"]])
            history[key].append(
                (
                    datetime.fromisoformat(level["at"]),
                    level["quantities"]["on_hand"],
                    shop["id"],
                    level["inventory_item_id"],
                    level["location_id"],
                )
            )
    for row in world.erp_records("inventory_on_hand.jsonl"):
        key = (erp_items[row["item"]], erp_locations[row["location"]])
        lines = history[key]
        zone = zones[lines[0][2]]
        day_end = datetime.combine(
            date.fromisoformat(row["as_of"]) + timedelta(days=1), time(0), tzinfo=zone
        )
        state = [line for line in lines if line[0] < day_end]
        _, on_hand, shop_id, item_id, location_id = max(state, key=lambda line: line[0])
        if row["quantityonhand"] != on_hand:
            rows.add(
                (
                    "inventory_on_hand_mismatch",
                    shop_id,
                    f"shopify:inventory_level:{item_id}:{location_id}",
                    f"inventory:{row['item']}:{row['location']}",
                    "",
                    str(row["quantityonhand"] - on_hand),
                    row["as_of"],
                )
            )
    return rows


def truth_rows(root: Path) -> set[Row]:
    with (root / "truth" / "discrepancies.csv").open(newline="", encoding="utf-8") as handle:
        return {
            (
                r["kind"],
                r["shop_id"],
                r["shopify_ref"],
                r["erp_ref"],
                r["account"],
                r["expected_variance"],
                r["business_date"],
            )
            for r in csv.DictReader(handle)
        }


def assert_truth_is_exact(root: Path) -> None:
    derived, truth = derive_truth(root), truth_rows(root)
    assert not derived - truth, (
        f"differences the truth does not record: {sorted(derived - truth)[:5]}"
    )
    assert not truth - derived, f"truth rows the world does not show: {sorted(truth - derived)[:5]}"


def test_tiny_world_truth_is_exact() -> None:
    assert_truth_is_exact(TINY)


@pytest.mark.parametrize("seed", [3, 11])
def test_generated_truth_is_exact(tmp_path: Path, seed: int) -> None:
    out = tmp_path / "world"
    generate_world(
        out,
        seed=seed,
        start=date(2026, 10, 27),
        days=8,
        orders_per_day=60,
        shops=3,
        discrepancy_rate=0.3,
    )
    assert_truth_is_exact(out)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_truth_is_exact_on_month_long_default_worlds(tmp_path: Path, seed: int) -> None:
    """The reconciliation acceptance setting: 30 days, default shops and rate, three seeds."""
    out = tmp_path / "world"
    summary = generate_world(out, seed=seed, start=date(2026, 10, 15), days=30, orders_per_day=150)
    assert sum(summary.discrepancies.values()) > 50
    assert_truth_is_exact(out)

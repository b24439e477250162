"""The hand-written reconciliation worlds are valid, their truth is exact, and they show what
their names promise.

Every world under `worlds/` passes the validator, and (except `payout_split_deposit`, whose split
deposit the oracle does not read) the independent oracle of `test_generate_truth.py` re-derives
exactly its `truth/discrepancies.csv`. Each discrepancy kind has a world holding that one
discrepancy and nothing else; the clean worlds hold none. The committed files are exactly what
`worlds/build.py` writes. No servers; the whole module runs in about a second.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from retail_sync.sandbox.validate import DISCREPANCY_DOMAINS, validate_world
from retail_sync.sandbox.world import World
from retail_sync_tests.reconcile.worlds import build
from retail_sync_tests.sandbox.test_generate_truth import derive_truth, truth_rows

WORLDS = Path(__file__).parent / "worlds"
WORLD_DIRS = sorted(path.parent for path in WORLDS.glob("*/world.json"))
SPLIT = WORLDS / "payout_split_deposit"
CLEAN = [
    "clean_base",
    "clean_partial_refund",
    "clean_multi_currency",
    "payout_split_deposit",
    "timezone_cutoff",
    "no_activity_day",
]
KINDS = sorted(DISCREPANCY_DOMAINS)
UTC = ZoneInfo("UTC")


def by_name(paths: list[Path]) -> list[Any]:
    return [pytest.param(path, id=path.name) for path in paths]


def orders(world: World) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [
        (shop, order)
        for shop in world.shops
        for order in world.shop_records(shop["id"], "orders.jsonl")
    ]


def local_date(stamp: str, zone: str) -> str:
    return datetime.fromisoformat(stamp).astimezone(ZoneInfo(zone)).date().isoformat()


def utc_date(stamp: str) -> str:
    return datetime.fromisoformat(stamp).astimezone(UTC).date().isoformat()


def test_every_promised_world_exists() -> None:
    assert {path.name for path in WORLD_DIRS} == set(KINDS) | set(CLEAN)


@pytest.mark.parametrize("root", by_name(WORLD_DIRS))
def test_world_validates(root: Path) -> None:
    assert validate_world(root) == []


@pytest.mark.parametrize("root", by_name([path for path in WORLD_DIRS if path != SPLIT]))
def test_truth_is_exactly_what_the_oracle_derives(root: Path) -> None:
    assert derive_truth(root) == truth_rows(root)


@pytest.mark.parametrize("kind", KINDS)
def test_single_kind_world_holds_exactly_that_discrepancy(kind: str) -> None:
    rows = truth_rows(WORLDS / kind)
    assert [row[0] for row in rows] == [kind]


@pytest.mark.parametrize("name", CLEAN)
def test_clean_world_has_an_empty_truth(name: str) -> None:
    text = (WORLDS / name / "truth" / "discrepancies.csv").read_text(encoding="utf-8")
    assert text.splitlines() == [",".join(build.TRUTH_HEADER)]


def test_committed_worlds_are_what_the_builder_writes(tmp_path: Path) -> None:
    build.write_all(tmp_path)
    for built in sorted(tmp_path.iterdir()):
        committed = WORLDS / built.name
        built_files = {p.relative_to(built) for p in built.rglob("*") if p.is_file()}
        committed_files = {p.relative_to(committed) for p in committed.rglob("*") if p.is_file()}
        assert built_files == committed_files, built.name
        for relative in sorted(built_files):
            assert (built / relative).read_bytes() == (committed / relative).read_bytes(), (
                f"{built.name}/{relative} differs from build.py's output; "
                "run python -m retail_sync_tests.reconcile.worlds.build"
            )
    assert {p.name for p in tmp_path.iterdir()} == {p.name for p in WORLD_DIRS}


def test_partial_refund_returns_some_lines_and_some_shipping() -> None:
    world = World.open(WORLDS / "clean_partial_refund")
    refunded = [
        (order, refund)
        for _, order in orders(world)
        for refund in order["refunds"]
        if order["financial_status"] == "PARTIALLY_REFUNDED"
    ]
    assert refunded
    for order, refund in refunded:
        quantities = {line["id"]: line["quantity"] for line in order["line_items"]}
        returned = {line["line_item_id"]: line["quantity"] for line in refund["refund_line_items"]}
        assert sum(returned.values()) < sum(quantities.values())
        shipping = build.to_cents(refund["shipping"]["shop"])
        assert 0 < shipping < build.to_cents(order["total_shipping"]["shop"])


def test_multi_currency_orders_are_posted_in_the_shop_currency() -> None:
    world = World.open(WORLDS / "clean_multi_currency")
    foreign = [order for _, order in orders(world) if order["presentment_currency"] != "EUR"]
    assert {order["presentment_currency"] for order in foreign} == {"GBP", "CHF"}
    entries = {e["externalid"]: e for e in world.erp_records("journal_entries.jsonl")}
    for order in foreign:
        total = order["total_price"]
        assert total["shop"] != total["presentment"]
        entry = entries[f"shopify-alpen-supply-order-{order['id']}"]
        clearing = [line["debit"] for line in entry["lines"] if line["account"] == "110"]
        assert clearing == [total["shop"]]


def test_timezone_cutoff_orders_straddle_midnight_utc() -> None:
    world = World.open(WORLDS / "timezone_cutoff")
    later_in_utc: dict[str, list[str]] = defaultdict(list)
    earlier_in_utc: dict[str, list[str]] = defaultdict(list)
    month_crossings = 0
    for shop, order in orders(world):
        local = local_date(order["processed_at"], shop["timezone"])
        utc = utc_date(order["processed_at"])
        if utc > local:
            later_in_utc[shop["timezone"]].append(order["name"])
        if utc < local:
            earlier_in_utc[shop["timezone"]].append(order["name"])
        month_crossings += utc[:7] != local[:7]
    assert later_in_utc["America/New_York"]
    assert earlier_in_utc["Europe/Berlin"]
    assert month_crossings >= 2


def test_no_activity_day_has_no_activity_but_has_inventory() -> None:
    world = World.open(WORLDS / "no_activity_day")
    (shop,) = world.shops
    quiet = "2026-10-14"
    zone = shop["timezone"]
    assert all(
        local_date(order["processed_at"], zone) != quiet
        and all(local_date(r["created_at"], zone) != quiet for r in order["refunds"])
        for _, order in orders(world)
    )
    assert all(
        local_date(balance["transaction_date"], zone) != quiet
        and utc_date(balance["transaction_date"]) != quiet
        for balance in world.shop_records(shop["id"], "balance_transactions.jsonl")
    )
    assert all(
        payout["issued_at"][:10] != quiet and payout["batch_date"] != quiet
        for payout in world.shop_records(shop["id"], "payouts.jsonl")
    )
    assert all(e["trandate"] != quiet for e in world.erp_records("journal_entries.jsonl"))
    on_hand = [r for r in world.erp_records("inventory_on_hand.jsonl") if r["as_of"] == quiet]
    assert len(on_hand) == 2


def test_split_deposit_parts_sum_to_the_payout_net() -> None:
    world = World.open(SPLIT)
    paid = [
        payout
        for payout in world.shop_records("north-outfitters", "payouts.jsonl")
        if payout["status"] == "PAID"
    ]
    assert len(paid) == 1
    payout = paid[0]
    token = f"shopify:payout:{payout['id']}"
    parts = [e for e in world.erp_records("journal_entries.jsonl") if e["memo"].endswith(token)]
    externalid = f"shopify-north-outfitters-payout-{payout['id']}"
    assert [part["externalid"] for part in parts] == [externalid, f"{externalid}-2"]
    assert all(line["memo"] == token for part in parts for line in part["lines"])
    bank = [
        build.to_cents(line["debit"])
        for part in parts
        for line in part["lines"]
        if line["account"] == "101"
    ]
    assert len(bank) == 2
    assert all(amount > 0 for amount in bank)
    assert sum(bank) == build.to_cents(payout["net"])
    assert {part["trandate"] for part in parts} == {payout["issued_at"][:10]}


def test_split_deposit_merged_back_is_clean_for_the_oracle(tmp_path: Path) -> None:
    """Joining the two parts into one entry gives a world the oracle finds clean, so the split
    is the only thing the oracle cannot read."""
    root = tmp_path / "merged"
    shutil.copytree(SPLIT, root)
    path = root / "erp" / "journal_entries.jsonl"
    entries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    parts = [
        e for e in entries if (e["externalid"] or "").startswith("shopify-north-outfitters-payout-")
    ]
    first, second = parts
    total = sum(build.to_cents(line["debit"] or "0") for part in parts for line in part["lines"])
    first["lines"][0]["debit"] = build.money(total)
    first["lines"][1]["credit"] = build.money(total)
    entries.remove(second)
    path.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    assert validate_world(root) == []
    assert derive_truth(root) == truth_rows(root) == set()

"""The hand-written tiny world loads and validates, covers the cases it promises, and the
validator reports broken worlds (bad money, broken identities, unbalanced or dangling journals,
duplicate ids, unrecorded payout differences) with the file, line and record in the message.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from retail_sync.sandbox.validate import validate_world
from retail_sync.sandbox.world import World, WorldFormatError

TINY = Path(__file__).parent / "worlds" / "tiny"


def test_tiny_world_validates() -> None:
    assert validate_world(TINY) == []
    assert World.open(TINY).problems() == []


def test_tiny_world_covers_the_promised_cases() -> None:
    world = World.open(TINY)
    assert [shop["currency"] for shop in world.shops] == ["USD", "EUR"]
    orders = [
        order for shop in world.shops for order in world.shop_records(shop["id"], "orders.jsonl")
    ]
    assert any(order["test"] for order in orders)
    assert any(order["financial_status"] == "PARTIALLY_REFUNDED" for order in orders)
    assert any(order["financial_status"] == "VOIDED" for order in orders)
    assert any(order["presentment_currency"] != order["currency"] for order in orders)
    gateways = {tx["gateway"] for order in orders for tx in order["transactions"]}
    assert {"shopify_payments", "paypal", "gift_card"} <= gateways
    types = {
        balance["type"]
        for shop in world.shops
        for balance in world.shop_records(shop["id"], "balance_transactions.jsonl")
    }
    assert {"CHARGE", "REFUND", "DISPUTE", "RESERVED_FUNDS"} <= types
    periods = list(world.erp_records("periods.json"))
    assert any(period["closed"] for period in periods)
    assert world.truth_path.read_text().count("\n") >= 3


def broken_copy(tmp_path: Path, relative: str, change: Callable[[list[Any]], None]) -> Path:
    """Copy the tiny world and apply `change` to the records of one file."""
    root = tmp_path / "tiny"
    shutil.copytree(TINY, root)
    path = root / relative
    if relative.endswith(".jsonl"):
        records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        change(records)
        path.write_text("".join(json.dumps(record) + "\n" for record in records))
    else:
        document = json.loads(path.read_text())
        change(document)
        path.write_text(json.dumps(document))
    return root


def _set(path: list[Any], value: Any) -> Callable[[list[Any]], None]:
    def change(records: list[Any]) -> None:
        target = records
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("relative", "change", "message"),
    [
        (
            "shopify/north-outfitters/orders.jsonl",
            _set([0, "total_price", "shop"], 58.6),
            "is not a money string",
        ),
        (
            "shopify/north-outfitters/orders.jsonl",
            _set([0, "total_tax", "shop"], "3.70"),
            "total_tax is shop 3.70",
        ),
        (
            "shopify/north-outfitters/orders.jsonl",
            _set([1, "id"], 1000001),
            "duplicate Order id 1000001",
        ),
        (
            "shopify/north-outfitters/orders.jsonl",
            _set([0, "processed_at"], "2026-10-31T10:05:00"),
            "processed_at must be RFC 3339",
        ),
        (
            "shopify/alpen-supply/balance_transactions.jsonl",
            _set([0, "net"], "33.00"),
            "net 33.00 != amount - fee",
        ),
        (
            "shopify/alpen-supply/payouts.jsonl",
            _set([1, "net"], "30.00"),
            "differs from the sum of its balance transactions",
        ),
        ("erp/journal_entries.jsonl", _set([0, "lines", 0, "debit"], "58.61"), "unbalanced"),
        ("erp/journal_entries.jsonl", _set([0, "lines", 0, "account"], "999"), "unknown account"),
        (
            "erp/journal_entries.jsonl",
            _set([0, "trandate"], "2026-11-01"),
            "outside its posting period",
        ),
        ("erp/periods.json", _set([0, "alllocked"], False), "closed period is also locked"),
    ],
)
def test_validator_reports_broken_worlds(
    tmp_path: Path, relative: str, change: Callable[[list[Any]], None], message: str
) -> None:
    problems = validate_world(broken_copy(tmp_path, relative, change))
    assert any(message in problem for problem in problems), problems
    assert all(":" in problem for problem in problems)


def test_validator_reports_a_missing_file(tmp_path: Path) -> None:
    root = tmp_path / "tiny"
    shutil.copytree(TINY, root)
    (root / "erp" / "accounts.json").unlink()
    assert any("accounts.json: missing" in problem for problem in validate_world(root))


@pytest.mark.parametrize("version", [3, 0, True, "2", None])
def test_loader_rejects_an_unknown_format_version(tmp_path: Path, version: Any) -> None:
    root = broken_copy(tmp_path, "world.json", _set(["format_version"], version))
    with pytest.raises(WorldFormatError, match=r"format_version .* is not 1 or 2"):
        World.open(root)
    assert any("format_version must be 1 or 2" in problem for problem in validate_world(root))


def test_loader_accepts_a_version_1_world_and_reads_its_truth(tmp_path: Path) -> None:
    """The tiny world as version 1 wrote it (no counter_account, no lines file, no refund with
    `refund_shipping_lines`) opens, validates, and its truth reads with empty counter accounts."""
    from retail_sync_tests.sandbox.test_world_format_1 import format_1_copy

    root = format_1_copy(TINY, tmp_path / "tiny-v1")
    world = World.open(root)
    assert world.format_version == 1
    assert validate_world(root) == []
    records = world.truth_records()
    assert len(records) == len(World.open(TINY).truth_records()) == 7
    assert {record["counter_account"] for record in records} == {""}
    assert world.truth_line_records() is None
    assert World.open(TINY).truth_line_records()  # version 2 has its lines

"""Item costs in the sandbox (issue 15): the simulators serve them, the validator checks them.

Shopify's `InventoryItem.unitCost` (a nullable MoneyV2 in the shop's currency) and NetSuite's
`item.cost` (Purchase Price) and `item.averagecost` (Average Cost), over the hand-written world of
retail_sync_tests/sandbox/inventory_cost_world.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from retail_sync.sandbox.netsuite.store import LedgerStore
from retail_sync.sandbox.serving import RunningServer
from retail_sync.sandbox.shopify import start_shopify_simulator
from retail_sync.sandbox.validate import validate_world
from retail_sync.sandbox.world import World
from retail_sync_tests.sandbox.inventory_cost_world import write_cost_world
from retail_sync_tests.sandbox.shopify_fixtures import graphql


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_cost_world(tmp_path_factory.mktemp("costs") / "world")


@pytest.fixture(scope="module")
def shopify(world: Path) -> Iterator[RunningServer]:
    running = start_shopify_simulator(world)
    yield running
    running.stop()


def _clock() -> datetime:
    return datetime(2026, 10, 2, tzinfo=UTC)


def test_the_world_is_valid(world: Path) -> None:
    assert validate_world(world) == []


def test_shopify_serves_unit_cost_as_money_in_the_shop_currency_or_null(
    shopify: RunningServer,
) -> None:
    body = graphql(
        shopify,
        """{ locations(first: 5) { nodes { inventoryLevels(first: 20) { nodes {
             item { sku unitCost { amount currencyCode } } } } } } }""",
    ).json()
    assert "errors" not in body, body
    levels = body["data"]["locations"]["nodes"][0]["inventoryLevels"]["nodes"]
    costs = {level["item"]["sku"]: level["item"]["unitCost"] for level in levels}
    assert costs == {
        "TENT-2P": {"amount": "84.2", "currencyCode": "USD"},  # Shopify's Decimal rendering
        "LAMP-HD": {"amount": "11.4", "currencyCode": "USD"},
        "MAT-1": None,
        "STOVE": None,
        "CUP": {"amount": "3.1", "currencyCode": "USD"},
    }


def test_netsuite_serves_both_item_costs_null_left_out(world: Path, tmp_path: Path) -> None:
    store = LedgerStore(tmp_path / "netsuite.duckdb", World.open(world), _clock)
    try:
        page = store.suiteql("SELECT itemid, cost, averagecost FROM item ORDER BY id", 100, 0)
    finally:
        store.close()
    assert [{k: v for k, v in item.items() if k != "links"} for item in page.items] == [
        {"itemid": "TENT-2P", "cost": "84.00", "averagecost": "83.955"},
        {"itemid": "LAMP-HD"},
        {"itemid": "MAT-1"},
        {"itemid": "STOVE", "cost": "30.00"},
        {"itemid": "FUEL", "averagecost": "2.5"},
    ]


def test_a_state_seeded_before_average_cost_gains_the_column(world: Path, tmp_path: Path) -> None:
    path = tmp_path / "netsuite.duckdb"
    LedgerStore(path, World.open(world), _clock).close()
    with duckdb.connect(str(path)) as con:  # as an older simulator left it
        con.execute('ALTER TABLE "item" DROP COLUMN averagecost')
    store = LedgerStore(path, None, _clock)
    try:
        page = store.suiteql("SELECT itemid, cost, averagecost FROM item WHERE id = 501", 10, 0)
    finally:
        store.close()
    assert [{k: v for k, v in item.items() if k != "links"} for item in page.items] == [
        {"itemid": "TENT-2P", "cost": "84.00"}
    ]


def _rewrite(path: Path, change: Any) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "field", "value", "problem"),
    [
        (
            "shopify/north-outfitters/inventory_items.json",
            "unit_cost",
            "-1.00",
            "item 80001: unit_cost '-1.00' must be null or a non-negative decimal string of at "
            'most 2 decimals like "84.20"',
        ),
        (
            "shopify/north-outfitters/inventory_items.json",
            "unit_cost",
            84.2,
            "item 80001: unit_cost 84.2 must be null or a non-negative decimal string of at "
            'most 2 decimals like "84.20"',
        ),
        (
            "erp/items.json",
            "cost",
            "84.205",
            "item '501': cost '84.205' must be null or a non-negative decimal string of at most "
            '2 decimals like "84.20"',
        ),
        (
            "erp/items.json",
            "averagecost",
            "83.1234567",
            "item '501': averagecost '83.1234567' must be null or a non-negative decimal string "
            'of at most 6 decimals like "84.2035"',
        ),
        (
            "erp/items.json",
            "averagecost",
            "12,50",
            "item '501': averagecost '12,50' must be null or a non-negative decimal string of at "
            'most 6 decimals like "84.2035"',
        ),
    ],
)
def test_a_bad_cost_is_a_clear_finding(
    tmp_path: Path, file: str, field: str, value: object, problem: str
) -> None:
    root = write_cost_world(tmp_path / "world")
    _rewrite(root / file, lambda items: items[0].__setitem__(field, value))
    assert validate_world(root) == [f"{root / file} {problem}"]


def test_costs_the_ledger_can_hold_are_valid(tmp_path: Path) -> None:
    root = write_cost_world(tmp_path / "world")

    def costs(items: list[dict[str, Any]]) -> None:
        items[0].update(cost="0.00", averagecost="0")
        items[1].update(cost=None, averagecost="999999999999.999999")

    _rewrite(root / "erp" / "items.json", costs)
    _rewrite(
        root / "shopify" / "north-outfitters" / "inventory_items.json",
        lambda items: items[0].update(unit_cost="0.5"),
    )
    assert validate_world(root) == []

"""Inventory valued (issue 15): Shopify's `InventoryItem.unitCost` and the ERP item's cost land,
and `recon.inventory_matches` values each side's on-hand at the item's cost.

The world is hand-written (retail_sync_tests/sandbox/inventory_cost_world.py) and read through
both simulators into a lake, the way the nightly assets read it. The expected values below are
worked out by hand from that world's table, not from the SQL.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from retail_sync.reconcile.engine import reconciliation_connection
from retail_sync.shops import ShopSettings
from retail_sync.warehouse.lake import Lake
from retail_sync_tests.reconcile.harness import land_world
from retail_sync_tests.sandbox.inventory_cost_world import DAY, SHOP, write_cost_world

D = Decimal
COST_COLUMNS = ("unit_cost", "unit_cost_currency")
# sku -> (shopify_on_hand, erp_on_hand, unit_cost, cost_source, cost_currency,
#         shopify_value, erp_value)
EXPECTED = {
    # ERP average cost 83.955 wins over its purchase price and Shopify's 84.20; to the cent.
    "TENT-2P": (20, D("18"), D("83.96"), "erp", "USD", D("1679.20"), D("1511.28")),
    # No ERP cost: Shopify's.
    "LAMP-HD": (40, D("40"), D("11.40"), "shopify", "USD", D("456.00"), D("456.00")),
    # Neither side has a cost.
    "MAT-1": (7, D("9"), None, None, None, None, None),
    # The ERP's purchase price when it has no average cost.
    "STOVE": (3, D("3"), D("30.00"), "erp", "USD", D("90.00"), D("90.00")),
    # Only the ERP has the item: Shopify's side is valued 0.
    "FUEL": (None, D("12"), D("2.50"), "erp", "USD", D("0.00"), D("30.00")),
    # Only Shopify has the item.
    "CUP": (5, None, D("3.10"), "shopify", "USD", D("15.50"), D("0.00")),
}
MATCH_COLUMNS = (
    "shopify_on_hand, erp_on_hand, unit_cost, cost_source, cost_currency, shopify_value, erp_value"
)


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lake, list[ShopSettings]]:
    work = tmp_path_factory.mktemp("valuation")
    return land_world(write_cost_world(work / "source-world"), work / "run")


def _raw(lake: Lake, source: str, table: str, select: str) -> dict[str, tuple[object, ...]]:
    files = str(lake.root / "raw" / source / table) + "/**/*.parquet"
    rows = duckdb.execute(
        f"select distinct sku, {select} from read_parquet('{files}', union_by_name = true)"
    ).fetchall()
    return {row[0]: tuple(row[1:]) for row in rows}


def _matches(connection: duckdb.DuckDBPyConnection) -> dict[str, tuple[object, ...]]:
    rows = connection.execute(
        f"select sku, {MATCH_COLUMNS} from recon.inventory_matches "
        "where shop_id = ? and business_date = ? and location_name = 'Warehouse East'",
        [SHOP, DAY],
    ).fetchall()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_shopify_unit_cost_lands_on_every_quantity_row(
    landed: tuple[Lake, list[ShopSettings]],
) -> None:
    lake, _ = landed
    assert _raw(lake, "shopify", "inventory_levels", "unit_cost, unit_cost_currency") == {
        "TENT-2P": (D("84.20"), "USD"),
        "LAMP-HD": (D("11.40"), "USD"),
        "MAT-1": (None, None),
        "STOVE": (None, None),
        "CUP": (D("3.10"), "USD"),
    }
    quarantined = lake.root / "raw" / "shopify" / "quarantine"
    assert not any(
        pq.read_table(path).num_rows for path in quarantined.rglob("*.parquet")
    )  # an item without a cost is not malformed


def test_erp_cost_lands_average_cost_first_then_purchase_price(
    landed: tuple[Lake, list[ShopSettings]],
) -> None:
    lake, _ = landed
    assert _raw(lake, "erp", "on_hand", "unit_cost, unit_cost_currency") == {
        "TENT-2P": (D("83.955"), "USD"),
        "LAMP-HD": (None, None),
        "MAT-1": (None, None),
        "STOVE": (D("30"), "USD"),
        "FUEL": (D("2.5"), "USD"),
    }


def test_inventory_matches_values_each_side_at_the_item_cost(
    landed: tuple[Lake, list[ShopSettings]],
) -> None:
    lake, shops = landed
    with reconciliation_connection(lake, shops, staging_from_lake=False) as connection:
        matches = _matches(connection)
        types = dict(
            connection.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'recon' and table_name = 'inventory_matches'"
            ).fetchall()
        )
    assert matches == EXPECTED
    assert {
        name: types[name] for name in ("unit_cost", "shopify_value", "erp_value")
    } == dict.fromkeys(("unit_cost", "shopify_value", "erp_value"), "DECIMAL(18,2)")
    assert types["cost_source"] == types["cost_currency"] == "VARCHAR"


def _strip_costs(directory: Path) -> None:
    """Rewrite every Parquet file under `directory` without the cost columns (an old lake)."""
    for path in directory.rglob("*.parquet"):
        table = pq.read_table(path)
        pq.write_table(
            table.drop_columns([c for c in COST_COLUMNS if c in table.column_names]), path
        )


def test_a_lake_without_costs_gives_null_costs_not_an_error(
    landed: tuple[Lake, list[ShopSettings]], tmp_path: Path
) -> None:
    lake, shops = landed
    old = Lake(tmp_path / "lake")
    for system, table in (("shopify", "inventory_levels"), ("erp", "on_hand")):
        raw = old.root / "raw" / system / table
        raw.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(lake.root / "raw" / system / table, raw)
        _strip_costs(raw)
    without_costs = {
        sku: (shopify, erp, None, None, None, None, None)
        for sku, (shopify, erp, *_) in EXPECTED.items()
    }
    with reconciliation_connection(old, shops, staging_from_lake=False) as connection:
        assert _matches(connection) == without_costs
        # Staging materialised in the lake before costs were read: no cost columns there either.
        for model, (source, entity) in {
            "stg_shopify__inventory_levels": ("shopify", "inventory_levels"),
            "stg_erp__on_hand": ("erp", "on_hand"),
        }.items():
            target = old.partition_dir("staging", source, entity, shop=SHOP, date=DAY)
            target.mkdir(parents=True, exist_ok=True)
            connection.execute(
                f"copy (select * exclude (unit_cost, unit_cost_currency) from staging.{model}) "
                f"to '{target / 'part-0.parquet'}' (format parquet)"
            )
    with reconciliation_connection(old, shops, staging_from_lake=True) as connection:
        assert _matches(connection) == without_costs


def test_each_on_hand_exception_carries_its_value_on_1300(
    landed: tuple[Lake, list[ShopSettings]],
) -> None:
    lake, shops = landed
    with reconciliation_connection(lake, shops, staging_from_lake=False) as connection:
        rows = connection.execute(
            "select coalesce(shopify_ref, erp_ref), e.kind, e.variance, l.account, "
            "l.shopify_amount, l.erp_amount, l.delta, l.currency "
            "from recon.exceptions as e left join recon.exception_lines as l using (exception_id) "
            "where e.domain = 'inventory' and e.business_date = ?",
            [DAY],
        ).fetchall()
        skus = dict(
            connection.execute(
                "select coalesce(shopify_ref, erp_ref), sku from recon.inventory_matches"
            ).fetchall()
        )
    lines = {skus[row[0]]: tuple(row[1:]) for row in rows}
    # Differences in units stay the variance; the value (on hand x unit cost) is on the line.
    assert lines["TENT-2P"] == (
        "inventory_on_hand_mismatch", D("-2.00"), "1300",
        D("1679.20"), D("1511.28"), D("-167.92"), "USD",
    )  # fmt: skip
    assert lines["FUEL"] == (
        "inventory_missing_in_shopify", D("12.00"), "1300",
        D("0.00"), D("30.00"), D("30.00"), "USD",
    )  # fmt: skip
    assert lines["CUP"] == (
        "inventory_missing_in_erp", D("-5.00"), "1300", D("15.50"), D("0.00"), D("-15.50"), "USD",
    )  # fmt: skip
    # No cost on either side: no line (the exception says so in its detail).
    assert lines["MAT-1"] == ("inventory_on_hand_mismatch", D("2.00"), None, None, None, None, None)
    assert set(lines) == {"TENT-2P", "FUEL", "CUP", "MAT-1"}

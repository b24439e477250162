"""The reconciliation finds exactly the truth of every hand-written world, to the account.

For each world under `worlds/` (one per discrepancy kind in isolation, the clean base, a partial
refund, a multi-currency order, a payout deposit split in two, a timezone cut-off, a day with no
activity), the harness reconciles the world and
- its exceptions must equal `truth/discrepancies.csv` row for row: (kind, shop, Shopify ref, ERP
  ref, account, counter account, variance, business date). An extra row is a false positive, a
  missing row a discrepancy not found;
- each exception's lines (`recon.exception_lines`: account, delta, ledger date) must equal its
  truth row's lines in `truth/discrepancy_lines.csv`, to the cent;
- the clearing bridge leaves nothing unexplained: `recon.clearing_rollforward.residual` is 0.00
  on every shop-day and clearing account (no hand-written world has an unexplained difference).
"""

from __future__ import annotations

from concurrent.futures import Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from retail_sync_tests.sandbox.test_generate_truth import truth_lines, truth_rows

if TYPE_CHECKING:
    from retail_sync_tests.reconcile.harness import Reconciled

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.long]

WORLDS = Path(__file__).parent / "worlds"
WORLD_DIRS = sorted(path.parent for path in WORLDS.glob("*/world.json"))
BY_NAME = [pytest.param(p, id=p.name) for p in WORLD_DIRS]


def test_there_are_worlds() -> None:
    assert len(WORLD_DIRS) >= 23


def _reconcile(world: Path, work: Path) -> Reconciled:
    # Imported here so that a broken harness fails these tests, not the collection of the suite.
    from retail_sync_tests.reconcile.harness import reconcile_world

    return reconcile_world(world, work)


@pytest.fixture(scope="module")
def reconciled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Future[Reconciled]]:
    """Every world reconciled, two at a time (each is mostly simulator round trips on one core)."""
    root = tmp_path_factory.mktemp("handwritten")
    with ProcessPoolExecutor(max_workers=2) as pool:
        futures = {
            world.name: pool.submit(_reconcile, world, root / world.name) for world in WORLD_DIRS
        }
        wait(futures.values())
    return futures


@pytest.mark.parametrize("world", BY_NAME)
def test_reconciliation_finds_exactly_the_truth(
    world: Path, reconciled: dict[str, Future[Reconciled]]
) -> None:
    found = reconciled[world.name].result().rows
    truth = truth_rows(world)
    assert not found - truth, f"false positives: {sorted(found - truth)}"
    assert not truth - found, f"not found: {sorted(truth - found)}"
    assert found == truth


@pytest.mark.parametrize("world", BY_NAME)
def test_exception_lines_equal_the_truth_lines(
    world: Path, reconciled: dict[str, Future[Reconciled]]
) -> None:
    found = reconciled[world.name].result().lines
    truth = truth_lines(world)
    wrong = {
        row: {"truth": sorted(lines), "found": sorted(found[row])}
        for row, lines in truth.items()
        if row in found and found[row] != lines
    }
    assert not wrong, f"lines differ: {wrong}"
    assert {row: found[row] for row in truth if row in found} == {
        row: lines for row, lines in truth.items() if row in found
    }


@pytest.mark.parametrize("world", BY_NAME)
def test_clearing_residual_is_zero_on_every_shop_day(
    world: Path, reconciled: dict[str, Future[Reconciled]]
) -> None:
    residuals = reconciled[world.name].result().residuals
    assert residuals == [], (
        f"unexplained clearing movement (shop, date, account, residual): {residuals}"
    )
    # The bridge ties from the other outputs: the raw ledger lines and the exceptions' lines.
    assert reconciled[world.name].result().bridge_breaks == []

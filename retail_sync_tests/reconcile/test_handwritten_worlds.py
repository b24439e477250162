"""The reconciliation finds exactly the truth of every hand-written world.

For each world under `worlds/` (one per discrepancy kind in isolation, the clean base, a partial
refund, a multi-currency order, a payout deposit split in two, a timezone cut-off, a day with no
activity), the harness reconciles the world and its exceptions must equal
`truth/discrepancies.csv` row for row: (kind, shop, Shopify ref, ERP ref, account, variance,
business date). An extra row is a false positive, a missing row a discrepancy not found.
"""

from __future__ import annotations

from concurrent.futures import Future, ProcessPoolExecutor, wait
from pathlib import Path

import pytest

from retail_sync_tests.sandbox.test_generate_truth import truth_rows

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.long]

WORLDS = Path(__file__).parent / "worlds"
WORLD_DIRS = sorted(path.parent for path in WORLDS.glob("*/world.json"))


def test_there_are_worlds() -> None:
    assert len(WORLD_DIRS) >= 23


def _reconcile(world: Path, work: Path) -> set[tuple[str, ...]]:
    # Imported here so that a broken harness fails these tests, not the collection of the suite.
    from retail_sync_tests.reconcile.harness import reconcile_world

    return reconcile_world(world, work)


@pytest.fixture(scope="module")
def reconciled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Future[set[tuple[str, ...]]]]:
    """Every world reconciled, two at a time (each is mostly simulator round trips on one core)."""
    root = tmp_path_factory.mktemp("handwritten")
    with ProcessPoolExecutor(max_workers=2) as pool:
        futures = {
            world.name: pool.submit(_reconcile, world, root / world.name) for world in WORLD_DIRS
        }
        wait(futures.values())
    return futures


@pytest.mark.parametrize("world", [pytest.param(p, id=p.name) for p in WORLD_DIRS])
def test_reconciliation_finds_exactly_the_truth(
    world: Path, reconciled: dict[str, Future[set[tuple[str, ...]]]]
) -> None:
    found = reconciled[world.name].result()
    truth = truth_rows(world)
    assert not found - truth, f"false positives: {sorted(found - truth)}"
    assert not truth - found, f"not found: {sorted(truth - found)}"
    assert found == truth

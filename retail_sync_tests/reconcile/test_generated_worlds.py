"""The reconciliation finds exactly the generator's truth: precision and recall 1.0 per kind.

Three seeded 30-day worlds (two shops, every injected kind) go through both simulators into a
lake (retail_sync_tests/reconcile/harness.py), then the SQL models of sql/recon run over it. The
exceptions must equal `truth/discrepancies.csv` row for row: kind, shop, both references,
account, variance to the cent and business date. The worlds land in parallel processes (each
landing is mostly simulator request time on one core).
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

import pytest

from retail_sync.sandbox.generate import generate_world
from retail_sync_tests.reconcile.harness import Row, reconcile_world
from retail_sync_tests.sandbox.test_generate_truth import truth_rows

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.long]
SEEDS = (3, 5, 8)
ALL_KINDS = 17


def _reconcile(seed: int, root: Path) -> tuple[set[Row], set[Row]]:
    world = root / f"world-{seed}"
    generate_world(
        world, seed=seed, start=date(2026, 9, 20), days=30, orders_per_day=12,
        discrepancy_rate=0.1,
    )  # fmt: skip
    return reconcile_world(world, root / f"work-{seed}"), truth_rows(world)


@pytest.fixture(scope="module")
def reconciled(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[set[Row], set[Row]]]:
    root = tmp_path_factory.mktemp("generated-worlds")
    with ProcessPoolExecutor(max_workers=len(SEEDS)) as pool:
        futures = {seed: pool.submit(_reconcile, seed, root) for seed in SEEDS}
        return {seed: future.result() for seed, future in futures.items()}


def _scores(found: set[Row], truth: set[Row]) -> dict[str, tuple[float, float]]:
    """Per kind: (precision, recall)."""
    scores = {}
    for kind in {row[0] for row in found | truth}:
        got = {row for row in found if row[0] == kind}
        want = {row for row in truth if row[0] == kind}
        hit = len(got & want)
        scores[kind] = (hit / len(got) if got else 1.0, hit / len(want) if want else 1.0)
    return scores


@pytest.mark.parametrize("seed", SEEDS)
def test_exceptions_equal_the_truth_per_kind(
    reconciled: dict[int, tuple[set[Row], set[Row]]], seed: int
) -> None:
    found, truth = reconciled[seed]
    assert truth, "the world injected nothing"
    scores = _scores(found, truth)
    wrong = {kind: score for kind, score in scores.items() if score != (1.0, 1.0)}
    assert not wrong, (
        f"precision/recall below 1.0: {wrong}\n"
        f"extra: {sorted(found - truth)[:10]}\nmissed: {sorted(truth - found)[:10]}"
    )
    assert found == truth


def test_the_worlds_cover_every_injected_kind(
    reconciled: dict[int, tuple[set[Row], set[Row]]],
) -> None:
    kinds = Counter(row[0] for _, truth in reconciled.values() for row in truth)
    assert len(kinds) == ALL_KINDS, kinds

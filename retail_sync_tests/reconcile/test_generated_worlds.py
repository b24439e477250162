"""The reconciliation finds exactly the generator's truth: precision and recall 1.0 per kind.

Three seeded 30-day worlds (two shops, every injected kind, misbookings over random accounts of
the whole chart in every entry kind included) go through both simulators into a lake
(retail_sync_tests/reconcile/harness.py), then the SQL models of sql/recon run over it. The
exceptions must equal `truth/discrepancies.csv` row for row: kind, shop, both references,
account, counter account, variance to the cent and business date; each exception's lines must
equal its rows of `truth/discrepancy_lines.csv` (account, delta to the cent, ledger date); and no
shop-day leaves a clearing residual. The worlds land in parallel processes (each landing is
mostly simulator request time on one core).
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

import pytest

from retail_sync.sandbox.generate import generate_world
from retail_sync.sandbox.validate import DISCREPANCY_DOMAINS
from retail_sync_tests.reconcile.harness import LineKey, Reconciled, Row, reconcile_world
from retail_sync_tests.sandbox.test_generate_truth import SUBJECTS, subject_of, truth_lines

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.long]
SEEDS = (3, 5, 8)
Truth = dict[Row, frozenset[LineKey]]


def _reconcile(seed: int, root: Path) -> tuple[Reconciled, Truth]:
    world = root / f"world-{seed}"
    generate_world(
        world, seed=seed, start=date(2026, 9, 20), days=30, orders_per_day=12,
        discrepancy_rate=0.1,
    )  # fmt: skip
    return reconcile_world(world, root / f"work-{seed}"), truth_lines(world)


@pytest.fixture(scope="module")
def reconciled(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Reconciled, Truth]]:
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
    reconciled: dict[int, tuple[Reconciled, Truth]], seed: int
) -> None:
    result, truth_with_lines = reconciled[seed]
    found, truth = result.rows, set(truth_with_lines)
    assert truth, "the world injected nothing"
    scores = _scores(found, truth)
    wrong = {kind: score for kind, score in scores.items() if score != (1.0, 1.0)}
    assert not wrong, (
        f"precision/recall below 1.0: {wrong}\n"
        f"extra: {sorted(found - truth)[:10]}\nmissed: {sorted(truth - found)[:10]}"
    )
    assert found == truth


@pytest.mark.parametrize("seed", SEEDS)
def test_exception_lines_equal_the_truth_to_the_cent(
    reconciled: dict[int, tuple[Reconciled, Truth]], seed: int
) -> None:
    result, truth = reconciled[seed]
    wrong = {
        row: {"truth": sorted(lines), "found": sorted(result.lines[row])}
        for row, lines in truth.items()
        if row in result.lines and result.lines[row] != lines
    }
    assert not wrong, f"{len(wrong)} exceptions with other lines, e.g. {sorted(wrong.items())[:5]}"
    matched = [row for row in truth if row in result.lines]
    assert matched, "no exception matched a truth row"


@pytest.mark.parametrize("seed", SEEDS)
def test_no_clearing_residual_on_any_shop_day(
    reconciled: dict[int, tuple[Reconciled, Truth]], seed: int
) -> None:
    residuals = reconciled[seed][0].residuals
    assert residuals == [], f"unexplained clearing movement: {residuals[:10]}"
    # The bridge ties from the other outputs: the raw ledger lines and the exceptions' lines.
    breaks = reconciled[seed][0].bridge_breaks
    assert breaks == [], f"roll-forward rows that do not tie: {breaks[:5]}"


def test_the_worlds_cover_every_injected_kind(
    reconciled: dict[int, tuple[Reconciled, Truth]],
) -> None:
    """Every named kind, and misbookings of every entry kind but a payout failure's reversal,
    both as misposted and as an unexpected account."""
    kinds = Counter(row[0] for _, truth in reconciled.values() for row in truth)
    assert set(DISCREPANCY_DOMAINS) <= set(kinds), set(DISCREPANCY_DOMAINS) - set(kinds)
    misbooked = {kind for kind in kinds if kind.endswith(("_misposted", "_unexpected_account"))}
    subjects = {subject_of(kind) for kind in misbooked}
    assert subjects == set(SUBJECTS.values()) - {"payout_failure"}, subjects
    assert "payout_failure_reversal_missing" in kinds

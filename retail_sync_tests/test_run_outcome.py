"""A run stopped only by a failed blocking check is reported as blocked, naming the check; a step
that raises is reported as an error."""

from __future__ import annotations

import dagster as dg

from retail_sync.app.run_outcome import describe, run_outcome


@dg.asset
def landed() -> dg.MaterializeResult:
    return dg.MaterializeResult()


@dg.asset_check(asset=landed, blocking=True)
def amounts_parse() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"offending_sample": "order 7: amount 'abc'"},
    )


@dg.asset_check(asset=landed)
def sku_present() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN)


@dg.asset(deps=[landed])
def journal() -> dg.MaterializeResult:
    return dg.MaterializeResult()


@dg.asset
def broken() -> dg.MaterializeResult:
    raise RuntimeError("ERP unreachable")


def test_blocked_by_a_failed_check() -> None:
    result = dg.materialize([landed, journal, amounts_parse, sku_present], raise_on_error=False)
    outcome = run_outcome(result)
    assert not result.success and outcome.only_blocked
    assert outcome.blocked_by == ["landed: amounts_parse (order 7: amount 'abc')"]
    assert outcome.warnings == ["landed: sku_present"]
    text = "\n".join(describe(outcome))
    assert "0 passed, 1 warnings, 1 blocking failures" in text
    assert "BLOCKED  landed: amounts_parse" in text


def test_an_error_is_not_a_block() -> None:
    outcome = run_outcome(dg.materialize([broken], raise_on_error=False))
    assert not outcome.only_blocked
    assert outcome.errored_steps == ["broken"]

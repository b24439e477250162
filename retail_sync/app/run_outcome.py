"""What an in-process run's failure was: checks that blocked it, or steps that errored."""

from __future__ import annotations

from dataclasses import dataclass, field

import dagster as dg

CHECK_FAILED = "DagsterAssetCheckFailedError"


@dataclass
class RunOutcome:
    """Blocking checks that failed (data stopped on purpose) and steps that raised (a fault)."""

    blocked_by: list[str] = field(default_factory=list)
    errored_steps: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checks_passed: int = 0

    @property
    def only_blocked(self) -> bool:
        return bool(self.blocked_by) and not self.errored_steps


def run_outcome(result: dg.ExecuteInProcessResult) -> RunOutcome:
    outcome = RunOutcome()
    for evaluation in result.get_asset_check_evaluations():
        name = f"{evaluation.asset_key.to_user_string()}: {evaluation.check_name}"
        if evaluation.passed:
            outcome.checks_passed += 1
        elif evaluation.severity == dg.AssetCheckSeverity.ERROR:
            sample = evaluation.metadata.get("offending_sample")
            outcome.blocked_by.append(name + (f" ({sample.value})" if sample else ""))
        else:
            outcome.warnings.append(name)
    for event in result.all_events:
        if not event.is_step_failure:
            continue
        error = event.step_failure_data.error
        if error is None or error.cls_name != CHECK_FAILED:
            outcome.errored_steps.append(str(event.step_key))
    return outcome


def describe(outcome: RunOutcome) -> list[str]:
    """Lines a person reads after a run: checks passed, warnings, and what was blocked."""
    lines = [
        f"  quality checks: {outcome.checks_passed} passed, {len(outcome.warnings)} warnings, "
        f"{len(outcome.blocked_by)} blocking failures"
    ]
    lines += [f"    WARN  {name}" for name in outcome.warnings[:10]]
    if len(outcome.warnings) > 10:
        lines.append(f"    … and {len(outcome.warnings) - 10} more warnings (see the UI)")
    lines += [f"    BLOCKED  {name}" for name in outcome.blocked_by]
    return lines

"""The automation condition for anything that moves money (reconciliation, journals)."""

import dagster as dg


def checked_eager() -> dg.AutomationCondition:
    """`eager()` that also waits until every upstream blocking check has passed.

    `AutomationCondition.eager()` alone ignores asset checks, so a downstream asset would be
    materialized from a partition whose blocking check failed. Use this on reconciliation and
    journal assets: `@dg.asset(automation_condition=checked_eager(), ...)`.
    """
    return (
        dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()
    ).with_label("eager_after_blocking_checks")

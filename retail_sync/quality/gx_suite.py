"""Structural expectations as a Great Expectations 1.x suite, validated on a pandas frame.

Imported only when a check runs: `import great_expectations` costs seconds.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from retail_sync.quality.expectations import DECIMAL_PATTERN, Expectation

if TYPE_CHECKING:
    import pandas as pd

ROW_ID = "__row_id"


def _gx_expectations(expectation: Expectation, upper_bound: dt.datetime) -> list[Any]:
    import great_expectations as gx

    column = expectation.columns[0]
    meta = {"retail_sync": expectation.name}
    found: list[Any] = []
    if expectation.kind == "not_null" or not expectation.allow_null:
        found.append(gx.expectations.ExpectColumnValuesToNotBeNull(column=column, meta=meta))
    if expectation.kind == "decimal":
        found.append(
            gx.expectations.ExpectColumnValuesToMatchRegex(
                column=column, regex=DECIMAL_PATTERN, meta=meta
            )
        )
    elif expectation.kind == "in_set":
        found.append(
            gx.expectations.ExpectColumnValuesToBeInSet(
                column=column, value_set=list(expectation.value_set), meta=meta
            )
        )
    elif expectation.kind == "between":
        high = (
            dt.datetime.fromisoformat(expectation.max_value)
            if expectation.max_value
            else upper_bound
        )
        found.append(
            gx.expectations.ExpectColumnValuesToBeBetween(
                column=column,
                min_value=dt.datetime.fromisoformat(expectation.min_value or "0001-01-01T00:00Z"),
                max_value=high,
                meta=meta,
            )
        )
    return found


def validate_frame(
    frame: pd.DataFrame,
    expectations: Sequence[Expectation],
    upper_bound: dt.datetime,
    sample_size: int,
) -> dict[str, tuple[int, list[dict[str, str]]]]:
    """Unexpected count and a sample of offending row ids per expectation name.

    A "present and valid" expectation is two GX expectations (not null; valid when present):
    their unexpected rows are disjoint, so the counts add.
    """
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas("lake")
        .add_dataframe_asset("partition")
        .add_batch_definition_whole_dataframe("whole")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    suite = gx.ExpectationSuite(name="partition")
    for expectation in expectations:
        for gx_expectation in _gx_expectations(expectation, upper_bound):
            suite.add_expectation(gx_expectation)
    validation = batch.validate(
        suite,
        result_format={
            "result_format": "SUMMARY",
            "unexpected_index_column_names": [ROW_ID],
            "partial_unexpected_count": sample_size,
        },
    )
    outcomes: dict[str, tuple[int, list[dict[str, str]]]] = {
        expectation.name: (0, []) for expectation in expectations
    }
    for result in validation.results:
        config = result.expectation_config
        if config is None or not config.meta:
            continue
        name, column = config.meta["retail_sync"], config.kwargs["column"]
        count, sample = outcomes[name]
        details = result.result or {}
        count += int(details.get("unexpected_count") or 0)
        for row in details.get("partial_unexpected_index_list") or []:
            if len(sample) < sample_size:
                sample.append({"id": str(row[ROW_ID]), "value": str(row.get(column))})
        outcomes[name] = (count, sample)
    return outcomes

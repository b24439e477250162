"""Shape values for Dagster metadata that a finance reader sees in the UI."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    """A GitHub-flavoured markdown table of `rows` (columns from the first row)."""
    if not rows:
        return "_none_"
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(row[column]) for column in header) + " |" for row in rows]
    return "\n".join(lines)


def rows_metadata(rows_by_partition: Mapping[str, int]) -> dict[str, Any]:
    """Row counts for a run that may cover many partitions.

    One run records the same metadata on every partition it covers, so `dagster/row_count` is
    only set when the run covers one partition; otherwise the run's total and a per-partition
    table are given instead of a figure that would be wrong for each partition.
    """
    total = sum(rows_by_partition.values())
    if len(rows_by_partition) == 1:
        return {"dagster/row_count": total}
    return {
        "run_rows": total,
        "run_partitions": len(rows_by_partition),
        "rows_by_partition": dg.MetadataValue.md(
            markdown_table(
                [
                    {"partition": key, "rows": rows}
                    for key, rows in sorted(rows_by_partition.items())
                ]
            )
        ),
    }

"""Shape values for Dagster metadata that a finance reader sees in the UI."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    """A GitHub-flavoured markdown table of `rows` (columns from the first row)."""
    if not rows:
        return "_none_"
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(row[column]) for column in header) + " |" for row in rows]
    return "\n".join(lines)

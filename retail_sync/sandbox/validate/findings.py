"""Collecting findings, and reading JSON lists and ids without trusting their shape."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from pathlib import Path
from typing import Any

from retail_sync.sandbox.validate.values import is_count
from retail_sync.sandbox.world import read_json

MAX_PROBLEMS = 200
MAX_PROBLEM_LENGTH = 500


class ValidationProblems:
    """Collects problems, stopping at MAX_PROBLEMS so a broken large world reports quickly."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, where: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            problem = f"{where}: {message}"
            if len(problem) > MAX_PROBLEM_LENGTH:  # a megabyte string in a field stays out
                problem = problem[: MAX_PROBLEM_LENGTH - 1] + "…"
            # A lone surrogate read from a JSON escape cannot be printed: keep it as its escape.
            self.problems.append(problem.encode("utf-8", "backslashreplace").decode("utf-8"))

    @property
    def full(self) -> bool:
        return len(self.problems) >= MAX_PROBLEMS


def key(value: Any) -> Hashable:
    """`value` as a set member or a dict key: a list or an object (reported elsewhere) by repr."""
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def objects(
    where: str, value: Any, what: str, problems: ValidationProblems
) -> list[dict[str, Any]]:
    """The JSON objects of a list (absent: none); a problem for a non-list or a non-object item."""
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(where, f"{what} must be a list of objects, not {_kind(value)}")
        return []
    found = [item for item in value if isinstance(item, dict)]
    if len(found) != len(value):
        problems.add(where, f"{what} must hold only JSON objects")
    return found


def document_objects(path: Path, problems: ValidationProblems) -> list[dict[str, Any]]:
    """A `.json` file holding a list of objects."""
    return objects(str(path), read_json(path), path.name, problems)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else repr(value)
    )


class IdRegistry:
    """Shopify ids are unique per entity type across the whole world."""

    def __init__(self, problems: ValidationProblems) -> None:
        self.problems = problems
        self.seen: dict[str, set[int]] = defaultdict(set)

    def register(self, where: str, entity: str, value: Any) -> None:
        if not is_count(value) or value <= 0:
            self.problems.add(where, f"{entity} id {value!r} is not a positive integer")
            return
        ids = self.seen[entity]
        if value in ids:
            self.problems.add(where, f"duplicate {entity} id {value}")
        ids.add(value)

"""The shapes of single values: money strings and bags, timestamps, dates, counts."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TypeGuard

if TYPE_CHECKING:
    from retail_sync.sandbox.validate.findings import ValidationProblems

# ASCII digits only (`\d` also matches other scripts' digits); at most 16 integer digits, what a
# DECIMAL(18, 2) holds.
MONEY_PATTERN = re.compile(r"-?[0-9]{1,16}\.[0-9]{2}")
TIMESTAMP_PATTERN = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})"
)
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A unit cost: non-negative, at most 12 integer digits (what the lake's DECIMAL(18, 6) holds).
UNIT_COST_PATTERN = re.compile(r"[0-9]{1,12}(\.[0-9]{1,6})?")

Bag = tuple[int, int]  # a money bag as (shop cents, presentment cents)


def cents(value: Any) -> int | None:
    """The amount of a money string in minor units, or None if it is not a money string."""
    if not isinstance(value, str) or not MONEY_PATTERN.fullmatch(value):
        return None
    return int(value.replace(".", ""))


def is_timestamp(value: Any) -> TypeGuard[str]:
    if not isinstance(value, str) or not TIMESTAMP_PATTERN.fullmatch(value):
        return False
    try:
        moment = datetime.fromisoformat(value)
        moment.astimezone(UTC)  # year 1 with a positive offset is before the first UTC instant
    except (ValueError, OverflowError):
        return False
    return True


def is_date(value: Any) -> TypeGuard[str]:
    if not isinstance(value, str) or not DATE_PATTERN.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_count(value: Any) -> TypeGuard[int]:
    """An integer quantity (a JSON `true` is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def utc_day(stamp: str) -> str:
    """The UTC date of a timestamp (the text itself when it is not one)."""
    try:
        return datetime.fromisoformat(stamp).astimezone(UTC).date().isoformat()
    except (ValueError, OverflowError):
        return stamp


def money_field(
    where: str, record: dict[str, Any], field: str, problems: ValidationProblems
) -> int:
    value = cents(record.get(field))
    if value is None:
        problems.add(where, f'{field} {record.get(field)!r} is not a money string like "12.50"')
        return 0
    return value


def unit_cost_field(
    where: str, record: dict[str, Any], field: str, problems: ValidationProblems, *, places: int
) -> None:
    """An item's cost per unit: absent or null (the item has none), or a non-negative decimal
    string of at most `places` decimals."""
    value = record.get(field)
    if value is None:
        return
    if isinstance(value, str) and UNIT_COST_PATTERN.fullmatch(value):
        _, _, fraction = value.partition(".")
        if len(fraction) <= places:
            return
    example = "84.20" if places == 2 else "84.2035"
    problems.add(
        where,
        f"{field} {value!r} must be null or a non-negative decimal string of at most "
        f'{places} decimals like "{example}"',
    )


def bag_field(where: str, record: dict[str, Any], field: str, problems: ValidationProblems) -> Bag:
    """A money bag as (shop cents, presentment cents)."""
    bag = record.get(field)
    if not isinstance(bag, dict):
        problems.add(where, f'{field} must be a money bag {{"shop": ..., "presentment": ...}}')
        return (0, 0)
    return (
        money_field(where, bag, "shop", problems),
        money_field(where, bag, "presentment", problems),
    )


def sum_bags(bags: Iterable[Bag]) -> Bag:
    shop = presentment = 0
    for bag_shop, bag_presentment in bags:
        shop += bag_shop
        presentment += bag_presentment
    return shop, presentment


def expect_equal(
    where: str, what: str, actual: Bag, expected: Bag, problems: ValidationProblems
) -> None:
    if actual != expected:
        problems.add(
            where,
            f"{what} is {format_bag(actual)} but should be {format_bag(expected)}",
        )


def format_bag(bag: Bag) -> str:
    return f"shop {format_cents(bag[0])} / presentment {format_cents(bag[1])}"


def format_cents(value: int) -> str:
    sign = "-" if value < 0 else ""
    value = abs(value)
    return f"{sign}{value // 100}.{value % 100:02d}"

"""SuiteQL rows into port values, or the reason a row cannot be landed.

SuiteQL answers every value as a string and leaves null fields out; the client parses JSON numbers
(and NaN/Infinity) as Decimal. A row is read whole or not at all: the first value that cannot be
read raises `BadRow`, which the adapter turns into a `RejectedRow` with the row as received.
Reasons show short values (amounts, dates, flags) and only the names of free-text fields.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from retail_sync.erp.port import RejectedRow

# SuiteQL's own form of an amount: optional minus, digits, optional fraction. Not "12,50",
# "1e20", "NaN" or " 12": NetSuite never sends those, so they mean something went wrong.
PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
CURRENCY_CODE = re.compile(r"[A-Z]{3}")
FLAGS = {"T": True, "F": False}


class BadRow(Exception):
    """Internal: why the row being read cannot be landed (caught by `reject`)."""


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", bool: "true/false"}.get(type(value), "a number")


def text(row: Mapping[str, Any], field: str, *, required: bool = True) -> str | None:
    """A text value: a string (or a JSON integer, as an id may come) that encodes as UTF-8."""
    value = row.get(field)
    if value is None or value == "":
        if required:
            raise BadRow(f"{field} is missing")
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise BadRow(f"{field} is {_kind(value)}, not text")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRow(f"{field} is not valid Unicode (a lone surrogate)") from None
    return value


def required_text(row: Mapping[str, Any], field: str) -> str:
    value = text(row, field)
    assert value is not None  # required: a missing value raised BadRow
    return value


def decimal(row: Mapping[str, Any], field: str, *, places: int, digits: int) -> Decimal:
    """A decimal that fits DECIMAL(digits, places) exactly; absent (SuiteQL's null) is 0."""
    value = row.get(field)
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, str):
        if not PLAIN_DECIMAL.fullmatch(value):
            raise BadRow(f"{field} {_shown(value)} is not a plain decimal number")
        number = Decimal(value)
    elif isinstance(value, Decimal | int) and not isinstance(value, bool):
        number = Decimal(value)
    else:
        raise BadRow(f"{field} is {_kind(value)}, not a number")
    if not number.is_finite():
        raise BadRow(f"{field} {_shown(str(value))} is not a finite number")
    if number and number.adjusted() >= digits - places:
        raise BadRow(f"{field} {_shown(str(value))} has more than {digits - places} digits")
    try:
        exact = number.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:  # more digits than the context holds: far too precise anyway
        exact = None
    if exact is None or exact != number:
        raise BadRow(f"{field} {_shown(str(value))} has more than {places} decimal places")
    return exact


def optional_decimal(
    row: Mapping[str, Any], field: str, *, places: int, digits: int
) -> Decimal | None:
    """Like `decimal`, but absent (SuiteQL's null: the field is empty) is None, not 0."""
    value = row.get(field)
    if value is None or value == "":
        return None
    return decimal(row, field, places=places, digits=digits)


def iso_date(row: Mapping[str, Any], field: str) -> date:
    """A `YYYY-MM-DD` date (what the queries' TO_CHAR produces), nothing looser."""
    value = row.get(field)
    if value is None or value == "":
        raise BadRow(f"{field} is missing")
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise BadRow(f"{field} {_shown(value)} is not a YYYY-MM-DD date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRow(f"{field} {_shown(value)} is not a calendar date") from None


def flag(row: Mapping[str, Any], field: str) -> bool:
    """A SuiteQL boolean, `T` or `F`; absent is false."""
    value = row.get(field)
    if value is None or value == "":
        return False
    if isinstance(value, str) and value in FLAGS:
        return FLAGS[value]
    raise BadRow(f"{field} {_shown(value)} is not T or F")


def currency(row: Mapping[str, Any], field: str) -> str:
    value = required_text(row, field)
    if not CURRENCY_CODE.fullmatch(value):
        raise BadRow(f"{field} {_shown(value)} is not an ISO currency code")
    return value


def raw_payload(row: Mapping[str, Any]) -> str:
    """The row as received, as JSON text (ASCII, so a lone surrogate survives as an escape)."""
    return json.dumps(row, default=str, sort_keys=True, ensure_ascii=True)


def row_key(row: Mapping[str, Any], fields: tuple[str, ...]) -> str | None:
    """The row's key fields joined by '/', as far as they are text; None if none is."""
    parts = []
    for field in fields:
        value = row.get(field)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            parts.append("?")
            continue
        parts.append(value.encode("utf-8", "backslashreplace").decode("utf-8")[:100])
    return None if all(part == "?" for part in parts) else "/".join(parts)


def reject(
    table: str, row: Mapping[str, Any], key_fields: tuple[str, ...], error: BadRow
) -> RejectedRow:
    return RejectedRow(table, row_key(row, key_fields), str(error), raw_payload(row))

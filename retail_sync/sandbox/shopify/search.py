"""Shopify's search syntax for connection `query:` arguments, evaluated over index columns.

Supported: `field:value`, `field:>=value` (also `>`, `<`, `<=`), quoted values (`'…'` or `"…"`),
a leading `-` to negate a term, and the `AND` keyword (terms are always ANDed). Unknown fields and
free-text words are ignored, as Shopify does, and reported as warnings in `extensions.search`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from retail_sync.sandbox.shopify.store import RecordIndex, to_micros

BoolArray = npt.NDArray[np.bool_]

_TERM = re.compile(r"""(-?)([A-Za-z_]+):(>=|<=|>|<|=)?('[^']*'|"[^"]*"|\S+)|(\S+)""")


@dataclass(frozen=True)
class Term:
    """One `field:op value` term."""

    field: str
    op: str
    value: str
    negated: bool


@dataclass(frozen=True)
class FieldSpec:
    """How a search field maps onto an index column: `time`, `int`, `bool` or `id`."""

    column: str
    kind: str


class SearchSyntaxError(ValueError):
    """A value in a search term does not parse for its field."""


def parse_search(query: str | None) -> tuple[list[Term], list[str]]:
    """Split a search string into terms; the second list holds ignored free-text words."""
    terms: list[Term] = []
    ignored: list[str] = []
    for match in _TERM.finditer(query or ""):
        negated, name, op, value, bare = match.groups()
        if bare is not None:
            if bare.upper() not in {"AND"}:
                ignored.append(bare)
            continue
        if value[:1] in {"'", '"'}:
            value = value[1:-1]
        terms.append(Term(field=name.lower(), op=op or "=", value=value, negated=bool(negated)))
    return terms, ignored


def _time_value(value: str) -> tuple[int, int]:
    """A (start, end) micros range: a timestamp is a point, a bare date covers its UTC day."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        day = datetime.fromisoformat(value).replace(tzinfo=UTC)
        start = to_micros(day.isoformat())
        return start, start + 86_400_000_000 - 1
    try:
        point = to_micros(value)
    except ValueError:
        raise SearchSyntaxError(f"invalid date {value!r}") from None
    return point, point


def _int_value(value: str) -> int:
    tail = value.rsplit("/", 1)[-1]
    try:
        return int(tail)
    except ValueError:
        raise SearchSyntaxError(f"invalid integer {value!r}") from None


def term_mask(index: RecordIndex, spec: FieldSpec, term: Term) -> BoolArray:
    """Rows of `index` matching one term."""
    column = index.ids if spec.kind == "id" else index.columns[spec.column]
    if spec.kind == "time":
        low, high = _time_value(term.value)
    elif spec.kind == "bool":
        flag = term.value.lower() in {"true", "1", "yes"}
        low = high = int(flag)
    else:
        low = high = _int_value(term.value)
    ops = {
        ">=": column >= low,
        ">": column > high,
        "<=": column <= high,
        "<": column < low,
        "=": (column >= low) & (column <= high),
    }
    mask: BoolArray = ops[term.op]
    return ~mask if term.negated else mask


def search_mask(
    index: RecordIndex, fields: dict[str, FieldSpec], query: str | None
) -> tuple[BoolArray | None, list[dict[str, str]]]:
    """AND of every recognised term (None when nothing filters) and the warnings to report."""
    terms, ignored = parse_search(query)
    mask: BoolArray | None = None
    warnings = [
        {"field": "default", "message": f"free-text search '{w}' is not supported"} for w in ignored
    ]
    for term in terms:
        spec = fields.get(term.field)
        if spec is None:
            warnings.append(
                {"field": term.field, "message": "Invalid search field for this query."}
            )
            continue
        current = term_mask(index, spec, term)
        mask = current if mask is None else mask & current
    return mask, warnings


ORDER_SEARCH_FIELDS = {
    "updated_at": FieldSpec("updated_at", "time"),
    "created_at": FieldSpec("created_at", "time"),
    "processed_at": FieldSpec("processed_at", "time"),
    "test": FieldSpec("test", "bool"),
    "id": FieldSpec("id", "id"),
}
BALANCE_TRANSACTION_SEARCH_FIELDS = {
    "processed_at": FieldSpec("transaction_date", "time"),
    "transaction_date": FieldSpec("transaction_date", "time"),
    "payments_transfer_id": FieldSpec("payout_id", "int"),
    "payout_id": FieldSpec("payout_id", "int"),
    "order_id": FieldSpec("associated_order_id", "int"),
    "id": FieldSpec("id", "id"),
}
PAYOUT_SEARCH_FIELDS = {
    "issued_at": FieldSpec("issued_at", "time"),
    "id": FieldSpec("id", "id"),
}

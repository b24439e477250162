"""How record values render as Shopify's scalars: global ids, times, amounts and money."""

from __future__ import annotations

import hashlib
from datetime import UTC
from decimal import Decimal, InvalidOperation
from typing import Any

from graphql import GraphQLError

from retail_sync.sandbox.shopify.store import parse_timestamp


def stable_number(text: str) -> int:
    """A number derived from `text` that is the same in every process (unlike `hash`)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


def gid(kind: str, record_id: object) -> str:
    return f"gid://shopify/{kind}/{record_id}"


def parse_gid(value: str) -> tuple[str, int]:
    """Split `gid://shopify/Type/123` (query string allowed) into ("Type", 123)."""
    parts = value.split("?", 1)[0].split("/")
    if len(parts) != 5 or parts[:3] != ["gid:", "", "shopify"]:
        raise GraphQLError(f"Invalid global id '{value}'")
    try:
        return parts[3], int(parts[4])
    except ValueError:
        raise GraphQLError(f"Invalid global id '{value}'") from None


def render_time(value: str | None) -> str | None:
    """RFC 3339 in UTC with `Z`; an unparseable value (a malformed record) passes through."""
    if value is None:
        return None
    try:
        moment = parse_timestamp(value).astimezone(UTC)
    except ValueError:
        return value
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def render_amount(value: Any) -> str | None:
    """Shopify's Decimal rendering (`"204.4"`, `"10.0"`); non-numbers pass through verbatim."""
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    text = format(number.normalize(), "f")
    return text if "." in text else f"{text}.0"


def to_decimal(value: Any) -> Decimal:
    """`value` as a Decimal; zero when it is not a number."""
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal(0)


def optional_text(value: Any) -> str | None:
    return None if value is None else str(value)


def money(amount: Any, currency: str) -> dict[str, Any]:
    """A `MoneyV2`."""
    return {"amount": render_amount(amount), "currencyCode": currency}

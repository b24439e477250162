"""The building blocks of a raw Shopify table: typed fields that flatten and validate a record.

An entity is a list of `Field`s. A field is an output column (its Arrow type and the SQL that
computes it from one JSONL record, as Shopify's bulk output shapes it) plus the checks that reject
a malformed record: a null or non-numeric amount, a bad currency code, an unparseable date, a
missing id. A record passing every check becomes a row; otherwise the first failing check's reason
sends it, with its payload, to `quarantine`. The SQL runs in DuckDB (see `landing.py`), so a bulk
file is validated at column speed rather than record by record.

Each field also has `passes`: cheap conditions that, when all true, guarantee none of its checks
fires. Landing evaluates the (many, string-building) checks only for records failing a pass, so a
clean record costs one conjunction.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

MONEY = pa.decimal128(18, 2)
TIMESTAMP = pa.timestamp("us", tz="UTC")
AMOUNT_PATTERN = r"-?[0-9]{1,16}(\.[0-9]+)?"
AMOUNT_TWO_DIGITS = r"-?[0-9]{1,16}(\.[0-9]{1,2})?"
CURRENCY_PATTERN = "[A-Z]{3}"
# A bag's two sides, as (GraphQL field, column suffix).
_BAG_SIDES = (("shopMoney", "shop"), ("presentmentMoney", "presentment"))


@dataclass(frozen=True)
class Field:
    """One output column: its type, the SQL computing it, the SQL checks that reject a record."""

    column: str
    type: pa.DataType
    value: str
    checks: tuple[str, ...] = ()
    passes: tuple[str, ...] = ()
    """Conditions that, all true, imply every check is null (a null condition counts as false)."""


def _path_label(path: str) -> str:
    """`path` as a quarantine reason names it."""
    return path.replace('"', "")


def _sql_text(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def legacy_id(path: str) -> str:
    """SQL: the integer at the end of a gid (`gid://shopify/Order/12` → 12; `?…` ignored)."""
    return f"TRY_CAST(split_part(split_part({path}, '?', 1), '/', 5) AS BIGINT)"


def id_field(column: str, path: str, *, required: bool = True) -> Field:
    """The legacy id of the gid at `path`; a required one rejects a missing or malformed gid."""
    if not required:
        return Field(column, pa.int64(), legacy_id(path))
    reason = _sql_text(f"missing or malformed id at {_path_label(path)}: ")
    check = f"CASE WHEN {legacy_id(path)} IS NULL THEN {reason} || coalesce({path}, 'null') END"
    passes = (f"{legacy_id(path)} IS NOT NULL",)
    return Field(column, pa.int64(), legacy_id(path), (check,), passes)


def text(column: str, path: str) -> Field:
    return Field(column, pa.string(), f"CAST({path} AS VARCHAR)")


def integer(column: str, path: str) -> Field:
    reason = _sql_text(f"non-integer at {_path_label(path)}: ")
    check = (
        f"CASE WHEN {path} IS NOT NULL AND TRY_CAST({path} AS BIGINT) IS NULL "
        f"THEN {reason} || {path} END"
    )
    passes = (f"({path} IS NULL OR TRY_CAST({path} AS BIGINT) IS NOT NULL)",)
    return Field(column, pa.int64(), f"TRY_CAST({path} AS BIGINT)", (check,), passes)


def boolean(column: str, path: str) -> Field:
    return Field(column, pa.bool_(), f"TRY_CAST({path} AS BOOLEAN)")


def timestamp(column: str, path: str, *, required: bool = False) -> Field:
    label = _path_label(path)
    checks = []
    if required:
        checks.append(f"CASE WHEN {path} IS NULL THEN {_sql_text('missing date at ' + label)} END")
    checks.append(
        f"CASE WHEN {path} IS NOT NULL AND TRY_CAST({path} AS TIMESTAMPTZ) IS NULL "
        f"THEN {_sql_text('unparseable date at ' + label + ': ')} || {path} END"
    )
    parsed = f"TRY_CAST({path} AS TIMESTAMPTZ) IS NOT NULL"
    passes = (parsed if required else f"({path} IS NULL OR {parsed})",)
    return Field(column, TIMESTAMP, f"TRY_CAST({path} AS TIMESTAMPTZ)", tuple(checks), passes)


def amount_checks(path: str) -> tuple[str, ...]:
    label = _path_label(path)
    return (
        f"CASE WHEN {path} IS NULL THEN {_sql_text('null amount at ' + label)} "
        f"WHEN NOT regexp_full_match({path}, '{AMOUNT_PATTERN}') "
        f"THEN {_sql_text('non-numeric amount at ' + label + ': ')} || {path} "
        f"WHEN NOT regexp_full_match({path}, '{AMOUNT_TWO_DIGITS}') "
        f"THEN {_sql_text('more than two decimals at ' + label + ': ')} || {path} END",
    )


def amount_passes(path: str) -> str:
    """A two-decimal amount is neither null, non-numeric nor over-precise."""
    return f"regexp_full_match({path}, '{AMOUNT_TWO_DIGITS}')"


def currency_passes(path: str) -> str:
    return f"regexp_full_match({path}, '{CURRENCY_PATTERN}')"


def currency_check(path: str) -> str:
    return (
        f"CASE WHEN {path} IS NULL OR NOT regexp_full_match({path}, '{CURRENCY_PATTERN}') "
        f"THEN {_sql_text('bad currency code at ' + _path_label(path) + ': ')} "
        f"|| coalesce({path}, 'null') END"
    )


def currency(column: str, path: str) -> Field:
    return Field(column, pa.string(), path, (currency_check(path),), (currency_passes(path),))


def money(column: str, path: str, *, with_currency: bool = True) -> Field:
    """A `MoneyV2` at `path`: amount as decimal(18,2); its currency code, if queried, checked."""
    amount = f"{path}.amount"
    checks: tuple[str, ...] = amount_checks(amount)
    passes: tuple[str, ...] = (amount_passes(amount),)
    if with_currency:
        checks = (*checks, currency_check(f"{path}.currencyCode"))
        passes = (*passes, currency_passes(f"{path}.currencyCode"))
    return Field(column, MONEY, f"TRY_CAST({amount} AS DECIMAL(18,2))", checks, passes)


def money_bag(prefix: str, path: str, *, with_currency: bool = True) -> list[Field]:
    """A `MoneyBag`: `<prefix>_shop` (shop currency) and `<prefix>_presentment` (customer's).

    `with_currency=False` for a bag queried as amounts only (`queries.AMOUNTS`): its currencies
    are the record's own `currency_code` / `presentment_currency_code`.
    """
    return [
        money(f"{prefix}_{suffix}", f"{path}.{side}", with_currency=with_currency)
        for side, suffix in _BAG_SIDES
    ]


def money_bag_currencies(path: str) -> list[Field]:
    return [
        currency("currency_code", f"{path}.shopMoney.currencyCode"),
        currency("presentment_currency_code", f"{path}.presentmentMoney.currencyCode"),
    ]


def money_bag_with_currencies(prefix: str, path: str) -> list[Field]:
    """The record's two currency codes, read from the bag at `path`, then that bag's amounts."""
    return [*money_bag_currencies(path), *money_bag(prefix, path)]


def _tax_side_total(column: str, path: str, side: str) -> Field:
    """Σ one side's amount of `priceSet` over the tax lines at `path`."""
    amount = f"t.priceSet.{side}.amount"
    bad = (
        f"list_bool_or(list_transform({path}, lambda t: {amount} IS NULL OR NOT "
        f"regexp_full_match({amount}, '{AMOUNT_TWO_DIGITS}')))"
    )
    total = (
        f"coalesce(list_sum(list_transform({path}, lambda t: TRY_CAST({amount} AS "
        f"DECIMAL(18,2)))), 0::DECIMAL(18,2))::DECIMAL(18,2)"
    )
    reason = _sql_text("null or non-numeric amount in " + _path_label(path))
    check = f"CASE WHEN {bad} THEN {reason} END"
    # The check fires only when `bad` is true: a null `bad` (no tax lines) passes.
    return Field(column, MONEY, total, (check,), (f"NOT coalesce({bad}, false)",))


def tax_total(prefix: str, path: str) -> list[Field]:
    """Σ `priceSet` over a list of tax lines, both currencies, every amount checked."""
    return [_tax_side_total(f"{prefix}_{suffix}", path, side) for side, suffix in _BAG_SIDES]


@dataclass(frozen=True)
class Entity:
    """One raw table: where its records come from in the JSONL, and its fields."""

    table: str
    source: str
    """SQL selecting this entity's records from `lines`, with `gid` and a unique `_key`."""
    fields: tuple[Field, ...]
    sort: tuple[str, ...]
    latest_first: str | None = None
    """SQL over `source` ranking copies of one gid: the greatest is current and wins over older
    copies; current copies that differ are a conflict (all quarantined). None: every copy is
    current, so copies that differ at all conflict."""
    payload_columns: tuple[str, ...] = ()
    record_type: str | None = None
    """The gid type of the JSONL lines `source` selects (`records_of_type`); None when it reads
    lists nested in other lines or every line. Landing quarantines lines of no type its entities
    read."""
    sort_follows_gid: bool = False
    """Every sort column is the legacy id of the record's `id`, which `source` selects as `gid`:
    records sharing a gid then sort next to each other (landing checks neighbours for duplicates).
    """

    @property
    def schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field("shop_id", pa.string(), nullable=False)]
            + [pa.field(f.column, f.type) for f in self.fields]
        )


# `_key` identifies one record occurrence in `lines` (line number × stride + list position).
KEY_STRIDE = 100_000

# The instant an order copy was last updated (an unreadable time ranks below every readable one).
ORDER_VERSION = "TRY_CAST(updatedAt AS TIMESTAMPTZ)"
PARENT_ORDER_VERSION = "TRY_CAST(order_updated_at AS TIMESTAMPTZ)"


def of_record_type(name: str) -> str:
    """SQL condition: a `lines` row is a record of gid type `name`."""
    return f"id LIKE 'gid://shopify/{name}/%'"


def records_of_type(name: str) -> str:
    """SQL: the `lines` rows of gid type `name`, each with its `gid` and a unique `_key`."""
    return (
        f"SELECT *, id AS gid, rowid * {KEY_STRIDE} AS _key FROM lines WHERE {of_record_type(name)}"
    )


def order_list_elements(column: str) -> str:
    """Elements of an order's nested list, each with its order's gid and `updatedAt` (so a copy
    from an older version of the order loses to the newer one's) and a unique `_key`."""
    return (
        f"SELECT order_gid, order_updated_at, u.*, u.id AS gid, "
        f"_row * {KEY_STRIDE} + _index AS _key FROM ("
        f"SELECT id AS order_gid, updatedAt AS order_updated_at, rowid AS _row, "
        f"unnest({column}) AS u, "
        f"generate_subscripts({column}, 1) AS _index FROM lines "
        f"WHERE id LIKE 'gid://shopify/Order/%' AND len({column}) > 0)"
    )


def record_entity(
    table: str,
    record_type: str,
    *,
    id_column: str,
    fields: tuple[Field, ...],
    payload_columns: tuple[str, ...],
    latest_first: str | None = None,
) -> Entity:
    """A table of the JSONL lines of one gid type, sorted by the legacy id of each line's `id`."""
    return Entity(
        table=table,
        source=records_of_type(record_type),
        record_type=record_type,
        fields=(id_field(id_column, "id"), *fields),
        sort=(id_column,),
        latest_first=latest_first,
        payload_columns=payload_columns,
        sort_follows_gid=True,
    )


def order_list_entity(
    table: str,
    list_column: str,
    *,
    id_column: str,
    fields: tuple[Field, ...],
    payload_columns: tuple[str, ...],
) -> Entity:
    """A table of the elements of an order's nested list, sorted by the legacy id of their `id`;
    a copy from a newer version of the order wins over an older one."""
    return Entity(
        table=table,
        source=order_list_elements(list_column),
        fields=(id_field(id_column, "id"), *fields),
        sort=(id_column,),
        latest_first=PARENT_ORDER_VERSION,
        payload_columns=payload_columns,
        sort_follows_gid=True,
    )

"""The raw Shopify tables: Arrow schemas, and per entity the fields that flatten and validate it.

Each entity is a list of `Field`s. A field is an output column (its Arrow type and the SQL that
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
INVENTORY_QUANTITY_NAMES = (
    "available",
    "on_hand",
    "committed",
    "incoming",
    "reserved",
    "damaged",
    "quality_control",
    "safety_stock",
)


@dataclass(frozen=True)
class Field:
    """One output column: its type, the SQL computing it, the SQL checks that reject a record."""

    column: str
    type: pa.DataType
    value: str
    checks: tuple[str, ...] = ()
    passes: tuple[str, ...] = ()
    """Conditions that, all true, imply every check is null (a null condition counts as false)."""


def _label(path: str) -> str:
    return path.replace('"', "")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def legacy_id(path: str) -> str:
    """SQL: the integer at the end of a gid (`gid://shopify/Order/12` → 12; `?…` ignored)."""
    return f"TRY_CAST(split_part(split_part({path}, '?', 1), '/', 5) AS BIGINT)"


def id_field(column: str, path: str, *, required: bool = True) -> Field:
    checks: tuple[str, ...] = ()
    passes: tuple[str, ...] = ()
    if required:
        label = _quote(f"missing or malformed id at {_label(path)}: ")
        checks = (
            f"CASE WHEN {legacy_id(path)} IS NULL THEN {label} || coalesce({path}, 'null') END",
        )
        passes = (f"{legacy_id(path)} IS NOT NULL",)
    return Field(column, pa.int64(), legacy_id(path), checks, passes)


def text(column: str, path: str) -> Field:
    return Field(column, pa.string(), f"CAST({path} AS VARCHAR)")


def integer(column: str, path: str) -> Field:
    label = _quote(f"non-integer at {_label(path)}: ")
    check = (
        f"CASE WHEN {path} IS NOT NULL AND TRY_CAST({path} AS BIGINT) IS NULL "
        f"THEN {label} || {path} END"
    )
    passes = (f"({path} IS NULL OR TRY_CAST({path} AS BIGINT) IS NOT NULL)",)
    return Field(column, pa.int64(), f"TRY_CAST({path} AS BIGINT)", (check,), passes)


def boolean(column: str, path: str) -> Field:
    return Field(column, pa.bool_(), f"TRY_CAST({path} AS BOOLEAN)")


def timestamp(column: str, path: str, *, required: bool = False) -> Field:
    label = _label(path)
    checks = []
    if required:
        checks.append(f"CASE WHEN {path} IS NULL THEN {_quote('missing date at ' + label)} END")
    checks.append(
        f"CASE WHEN {path} IS NOT NULL AND TRY_CAST({path} AS TIMESTAMPTZ) IS NULL "
        f"THEN {_quote('unparseable date at ' + label + ': ')} || {path} END"
    )
    parsed = f"TRY_CAST({path} AS TIMESTAMPTZ) IS NOT NULL"
    passes = (parsed if required else f"({path} IS NULL OR {parsed})",)
    return Field(column, TIMESTAMP, f"TRY_CAST({path} AS TIMESTAMPTZ)", tuple(checks), passes)


def amount_checks(path: str) -> tuple[str, ...]:
    label = _label(path)
    return (
        f"CASE WHEN {path} IS NULL THEN {_quote('null amount at ' + label)} "
        f"WHEN NOT regexp_full_match({path}, '{AMOUNT_PATTERN}') "
        f"THEN {_quote('non-numeric amount at ' + label + ': ')} || {path} "
        f"WHEN NOT regexp_full_match({path}, '{AMOUNT_TWO_DIGITS}') "
        f"THEN {_quote('more than two decimals at ' + label + ': ')} || {path} END",
    )


def amount_passes(path: str) -> str:
    """A two-decimal amount is neither null, non-numeric nor over-precise."""
    return f"regexp_full_match({path}, '{AMOUNT_TWO_DIGITS}')"


def currency_passes(path: str) -> str:
    return f"regexp_full_match({path}, '{CURRENCY_PATTERN}')"


def currency_check(path: str) -> str:
    return (
        f"CASE WHEN {path} IS NULL OR NOT regexp_full_match({path}, '{CURRENCY_PATTERN}') "
        f"THEN {_quote('bad currency code at ' + _label(path) + ': ')} "
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
        money(f"{prefix}_shop", f"{path}.shopMoney", with_currency=with_currency),
        money(f"{prefix}_presentment", f"{path}.presentmentMoney", with_currency=with_currency),
    ]


def money_bag_currencies(path: str) -> list[Field]:
    return [
        currency("currency_code", f"{path}.shopMoney.currencyCode"),
        currency("presentment_currency_code", f"{path}.presentmentMoney.currencyCode"),
    ]


def tax_total(prefix: str, path: str) -> list[Field]:
    """Σ `priceSet` over a list of tax lines, both currencies, every amount checked."""
    fields = []
    for side in ("shopMoney", "presentmentMoney"):
        amount = f"t.priceSet.{side}.amount"
        bad = (
            f"list_bool_or(list_transform({path}, lambda t: {amount} IS NULL OR NOT "
            f"regexp_full_match({amount}, '{AMOUNT_TWO_DIGITS}')))"
        )
        fields.append(
            Field(
                f"{prefix}_{'shop' if side == 'shopMoney' else 'presentment'}",
                MONEY,
                f"coalesce(list_sum(list_transform({path}, lambda t: TRY_CAST({amount} AS "
                f"DECIMAL(18,2)))), 0::DECIMAL(18,2))::DECIMAL(18,2)",
                (
                    f"CASE WHEN {bad} "
                    f"THEN {_quote('null or non-numeric amount in ' + _label(path))} END",
                ),
                # The check fires only when `bad` is true: a null `bad` (no tax lines) passes.
                (f"NOT coalesce({bad}, false)",),
            )
        )
    return fields


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
    """The gid type of the JSONL lines `source` selects (`_kind`); None when it reads lists nested
    in other lines or every line. Landing quarantines lines of no type its entities read."""
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
_KEY_STRIDE = 100_000


def of_record_type(name: str) -> str:
    """SQL condition: a `lines` row is a record of gid type `name`."""
    return f"id LIKE 'gid://shopify/{name}/%'"


def _kind(name: str) -> str:
    return (
        f"SELECT *, id AS gid, rowid * {_KEY_STRIDE} AS _key FROM lines "
        f"WHERE {of_record_type(name)}"
    )


def _exploded(column: str) -> str:
    """Elements of an order's nested list, each with its order's gid and `updatedAt` (so a copy
    from an older version of the order loses to the newer one's) and a unique `_key`."""
    return (
        f"SELECT order_gid, order_updated_at, u.*, u.id AS gid, "
        f"_row * {_KEY_STRIDE} + _index AS _key FROM ("
        f"SELECT id AS order_gid, updatedAt AS order_updated_at, rowid AS _row, "
        f"unnest({column}) AS u, "
        f"generate_subscripts({column}, 1) AS _index FROM lines "
        f"WHERE id LIKE 'gid://shopify/Order/%' AND len({column}) > 0)"
    )


ORDER_PAYLOAD = (
    "id", "name", "createdAt", "processedAt", "updatedAt", "cancelledAt", "cancelReason", "test",
    "currencyCode", "presentmentCurrencyCode", "displayFinancialStatus", "taxesIncluded",
    "totalPriceSet", "subtotalPriceSet", "totalTaxSet", "totalShippingPriceSet",
    "totalDiscountsSet", "currentTotalPriceSet", "totalRefundedSet",
)  # fmt: skip
# A payload holds every column an entity's fields read: copies with equal payloads are the same
# record (landing merges them), so a column left out would let two different records merge.
LINE_ITEM_PAYLOAD = (
    "id", "__parentId", "sku", "title", "quantity", "currentQuantity", "isGiftCard",
    "originalUnitPriceSet", "originalTotalSet", "totalDiscountSet", "taxLines",
)  # fmt: skip
REFUND_LINE_ITEM_PAYLOAD = (
    "id", "__parentId", "quantity", "restockType", "lineItem", "location", "subtotalSet",
    "totalTaxSet",
)  # fmt: skip

# The instant an order copy was last updated (an unreadable time ranks below every readable one).
_ORDER_VERSION = "TRY_CAST(updatedAt AS TIMESTAMPTZ)"
_PARENT_ORDER_VERSION = "TRY_CAST(order_updated_at AS TIMESTAMPTZ)"

ORDERS = Entity(
    table="orders",
    source=_kind("Order"),
    record_type="Order",
    fields=(
        id_field("order_id", "id"),
        text("name", "name"),
        timestamp("created_at", "createdAt", required=True),
        timestamp("processed_at", "processedAt", required=True),
        timestamp("updated_at", "updatedAt", required=True),
        timestamp("cancelled_at", "cancelledAt"),
        text("cancel_reason", "cancelReason"),
        boolean("test", "test"),
        currency("currency_code", "currencyCode"),
        currency("presentment_currency_code", "presentmentCurrencyCode"),
        text("display_financial_status", "displayFinancialStatus"),
        boolean("taxes_included", "taxesIncluded"),
        *money_bag("total_price", "totalPriceSet", with_currency=False),
        *money_bag("subtotal_price", "subtotalPriceSet", with_currency=False),
        *money_bag("total_tax", "totalTaxSet", with_currency=False),
        *money_bag("total_shipping_price", "totalShippingPriceSet", with_currency=False),
        *money_bag("total_discounts", "totalDiscountsSet", with_currency=False),
        *money_bag("current_total_price", "currentTotalPriceSet", with_currency=False),
        *money_bag("total_refunded", "totalRefundedSet", with_currency=False),
    ),
    sort=("order_id",),
    latest_first=_ORDER_VERSION,
    payload_columns=ORDER_PAYLOAD,
    sort_follows_gid=True,
)

ORDER_LINE_ITEMS = Entity(
    table="order_line_items",
    source=_kind("LineItem"),
    record_type="LineItem",
    fields=(
        id_field("line_item_id", "id"),
        id_field("order_id", "__parentId"),
        text("sku", "sku"),
        text("title", "title"),
        integer("quantity", "quantity"),
        integer("current_quantity", "currentQuantity"),
        boolean("is_gift_card", "isGiftCard"),
        *money_bag_currencies("originalUnitPriceSet"),
        *money_bag("unit_price", "originalUnitPriceSet"),
        *money_bag("original_total", "originalTotalSet", with_currency=False),
        *money_bag("total_discount", "totalDiscountSet", with_currency=False),
        *tax_total("total_tax", "taxLines"),
    ),
    sort=("line_item_id",),
    payload_columns=LINE_ITEM_PAYLOAD,
    sort_follows_gid=True,
)

ORDER_REFUNDS = Entity(
    table="order_refunds",
    source=_exploded("refunds"),
    fields=(
        id_field("refund_id", "id"),
        id_field("order_id", "order_gid"),
        timestamp("created_at", "createdAt"),
        text("note", "note"),
        *money_bag_currencies("totalRefundedSet"),
        *money_bag("total_refunded", "totalRefundedSet"),
    ),
    sort=("refund_id",),
    latest_first=_PARENT_ORDER_VERSION,
    payload_columns=("order_gid", "id", "createdAt", "note", "totalRefundedSet"),
    sort_follows_gid=True,
)

ORDER_REFUND_LINE_ITEMS = Entity(
    table="order_refund_line_items",
    source=_kind("RefundLineItem"),
    record_type="RefundLineItem",
    fields=(
        id_field("refund_line_item_id", "id"),
        id_field("refund_id", "__parentId"),
        id_field("line_item_id", "lineItem.id", required=False),
        integer("quantity", "quantity"),
        text("restock_type", "restockType"),
        id_field("location_id", "location.id", required=False),
        *money_bag_currencies("subtotalSet"),
        *money_bag("subtotal", "subtotalSet"),
        *money_bag("total_tax", "totalTaxSet", with_currency=False),
    ),
    sort=("refund_line_item_id",),
    payload_columns=REFUND_LINE_ITEM_PAYLOAD,
    sort_follows_gid=True,
)

ORDER_TRANSACTIONS = Entity(
    table="order_transactions",
    source=_exploded("transactions"),
    fields=(
        id_field("transaction_id", "id"),
        id_field("order_id", "order_gid"),
        id_field("parent_transaction_id", "parentTransaction.id", required=False),
        text("kind", "kind"),
        text("status", "status"),
        text("gateway", "gateway"),
        boolean("test", "test"),
        *money_bag_currencies("amountSet"),
        *money_bag("amount", "amountSet"),
        timestamp("processed_at", "processedAt"),
        timestamp("created_at", "createdAt", required=True),
    ),
    sort=("transaction_id",),
    latest_first=_PARENT_ORDER_VERSION,
    payload_columns=(
        "order_gid",
        "id",
        "kind",
        "status",
        "gateway",
        "test",
        "amountSet",
        "processedAt",
        "createdAt",
        "parentTransaction",
    ),
    sort_follows_gid=True,
)

_SUMMARY = (
    ("charges_gross", "chargesGross"),
    ("charges_fee", "chargesFee"),
    ("refunds_fee_gross", "refundsFeeGross"),
    ("refunds_fee", "refundsFee"),
    ("adjustments_gross", "adjustmentsGross"),
    ("adjustments_fee", "adjustmentsFee"),
    ("reserved_funds_gross", "reservedFundsGross"),
    ("reserved_funds_fee", "reservedFundsFee"),
    ("retried_payouts_gross", "retriedPayoutsGross"),
    ("retried_payouts_fee", "retriedPayoutsFee"),
    ("advance_gross", "advanceGross"),
    ("advance_fees", "advanceFees"),
)

PAYOUTS = Entity(
    table="payouts",
    source=_kind("ShopifyPaymentsPayout"),
    record_type="ShopifyPaymentsPayout",
    fields=(
        id_field("payout_id", "id"),
        text("status", "status"),
        timestamp("issued_at", "issuedAt", required=True),
        text("transaction_type", "transactionType"),
        currency("currency_code", "net.currencyCode"),
        money("net", "net"),
        *(money(column, f"summary.{name}") for column, name in _SUMMARY),
    ),
    sort=("payout_id",),
    payload_columns=("id", "status", "issuedAt", "transactionType", "net", "summary"),
    sort_follows_gid=True,
)

BALANCE_TRANSACTIONS = Entity(
    table="balance_transactions",
    source=_kind("ShopifyPaymentsBalanceTransaction"),
    record_type="ShopifyPaymentsBalanceTransaction",
    fields=(
        id_field("balance_transaction_id", "id"),
        text("type", "type"),
        boolean("test", "test"),
        timestamp("transaction_date", "transactionDate", required=True),
        text("source_type", "sourceType"),
        integer("source_id", "sourceId"),
        integer("source_order_transaction_id", "sourceOrderTransactionId"),
        currency("currency_code", "amount.currencyCode"),
        money("amount", "amount"),
        money("fee", "fee"),
        money("net", "net"),
        text("adjustment_reason", "adjustmentReason"),
        id_field("associated_order_id", "associatedOrder.id", required=False),
        text("associated_order_name", "associatedOrder.name"),
        id_field("payout_id", "associatedPayout.id", required=False),
        text("payout_status", "associatedPayout.status"),
    ),
    sort=("balance_transaction_id",),
    payload_columns=(
        "id",
        "type",
        "test",
        "transactionDate",
        "sourceType",
        "sourceId",
        "sourceOrderTransactionId",
        "amount",
        "fee",
        "net",
        "adjustmentReason",
        "associatedOrder",
        "associatedPayout",
    ),
    sort_follows_gid=True,
)

INVENTORY_LEVELS = Entity(
    table="inventory_levels",
    source=(
        "SELECT * EXCLUDE (q), q.name AS quantity_name, q.quantity AS quantity, "
        "q.updatedAt AS quantity_updated_at, id || '&name=' || q.name AS gid, "
        f"_row * {_KEY_STRIDE} + _index AS _key FROM (SELECT *, rowid AS _row, "
        "unnest(quantities) AS q, generate_subscripts(quantities, 1) AS _index FROM lines)"
    ),
    fields=(
        Field("as_of", TIMESTAMP, "as_of::TIMESTAMPTZ"),
        id_field("location_id", "location.id"),
        text("location_name", "location.name"),
        id_field("inventory_item_id", "item.id"),
        text("sku", "item.sku"),
        text("quantity_name", "quantity_name"),
        integer("quantity", "quantity"),
        timestamp("quantity_updated_at", "quantity_updated_at"),
        timestamp("level_updated_at", "updatedAt"),
    ),
    sort=("location_id", "inventory_item_id", "quantity_name"),
    payload_columns=(
        "id",
        "as_of",
        "location",
        "item",
        "updatedAt",
        "quantity_name",
        "quantity",
        "quantity_updated_at",
    ),
)

ORDER_ENTITIES = (
    ORDERS,
    ORDER_LINE_ITEMS,
    ORDER_REFUNDS,
    ORDER_REFUND_LINE_ITEMS,
    ORDER_TRANSACTIONS,
)
ENTITIES = {
    entity.table: entity
    for entity in (*ORDER_ENTITIES, PAYOUTS, BALANCE_TRANSACTIONS, INVENTORY_LEVELS)
}

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("shop_id", pa.string(), nullable=False),
        pa.field("source_table", pa.string(), nullable=False),
        pa.field("record_gid", pa.string()),
        pa.field("record_id", pa.int64()),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("raw_payload", pa.string()),
        pa.field("window_start", TIMESTAMP),
        pa.field("window_end", TIMESTAMP),
        pa.field("partition", pa.string()),
    ]
)
SCHEMAS: dict[str, pa.Schema] = {
    **{name: entity.schema for name, entity in ENTITIES.items()},
    "quarantine": QUARANTINE_SCHEMA,
}

# Free-text fields a person types, which can carry PII (an email, a name, a phone in a refund
# note), as (list column of the JSONL, field of its elements). Landing never lands them as typed:
# it drops them (null), or lands a keyed hash when a setting asks (`landing.FreeTextPolicy`), in
# every table and in quarantine payloads. Reviewed and not free text: order names (`#1001`),
# location names (a store), line-item titles and SKUs (the catalogue), kinds, statuses and
# reasons (enumerations); no query asks for a customer, an address, an email or a phone.
FREE_TEXT_FIELDS: tuple[tuple[str, str], ...] = (("refunds", "note"),)

# The JSONL columns DuckDB reads, per extraction (one union of every record kind in the file).
_MONEY = "STRUCT(amount VARCHAR, currencyCode VARCHAR)"
_BAG = f"STRUCT(shopMoney {_MONEY}, presentmentMoney {_MONEY})"
_AMOUNT = "STRUCT(amount VARCHAR)"
_AMOUNTS = f"STRUCT(shopMoney {_AMOUNT}, presentmentMoney {_AMOUNT})"
# The order's money bags (shopMoney and presentmentMoney each) that are read and landed.
ORDER_MONEY_BAGS = (
    "totalPriceSet",
    "subtotalPriceSet",
    "totalTaxSet",
    "totalShippingPriceSet",
    "totalDiscountsSet",
    "currentTotalPriceSet",
    "totalRefundedSet",
)
_REF = "STRUCT(id VARCHAR)"
ORDER_LINE_COLUMNS: dict[str, str] = {
    "id": "VARCHAR",
    "__parentId": "VARCHAR",
    "name": "VARCHAR",
    "createdAt": "VARCHAR",
    "processedAt": "VARCHAR",
    "updatedAt": "VARCHAR",
    "cancelledAt": "VARCHAR",
    "cancelReason": "VARCHAR",
    "test": "VARCHAR",
    "currencyCode": "VARCHAR",
    "presentmentCurrencyCode": "VARCHAR",
    "displayFinancialStatus": "VARCHAR",
    "taxesIncluded": "VARCHAR",
    **{name: _AMOUNTS for name in ORDER_MONEY_BAGS},
    "refunds": f"STRUCT(id VARCHAR, createdAt VARCHAR, note VARCHAR, totalRefundedSet {_BAG})[]",
    "transactions": (
        "STRUCT(id VARCHAR, kind VARCHAR, status VARCHAR, gateway VARCHAR, test VARCHAR, "
        f"amountSet {_BAG}, processedAt VARCHAR, createdAt VARCHAR, parentTransaction {_REF})[]"
    ),
    "sku": "VARCHAR",
    "title": "VARCHAR",
    "quantity": "VARCHAR",
    "currentQuantity": "VARCHAR",
    "isGiftCard": "VARCHAR",
    "originalUnitPriceSet": _BAG,
    "originalTotalSet": _AMOUNTS,
    "totalDiscountSet": _AMOUNTS,
    "taxLines": f"STRUCT(priceSet {_AMOUNTS})[]",
    "restockType": "VARCHAR",
    "lineItem": _REF,
    "location": _REF,
    "subtotalSet": _BAG,
}
PAYOUT_LINE_COLUMNS: dict[str, str] = {
    "id": "VARCHAR",
    "status": "VARCHAR",
    "issuedAt": "VARCHAR",
    "transactionType": "VARCHAR",
    "net": _MONEY,
    "summary": "STRUCT(" + ", ".join(f"{name} {_MONEY}" for _, name in _SUMMARY) + ")",
}
BALANCE_LINE_COLUMNS: dict[str, str] = {
    "id": "VARCHAR",
    "type": "VARCHAR",
    "test": "VARCHAR",
    "transactionDate": "VARCHAR",
    "sourceType": "VARCHAR",
    "sourceId": "VARCHAR",
    "sourceOrderTransactionId": "VARCHAR",
    "amount": _MONEY,
    "fee": _MONEY,
    "net": _MONEY,
    "adjustmentReason": "VARCHAR",
    "associatedOrder": "STRUCT(id VARCHAR, name VARCHAR)",
    "associatedPayout": "STRUCT(id VARCHAR, status VARCHAR)",
}
INVENTORY_LINE_COLUMNS: dict[str, str] = {
    "id": "VARCHAR",
    "as_of": "VARCHAR",
    "updatedAt": "VARCHAR",
    "location": "STRUCT(id VARCHAR, name VARCHAR)",
    "item": "STRUCT(id VARCHAR, sku VARCHAR)",
    "quantities": "STRUCT(name VARCHAR, quantity VARCHAR, updatedAt VARCHAR)[]",
}

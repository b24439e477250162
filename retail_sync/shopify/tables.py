"""The raw Shopify tables: per landed entity the fields that flatten and validate it, the Arrow
schemas, and the JSONL columns DuckDB reads. The field builders are in `fields.py`."""

from __future__ import annotations

import pyarrow as pa

from retail_sync.shopify.fields import (
    KEY_STRIDE,
    ORDER_VERSION,
    TIMESTAMP,
    Entity,
    Field,
    boolean,
    currency,
    id_field,
    integer,
    money,
    money_bag,
    money_bag_with_currencies,
    order_list_entity,
    record_entity,
    tax_total,
    text,
    timestamp,
)
from retail_sync.shopify.fields import legacy_id as legacy_id
from retail_sync.shopify.fields import of_record_type as of_record_type

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

# The order's money bags (shopMoney and presentmentMoney each) that are read and landed, with the
# column prefix each lands under.
_ORDER_BAG_PREFIXES = {
    "totalPriceSet": "total_price",
    "subtotalPriceSet": "subtotal_price",
    "totalTaxSet": "total_tax",
    "totalShippingPriceSet": "total_shipping_price",
    "totalDiscountsSet": "total_discounts",
    "currentTotalPriceSet": "current_total_price",
    "totalRefundedSet": "total_refunded",
}
ORDER_MONEY_BAGS = tuple(_ORDER_BAG_PREFIXES)

ORDER_PAYLOAD = (
    "id", "name", "createdAt", "processedAt", "updatedAt", "cancelledAt", "cancelReason", "test",
    "currencyCode", "presentmentCurrencyCode", "displayFinancialStatus", "taxesIncluded",
    *ORDER_MONEY_BAGS,
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
REFUND_SHIPPING_LINE_PAYLOAD = (
    "id", "__parentId", "shippingLine", "subtotalAmountSet", "taxAmountSet",
)  # fmt: skip
TRANSACTION_PAYLOAD = (
    "order_gid", "id", "kind", "status", "gateway", "test", "amountSet", "processedAt",
    "createdAt", "parentTransaction",
)  # fmt: skip
BALANCE_TRANSACTION_PAYLOAD = (
    "id", "type", "test", "transactionDate", "sourceType", "sourceId", "sourceOrderTransactionId",
    "amount", "fee", "net", "adjustmentReason", "associatedOrder", "associatedPayout",
)  # fmt: skip
INVENTORY_LEVEL_PAYLOAD = (
    "id", "as_of", "location", "item", "updatedAt", "quantity_name", "quantity",
    "quantity_updated_at",
)  # fmt: skip

ORDERS = record_entity(
    "orders",
    "Order",
    id_column="order_id",
    fields=(
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
        *(
            field
            for path, prefix in _ORDER_BAG_PREFIXES.items()
            for field in money_bag(prefix, path, with_currency=False)
        ),
    ),
    latest_first=ORDER_VERSION,
    payload_columns=ORDER_PAYLOAD,
)

ORDER_LINE_ITEMS = record_entity(
    "order_line_items",
    "LineItem",
    id_column="line_item_id",
    fields=(
        id_field("order_id", "__parentId"),
        text("sku", "sku"),
        text("title", "title"),
        integer("quantity", "quantity"),
        integer("current_quantity", "currentQuantity"),
        boolean("is_gift_card", "isGiftCard"),
        *money_bag_with_currencies("unit_price", "originalUnitPriceSet"),
        *money_bag("original_total", "originalTotalSet", with_currency=False),
        *money_bag("total_discount", "totalDiscountSet", with_currency=False),
        *tax_total("total_tax", "taxLines"),
    ),
    payload_columns=LINE_ITEM_PAYLOAD,
)

ORDER_REFUNDS = order_list_entity(
    "order_refunds",
    "refunds",
    id_column="refund_id",
    fields=(
        id_field("order_id", "order_gid"),
        timestamp("created_at", "createdAt"),
        text("note", "note"),
        *money_bag_with_currencies("total_refunded", "totalRefundedSet"),
    ),
    payload_columns=("order_gid", "id", "createdAt", "note", "totalRefundedSet"),
)

ORDER_REFUND_LINE_ITEMS = record_entity(
    "order_refund_line_items",
    "RefundLineItem",
    id_column="refund_line_item_id",
    fields=(
        id_field("refund_id", "__parentId"),
        id_field("line_item_id", "lineItem.id", required=False),
        integer("quantity", "quantity"),
        text("restock_type", "restockType"),
        id_field("location_id", "location.id", required=False),
        *money_bag_with_currencies("subtotal", "subtotalSet"),
        *money_bag("total_tax", "totalTaxSet", with_currency=False),
    ),
    payload_columns=REFUND_LINE_ITEM_PAYLOAD,
)

# The shipping a refund returns, with its own subtotal and tax (Shopify 2025-01 and later).
ORDER_REFUND_SHIPPING_LINES = record_entity(
    "order_refund_shipping_lines",
    "RefundShippingLine",
    id_column="refund_shipping_line_id",
    fields=(
        id_field("refund_id", "__parentId"),
        id_field("shipping_line_id", "shippingLine.id", required=False),
        *money_bag_with_currencies("subtotal", "subtotalAmountSet"),
        *money_bag("tax", "taxAmountSet", with_currency=False),
    ),
    payload_columns=REFUND_SHIPPING_LINE_PAYLOAD,
)

ORDER_TRANSACTIONS = order_list_entity(
    "order_transactions",
    "transactions",
    id_column="transaction_id",
    fields=(
        id_field("order_id", "order_gid"),
        id_field("parent_transaction_id", "parentTransaction.id", required=False),
        text("kind", "kind"),
        text("status", "status"),
        text("gateway", "gateway"),
        boolean("test", "test"),
        *money_bag_with_currencies("amount", "amountSet"),
        timestamp("processed_at", "processedAt"),
        timestamp("created_at", "createdAt", required=True),
    ),
    payload_columns=TRANSACTION_PAYLOAD,
)

# A payout's summary amounts, as (column, field of `summary`).
_PAYOUT_SUMMARY = (
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

PAYOUTS = record_entity(
    "payouts",
    "ShopifyPaymentsPayout",
    id_column="payout_id",
    fields=(
        text("status", "status"),
        timestamp("issued_at", "issuedAt", required=True),
        text("transaction_type", "transactionType"),
        currency("currency_code", "net.currencyCode"),
        money("net", "net"),
        *(money(column, f"summary.{name}") for column, name in _PAYOUT_SUMMARY),
    ),
    payload_columns=("id", "status", "issuedAt", "transactionType", "net", "summary"),
)

BALANCE_TRANSACTIONS = record_entity(
    "balance_transactions",
    "ShopifyPaymentsBalanceTransaction",
    id_column="balance_transaction_id",
    fields=(
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
    payload_columns=BALANCE_TRANSACTION_PAYLOAD,
)


def _optional_money(column: str, path: str) -> list[Field]:
    """A nullable `MoneyV2` at `path` (`InventoryItem.unitCost`: an item may have no cost):
    `<column>` (decimal(18,2)) and `<column>_currency`. Absent lands null; present, it is checked
    like any amount, its currency code included, and a bad one quarantines the record."""
    required = money(column, path)
    amount = Field(
        column,
        required.type,
        required.value,
        tuple(f"CASE WHEN {path} IS NOT NULL THEN {check} END" for check in required.checks),
        (f"({path} IS NULL OR ({' AND '.join(required.passes)}))",),
    )
    return [amount, Field(f"{column}_currency", pa.string(), f"{path}.currencyCode")]


# One row per quantity of a level: a level line's `quantities` unnested, each with its own `gid`.
# The item's unit cost (Shopify's `InventoryItem.unitCost`, in the shop's currency) rides on
# every quantity row of its level.
INVENTORY_LEVELS = Entity(
    table="inventory_levels",
    source=(
        "SELECT * EXCLUDE (q), q.name AS quantity_name, q.quantity AS quantity, "
        "q.updatedAt AS quantity_updated_at, id || '&name=' || q.name AS gid, "
        f"_row * {KEY_STRIDE} + _index AS _key FROM (SELECT *, rowid AS _row, "
        "unnest(quantities) AS q, generate_subscripts(quantities, 1) AS _index FROM lines)"
    ),
    # The first field is the record id quarantine keeps (a BIGINT): the location's.
    fields=(
        id_field("location_id", "location.id"),
        Field("as_of", TIMESTAMP, "as_of::TIMESTAMPTZ"),
        text("location_name", "location.name"),
        id_field("inventory_item_id", "item.id"),
        text("sku", "item.sku"),
        text("quantity_name", "quantity_name"),
        integer("quantity", "quantity"),
        timestamp("quantity_updated_at", "quantity_updated_at"),
        timestamp("level_updated_at", "updatedAt"),
        *_optional_money("unit_cost", "item.unitCost"),
    ),
    sort=("location_id", "inventory_item_id", "quantity_name"),
    payload_columns=INVENTORY_LEVEL_PAYLOAD,
)

ORDER_ENTITIES = (
    ORDERS,
    ORDER_LINE_ITEMS,
    ORDER_REFUNDS,
    ORDER_REFUND_LINE_ITEMS,
    ORDER_REFUND_SHIPPING_LINES,
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
_MONEY_STRUCT = "STRUCT(amount VARCHAR, currencyCode VARCHAR)"
_BAG_STRUCT = f"STRUCT(shopMoney {_MONEY_STRUCT}, presentmentMoney {_MONEY_STRUCT})"
_AMOUNT_STRUCT = "STRUCT(amount VARCHAR)"
_AMOUNTS_STRUCT = f"STRUCT(shopMoney {_AMOUNT_STRUCT}, presentmentMoney {_AMOUNT_STRUCT})"
_REFERENCE_STRUCT = "STRUCT(id VARCHAR)"


def _text_columns(*names: str) -> dict[str, str]:
    return dict.fromkeys(names, "VARCHAR")


ORDER_LINE_COLUMNS: dict[str, str] = {
    **_text_columns(
        "id",
        "__parentId",
        "name",
        "createdAt",
        "processedAt",
        "updatedAt",
        "cancelledAt",
        "cancelReason",
        "test",
        "currencyCode",
        "presentmentCurrencyCode",
        "displayFinancialStatus",
        "taxesIncluded",
    ),
    **dict.fromkeys(ORDER_MONEY_BAGS, _AMOUNTS_STRUCT),
    "refunds": (
        f"STRUCT(id VARCHAR, createdAt VARCHAR, note VARCHAR, totalRefundedSet {_BAG_STRUCT})[]"
    ),
    "transactions": (
        "STRUCT(id VARCHAR, kind VARCHAR, status VARCHAR, gateway VARCHAR, test VARCHAR, "
        f"amountSet {_BAG_STRUCT}, processedAt VARCHAR, createdAt VARCHAR, "
        f"parentTransaction {_REFERENCE_STRUCT})[]"
    ),
    **_text_columns("sku", "title", "quantity", "currentQuantity", "isGiftCard"),
    "originalUnitPriceSet": _BAG_STRUCT,
    "originalTotalSet": _AMOUNTS_STRUCT,
    "totalDiscountSet": _AMOUNTS_STRUCT,
    "taxLines": f"STRUCT(priceSet {_AMOUNTS_STRUCT})[]",
    "restockType": "VARCHAR",
    "lineItem": _REFERENCE_STRUCT,
    "location": _REFERENCE_STRUCT,
    "subtotalSet": _BAG_STRUCT,
    "shippingLine": _REFERENCE_STRUCT,
    "subtotalAmountSet": _BAG_STRUCT,
    "taxAmountSet": _AMOUNTS_STRUCT,
}
PAYOUT_LINE_COLUMNS: dict[str, str] = {
    **_text_columns("id", "status", "issuedAt", "transactionType"),
    "net": _MONEY_STRUCT,
    "summary": "STRUCT("
    + ", ".join(f"{name} {_MONEY_STRUCT}" for _, name in _PAYOUT_SUMMARY)
    + ")",
}
BALANCE_LINE_COLUMNS: dict[str, str] = {
    **_text_columns(
        "id",
        "type",
        "test",
        "transactionDate",
        "sourceType",
        "sourceId",
        "sourceOrderTransactionId",
    ),
    **dict.fromkeys(("amount", "fee", "net"), _MONEY_STRUCT),
    "adjustmentReason": "VARCHAR",
    "associatedOrder": "STRUCT(id VARCHAR, name VARCHAR)",
    "associatedPayout": "STRUCT(id VARCHAR, status VARCHAR)",
}
INVENTORY_LINE_COLUMNS: dict[str, str] = {
    **_text_columns("id", "as_of", "updatedAt"),
    "location": "STRUCT(id VARCHAR, name VARCHAR)",
    "item": f"STRUCT(id VARCHAR, sku VARCHAR, unitCost {_MONEY_STRUCT})",
    "quantities": "STRUCT(name VARCHAR, quantity VARCHAR, updatedAt VARCHAR)[]",
}

"""The closed sets of values the world format allows, and the truth file's columns."""

from __future__ import annotations

TRUTH_HEADER = [
    "discrepancy_id",
    "kind",
    "domain",
    "shop_id",
    "shopify_ref",
    "erp_ref",
    "account",
    "expected_variance",
    "currency",
    "business_date",
    "note",
]
DISCREPANCY_DOMAINS = {
    "order_missing_in_erp": "orders",
    "order_duplicate_posting": "orders",
    "order_tax_mismatch": "orders",
    "order_shipping_mismatch": "orders",
    "order_discount_mismatch": "orders",
    "order_rounding_difference": "orders",
    "order_fx_difference": "orders",
    "order_wrong_period": "orders",
    "refund_missing_in_erp": "refunds",
    "refund_amount_mismatch": "refunds",
    "orphan_erp_entry": "orders",
    "fee_missing_in_erp": "fees",
    "fee_duplicate_posting": "fees",
    "payout_deposit_missing": "payouts",
    "payout_deposit_amount_mismatch": "payouts",
    "payout_balance_mismatch": "payouts",
    "inventory_on_hand_mismatch": "inventory",
}
PLANS = {"STANDARD", "ADVANCED", "PLUS", "ENTERPRISE"}
TRANSACTION_KINDS = {"AUTHORIZATION", "CAPTURE", "SALE", "REFUND", "VOID"}
TRANSACTION_STATUSES = {"SUCCESS", "FAILURE", "PENDING"}
GATEWAYS = {"shopify_payments", "paypal", "manual", "gift_card"}
FINANCIAL_STATUSES = {
    "AUTHORIZED",
    "EXPIRED",
    "PAID",
    "PARTIALLY_PAID",
    "PARTIALLY_REFUNDED",
    "PENDING",
    "REFUNDED",
    "VOIDED",
}
BALANCE_TYPES = {
    "CHARGE",
    "REFUND",
    "DISPUTE",
    "ADJUSTMENT",
    "ADJUSTMENT_REVERSAL",
    "RESERVED_FUNDS",
    "RESERVED_FUNDS_REVERSAL",
}
BALANCE_SOURCE_TYPES = {
    "CHARGE",
    "REFUND",
    "DISPUTE",
    "ADJUSTMENT",
    "ADJUSTMENT_REVERSAL",
    "SYSTEM_ADJUSTMENT",
    "TRANSFER",
}
PAYOUT_STATUSES = {"SCHEDULED", "PAID", "FAILED", "CANCELED"}
RESTOCK_TYPES = {"RETURN", "CANCEL", "NO_RESTOCK", "LEGACY_RESTOCK"}
QUANTITY_NAMES = ("available", "on_hand", "committed", "incoming", "reserved")
ACCOUNT_TYPES = {
    "Bank",
    "OthCurrAsset",
    "OthCurrLiab",
    "Income",
    "Expense",
    "OthExpense",
    "OthIncome",
    "COGS",
    "AcctRec",
    "AcctPay",
    "FixedAsset",
    "Equity",
}

"""The closed sets of values the world format allows, and the truth file's columns."""

from __future__ import annotations

# The subjects and suffixes of entry kinds (`<subject>_<suffix>`), named once for the product;
# ENTRY_SUBJECTS is re-exported for the world format's readers.
from retail_sync.exception_kinds import ENTRY_SUBJECTS as ENTRY_SUBJECTS
from retail_sync.exception_kinds import SUBJECT_DOMAINS, SUBJECT_KIND_SUFFIXES

TRUTH_HEADER = [
    "discrepancy_id",
    "kind",
    "domain",
    "shop_id",
    "shopify_ref",
    "erp_ref",
    "account",
    "counter_account",
    "expected_variance",
    "currency",
    "business_date",
    "note",
]
# Format version 1 had no counter_account (and no lines file); it reads as empty.
TRUTH_HEADER_V1 = [column for column in TRUTH_HEADER if column != "counter_account"]
# One row per account and ledger date a discrepancy moves (docs/sandbox.md, "Ground truth").
TRUTH_LINES_HEADER = ["discrepancy_id", "account", "delta", "ledger_date"]
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
# A payout's missing entries have names of their own (`payout_deposit_missing` is named above).
PAYOUT_MISSING_KINDS = {"payout_failure_reversal_missing": "payouts"}


def discrepancy_domain(kind: str) -> str | None:
    """The domain of a truth kind: a named kind, or `<subject>_<suffix>`; None when unknown."""
    if kind in DISCREPANCY_DOMAINS:
        return DISCREPANCY_DOMAINS[kind]
    if kind in PAYOUT_MISSING_KINDS:
        return PAYOUT_MISSING_KINDS[kind]
    for subject in sorted(SUBJECT_DOMAINS, key=len, reverse=True):  # dispute_won before dispute
        if kind.startswith(subject + "_"):
            suffix = kind[len(subject) + 1 :]
            payout_missing = subject.startswith("payout_") and suffix == "missing_in_erp"
            if suffix in SUBJECT_KIND_SUFFIXES and not payout_missing:
                return SUBJECT_DOMAINS[subject]
            return None
    return None


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

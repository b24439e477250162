"""Check a world folder against the format and identities documented in docs/sandbox.md.

`validate_world(root)` reads every file once, as streams, and returns a list of problems
(`"<file>:<line>: <what is wrong>"`); an empty list means the world is valid. It checks shapes
(money strings, timestamps with offsets, enums), identities (line and order totals, refund totals,
`net = amount - fee`, balanced journals, payout sums except where the truth records a
`payout_balance_mismatch`), references (accounts, periods, subsidiaries, payouts, line items) and
uniqueness of ids. It does not re-derive the ledger from Shopify: that is the reconciliation's job.

A malformed world (a file missing or not JSON, a value of the wrong type anywhere, a list where an
object belongs) is reported the same way, as findings: the validator never raises.

Modules by job: `world_folder` (the manifest, shops.json, and the order of the checks),
`shop_folder` and `orders` (a shop's Shopify files), `erp`, `truth`, `vocabulary` (the allowed
values), `values` (money, bags, timestamps, dates) and `findings` (collecting problems, ids).
"""

from retail_sync.sandbox.validate.findings import (
    MAX_PROBLEM_LENGTH,
    MAX_PROBLEMS,
    ValidationProblems,
    document_objects,
    key,
    objects,
)
from retail_sync.sandbox.validate.values import (
    DATE_PATTERN,
    MONEY_PATTERN,
    TIMESTAMP_PATTERN,
    cents,
    format_cents,
    is_count,
    is_date,
    is_timestamp,
)
from retail_sync.sandbox.validate.vocabulary import (
    ACCOUNT_TYPES,
    BALANCE_SOURCE_TYPES,
    BALANCE_TYPES,
    DISCREPANCY_DOMAINS,
    ENTRY_SUBJECTS,
    FINANCIAL_STATUSES,
    GATEWAYS,
    PAYOUT_STATUSES,
    PLANS,
    QUANTITY_NAMES,
    RESTOCK_TYPES,
    TRANSACTION_KINDS,
    TRANSACTION_STATUSES,
    TRUTH_HEADER,
    TRUTH_LINES_HEADER,
    discrepancy_domain,
)
from retail_sync.sandbox.validate.world_folder import validate_world

__all__ = [
    "ACCOUNT_TYPES",
    "BALANCE_SOURCE_TYPES",
    "BALANCE_TYPES",
    "DATE_PATTERN",
    "DISCREPANCY_DOMAINS",
    "ENTRY_SUBJECTS",
    "FINANCIAL_STATUSES",
    "GATEWAYS",
    "MAX_PROBLEMS",
    "MAX_PROBLEM_LENGTH",
    "MONEY_PATTERN",
    "PAYOUT_STATUSES",
    "PLANS",
    "QUANTITY_NAMES",
    "RESTOCK_TYPES",
    "TIMESTAMP_PATTERN",
    "TRANSACTION_KINDS",
    "TRANSACTION_STATUSES",
    "TRUTH_HEADER",
    "TRUTH_LINES_HEADER",
    "ValidationProblems",
    "cents",
    "discrepancy_domain",
    "document_objects",
    "format_cents",
    "is_count",
    "is_date",
    "is_timestamp",
    "key",
    "objects",
    "validate_world",
]

"""The names of the reconciliation's exception kinds (docs/finance.md, "Every kind").

A kind of a booked entry reads `<subject>_<suffix>`: the subject names the entry (an order, a
refund, a fee, …) and the suffix what is wrong with its booking. A few kinds have names of their
own. The world format's truth (sandbox), the correction policy (journals) and the SQL of
sql/recon all use these names; this module is the one list of them in Python.
"""

from __future__ import annotations

# The subject of each entry kind of the posting rules (`recon.expected_entries.entry_kind`).
ENTRY_SUBJECTS = {
    "order": "order",
    "refund": "refund",
    "fee": "fee",
    "dispute": "dispute",
    "dispute-won": "dispute_won",
    "reserve": "reserve",
    "reserve-release": "reserve_release",
    "payout": "payout_deposit",
    "payout-failed": "payout_failure",
}
# Each subject's domain (the `domain` column of `recon.exceptions`).
SUBJECT_DOMAINS = {
    "order": "orders",
    "refund": "refunds",
    "fee": "fees",
    "dispute": "fees",
    "dispute_won": "fees",
    "reserve": "fees",
    "reserve_release": "fees",
    "payout_deposit": "payouts",
    "payout_failure": "payouts",
}
# What can follow a subject: a difference in the booking (entry_classes), or the entry missing,
# duplicated or in the wrong period. A payout's missing entries are named on their own.
SUBJECT_KIND_SUFFIXES = (
    "tax_mismatch",
    "shipping_mismatch",
    "discount_mismatch",
    "amount_mismatch",
    "misposted",
    "unexpected_account",
    "rounding_difference",
    "fx_difference",
    "missing_in_erp",
    "duplicate_posting",
    "wrong_period",
)
# The kinds with names of their own, and their domains.
STANDALONE_KINDS = {
    "payout_deposit_missing": "payouts",
    "payout_failure_reversal_missing": "payouts",
    "orphan_erp_entry": "orders",
    "unexpected_erp_entry": "orders",
    "payout_balance_mismatch": "payouts",
    "inventory_on_hand_mismatch": "inventory",
    "inventory_missing_in_erp": "inventory",
    "inventory_missing_in_shopify": "inventory",
    "clearing_unexplained": "clearing",
    # A corrective journal of ours naming an exception the run does not find (docs/finance.md).
    "unmatched_correction": "clearing",
}


def subject_kind(subject: str, suffix: str) -> str | None:
    """`<subject>_<suffix>` when the reconciliation writes it (a payout's missing entries have
    names of their own), else None."""
    if subject not in SUBJECT_DOMAINS or suffix not in SUBJECT_KIND_SUFFIXES:
        return None
    if subject.startswith("payout_") and suffix == "missing_in_erp":
        return None
    return f"{subject}_{suffix}"


# Every kind the reconciliation writes.
KNOWN_KINDS: frozenset[str] = frozenset(
    [
        kind
        for subject in SUBJECT_DOMAINS
        for suffix in SUBJECT_KIND_SUFFIXES
        if (kind := subject_kind(subject, suffix)) is not None
    ]
    + list(STANDALONE_KINDS)
)

"""Views of Shopify Payments: the account, its payouts and its balance transactions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo

from retail_sync.sandbox.shopify.resolvers.scalars import (
    gid,
    money,
    optional_text,
    render_time,
    stable_number,
)
from retail_sync.sandbox.shopify.search import (
    BALANCE_TRANSACTION_SEARCH_FIELDS,
    PAYOUT_SEARCH_FIELDS,
)

if TYPE_CHECKING:
    from retail_sync.sandbox.shopify.resolvers.views import Views

BALANCE_SORT_COLUMNS = {"PROCESSED_AT": "transaction_date", "ID": None}
# A payout summary's GraphQL fields, with the record's key for each.
PAYOUT_SUMMARY_KEYS = {
    "adjustmentsFee": "adjustments_fee",
    "adjustmentsGross": "adjustments_gross",
    "advanceFees": "advance_fees",
    "advanceGross": "advance_gross",
    "chargesFee": "charges_fee",
    "chargesGross": "charges_gross",
    "refundsFee": "refunds_fee",
    "refundsFeeGross": "refunds_gross",
    "reservedFundsFee": "reserved_funds_fee",
    "reservedFundsGross": "reserved_funds_gross",
    "retriedPayoutsFee": "retried_payouts_fee",
    "retriedPayoutsGross": "retried_payouts_gross",
}


def _record_currency(record: dict[str, Any], views: Views) -> str:
    """The record's currency; the shop's when the record names none."""
    return record.get("currency") or views.data.currency


class PayoutView:
    typename = "ShopifyPaymentsPayout"

    def __init__(self, record: dict[str, Any], views: Views) -> None:
        self.id = gid("ShopifyPaymentsPayout", record["id"])
        self.legacyResourceId = str(record["id"])
        self.status = record["status"]
        self.issuedAt = render_time(record.get("issued_at"))
        net = record.get("net")
        self.transactionType = "WITHDRAWAL" if str(net).startswith("-") else "DEPOSIT"
        currency = _record_currency(record, views)
        self.net = money(net, currency)
        summary = record.get("summary") or {}
        self.summary = {
            name: money(summary.get(key, "0.00"), currency)
            for name, key in PAYOUT_SUMMARY_KEYS.items()
        }


class BalanceTransactionView:
    typename = "ShopifyPaymentsBalanceTransaction"

    def __init__(self, record: dict[str, Any], views: Views) -> None:
        self.record, self.views = record, views
        currency = _record_currency(record, views)
        self.id = gid("ShopifyPaymentsBalanceTransaction", record["id"])
        self.type = record["type"]
        self.test = bool(record.get("test", False))
        self.transactionDate = render_time(record.get("transaction_date"))
        self.sourceType = record.get("source_type")
        self.sourceId = optional_text(record.get("source_id"))
        self.sourceOrderTransactionId = optional_text(record.get("source_order_transaction_id"))
        self.amount = money(record.get("amount"), currency)
        self.fee = money(record.get("fee"), currency)
        self.net = money(record.get("net"), currency)
        self.adjustmentReason = record.get("adjustment_reason")

    @property
    def associatedOrder(self) -> dict[str, Any] | None:
        order_id = self.record.get("associated_order_id")
        if order_id is None:
            return None
        order = self.views.data.orders.get(int(order_id))
        return {"id": gid("Order", order_id), "name": order["name"] if order else ""}

    @property
    def associatedPayout(self) -> dict[str, Any]:
        payout_id = self.record.get("payout_id")
        if payout_id is None:
            return {"id": None, "status": None}
        payout = self.views.data.payouts.get(int(payout_id))
        return {
            "id": gid("ShopifyPaymentsPayout", payout_id),
            "status": payout["status"] if payout else None,
        }


class ShopifyPaymentsAccountView:
    def __init__(self, views: Views) -> None:
        self.views = views
        self.id = gid("ShopifyPaymentsAccount", stable_number(views.data.shop_id))
        self.activated = True

    def payouts(
        self,
        info: GraphQLResolveInfo,
        first: int | None = None,
        after: str | None = None,
        reverse: bool = False,
        query: str | None = None,
        transactionType: str | None = None,
    ) -> dict[str, Any]:
        return self.views.top_level_connection(
            info,
            self.views.data.payouts,
            self.views.payout,
            first=first,
            after=after,
            reverse=reverse,
            sort_column=None,
            query=query,
            fields=PAYOUT_SEARCH_FIELDS,
            kind="payouts",
        )

    def balanceTransactions(
        self,
        info: GraphQLResolveInfo,
        first: int | None = None,
        after: str | None = None,
        reverse: bool = False,
        query: str | None = None,
        sortKey: str = "ID",
        hideTransfers: bool = False,
    ) -> dict[str, Any]:
        return self.views.top_level_connection(
            info,
            self.views.data.balance_transactions,
            self.views.balance_transaction,
            first=first,
            after=after,
            reverse=reverse,
            sort_column=BALANCE_SORT_COLUMNS.get(sortKey),
            query=query,
            fields=BALANCE_TRANSACTION_SEARCH_FIELDS,
            kind="balance",
        )

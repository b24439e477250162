"""The Admin GraphQL documents we send, built from shared field selections."""

from __future__ import annotations

from retail_sync.shopify.tables import INVENTORY_QUANTITY_NAMES

BAG = "{ shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }"
# Only the record's own currency codes are landed (a bag's shopMoney is in the shop's currency,
# its presentmentMoney in the customer's), so every other bag asks for amounts alone: narrower
# bulk lines parse faster. `tables.py` reads the codes from the one bag (or field) that has them.
AMOUNTS = "{ shopMoney { amount } presentmentMoney { amount } }"
MONEY = "{ amount currencyCode }"
ORDER_FIELDS = (
    "id name createdAt processedAt updatedAt cancelledAt cancelReason test currencyCode "
    "presentmentCurrencyCode displayFinancialStatus taxesIncluded "
    f"totalPriceSet {AMOUNTS} subtotalPriceSet {AMOUNTS} totalTaxSet {AMOUNTS} "
    f"totalShippingPriceSet {AMOUNTS} totalDiscountsSet {AMOUNTS} currentTotalPriceSet {AMOUNTS} "
    f"totalRefundedSet {AMOUNTS}"
)
LINE_ITEM_FIELDS = (
    f"id sku title quantity currentQuantity isGiftCard originalUnitPriceSet {BAG} "
    f"originalTotalSet {AMOUNTS} totalDiscountSet {AMOUNTS} taxLines {{ priceSet {AMOUNTS} }}"
)
REFUND_FIELDS = f"id createdAt note totalRefundedSet {BAG}"
REFUND_LINE_ITEM_FIELDS = (
    f"id quantity restockType lineItem {{ id }} location {{ id }} subtotalSet {BAG} "
    f"totalTaxSet {AMOUNTS}"
)
REFUND_SHIPPING_LINE_FIELDS = (
    f"id shippingLine {{ id }} subtotalAmountSet {BAG} taxAmountSet {AMOUNTS}"
)
TRANSACTION_FIELDS = (
    f"id kind status gateway test amountSet {BAG} processedAt createdAt parentTransaction {{ id }}"
)
# Nested sizes in paged order reads; a longer list is fetched separately (see extract.py).
PAGED_LINE_ITEMS = 5
PAGED_REFUNDS = 2
PAGED_REFUND_LINE_ITEMS = 5
PAGED_REFUND_SHIPPING_LINES = 1
PAGED_TRANSACTIONS = 5
PAGE_INFO = "pageInfo { hasNextPage endCursor }"

ORDERS_PAGE = f"""query OrdersPage($first: Int!, $after: String, $query: String) {{
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    {PAGE_INFO}
    nodes {{
      {ORDER_FIELDS}
      lineItems(first: {PAGED_LINE_ITEMS}) {{ {PAGE_INFO} nodes {{ {LINE_ITEM_FIELDS} }} }}
      refunds(first: {PAGED_REFUNDS}) {{
        {REFUND_FIELDS}
        refundLineItems(first: {PAGED_REFUND_LINE_ITEMS}) {{
          {PAGE_INFO} nodes {{ {REFUND_LINE_ITEM_FIELDS} }}
        }}
        refundShippingLines(first: {PAGED_REFUND_SHIPPING_LINES}) {{
          {PAGE_INFO} nodes {{ {REFUND_SHIPPING_LINE_FIELDS} }}
        }}
      }}
      transactions(first: {PAGED_TRANSACTIONS}) {{ {TRANSACTION_FIELDS} }}
    }}
  }}
}}"""
ORDER_LINE_ITEMS_PAGE = f"""query OrderLineItems($id: ID!, $first: Int!, $after: String) {{
  order(id: $id) {{ lineItems(first: $first, after: $after) {{
    {PAGE_INFO} nodes {{ {LINE_ITEM_FIELDS} }} }} }}
}}"""
ORDER_TRANSACTIONS = f"""query OrderTransactions($id: ID!) {{
  order(id: $id) {{ transactions(first: 100) {{ {TRANSACTION_FIELDS} }} }}
}}"""
ORDER_REFUNDS = f"""query OrderRefunds($id: ID!) {{
  order(id: $id) {{ refunds(first: 5) {{ {REFUND_FIELDS}
    refundLineItems(first: 20) {{ {PAGE_INFO} nodes {{ {REFUND_LINE_ITEM_FIELDS} }} }} }} }}
}}"""
# Apart from ORDER_REFUNDS: both in one query would cost more than Shopify's 1,000 points.
ORDER_REFUND_SHIPPING_LINES = f"""query OrderRefundShippingLines($id: ID!) {{
  order(id: $id) {{ refunds(first: 5) {{ id
    refundShippingLines(first: 10) {{ {PAGE_INFO} nodes {{ {REFUND_SHIPPING_LINE_FIELDS} }} }}
  }} }}
}}"""


def orders_bulk_query(search: str) -> str:
    """The bulk export of orders with line items, refunds (+ lines, shipping lines) and
    transactions."""
    return f"""{{
  orders(query: {_graphql_string(search)}, sortKey: UPDATED_AT) {{ edges {{ node {{
    {ORDER_FIELDS}
    lineItems {{ edges {{ node {{ {LINE_ITEM_FIELDS} }} }} }}
    refunds {{ {REFUND_FIELDS}
      refundLineItems {{ edges {{ node {{ {REFUND_LINE_ITEM_FIELDS} }} }} }}
      refundShippingLines {{ edges {{ node {{ {REFUND_SHIPPING_LINE_FIELDS} }} }} }} }}
    transactions {{ {TRANSACTION_FIELDS} }}
  }} }} }}
}}"""


PAYOUT_FIELDS = (
    f"id status issuedAt transactionType net {MONEY} summary {{ "
    + " ".join(
        f"{name} {MONEY}"
        for name in (
            "chargesGross", "chargesFee", "refundsFeeGross", "refundsFee", "adjustmentsGross",
            "adjustmentsFee", "reservedFundsGross", "reservedFundsFee", "retriedPayoutsGross",
            "retriedPayoutsFee", "advanceGross", "advanceFees",
        )
    )
    + " }"
)  # fmt: skip
PAYOUTS_PAGE = f"""query PayoutsPage($first: Int!, $after: String, $query: String) {{
  shopifyPaymentsAccount {{ payouts(first: $first, after: $after, query: $query) {{
    {PAGE_INFO} nodes {{ {PAYOUT_FIELDS} }} }} }}
}}"""
BALANCE_TRANSACTION_FIELDS = (
    f"id type test transactionDate sourceType sourceId sourceOrderTransactionId amount {MONEY} "
    f"fee {MONEY} net {MONEY} adjustmentReason associatedOrder {{ id name }} "
    "associatedPayout { id status }"
)
BALANCE_TRANSACTIONS_PAGE = f"""query BalanceTransactionsPage($first: Int!, $after: String,
    $query: String) {{
  shopifyPaymentsAccount {{ balanceTransactions(first: $first, after: $after, query: $query) {{
    {PAGE_INFO} nodes {{ {BALANCE_TRANSACTION_FIELDS} }} }} }}
}}"""
_NAMES = ", ".join(f'"{name}"' for name in INVENTORY_QUANTITY_NAMES)
LOCATIONS_PAGE = f"""query LocationsPage($first: Int!, $after: String) {{
  locations(first: $first, after: $after, includeInactive: true) {{
    {PAGE_INFO} nodes {{ id name isActive }} }}
}}"""
INVENTORY_LEVELS_PAGE = f"""query InventoryLevelsPage($id: ID!, $first: Int!, $after: String) {{
  location(id: $id) {{ inventoryLevels(first: $first, after: $after) {{
    {PAGE_INFO}
    nodes {{ id updatedAt item {{ id sku unitCost {MONEY} }}
      quantities(names: [{_NAMES}]) {{ name quantity updatedAt }} }}
  }} }}
}}"""


def _graphql_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def time_range_search(field: str, start: str, end: str) -> str:
    """Shopify search syntax for `start <= field < end`."""
    return f"{field}:>='{start}' {field}:<'{end}'"

"""View objects that turn world records into Shopify's GraphQL shapes.

graphql-core's default resolver reads an attribute named after the field and calls it with
`(info, **arguments)` when it is a method, so each GraphQL type is one small class here, in a
module per group of types: `orders`, `payments` (payouts, balance transactions), `inventory`,
`shop`, and `roots` (`Query`, `Mutation`). `views.Views` builds them for one request and serves
the connections; `scalars` renders ids, times and amounts.
"""

from retail_sync.sandbox.shopify.resolvers.inventory import (
    InventoryItemView,
    InventoryLevelView,
    LocationView,
)
from retail_sync.sandbox.shopify.resolvers.orders import (
    ORDER_SORT_COLUMNS,
    LineItemView,
    OrderView,
    RefundLineItemView,
    RefundShippingLineView,
    RefundView,
    ShippingLineView,
    TransactionView,
    tax_lines,
)
from retail_sync.sandbox.shopify.resolvers.payments import (
    BALANCE_SORT_COLUMNS,
    BalanceTransactionView,
    PayoutView,
    ShopifyPaymentsAccountView,
)
from retail_sync.sandbox.shopify.resolvers.roots import MutationRoot, QueryRoot
from retail_sync.sandbox.shopify.resolvers.scalars import (
    gid,
    money,
    parse_gid,
    render_amount,
    render_time,
    stable_number,
    to_decimal,
)
from retail_sync.sandbox.shopify.resolvers.shop import PLAN_NAMES, ShopView
from retail_sync.sandbox.shopify.resolvers.views import RequestContext, Views

__all__ = [
    "BALANCE_SORT_COLUMNS",
    "ORDER_SORT_COLUMNS",
    "PLAN_NAMES",
    "BalanceTransactionView",
    "InventoryItemView",
    "InventoryLevelView",
    "LineItemView",
    "LocationView",
    "MutationRoot",
    "OrderView",
    "PayoutView",
    "QueryRoot",
    "RefundLineItemView",
    "RefundShippingLineView",
    "RefundView",
    "RequestContext",
    "ShippingLineView",
    "ShopView",
    "ShopifyPaymentsAccountView",
    "TransactionView",
    "Views",
    "gid",
    "money",
    "parse_gid",
    "render_amount",
    "render_time",
    "stable_number",
    "tax_lines",
    "to_decimal",
]

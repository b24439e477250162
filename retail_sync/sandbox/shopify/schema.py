"""The Admin GraphQL schema subset the pipeline needs, with Shopify's names and shapes."""

from __future__ import annotations

from functools import cache
from typing import Any

from graphql import GraphQLEnumType, GraphQLSchema, build_schema

SDL = '''
"""An ISO 8601 date-time string, rendered in UTC with a `Z`."""
scalar DateTime
"""A decimal number rendered as a string."""
scalar Decimal
"""An unsigned 64-bit integer rendered as a string."""
scalar UnsignedInt64
"""An absolute URL."""
scalar URL

interface Node { id: ID! }

type PageInfo {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}

enum CurrencyCode { USD CAD EUR GBP AUD NZD JPY CHF SEK NOK DKK MXN BRL PLN CZK HUF SGD HKD
  INR ZAR }

"""Shopify declares `amount` non-null; it is nullable here so the `malformed` fault profile can
serve a null amount as data rather than as a field error."""
type MoneyV2 { amount: Decimal currencyCode: CurrencyCode! }
type MoneyBag { shopMoney: MoneyV2! presentmentMoney: MoneyV2! }

enum OrderSortKeys { CREATED_AT CUSTOMER_NAME FINANCIAL_STATUS FULFILLMENT_STATUS ID NUMBER
  ORDER_NUMBER PO_NUMBER PROCESSED_AT RELEVANCE TOTAL_ITEMS_QUANTITY TOTAL_PRICE UPDATED_AT }
enum OrderCancelReason { CUSTOMER DECLINED FRAUD INVENTORY OTHER STAFF }
enum OrderDisplayFinancialStatus { AUTHORIZED EXPIRED PAID PARTIALLY_PAID PARTIALLY_REFUNDED
  PENDING REFUNDED VOIDED }
enum OrderTransactionKind { AUTHORIZATION CAPTURE CHANGE EMV_AUTHORIZATION REFUND SALE
  SUGGESTED_REFUND VOID }
enum OrderTransactionStatus { AWAITING_RESPONSE ERROR FAILURE PENDING SUCCESS UNKNOWN }
enum RefundLineItemRestockType { CANCEL LEGACY_RESTOCK NO_RESTOCK RETURN }

type Order implements Node {
  id: ID!
  legacyResourceId: UnsignedInt64!
  name: String!
  createdAt: DateTime!
  processedAt: DateTime!
  updatedAt: DateTime!
  cancelledAt: DateTime
  cancelReason: OrderCancelReason
  test: Boolean!
  currencyCode: CurrencyCode!
  presentmentCurrencyCode: CurrencyCode!
  displayFinancialStatus: OrderDisplayFinancialStatus
  taxesIncluded: Boolean!
  totalPriceSet: MoneyBag!
  currentTotalPriceSet: MoneyBag!
  subtotalPriceSet: MoneyBag
  totalTaxSet: MoneyBag
  totalShippingPriceSet: MoneyBag!
  totalDiscountsSet: MoneyBag
  totalRefundedSet: MoneyBag!
  lineItems(first: Int, after: String, reverse: Boolean = false): LineItemConnection!
  shippingLines(first: Int, after: String): ShippingLineConnection!
  refunds(first: Int): [Refund!]!
  transactions(first: Int): [OrderTransaction!]!
}
type OrderEdge { cursor: String! node: Order! }
type OrderConnection { edges: [OrderEdge!]! nodes: [Order!]! pageInfo: PageInfo! }

type TaxLine { title: String! rate: Float ratePercentage: Float priceSet: MoneyBag! }

type LineItem implements Node {
  id: ID!
  sku: String
  title: String!
  name: String!
  quantity: Int!
  currentQuantity: Int!
  isGiftCard: Boolean!
  originalUnitPriceSet: MoneyBag!
  originalTotalSet: MoneyBag!
  totalDiscountSet: MoneyBag!
  discountedTotalSet: MoneyBag!
  taxLines(first: Int): [TaxLine!]!
}
type LineItemEdge { cursor: String! node: LineItem! }
type LineItemConnection { edges: [LineItemEdge!]! nodes: [LineItem!]! pageInfo: PageInfo! }

type ShippingLine { id: ID title: String! originalPriceSet: MoneyBag! taxLines: [TaxLine!]! }
type ShippingLineEdge { cursor: String! node: ShippingLine! }
type ShippingLineConnection {
  edges: [ShippingLineEdge!]! nodes: [ShippingLine!]! pageInfo: PageInfo!
}

type Refund implements Node {
  id: ID!
  legacyResourceId: UnsignedInt64!
  createdAt: DateTime
  note: String
  totalRefundedSet: MoneyBag!
  refundLineItems(first: Int, after: String): RefundLineItemConnection!
  refundShippingLines(first: Int, after: String): RefundShippingLineConnection!
  transactions(first: Int, after: String): OrderTransactionConnection!
}
type RefundLineItem {
  id: ID!
  quantity: Int!
  restockType: RefundLineItemRestockType!
  restocked: Boolean!
  location: Location
  lineItem: LineItem!
  priceSet: MoneyBag!
  subtotalSet: MoneyBag!
  totalTaxSet: MoneyBag!
}
type RefundLineItemEdge { cursor: String! node: RefundLineItem! }
type RefundLineItemConnection {
  edges: [RefundLineItemEdge!]! nodes: [RefundLineItem!]! pageInfo: PageInfo!
}
type RefundShippingLine {
  id: ID!
  shippingLine: ShippingLine!
  subtotalAmountSet: MoneyBag!
  taxAmountSet: MoneyBag!
}
type RefundShippingLineEdge { cursor: String! node: RefundShippingLine! }
type RefundShippingLineConnection {
  edges: [RefundShippingLineEdge!]! nodes: [RefundShippingLine!]! pageInfo: PageInfo!
}

type OrderTransaction implements Node {
  id: ID!
  kind: OrderTransactionKind!
  status: OrderTransactionStatus!
  gateway: String
  test: Boolean!
  amountSet: MoneyBag!
  processedAt: DateTime
  createdAt: DateTime!
  parentTransaction: OrderTransaction
}
type OrderTransactionEdge { cursor: String! node: OrderTransaction! }
type OrderTransactionConnection {
  edges: [OrderTransactionEdge!]! nodes: [OrderTransaction!]! pageInfo: PageInfo!
}

enum ShopifyPaymentsPayoutStatus { CANCELED FAILED IN_TRANSIT PAID SCHEDULED }
enum ShopifyPaymentsPayoutTransactionType { DEPOSIT WITHDRAWAL }
enum ShopifyPaymentsTransactionType { ADJUSTMENT ADJUSTMENT_REVERSAL ADVANCE ADVANCE_FUNDING
  APPLICATION_FEE_REFUND CHARGE CHARGEBACK_FEE CHARGEBACK_FEE_REFUND CHARGE_ADJUSTMENT DISPUTE
  PAYOUT PAYOUT_CANCELLATION PAYOUT_FAILURE REFUND REFUND_ADJUSTMENT REFUND_FAILURE RESERVED_FUNDS
  RESERVED_FUNDS_REVERSAL RESERVED_FUNDS_WITHDRAWAL RISK_REVERSAL RISK_WITHDRAWAL TRANSFER
  TRANSFER_CANCEL TRANSFER_FAILURE TRANSFER_REFUND }
enum ShopifyPaymentsSourceType { ADJUSTMENT ADJUSTMENT_REVERSAL CHARGE DISPUTE REFUND
  SYSTEM_ADJUSTMENT TRANSFER }
enum ShopifyPaymentsBalanceTransactionPayoutStatus { ACTION_REQUIRED CANCELED FAILED IN_TRANSIT
  PAID PENDING SCHEDULED }
enum BalanceTransactionSortKeys { AMOUNT FEE ID NET ORDER_NAME PAYMENT_METHOD_NAME PAYOUT_DATE
  PAYOUT_STATUS PROCESSED_AT RELEVANCE TRANSACTION_TYPE }

type ShopifyPaymentsPayoutSummary {
  adjustmentsFee: MoneyV2!
  adjustmentsGross: MoneyV2!
  advanceFees: MoneyV2!
  advanceGross: MoneyV2!
  chargesFee: MoneyV2!
  chargesGross: MoneyV2!
  refundsFee: MoneyV2!
  refundsFeeGross: MoneyV2!
  reservedFundsFee: MoneyV2!
  reservedFundsGross: MoneyV2!
  retriedPayoutsFee: MoneyV2!
  retriedPayoutsGross: MoneyV2!
}
type ShopifyPaymentsPayout implements Node {
  id: ID!
  legacyResourceId: UnsignedInt64!
  status: ShopifyPaymentsPayoutStatus!
  issuedAt: DateTime!
  transactionType: ShopifyPaymentsPayoutTransactionType!
  net: MoneyV2!
  summary: ShopifyPaymentsPayoutSummary!
}
type ShopifyPaymentsPayoutEdge { cursor: String! node: ShopifyPaymentsPayout! }
type ShopifyPaymentsPayoutConnection {
  edges: [ShopifyPaymentsPayoutEdge!]! nodes: [ShopifyPaymentsPayout!]! pageInfo: PageInfo!
}
type ShopifyPaymentsAssociatedOrder { id: ID! name: String! }
type ShopifyPaymentsBalanceTransactionAssociatedPayout {
  id: ID
  status: ShopifyPaymentsBalanceTransactionPayoutStatus
}
type ShopifyPaymentsBalanceTransaction implements Node {
  id: ID!
  type: ShopifyPaymentsTransactionType!
  test: Boolean!
  transactionDate: DateTime!
  sourceType: ShopifyPaymentsSourceType
  sourceId: UnsignedInt64
  sourceOrderTransactionId: UnsignedInt64
  amount: MoneyV2!
  fee: MoneyV2!
  net: MoneyV2!
  adjustmentReason: String
  associatedOrder: ShopifyPaymentsAssociatedOrder
  associatedPayout: ShopifyPaymentsBalanceTransactionAssociatedPayout!
}
type ShopifyPaymentsBalanceTransactionEdge {
  cursor: String!
  node: ShopifyPaymentsBalanceTransaction!
}
type ShopifyPaymentsBalanceTransactionConnection {
  edges: [ShopifyPaymentsBalanceTransactionEdge!]!
  nodes: [ShopifyPaymentsBalanceTransaction!]!
  pageInfo: PageInfo!
}
type ShopifyPaymentsAccount {
  id: ID!
  activated: Boolean!
  payouts(first: Int, after: String, reverse: Boolean = false, query: String,
          transactionType: ShopifyPaymentsPayoutTransactionType): ShopifyPaymentsPayoutConnection!
  balanceTransactions(first: Int, after: String, reverse: Boolean = false, query: String,
                      sortKey: BalanceTransactionSortKeys = ID, hideTransfers: Boolean = false
                     ): ShopifyPaymentsBalanceTransactionConnection!
}

type InventoryItem implements Node {
  id: ID!
  legacyResourceId: UnsignedInt64!
  sku: String
  tracked: Boolean!
  unitCost: MoneyV2
}
type InventoryQuantity { id: ID! name: String! quantity: Int! updatedAt: DateTime }
type InventoryLevel implements Node {
  id: ID!
  item: InventoryItem!
  location: Location!
  updatedAt: DateTime!
  quantities(names: [String!]!): [InventoryQuantity!]!
}
type InventoryLevelEdge { cursor: String! node: InventoryLevel! }
type InventoryLevelConnection {
  edges: [InventoryLevelEdge!]! nodes: [InventoryLevel!]! pageInfo: PageInfo!
}
type Location implements Node {
  id: ID!
  legacyResourceId: UnsignedInt64!
  name: String!
  isActive: Boolean!
  inventoryLevels(first: Int, after: String, query: String): InventoryLevelConnection!
}
type LocationEdge { cursor: String! node: Location! }
type LocationConnection { edges: [LocationEdge!]! nodes: [Location!]! pageInfo: PageInfo! }

type ShopPlan { displayName: String! partnerDevelopment: Boolean! shopifyPlus: Boolean! }
type Shop implements Node {
  id: ID!
  name: String!
  myshopifyDomain: String!
  currencyCode: CurrencyCode!
  ianaTimezone: String!
  plan: ShopPlan!
}

enum BulkOperationStatus { CANCELED CANCELING COMPLETED CREATED EXPIRED FAILED RUNNING }
enum BulkOperationErrorCode { ACCESS_DENIED INTERNAL_SERVER_ERROR TIMEOUT }
enum BulkOperationType { MUTATION QUERY }
enum BulkOperationUserErrorCode { INVALID LIMIT_REACHED OPERATION_IN_PROGRESS }
type BulkOperation implements Node {
  id: ID!
  status: BulkOperationStatus!
  errorCode: BulkOperationErrorCode
  createdAt: DateTime!
  completedAt: DateTime
  objectCount: UnsignedInt64!
  rootObjectCount: UnsignedInt64!
  fileSize: UnsignedInt64
  url: URL
  partialDataUrl: URL
  query: String!
  type: BulkOperationType!
}
type BulkOperationUserError { field: [String!] message: String! code: BulkOperationUserErrorCode }
type UserError { field: [String!] message: String! }
type BulkOperationRunQueryPayload {
  bulkOperation: BulkOperation
  userErrors: [BulkOperationUserError!]!
}
type BulkOperationCancelPayload { bulkOperation: BulkOperation userErrors: [UserError!]! }

type Query {
  orders(first: Int, after: String, reverse: Boolean = false, query: String,
         sortKey: OrderSortKeys = ID): OrderConnection!
  order(id: ID!): Order
  node(id: ID!): Node
  nodes(ids: [ID!]!): [Node]!
  shop: Shop!
  shopifyPaymentsAccount: ShopifyPaymentsAccount
  locations(first: Int, after: String, includeInactive: Boolean = false): LocationConnection!
  location(id: ID): Location
  currentBulkOperation(type: BulkOperationType = QUERY): BulkOperation
  bulkOperation(id: ID!): BulkOperation
}

type Mutation {
  bulkOperationRunQuery(query: String!, groupObjects: Boolean = false): BulkOperationRunQueryPayload
  bulkOperationCancel(id: ID!): BulkOperationCancelPayload
}
'''


def _lenient_enum_serialize(enum_type: GraphQLEnumType) -> None:
    """Serve unknown enum values verbatim (the `malformed` profile's bad currency codes)."""
    strict = enum_type.serialize

    def serialize(output_value: Any) -> Any:
        if isinstance(output_value, str) and output_value not in enum_type.values:
            return output_value
        return strict(output_value)

    enum_type.serialize = serialize  # type: ignore[method-assign]


def _resolve_node_type(value: Any, *_: Any) -> str:
    return str(value.typename)


@cache
def admin_schema() -> GraphQLSchema:
    """Build (once) the executable schema; resolvers are the view objects' attributes."""
    schema = build_schema(SDL)
    currency = schema.type_map["CurrencyCode"]
    assert isinstance(currency, GraphQLEnumType)
    _lenient_enum_serialize(currency)
    node = schema.type_map["Node"]
    node.resolve_type = _resolve_node_type  # type: ignore[attr-defined]
    return schema

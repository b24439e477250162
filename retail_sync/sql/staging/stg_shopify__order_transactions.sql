-- Payment transactions of each order's latest landed version, dated by when they were processed
-- in the shop's timezone.
with latest_orders as (
    select shop_id, order_id, landed_date
    from staging.stg_shopify__orders
)

select
    transactions.shop_id,
    cast(timezone(shops.timezone, transactions.processed_at) as date) as business_date,
    transactions.transaction_id,
    transactions.order_id,
    transactions.parent_transaction_id,
    transactions.kind,
    transactions.status,
    transactions.gateway,
    transactions.test,
    transactions.currency_code,
    transactions.presentment_currency_code,
    transactions.amount_shop,
    transactions.amount_presentment,
    transactions.processed_at,
    transactions.created_at
from raw.shopify__order_transactions as transactions
join latest_orders
    on latest_orders.shop_id = transactions.shop_id
    and latest_orders.order_id = transactions.order_id
    and latest_orders.landed_date = transactions.date
join raw.config__shops as shops on shops.shop_id = transactions.shop_id

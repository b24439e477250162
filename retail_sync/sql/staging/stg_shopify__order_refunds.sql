-- Refunds of each order's latest landed version, dated by their creation in the shop's timezone.
with latest_orders as (
    select shop_id, order_id, landed_date
    from staging.stg_shopify__orders
)

select
    refunds.shop_id,
    cast(timezone(shops.timezone, refunds.created_at) as date) as business_date,
    refunds.refund_id,
    refunds.order_id,
    refunds.created_at,
    refunds.note,
    refunds.currency_code,
    refunds.presentment_currency_code,
    refunds.total_refunded_shop,
    refunds.total_refunded_presentment
from raw.shopify__order_refunds as refunds
join latest_orders
    on latest_orders.shop_id = refunds.shop_id
    and latest_orders.order_id = refunds.order_id
    and latest_orders.landed_date = refunds.date
join raw.config__shops as shops on shops.shop_id = refunds.shop_id

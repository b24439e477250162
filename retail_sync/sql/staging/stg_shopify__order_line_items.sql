-- Line items of each order's latest landed version (they are landed with their order).
with latest_orders as (
    select shop_id, order_id, business_date, landed_date
    from staging.stg_shopify__orders
)

select
    line_items.shop_id,
    latest_orders.business_date,
    line_items.order_id,
    line_items.line_item_id,
    line_items.sku,
    line_items.title,
    line_items.quantity,
    line_items.current_quantity,
    line_items.is_gift_card,
    line_items.currency_code,
    line_items.presentment_currency_code,
    line_items.unit_price_shop,
    line_items.unit_price_presentment,
    line_items.original_total_shop,
    line_items.original_total_presentment,
    line_items.total_discount_shop,
    line_items.total_discount_presentment,
    line_items.total_tax_shop,
    line_items.total_tax_presentment
from raw.shopify__order_line_items as line_items
join latest_orders
    on latest_orders.shop_id = line_items.shop_id
    and latest_orders.order_id = line_items.order_id
    and latest_orders.landed_date = line_items.date

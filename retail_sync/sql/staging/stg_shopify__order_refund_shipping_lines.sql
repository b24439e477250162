-- Refund shipping lines of each order's latest landed version, dated with their refund: the
-- shipping a refund returns, with its own tax (Shopify's `Refund.refundShippingLines`).
select
    shipping_lines.shop_id,
    refunds.business_date,
    shipping_lines.refund_shipping_line_id,
    shipping_lines.refund_id,
    refunds.order_id,
    shipping_lines.shipping_line_id,
    shipping_lines.currency_code,
    shipping_lines.presentment_currency_code,
    shipping_lines.subtotal_shop,
    shipping_lines.subtotal_presentment,
    shipping_lines.tax_shop,
    shipping_lines.tax_presentment
from raw.shopify__order_refund_shipping_lines as shipping_lines
join staging.stg_shopify__order_refunds as refunds
    on refunds.shop_id = shipping_lines.shop_id
    and refunds.refund_id = shipping_lines.refund_id
join staging.stg_shopify__orders as orders
    on orders.shop_id = refunds.shop_id
    and orders.order_id = refunds.order_id
    and orders.landed_date = shipping_lines.date

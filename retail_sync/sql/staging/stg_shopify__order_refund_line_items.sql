-- Refund lines of each order's latest landed version, dated with their refund.
select
    refund_lines.shop_id,
    refunds.business_date,
    refund_lines.refund_line_item_id,
    refund_lines.refund_id,
    refunds.order_id,
    refund_lines.line_item_id,
    refund_lines.quantity,
    refund_lines.restock_type,
    refund_lines.location_id,
    refund_lines.currency_code,
    refund_lines.presentment_currency_code,
    refund_lines.subtotal_shop,
    refund_lines.subtotal_presentment,
    refund_lines.total_tax_shop,
    refund_lines.total_tax_presentment
from raw.shopify__order_refund_line_items as refund_lines
join staging.stg_shopify__order_refunds as refunds
    on refunds.shop_id = refund_lines.shop_id
    and refunds.refund_id = refund_lines.refund_id
join staging.stg_shopify__orders as orders
    on orders.shop_id = refunds.shop_id
    and orders.order_id = refunds.order_id
    and orders.landed_date = refund_lines.date

-- One row per order with what settles it: the goods sold (Σ line items before discounts, gift cards
-- apart: selling one is a liability, not a sale) and the
-- money captured per tender (successful SALE and CAPTURE transactions; an AUTHORIZATION alone
-- moves no money), in the shop currency. The posting rules of ACCOUNTING.md read these amounts.
with lines as (
    select
        shop_id,
        order_id,
        sum(original_total_shop) filter (where not coalesce(is_gift_card, false)) as goods_shop,
        sum(original_total_shop) filter (where is_gift_card) as gift_cards_sold_shop
    from staging.stg_shopify__order_line_items
    group by all
),

payments as (
    select
        shop_id,
        order_id,
        sum(amount_shop) filter (where gateway = 'shopify_payments') as paid_shopify_payments,
        sum(amount_shop) filter (where gateway = 'gift_card') as paid_gift_card,
        sum(amount_shop) filter (
            where gateway not in ('shopify_payments', 'gift_card')
        ) as paid_other_gateways,
        count(*) as payments
    from staging.stg_shopify__order_transactions
    where kind in ('SALE', 'CAPTURE') and status = 'SUCCESS'
    group by all
)

select
    orders.shop_id,
    orders.business_date,
    orders.order_id,
    orders.name,
    orders.processed_at,
    orders.test,
    orders.currency_code,
    orders.presentment_currency_code,
    cast(coalesce(lines.goods_shop, 0) as decimal(18, 2)) as goods_shop,
    cast(coalesce(lines.gift_cards_sold_shop, 0) as decimal(18, 2)) as gift_cards_sold_shop,
    orders.total_discounts_shop,
    orders.total_shipping_price_shop,
    orders.total_tax_shop,
    orders.total_price_shop,
    orders.total_price_presentment,
    cast(coalesce(payments.paid_shopify_payments, 0) as decimal(18, 2)) as paid_shopify_payments,
    cast(coalesce(payments.paid_other_gateways, 0) as decimal(18, 2)) as paid_other_gateways,
    cast(coalesce(payments.paid_gift_card, 0) as decimal(18, 2)) as paid_gift_card,
    coalesce(payments.payments, 0) as payments
from staging.stg_shopify__orders as orders
left join lines using (shop_id, order_id)
left join payments using (shop_id, order_id)

-- One row per refund with how it is booked, in the shop currency: the goods refunded (Σ refund
-- line subtotals) and their tax (Σ refund line total tax), the shipping refunded and its tax
-- (Σ refund shipping line subtotal and tax), `tax_shop` = both taxes, and `unallocated_shop`: what
-- the refund total holds beyond goods, shipping and tax (an amount-only refund, say). Then the
-- money returned per tender. A refund's tender is the one of its REFUND transactions (processed
-- with the refund); when none is landed, the tender the order was paid with.
-- `shipping_and_tax_shop` (= total − goods = shipping + tax + unallocated) is the combined figure
-- the rules read before the split; it goes once sql/recon reads the split columns.
with goods as (
    select
        shop_id,
        refund_id,
        sum(subtotal_shop) as goods_shop,
        sum(total_tax_shop) as goods_tax_shop
    from staging.stg_shopify__order_refund_line_items
    group by all
),

shipping as (
    select
        shop_id,
        refund_id,
        sum(subtotal_shop) as shipping_shop,
        sum(tax_shop) as shipping_tax_shop
    from staging.stg_shopify__order_refund_shipping_lines
    group by all
),

split as (
    select
        refunds.shop_id,
        refunds.refund_id,
        cast(coalesce(goods.goods_shop, 0) as decimal(18, 2)) as goods_shop,
        cast(coalesce(goods.goods_tax_shop, 0) as decimal(18, 2)) as goods_tax_shop,
        cast(coalesce(shipping.shipping_shop, 0) as decimal(18, 2)) as shipping_shop,
        cast(coalesce(shipping.shipping_tax_shop, 0) as decimal(18, 2)) as shipping_tax_shop
    from staging.stg_shopify__order_refunds as refunds
    left join goods on goods.shop_id = refunds.shop_id and goods.refund_id = refunds.refund_id
    left join shipping
        on shipping.shop_id = refunds.shop_id and shipping.refund_id = refunds.refund_id
),

refund_payments as (
    select
        refunds.shop_id,
        refunds.refund_id,
        sum(transactions.amount_shop) filter (
            where transactions.gateway = 'shopify_payments'
        ) as shopify_payments,
        sum(transactions.amount_shop) filter (where transactions.gateway = 'gift_card') as gift_card,
        sum(transactions.amount_shop) filter (
            where transactions.gateway not in ('shopify_payments', 'gift_card')
        ) as other_gateways,
        count(*) as transactions
    from staging.stg_shopify__order_refunds as refunds
    join staging.stg_shopify__order_transactions as transactions
        on transactions.shop_id = refunds.shop_id
        and transactions.order_id = refunds.order_id
        and transactions.processed_at = refunds.created_at
    where transactions.kind = 'REFUND' and transactions.status = 'SUCCESS'
    group by all
)

select
    refunds.shop_id,
    refunds.business_date,
    refunds.refund_id,
    refunds.order_id,
    refunds.created_at,
    refunds.currency_code,
    refunds.presentment_currency_code,
    refunds.total_refunded_shop,
    split.goods_shop,
    split.goods_tax_shop,
    split.shipping_shop,
    split.shipping_tax_shop,
    cast(split.goods_tax_shop + split.shipping_tax_shop as decimal(18, 2)) as tax_shop,
    cast(
        refunds.total_refunded_shop - split.goods_shop - split.shipping_shop
        - split.goods_tax_shop - split.shipping_tax_shop as decimal(18, 2)
    ) as unallocated_shop,
    cast(refunds.total_refunded_shop - split.goods_shop as decimal(18, 2))
        as shipping_and_tax_shop,
    cast(case
        when refund_payments.transactions is not null then coalesce(refund_payments.shopify_payments, 0)
        when orders.paid_shopify_payments <> 0 then refunds.total_refunded_shop
        else 0
    end as decimal(18, 2)) as refunded_shopify_payments,
    cast(case
        when refund_payments.transactions is not null then coalesce(refund_payments.other_gateways, 0)
        when orders.paid_shopify_payments = 0 and orders.paid_other_gateways <> 0
            then refunds.total_refunded_shop
        else 0
    end as decimal(18, 2)) as refunded_other_gateways,
    cast(case
        when refund_payments.transactions is not null then coalesce(refund_payments.gift_card, 0)
        when orders.paid_shopify_payments = 0 and orders.paid_other_gateways = 0
            then refunds.total_refunded_shop
        else 0
    end as decimal(18, 2)) as refunded_gift_card
from staging.stg_shopify__order_refunds as refunds
join staging.stg_shopify__order_settlements as orders
    on orders.shop_id = refunds.shop_id and orders.order_id = refunds.order_id
join split on split.shop_id = refunds.shop_id and split.refund_id = refunds.refund_id
left join refund_payments
    on refund_payments.shop_id = refunds.shop_id and refund_payments.refund_id = refunds.refund_id

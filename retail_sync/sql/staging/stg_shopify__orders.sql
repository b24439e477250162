-- One row per order: the latest version landed (orders change for up to 60 days and are re-read
-- by the lookback), dated by its processed time in the shop's timezone.
with versions as (
    select
        orders.*,
        orders.date as landed_date,
        row_number() over (
            partition by orders.shop_id, orders.order_id
            order by orders.updated_at desc, orders.date desc
        ) as version_rank
    from raw.shopify__orders as orders
)

select
    versions.shop_id,
    cast(timezone(shops.timezone, versions.processed_at) as date) as business_date,
    versions.order_id,
    versions.name,
    versions.created_at,
    versions.processed_at,
    versions.updated_at,
    versions.cancelled_at,
    versions.cancel_reason,
    versions.test,
    versions.currency_code,
    versions.presentment_currency_code,
    versions.display_financial_status,
    versions.taxes_included,
    versions.subtotal_price_shop,
    versions.subtotal_price_presentment,
    versions.total_discounts_shop,
    versions.total_discounts_presentment,
    versions.total_shipping_price_shop,
    versions.total_shipping_price_presentment,
    versions.total_tax_shop,
    versions.total_tax_presentment,
    versions.total_price_shop,
    versions.total_price_presentment,
    versions.current_total_price_shop,
    versions.current_total_price_presentment,
    versions.total_refunded_shop,
    versions.total_refunded_presentment,
    versions.landed_date
from versions
join raw.config__shops as shops on shops.shop_id = versions.shop_id
where versions.version_rank = 1

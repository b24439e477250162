-- Shopify Payments balance transactions, one row each (the latest landed), dated by their
-- transaction time in the shop's timezone. Shopify's canonical statement of account.
with versions as (
    select
        balance.*,
        row_number() over (
            partition by balance.shop_id, balance.balance_transaction_id
            order by balance.date desc
        ) as version_rank
    from raw.shopify__balance_transactions as balance
)

select
    versions.shop_id,
    cast(timezone(shops.timezone, versions.transaction_date) as date) as business_date,
    versions.balance_transaction_id,
    versions.type,
    versions.test,
    versions.transaction_date,
    versions.source_type,
    versions.source_id,
    versions.source_order_transaction_id,
    versions.currency_code,
    versions.amount,
    versions.fee,
    versions.net,
    versions.adjustment_reason,
    versions.associated_order_id,
    versions.payout_id,
    versions.payout_status
from versions
join raw.config__shops as shops on shops.shop_id = versions.shop_id
where versions.version_rank = 1

-- Shopify Payments payouts, one row each (the latest landed). A payout's date is the UTC date it
-- was issued: Shopify's payout batch closes at midnight UTC. `failed_on` is the first landed
-- date on which the payout read FAILED: the day its failure is known here. Payouts are landed
-- under their issue date, so today that is the issue date; the PAYOUT_FAILURE balance
-- transaction that would date the failure exactly is neither served by the simulator nor landed.
with versions as (
    select
        payouts.*,
        row_number() over (
            partition by payouts.shop_id, payouts.payout_id order by payouts.date desc
        ) as version_rank,
        min(cast(payouts.date as date)) filter (where payouts.status = 'FAILED') over (
            partition by payouts.shop_id, payouts.payout_id
        ) as failed_on
    from raw.shopify__payouts as payouts
)

select
    shop_id,
    cast(timezone('UTC', issued_at) as date) as business_date,
    payout_id,
    status,
    case when status = 'FAILED' then failed_on end as failed_on,
    issued_at,
    transaction_type,
    currency_code,
    net,
    charges_gross,
    charges_fee,
    refunds_fee_gross,
    refunds_fee,
    adjustments_gross,
    adjustments_fee,
    reserved_funds_gross,
    reserved_funds_fee
from versions
where version_rank = 1

-- The Shopify Payments clearing account (1205) rolled forward per shop and business date, within
-- its period (the calendar month): the ledger's opening balance, Shopify's movements of the day
-- by kind (its balance transactions and the payouts it paid), the closing balance they imply and
-- the closing balance the ledger holds. `unpaid_balance` is Σ balance transactions not yet paid
-- out (what the clearing account should hold once every day is booked). Balances count from the
-- first landed date: the ledger's history before the lake is not read.
with days as (
    select shop_id, business_date from staging.stg_shopify__balance_transactions
    union
    select shop_id, business_date from staging.stg_shopify__payouts
    union
    select shop_id, trandate from staging.stg_erp__gl_lines where account_number = '1205'
),

ledger as (
    select shop_id, trandate as business_date, sum(signed_amount) as movement
    from staging.stg_erp__gl_lines
    where account_number = '1205'
    group by all
),

balance as (
    select
        shop_id,
        business_date,
        sum(amount) filter (where type = 'CHARGE') as charges,
        sum(amount) filter (where type = 'REFUND') as refunds,
        -sum(fee) as fees,
        sum(net) filter (where type in ('DISPUTE', 'ADJUSTMENT_REVERSAL')) as disputes,
        sum(net + fee) filter (where type = 'ADJUSTMENT') as adjustments,
        sum(net) filter (where type in ('RESERVED_FUNDS', 'RESERVED_FUNDS_REVERSAL')) as reserves
    from staging.stg_shopify__balance_transactions
    where not test
    group by all
),

paid as (
    select shop_id, business_date, -sum(net) as payouts
    from staging.stg_shopify__payouts
    where status in ('PAID', 'FAILED')
    group by all
),

unpaid as (
    select days.shop_id, days.business_date, sum(balance.net) as unpaid_balance
    from days
    join staging.stg_shopify__balance_transactions as balance
        on balance.shop_id = days.shop_id and balance.business_date <= days.business_date
    left join staging.stg_shopify__payouts as payouts
        on payouts.shop_id = balance.shop_id and payouts.payout_id = balance.payout_id
    where not balance.test
        and (payouts.payout_id is null or payouts.status not in ('PAID', 'FAILED')
            or payouts.business_date > days.business_date)
    group by all
),

daily as (
    select
        days.shop_id,
        days.business_date,
        coalesce(balance.charges, 0) as charges,
        coalesce(balance.refunds, 0) as refunds,
        coalesce(balance.fees, 0) as fees,
        coalesce(balance.disputes, 0) as disputes,
        coalesce(balance.adjustments, 0) as adjustments,
        coalesce(balance.reserves, 0) as reserves,
        coalesce(paid.payouts, 0) as payouts,
        coalesce(ledger.movement, 0) as movement,
        coalesce(unpaid.unpaid_balance, 0) as unpaid_balance
    from days
    left join balance using (shop_id, business_date)
    left join paid using (shop_id, business_date)
    left join ledger using (shop_id, business_date)
    left join unpaid using (shop_id, business_date)
),

rolled as (
    select
        *,
        coalesce(sum(movement) over (
            partition by shop_id order by business_date
            rows between unbounded preceding and 1 preceding
        ), 0) as opening
    from daily
)

select
    shop_id,
    business_date,
    strftime(business_date, '%Y-%m') as period,
    '1205' as account,
    cast(opening as decimal(18, 2)) as opening,
    cast(charges as decimal(18, 2)) as charges,
    cast(refunds as decimal(18, 2)) as refunds,
    cast(fees as decimal(18, 2)) as fees,
    cast(disputes as decimal(18, 2)) as disputes,
    cast(adjustments as decimal(18, 2)) as adjustments,
    cast(reserves as decimal(18, 2)) as reserves,
    cast(payouts as decimal(18, 2)) as payouts,
    cast(
        opening + charges + refunds + fees + disputes + adjustments + reserves + payouts
        as decimal(18, 2)
    ) as expected_closing,
    cast(opening + movement as decimal(18, 2)) as ledger_closing,
    cast(
        (opening + movement)
        - (opening + charges + refunds + fees + disputes + adjustments + reserves + payouts)
        as decimal(18, 2)
    ) as difference,
    cast(unpaid_balance as decimal(18, 2)) as unpaid_balance
from rolled

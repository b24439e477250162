-- Bank deposits booked without any Shopify reference, matched to a payout whose deposit is not
-- booked by reference: amount within the shop's tolerance (absolute, or percent of the payout)
-- and dated within its window around the payout date. Each deposit matches one payout at most:
-- the closest in amount, then in date.
with unreferenced as (
    select shop_id, transaction_id, external_id, trandate, a1000 as amount
    from recon.open_erp_entries
    where entity is null
        and a1000 > 0
        and a1205 = -a1000
        and total = a1000
),

open_payouts as (
    select matches.shop_id, matches.shopify_id, matches.business_date, matches.a1000 as net
    from recon.entry_matches as matches
    where matches.entry_kind = 'payout'
        and matches.booked_entries = 0
        and matches.unkeyed_parts = 0
),

candidates as (
    select
        payouts.shop_id,
        payouts.shopify_id,
        payouts.net,
        deposits.transaction_id,
        deposits.external_id,
        deposits.amount,
        abs(deposits.amount - payouts.net) as amount_distance,
        abs(date_diff('day', payouts.business_date, deposits.trandate)) as day_distance
    from open_payouts as payouts
    join raw.config__matching as rules on rules.shop_id = payouts.shop_id
    join unreferenced as deposits
        on deposits.shop_id = payouts.shop_id
        and deposits.trandate between payouts.business_date - rules.deposit_days_before
            and payouts.business_date + rules.deposit_days_after
        and abs(deposits.amount - payouts.net) <= greatest(
            rules.amount_tolerance, payouts.net * rules.amount_tolerance_percent / 100
        )
),

best_per_payout as (
    select *
    from candidates
    qualify row_number() over (
        partition by shop_id, shopify_id
        order by amount_distance, day_distance, transaction_id
    ) = 1
)

select
    shop_id,
    shopify_id,
    transaction_id,
    coalesce(external_id, transaction_id) as erp_ref,
    net,
    amount
from best_per_payout
qualify row_number() over (
    partition by shop_id, transaction_id order by amount_distance, day_distance, shopify_id
) = 1

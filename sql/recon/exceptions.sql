-- Every difference between what Shopify says happened and what the ledger says, one row each,
-- per the exceptions contract (ARCHITECTURE.md): a deterministic id (the same discrepancy gets
-- the same id on every run), domain, kind, both references and amounts, the variance
-- (ERP − Shopify, shop currency; a quantity for inventory) and a sentence for people.
with entries as (
    select
        *,
        case entry_kind
            when 'order' then 'order' when 'refund' then 'refund' when 'fee' then 'fee'
            when 'dispute' then 'dispute' when 'dispute-won' then 'dispute'
            when 'reserve' then 'reserve' when 'reserve-release' then 'reserve'
            when 'payout' then 'payout_deposit' when 'payout-failed' then 'payout_failure'
        end as subject
    from recon.entry_differences
),

fallback as (
    select * from recon.deposit_fallback_matches
),

missing as (
    select
        entries.shop_id, entries.business_date, entries.domain,
        entries.subject || (case when entries.entity = 'payout' then '_missing'
            else '_missing_in_erp' end) as kind,
        entries.shopify_ref, null::varchar as erp_ref, null::varchar as account,
        entries.expected_total as shopify_amount,
        cast(0 as decimal(18, 2)) as erp_amount,
        -entries.expected_total as variance,
        entries.currency,
        format('{} {} has no ERP entry; the rules expect one of {} {}.',
            entries.entity, entries.shopify_id, entries.expected_total, entries.currency) as detail
    from entries
    left join fallback
        on fallback.shop_id = entries.shop_id
        and fallback.shopify_id = entries.shopify_id
        and entries.entry_kind = 'payout'
    where entries.booked_entries = 0 and entries.unkeyed_parts = 0
        and (entries.entry_kind <> 'payout' or fallback.transaction_id is null)
),

-- The account a difference is measured on, when the accounts it touches say which rule it broke.
amounts as (
    select
        shop_id, business_date, domain, subject,
        shopify_ref, erp_ref,
        case
            when entry_kind = 'order' and accounts = array_to_string(list_sort(['2200', clearing]), ',')
                then '2200'
            when entry_kind = 'order' and accounts = array_to_string(list_sort(['4100', clearing]), ',')
                then '4100'
            when entry_kind = 'order' and accounts = array_to_string(list_sort(['4050', clearing]), ',')
                then '4050'
            when entry_kind = 'order' and accounts = '4000,7950' then '4000'
            when entry_kind = 'order' and accounts = array_to_string(list_sort([clearing, '7900']), ',')
                then clearing
            when entry_kind = 'refund' and accounts = array_to_string(list_sort(['4090', clearing]), ',')
                then clearing
            when entry_kind = 'payout' and accounts = '1000,1205' then '1000'
        end as account,
        accounts, clearing, entry_kind,
        expected_total, erp_total, currency, entity, shopify_id,
        columns('^d[0-9_]')
    from entries
    where (booked_entries > 0 or unkeyed_parts > 0) and accounts <> ''
),

amount_rows as (
    select
        shop_id, business_date, domain,
        case
            when entry_kind = 'order' and account is not null then case account
                when '2200' then 'order_tax_mismatch'
                when '4100' then 'order_shipping_mismatch'
                when '4050' then 'order_discount_mismatch'
                when '4000' then 'order_rounding_difference'
                else 'order_fx_difference'
            end
            else subject || '_amount_mismatch'
        end as kind,
        shopify_ref, erp_ref, account,
        -- The variance sits on the side the rule posts the account: credits count as credits.
        case account
            when '2200' then -d2200 when '4100' then -d4100 when '4050' then d4050
            when '4000' then -d4000 when '1000' then d1000
            when '1205' then case when entry_kind = 'refund' then -d1205 else d1205 end
            when '1220' then case when entry_kind = 'refund' then -d1220 else d1220 end
            when '2300' then case when entry_kind = 'refund' then -d2300 else d2300 end
            else erp_total - expected_total
        end as variance,
        currency,
        expected_total, erp_total,
        format('{} {} is booked differently from the rules on accounts {}.',
            entity, shopify_id, replace(accounts, ',', ', ')) as detail
    from amounts
),

duplicates as (
    select
        duplicate.shop_id, expected.business_date, expected.domain,
        expected.subject || '_duplicate_posting' as kind,
        expected.shopify_ref,
        duplicate.transaction_id as erp_ref,
        null::varchar as account,
        cast(0 as decimal(18, 2)) as shopify_amount,
        duplicate.total as erp_amount,
        duplicate.total as variance,
        expected.currency,
        format('ERP entry {} books {} {} a second time.',
            duplicate.transaction_id, duplicate.entity, duplicate.shopify_id) as detail
    from recon.unkeyed_entries as duplicate
    join entries as expected using (shop_id, entity, shopify_id, entry_kind)
    where duplicate.is_duplicate
),

periods as (
    select
        shop_id, business_date, domain, subject || '_wrong_period' as kind,
        shopify_ref, erp_ref, null::varchar as account,
        cast(0 as decimal(18, 2)) as shopify_amount, cast(0 as decimal(18, 2)) as erp_amount,
        cast(0 as decimal(18, 2)) as variance, currency,
        format('{} {} belongs to {} but is booked on {}, in another period.',
            entity, shopify_id, expected_date, booked_date) as detail
    from entries
    where expected_date is not null
        and booked_date is not null
        and date_trunc('month', booked_date) <> date_trunc('month', expected_date)
),

fallback_rows as (
    select
        entries.shop_id, entries.business_date, entries.domain,
        'payout_deposit_amount_mismatch' as kind, entries.shopify_ref, fallback.erp_ref,
        '1000' as account,
        fallback.net as shopify_amount, fallback.amount as erp_amount,
        cast(fallback.amount - fallback.net as decimal(18, 2)) as variance,
        entries.currency,
        format('Deposit {} (no Shopify reference) matched payout {} by amount and date.',
            fallback.erp_ref, entries.shopify_id) as detail
    from fallback
    join entries
        on entries.shop_id = fallback.shop_id
        and entries.shopify_id = fallback.shopify_id
        and entries.entry_kind = 'payout'
    where fallback.amount <> fallback.net
),

unmatched_erp as (
    select erp.*
    from recon.open_erp_entries as erp
    anti join recon.assigned_entries as assigned
        on assigned.shop_id = erp.shop_id and assigned.transaction_id = erp.transaction_id
    where erp.entity is not null
),

shopify_records as (
    select shop_id, 'order' as entity, order_id as shopify_id from staging.stg_shopify__orders
    union all
    select shop_id, 'refund', refund_id from staging.stg_shopify__order_refunds
    union all
    select shop_id, 'balance_transaction', balance_transaction_id
    from staging.stg_shopify__balance_transactions
    union all
    select shop_id, 'payout', payout_id from staging.stg_shopify__payouts
),

strays as (
    select
        erp.shop_id, erp.trandate as business_date,
        case erp.entity
            when 'order' then 'orders' when 'refund' then 'refunds'
            when 'balance_transaction' then 'fees' when 'payout' then 'payouts'
            else 'orders'
        end as domain,
        case when records.shopify_id is null then 'orphan_erp_entry'
            else 'unexpected_erp_entry' end as kind,
        case when records.shopify_id is not null
            then 'shopify:' || erp.entity || ':' || erp.shopify_id end as shopify_ref,
        coalesce(erp.external_id, erp.transaction_id) as erp_ref,
        null::varchar as account,
        cast(0 as decimal(18, 2)) as shopify_amount,
        erp.total as erp_amount,
        erp.total as variance,
        shops.currency,
        case when records.shopify_id is null
            then format('ERP entry {} references {} {}, which Shopify does not have.',
                erp.transaction_id, erp.entity, erp.shopify_id)
            else format('ERP entry {} books {} {}, which the rules say has no ledger effect.',
                erp.transaction_id, erp.entity, erp.shopify_id)
        end as detail
    from unmatched_erp as erp
    join raw.config__shops as shops on shops.shop_id = erp.shop_id
    left join shopify_records as records
        on records.shop_id = erp.shop_id
        and records.entity = erp.entity
        and records.shopify_id = erp.shopify_id
),

payout_balances as (
    select
        payouts.shop_id, payouts.business_date, 'payouts' as domain,
        'payout_balance_mismatch' as kind,
        'shopify:payout:' || payouts.payout_id as shopify_ref,
        case when payouts.status in ('PAID', 'FAILED')
            then 'shopify-' || payouts.shop_id || '-payout-' || payouts.payout_id end as erp_ref,
        null::varchar as account,
        cast(coalesce(sums.net, 0) as decimal(18, 2)) as shopify_amount,
        payouts.net as erp_amount,
        cast(payouts.net - coalesce(sums.net, 0) as decimal(18, 2)) as variance,
        payouts.currency_code as currency,
        format('Payout {} says {} but its balance transactions sum to {} (Shopify-side).',
            payouts.payout_id, payouts.net, coalesce(sums.net, 0)) as detail
    from staging.stg_shopify__payouts as payouts
    left join (
        select shop_id, payout_id, sum(net) as net
        from staging.stg_shopify__balance_transactions
        where not test and payout_id is not null
        group by all
    ) as sums using (shop_id, payout_id)
    where payouts.net <> coalesce(sums.net, 0)
),

inventory as (
    select
        shop_id, business_date, 'inventory' as domain,
        case
            when erp_on_hand is null then 'inventory_missing_in_erp'
            when shopify_on_hand is null then 'inventory_missing_in_shopify'
            else 'inventory_on_hand_mismatch'
        end as kind,
        shopify_ref, erp_ref, null::varchar as account,
        cast(shopify_on_hand as decimal(18, 2)) as shopify_amount,
        cast(erp_on_hand as decimal(18, 2)) as erp_amount,
        cast(coalesce(erp_on_hand, 0) - coalesce(shopify_on_hand, 0) as decimal(18, 2)) as variance,
        null::varchar as currency,
        format('SKU {} at {}: Shopify on hand {}, ERP {}.',
            sku, location_name, shopify_on_hand, erp_on_hand) as detail
    from recon.inventory_matches
    where not matched
),

all_rows as (
    select shop_id, business_date, domain, kind, shopify_ref, erp_ref, account,
        expected_total as shopify_amount, erp_total as erp_amount, variance, currency, detail
    from amount_rows
    union all by name select * from missing
    union all by name select * from duplicates
    union all by name select * from periods
    union all by name select * from fallback_rows
    union all by name select * from strays
    union all by name select * from payout_balances
    union all by name select * from inventory
)

select
    'exc_' || left(sha256(concat_ws('|',
        shop_id, kind, coalesce(shopify_ref, ''), coalesce(erp_ref, ''), coalesce(account, ''),
        -- An on-hand row is a fact of its date; every other record is one fact whatever its date.
        case when domain = 'inventory' then cast(business_date as varchar) else '' end
    )), 20) as exception_id,
    shop_id,
    business_date,
    domain,
    kind,
    shopify_ref,
    erp_ref,
    account,
    cast(shopify_amount as decimal(18, 2)) as shopify_amount,
    cast(erp_amount as decimal(18, 2)) as erp_amount,
    cast(variance as decimal(18, 2)) as variance,
    currency,
    detail
from all_rows

-- Every difference between what a Shopify record says and what the ledger books for it, one row
-- each (exceptions adds the clearing residuals): a deterministic id (the same discrepancy gets
-- the same id on every run), domain, kind, both references and amounts, the account it is on and
-- the account it was moved to or against (`counter_account`), and a sentence for people.
-- `line_source` and the `source_*` columns say where its per-account lines come from
-- (record_exception_lines); `variance_rule` how exceptions computes its variance from them.
with entries as (
    select
        *,
        case entry_kind
            when 'order' then 'order' when 'refund' then 'refund' when 'fee' then 'fee'
            when 'dispute' then 'dispute' when 'dispute-won' then 'dispute_won'
            when 'reserve' then 'reserve' when 'reserve-release' then 'reserve_release'
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
        case entries.entry_kind
            when 'payout' then 'payout_deposit_missing'
            when 'payout-failed' then 'payout_failure_reversal_missing'
            else entries.subject || '_missing_in_erp'
        end as kind,
        entries.shopify_ref, null::varchar as erp_ref, null::varchar as account,
        null::varchar as counter_account,
        entries.expected_total as shopify_amount,
        cast(0 as decimal(18, 2)) as erp_amount,
        'totals' as variance_rule,
        entries.currency,
        case when entries.entry_kind = 'payout-failed'
            then format('Payout {} failed (known on {}) and its reversal of {} {} is not booked.',
                entries.shopify_id, entries.business_date, entries.expected_total,
                entries.currency)
            else format('{} {} has no ERP entry; the rules expect one of {} {}.',
                entries.entity, entries.shopify_id, entries.expected_total, entries.currency)
        end as detail,
        'entry' as line_source, entries.entity as source_entity,
        entries.shopify_id as source_shopify_id, entries.entry_kind as source_entry_kind,
        null::varchar as source_transaction_id
    from entries
    left join fallback
        on fallback.shop_id = entries.shop_id
        and fallback.shopify_id = entries.shopify_id
        and entries.entry_kind = 'payout'
    where entries.booked_entries = 0 and entries.unkeyed_parts = 0
        and (entries.entry_kind <> 'payout' or fallback.transaction_id is null)
),

-- A booked entry whose amounts differ from the rules, classified by entry_classes.
amount_rows as (
    select
        entries.shop_id, entries.business_date, entries.domain,
        entries.subject || '_' || classes.kind_suffix as kind,
        entries.shopify_ref, entries.erp_ref, classes.account, classes.counter_account,
        entries.expected_total as shopify_amount, entries.erp_total as erp_amount,
        case when classes.kind_suffix in ('misposted', 'unexpected_account') then 'plus'
            when classes.account is not null then 'account'
            else 'totals'
        end as variance_rule,
        entries.currency,
        case
            when classes.kind_suffix = 'misposted' then format(
                '{} {}: an amount the rules post to {} is booked on {}.',
                entries.entity, entries.shopify_id, classes.account, classes.counter_account)
            when classes.kind_suffix = 'unexpected_account' then format(
                '{} {} is booked on account {}, which the rules do not use for it.',
                entries.entity, entries.shopify_id, classes.account)
            else format('{} {} is booked differently from the rules on account{} {}.',
                entries.entity, entries.shopify_id,
                case when classes.accounts > 1 then 's' else '' end,
                coalesce(classes.account || coalesce(' against ' || classes.counter_account, ''),
                    cast(classes.accounts as varchar) || ' accounts'))
        end as detail,
        'entry' as line_source, entries.entity as source_entity,
        entries.shopify_id as source_shopify_id, entries.entry_kind as source_entry_kind,
        null::varchar as source_transaction_id
    from entries
    join recon.entry_classes as classes using (shop_id, entity, shopify_id, entry_kind)
),

duplicates as (
    select
        duplicate.shop_id, expected.business_date, expected.domain,
        expected.subject || '_duplicate_posting' as kind,
        expected.shopify_ref,
        duplicate.transaction_id as erp_ref,
        null::varchar as account, null::varchar as counter_account,
        cast(0 as decimal(18, 2)) as shopify_amount,
        duplicate.total as erp_amount,
        'totals' as variance_rule,
        expected.currency,
        format('ERP entry {} books {} {} a second time.',
            duplicate.transaction_id, duplicate.entity, duplicate.shopify_id) as detail,
        'transaction' as line_source, null::varchar as source_entity,
        null::bigint as source_shopify_id, null::varchar as source_entry_kind,
        duplicate.transaction_id as source_transaction_id
    from recon.unkeyed_entries as duplicate
    join entries as expected using (shop_id, entity, shopify_id, entry_kind)
    where duplicate.is_duplicate
),

periods as (
    select
        shop_id, business_date, domain, subject || '_wrong_period' as kind,
        shopify_ref, erp_ref, null::varchar as account, null::varchar as counter_account,
        cast(0 as decimal(18, 2)) as shopify_amount, cast(0 as decimal(18, 2)) as erp_amount,
        'totals' as variance_rule, currency,
        format('{} {} belongs to {} but is booked on {}, in another period.',
            entity, shopify_id, expected_date, booked_date) as detail,
        'period' as line_source, entity as source_entity, shopify_id as source_shopify_id,
        entry_kind as source_entry_kind, null::varchar as source_transaction_id
    from entries
    where expected_date is not null
        and booked_date is not null
        and date_trunc('month', booked_date) <> date_trunc('month', expected_date)
),

fallback_rows as (
    select
        entries.shop_id, entries.business_date, entries.domain,
        'payout_deposit_amount_mismatch' as kind, entries.shopify_ref, fallback.erp_ref,
        '1000' as account, '1205' as counter_account,
        fallback.net as shopify_amount, fallback.amount as erp_amount,
        'account' as variance_rule,
        entries.currency,
        format('Deposit {} (no Shopify reference) matched payout {} by amount and date.',
            fallback.erp_ref, entries.shopify_id) as detail,
        'fallback' as line_source, entries.entity as source_entity,
        entries.shopify_id as source_shopify_id, entries.entry_kind as source_entry_kind,
        fallback.transaction_id as source_transaction_id
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
        null::varchar as account, null::varchar as counter_account,
        cast(0 as decimal(18, 2)) as shopify_amount,
        erp.total as erp_amount,
        'totals' as variance_rule,
        shops.currency,
        'transaction' as line_source, null::varchar as source_entity,
        null::bigint as source_shopify_id, null::varchar as source_entry_kind,
        erp.transaction_id as source_transaction_id,
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
        null::varchar as account, null::varchar as counter_account,
        cast(coalesce(sums.net, 0) as decimal(18, 2)) as shopify_amount,
        payouts.net as erp_amount,
        -- Shopify-side: the payout's net against its own balance transactions, no ledger line.
        cast(payouts.net - coalesce(sums.net, 0) as decimal(18, 2)) as variance,
        'own' as variance_rule, 'none' as line_source,
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
        shopify_ref, erp_ref, null::varchar as account, null::varchar as counter_account,
        cast(shopify_on_hand as decimal(18, 2)) as shopify_amount,
        cast(erp_on_hand as decimal(18, 2)) as erp_amount,
        -- Units, not money (the value is on the exception's line).
        cast(coalesce(erp_on_hand, 0) - coalesce(shopify_on_hand, 0) as decimal(18, 2)) as variance,
        'own' as variance_rule, 'inventory' as line_source,
        null::varchar as currency,
        format('SKU {} at {}: Shopify on hand {}, ERP {}{}.',
            sku, location_name, shopify_on_hand, erp_on_hand,
            case when unit_cost is not null then format(
                '; at {} {} a unit ({} cost) the difference is worth {} {}',
                unit_cost, cost_currency, cost_source, coalesce(erp_value, 0)
                    - coalesce(shopify_value, 0), cost_currency)
            else '; no unit cost on either side' end) as detail,
        -- The value line (record_exception_lines): on hand × unit cost on each side.
        shopify_value as line_shopify_amount, erp_value as line_erp_amount,
        cost_currency as line_currency
    from recon.inventory_matches
    where not matched
),

all_rows as (
    select * from amount_rows
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
    counter_account,
    cast(shopify_amount as decimal(18, 2)) as shopify_amount,
    cast(erp_amount as decimal(18, 2)) as erp_amount,
    cast(variance as decimal(18, 2)) as variance,
    currency,
    detail,
    variance_rule,
    line_source,
    source_entity,
    source_shopify_id,
    source_entry_kind,
    source_transaction_id,
    line_shopify_amount,
    line_erp_amount,
    line_currency
from all_rows

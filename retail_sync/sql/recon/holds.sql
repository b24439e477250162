-- Records the reconciliation cannot vouch for, one row per held record and the shop-day it holds.
-- A held record's shop-day is not "reconciled" (the settlement report says why) and no journal
-- is proposed for it; every other record and shop-day is reconciled as usual.
-- - payout_inconsistent: the quality check found Σ balance-transaction net ≠ payout net
--   (quality.payout_consistency, the table the journal step reads); payout_not_checked: no check
--   row, which the journal contract treats the same way. Dated by the payout's own date.
-- - quarantined: Shopify served the record malformed and landing set it aside, so the shop-day
--   it was read for is missing it. Dated by that partition; the raw payload stays in quarantine.
-- - erp_quarantined: the ERP answered a ledger or on-hand row the adapter could not read, so
--   that shop-day's ledger side is missing it (raw/erp/quarantine, per shop and date).
with payouts as (
    select
        payouts.shop_id,
        payouts.business_date,
        'payouts' as domain,
        'shopify:payout:' || payouts.payout_id as shopify_ref,
        case when consistency.payout_id is null then 'payout_not_checked'
            else 'payout_inconsistent' end as reason,
        case when consistency.payout_id is null
            then format('Payout {} (net {}) has no payout-consistency check yet.',
                payouts.payout_id, cast(payouts.net as varchar))
            else format('Payout {}: net {}, Σ balance-transaction net {} over {} transactions, '
                || 'variance {} (Shopify-side).',
                payouts.payout_id, cast(consistency.payout_net as varchar),
                cast(consistency.balance_net as varchar), consistency.balance_transactions,
                cast(consistency.variance as varchar))
        end as detail
    from staging.stg_shopify__payouts as payouts
    left join quality.payout_consistency as consistency
        on consistency.shop_id = payouts.shop_id and consistency.payout_id = payouts.payout_id
    where consistency.consistent is distinct from true
),

quarantined as (
    select distinct
        quarantine.shop_id,
        try_cast(quarantine.date as date) as business_date,
        case
            when quarantine.source_table in (
                'order_refunds', 'order_refund_line_items', 'order_refund_shipping_lines'
            ) then 'refunds'
            when quarantine.source_table = 'balance_transactions' then 'fees'
            when quarantine.source_table = 'payouts' then 'payouts'
            when quarantine.source_table = 'inventory_levels' then 'inventory'
            else 'orders'
        end as domain,
        'shopify:' || case quarantine.source_table
            when 'orders' then 'order' when 'order_line_items' then 'line_item'
            when 'order_refunds' then 'refund' when 'order_refund_line_items' then 'refund_line_item'
            when 'order_refund_shipping_lines' then 'refund_shipping_line'
            when 'order_transactions' then 'transaction' when 'payouts' then 'payout'
            when 'balance_transactions' then 'balance_transaction'
            when 'inventory_levels' then 'inventory_level'
            else quarantine.source_table
        end || ':' || coalesce(cast(quarantine.record_id as varchar), quarantine.record_gid, '?')
            as shopify_ref,
        'quarantined' as reason,
        format('{} record quarantined by landing: {}', quarantine.source_table, quarantine.reason)
            as detail
    from raw.shopify__quarantine as quarantine
    where try_cast(quarantine.date as date) is not null
),

erp_quarantined as (
    select distinct
        quarantine.shop as shop_id,
        try_cast(quarantine.date as date) as business_date,
        case when quarantine.source_table = 'on_hand' then 'inventory' else 'ledger' end
            as domain,
        'erp:' || quarantine.source_table || ':' || coalesce(quarantine.record_key, '?')
            as shopify_ref,
        'erp_quarantined' as reason,
        format('ERP {} row quarantined by landing: {}', quarantine.source_table,
            quarantine.reason) as detail
    from raw.erp__quarantine as quarantine
    where try_cast(quarantine.date as date) is not null
)

select shop_id, business_date, domain, shopify_ref, reason, detail from payouts
union all
select shop_id, business_date, domain, shopify_ref, reason, detail from quarantined
union all
select shop_id, business_date, domain, shopify_ref, reason, detail from erp_quarantined

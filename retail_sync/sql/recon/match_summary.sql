-- Per shop, business date and domain: how many Shopify-side records were reconciled, how many
-- matched the ledger with no exception, and the money on each side (shop currency). Inventory
-- counts SKU-location rows (quantities are not money: its amounts are null).
with entry_status as (
    select
        differences.shop_id,
        differences.business_date,
        differences.domain,
        differences.shopify_ref,
        differences.expected_total,
        differences.erp_total,
        exceptions.shopify_ref is null as matched
    from recon.entry_differences as differences
    left join (
        select distinct shop_id, shopify_ref from recon.exceptions where shopify_ref is not null
    ) as exceptions using (shop_id, shopify_ref)

    union all

    -- Entries the fast path settled (clean_entries) match, and the ledger says what they do.
    select
        shop_id, business_date, domain, 'shopify:' || entity || ':' || shopify_id,
        expected_total, expected_total, true
    from recon.clean_entries
)

select
    shop_id,
    business_date,
    domain,
    count(distinct shopify_ref) as records,
    count(distinct shopify_ref) filter (where matched) as matched,
    cast(sum(expected_total) as decimal(18, 2)) as shopify_amount,
    cast(sum(erp_total) as decimal(18, 2)) as erp_amount
from entry_status
group by all

union all

select
    shop_id,
    business_date,
    'inventory' as domain,
    count(*) as records,
    count(*) filter (where matched) as matched,
    null::decimal(18, 2) as shopify_amount,
    null::decimal(18, 2) as erp_amount
from recon.inventory_matches
group by all

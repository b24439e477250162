-- Per shop and business date: the inventory comparison's size, how much matched, and how fresh
-- the Shopify snapshot was (hours from the end of the business day to when it was taken).
with snapshots as (
    select
        levels.shop_id,
        cast(levels.date as date) as business_date,
        max(levels.as_of) as captured_at
    from raw.shopify__inventory_levels as levels
    group by all
),

matches as (
    select shop_id, business_date, count(*) as items, count(*) filter (where matched) as matched
    from recon.inventory_matches
    group by all
)

select
    matches.shop_id,
    matches.business_date,
    matches.items,
    matches.matched,
    snapshots.captured_at,
    epoch(
        snapshots.captured_at
        - timezone(shops.timezone, cast(matches.business_date + 1 as timestamp))
    ) / 3600.0 as freshness_hours
from matches
join raw.config__shops as shops on shops.shop_id = matches.shop_id
left join snapshots
    on snapshots.shop_id = matches.shop_id and snapshots.business_date = matches.business_date

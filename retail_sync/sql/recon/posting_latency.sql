-- Per order with a ledger effect: days from its business date to the date of its ERP entry
-- (null while it is not posted). GL lines carry dates, not times, so the lag is in whole days.
select
    shop_id,
    business_date,
    shopify_id as order_id,
    cast(date_diff('day', business_date, booked_date) as integer) as lag_days
from recon.entry_matches
where entry_kind = 'order'

union all

select
    shop_id,
    business_date,
    shopify_id as order_id,
    cast(date_diff('day', business_date, booked_date) as integer) as lag_days
from recon.clean_entries
where entry_kind = 'order'

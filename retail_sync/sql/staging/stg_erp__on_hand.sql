-- ERP on-hand per item and location at the end of each business date, for the shop's subsidiary.
-- The business date is the partition's; `as_of` is the date of the ERP snapshot that answered
-- (an earlier one when the item did not change that day). `unit_cost` is the item's ERP cost
-- (NetSuite: its average cost, else its purchase price; null when it has neither), in
-- `unit_cost_currency`. A lake landed before the cost was read has no cost columns: they are null.
with on_hand as (
    select * from raw.erp__on_hand
    union all by name
    select null::decimal(18, 6) as unit_cost, null::varchar as unit_cost_currency
    where false
)

select
    shop as shop_id,
    cast(date as date) as business_date,
    as_of,
    item_id,
    sku,
    location_id,
    location_name,
    quantity_on_hand,
    unit_cost,
    unit_cost_currency
from on_hand

-- ERP on-hand per item and location at the end of each business date, for the shop's subsidiary.
-- The business date is the partition's; `as_of` is the date of the ERP snapshot that answered
-- (an earlier one when the item did not change that day).
select
    shop as shop_id,
    cast(date as date) as business_date,
    as_of,
    item_id,
    sku,
    location_id,
    location_name,
    quantity_on_hand
from raw.erp__on_hand

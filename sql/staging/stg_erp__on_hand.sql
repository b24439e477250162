-- ERP on-hand per item and location at the end of each business date, for the shop's subsidiary.
select
    shop as shop_id,
    as_of as business_date,
    item_id,
    sku,
    location_id,
    location_name,
    quantity_on_hand
from raw.erp__on_hand

-- Inventory per item and location at the end of each business date, one column per quantity.
select
    shop_id,
    cast(date as date) as business_date,
    inventory_item_id,
    sku,
    location_id,
    location_name,
    max(quantity) filter (where quantity_name = 'available') as available,
    max(quantity) filter (where quantity_name = 'on_hand') as on_hand,
    max(quantity) filter (where quantity_name = 'committed') as committed,
    max(quantity) filter (where quantity_name = 'incoming') as incoming,
    max(quantity) filter (where quantity_name = 'reserved') as reserved
from raw.shopify__inventory_levels
group by all

-- Inventory per item and location at the end of each business date, one column per quantity,
-- with the item's unit cost (Shopify's `InventoryItem.unitCost`: null when the item has none) and
-- its currency. A lake landed before the cost was read has no cost columns: they are null.
with levels as (
    select * from raw.shopify__inventory_levels
    union all by name
    select null::decimal(18, 2) as unit_cost, null::varchar as unit_cost_currency
    where false
)

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
    max(quantity) filter (where quantity_name = 'reserved') as reserved,
    -- Every quantity row of a level carries the same item cost.
    max(unit_cost) as unit_cost,
    max(unit_cost_currency) as unit_cost_currency
from levels
group by all

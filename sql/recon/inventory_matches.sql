-- Shopify on-hand against ERP on-hand per SKU and location, at the end of each business date:
-- Shopify's snapshot of that date beside the ERP's on-hand as of that date. Matched when the two
-- agree within the shop's tolerance (a quantity).
with shopify as (
    select
        shop_id, business_date, sku, location_name, inventory_item_id, location_id, on_hand
    from staging.stg_shopify__inventory_levels
    where sku is not null
),

erp as (
    select
        shop_id, business_date, sku, location_name, item_id, location_id,
        quantity_on_hand
    from staging.stg_erp__on_hand
    where sku is not null
),

-- Only dates both sides have a snapshot of (a date not landed yet on one side is not a difference).
both_dates as (
    select distinct shop_id, business_date from shopify
    intersect
    select distinct shop_id, business_date from erp
)

select
    coalesce(shopify.shop_id, erp.shop_id) as shop_id,
    coalesce(shopify.business_date, erp.business_date) as business_date,
    coalesce(shopify.sku, erp.sku) as sku,
    coalesce(shopify.location_name, erp.location_name) as location_name,
    case when shopify.inventory_item_id is not null then
        'shopify:inventory_level:' || shopify.inventory_item_id || ':' || shopify.location_id
    end as shopify_ref,
    case when erp.item_id is not null then
        'inventory:' || erp.item_id || ':' || erp.location_id
    end as erp_ref,
    shopify.on_hand as shopify_on_hand,
    erp.quantity_on_hand as erp_on_hand,
    coalesce(
        abs(erp.quantity_on_hand - shopify.on_hand) <= rules.inventory_tolerance, false
    ) as matched
from shopify
full outer join erp
    on erp.shop_id = shopify.shop_id
    and erp.business_date = shopify.business_date
    and erp.sku = shopify.sku
    and erp.location_name = shopify.location_name
join both_dates
    on both_dates.shop_id = coalesce(shopify.shop_id, erp.shop_id)
    and both_dates.business_date = coalesce(shopify.business_date, erp.business_date)
join raw.config__matching as rules
    on rules.shop_id = coalesce(shopify.shop_id, erp.shop_id)

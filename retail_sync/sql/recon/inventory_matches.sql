-- Shopify on-hand against ERP on-hand per SKU and location, at the end of each business date:
-- Shopify's snapshot of that date beside the ERP's on-hand as of that date. Matched when the two
-- agree within the shop's tolerance (a quantity).
--
-- Each side is valued at the item's unit cost: the ERP's cost first, Shopify's `unitCost` when
-- the ERP has none (`cost_source` says which; both null when neither has one), rounded to the
-- cent, in that side's currency (`cost_currency`). A cost belongs to the item, so it is looked
-- up per SKU and date on each side, also for a location one side does not have.
-- `shopify_value` / `erp_value` = round(on hand × unit_cost, 2), an absent on-hand counting 0.
-- Staging landed before costs were read has no cost columns: the cost columns are then null.
with shopify_levels as (
    select * from staging.stg_shopify__inventory_levels
    union all by name
    select null::decimal(18, 2) as unit_cost, null::varchar as unit_cost_currency
    where false
),

erp_on_hand as (
    select * from staging.stg_erp__on_hand
    union all by name
    select null::decimal(18, 6) as unit_cost, null::varchar as unit_cost_currency
    where false
),

shopify as (
    select
        shop_id, business_date, sku, location_name, inventory_item_id, location_id, on_hand
    from shopify_levels
    where sku is not null
),

erp as (
    select
        shop_id, business_date, sku, location_name, item_id, location_id,
        quantity_on_hand
    from erp_on_hand
    where sku is not null
),

-- One cost per item, side and date (the greatest, should two items share a SKU).
shopify_costs as (
    select
        shop_id, business_date, sku,
        max(unit_cost) as unit_cost,
        arg_max(unit_cost_currency, unit_cost) as currency
    from shopify_levels
    where sku is not null and unit_cost is not null
    group by all
),

erp_costs as (
    select
        shop_id, business_date, sku,
        max(unit_cost) as unit_cost,
        arg_max(unit_cost_currency, unit_cost) as currency
    from erp_on_hand
    where sku is not null and unit_cost is not null
    group by all
),

-- Only dates both sides have a snapshot of (a date not landed yet on one side is not a difference).
both_dates as (
    select distinct shop_id, business_date from shopify
    intersect
    select distinct shop_id, business_date from erp
),

compared as (
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
),

costed as (
    select
        compared.*,
        cast(round(coalesce(erp_costs.unit_cost, shopify_costs.unit_cost), 2) as decimal(18, 2))
            as unit_cost,
        case
            when erp_costs.unit_cost is not null then 'erp'
            when shopify_costs.unit_cost is not null then 'shopify'
        end as cost_source,
        case
            when erp_costs.unit_cost is not null then erp_costs.currency
            else shopify_costs.currency
        end as cost_currency
    from compared
    left join erp_costs
        on erp_costs.shop_id = compared.shop_id
        and erp_costs.business_date = compared.business_date
        and erp_costs.sku = compared.sku
    left join shopify_costs
        on shopify_costs.shop_id = compared.shop_id
        and shopify_costs.business_date = compared.business_date
        and shopify_costs.sku = compared.sku
)

select
    *,
    cast(round(coalesce(shopify_on_hand, 0) * unit_cost, 2) as decimal(18, 2)) as shopify_value,
    cast(round(coalesce(erp_on_hand, 0) * unit_cost, 2) as decimal(18, 2)) as erp_value
from costed

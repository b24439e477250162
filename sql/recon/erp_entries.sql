-- One row per ERP journal entry: the Shopify record it references (memo token
-- `shopify:<entity>:<id>`), what its external id says (`shopify-<shop>-<kind>-<id>[-<part>]`:
-- the entry kind, and a part number when one booking is split over several entries), and its
-- net debit per account. An external id that is not ours for that record counts as none.
with entries as (
    select
        shop_id,
        transaction_id,
        min(external_id) as external_id,
        min(trandate) as trandate,
        min(currency) as currency,
        min(shopify_entity) as entity,
        min(shopify_id) as shopify_id,
        sum(signed_amount) filter (where account_number = '1000') as a1000,
        sum(signed_amount) filter (where account_number = '1205') as a1205,
        sum(signed_amount) filter (where account_number = '1210') as a1210,
        sum(signed_amount) filter (where account_number = '1220') as a1220,
        sum(signed_amount) filter (where account_number = '2200') as a2200,
        sum(signed_amount) filter (where account_number = '2300') as a2300,
        sum(signed_amount) filter (where account_number = '4000') as a4000,
        sum(signed_amount) filter (where account_number = '4050') as a4050,
        sum(signed_amount) filter (where account_number = '4090') as a4090,
        sum(signed_amount) filter (where account_number = '4100') as a4100,
        sum(signed_amount) filter (where account_number = '6100') as a6100,
        sum(signed_amount) filter (where account_number = '6150') as a6150,
        sum(signed_amount) filter (where account_number = '7900') as a7900,
        sum(signed_amount) filter (where account_number = '7950') as a7950,
        sum(signed_amount) filter (where account_number not in (
            '1000', '1205', '1210', '1220', '2200', '2300', '4000', '4050', '4090', '4100',
            '6100', '6150', '7900', '7950'
        )) as a_other,
        sum(debit) as total
    from staging.stg_erp__gl_lines
    group by shop_id, transaction_id
),

keyed as (
    select
        *,
        regexp_extract(
            case
                when starts_with(external_id, 'shopify-' || shop_id || '-')
                    then substr(external_id, length(shop_id) + 10)
            end,
            '^([a-z-]+)-([0-9]+)(?:-([0-9]+))?$',
            ['kind', 'id', 'part']
        ) as key
    from entries
)

select
    shop_id,
    transaction_id,
    external_id,
    trandate,
    currency,
    entity,
    shopify_id,
    case
        when key.kind <> '' and try_cast(key.id as bigint) = shopify_id then key.kind
    end as entry_kind,
    case
        when key.kind <> '' and try_cast(key.id as bigint) = shopify_id
            then coalesce(try_cast(nullif(key.part, '') as integer), 1)
    end as part,
    cast(coalesce(a1000, 0) as decimal(18, 2)) as a1000,
    cast(coalesce(a1205, 0) as decimal(18, 2)) as a1205,
    cast(coalesce(a1210, 0) as decimal(18, 2)) as a1210,
    cast(coalesce(a1220, 0) as decimal(18, 2)) as a1220,
    cast(coalesce(a2200, 0) as decimal(18, 2)) as a2200,
    cast(coalesce(a2300, 0) as decimal(18, 2)) as a2300,
    cast(coalesce(a4000, 0) as decimal(18, 2)) as a4000,
    cast(coalesce(a4050, 0) as decimal(18, 2)) as a4050,
    cast(coalesce(a4090, 0) as decimal(18, 2)) as a4090,
    cast(coalesce(a4100, 0) as decimal(18, 2)) as a4100,
    cast(coalesce(a6100, 0) as decimal(18, 2)) as a6100,
    cast(coalesce(a6150, 0) as decimal(18, 2)) as a6150,
    cast(coalesce(a7900, 0) as decimal(18, 2)) as a7900,
    cast(coalesce(a7950, 0) as decimal(18, 2)) as a7950,
    cast(coalesce(a_other, 0) as decimal(18, 2)) as a_other,
    cast(total as decimal(18, 2)) as total
from keyed

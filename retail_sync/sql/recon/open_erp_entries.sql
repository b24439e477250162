-- ERP entries the full matching looks at: every entry except those of records the fast path
-- settled (clean_entries), with what its external id says (`shopify-<shop>-<kind>-<id>[-<part>]`:
-- the entry kind, and a part number when one booking is split over several entries). An external
-- id that is not ours for that record counts as none.
with entries as (
    select erp.*
    from recon.erp_entries as erp
    anti join recon.clean_entries as clean
        on clean.shop_id = erp.shop_id
        and clean.entity = erp.entity
        and clean.shopify_id = erp.shopify_id
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
    * exclude (key),
    case
        when key.kind <> '' and try_cast(key.id as bigint) = shopify_id then key.kind
    end as entry_kind,
    case
        when key.kind <> '' and try_cast(key.id as bigint) = shopify_id
            then coalesce(try_cast(nullif(key.part, '') as integer), 1)
    end as part
from keyed

-- ERP entries assigned to the expected entries they book (see entry_matches): exact keys only,
-- the Shopify record's memo token plus our external id; an entry with the token but no external id
-- of ours ("unkeyed") goes to the record's primary entry.
with erp as (
    select
        shop_id, entity, shopify_id, entry_kind as erp_entry_kind, transaction_id, external_id,
        trandate, currency, total, columns('^a.*$') as 'erp_\0'
    from recon.open_erp_entries
    where entity is not null
)

select
    expected.shop_id,
    expected.entity,
    expected.shopify_id,
    expected.entry_kind,
    erp.transaction_id,
    erp.external_id,
    erp.trandate,
    erp.currency,
    erp.erp_entry_kind is not null as keyed,
    erp.total,
    columns('^erp_a.*$')
from erp
join recon.open_entries as expected
    on expected.shop_id = erp.shop_id
    and expected.entity = erp.entity
    and expected.shopify_id = erp.shopify_id
    and (
        expected.entry_kind = erp.erp_entry_kind
        or (erp.erp_entry_kind is null and expected.is_primary)
    )

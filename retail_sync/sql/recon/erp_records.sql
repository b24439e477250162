-- The ledger per Shopify record: the journals whose memos reference the record, summed per
-- account, with the range of journals, external ids and dates they come from. The fast path of
-- the reconciliation (clean_entries) decides most records from this one aggregate.
select
    shop_id,
    entity,
    shopify_id,
    min(transaction_id) as first_transaction_id,
    max(transaction_id) as last_transaction_id,
    min(external_id) as first_external_id,
    max(external_id) as last_external_id,
    min(trandate) as booked_date,
    max(trandate) as last_booked_date,
    cast(sum(a1000) as decimal(18, 2)) as a1000,
    cast(sum(a1205) as decimal(18, 2)) as a1205,
    cast(sum(a1210) as decimal(18, 2)) as a1210,
    cast(sum(a1220) as decimal(18, 2)) as a1220,
    cast(sum(a2200) as decimal(18, 2)) as a2200,
    cast(sum(a2300) as decimal(18, 2)) as a2300,
    cast(sum(a4000) as decimal(18, 2)) as a4000,
    cast(sum(a4050) as decimal(18, 2)) as a4050,
    cast(sum(a4090) as decimal(18, 2)) as a4090,
    cast(sum(a4100) as decimal(18, 2)) as a4100,
    cast(sum(a6100) as decimal(18, 2)) as a6100,
    cast(sum(a6150) as decimal(18, 2)) as a6150,
    cast(sum(a7900) as decimal(18, 2)) as a7900,
    cast(sum(a7950) as decimal(18, 2)) as a7950,
    cast(sum(a_other) as decimal(18, 2)) as a_other
from recon.erp_entries
where entity is not null
group by shop_id, entity, shopify_id

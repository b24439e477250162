-- Each expected entry beside the ERP entries that book it. Exact keys first: an ERP entry books
-- an expected entry when it references the same Shopify record (memo token) and carries its
-- external id, or that id plus `-<part>` (one booking split over several entries, e.g. a payout
-- deposited in two parts). An entry referencing the record without an external id of ours
-- ("unkeyed") belongs to the record's primary entry: it is a duplicate when the entry is already
-- booked in full (or equals another unkeyed entry booking it), otherwise a part of the booking.
with parts as (
    select
        shop_id, entity, shopify_id, entry_kind,
        count(*) as unkeyed_parts,
        min(trandate) as unkeyed_date,
        min(transaction_id) as unkeyed_transaction_id,
        sum(columns('^erp_a'))
    from recon.unkeyed_entries
    where not is_duplicate
    group by all
)

select
    expected.*,
    coalesce(booked.booked_entries, 0) as booked_entries,
    coalesce(parts.unkeyed_parts, 0) as unkeyed_parts,
    coalesce(booked.booked_date, parts.unkeyed_date) as booked_date,
    coalesce(booked.booked_external_id, parts.unkeyed_transaction_id) as erp_ref,
    booked.booked_currency,
    booked.booked_currency_max,
    cast(coalesce(booked.erp_a1000, 0) + coalesce(parts.erp_a1000, 0) as decimal(18, 2)) as erp_a1000,
    cast(coalesce(booked.erp_a1205, 0) + coalesce(parts.erp_a1205, 0) as decimal(18, 2)) as erp_a1205,
    cast(coalesce(booked.erp_a1210, 0) + coalesce(parts.erp_a1210, 0) as decimal(18, 2)) as erp_a1210,
    cast(coalesce(booked.erp_a1220, 0) + coalesce(parts.erp_a1220, 0) as decimal(18, 2)) as erp_a1220,
    cast(coalesce(booked.erp_a2200, 0) + coalesce(parts.erp_a2200, 0) as decimal(18, 2)) as erp_a2200,
    cast(coalesce(booked.erp_a2300, 0) + coalesce(parts.erp_a2300, 0) as decimal(18, 2)) as erp_a2300,
    cast(coalesce(booked.erp_a4000, 0) + coalesce(parts.erp_a4000, 0) as decimal(18, 2)) as erp_a4000,
    cast(coalesce(booked.erp_a4050, 0) + coalesce(parts.erp_a4050, 0) as decimal(18, 2)) as erp_a4050,
    cast(coalesce(booked.erp_a4090, 0) + coalesce(parts.erp_a4090, 0) as decimal(18, 2)) as erp_a4090,
    cast(coalesce(booked.erp_a4100, 0) + coalesce(parts.erp_a4100, 0) as decimal(18, 2)) as erp_a4100,
    cast(coalesce(booked.erp_a6100, 0) + coalesce(parts.erp_a6100, 0) as decimal(18, 2)) as erp_a6100,
    cast(coalesce(booked.erp_a6150, 0) + coalesce(parts.erp_a6150, 0) as decimal(18, 2)) as erp_a6150,
    cast(coalesce(booked.erp_a7900, 0) + coalesce(parts.erp_a7900, 0) as decimal(18, 2)) as erp_a7900,
    cast(coalesce(booked.erp_a7950, 0) + coalesce(parts.erp_a7950, 0) as decimal(18, 2)) as erp_a7950,
    cast(coalesce(booked.erp_a_other, 0) + coalesce(parts.erp_a_other, 0) as decimal(18, 2)) as erp_a_other
from recon.open_entries as expected
left join recon.booked_entries as booked using (shop_id, entity, shopify_id, entry_kind)
left join parts using (shop_id, entity, shopify_id, entry_kind)

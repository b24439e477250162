-- ERP entries referencing a Shopify record without an external id of ours, each marked as a
-- duplicate posting or as a part of the record's booking (see entry_matches). Taken in date
-- order, an unkeyed entry is a part of the booking while the booking so far (the entries keyed
-- to it, then the unkeyed ones before it, then itself) stays within what the rules expect for
-- the record (Σ debits); one that takes it beyond is a duplicate. So several deposits that make
-- up a payout's net are its parts, whatever their sizes and whether or not each carries our
-- external id (equal halves included). When nothing is keyed, the first unkeyed entry stands in
-- as the booking even when its amount is wrong (that is an amount difference, not a duplicate).
with unkeyed as (
    select
        *,
        row_number() over records as position,
        sum(total) over (records rows between unbounded preceding and current row) as running_total
    from recon.assigned_entries
    where not keyed
    window records as (
        partition by shop_id, entity, shopify_id, entry_kind order by trandate, transaction_id
    )
),

keyed as (
    select shop_id, entity, shopify_id, entry_kind, sum(total) as keyed_total
    from recon.assigned_entries
    where keyed
    group by all
),

expected as (
    select shop_id, entity, shopify_id, entry_kind, expected_total from recon.open_entries
)

select
    unkeyed.* exclude (keyed, running_total),
    case
        when keyed.keyed_total is null and unkeyed.position = 1 then false
        else coalesce(keyed.keyed_total, 0) + unkeyed.running_total > expected.expected_total
    end as is_duplicate
from unkeyed
join expected using (shop_id, entity, shopify_id, entry_kind)
left join keyed using (shop_id, entity, shopify_id, entry_kind)

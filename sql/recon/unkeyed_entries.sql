-- ERP entries referencing a Shopify record without an external id of ours, each marked as a
-- duplicate posting or as a part of the record's booking (see entry_matches).
with unkeyed as (
    select
        *,
        row_number() over (
            partition by shop_id, entity, shopify_id, entry_kind order by transaction_id
        ) as position
    from recon.assigned_entries
    where not keyed
),

unkeyed_first as (
    select * exclude (position) from unkeyed where position = 1
),

-- An unkeyed entry is a duplicate when the record is booked and the booking equals the expected
-- entry or the unkeyed entry itself; when nothing is keyed, the first unkeyed entry stands in as
-- the booking and later ones equal to it are duplicates.
roles as (
    select
        unkeyed.* exclude (keyed),
        case
            when booked.booked_entries is not null then (
                (
                    booked.erp_a1000, booked.erp_a1205, booked.erp_a1210, booked.erp_a1220,
                    booked.erp_a2200, booked.erp_a2300, booked.erp_a4000, booked.erp_a4050,
                    booked.erp_a4090, booked.erp_a4100, booked.erp_a6100, booked.erp_a6150,
                    booked.erp_a7900, booked.erp_a7950, booked.erp_a_other
                ) = (
                    expected.a1000, expected.a1205, expected.a1210, expected.a1220,
                    expected.a2200, expected.a2300, expected.a4000, expected.a4050,
                    expected.a4090, expected.a4100, expected.a6100, expected.a6150,
                    expected.a7900, expected.a7950, expected.a_other
                )
                or (
                    booked.erp_a1000, booked.erp_a1205, booked.erp_a1210, booked.erp_a1220,
                    booked.erp_a2200, booked.erp_a2300, booked.erp_a4000, booked.erp_a4050,
                    booked.erp_a4090, booked.erp_a4100, booked.erp_a6100, booked.erp_a6150,
                    booked.erp_a7900, booked.erp_a7950, booked.erp_a_other
                ) = (
                    unkeyed.erp_a1000, unkeyed.erp_a1205, unkeyed.erp_a1210, unkeyed.erp_a1220,
                    unkeyed.erp_a2200, unkeyed.erp_a2300, unkeyed.erp_a4000, unkeyed.erp_a4050,
                    unkeyed.erp_a4090, unkeyed.erp_a4100, unkeyed.erp_a6100, unkeyed.erp_a6150,
                    unkeyed.erp_a7900, unkeyed.erp_a7950, unkeyed.erp_a_other
                )
            )
            else unkeyed.position > 1 and (
                first.erp_a1000, first.erp_a1205, first.erp_a1210, first.erp_a1220,
                first.erp_a2200, first.erp_a2300, first.erp_a4000, first.erp_a4050,
                first.erp_a4090, first.erp_a4100, first.erp_a6100, first.erp_a6150,
                first.erp_a7900, first.erp_a7950, first.erp_a_other
            ) = (
                unkeyed.erp_a1000, unkeyed.erp_a1205, unkeyed.erp_a1210, unkeyed.erp_a1220,
                unkeyed.erp_a2200, unkeyed.erp_a2300, unkeyed.erp_a4000, unkeyed.erp_a4050,
                unkeyed.erp_a4090, unkeyed.erp_a4100, unkeyed.erp_a6100, unkeyed.erp_a6150,
                unkeyed.erp_a7900, unkeyed.erp_a7950, unkeyed.erp_a_other
            )
        end as is_duplicate
    from unkeyed
    join recon.open_entries as expected using (shop_id, entity, shopify_id, entry_kind)
    left join recon.booked_entries as booked using (shop_id, entity, shopify_id, entry_kind)
    left join unkeyed_first as first using (shop_id, entity, shopify_id, entry_kind)
)

select * from roles

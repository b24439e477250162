-- The fast path: expected entries the ledger books exactly as the rules say, decided from one
-- aggregate per record (erp_records). An entry is clean when its record is the subject of that
-- one entry only, exactly one journal references the record, that journal carries the entry's
-- external id, every account sums to the rule's amount, and it is dated in the right period.
-- A clean entry has no exception; everything else goes through the full matching (open_entries).
select
    expected.shop_id,
    expected.entity,
    expected.shopify_id,
    expected.entry_kind,
    expected.domain,
    expected.business_date,
    erp.booked_date,
    -- The clearing accounts' amounts, for the roll-forward's timing (a booking on another day).
    expected.a1205,
    expected.a1210,
    expected.a1220,
    erp.first_transaction_id as transaction_id,
    expected.expected_total
from recon.expected_entries as expected
join recon.erp_records as erp
    on erp.shop_id = expected.shop_id
    and erp.entity = expected.entity
    and erp.shopify_id = expected.shopify_id
where expected.record_entries = 1
    and erp.first_transaction_id = erp.last_transaction_id
    and erp.first_external_id = expected.external_id
    and erp.last_external_id = expected.external_id
    and (
        expected.expected_date is null
        or date_trunc('month', erp.booked_date) = date_trunc('month', expected.expected_date)
    )
    and coalesce(erp.a1000, 0) = expected.a1000
        and coalesce(erp.a1205, 0) = expected.a1205
        and coalesce(erp.a1210, 0) = expected.a1210
        and coalesce(erp.a1220, 0) = expected.a1220
        and coalesce(erp.a2200, 0) = expected.a2200
        and coalesce(erp.a2300, 0) = expected.a2300
        and coalesce(erp.a4000, 0) = expected.a4000
        and coalesce(erp.a4050, 0) = expected.a4050
        and coalesce(erp.a4090, 0) = expected.a4090
        and coalesce(erp.a4100, 0) = expected.a4100
        and coalesce(erp.a6100, 0) = expected.a6100
        and coalesce(erp.a6150, 0) = expected.a6150
        and coalesce(erp.a7900, 0) = expected.a7900
        and coalesce(erp.a7950, 0) = expected.a7950
        and coalesce(erp.a_other, 0) = expected.a_other

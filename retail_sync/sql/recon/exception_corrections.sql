-- Per exception that our corrective journals name (record exceptions only; see
-- unmatched_corrections for the others): how many journals, what they book (`corrected_amount`,
-- Σ debit of their lines), their external ids (sorted, comma-separated), the latest journal date,
-- and `corrected`: every line of the exception has a remaining delta of 0.00 (remaining_lines).
-- A corrected exception leaves `exceptions` and `exception_lines` for `corrected_exceptions`; a
-- partly corrected one stays, its variance read from what remains.
with corrections as (
    select
        corrections.shop_id,
        corrections.exception_id,
        count(distinct corrections.transaction_id) as corrections,
        cast(sum(greatest(corrections.amount, 0)) as decimal(18, 2)) as corrected_amount,
        string_agg(distinct corrections.external_id, ',' order by corrections.external_id)
            as correction_external_ids,
        max(corrections.trandate) as last_correction_date
    from recon.correction_lines as corrections
    semi join recon.record_exceptions as found
        on found.shop_id = corrections.shop_id and found.exception_id = corrections.exception_id
    group by all
),

remaining as (
    select shop_id, exception_id, bool_and(delta = 0) as cleared
    from recon.remaining_lines
    group by all
)

select
    corrections.*,
    coalesce(remaining.cleared, true) as corrected
from corrections
left join remaining using (shop_id, exception_id)

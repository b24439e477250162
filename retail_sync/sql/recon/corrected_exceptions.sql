-- The exceptions our corrective journals put right (docs/finance.md, "Corrections"): found in the
-- ledger as it was (without our corrections, so with the same exception id as before), named by
-- at least one correction, and with a remaining delta of 0.00 on every line (remaining_lines).
-- They are not in `exceptions` or `exception_lines`. `corrected_amount` is Σ debit of the
-- corrections, `correction_external_ids` their external ids (sorted, comma-separated),
-- `last_correction_date` the latest of their journal dates.
select
    found.exception_id,
    found.shop_id,
    found.business_date,
    found.domain,
    found.kind,
    found.shopify_ref,
    found.erp_ref,
    found.currency,
    corrections.corrected_amount,
    corrections.correction_external_ids,
    corrections.last_correction_date
from recon.record_exceptions as found
join recon.exception_corrections as corrections
    on corrections.shop_id = found.shop_id and corrections.exception_id = found.exception_id
where corrections.corrected

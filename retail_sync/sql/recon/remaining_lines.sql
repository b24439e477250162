-- What is left of each difference once our corrective journals are counted (docs/finance.md,
-- "Corrections"): every line of the record exceptions (record_exception_lines, as found in the
-- ledger without our corrections) beside what the corrections naming that exception book on the
-- same account and ledger date (correction_lines, by the ledger date of their memo token):
-- `original_delta` the difference as found, `corrected` Σ the corrections' amounts (0.00 if
-- none), `delta` = original_delta + corrected, the difference that remains. A correction on an
-- account and ledger date the exception has no line for is a line of its own (rules 0.00,
-- `original_delta` 0.00, `corrected` = its amount): a wrong correction stays visible. Plus the
-- lines of the unmatched corrections (unmatched_corrections): the journal's own lines on its
-- date, rules 0.00, delta = amount. `shopify_amount` and `erp_amount` are the rules' and the
-- ledger's as found (the ledger without our corrections).
with found as (
    select exception_id, shop_id, business_date, currency from recon.record_exceptions
),

corrections as (
    select
        corrections.shop_id,
        corrections.exception_id,
        corrections.ledger_date,
        corrections.account,
        min(corrections.currency) as currency,
        sum(corrections.amount) as corrected
    from recon.correction_lines as corrections
    semi join found
        on found.shop_id = corrections.shop_id and found.exception_id = corrections.exception_id
    group by all
),

record_lines as (
    select
        exception_id,
        shop_id,
        found.business_date,
        ledger_date,
        account,
        coalesce(lines.shopify_amount, 0) as shopify_amount,
        coalesce(lines.erp_amount, 0) as erp_amount,
        coalesce(lines.delta, 0) as original_delta,
        coalesce(corrections.corrected, 0) as corrected,
        coalesce(lines.currency, corrections.currency, found.currency) as currency
    from recon.record_exception_lines as lines
    full join corrections using (shop_id, exception_id, ledger_date, account)
    join found using (shop_id, exception_id)
),

unmatched_lines as (
    select
        unmatched.exception_id,
        unmatched.shop_id,
        unmatched.business_date,
        lines.trandate as ledger_date,
        lines.account,
        0 as shopify_amount,
        lines.amount as erp_amount,
        lines.amount as original_delta,
        0 as corrected,
        lines.currency
    from recon.unmatched_corrections as unmatched
    join recon.correction_lines as lines
        on lines.shop_id = unmatched.shop_id
        and lines.transaction_id = unmatched.source_transaction_id
)

select
    exception_id,
    shop_id,
    business_date,
    ledger_date,
    account,
    cast(shopify_amount as decimal(18, 2)) as shopify_amount,
    cast(erp_amount as decimal(18, 2)) as erp_amount,
    cast(original_delta as decimal(18, 2)) as original_delta,
    cast(corrected as decimal(18, 2)) as corrected,
    cast(original_delta + corrected as decimal(18, 2)) as delta,
    currency
from (
    select * from record_lines
    union all by name
    select * from unmatched_lines
)

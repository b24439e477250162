-- Our own corrective journals in the ledger (docs/finance.md, "Corrections"): one row per journal
-- whose external id starts `retail-sync-` and whose header memo (else a line memo) carries the
-- token `retail-sync:exception:<exception id>:<YYYY-MM-DD>` — the exception it corrects and the
-- ledger date whose lines it corrects. Its own `trandate` is normally that date, later when that
-- date's period was closed. A correction is not an ERP entry of any Shopify record (erp_entries
-- leaves it out): its lines are read as corrections (correction_lines). A `retail-sync-` journal
-- without a token that parses (a valid date) stays an ordinary journal, so it surfaces.
with lines as (
    select
        shop_id,
        transaction_id,
        external_id,
        trandate,
        currency,
        regexp_extract(
            case
                when regexp_matches(header_memo, 'retail-sync:exception:exc_[0-9a-f]{20}:')
                    then header_memo
                else memo
            end,
            'retail-sync:exception:(exc_[0-9a-f]{20}:[0-9]{4}-[0-9]{2}-[0-9]{2})(?:[^0-9]|$)',
            1
        ) as token
    from staging.stg_erp__gl_lines
    where starts_with(external_id, 'retail-sync-')
),

journals as (
    select
        shop_id,
        transaction_id,
        -- Header fields: every line of a journal carries the same.
        any_value(external_id) as external_id,
        any_value(trandate) as trandate,
        any_value(currency) as currency,
        min(nullif(token, '')) as token
    from lines
    group by shop_id, transaction_id
)

select
    shop_id,
    transaction_id,
    external_id,
    trandate,
    currency,
    split_part(token, ':', 1) as exception_id,
    try_cast(split_part(token, ':', 2) as date) as ledger_date
from journals
where try_cast(split_part(token, ':', 2) as date) is not null

-- Corrective journals of ours (correction_journals) naming an exception this run does not find
-- at all — e.g. the record was also put right by hand, so the correction is now money on top of
-- a ledger nothing says is wrong. Each is an exception of its own, kind `unmatched_correction`
-- (docs/finance.md): domain `clearing` (like a residual, it is ledger money no Shopify record
-- accounts for), dated by the journal's own date, `erp_ref` its external id, `shopify_ref` the
-- Shopify reference its memo carries (if any), no account, `shopify_amount` 0.00 and
-- `erp_amount` its total (Σ debit). Its lines are the journal's lines (remaining_lines), so
-- nothing it books is silently lost. A token naming a `clearing_unexplained` residual is
-- unmatched too: the reconciliation does not read a residual as corrected by a journal.
with journals as (
    select corrections.*
    from recon.correction_journals as corrections
    anti join recon.record_exceptions as found
        on found.shop_id = corrections.shop_id and found.exception_id = corrections.exception_id
),

totals as (
    select
        lines.shop_id,
        lines.transaction_id,
        sum(lines.debit) as total,
        min(lines.shopify_entity) as entity,
        min(lines.shopify_id) as shopify_id
    from staging.stg_erp__gl_lines as lines
    semi join journals
        on journals.shop_id = lines.shop_id and journals.transaction_id = lines.transaction_id
    group by lines.shop_id, lines.transaction_id
),

rows as (
    select
        journals.shop_id,
        journals.trandate as business_date,
        'clearing' as domain,
        'unmatched_correction' as kind,
        case when totals.entity is not null and totals.shopify_id is not null
            then 'shopify:' || totals.entity || ':' || totals.shopify_id end as shopify_ref,
        journals.external_id as erp_ref,
        null::varchar as account,
        null::varchar as counter_account,
        cast(0 as decimal(18, 2)) as shopify_amount,
        cast(coalesce(totals.total, 0) as decimal(18, 2)) as erp_amount,
        'totals' as variance_rule,
        journals.currency,
        format('Correction {} (ERP {}) names exception {} for {}, which this run does not find: '
            || 'its {} {} are booked on a ledger nothing says is wrong.',
            journals.external_id, journals.transaction_id, journals.exception_id,
            journals.ledger_date, cast(coalesce(totals.total, 0) as decimal(18, 2)),
            journals.currency) as detail,
        'correction' as line_source,
        journals.transaction_id as source_transaction_id,
        journals.exception_id as corrects_exception_id,
        journals.ledger_date as corrects_ledger_date
    from journals
    left join totals
        on totals.shop_id = journals.shop_id and totals.transaction_id = journals.transaction_id
)

select
    'exc_' || left(sha256(concat_ws('|',
        shop_id, kind, coalesce(shopify_ref, ''), erp_ref, '', ''
    )), 20) as exception_id,
    *
from rows

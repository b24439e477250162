-- Every difference between what Shopify says happened and what the ledger says, one row each,
-- per the exceptions contract (ARCHITECTURE.md): a deterministic id (the same discrepancy gets
-- the same id on every run), domain, kind, both references and amounts, the account it is on and
-- the one it was moved to or against, the variance and a sentence for people. The record
-- exceptions (record_exceptions), the corrections of ours that name no exception the run finds
-- (unmatched_corrections) and, per clearing account and day, the residual the bridge cannot
-- explain (clearing_unexplained; see clearing_rollforward).
--
-- Corrections (docs/finance.md, "Corrections"): an exception whose lines all have a remaining
-- delta of 0.00 after our corrective journals (remaining_lines) is corrected: it is not here but
-- in corrected_exceptions. A partly corrected one stays, its variance computed from the
-- remaining deltas and `corrected_amount` (Σ debit of its corrections, 0.00 when none) showing
-- that a correction landed. Corrections never change an exception's id.
--
-- `held`, `hold_reason`: the exception's record is held (recon.holds, same shop and Shopify
-- reference), or it is a balance transaction of a payout held as payout_inconsistent or
-- payout_not_checked (its `payout_id`). The journal step proposes nothing for a held exception.
--
-- `variance` (docs/finance.md): the money on the wrong side, σ × the larger of Σ positive and
-- Σ |negative| net deltas over the accounts (each account's remaining line deltas summed over its
-- ledger dates; for balanced lines the two are equal) —
-- for an amount moved between accounts, that amount, never 0.00. Its sign σ: for a mismatch,
-- rounding or FX difference on an account, the account's difference on the side the rule posts
-- it (credits count as credits); +1 for a misposting or an unexpected account; otherwise the
-- sign of ERP total − Shopify total (+1 when equal). A booking in the wrong period moves no money
-- between accounts: 0.00. Stated exceptions: payout_balance_mismatch (payout net − Σ balance
-- transactions, Shopify-side), inventory (units; the value is on the line) and
-- clearing_unexplained (the residual).
with found as (
    select exceptions.*
    from (
        select * from recon.record_exceptions
        union all by name
        select * from recon.unmatched_corrections
    ) as exceptions
    anti join recon.exception_corrections as corrections
        on corrections.shop_id = exceptions.shop_id
        and corrections.exception_id = exceptions.exception_id
        and corrections.corrected
),

nets as (
    select exception_id, account, sum(delta) as net, sum(shopify_amount) as expected
    from recon.remaining_lines
    group by all
),

moved as (
    -- Equal for balanced lines; an unbalanced set (a booking spread over several journals, one
    -- of them off) counts its larger side, so a difference is never 0.00 for lack of a debit.
    select exception_id, greatest(sum(greatest(net, 0)), -sum(least(net, 0))) as moved
    from nets
    group by all
),

records as (
    select
        exceptions.* exclude (variance),
        case exceptions.variance_rule
            when 'own' then exceptions.variance
            else coalesce(moved.moved, 0) * case exceptions.variance_rule
                when 'plus' then 1
                when 'account' then coalesce(
                    nullif(sign(sign(primary_line.expected) * primary_line.net), 0),
                    nullif(sign(exceptions.erp_amount - exceptions.shopify_amount), 0),
                    1
                )
                else coalesce(nullif(sign(exceptions.erp_amount - exceptions.shopify_amount), 0), 1)
            end
        end as variance,
        coalesce(corrections.corrected_amount, 0) as corrected_amount
    from found as exceptions
    left join moved using (exception_id)
    left join nets as primary_line
        on primary_line.exception_id = exceptions.exception_id
        and primary_line.account = exceptions.account
    left join recon.exception_corrections as corrections
        on corrections.shop_id = exceptions.shop_id
        and corrections.exception_id = exceptions.exception_id
),

-- The records held (recon.holds) and the balance transactions of the payouts held for their
-- consistency, each with its reasons.
held_refs as (
    select shop_id, shopify_ref, reason from recon.holds where shopify_ref is not null

    union all

    select balance.shop_id, 'shopify:balance_transaction:' || balance.balance_transaction_id,
        holds.reason
    from recon.holds as holds
    join staging.stg_shopify__balance_transactions as balance
        on balance.shop_id = holds.shop_id
        and balance.payout_id
            = try_cast(regexp_extract(holds.shopify_ref, '^shopify:payout:([0-9]+)$', 1) as bigint)
    where holds.reason in ('payout_inconsistent', 'payout_not_checked')
),

held as (
    select shop_id, shopify_ref, string_agg(distinct reason, ',' order by reason) as hold_reason
    from held_refs
    group by all
),

residuals as (
    select
        'exc_' || left(sha256(concat_ws('|',
            rollforward.shop_id, 'clearing_unexplained', '', '', rollforward.account,
            cast(rollforward.business_date as varchar)
        )), 20) as exception_id,
        rollforward.shop_id,
        rollforward.business_date,
        'clearing' as domain,
        'clearing_unexplained' as kind,
        null::varchar as shopify_ref,
        null::varchar as erp_ref,
        rollforward.account,
        null::varchar as counter_account,
        rollforward.expected_movement as shopify_amount,
        rollforward.ledger_movement as erp_amount,
        rollforward.residual as variance,
        shops.currency,
        format('Account {} moved {} on {} where the rules and the exceptions account for {}: '
            || '{} is booked by journals no Shopify record, rule or exception explains.',
            rollforward.account, rollforward.ledger_movement, rollforward.business_date,
            rollforward.ledger_movement - rollforward.residual, rollforward.residual) as detail,
        cast(0 as decimal(18, 2)) as corrected_amount
    from recon.clearing_rollforward as rollforward
    join raw.config__shops as shops on shops.shop_id = rollforward.shop_id
    where rollforward.residual <> 0
)

select
    exceptions.exception_id, exceptions.shop_id, exceptions.business_date, exceptions.domain,
    exceptions.kind, exceptions.shopify_ref, exceptions.erp_ref, exceptions.account,
    exceptions.counter_account,
    cast(exceptions.shopify_amount as decimal(18, 2)) as shopify_amount,
    cast(exceptions.erp_amount as decimal(18, 2)) as erp_amount,
    cast(exceptions.variance as decimal(18, 2)) as variance,
    exceptions.currency, exceptions.detail,
    cast(exceptions.corrected_amount as decimal(18, 2)) as corrected_amount,
    held.shopify_ref is not null as held,
    held.hold_reason
from (
    select
        exception_id, shop_id, business_date, domain, kind, shopify_ref, erp_ref, account,
        counter_account, shopify_amount, erp_amount, variance, currency, detail, corrected_amount
    from records
    union all
    select * from residuals
) as exceptions
left join held
    on held.shop_id = exceptions.shop_id and held.shopify_ref = exceptions.shopify_ref

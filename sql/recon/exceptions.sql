-- Every difference between what Shopify says happened and what the ledger says, one row each,
-- per the exceptions contract (ARCHITECTURE.md): a deterministic id (the same discrepancy gets
-- the same id on every run), domain, kind, both references and amounts, the account it is on and
-- the one it was moved to or against, the variance and a sentence for people. The record
-- exceptions (record_exceptions) and, per clearing account and day, the residual the bridge
-- cannot explain (clearing_unexplained; see clearing_rollforward).
--
-- `variance` (docs/finance.md): the money on the wrong side, σ × the larger of Σ positive and
-- Σ |negative| net deltas over the accounts (each account's line deltas summed over its ledger
-- dates; for balanced lines the two are equal) —
-- for an amount moved between accounts, that amount, never 0.00. Its sign σ: for a mismatch,
-- rounding or FX difference on an account, the account's difference on the side the rule posts
-- it (credits count as credits); +1 for a misposting or an unexpected account; otherwise the
-- sign of ERP total − Shopify total (+1 when equal). A booking in the wrong period moves no money
-- between accounts: 0.00. Stated exceptions: payout_balance_mismatch (payout net − Σ balance
-- transactions, Shopify-side), inventory (units; the value is on the line) and
-- clearing_unexplained (the residual).
with nets as (
    select exception_id, account, sum(delta) as net, sum(shopify_amount) as expected
    from recon.record_exception_lines
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
        end as variance
    from recon.record_exceptions as exceptions
    left join moved using (exception_id)
    left join nets as primary_line
        on primary_line.exception_id = exceptions.exception_id
        and primary_line.account = exceptions.account
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
            rollforward.ledger_movement - rollforward.residual, rollforward.residual) as detail
    from recon.clearing_rollforward as rollforward
    join raw.config__shops as shops on shops.shop_id = rollforward.shop_id
    where rollforward.residual <> 0
)

select
    exception_id, shop_id, business_date, domain, kind, shopify_ref, erp_ref, account,
    counter_account,
    cast(shopify_amount as decimal(18, 2)) as shopify_amount,
    cast(erp_amount as decimal(18, 2)) as erp_amount,
    cast(variance as decimal(18, 2)) as variance,
    currency, detail
from records
union all
select * from residuals

-- The clearing accounts rolled forward per shop, business date and account — Shopify Payments
-- clearing (1205), its reserve (1210) and the other gateways' clearing (1220) — with the bridge
-- that ties each day's difference to the exceptions (docs/finance.md "The clearing bridge"):
--   difference = ledger_movement − expected_movement = explained + timing + residual
-- - expected_movement: what the posting rules say the account moves that day (expected_entries,
--   by entry kind: charges, refunds, fees, disputes, adjustments, reserves, payouts);
-- - ledger_movement: what the ledger's lines on the account move that day, our corrective
--   journals' (correction_lines) included, on their own date;
-- - explained: Σ the remaining deltas of the exceptions' lines on the account and day
--   (remaining_lines: the differences as found plus our corrections of them, by ledger date; a
--   corrected exception's lines remain 0.00);
-- - timing: entries booked correctly but on another day than their business date (+ on the day
--   booked, − on the business date; zero over a period unless the booking crosses it, which is a
--   wrong-period exception and so explained, not timing); likewise a correction dated later than
--   the ledger date it corrects (its period was closed): + on the journal's date, − on the
--   ledger date, whose remaining delta already counts it;
-- - residual: what nothing explains — journals on the account that no Shopify record, rule or
--   exception claims. A residual other than 0.00 is itself an exception (clearing_unexplained).
-- Balances count from the first landed date: the ledger's history before the lake is not read.
-- `unpaid_balance` (1205 only) is Σ balance transactions not yet paid out as of the day.
with expected as (
    unpivot (
        select
            shop_id, business_date, entry_kind, balance_type,
            sum(a1205) as a1205, sum(a1210) as a1210, sum(a1220) as a1220
        from recon.expected_entries
        group by all
    )
    on a1205 as '1205', a1210 as '1210', a1220 as '1220'
    into name account value amount
),

expected_daily as (
    select
        shop_id, business_date, account,
        sum(amount) filter (where entry_kind = 'order') as charges,
        sum(amount) filter (where entry_kind = 'refund') as refunds,
        sum(amount) filter (where entry_kind = 'fee' and balance_type in ('CHARGE', 'REFUND'))
            as fees,
        sum(amount) filter (where entry_kind in ('dispute', 'dispute-won')) as disputes,
        sum(amount) filter (where balance_type = 'ADJUSTMENT') as adjustments,
        sum(amount) filter (where entry_kind in ('reserve', 'reserve-release')) as reserves,
        sum(amount) filter (where entry_kind in ('payout', 'payout-failed')) as payouts,
        sum(amount) as expected_movement
    from expected
    where amount <> 0
    group by all
),

-- Per journal (erp_entries: every ledger journal but our corrections, with its amount per
-- account of the chart), and our corrections' lines on their own date.
ledger as (
    select shop_id, business_date, account, sum(ledger_movement) as ledger_movement
    from (
        unpivot (
            select
                shop_id, trandate as business_date,
                sum(a1205) as a1205, sum(a1210) as a1210, sum(a1220) as a1220
            from recon.erp_entries
            group by all
        )
        on a1205 as '1205', a1210 as '1210', a1220 as '1220'
        into name account value ledger_movement

        union all by name

        select shop_id, trandate as business_date, account, amount as ledger_movement
        from recon.correction_lines
        where account in ('1205', '1210', '1220')
    )
    group by all
),

explained as (
    select shop_id, ledger_date as business_date, account, sum(delta) as explained
    from recon.remaining_lines
    where account in ('1205', '1210', '1220')
    group by all
),

-- Bookings of expected entries dated on another day than the entry: the fast path's clean
-- entries, the full matching's bookings (not under a wrong-period exception, whose lines already
-- move the amounts) and deposits matched by amount and date; and our corrections of exceptions
-- the run finds, dated later than the ledger date they correct (an unmatched correction's lines
-- sit on its own date).
shifted as (
    select shop_id, business_date, booked_date as trandate, a1205, a1210, a1220
    from recon.clean_entries
    where booked_date <> business_date

    union all

    select
        booked.shop_id, expected.business_date, booked.trandate,
        sum(booked.erp_amount) filter (where booked.account = '1205'),
        sum(booked.erp_amount) filter (where booked.account = '1210'),
        sum(booked.erp_amount) filter (where booked.account = '1220')
    from recon.entry_erp_lines as booked
    join recon.open_entries as expected using (shop_id, entity, shopify_id, entry_kind)
    anti join recon.record_exceptions as periods
        on periods.line_source = 'period'
        and periods.shop_id = booked.shop_id
        and periods.source_entity = booked.entity
        and periods.source_shopify_id = booked.shopify_id
        and periods.source_entry_kind = booked.entry_kind
    where booked.trandate <> expected.business_date
        and booked.account in ('1205', '1210', '1220')
    group by booked.shop_id, expected.business_date, booked.trandate, booked.transaction_id

    union all

    select
        fallback.shop_id, expected.business_date, lines.trandate,
        sum(lines.erp_amount) filter (where lines.account = '1205'),
        sum(lines.erp_amount) filter (where lines.account = '1210'),
        sum(lines.erp_amount) filter (where lines.account = '1220')
    from recon.deposit_fallback_matches as fallback
    join recon.open_entries as expected
        on expected.shop_id = fallback.shop_id
        and expected.entity = 'payout'
        and expected.shopify_id = fallback.shopify_id
        and expected.entry_kind = 'payout'
    join recon.open_erp_lines as lines
        on lines.shop_id = fallback.shop_id and lines.transaction_id = fallback.transaction_id
    where lines.trandate <> expected.business_date
    group by fallback.shop_id, expected.business_date, lines.trandate, fallback.transaction_id

    union all

    select
        corrections.shop_id, corrections.ledger_date, corrections.trandate,
        sum(corrections.amount) filter (where corrections.account = '1205'),
        sum(corrections.amount) filter (where corrections.account = '1210'),
        sum(corrections.amount) filter (where corrections.account = '1220')
    from recon.correction_lines as corrections
    semi join recon.record_exceptions as found
        on found.shop_id = corrections.shop_id and found.exception_id = corrections.exception_id
    where corrections.trandate <> corrections.ledger_date
        and corrections.account in ('1205', '1210', '1220')
    group by
        corrections.shop_id, corrections.ledger_date, corrections.trandate,
        corrections.transaction_id
),

timing as (
    select shop_id, moved.business_date, moved.account, sum(moved.amount) as timing
    from (
        select
            shop_id,
            unnest([
                {'business_date': trandate, 'account': '1205', 'amount': a1205},
                {'business_date': business_date, 'account': '1205', 'amount': -a1205},
                {'business_date': trandate, 'account': '1210', 'amount': a1210},
                {'business_date': business_date, 'account': '1210', 'amount': -a1210},
                {'business_date': trandate, 'account': '1220', 'amount': a1220},
                {'business_date': business_date, 'account': '1220', 'amount': -a1220}
            ]) as moved
        from shifted
    )
    where moved.amount <> 0
    group by all
),

days as (
    select shop_id, business_date, account from expected_daily
    union
    select shop_id, business_date, account from ledger
    union
    select shop_id, business_date, account from explained
    union
    select shop_id, business_date, account from timing
    union
    select shop_id, business_date, '1205' from staging.stg_shopify__balance_transactions
    union
    select shop_id, business_date, '1205' from staging.stg_shopify__payouts
),

unpaid as (
    select days.shop_id, days.business_date, '1205' as account, sum(balance.net) as unpaid_balance
    from (select distinct shop_id, business_date from days where account = '1205') as days
    join staging.stg_shopify__balance_transactions as balance
        on balance.shop_id = days.shop_id and balance.business_date <= days.business_date
    left join staging.stg_shopify__payouts as payouts
        on payouts.shop_id = balance.shop_id and payouts.payout_id = balance.payout_id
    where not balance.test
        and (payouts.payout_id is null or payouts.status not in ('PAID', 'FAILED')
            or payouts.business_date > days.business_date
            -- A failed payout's transactions are owed again from the day its failure is known.
            or (payouts.status = 'FAILED' and payouts.failed_on <= days.business_date))
    group by all
),

daily as (
    select
        days.shop_id,
        days.business_date,
        days.account,
        coalesce(expected_daily.charges, 0) as charges,
        coalesce(expected_daily.refunds, 0) as refunds,
        coalesce(expected_daily.fees, 0) as fees,
        coalesce(expected_daily.disputes, 0) as disputes,
        coalesce(expected_daily.adjustments, 0) as adjustments,
        coalesce(expected_daily.reserves, 0) as reserves,
        coalesce(expected_daily.payouts, 0) as payouts,
        coalesce(expected_daily.expected_movement, 0) as expected_movement,
        coalesce(ledger.ledger_movement, 0) as ledger_movement,
        coalesce(explained.explained, 0) as explained,
        coalesce(timing.timing, 0) as timing,
        case when days.account = '1205' then coalesce(unpaid.unpaid_balance, 0) end
            as unpaid_balance
    from days
    left join expected_daily using (shop_id, business_date, account)
    left join ledger using (shop_id, business_date, account)
    left join explained using (shop_id, business_date, account)
    left join timing using (shop_id, business_date, account)
    left join unpaid using (shop_id, business_date, account)
),

rolled as (
    select
        *,
        coalesce(sum(ledger_movement) over (
            partition by shop_id, account order by business_date
            rows between unbounded preceding and 1 preceding
        ), 0) as opening
    from daily
)

select
    shop_id,
    business_date,
    strftime(business_date, '%Y-%m') as period,
    account,
    cast(opening as decimal(18, 2)) as opening,
    cast(charges as decimal(18, 2)) as charges,
    cast(refunds as decimal(18, 2)) as refunds,
    cast(fees as decimal(18, 2)) as fees,
    cast(disputes as decimal(18, 2)) as disputes,
    cast(adjustments as decimal(18, 2)) as adjustments,
    cast(reserves as decimal(18, 2)) as reserves,
    cast(payouts as decimal(18, 2)) as payouts,
    cast(expected_movement as decimal(18, 2)) as expected_movement,
    cast(ledger_movement as decimal(18, 2)) as ledger_movement,
    cast(opening + expected_movement as decimal(18, 2)) as expected_closing,
    cast(opening + ledger_movement as decimal(18, 2)) as ledger_closing,
    cast(ledger_movement - expected_movement as decimal(18, 2)) as difference,
    cast(explained as decimal(18, 2)) as explained,
    cast(timing as decimal(18, 2)) as timing,
    cast(ledger_movement - expected_movement - explained - timing as decimal(18, 2)) as residual,
    cast(unpaid_balance as decimal(18, 2)) as unpaid_balance
from rolled

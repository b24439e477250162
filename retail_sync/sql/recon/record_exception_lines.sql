-- The per-account lines of every record exception (record_exceptions): on which account, on which
-- ledger date, what the rules expect there (shopify_amount), what the ledger holds (erp_amount)
-- and delta = erp − shopify (debit positive, shop currency). `business_date` is the exception's
-- own date, `ledger_date` the day the delta sits on in the ledger (the clearing bridge reads it).
-- - an entry the ledger misses or books differently: its entry_deltas (whole booking, every
--   journal of it), on the entry's date;
-- - a duplicate posting or a journal nothing expects: that journal's lines, on its date;
-- - a booking in the wrong period: each journal's amounts leave the entry's date and sit on the
--   journal's (per account they net to zero: the money is on the right accounts, in the wrong
--   period);
-- - a deposit matched to a payout by amount and date: its difference on 1000 and 1205;
-- - an on-hand difference: one inventory (1300) line, each side's on hand valued at the item's
--   unit cost (ERP cost first, Shopify's when the ERP has none; see inventory_matches), in the
--   item's currency; none when neither side has a cost;
-- - a Shopify-side mismatch (payout_balance_mismatch): no ledger line.
with exceptions as (
    select * from recon.record_exceptions
),

entry_lines as (
    select
        exceptions.exception_id, exceptions.shop_id, exceptions.business_date,
        exceptions.business_date as ledger_date, deltas.account,
        deltas.shopify_amount, deltas.erp_amount, deltas.delta, exceptions.currency
    from exceptions
    join recon.entry_deltas as deltas
        on deltas.shop_id = exceptions.shop_id
        and deltas.entity = exceptions.source_entity
        and deltas.shopify_id = exceptions.source_shopify_id
        and deltas.entry_kind = exceptions.source_entry_kind
    where exceptions.line_source = 'entry'
),

transaction_lines as (
    select
        exceptions.exception_id, exceptions.shop_id, exceptions.business_date,
        lines.trandate as ledger_date, lines.account,
        cast(0 as decimal(18, 2)) as shopify_amount,
        lines.erp_amount,
        lines.erp_amount as delta,
        exceptions.currency
    from exceptions
    join recon.open_erp_lines as lines
        on lines.shop_id = exceptions.shop_id
        and lines.transaction_id = exceptions.source_transaction_id
    where exceptions.line_source = 'transaction'
),

period_lines as (
    select
        exceptions.exception_id, exceptions.shop_id, exceptions.business_date,
        unnest([
            {'ledger_date': exceptions.business_date, 'shopify_amount': booked.erp_amount,
                'erp_amount': 0, 'delta': -booked.erp_amount},
            {'ledger_date': booked.trandate, 'shopify_amount': 0,
                'erp_amount': booked.erp_amount, 'delta': booked.erp_amount}
        ], recursive := true),
        booked.account,
        exceptions.currency
    from exceptions
    join recon.entry_erp_lines as booked
        on booked.shop_id = exceptions.shop_id
        and booked.entity = exceptions.source_entity
        and booked.shopify_id = exceptions.source_shopify_id
        and booked.entry_kind = exceptions.source_entry_kind
    where exceptions.line_source = 'period' and booked.trandate <> exceptions.business_date
),

fallback_lines as (
    select
        exceptions.exception_id, exceptions.shop_id, exceptions.business_date,
        exceptions.business_date as ledger_date,
        unnest([
            {'account': '1000', 'shopify_amount': fallback.net, 'erp_amount': fallback.amount},
            {'account': '1205', 'shopify_amount': -fallback.net, 'erp_amount': -fallback.amount}
        ], recursive := true),
        exceptions.currency
    from exceptions
    join recon.deposit_fallback_matches as fallback
        on fallback.shop_id = exceptions.shop_id
        and fallback.transaction_id = exceptions.source_transaction_id
    where exceptions.line_source = 'fallback'
),

inventory_lines as (
    select
        exception_id, shop_id, business_date, business_date as ledger_date, '1300' as account,
        coalesce(line_shopify_amount, 0) as shopify_amount,
        coalesce(line_erp_amount, 0) as erp_amount,
        coalesce(line_erp_amount, 0) - coalesce(line_shopify_amount, 0) as delta,
        line_currency as currency
    from exceptions
    where line_source = 'inventory' and line_currency is not null
),

all_lines as (
    select * from entry_lines
    union all by name select * from inventory_lines
    union all by name select * from transaction_lines
    union all by name select * from period_lines
    union all by name
    select *, erp_amount - shopify_amount as delta from fallback_lines
)

select
    exception_id,
    shop_id,
    business_date,
    ledger_date,
    account,
    cast(sum(shopify_amount) as decimal(18, 2)) as shopify_amount,
    cast(sum(erp_amount) as decimal(18, 2)) as erp_amount,
    cast(sum(delta) as decimal(18, 2)) as delta,
    currency
from all_lines
group by exception_id, shop_id, business_date, ledger_date, account, currency
having sum(delta) <> 0

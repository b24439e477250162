-- Per exception, the difference on each account it touches (docs/finance.md): exception id,
-- account, ledger date, what the rules expect there (Shopify side), what the ledger holds (ERP
-- side, as found: without our corrective journals), `original_delta` = ERP − Shopify (debit
-- positive) as found, `corrected` = Σ our corrections of it on that account and ledger date
-- (0.00 if none), `delta` = original_delta + corrected, the difference that remains, and the
-- currency. A corrective journal books −delta on each line. The lines of every exception in
-- `exceptions` (remaining_lines: a corrected exception is not there, so neither are its lines; a
-- partly corrected one keeps a line whose remaining delta is 0.00 beside the others), and one
-- line per clearing residual (clearing_unexplained: the unexplained amount, on its account and
-- day).
select
    lines.exception_id, lines.shop_id, lines.business_date, lines.ledger_date, lines.account,
    lines.shopify_amount, lines.erp_amount, lines.original_delta, lines.corrected, lines.delta,
    lines.currency
from recon.remaining_lines as lines
anti join recon.exception_corrections as corrections
    on corrections.shop_id = lines.shop_id
    and corrections.exception_id = lines.exception_id
    and corrections.corrected

union all

select
    exception_id, shop_id, business_date, business_date as ledger_date, account,
    cast(0 as decimal(18, 2)) as shopify_amount,
    variance as erp_amount,
    variance as original_delta,
    cast(0 as decimal(18, 2)) as corrected,
    variance as delta,
    currency
from recon.exceptions
where kind = 'clearing_unexplained'

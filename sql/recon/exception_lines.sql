-- Per exception, the difference on each account it touches (docs/finance.md): exception id,
-- account, ledger date, what the rules expect there (Shopify side), what the ledger holds (ERP
-- side), delta = ERP − Shopify (debit positive) and the currency. A corrective journal books
-- −delta on each line. The record exceptions' lines (record_exception_lines) and one line per
-- clearing residual (clearing_unexplained: the unexplained amount, on its account and day).
select
    exception_id, shop_id, business_date, ledger_date, account, shopify_amount, erp_amount,
    delta, currency
from recon.record_exception_lines

union all

select
    exception_id, shop_id, business_date, business_date as ledger_date, account,
    cast(0 as decimal(18, 2)) as shopify_amount,
    variance as erp_amount,
    variance as delta,
    currency
from recon.exceptions
where kind = 'clearing_unexplained'

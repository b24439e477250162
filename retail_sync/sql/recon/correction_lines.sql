-- The lines of our corrective journals (correction_journals), per journal and account: the
-- exception each corrects and the ledger date it corrects (from its memo token), the journal's
-- own date (`trandate`, later than `ledger_date` when that period was closed), the amount
-- (debit +, credit −, shop currency), and the journal's external and internal ids. Only accounts
-- whose amount is not 0.00. The exceptions read these (remaining_lines: what is left of each
-- difference), and so does the clearing bridge (ledger movement, and timing when the journal is
-- dated after its ledger date).
select
    journals.shop_id,
    journals.exception_id,
    journals.ledger_date,
    journals.trandate,
    lines.account_number as account,
    cast(sum(lines.signed_amount) as decimal(18, 2)) as amount,
    journals.currency,
    journals.external_id,
    journals.transaction_id
from recon.correction_journals as journals
join staging.stg_erp__gl_lines as lines
    on lines.shop_id = journals.shop_id and lines.transaction_id = journals.transaction_id
group by
    journals.shop_id, journals.exception_id, journals.ledger_date, journals.trandate,
    lines.account_number, journals.currency, journals.external_id, journals.transaction_id
having sum(lines.signed_amount) <> 0

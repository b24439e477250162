-- What the ledger books for each expected entry the full matching looks at, per ERP journal and
-- account: the journals assigned to the entry (see assigned_entries), less those found to be
-- duplicate postings (unkeyed_entries). Accounts are the ledger's own numbers, including any
-- outside the chart the rules use. Shop currency, debit positive.
select
    assigned.shop_id,
    assigned.entity,
    assigned.shopify_id,
    assigned.entry_kind,
    assigned.transaction_id,
    lines.trandate,
    lines.account,
    lines.erp_amount
from recon.assigned_entries as assigned
left join recon.unkeyed_entries as unkeyed
    using (shop_id, entity, shopify_id, entry_kind, transaction_id)
join recon.open_erp_lines as lines
    on lines.shop_id = assigned.shop_id and lines.transaction_id = assigned.transaction_id
where unkeyed.is_duplicate is not true

-- Per expected entry the full matching looks at and per account: what the rules expect, what the
-- ledger books (entry_erp_lines, every journal of the booking together, whatever its date) and
-- the difference, delta = ERP − rules (debit positive, shop currency). Only accounts whose
-- delta is not zero. An entry nothing books has a delta of −expected on each of its accounts.
with expected as (
    unpivot (
        select
            shop_id, entity, shopify_id, entry_kind,
            a1000, a1205, a1210, a1220, a2200, a2300, a4000, a4050, a4090, a4100, a6100, a6150,
            a7900, a7950
        from recon.open_entries
    )
    on a1000 as '1000', a1205 as '1205', a1210 as '1210', a1220 as '1220', a2200 as '2200',
        a2300 as '2300', a4000 as '4000', a4050 as '4050', a4090 as '4090', a4100 as '4100',
        a6100 as '6100', a6150 as '6150', a7900 as '7900', a7950 as '7950'
    into name account value shopify_amount
),

booked as (
    select shop_id, entity, shopify_id, entry_kind, account, sum(erp_amount) as erp_amount
    from recon.entry_erp_lines
    group by all
)

select
    shop_id,
    entity,
    shopify_id,
    entry_kind,
    account,
    cast(coalesce(expected.shopify_amount, 0) as decimal(18, 2)) as shopify_amount,
    cast(coalesce(booked.erp_amount, 0) as decimal(18, 2)) as erp_amount,
    cast(coalesce(booked.erp_amount, 0) - coalesce(expected.shopify_amount, 0) as decimal(18, 2))
        as delta
from (select * from expected where shopify_amount <> 0) as expected
full join booked using (shop_id, entity, shopify_id, entry_kind, account)
where coalesce(booked.erp_amount, 0) <> coalesce(expected.shopify_amount, 0)

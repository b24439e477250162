-- The ledger lines of the journals the full matching looks at (open_erp_entries), summed per
-- journal and account (the ledger's own account numbers, including any outside the rules'
-- chart). The lines of exceptions, the bookings of open entries and the roll-forward's timing
-- read these. The chart's accounts come from the journals' per-account sums; only lines on
-- other accounts are read from the ledger again.
with chart as (
    unpivot (
        select
            shop_id, transaction_id, trandate,
            a1000, a1205, a1210, a1220, a2200, a2300, a4000, a4050, a4090, a4100, a6100, a6150,
            a7900, a7950
        from recon.open_erp_entries
    )
    on a1000 as '1000', a1205 as '1205', a1210 as '1210', a1220 as '1220', a2200 as '2200',
        a2300 as '2300', a4000 as '4000', a4050 as '4050', a4090 as '4090', a4100 as '4100',
        a6100 as '6100', a6150 as '6150', a7900 as '7900', a7950 as '7950'
    into name account value erp_amount
),

other as (
    select
        lines.shop_id, lines.transaction_id, lines.trandate, lines.account_number as account,
        sum(lines.signed_amount) as erp_amount
    from staging.stg_erp__gl_lines as lines
    semi join (select * from recon.open_erp_entries where other_lines > 0) as open_entries
        on open_entries.shop_id = lines.shop_id
        and open_entries.transaction_id = lines.transaction_id
    where lines.account_number not in (
        '1000', '1205', '1210', '1220', '2200', '2300', '4000', '4050', '4090', '4100',
        '6100', '6150', '7900', '7950'
    )
    group by all
)

select
    shop_id, transaction_id, trandate, account, cast(erp_amount as decimal(18, 2)) as erp_amount
from chart
where erp_amount <> 0
union all
select
    shop_id, transaction_id, trandate, account, cast(erp_amount as decimal(18, 2)) as erp_amount
from other

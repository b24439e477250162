-- One row per ERP journal entry: the Shopify record it references (memo token
-- `shopify:<entity>:<id>`), its external id, date and currency, and its net debit per account.
-- Our own corrective journals (correction_journals) are not entries of any Shopify record: they
-- are left out here, and so of everything built on this (matching, duplicates, orphans, amount
-- differences); correction_lines reads them.
with entries as (
    select
        shop_id,
        transaction_id,
        -- Header fields: every line of a journal carries the same.
        any_value(external_id) as external_id,
        any_value(trandate) as trandate,
        any_value(currency) as currency,
        min(shopify_entity) as entity,
        min(shopify_id) as shopify_id,
        sum(case when account_number = '1000' then signed_amount end) as a1000,
        sum(case when account_number = '1205' then signed_amount end) as a1205,
        sum(case when account_number = '1210' then signed_amount end) as a1210,
        sum(case when account_number = '1220' then signed_amount end) as a1220,
        sum(case when account_number = '2200' then signed_amount end) as a2200,
        sum(case when account_number = '2300' then signed_amount end) as a2300,
        sum(case when account_number = '4000' then signed_amount end) as a4000,
        sum(case when account_number = '4050' then signed_amount end) as a4050,
        sum(case when account_number = '4090' then signed_amount end) as a4090,
        sum(case when account_number = '4100' then signed_amount end) as a4100,
        sum(case when account_number = '6100' then signed_amount end) as a6100,
        sum(case when account_number = '6150' then signed_amount end) as a6150,
        sum(case when account_number = '7900' then signed_amount end) as a7900,
        sum(case when account_number = '7950' then signed_amount end) as a7950,
        sum(case when account_number not in (
            '1000', '1205', '1210', '1220', '2200', '2300', '4000', '4050', '4090', '4100',
            '6100', '6150', '7900', '7950'
        ) then signed_amount end) as a_other,
        -- Lines on accounts outside the chart (their amounts may cancel out in a_other).
        count(case when account_number not in (
            '1000', '1205', '1210', '1220', '2200', '2300', '4000', '4050', '4090', '4100',
            '6100', '6150', '7900', '7950'
        ) then 1 end) as other_lines,
        sum(debit) as total
    from staging.stg_erp__gl_lines as lines
    anti join recon.correction_journals as corrections
        on corrections.shop_id = lines.shop_id
        and corrections.transaction_id = lines.transaction_id
    group by shop_id, transaction_id
)

select
    shop_id, transaction_id, external_id, trandate, currency, entity, shopify_id,
    cast(coalesce(a1000, 0) as decimal(18, 2)) as a1000,
    cast(coalesce(a1205, 0) as decimal(18, 2)) as a1205,
    cast(coalesce(a1210, 0) as decimal(18, 2)) as a1210,
    cast(coalesce(a1220, 0) as decimal(18, 2)) as a1220,
    cast(coalesce(a2200, 0) as decimal(18, 2)) as a2200,
    cast(coalesce(a2300, 0) as decimal(18, 2)) as a2300,
    cast(coalesce(a4000, 0) as decimal(18, 2)) as a4000,
    cast(coalesce(a4050, 0) as decimal(18, 2)) as a4050,
    cast(coalesce(a4090, 0) as decimal(18, 2)) as a4090,
    cast(coalesce(a4100, 0) as decimal(18, 2)) as a4100,
    cast(coalesce(a6100, 0) as decimal(18, 2)) as a6100,
    cast(coalesce(a6150, 0) as decimal(18, 2)) as a6150,
    cast(coalesce(a7900, 0) as decimal(18, 2)) as a7900,
    cast(coalesce(a7950, 0) as decimal(18, 2)) as a7950,
    cast(coalesce(a_other, 0) as decimal(18, 2)) as a_other,
    cast(total as decimal(18, 2)) as total,
    other_lines
from entries

-- Every expected entry whose booking differs from the rules, with what kind of difference it is.
-- An amount difference is classified by the accounts it touches (docs/sandbox.md "Ground truth"):
-- tax, shipping or discount against the clearing account, rounding against 7950, FX against 7900.
-- Amounts are in the shop currency; a variance is what the ERP says minus what Shopify says, on
-- the side the rule posts the account (debits positive, credits as credit amounts).
with measured as (
    select
        *,
        case when a1205 <> 0 then '1205' when a1220 <> 0 then '1220' else '2300' end as clearing,
        erp_a1000 - a1000 as d1000,
        erp_a1205 - a1205 as d1205,
        erp_a1210 - a1210 as d1210,
        erp_a1220 - a1220 as d1220,
        -- Refunded shipping and tax are compared together (see stg_shopify__refund_settlements).
        case when entity = 'refund' then 0 else erp_a2200 - a2200 end as d2200,
        erp_a2300 - a2300 as d2300,
        erp_a4000 - a4000 as d4000,
        erp_a4050 - a4050 as d4050,
        erp_a4090 - a4090 as d4090,
        case
            when entity = 'refund' then (erp_a4100 + erp_a2200) - (a4100 + a2200)
            else erp_a4100 - a4100
        end as d4100,
        erp_a6100 - a6100 as d6100,
        erp_a6150 - a6150 as d6150,
        erp_a7900 - a7900 as d7900,
        erp_a7950 - a7950 as d7950,
        erp_a_other - a_other as d_other,
        cast(greatest(a1000, 0) + greatest(a1205, 0) + greatest(a1210, 0) + greatest(a1220, 0) + greatest(a2200, 0) + greatest(a2300, 0) + greatest(a4000, 0) + greatest(a4050, 0) + greatest(a4090, 0) + greatest(a4100, 0) + greatest(a6100, 0) + greatest(a6150, 0) + greatest(a7900, 0) + greatest(a7950, 0) + greatest(a_other, 0) as decimal(18, 2)) as expected_total,
        cast(greatest(erp_a1000, 0) + greatest(erp_a1205, 0) + greatest(erp_a1210, 0) + greatest(erp_a1220, 0) + greatest(erp_a2200, 0) + greatest(erp_a2300, 0) + greatest(erp_a4000, 0) + greatest(erp_a4050, 0) + greatest(erp_a4090, 0) + greatest(erp_a4100, 0) + greatest(erp_a6100, 0) + greatest(erp_a6150, 0) + greatest(erp_a7900, 0) + greatest(erp_a7950, 0) + greatest(erp_a_other, 0) as decimal(18, 2)) as erp_total
    from recon.entry_matches
),

classified as (
    select
        *,
        concat_ws(
            ',',
            case when d1000 <> 0 then '1000' end,
            case when d1205 <> 0 then '1205' end,
            case when d1210 <> 0 then '1210' end,
            case when d1220 <> 0 then '1220' end,
            case when d2200 <> 0 then '2200' end,
            case when d2300 <> 0 then '2300' end,
            case when d4000 <> 0 then '4000' end,
            case when d4050 <> 0 then '4050' end,
            case when d4090 <> 0 then '4090' end,
            case when d4100 <> 0 then '4100' end,
            case when d6100 <> 0 then '6100' end,
            case when d6150 <> 0 then '6150' end,
            case when d7900 <> 0 then '7900' end,
            case when d7950 <> 0 then '7950' end,
            case when d_other <> 0 then 'other' end
        ) as accounts
    from measured
)

select * from classified

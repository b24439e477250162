-- Every expected entry the full matching looks at, beside what the ledger books for it (see
-- entry_matches), with its clearing account (the tender account an order or refund settles
-- through: 1205, else 1220, else the gift card liability 2300) and the ledger's total (Σ debits,
-- shop currency; the rules' total comes with expected_entries). Which accounts differ, and what
-- kind of difference that is, are entry_deltas' and entry_classes'.
select
    *,
    case when a1205 <> 0 then '1205' when a1220 <> 0 then '1220' else '2300' end as clearing,
    cast(greatest(erp_a1000, 0) + greatest(erp_a1205, 0) + greatest(erp_a1210, 0) + greatest(erp_a1220, 0) + greatest(erp_a2200, 0) + greatest(erp_a2300, 0) + greatest(erp_a4000, 0) + greatest(erp_a4050, 0) + greatest(erp_a4090, 0) + greatest(erp_a4100, 0) + greatest(erp_a6100, 0) + greatest(erp_a6150, 0) + greatest(erp_a7900, 0) + greatest(erp_a7950, 0) + greatest(erp_a_other, 0) as decimal(18, 2)) as erp_total
from recon.entry_matches

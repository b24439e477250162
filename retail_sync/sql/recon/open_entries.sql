-- Expected entries the fast path could not settle (see clean_entries): the full matching runs
-- on these alone.
select expected.*
from recon.expected_entries as expected
anti join recon.clean_entries as clean
    on clean.shop_id = expected.shop_id
    and clean.entity = expected.entity
    and clean.shopify_id = expected.shopify_id

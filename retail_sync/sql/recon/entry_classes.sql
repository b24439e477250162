-- What kind of booking difference each booked entry has, worked out from its per-account deltas
-- (entry_deltas) and the posting rules alone — never from a list of known account pairs, so any
-- account of the chart (or outside it) can be the misbooked one. docs/finance.md states the
-- rules; in short, for an account: e = what the rules expect (0: the rules do not expect the
-- account on this entry), d = its delta, g = sign(e)·d its growth on the side the rule posts it.
-- - one account: `<role>_mismatch` when the rules expect it, else `unexpected_account`;
-- - two accounts with equal and opposite deltas (an amount on the wrong account): rounding
--   (7950, within rounding_tolerance), FX (7900 on an order or refund presented in another
--   currency, within the larger of rounding_tolerance and fx_tolerance_percent of the entry),
--   then the entry's
--   offset accounts (the accounts the rules derive from the others: an order's clearing account;
--   a refund's 4090, then its clearing account; 1205 for balance transactions and payouts): a
--   difference against an offset is a `<role>_mismatch` of the other account when the rules
--   expect it there, else the offset's amount was `misposted` to it (the offset lost it) or it is
--   an `unexpected_account` (the offset grew); without an offset, an amount one expected account
--   lost and another gained (or an unexpected one holds) is `misposted` from the first;
-- - anything else (three or more accounts, or two that do not cancel) is `amount_mismatch`.
-- Roles: 2200 tax, 4100 shipping, 4050 discount, any other account amount.
with deltas as (
    select
        shop_id, entity, shopify_id, entry_kind,
        count(*) as accounts,
        min(account) as account_a,
        max(account) as account_b,
        arg_min(shopify_amount, account) as e_a,
        arg_max(shopify_amount, account) as e_b,
        arg_min(delta, account) as d_a,
        arg_max(delta, account) as d_b
    from recon.entry_deltas
    group by all
),

entries as (
    select
        differences.shop_id, differences.entity, differences.shopify_id,
        differences.entry_kind, differences.currency, differences.presentment_currency,
        differences.expected_total,
        case differences.entry_kind
            when 'order' then [differences.clearing]
            when 'refund' then ['4090', differences.clearing]
            else ['1205']
        end as offsets,
        deltas.* exclude (shop_id, entity, shopify_id, entry_kind),
        deltas.accounts = 2 and deltas.d_a = -deltas.d_b as moved,
        sign(deltas.e_a) * deltas.d_a as g_a,
        sign(deltas.e_b) * deltas.d_b as g_b,
        rules.rounding_tolerance,
        rules.fx_tolerance_percent
    from recon.entry_differences as differences
    join deltas using (shop_id, entity, shopify_id, entry_kind)
    join raw.config__matching as rules on rules.shop_id = differences.shop_id
    where differences.booked_entries > 0 or differences.unkeyed_parts > 0
),

with_offset as (
    select
        *,
        -- The first of the entry's offset accounts that is one of the pair and expected.
        case
            when not moved then null
            when (offsets[1] = account_a and e_a <> 0) or (offsets[1] = account_b and e_b <> 0)
                then offsets[1]
            when len(offsets) > 1 and (
                (offsets[2] = account_a and e_a <> 0) or (offsets[2] = account_b and e_b <> 0)
            ) then offsets[2]
        end as offset_account
    from entries
),

ruled as (
    select
        *,
        case when offset_account = account_a then account_b else account_a end as other_account,
        case when offset_account = account_a then e_b else e_a end as e_other,
        case when offset_account = account_a then g_a else g_b end as g_offset,
        case
            when accounts = 1 and e_a <> 0 then 'single_expected'
            when accounts = 1 then 'single_unexpected'
            when not moved then 'many'
            when '7950' in (account_a, account_b) and abs(d_a) <= rounding_tolerance
                then 'rounding'
            when '7900' in (account_a, account_b)
                and presentment_currency is not null and presentment_currency <> currency
                and abs(d_a) <= greatest(
                    rounding_tolerance, expected_total * fx_tolerance_percent / 100
                ) then 'fx'
            when offset_account is not null then 'offset'
            when e_a <> 0 and g_a < 0 and (e_b = 0 or g_b > 0) then 'moved_ab'
            when e_b <> 0 and g_b < 0 and (e_a = 0 or g_a > 0) then 'moved_ba'
            when e_a = 0 and e_b <> 0 then 'unexpected_a'
            when e_b = 0 and e_a <> 0 then 'unexpected_b'
            when e_a <> 0 and e_b <> 0 then 'both_expected'
            else 'both_unexpected'
        end as rule
    from with_offset
),

classified as (
    select
        *,
        case rule
            when 'single_expected' then account_a
            when 'single_unexpected' then account_a
            when 'rounding' then case when account_a = '7950' then account_b else account_a end
            when 'fx' then case when account_a = '7900' then account_b else account_a end
            when 'offset' then case
                when e_other <> 0 then other_account
                when g_offset < 0 then offset_account
                else other_account
            end
            when 'moved_ab' then account_a
            when 'moved_ba' then account_b
            when 'unexpected_a' then account_a
            when 'unexpected_b' then account_b
            when 'both_expected' then account_a
            when 'both_unexpected' then case when d_a > 0 then account_a else account_b end
        end as account,
        case rule
            when 'rounding' then '7950'
            when 'fx' then '7900'
            when 'offset' then case
                when e_other = 0 and g_offset < 0 then other_account
                else offset_account
            end
            when 'moved_ab' then account_b
            when 'moved_ba' then account_a
            when 'unexpected_a' then account_b
            when 'unexpected_b' then account_a
            when 'both_expected' then account_b
            when 'both_unexpected' then case when d_a > 0 then account_b else account_a end
        end as counter_account,
        case
            when rule in ('moved_ab', 'moved_ba') then 'misposted'
            when rule = 'offset' and e_other = 0 and g_offset < 0 then 'misposted'
            when rule in ('single_unexpected', 'unexpected_a', 'unexpected_b', 'both_unexpected')
                then 'unexpected_account'
            when rule = 'offset' and e_other = 0 then 'unexpected_account'
            when rule = 'rounding' then 'rounding_difference'
            when rule = 'fx' then 'fx_difference'
            when rule = 'many' then 'amount_mismatch'
            when rule = 'both_expected' then 'amount_mismatch'
        end as fixed_suffix
    from ruled
)

select
    shop_id,
    entity,
    shopify_id,
    entry_kind,
    accounts,
    rule,
    coalesce(
        fixed_suffix,
        case account
            when '2200' then 'tax' when '4100' then 'shipping' when '4050' then 'discount'
            else 'amount'
        end || '_mismatch'
    ) as kind_suffix,
    account,
    counter_account
from classified

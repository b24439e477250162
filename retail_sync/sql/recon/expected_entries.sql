-- Every entry the posting rules of ACCOUNTING.md say the ledger should hold: one row per entry,
-- keyed by the Shopify record it books (entity, id) and the entry kind of its external id
-- (`shopify-<shop>-<kind>-<id>`), with its net debit per account (debit positive, credit negative)
-- in the shop currency. `expected_date` is the date the entry should carry (null when Shopify does
-- not say it, e.g. the day a payout failed); `is_primary` marks the entry an ERP entry carrying
-- the record's reference but no external id of ours belongs to. `balance_type` is the balance
-- transaction's type for the entries booking one (the clearing roll-forward sorts by it), and
-- `presentment_currency` an order's or refund's presentment currency (an FX difference needs one).
-- A failed payout's reversal is dated by the day its failure was landed (`failed_on`).
with entries as (
    select
        shop_id, 'order' as entity, order_id as shopify_id, 'order' as entry_kind,
        'orders' as domain, business_date, business_date as expected_date, true as is_primary,
        currency_code as currency, presentment_currency_code as presentment_currency,
        paid_shopify_payments as a1205,
        paid_other_gateways as a1220,
        paid_gift_card - gift_cards_sold_shop as a2300,
        total_discounts_shop as a4050,
        -goods_shop as a4000,
        -total_shipping_price_shop as a4100,
        -total_tax_shop as a2200
    from staging.stg_shopify__order_settlements
    where not test and payments > 0

    union all by name

    select
        shop_id, 'refund' as entity, refund_id as shopify_id, 'refund' as entry_kind,
        'refunds' as domain, business_date, business_date as expected_date, true as is_primary,
        currency_code as currency, presentment_currency_code as presentment_currency,
        -- What a refund holds beyond its goods, shipping and tax (an amount-only refund) is
        -- booked as returns with the goods (docs/accounting.md).
        goods_shop + unallocated_shop as a4090,
        shipping_shop as a4100,
        tax_shop as a2200,
        -refunded_shopify_payments as a1205,
        -refunded_other_gateways as a1220,
        -refunded_gift_card as a2300
    from staging.stg_shopify__refund_settlements
    where total_refunded_shop <> 0

    union all by name

    select
        shop_id, 'balance_transaction' as entity, balance_transaction_id as shopify_id,
        entry_kind, 'fees' as domain, business_date, business_date as expected_date,
        true as is_primary, currency_code as currency, type as balance_type,
        entry_amount as amount,
        debit_account, credit_account
    from (
        select
            *,
            case type
                when 'CHARGE' then 'fee' when 'REFUND' then 'fee' when 'ADJUSTMENT' then 'fee'
                when 'DISPUTE' then 'dispute' when 'ADJUSTMENT_REVERSAL' then 'dispute-won'
                when 'RESERVED_FUNDS' then 'reserve'
                when 'RESERVED_FUNDS_REVERSAL' then 'reserve-release'
            end as entry_kind,
            case type
                when 'CHARGE' then fee when 'REFUND' then fee when 'ADJUSTMENT' then -net
                when 'DISPUTE' then -net when 'ADJUSTMENT_REVERSAL' then net
                when 'RESERVED_FUNDS' then -net when 'RESERVED_FUNDS_REVERSAL' then net
            end as entry_amount,
            case type
                when 'DISPUTE' then '6150' when 'ADJUSTMENT_REVERSAL' then '1205'
                when 'RESERVED_FUNDS' then '1210' when 'RESERVED_FUNDS_REVERSAL' then '1205'
                else '6100'
            end as debit_account,
            case type
                when 'ADJUSTMENT_REVERSAL' then '6150' when 'RESERVED_FUNDS_REVERSAL' then '1210'
                else '1205'
            end as credit_account
        from staging.stg_shopify__balance_transactions
        where not test
    )
    where entry_amount <> 0

    union all by name

    select
        shop_id, 'payout' as entity, payout_id as shopify_id, 'payout' as entry_kind,
        'payouts' as domain, business_date, business_date as expected_date, true as is_primary,
        currency_code as currency, net as a1000, -net as a1205,
        case when status = 'FAILED' then 2 else 1 end as record_entries
    from staging.stg_shopify__payouts
    where status in ('PAID', 'FAILED')

    union all by name

    select
        shop_id, 'payout' as entity, payout_id as shopify_id, 'payout-failed' as entry_kind,
        'payouts' as domain, coalesce(failed_on, business_date) as business_date,
        null::date as expected_date, false as is_primary,
        currency_code as currency, -net as a1000, net as a1205, 2 as record_entries
    from staging.stg_shopify__payouts
    where status = 'FAILED'
),

booked as (
    select
        shop_id,
        entity,
        shopify_id,
        entry_kind,
        domain,
        business_date,
        expected_date,
        is_primary,
        currency,
        presentment_currency,
        balance_type,
        'shopify-' || shop_id || '-' || entry_kind || '-' || shopify_id as external_id,
        'shopify:' || entity || ':' || shopify_id as shopify_ref,
        -- How many entries the rules expect for the record (a failed payout has two).
        coalesce(record_entries, 1) as record_entries,
        cast(coalesce(a1000, 0) as decimal(18, 2)) as a1000,
        cast(
            coalesce(a1205, 0)
            + case when debit_account = '1205' then amount when credit_account = '1205' then -amount
                else 0 end
            as decimal(18, 2)
        ) as a1205,
        cast(
            case when debit_account = '1210' then amount when credit_account = '1210' then -amount
                else 0 end
            as decimal(18, 2)
        ) as a1210,
        cast(coalesce(a1220, 0) as decimal(18, 2)) as a1220,
        cast(coalesce(a2200, 0) as decimal(18, 2)) as a2200,
        cast(coalesce(a2300, 0) as decimal(18, 2)) as a2300,
        cast(coalesce(a4000, 0) as decimal(18, 2)) as a4000,
        cast(coalesce(a4050, 0) as decimal(18, 2)) as a4050,
        cast(coalesce(a4090, 0) as decimal(18, 2)) as a4090,
        cast(coalesce(a4100, 0) as decimal(18, 2)) as a4100,
        cast(
            case when debit_account = '6100' then amount else 0 end as decimal(18, 2)
        ) as a6100,
        cast(
            case when debit_account = '6150' then amount when credit_account = '6150' then -amount
                else 0 end
            as decimal(18, 2)
        ) as a6150,
        cast(0 as decimal(18, 2)) as a7900,
        cast(0 as decimal(18, 2)) as a7950,
        cast(0 as decimal(18, 2)) as a_other
    from entries
)

-- `expected_total`: Σ debits of the entry (what it books), compared with the ledger's.
select
    *,
    cast(
        greatest(a1000, 0) + greatest(a1205, 0) + greatest(a1210, 0) + greatest(a1220, 0)
        + greatest(a2200, 0) + greatest(a2300, 0) + greatest(a4000, 0) + greatest(a4050, 0)
        + greatest(a4090, 0) + greatest(a4100, 0) + greatest(a6100, 0) + greatest(a6150, 0)
        + greatest(a7900, 0) + greatest(a7950, 0) + greatest(a_other, 0) as decimal(18, 2)
    ) as expected_total
from booked

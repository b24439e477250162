-- ERP general-ledger lines with the Shopify reference each carries (memo token
-- `shopify:<entity>:<id>`, from the line memo or else the header memo) and a signed amount.
with lines as (
    select
        shop as shop_id,
        trandate as business_date,
        transaction_id,
        line_id,
        external_id,
        document_number,
        trandate,
        period_id,
        subsidiary_id,
        account_number,
        cast(coalesce(debit, 0) as decimal(18, 2)) as debit,
        cast(coalesce(credit, 0) as decimal(18, 2)) as credit,
        currency,
        memo,
        header_memo,
        regexp_extract(
            case
                when regexp_matches(memo, 'shopify:[a-z_]+:[0-9]+') then memo
                else header_memo
            end,
            'shopify:([a-z_]+):([0-9]+)',
            ['entity', 'id']
        ) as reference
    from raw.erp__gl_lines
)

select
    shop_id,
    business_date,
    transaction_id,
    line_id,
    external_id,
    document_number,
    trandate,
    period_id,
    subsidiary_id,
    account_number,
    debit,
    credit,
    cast(debit - credit as decimal(18, 2)) as signed_amount,
    currency,
    nullif(reference.entity, '') as shopify_entity,
    try_cast(nullif(reference.id, '') as bigint) as shopify_id,
    memo,
    header_memo
from lines

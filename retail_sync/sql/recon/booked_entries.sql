-- Per expected entry, the sum of the ERP entries carrying its external id (all parts together).
select
        shop_id, entity, shopify_id, entry_kind,
        count(*) as booked_entries,
        min(trandate) as booked_date,
        min(external_id) as booked_external_id,
        min(currency) as booked_currency,
        max(currency) as booked_currency_max,
        sum(columns('^erp_a'))
    from recon.assigned_entries
    where keyed
    group by all

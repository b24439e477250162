"""Partitions shared by every ingested and reconciled asset: business date × shop."""

import os
from datetime import date

import dagster as dg

# Re-exported: retail_sync.app.ingest imports it from here.
from retail_sync.defs.keys import partition_key as partition_key
from retail_sync.defs.keys import split_partition_key
from retail_sync.settings import SettingsError

FIRST_DATE_ENV = "RETAIL_SYNC_FIRST_BUSINESS_DATE"
DEFAULT_FIRST_DATE = "2026-01-01"


def first_business_date() -> date:
    """The first business date a partition exists for (`RETAIL_SYNC_FIRST_BUSINESS_DATE`)."""
    value = os.environ.get(FIRST_DATE_ENV) or DEFAULT_FIRST_DATE
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise SettingsError(f"{FIRST_DATE_ENV}={value!r} is not a YYYY-MM-DD date") from None


SHOP_PARTITIONS = "shop"
shop_partitions = dg.DynamicPartitionsDefinition(name=SHOP_PARTITIONS)
# `end_offset=1` makes today's (still open) business date a partition, so the evening run and the
# lookback re-read can include it.
business_date_partitions = dg.DailyPartitionsDefinition(
    start_date=first_business_date().isoformat(), end_offset=1
)
date_shop_partitions = dg.MultiPartitionsDefinition(
    {"date": business_date_partitions, "shop": shop_partitions}
)
# One run covers a range of dates and shops: a queued run costs 10–20 s before it does any work.
single_run = dg.BackfillPolicy.single_run()


def partitions_of(context: dg.AssetExecutionContext) -> list[tuple[date, str]]:
    """(business date, shop id) for every partition this run materializes, in a stable order."""
    return sorted(split_partition_key(key) for key in context.partition_keys)

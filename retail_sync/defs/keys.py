"""Names the Dagster modules share and tests address them by: asset groups and partition keys.

A multi-partition key joins the dimension keys in the order of the dimension names, with `|`:
`date` before `shop`, so `2026-10-31|north-outfitters`.
"""

from datetime import date

SHOPIFY_GROUP = "ingest_shopify"
ERP_GROUP = "ingest_erp"
STAGING_GROUP = "staging"
RECONCILE_GROUP = "reconcile"
WAREHOUSE_GROUP = "warehouse"
SANDBOX_GROUP = "sandbox"
JOURNALS_GROUP = "journals"

PARTITION_KEY_SEPARATOR = "|"


def partition_key(business_date: date, shop_id: str) -> str:
    """The multi-partition key of one business date and shop (`YYYY-MM-DD|shop`)."""
    return f"{business_date.isoformat()}{PARTITION_KEY_SEPARATOR}{shop_id}"


def split_partition_key(key: str) -> tuple[date, str]:
    """(business date, shop id) of a `YYYY-MM-DD|shop` key: the inverse of `partition_key`."""
    day, separator, shop_id = key.partition(PARTITION_KEY_SEPARATOR)
    if not separator or PARTITION_KEY_SEPARATOR in shop_id:
        raise ValueError(f"{key!r} is not a YYYY-MM-DD|shop partition key")
    return date.fromisoformat(day), shop_id

"""Shopify orders (with line items, refunds, refund lines and shipping lines, transactions),
payouts, balance transactions and inventory snapshots, landed raw in the lake per business date
and shop.

A partition holds the records *updated* during the shop's business date (orders) or dated on it
(payouts by issue date, balance transactions by transaction date, inventory by snapshot date).
Re-reading the last few partitions every night (the lookback) picks up late edits; staging keeps
the latest version of each record.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg

from retail_sync.defs.failures import SHOPIFY_STEP_RETRY, retried_only_when_transient
from retail_sync.defs.keys import SHOPIFY_GROUP, partition_key
from retail_sync.defs.metadata import rows_metadata
from retail_sync.defs.partitions import date_shop_partitions, partitions_of, single_run
from retail_sync.defs.resources import LakeResource, ShopifyResource, ShopsResource
from retail_sync.warehouse.lake import Lake

if TYPE_CHECKING:
    from retail_sync.shopify.client import ShopifyClient
    from retail_sync.shopify.extract import ExtractStats
    from retail_sync.shopify.landing import FreeTextPolicy
    from retail_sync.shops import ShopSettings

KEY_PREFIX = ["raw", "shopify"]
ORDER_TABLES = (
    "orders",
    "order_line_items",
    "order_refunds",
    "order_refund_line_items",
    "order_refund_shipping_lines",
    "order_transactions",
)
COMMON: dict[str, Any] = {
    "partitions_def": date_shop_partitions,
    "backfill_policy": single_run,
    "group_name": SHOPIFY_GROUP,
    "pool": "shopify_api",
}


# A shop-day's folder in the lake for each table an extraction writes.
DirectoryFor = Callable[[str], Path]
# Reads one shop-day into the lake: (client, shop, business date, its folders) → what it read.
Extraction = Callable[["ShopifyClient", "ShopSettings", date, DirectoryFor], "ExtractStats"]


def _directory_for(lake: Lake, shop_id: str, business_date: str) -> DirectoryFor:
    def directory(table: str) -> Path:
        return lake.partition_dir("raw", "shopify", table, shop=shop_id, date=business_date)

    return directory


class _Totals:
    """Sums what each extraction reports into one set of asset metadata."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, int]] = {}
        self.quarantined = 0
        self.cost = 0.0
        self.throttle_wait = 0.0
        self.requests = 0
        self.retries = 0
        self.windows: list[str] = []
        self.modes: set[str] = set()

    def add(self, stats: Any, partition: str) -> None:
        for table, count in stats.rows.items():
            self.rows.setdefault(table, {})[partition] = count
        self.quarantined += stats.quarantined
        self.cost += stats.cost_used
        self.throttle_wait += stats.throttle_wait_seconds
        self.requests += stats.requests
        self.retries += stats.retries
        self.modes.add(stats.mode)
        self.windows.append(
            f"{partition}: {stats.window_start.isoformat()} → {stats.window_end.isoformat()}"
        )

    def metadata(self, table: str) -> dict[str, Any]:
        return rows_metadata(self.rows.get(table, {})) | {
            "quarantined": self.quarantined,
            "api_cost_used": round(self.cost, 1),
            "throttle_wait_seconds": round(self.throttle_wait, 3),
            "requests": self.requests,
            "retries": self.retries,
            "mode": ", ".join(sorted(self.modes)),
            "windows_read": dg.MetadataValue.md("\n".join(f"- {w}" for w in self.windows)),
        }


def _land_orders_partition(
    context: dg.AssetExecutionContext,
    shopify: ShopifyResource,
    the_lake: Lake,
    shop: "ShopSettings",
    business_date: date,
    *,
    use_bulk: bool | None,
    free_text: "FreeTextPolicy",
    totals: _Totals,
    bulk_fallbacks: list[str],
) -> None:
    """Extract one shop-day of orders; a bulk read that fell back to paging is logged and kept."""
    from retail_sync.shopify.extract import extract_orders

    shop_id = shop.id
    start, end = shop.day_window(business_date)
    client = shopify.client(shop)
    stats = extract_orders(
        client,
        shop_id=shop_id,
        window_start=start,
        window_end=end,
        partition_dir_for=_directory_for(the_lake, shop_id, business_date.isoformat()),
        use_bulk=use_bulk,
        bulk_threshold_orders=shopify.bulk_threshold_orders,
        bulk_stall_timeout=float(shopify.bulk_stall_seconds),
        free_text=free_text,
    )
    partition = partition_key(business_date, shop_id)
    totals.add(stats, partition)
    if stats.bulk_attempts and stats.mode == "paged":
        # The client keeps the stall's own words; the notes name each attempt's code.
        reason = client.bulk_disabled_reason or "; ".join(stats.notes)
        bulk_fallbacks.append(f"{partition}: {reason}")
        context.log.warning(f"{partition}: bulk read fell back to paging: {reason}")


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            [*KEY_PREFIX, table],
            description=f"Shopify {table.replace('_', ' ')} of orders updated on the date.",
            kinds={"shopify", "parquet"},
        )
        for table in ORDER_TABLES
    ],
    retry_policy=SHOPIFY_STEP_RETRY,
    **COMMON,
)
def orders(
    context: dg.AssetExecutionContext,
    shopify: ShopifyResource,
    lake: LakeResource,
    shops: ShopsResource,
):
    from retail_sync.shopify.landing import FreeTextPolicy

    the_lake, settings = lake.lake(), shops.shops()
    totals = _Totals()
    partitions = partitions_of(context)
    # A run over several dates is a backfill: read it with bulk operations. A single date lets
    # the extraction choose from the size of the window.
    use_bulk = True if len({business_date for business_date, _ in partitions}) > 1 else None
    bulk_fallbacks: list[str] = []
    with retried_only_when_transient():
        # Refund notes can carry PII: dropped, or keyed-hashed when the setting asks for them.
        free_text = FreeTextPolicy.from_setting(shopify.land_free_text)
        for business_date, shop_id in partitions:
            _land_orders_partition(
                context, shopify, the_lake, settings[shop_id], business_date,
                use_bulk=use_bulk, free_text=free_text, totals=totals,
                bulk_fallbacks=bulk_fallbacks,
            )  # fmt: skip
    for table in ORDER_TABLES:
        metadata = totals.metadata(table) | {"bulk_fallback": len(bulk_fallbacks)}
        if bulk_fallbacks:
            metadata["bulk_fallback_reasons"] = dg.MetadataValue.md(
                "\n".join(f"- {line}" for line in bulk_fallbacks)
            )
        yield dg.MaterializeResult(asset_key=[*KEY_PREFIX, table], metadata=metadata)


def _single_table_asset(
    name: str, description: str, extract: Extraction, *, snapshot: bool = False
) -> dg.AssetsDefinition:
    """An asset landing table `name` with `extract` for each (business date, shop) of the run.

    A `snapshot` table (inventory levels) is read as Shopify holds it now, so only a day that
    ended at most `inventory_snapshot_max_age` ago is read; the others are skipped and listed in
    the metadata.
    """

    @dg.asset(
        name=name,
        key_prefix=KEY_PREFIX,
        description=description,
        kinds={"shopify", "parquet"},
        retry_policy=SHOPIFY_STEP_RETRY,
        **COMMON,
    )
    def _asset(
        context: dg.AssetExecutionContext,
        shopify: ShopifyResource,
        lake: LakeResource,
        shops: ShopsResource,
    ) -> dg.MaterializeResult:
        the_lake, settings = lake.lake(), shops.shops()
        totals = _Totals()
        stale: list[str] = []
        now = datetime.now(UTC)
        with retried_only_when_transient():
            for business_date, shop_id in partitions_of(context):
                shop = settings[shop_id]
                directories = _directory_for(the_lake, shop_id, business_date.isoformat())
                if snapshot:
                    _, end = shop.day_window(business_date)
                    if not timedelta(0) <= now - end <= shopify.inventory_snapshot_max_age():
                        # Shopify answers today's quantities only: a day not over yet, or long over
                        # (a backfill, a lookback re-run), keeps its earlier snapshot or gets none.
                        stale.append(partition_key(business_date, shop_id))
                        continue
                stats = extract(shopify.client(shop), shop, business_date, directories)
                totals.add(stats, partition_key(business_date, shop_id))
        metadata = totals.metadata(name)
        if snapshot:
            metadata["snapshots_skipped"] = len(stale)
            if stale:
                metadata["skipped_partitions"] = dg.MetadataValue.md(
                    "Not snapshotted (Shopify answers today's inventory only; the day is not "
                    "over, or ended more than "
                    f"{shopify.inventory_snapshot_max_age_hours} h ago):\n"
                    + "\n".join(f"- {partition}" for partition in stale)
                )
        return dg.MaterializeResult(metadata=metadata)

    return _asset


def _extract_payouts(
    client: "ShopifyClient",
    shop: "ShopSettings",
    business_date: date,
    directories: DirectoryFor,
) -> "ExtractStats":
    from retail_sync.shopify.extract import extract_payouts

    start, end = shop.day_window(business_date)
    return extract_payouts(
        client, shop_id=shop.id, window_start=start, window_end=end, partition_dir_for=directories
    )


def _extract_balance_transactions(
    client: "ShopifyClient",
    shop: "ShopSettings",
    business_date: date,
    directories: DirectoryFor,
) -> "ExtractStats":
    from retail_sync.shopify.extract import extract_balance_transactions

    start, end = shop.day_window(business_date)
    return extract_balance_transactions(
        client, shop_id=shop.id, window_start=start, window_end=end, partition_dir_for=directories
    )


def _extract_inventory_levels(
    client: "ShopifyClient",
    shop: "ShopSettings",
    business_date: date,
    directories: DirectoryFor,
) -> "ExtractStats":
    """The levels as Shopify holds them now, recorded as of the end of the business date."""
    from retail_sync.shopify.extract import extract_inventory_levels

    _, end = shop.day_window(business_date)
    return extract_inventory_levels(
        client, shop_id=shop.id, as_of=end, partition_dir_for=directories
    )


payouts = _single_table_asset(
    "payouts", "Shopify Payments payouts issued on the date.", _extract_payouts
)
balance_transactions = _single_table_asset(
    "balance_transactions",
    "Shopify Payments balance transactions dated on the date (the statement of account).",
    _extract_balance_transactions,
)
inventory_levels = _single_table_asset(
    "inventory_levels",
    "Inventory quantities (every quantity name) per item and location at the end of the date.",
    _extract_inventory_levels,
    snapshot=True,
)

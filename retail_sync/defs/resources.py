"""Resources shared by every domain: the lake, the shops, Shopify, the ERP, the sandbox world."""

# No `from __future__ import annotations`: Dagster reads resource annotations at runtime.

import os
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from retail_sync.sandbox.world import World
from retail_sync.shops import ShopSettings, ShopSettingsError, load_shops
from retail_sync.warehouse.lake import Lake

if TYPE_CHECKING:
    from retail_sync.erp.port import ERPPort
    from retail_sync.shopify.client import ShopifyClient


class LakeResource(dg.ConfigurableResource):
    """The Parquet lake: raw and staged partitions, the source of truth for data."""

    root: str

    def lake(self) -> Lake:
        return Lake(Path(self.root))


class WarehouseResource(dg.ConfigurableResource):
    """Where the analyst catalog (DuckDB views over the lake) is published."""

    catalog: str

    def catalog_path(self) -> Path:
        return Path(self.catalog)


class ShopsResource(dg.ConfigurableResource):
    """The shops this deployment reconciles, read from a shops file (docs/configuration.md)."""

    path: str

    def shops(self) -> dict[str, ShopSettings]:
        return {shop.id: shop for shop in load_shops(Path(self.path))}

    def shop(self, shop_id: str) -> ShopSettings:
        shops = self.shops()
        if shop_id not in shops:
            raise ShopSettingsError(f"{self.path}: no shop {shop_id!r} (known: {sorted(shops)})")
        return shops[shop_id]


class ShopifyResource(dg.ConfigurableResource):
    """Shopify's Admin GraphQL API; each shop's token is read from its environment variable."""

    # Empty: each shop's own https://<domain>. The sandbox sets the simulator's URL.
    base_url: str = ""
    # Windows with more orders than this are read with a bulk operation instead of pages.
    bulk_threshold_orders: int = 5_000
    # A bulk operation with no progress (status and objectCount unchanged) this long is cancelled
    # and its window read page by page (docs/configuration.md).
    bulk_stall_seconds: int = 180
    # Shopify answers today's inventory only, so a date is snapshotted only until this long after
    # its end (the nightly run; a backfill or lookback never writes today's quantities as the
    # past's).
    inventory_snapshot_max_age_hours: int = 24
    # Free text that can carry PII (refund notes) lands as null unless this is on; then as an
    # HMAC-SHA256 keyed by RETAIL_SYNC_PII_HASH_KEY (docs/configuration.md).
    land_free_text: bool = False

    def inventory_snapshot_max_age(self) -> timedelta:
        return timedelta(hours=self.inventory_snapshot_max_age_hours)

    def client(self, shop: ShopSettings) -> "ShopifyClient":
        from retail_sync.shopify.client import ShopifyClient

        token = os.environ.get(shop.access_token_variable)
        if not token:
            # A missing credential does not come back by retrying: fail the step at once.
            raise dg.Failure(
                description=f"shop {shop.id!r}: set {shop.access_token_variable} to its Admin "
                "API token",
                allow_retries=False,
            )
        return ShopifyClient(self.base_url or f"https://{shop.domain}", token)


class ERPResource(dg.ConfigurableResource):
    """The ERP behind the port; NetSuite, configured from the NETSUITE_* environment variables."""

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # A configuration error fails the step here, once: Dagster retries only an asset's body.
        from retail_sync.erp.netsuite.config import NetSuiteConfig

        NetSuiteConfig.from_env()

    def port(self) -> "ERPPort":
        from retail_sync.erp.netsuite import netsuite_erp_from_env

        return netsuite_erp_from_env()


class SandboxWorldResource(dg.ConfigurableResource):
    """The folder of the sandbox world the simulators serve (the embedded default's data)."""

    path: str

    def world(self) -> World:
        return World.open(self.path)

"""Resources shared by every domain: the lake, the shops, Shopify, the ERP, the sandbox world."""

# No `from __future__ import annotations`: Dagster reads resource annotations at runtime.

import os
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
from pydantic import Field

from retail_sync.sandbox.world import World
from retail_sync.shops import ShopSettings, ShopSettingsError, load_shops
from retail_sync.warehouse.lake import Lake

if TYPE_CHECKING:
    from retail_sync.erp.netsuite.config import NetSuiteConfig
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
    """NetSuite behind the ERP port: each field is the NETSUITE_* setting of its name (docs/erp.md).

    A field left None reads the variable itself when the resource is used, so `ERPResource()` is
    configured by the environment alone. Every field is optional: an account uses one of two auth
    modes, and `NetSuiteConfig.from_env` names what is missing of the one it started to describe.
    """

    account_id: str | None = None
    base_url: str | None = None
    # OAuth 2.0 client credentials (machine to machine).
    client_id: str | None = None
    certificate_id: str | None = None
    private_key_path: str | None = None
    # OAuth 1.0a token-based auth; the two secrets are kept out of reprs.
    consumer_key: str | None = None
    consumer_secret: str | None = Field(default=None, repr=False)
    token_id: str | None = None
    token_secret: str | None = Field(default=None, repr=False)
    # Tuning, as text: `NetSuiteConfig.from_env` checks each and says what form it accepts.
    connect_timeout: str | None = None
    read_timeout: str | None = None
    max_attempts: str | None = None
    concurrency: str | None = None

    @classmethod
    def from_environment(cls) -> "ERPResource":
        """Every NETSUITE_* setting set in the environment now, as a `dg.EnvVar` field.

        Dagster resolves an EnvVar when a run starts and fails the run when its variable is
        unset, so the settings of the auth mode not in use must be left out, not passed.
        """
        from retail_sync.erp.netsuite.config import KNOWN_SETTINGS

        return cls(
            **{
                _field_of(setting): dg.EnvVar(setting)
                for setting in sorted(KNOWN_SETTINGS)
                if setting in os.environ
            }
        )

    def settings(self) -> dict[str, str]:
        """The NETSUITE_* settings: each field, or the variable itself where the field is None."""
        from retail_sync.erp.netsuite.config import KNOWN_SETTINGS

        settings = {}
        for setting in KNOWN_SETTINGS:
            value = getattr(self, _field_of(setting))
            # An EnvVar is still unresolved when the resource is used outside a run.
            if value is None or isinstance(value, dg.EnvVar):
                value = os.environ.get(setting if value is None else value.env_var_name)
            if value is not None:
                settings[setting] = value
        return settings

    def config(self) -> "NetSuiteConfig":
        """The connection these settings describe, or NetSuiteConfigError naming the setting."""
        from retail_sync.erp.netsuite.config import NetSuiteConfig

        return NetSuiteConfig.from_env(self.settings())

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # A configuration error fails the step here, once: Dagster retries only an asset's body.
        self.config()

    def port(self) -> "ERPPort":
        from retail_sync.erp.netsuite import netsuite_erp_from_env

        return netsuite_erp_from_env(self.settings())


def _field_of(setting: str) -> str:
    """The ERPResource field of a NETSUITE_* setting: NETSUITE_ACCOUNT_ID is `account_id`."""
    return setting.removeprefix("NETSUITE_").lower()


class SandboxWorldResource(dg.ConfigurableResource):
    """The folder of the sandbox world the simulators serve (the embedded default's data)."""

    path: str

    def world(self) -> World:
        return World.open(self.path)

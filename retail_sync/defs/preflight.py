"""Configuration checked before any run starts: one clear line naming the setting, never a retry.

The CLI calls `check_configuration` before it starts a run; inside Dagster the resources run the
same checks when they are set up (`ShopifyResource`, `ERPResource`), which fails the step at once
— Dagster retries only what fails inside an asset's body.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date

from retail_sync.defs.partitions import FIRST_DATE_ENV, business_date_partitions
from retail_sync.defs.settlement.schedules import lookback_days
from retail_sync.settings import Paths, SettingsError
from retail_sync.shops import ShopSettings, ShopSettingsError, load_shops


def check_shopify_tokens(shops: Sequence[ShopSettings]) -> None:
    """Every shop's access token variable is set (its value is never read out or logged)."""
    for shop in shops:
        if not (os.environ.get(shop.access_token_variable) or "").strip():
            raise ShopSettingsError(
                f"shop {shop.id!r}: set {shop.access_token_variable} to its Admin API token"
            )


def check_erp_environment() -> None:
    """The NETSUITE_* variables describe a usable connection."""
    from retail_sync.erp.netsuite.config import NetSuiteConfig

    NetSuiteConfig.from_env()


def check_business_dates(start: date, end: date) -> None:
    """Both dates are partitions: not before the first business date, not after tomorrow."""
    first = date.fromisoformat(business_date_partitions.get_first_partition_key() or "")
    last_key = business_date_partitions.get_last_partition_key()
    last = date.fromisoformat(last_key) if last_key else first
    for name, value in (("--start", start), ("--end", end)):
        if not first <= value <= last:
            raise SettingsError(
                f"{name} {value} is outside the business dates {first} .. {last} "
                f"(the first is {FIRST_DATE_ENV}; the last is the shops' current day)"
            )
    if end < start:
        raise SettingsError(f"--end {end} is before --start {start}")


def check_policy(paths: Paths, shops: Sequence[ShopSettings]) -> None:
    """The correction policy file, when there is one, reads (docs/journals.md): PolicyError
    naming the file and the line otherwise."""
    from retail_sync.journals.policy import load_policy

    if paths.policy_file.exists():
        load_policy(paths.policy_file, shops)


def check_configuration(
    paths: Paths,
    *,
    shop_ids: Sequence[str] = (),
    dates: tuple[date, date] | None = None,
    shopify_tokens: bool = True,
    erp: bool = True,
    policy: bool = True,
) -> list[ShopSettings]:
    """Check what a run will need; returns the chosen shops (every shop when none are named)."""
    shops = {shop.id: shop for shop in load_shops(paths.shops_file)}
    unknown = sorted(set(shop_ids) - set(shops))
    if unknown:
        raise ShopSettingsError(
            f"{paths.shops_file}: unknown shop(s) {', '.join(unknown)} (known: {sorted(shops)})"
        )
    chosen = [shops[shop_id] for shop_id in (shop_ids or sorted(shops))]
    lookback_days()
    if dates is not None:
        check_business_dates(*dates)
    if shopify_tokens:
        check_shopify_tokens(chosen)
    if erp:
        check_erp_environment()
    if policy:
        check_policy(paths, list(shops.values()))
    return chosen

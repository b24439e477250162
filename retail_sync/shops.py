"""The shops a deployment reconciles: timezone, currency, ERP subsidiary, where their token lives.

Shops are listed in a JSON file (`<home>/shops.json` by default, or `RETAIL_SYNC_SHOPS`) with the
fields of the world format's `shops.json`; a sandbox world's own file works as is. Access tokens
never live in that file for a real shop: each shop names the environment variable holding it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from retail_sync.errors import RetailSyncError
from retail_sync.reconcile.rules import MatchingRules


class ShopSettingsError(RetailSyncError):
    """The shops file is missing, unreadable or describes a shop incompletely."""


def token_variable(shop_id: str) -> str:
    """The default environment variable holding a shop's Admin API access token."""
    return "SHOPIFY_ACCESS_TOKEN_" + re.sub(r"[^A-Z0-9]", "_", shop_id.upper())


@dataclass(frozen=True)
class ShopSettings:
    """One shop: its identity, currency and timezone, and its ERP subsidiary."""

    id: str
    domain: str
    currency: str
    timezone: str
    erp_subsidiary_id: str
    access_token_variable: str
    matching: MatchingRules = field(default_factory=MatchingRules)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def day_window(self, business_date: date) -> tuple[datetime, datetime]:
        """[start, end) of a business date in the shop's timezone, as UTC instants (DST-aware)."""
        start = datetime.combine(business_date, time.min, tzinfo=self.zone)
        end = datetime.combine(business_date + timedelta(days=1), time.min, tzinfo=self.zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    def business_date(self, instant: datetime) -> date:
        """The business date of an aware instant, in the shop's timezone."""
        return instant.astimezone(self.zone).date()


def _shop(record: dict[str, Any], source: Path) -> ShopSettings:
    missing = [
        name
        for name in ("id", "domain", "currency", "timezone", "erp_subsidiary_id")
        if not record.get(name)
    ]
    if missing:
        raise ShopSettingsError(f"{source}: shop {record.get('id')!r} lacks {', '.join(missing)}")
    try:
        ZoneInfo(record["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ShopSettingsError(
            f"{source}: shop {record['id']!r} has an unknown timezone {record['timezone']!r}"
        ) from None
    return ShopSettings(
        id=str(record["id"]),
        domain=str(record["domain"]),
        currency=str(record["currency"]),
        timezone=str(record["timezone"]),
        erp_subsidiary_id=str(record["erp_subsidiary_id"]),
        access_token_variable=str(
            record.get("access_token_variable") or token_variable(str(record["id"]))
        ),
        matching=MatchingRules.from_settings(str(record["id"]), record.get("matching")),
    )


def load_shops(path: Path) -> list[ShopSettings]:
    """Read a shops file; a clear error names the file and what is wrong with it."""
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ShopSettingsError(f"{path}: no shops file (see docs/configuration.md)") from None
    except json.JSONDecodeError as error:
        raise ShopSettingsError(f"{path}: not JSON ({error.msg})") from None
    if not isinstance(records, list) or not all(isinstance(item, dict) for item in records):
        raise ShopSettingsError(f"{path}: expected a list of shops")
    shops = [_shop(record, path) for record in records]
    ids = [shop.id for shop in shops]
    if len(set(ids)) != len(ids):
        raise ShopSettingsError(f"{path}: shop ids repeat")
    return shops

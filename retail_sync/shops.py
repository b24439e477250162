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

from retail_sync.errors import ConfigurationError
from retail_sync.matching import MatchingRules, MatchingRulesError


class ShopSettingsError(ConfigurationError):
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


# Shopify's own handle form. A shop id becomes a lake path segment (`shop=<id>`), a Dagster
# partition key and part of an environment variable name, so nothing else may pass.
SHOP_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
# A host name (the shop's `*.myshopify.com` or custom domain): it becomes `https://<domain>`.
DOMAIN_PATTERN = re.compile(
    r"(?=.{1,253}\Z)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)
CURRENCY_PATTERN = re.compile(r"[A-Z]{3}")
# NetSuite internal ids are integers; the ERP adapter puts the subsidiary into SuiteQL.
SUBSIDIARY_ID_PATTERN = re.compile(r"[0-9]{1,18}")
ENVIRONMENT_VARIABLE_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")
REQUIRED_FIELDS = ("id", "domain", "currency", "timezone", "erp_subsidiary_id")


def is_shop_id(value: object) -> bool:
    """Whether `value` is a valid shop id (see SHOP_ID_PATTERN)."""
    return isinstance(value, str) and SHOP_ID_PATTERN.fullmatch(value) is not None


def _shop(record: dict[str, Any], source: Path) -> ShopSettings:
    raw_id = record.get("id")
    missing = [name for name in REQUIRED_FIELDS if record.get(name) in (None, "")]
    if missing:
        raise ShopSettingsError(f"{source}: shop {raw_id!r} lacks {', '.join(missing)}")
    if not is_shop_id(raw_id):
        raise ShopSettingsError(
            f"{source}: shop id {raw_id!r} is not a shop handle (lower-case letters, digits and "
            "'-', starting with a letter or digit, at most 63 characters)"
        )
    shop_id = str(raw_id)
    where = f"{source}: shop {shop_id!r}"
    domain = _text(record, "domain", where)
    if not DOMAIN_PATTERN.fullmatch(domain):
        raise ShopSettingsError(f"{where}: domain {domain!r} is not a host name")
    currency = _text(record, "currency", where)
    if not CURRENCY_PATTERN.fullmatch(currency):
        raise ShopSettingsError(f"{where}: currency {currency!r} is not an ISO 4217 code like USD")
    timezone = _text(record, "timezone", where)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a path
        raise ShopSettingsError(f"{where}: has an unknown timezone {timezone!r}") from None
    subsidiary = record["erp_subsidiary_id"]
    if isinstance(subsidiary, int) and not isinstance(subsidiary, bool):
        subsidiary = str(subsidiary)
    if not isinstance(subsidiary, str) or not SUBSIDIARY_ID_PATTERN.fullmatch(subsidiary):
        raise ShopSettingsError(
            f"{where}: erp_subsidiary_id {record['erp_subsidiary_id']!r} is not a NetSuite "
            'internal id (an integer, e.g. "1")'
        )
    variable = record.get("access_token_variable")
    if variable is None:
        variable = token_variable(shop_id)
    elif not isinstance(variable, str) or not ENVIRONMENT_VARIABLE_PATTERN.fullmatch(variable):
        raise ShopSettingsError(
            f"{where}: access_token_variable {variable!r} is not an environment variable name"
        )
    try:
        rules = MatchingRules.from_settings(shop_id, record.get("matching"))
    except MatchingRulesError as error:
        raise MatchingRulesError(f"{source}: {error}") from None
    return ShopSettings(
        id=shop_id,
        domain=domain,
        currency=currency,
        timezone=timezone,
        erp_subsidiary_id=subsidiary,
        access_token_variable=variable,
        matching=rules,
    )


def _text(record: dict[str, Any], name: str, where: str) -> str:
    value = record[name]
    if not isinstance(value, str):
        raise ShopSettingsError(f"{where}: {name} must be a string, not {value!r}")
    return value


def load_shops(path: Path) -> list[ShopSettings]:
    """Read a shops file; a clear error names the file and what is wrong with it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ShopSettingsError(f"{path}: no shops file (see docs/configuration.md)") from None
    except IsADirectoryError:
        raise ShopSettingsError(f"{path}: is a folder, not a shops file") from None
    except UnicodeDecodeError:
        raise ShopSettingsError(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise ShopSettingsError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        records = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise ShopSettingsError(f"{path}: not JSON ({error.msg})") from None
    except (ValueError, RecursionError) as error:  # a 5000-digit number, nesting too deep
        raise ShopSettingsError(f"{path}: not JSON we accept ({error})") from None
    if not isinstance(records, list) or not all(isinstance(item, dict) for item in records):
        raise ShopSettingsError(f"{path}: expected a list of shops")
    if not records:
        raise ShopSettingsError(
            f"{path}: no shops (the file lists none; see docs/configuration.md)"
        )
    shops = [_shop(record, path) for record in records]
    ids = [shop.id for shop in shops]
    repeated = sorted({shop_id for shop_id in ids if ids.count(shop_id) > 1})
    if repeated:
        raise ShopSettingsError(f"{path}: shop ids repeat: {', '.join(repeated)}")
    return shops


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")

"""The view of the shop itself."""

from __future__ import annotations

from typing import Any

from retail_sync.sandbox.shopify.resolvers.scalars import gid, stable_number

PLAN_NAMES = {
    "STANDARD": "Basic",
    "ADVANCED": "Advanced",
    "PLUS": "Shopify Plus",
    "ENTERPRISE": "Commerce Components",
}


class ShopView:
    typename = "Shop"

    def __init__(self, shop: dict[str, Any]) -> None:
        self.id = gid("Shop", stable_number(shop["id"]))
        self.name = shop.get("name", shop["id"])
        self.myshopifyDomain = shop.get("domain", f"{shop['id']}.myshopify.com")
        self.currencyCode = shop["currency"]
        self.ianaTimezone = shop.get("timezone", "UTC")
        plan = str(shop.get("plan", "STANDARD"))
        self.plan = {
            "displayName": PLAN_NAMES.get(plan, plan),
            "partnerDevelopment": False,
            "shopifyPlus": plan in {"PLUS", "ENTERPRISE"},
        }

"""A faithful local Shopify Admin GraphQL API over a sandbox world (docs/sandbox-shopify.md)."""

from retail_sync.sandbox.shopify.faults import PROFILES, FaultProfile, get_profile
from retail_sync.sandbox.shopify.server import (
    DEFAULT_API_VERSION,
    build_state,
    start_shopify_simulator,
)
from retail_sync.sandbox.shopify.webhooks import sign, verify

__all__ = [
    "DEFAULT_API_VERSION",
    "PROFILES",
    "FaultProfile",
    "build_state",
    "get_profile",
    "sign",
    "start_shopify_simulator",
    "verify",
]

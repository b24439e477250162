"""The Shopify Admin API version this package speaks, pinned in one place."""

API_VERSION = "2026-01"

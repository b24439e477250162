"""Shopify Admin GraphQL: paced client, paging, bulk operations, raw landing (docs/shopify.md)."""

"""Shopify Admin GraphQL: a paced client, paging, bulk operations and raw landing (docs/shopify.md)."""

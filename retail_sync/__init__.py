"""retail_sync: Shopify ↔ ERP settlement and reconciliation as Dagster software-defined assets."""

__version__ = "0.1.0"

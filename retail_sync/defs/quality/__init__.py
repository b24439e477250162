"""Data-quality asset checks, freshness policies and the automation condition money assets use."""
